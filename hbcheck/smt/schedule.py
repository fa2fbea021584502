"""From a z3 execution to a run of the reference machine.

An execution is SC-realisable when program order, reads-from, the write
orders, from-reads, the critical-section order, the channel rules and the
order of each object's synchronising operations have no cycle; then some
interleaving of the machine produces it. The machine is searched for one:
depth first, each goroutine's next step ranked by where its next event sits
in a linear extension of those relations, and every step checked against
what the z3 execution says that goroutine does next (each value read or
received, each select case, each close, lock and ``go``). A parked
operation completes in its partner's step, as in the runtime, so the search
follows the machine rather than the event order. The run found must end as
the z3 execution does, with the same registers and variables: the symbolic
encoding is checked against the machine on every such execution rather than
trusted. Executions with a cycle are the weak ones (racy programs under a
non-SC model): they have no schedule.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence

import networkx as nx
import z3

from hbcheck.explore.execution import Execution
from hbcheck.explore.explorer import record
from hbcheck.language.check import Program
from hbcheck.machine import Machine, MachineConfig, State
from hbcheck.machine import events as mev
from hbcheck.machine.events import Event
from hbcheck.machine.machine import DEFAULT, PARK, Choice
from hbcheck.smt.snapshot import Snapshot
from hbcheck.smt.unfold import ChanOp, SEvent, Unfolding

SEARCH_BUDGET = 20_000  # machine steps one replay may try

Step = tuple  # what one event shows: ("R", x, 1), ("recv", c, 0, 0), ("select?",), ...


class WitnessMismatch(Exception):
    """No run of the machine does what a z3 execution says."""


class ReplayBudget(Exception):
    """The search for a run gave up (``SEARCH_BUDGET``): neither confirmed nor refuted."""


def sc_order(
    m: Snapshot,
    events: list[SEvent],
    relations: list[dict[tuple[int, int], z3.BoolRef]],
    queues: Sequence[Sequence[ChanOp]] = (),
) -> list[SEvent] | None:
    """The active events in an order extending every relation, or None if they
    have a cycle. ``queues``: each channel's sends, and its receives."""
    holds = m.true
    # a start is a node too (it carries the spawn edge to the new goroutine's
    # first event), though no step of its own: it is left out of the order
    active = {e.id: e for e in events if e.kind != mev.INIT_WRITE and holds(e.act)}
    # an RMW is one step: its write half is the node of its read half
    node = {i: (e.rmw_of if e.rmw_of is not None else i) for i, e in active.items()}
    graph = nx.DiGraph()
    graph.add_nodes_from(set(node.values()))
    by_g: dict[str, list[int]] = {}
    for e in active.values():
        by_g.setdefault(e.g, []).append(node[e.id])
    for ids in by_g.values():
        graph.add_edges_from((a, b) for a, b in itertools.pairwise(ids) if a != b)
    # the total order of synchronising events, where it matters: per object, save two atomic loads
    by_obj: dict[str, list[tuple[int, int]]] = {}
    for i, e in active.items():
        if e.time is not None and e.loc:
            by_obj.setdefault(e.loc, []).append((m.num(e.time), i))
    for timed in by_obj.values():
        for (ta, a), (tb, b) in itertools.combinations(sorted(timed), 2):
            pure_reads = (
                active[a].kind == active[b].kind == mev.ATOMIC and not active[a].writes and not active[b].writes
            )
            if ta < tb and node[a] != node[b] and not pure_reads:
                graph.add_edge(node[a], node[b])
    for rel in relations:
        for (a, b), cond in rel.items():
            if a in active and b in active and node[a] != node[b] and holds(cond):
                graph.add_edge(node[a], node[b])
    if not nx.is_directed_acyclic_graph(graph):
        return None
    # Ranking hints, not relations: the runtime serves parked senders (receivers)
    # of a channel first come, first served, so the begins go in their matches'
    # order. A hint that would make a cycle is dropped; the replay checks every step.
    for group in queues:
        begun = sorted((m.num(o.time), o.begin.id) for o in group if m.true(o.done) and o.begin.id in active)
        for (_ta, a), (_tb, b) in itertools.pairwise(begun):
            if node[a] != node[b] and not graph.has_edge(node[a], node[b]):
                graph.add_edge(node[a], node[b])
                if nx.has_path(graph, node[b], node[a]):
                    graph.remove_edge(node[a], node[b])
    return [active[i] for i in nx.lexicographical_topological_sort(graph) if active[i].kind != mev.START]


def z3_steps(
    m: Snapshot, u: Unfolding, order: list[SEvent], names: dict[str, str] | None = None
) -> dict[str, list[tuple[Step, float, SEvent]]]:
    """What each goroutine does in the z3 execution, in program order, each
    with its rank in ``order``; goroutines by their names in this execution
    (``names``: an instance named by when its go statement ran)."""
    names = names or {}
    value = m.num
    rank = {e.id: i for i, e in enumerate(order)}
    done_of = {o.end.id: o.done for o in u.chan_ops}
    out: dict[str, list[tuple[Step, float, SEvent]]] = {}
    for e in sorted(order, key=lambda e: e.id):
        step: Step | None
        match (e.kind, e.phase):
            case (mev.READ | mev.WRITE, _):
                step = (e.kind, e.loc, value(e.val))
            case (mev.ATOMIC, _):
                step = None if e.rmw_of is not None else ("A", e.loc, value(e.val))
            case (mev.SEND | mev.RECV, mev.BEGIN):
                step = (f"{e.kind}?", e.loc)
            case (mev.SELECT, mev.BEGIN):
                step = ("select?",)
            case (mev.SEND, mev.END):
                step = ("send", e.loc, value(e.val))
            case (mev.RECV, mev.END):
                got = m.true(done_of[e.id])
                step = ("recv", e.loc, value(e.val), 1) if got else ("recv", e.loc, 0, 0)
            case (mev.SELECT, mev.END):
                step = ("default",)
            case (mev.CLOSE, _):
                step = ("close", e.loc)
            case (mev.LOCK | mev.UNLOCK, _):
                step = (e.kind, e.loc)
            case (mev.GO, _):
                step = ("go", names.get(e.loc, e.loc))
            case (mev.WG_ADD | mev.WG_DONE, _):
                step = ("wg-add", e.loc, value(e.val))
            case (mev.WG_WAIT, _):
                step = ("wg-wait", e.loc)
            case (mev.ONCE, _):
                step = ("once?" if e.phase == mev.BEGIN else "once", e.loc)
            case (mev.CHOOSE, _):
                step = ("rand", value(e.val))
            case _:
                step = None
        if step is not None:
            where = rank.get(e.rmw_of if e.rmw_of is not None else e.id, math.inf)
            out.setdefault(names.get(e.g, e.g), []).append((step, where, e))
    return out


def _number(v: int | str, chan_ids: dict[str, int]) -> int:
    """A machine value as z3 has it: a channel (its name on the machine) as its number (-1: none)."""
    return chan_ids.get(v, -1) if isinstance(v, str) else v


def machine_step(e: Event, chan_ids: dict[str, int] | None = None) -> Step | None:
    """What a machine event shows, in the terms of ``z3_steps``: a channel
    value (the machine's is the channel's name) as its number in z3 (-1: none)."""
    k, end = e.kind, e.phase == mev.END
    if isinstance(e.value, str):
        e = dataclasses.replace(e, value=_number(e.value, chan_ids or {}))
    if k in (mev.READ, mev.WRITE):
        return (k, e.obj, e.value)
    if k == mev.ATOMIC:
        return ("A", e.obj, e.value if e.op in ("Load", "Store") else e.old)
    if k in (mev.SEND, mev.RECV) and e.phase == mev.BEGIN:
        return (f"{k}?", e.obj or "")
    if k == mev.SELECT and e.phase == mev.BEGIN:
        return ("select?",)
    if k == mev.SELECT and end and e.case == DEFAULT:
        return ("default",)
    if k in (mev.SEND, mev.RECV, mev.SELECT) and end:
        op = e.op if k == mev.SELECT else k
        return ("send", e.obj, e.value) if op == mev.SEND else ("recv", e.obj, e.value, e.ok)
    if k == mev.CLOSE and end:
        return ("close", e.obj)
    if k in (mev.LOCK, mev.UNLOCK):
        return (k, e.obj)
    if k == mev.GO:
        return ("go", e.obj)
    if k in (mev.WG_ADD, mev.WG_DONE):
        return ("wg-add", e.obj, e.value)
    if k == mev.WG_WAIT:
        return ("wg-wait", e.obj)
    if k == mev.ONCE:
        return ("once" if end else "once?", e.obj)
    if k == mev.CHOOSE:
        return ("rand", e.value)
    return None


def replay(
    program: Program,
    unroll: int,
    u: Unfolding,
    m: Snapshot,
    order: list[SEvent],
    finals: dict[str, z3.BitVecRef],
    names: dict[str, str] | None = None,
) -> Execution:
    """A run of the machine doing what the z3 execution does, as the
    explicit engine records it. Raises ``WitnessMismatch`` when the machine
    has none, ``ReplayBudget`` when the search gave up."""
    names = names or {}
    want = z3_steps(m, u, order, names)
    machine = Machine(program, MachineConfig(unroll=unroll))
    value = m.num

    def ranked(st: State, at: dict[str, int]) -> list[Choice]:
        def key(c: Choice) -> tuple:
            steps = want.get(c.g, [])
            r = steps[at.get(c.g, 0)][1] if at.get(c.g, 0) < len(steps) else math.inf
            return (r, c.alt is not None and c.alt <= PARK)

        return sorted(machine.enabled(st), key=key)

    def advance(events: list[Event], at: dict[str, int]) -> tuple[dict[str, int], str | None]:
        """Each goroutine's place in its steps after ``events``, or why they are not z3's."""
        moved = dict(at)
        for e in events:
            got = machine_step(e, u.chan_ids)
            if got is None:
                continue
            steps, i = want.get(e.g, []), moved.get(e.g, 0)
            if i >= len(steps):
                return moved, f"{e.g} line {e.line} does {_show(got)} on the machine, nothing more in z3"
            if steps[i][0] != got:
                return moved, f"{e.g} line {e.line} does {_show(got)} on the machine, {_show(steps[i][0])} in z3"
            moved[e.g] = i + 1
        return moved, None

    deepest: tuple[int, str] = (-1, "")
    seen: set[tuple] = set()
    tried = 0
    # the initial state runs each goroutine's local code: a captured variable's
    # declaration there is a write already
    first = machine.initial()
    start, problem = advance(first.events, {})
    if problem is not None:
        raise WitnessMismatch(problem)
    # a state to expand (choice None), or a step still to take from it: children are
    # stepped only when the search reaches them, so a run z3 ranked right costs its length
    stack: list[tuple[State, dict[str, int], Choice | None]] = [(first, start, None)]
    while stack:
        st, at, c = stack.pop()
        if c is None:
            key = st.trace_key()
            if key in seen:
                continue
            seen.add(key)
            choices = machine.enabled(st)
            if st.end is not None or not choices:
                problem = _finished(st, at, want, finals, program, u, value, names)
                if problem is None:
                    return record(machine, st, key)
                deepest = max(deepest, (st.steps, problem))
                continue
            stack.extend((st, at, c) for c in reversed(ranked(st, at)))
            continue
        tried += 1
        if tried > SEARCH_BUDGET:
            raise ReplayBudget(f"no run found within {SEARCH_BUDGET} machine steps")
        before = len(st.events)
        nxt = machine.step(st, c)
        moved, problem = advance(nxt.events[before:], at)
        if problem is None:
            stack.append((nxt, moved, None))
        else:
            deepest = max(deepest, (nxt.steps, problem))
    raise WitnessMismatch(deepest[1] or "no run of the machine")


def _finished(st, at, want, finals, program: Program, u: Unfolding, value, names: dict[str, str]) -> str | None:
    """Why a finished run is not the z3 execution, or None if it is."""
    if st.end is not None and st.end.kind != "main-exit":
        return f"the machine's run ends in {st.end.kind} ({st.end.text}) at {st.end.g} line {st.end.line}"
    for g, steps in want.items():
        if at.get(g, 0) < len(steps):
            step, _r, e = steps[at.get(g, 0)]
            return f"{g} line {e.line} does {_show(step)} in z3, and the machine's run never does"
    # every goroutine's registers: where main returned first, those it had then
    for own, regs in u.regs.items():
        g = names.get(own, own)
        if g not in st.gs:
            continue
        got = st.gs[g].user_regs(st.vars)
        for reg, v in regs.items():
            if _number(got.get(reg, 0), u.chan_ids) != value(v):
                return f"{g}:{reg} is {got.get(reg, 0)} on the machine, {value(v)} in z3"
    for var, v in finals.items():
        if st.vars.get(var) != value(v):
            return f"{var} is {st.vars.get(var)} at the end on the machine, {value(v)} in z3"
    return None


def _show(step: Step) -> str:
    match step:
        case ("R" | "W", x, v):
            return f"{'read' if step[0] == 'R' else 'write'} {x}={v}"
        case ("recv", c, v, ok):
            return f"receive {v} from {c}" if ok else f"receive from closed {c}"
        case ("send", c, v):
            return f"send {v} on {c}"
        case _:
            return " ".join(str(s) for s in step if s != "")
