"""Depth-first exploration of every schedule and every select choice.

Each node is a prefix of an execution, identified by its Mazurkiewicz trace
(``State.trace_key``): interleavings that differ only in the order of
independent steps reach the same state, so each trace is expanded once and
each complete execution is counted once, as an equivalence class (same
events, reads-from, channel matching, lock and atomic orders). A reduced
search that visits one interleaving per class reports the same counts.

Bounds (loop unrolling, steps per execution, executions, time) never make a
verdict wrong: the executions they stop are recorded as incomplete, and a
budget that stops the search marks the whole exploration incomplete.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from hbcheck.budget import Budget
from hbcheck.explore.execution import ASSERT, CUT, DEADLOCK, OK, PANIC, Execution, FinalState, Finding
from hbcheck.explore.footprint import Footprint, Footprints
from hbcheck.language.check import Program
from hbcheck.machine import Machine, MachineConfig, State
from hbcheck.machine.hchan import HChan
from hbcheck.machine.machine import Choice
from hbcheck.machine.state import DONE, G
from hbcheck.names import DEADLOCK_TEXT, FindingKind


@dataclass(frozen=True, slots=True)
class ExploreConfig:
    unroll: int = 8
    max_steps: int = 10_000
    max_executions: int = 100_000
    time_budget: float | None = None  # seconds per test: explorer, judge and z3 together
    memory_limit: int | None = None  # MiB of resident memory while the test is checked
    # "dpor": persistent sets + each trace prefix once; "trace": each trace prefix once;
    # "none": every interleaving (the naive search)
    por: str = "dpor"
    # called with each execution found; True stops the search (the caller's
    # questions are decided), which then counts as the bound STOP_EARLY
    stop_when: Callable[[Execution], bool] | None = field(default=None, compare=False)
    # the test's budget, started by the caller when its check started (None: from here)
    budget: Budget | None = field(default=None, compare=False)

    def started(self) -> Budget:
        return self.budget or Budget(self.time_budget, self.memory_limit)


STOP_EARLY = "stop-early"


@dataclass
class Exploration:
    """Every execution found, one per class, and what bounds were hit."""

    executions: list[Execution] = field(default_factory=list)
    bounds: list[str] = field(default_factory=list)  # e.g. "unroll 8", "max-executions 100000"
    nodes: int = 0
    interleavings: int = 0  # complete schedules run (with por "none": every interleaving)

    @property
    def exact(self) -> bool:
        """No bound cut any execution short and the search ran to the end."""
        return not self.bounds


def explore(program: Program, config: ExploreConfig | None = None) -> Exploration:
    """Explore every execution of ``program`` on the reference machine."""
    config = config or ExploreConfig()
    machine = Machine(program, MachineConfig(unroll=config.unroll))
    result = Exploration()
    bounds: dict[str, None] = {}
    budget = config.started()
    limited = config.time_budget is not None or config.memory_limit is not None
    naive = config.por == "none"
    sets = Footprints(program, machine.codes, machine.config) if config.por == "dpor" else None
    memo: dict[tuple, frozenset[str]] = {}  # persistent sets by where every goroutine stands
    seen: set[tuple] = set()  # keys visited (with por "none": those of complete runs)
    stack: list[State] = [machine.initial()]
    while stack:
        st = stack.pop()
        key = st.trace_key()
        if not naive:
            if key in seen:
                continue
            seen.add(key)
        result.nodes += 1
        # 10% of the time is left to judge what was found and to free the search's memory
        if limited and result.nodes % 64 == 0 and (spent := budget.spent(reserve=0.1)):
            bounds[spent] = None
            break
        choices = machine.enabled(st)
        cut = None
        if st.end is None and choices and st.steps >= config.max_steps:
            cut = f"max-steps {config.max_steps}"
            bounds[cut] = None
        if cut is not None or st.end is not None or not choices:
            # nothing moves again: who waits in which order no longer matters
            final = st.trace_key(final=True)
            if naive:
                result.interleavings += 1  # every complete interleaving, before grouping
            if final != key or naive:
                if final in seen:
                    continue
                seen.add(final)
                key = final
            if not naive:
                result.interleavings += 1
            execution = record(machine, st, key, cut, config.max_steps, budget if limited else None)
            if execution.cut_reason:
                bounds[execution.cut_reason] = None
            result.executions.append(execution)
            if (result.interleavings if naive else len(result.executions)) >= config.max_executions and stack:
                bounds[f"max-executions {config.max_executions}"] = None
                break
            if config.stop_when is not None and stack and config.stop_when(execution):
                bounds[STOP_EARLY] = None
                break
            continue
        if sets is not None and len(choices) > 1:
            choices = persistent(sets, st, choices, memo)
        for choice in reversed(choices):
            stack.append(machine.step(st, choice))
    result.bounds = list(bounds)
    return result


def persistent(sets: Footprints, st: State, choices: list[Choice], memo: dict[tuple, frozenset[str]]) -> list[Choice]:
    """A persistent subset of ``choices``: the steps of a set T of goroutines
    closed under "some goroutine outside T may later touch what a member's
    next step touches (or could wake or unblock it)". No sequence of steps
    outside T can then change, enable or disable a step of T, so exploring
    only T's steps here still reaches every class (Godefroid 1996, ch. 4);
    the trace key keeps each class to one run. T is grown from each
    goroutine that can move, and the smallest is kept. It depends only on
    where each goroutine stands, what can move and (channel values) which
    channels the next steps touch, so it is computed once per such position
    (``memo``)."""
    by_g: dict[str, list[Choice]] = {}
    for c in choices:
        by_g.setdefault(c.g, []).append(c)
    if len(by_g) == 1:
        return choices
    where = (
        tuple(
            (n, g.status, g.code, g.pc, g.parked, tuple(f[:2] for f in g.frames), g.defers, g.panicking)
            for n, g in st.gs.items()
        ),
        tuple(choices),
        # a step on a channel value touches the channel its register holds now
        tuple(sets.next_step(g) for g in st.gs.values()) if sets.values else (),
    )
    chosen = memo.get(where)
    if chosen is None:
        chosen = memo[where] = _persistent(sets, st, by_g, len(choices))
    return [c for c in choices if c.g in chosen]


def _persistent(sets: Footprints, st: State, by_g: dict[str, list[Choice]], total: int) -> frozenset[str]:
    futures = {n: sets.future(g) for n, g in st.gs.items() if g.status != DONE}
    nexts: dict[str, Footprint] = {}
    best: set[str] = set(by_g)
    best_size = total
    for seed in by_g:
        members, todo = {seed}, [seed]
        while todo:
            a = todo.pop()
            na = nexts.get(a)
            if na is None:
                na = nexts[a] = sets.next_step(st.gs[a])
            for h, future in futures.items():
                if h not in members and na.conflicts(future):
                    members.add(h)
                    todo.append(h)
        size = sum(len(by_g[n]) for n in members if n in by_g)
        if size < best_size:
            best, best_size = members, size
            if size == len(by_g[seed]):
                break
    return frozenset(best)


def record(
    machine: Machine,
    st: State,
    key: tuple,
    cut: str | None = None,
    max_steps: int | None = None,
    budget: Budget | None = None,
) -> Execution:
    """Classify a terminal state and freeze it into an ``Execution``. When
    ``main`` returned, its leaks come from the continuations of the others
    (``leaks_after_main``, steps up to ``max_steps``); a bound that cuts one
    makes the execution incomplete (its leaks found stay): neither "no leak"
    nor "not every execution leaks" may be claimed past it. The same bound
    always cuts an execution of the search too (the continuation's steps may
    all come before ``main``'s return), so no exact answer is lost."""
    findings: list[Finding] = []
    end = st.end
    if cut is not None:
        kind = CUT
    elif end is None:
        blocked = [g for g in st.gs.values() if g.status != DONE]
        if blocked:
            kind = DEADLOCK
            findings.append(
                Finding(
                    FindingKind.DEADLOCK,
                    DEADLOCK_TEXT,
                    blocked=tuple((g.name, *machine.blocked_on(st, g)) for g in blocked),
                )
            )
        else:
            kind = OK
    elif end.kind == "cut":
        kind, cut = CUT, end.text
    elif end.kind == "main-exit":
        leaks, cuts = leaks_after_main(machine, st, max_steps, budget)
        findings.extend(leaks)
        cut = ", ".join(cuts) or None
        kind = OK if cut is None else CUT
    else:
        kind = PANIC if end.kind == "panic" else ASSERT
        findings.append(Finding(end.kind, end.text, end.g, end.line))
    final = FinalState({n: g.user_regs(st.vars) for n, g in st.gs.items()}, dict(st.vars))
    made = tuple((n, c.dataqsiz) for n, c in st.chans.items() if n not in machine.program.shared)
    return Execution(tuple(st.events), final, kind, tuple(findings), tuple(st.schedule), cut, key, made=made)


# A continuation's outcome: the (goroutine, what it waits on, line) stranded
# in some settled state, and the bounds that cut some continuation.
Settled = tuple[frozenset[tuple[str, str, int]], frozenset[str]]
_NOTHING: Settled = (frozenset(), frozenset())
# per machine (one per exploration): outcomes by state, and the reduced search's tables
Tables = tuple[dict[tuple, Settled], Footprints, dict[tuple, frozenset[str]]]
_SETTLED: weakref.WeakKeyDictionary[Machine, Tables] = weakref.WeakKeyDictionary()


def leaks_after_main(
    machine: Machine, st: State, max_steps: int | None = None, budget: Budget | None = None
) -> tuple[list[Finding], list[str]]:
    """The leaks of an execution that ended by ``main``'s return, and the
    bounds that make that answer inexact. A goroutine is leaked when some
    continuation of the goroutines left running strands it: goleak waits for
    them to settle (no goroutine can move) before it looks, so one that has
    merely not finished yet is not leaked. A continuation that panics or fails
    an assertion kills the process before anyone looks: it strands nothing.
    ``st`` itself (the final state, the registers) is left as it is."""
    if max_steps is None:
        max_steps = ExploreConfig().max_steps
    tables = _SETTLED.get(machine)
    if tables is None:
        tables = _SETTLED[machine] = ({}, Footprints(machine.program, machine.codes, machine.config), {})
    start = st.copy()
    start.end = None  # main is done; the others go on
    try:
        stranded, cuts = _settle(machine, start, max_steps, tables, budget)
    except _Spent as spent:  # the outcomes already in the tables are whole: they stay
        stranded, cuts = frozenset(), frozenset({str(spent)})
    return [Finding("leak", wait, g, line) for g, wait, line in sorted(stranded)], sorted(cuts)


class _Spent(Exception):
    """The run's budget ran out while the others went on after main's return."""


def _settle(machine: Machine, start: State, max_steps: int, tables: Tables, budget: Budget | None = None) -> Settled:
    """Every settled state of the continuations from ``start``: a depth-first
    search over machine states (not histories), each state's outcome computed
    once per exploration. Steps only grow, so the state graph is acyclic, and
    persistent sets preserve every state where nothing can move (Godefroid
    1996, th. 4.3): only the set of stranded goroutines matters here, never
    the interleavings that reach it."""
    memo, sets, positions = tables
    root = _state_key(start, max_steps)
    stack: list[tuple[tuple, State, list[tuple] | None]] = [(root, start, None)]
    visited = 0
    while stack:
        visited += 1
        # goroutines that start goroutines for ever make this search long: the budget holds here too
        if budget is not None and visited % 64 == 0 and (spent := budget.spent(reserve=0.1)):
            raise _Spent(spent)
        key, st, kids = stack[-1]
        if key in memo:
            stack.pop()
            continue
        if kids is None:
            choices = [] if st.end is not None else machine.candidates(st)
            if not choices or st.steps >= max_steps:
                memo[key] = _outcome(machine, st, choices, max_steps)
                stack.pop()
                continue
            if len(choices) > 1:
                choices = persistent(sets, st, choices, positions)
            kids = []
            stack[-1] = (key, st, kids)
            for c in choices:
                nxt = machine.step(st, c)
                k = _state_key(nxt, max_steps)
                kids.append(k)
                if k not in memo:
                    stack.append((k, nxt, None))
            continue
        stack.pop()
        memo[key] = (
            frozenset().union(*(memo[k][0] for k in kids)),
            frozenset().union(*(memo[k][1] for k in kids)),
        )
    return memo[root]


def _outcome(machine: Machine, st: State, choices: list[Choice], max_steps: int) -> Settled:
    """A continuation's last state: settled (who is stranded where), ended
    by a panic or failed assert (the process dies: nothing to look at), or
    cut by a bound."""
    if st.end is not None:
        return (frozenset(), frozenset({st.end.text})) if st.end.kind == "cut" else _NOTHING
    if choices:
        return frozenset(), frozenset({f"max-steps {max_steps}"})
    return frozenset((g.name, *machine.blocked_on(st, g)) for g in st.gs.values() if g.status != DONE), frozenset()


def _state_key(st: State, max_steps: int) -> tuple:
    """What a continuation's future depends on: every goroutine's position,
    registers and wait, the shared objects' values, buffers and queues, and
    the step count (for the step bound). Histories (event ids, the trace
    key's orders) are left out: states reached by different interleavings
    are one state here."""

    def goroutine(g: G) -> tuple:
        where = (g.status, g.code, g.pc, tuple(g.frames), g.stack_size, g.stack_used, g.defers, g.panicking)
        return (g.name, where, tuple(sorted(g.regs.items())), g.wait, g.wait_line, g.parked, g.pending)

    def chan(c: HChan) -> tuple:
        buffered = tuple(sorted((k, i.value) for k, i in c.buf.items()))
        queues = tuple((w.g, w.case, w.value) for w in c.recvq), tuple((w.g, w.case, w.value) for w in c.sendq)
        return (c.name, buffered, c.qcount, c.sendx, c.recvx, c.closed, queues)

    return (
        max_steps,
        st.steps,
        st.end,
        tuple(sorted(goroutine(g) for g in st.gs.values())),
        tuple(sorted(st.vars.items())),
        tuple(sorted(chan(c) for c in st.chans.values())),
        tuple(sorted((m, held[0]) for m, held in st.mutex.items())),
        tuple(sorted((w, v[0]) for w, v in st.wg.items())),
        tuple(sorted((o, v[0]) for o, v in st.once.items())),
        tuple(sorted(st.spawns.items())),
        tuple(sorted(st.maps.items())),  # a map's entries and who is writing it
        tuple(sorted(st.arrays.items())),  # the backing arrays made (the next one's name)
    )
