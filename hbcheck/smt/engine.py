"""The symbolic engine: every execution of the unrolled program that the
model allows, as z3 models (docs/engines.md).

Reads-from, the order of writes per variable and the SC order of atomics are
variables; the model file is compiled over them. UNSAT proves (Never, Always,
no race, no panic) within the bound; SAT gives a witness; counts enumerate
models projected on the execution's choices (reads-from and write orders),
which is what the explicit engine's classes are for memory-only programs.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

import z3

from hbcheck.budget import Budget
from hbcheck.explore.execution import DEADLOCK_TEXT, RACE_FLAGS, Execution, Finding
from hbcheck.language.check import Program
from hbcheck.models import Model
from hbcheck.smt.cat2z3 import Compiler, Rel, all_of, and2, and_, any_of, implies, or_
from hbcheck.smt.interrupt import check_within, watch_for_ctrl_c
from hbcheck.smt.schedule import ReplayBudget, replay, sc_order
from hbcheck.smt.snapshot import Reader, Snapshot
from hbcheck.smt.unfold import (
    NO_STOP,
    Blocked,
    ChanOp,
    CloseOp,
    MutexOp,
    OnceOp,
    Select,
    SEvent,
    Unfolding,
    Unsupported,
    WgOp,
    unfold,
)
from hbcheck.smt.witness import weak_execution
from hbcheck.verdict.condition import Location, locations, show_location
from hbcheck.verdict.outcome import TestResult, caps_of, possible_observations

ENUMERATION_LIMIT = 20_000


@dataclass
class SmtAnswer:
    result: TestResult | None
    reason: str | None = None  # why there is no result: an unsupported construct, a timeout
    seconds: float = 0.0
    replayed: int = 0  # SC-realisable executions the machine ran to the same values
    weak: int = 0  # executions with no SC schedule
    unconfirmed: int = 0  # SC-realisable executions the replay search gave up on
    witness: Execution | None = None  # an execution satisfying the condition (one with a schedule if any has)
    runs: list[Execution] = field(default_factory=list)  # with ``keep_runs``: every execution enumerated
    proved: str | None = None  # "Never" or "Always" when an UNSAT query proves it
    # False past ``count_limit``: the counts are then lower bounds (distinct
    # executions found), the states and verdict still exact
    counted: bool = True


def solve(
    program: Program,
    model: Model,
    unroll: int = 8,
    timeout_ms: int = 60_000,
    keep_runs: bool = False,
    count_limit: int = ENUMERATION_LIMIT,
    budget: Budget | None = None,
) -> SmtAnswer:
    """``keep_runs``: keep every normally ending execution as a record (for
    reports). ``count_limit``: past that many executions, stop counting and
    enumerate the remaining states only, one model each. ``budget``: the
    test's, which every query shares (each query also has ``timeout_ms``)."""
    start = time.perf_counter()
    watch_for_ctrl_c()
    budget = budget or Budget()
    try:
        if spent := budget.spent():  # the explorer may have spent it all
            raise _Timeout(f"{spent} hit")
        u = unfold(program, unroll)
        return _Engine(program, model, u, timeout_ms, unroll, budget).run(start, keep_runs, count_limit)
    except Unsupported as exc:
        return SmtAnswer(None, str(exc), time.perf_counter() - start)
    except _Timeout as exc:
        return SmtAnswer(None, str(exc), time.perf_counter() - start)


class _Timeout(Exception):
    """z3 stops: its message is the reason the answer shows (a query's
    timeout, or the test's budget spent)."""


class _Engine:
    def __init__(
        self, program: Program, model: Model, u: Unfolding, timeout_ms: int, unroll: int, budget: Budget
    ) -> None:
        self.p, self.model, self.u = program, model, u
        self.unroll = unroll
        self.ev = u.events
        self.timeout_ms = timeout_ms
        self.budget = budget
        self.rf: dict[tuple[int, int], z3.BoolRef] = {}
        self.co: dict[tuple[int, int], z3.BoolRef] = {}
        self.pos: dict[int, z3.ArithRef] = {}
        self.structural: list[z3.BoolRef] = []
        self.choices: list[z3.ExprRef] = []  # what an execution is: events, rf, write orders, FIFO places, lock order
        self.caps = caps_of(program)
        kinds = ("spawn", "chan-send", "chan-close", "chan-unbuf", "chan-cap", "wg", "once")
        self.sync: dict[str, Rel] = {k: {} for k in kinds}
        self.lock_rel: Rel = {}
        # orders the replay needs that no model relation carries: a woken sender's
        # begin -> the close that woke it; a select that took default and the
        # operations on its channels, in time order
        self.replay_order: Rel = {}
        self.fifo: dict[int, z3.ArithRef] = {}  # a channel operation's end event -> its FIFO place
        self.quiet: list[z3.BoolRef] = []  # no waiting operation could still run: a final state
        self.shared: z3.Solver | None = None
        self.chains: list[list[int]] = []  # each goroutine's events in program order

    # ---- the candidate executions
    def build(self) -> None:
        ev = self.ev
        self.choices.extend(e.act for e in ev if e.kind != "IW")
        by_loc: dict[str, list[SEvent]] = {}
        for e in ev:
            if e.reads or e.writes:
                by_loc.setdefault(e.loc, []).append(e)
        for loc, es in by_loc.items():
            writes = [e for e in es if e.writes]
            reads = [e for e in es if e.reads]
            for w in writes:
                self.pos[w.id] = z3.Int(f"pos{w.id}")
                if w.kind == "IW":
                    self.structural.append(self.pos[w.id] == 0)
                else:
                    self.structural.append(self.pos[w.id] >= 1)
            for a, b in combinations(writes, 2):
                self.structural.append(implies(and_(a.act, b.act), self.pos[a.id] != self.pos[b.id]))
                self.co[(a.id, b.id)] = and_(a.act, b.act, self.pos[a.id] < self.pos[b.id])
                self.co[(b.id, a.id)] = and_(a.act, b.act, self.pos[b.id] < self.pos[a.id])
                self.choices.append(self.co[(a.id, b.id)])
            for r in reads:
                options = []
                for w in writes:
                    if w.id == r.id or w.rmw_of == r.id:
                        continue
                    b = z3.Bool(f"rf{w.id}_{r.id}")
                    self.rf[(w.id, r.id)] = b
                    self.structural.append(implies(b, and_(w.act, r.act, r.val == w.val)))
                    options.append(b)
                    self.choices.append(b)
                self.structural.append(implies(r.act, z3.PbEq([(o, 1) for o in options], 1)))
                self.structural.append(implies(z3.Not(r.act), all_of([z3.Not(o) for o in options])))
            if loc in self.u.atomic_vars:
                self._sc_atomics(writes, reads)
        self._times()
        for chan in sorted({op.chan for op in self.u.chan_ops if op.chan} | {k.chan for k in self.u.closes}):
            self._channel(chan)
        for sel in self.u.selects:
            self._select(sel)
        self._mutexes()
        self._waitgroups()
        self._onces()
        self._waiting()
        self._instance_names()

    def _instance_names(self) -> None:
        """A function started by several goroutines (or by a go statement that
        may run without the one before) names its instances f, f#2, ... in the
        order their go statements run, as the machine does: each instance's
        rank is one more than the go statements of f that ran before its own."""
        self.rank: dict[str, z3.ArithRef] = {}  # an instance's own name -> its rank
        self.instance_of: dict[str, tuple[str, SEvent, int]] = {}  # -> (function, go event, instances)
        for f, sites in self.u.dynamic.items():
            for (_a, a), (_b, b) in combinations(sites, 2):
                self.structural.append(implies(and_(a.act, b.act), a.time != b.time))
                self.choices.append(and_(a.act, b.act, a.time < b.time))  # which instance is which
                # the names follow that order, so a run of the machine must too: an
                # execution that needs the go statements the other way round has no
                # schedule under these names (a weak one, if the model allows it)
                _add(self.replay_order, (a.id, b.id), and_(a.act, b.act, a.time < b.time))
                _add(self.replay_order, (b.id, a.id), and_(a.act, b.act, b.time < a.time))
            for name, go in sites:
                earlier = [z3.If(and_(o.act, o.time < go.time), 1, 0) for other, o in sites if other != name]
                self.rank[name] = 1 + z3.Sum(earlier) if earlier else z3.IntVal(1)
                self.instance_of[name] = (f, go, len(sites))

    def named(self, g: str) -> list[tuple[str, z3.BoolRef]]:
        """The names a goroutine may have, each with when it has it."""
        if g not in self.instance_of:
            return [(g, z3.BoolVal(True))]
        f, _go, n = self.instance_of[g]
        return [(f if k == 1 else f"{f}#{k}", self.rank[g] == k) for k in range(1, n + 1)]

    def names(self, m: Snapshot) -> dict[str, str]:
        """Each started instance's name in one execution."""
        out = {}
        for g, (f, go, _n) in self.instance_of.items():
            if m.true(go.act):
                k = m.num(self.rank[g])
                out[g] = f if k == 1 else f"{f}#{k}"
        return out

    def _times(self) -> None:
        """One total order of the synchronising events, consistent with program order."""
        timed = [e for e in self.ev if e.time is not None]
        by_g: dict[str, list[SEvent]] = {}
        for e in timed:
            self.structural.append(e.time >= 0)
            by_g.setdefault(e.g, []).append(e)
        # Events that share a time happen at the first one's place in program
        # order: every case of a select completes at the select, so a step in one
        # case's body comes after the next case's end, not before it.
        place: dict[int, int] = {}
        for e in timed:
            place.setdefault(e.time.get_id(), e.id)
        for es in by_g.values():
            es.sort(key=lambda e: (place[e.time.get_id()], e.id))
            for a, b in combinations(es, 2):
                if not a.time.eq(b.time):
                    self.structural.append(implies(and_(_at(a), _at(b)), a.time < b.time))
        atomics = [e for e in timed if e.kind == "A" and e.rmw_of is None]
        for a, b in combinations(atomics, 2):
            self.structural.append(implies(and_(a.act, b.act), a.time != b.time))
        for go, start in self.u.spawns:
            self.structural.append(implies(go.act, go.time < start.time))
            _add(self.sync["spawn"], (go.id, start.id), go.act)

    # per channel: counts of completed operations before a time
    def _count(self, ops: list[ChanOp], t: z3.ArithRef) -> z3.ArithRef:
        return z3.Sum([z3.If(and_(o.done, o.time < t), 1, 0) for o in ops]) if ops else z3.IntVal(0)

    def _closed_before(self, chan: str, t: z3.ArithRef) -> z3.BoolRef:
        return any_of([and_(k.event.act, k.event.time < t) for k in self.u.closes if k.chan == chan])

    def _closed(self, chan: str) -> z3.BoolRef:
        return any_of([k.event.act for k in self.u.closes if k.chan == chan])

    def _channel(self, chan: str) -> None:
        """Go's channel as one FIFO in the total order: the k-th receive gets the
        k-th send, a send completes only while fewer than C values are buffered
        (unbuffered: together with its receive), nothing is sent after the close,
        and a receive returns because of the close only when every value is taken."""
        cap = self.caps[chan]
        ops = [o for o in self.u.chan_ops if o.chan == chan]
        sends = [o for o in ops if o.kind == "send"]
        recvs = [o for o in ops if o.kind == "recv"]
        closes = [k for k in self.u.closes if k.chan == chan]
        s_ = self.structural
        # closes: the first one closes, the others panic
        for k in closes:
            earlier = any_of([and_(k2.reach, k2.event.time < k.event.time) for k2 in closes if k2 is not k])
            s_.append(implies(k.reach, k.ok == z3.Not(earlier)))
            for o in ops:
                s_.append(implies(and_(k.reach, o.end.act), k.event.time != o.time))
        for a, b in combinations(closes, 2):
            s_.append(implies(and_(a.reach, b.reach), a.event.time != b.event.time))
        # distinct places in the order (an unbuffered send and its receive share one)
        for a, b in combinations(ops, 2):
            if a.time.eq(b.time):
                continue
            if cap > 0 or a.kind == b.kind:
                s_.append(implies(and_(a.end.act, b.end.act), a.time != b.time))
        # FIFO places: the completed sends (receives with a value) are numbered 0, 1, ... in time order
        pos = {id(o): z3.Int(f"fifo{o.end.id}") for o in ops}
        self.fifo.update({o.end.id: pos[id(o)] for o in ops})
        for group in (sends, recvs):
            total = z3.Sum([z3.If(o.done, 1, 0) for o in group]) if group else z3.IntVal(0)
            for o in group:
                s_.append(implies(o.done, and_(pos[id(o)] >= 0, pos[id(o)] < total)))
            for a, b in combinations(group, 2):
                s_.append(implies(and_(a.done, b.done), (pos[id(a)] < pos[id(b)]) == (a.time < b.time)))
                s_.append(implies(and_(a.done, b.done), pos[id(a)] != pos[id(b)]))
        closed_any = self._closed(chan)
        for s in sends:
            s_.append(implies(s.done, z3.Not(self._closed_before(chan, s.time))))
            if cap > 0:  # the (k+C)-th send completes after the k-th receive
                earlier = [and_(r.done, pos[id(r)] == pos[id(s)] - cap, r.time < s.time) for r in recvs]
                s_.append(implies(and_(s.done, pos[id(s)] >= cap), any_of(earlier)))
            if s.failure is not None and s.resumes is not None and s.select is None:
                at_once = self._closed_before(chan, s.time)
                s_.append(s.failure.cond == and_(s.reach, z3.Not(s.done), closed_any, or_(at_once, s.resumes)))
                self._parked_before_close(s, and_(s.reach, z3.Not(s.done), z3.Not(s.failure.cond)))
            self.choices.append(z3.If(s.done, pos[id(s)], -1))
        for r in recvs:
            matches = []
            for s in sends:
                if s.g == r.g and s.select is not None and s.select is r.select:
                    continue
                if cap > 0:
                    m = and_(s.done, r.done, pos[id(s)] == pos[id(r)])
                    s_.append(implies(m, s.time < r.time))
                else:
                    m = and_(s.done, r.done, s.time == r.time)
                    if s.g == r.g or (_nonblocking(s) and _nonblocking(r)):
                        s_.append(z3.Not(m))  # a goroutine does not meet itself; two defaults never meet
                        continue
                    _add(self.sync["chan-unbuf"], (r.begin.id, s.end.id), m)
                    s_.append(implies(m, or_(self._may_wait(s), self._may_wait(r))))
                s_.append(implies(m, r.val == s.val))
                _add(self.sync["chan-send"], (s.begin.id, r.end.id), m)
                matches.append(m)
            s_.append(implies(r.done, any_of(matches)))
            # returned because of the close: closed, and every value sent was received before
            drained = all_of([implies(r2.done, r2.time < r.time) for r2 in recvs if r2 is not r])
            if sends and cap > 0:
                n_sent = z3.Sum([z3.If(s.done, 1, 0) for s in sends])
                drained = and_(drained, z3.Sum([z3.If(r2.done, 1, 0) for r2 in recvs]) == n_sent)
            s_.append(implies(r.closed, and_(self._closed_before(chan, r.time), drained, z3.Not(r.done))))
            for k in closes:
                _add(self.sync["chan-close"], (k.event.id, r.end.id), and_(k.event.act, r.closed))
            self.choices.extend([z3.If(r.done, pos[id(r)], -1), r.closed])
        if cap == 0:
            for s in sends:
                matches = [
                    and_(r.done, r.time == s.time)
                    for r in recvs
                    if r.g != s.g and not (_nonblocking(s) and _nonblocking(r))
                ]
                s_.append(implies(s.done, any_of(matches)))
        else:
            for r in recvs:
                for s in sends:
                    cond = and_(r.done, s.done, pos[id(s)] == pos[id(r)] + cap)
                    _add(self.sync["chan-cap"], (r.begin.id, s.end.id), cond)

    def _ready(self, op: ChanOp, t: z3.ArithRef | None) -> z3.BoolRef:
        """Could ``op`` run now (at time ``t``), or at the end (``t`` None), for what its channel holds?
        (A waiting partner on an unbuffered channel is handled pairwise: see ``_waiting``.)"""
        if op.chan is None:
            return z3.BoolVal(False)
        chan, cap = op.chan, self.caps[op.chan]
        ops = [o for o in self.u.chan_ops if o.chan == chan]
        sends = [o for o in ops if o.kind == "send"]
        recvs = [o for o in ops if o.kind == "recv"]
        if t is None:
            closed = self._closed(chan)
            count = z3.Sum([z3.If(o.done, 1, 0) for o in sends]) - z3.Sum([z3.If(o.done, 1, 0) for o in recvs])
        else:
            closed = self._closed_before(chan, t)
            count = self._count(sends, t) - self._count(recvs, t)
        if cap == 0:
            return closed
        return or_(closed, count > 0 if op.kind == "recv" else count < cap)

    def _parked_before_close(self, op: ChanOp, parked: z3.BoolRef) -> None:
        """A sender still parked on a channel that was closed: it parked before the
        close, which woke it, and did not run again (main returned first). The
        replay needs that order; no model relation carries it."""
        for k in self.u.closes:
            if k.chan == op.chan:
                _add(self.replay_order, (op.begin.id, k.event.id), and_(parked, k.event.act))

    def _woken_by(self, op: ChanOp, ops: list[ChanOp]) -> list[tuple[CloseOp, z3.BoolRef]]:
        """Each close that may have woken ``op`` (a send, or a select's send
        case; ``ops``: all it waits on), with when it did: it came after the
        try, the first close of any of those channels since, with nothing
        completed on them in between nor at the time of the try (a receive
        then would have taken a parked sender), and no channel the select
        receives from was closed by then (closechan releases the receivers
        first: the select would have returned from that case). Stricter than
        the runtime, where other operations may come and go meanwhile: z3 may
        miss such an execution, never add one."""
        chans = {o.chan for o in ops}
        others = [o for o in self.u.chan_ops if o.chan in chans and o not in ops]
        receiving = {o.chan for o in ops if o.kind == "recv"}
        out = []
        for k in self.u.closes:
            if k.chan != op.chan:
                continue
            t = k.event.time
            # an earlier close of one of its channels since the try (of one it
            # receives from: this one included) woke it first
            between = [
                and_(k2.event.act, op.time <= k2.event.time, (k2.event.time <= t) if r else (k2.event.time < t))
                for k2 in self.u.closes
                if k2.chan in chans and ((r := k2.chan in receiving) or k2 is not k)
            ]
            cond = and_(
                k.event.act,
                op.time < t,
                *[z3.Not(and_(o.done, op.time <= o.time, o.time < t)) for o in others],
                *[z3.Not(c) for c in between],
            )
            out.append((k, cond))
        return out

    def _default_in_order(self, sel: Select) -> None:
        """A select takes default at one instant of its channels' order: never
        at the time of an operation on one of them (which would then be on
        neither side of it), and the replay runs it between the two sides."""
        end = sel.default_end
        assert end is not None
        took = end.act
        chans = {o.chan for o in sel.cases if o.chan is not None}
        others = [(o.end, o.end.act) for o in self.u.chan_ops if o.chan in chans and o.select is not sel]
        others += [(k.event, k.reach) for k in self.u.closes if k.chan in chans]
        for e, happened in others:
            both = and_(took, happened)
            self.structural.append(implies(both, sel.time != e.time))
            _add(self.replay_order, (end.id, e.id), and_(both, sel.time < e.time))
            _add(self.replay_order, (e.id, end.id), and_(both, e.time < sel.time))

    def _may_wait(self, op: ChanOp) -> z3.BoolRef:
        """Could ``op`` have been parked when its unbuffered partner came? A
        plain operation could; a select only if none of its other cases could
        run then (a parked select is woken by the first case that can, and
        ``default`` never parks). One side of every hand-off was parked."""
        sel = op.select
        if sel is None:
            return z3.BoolVal(True)
        if sel.default is not None:
            return z3.BoolVal(False)
        return all_of([z3.Not(self._ready(o, sel.time)) for o in sel.cases if o is not op])

    def _select(self, sel: Select) -> None:
        s_ = self.structural
        outcomes = [or_(o.done, o.closed) for o in sel.cases]
        if sel.default is not None:
            outcomes.append(and_(sel.reach, sel.default))
            for op, p in sel.panics:
                s_.append(implies(p, and_(sel.reach, self._closed_before(op.chan, sel.time))))  # type: ignore[arg-type]
                outcomes.append(p)
            s_.append(implies(sel.reach, z3.PbEq([(o, 1) for o in outcomes], 1)))
            s_.append(
                implies(and_(sel.reach, sel.default), all_of([z3.Not(self._ready(o, sel.time)) for o in sel.cases]))
            )
            self._default_in_order(sel)
        else:
            s_.append(z3.PbLe([(o, 1) for o in outcomes], 1))
            none = and_(sel.reach, z3.Not(any_of(outcomes)))
            # a waiting select panics once, on one of its send cases whose channel is closed (selectgo's sclose)
            closed = [self._closed(op.chan) for op, _ in sel.panics]  # type: ignore[arg-type]
            for (_, p), c in zip(sel.panics, closed, strict=True):
                s_.append(implies(p, and_(none, c)))
            # closed when it polled: it panics at once; closed after it parked: when it next runs
            at_once = any_of([self._closed_before(op.chan, sel.time) for op, _ in sel.panics])  # type: ignore[arg-type]
            woken_runs = or_(at_once, sel.resumes) if sel.resumes is not None else z3.BoolVal(True)
            panicked = any_of([p for _, p in sel.panics])
            s_.append(panicked == and_(none, any_of(closed), woken_runs))
            s_.append(z3.PbLe([(p, 1) for _, p in sel.panics], 1))
            for op, _ in sel.panics:
                self._parked_before_close(op, and_(none, z3.Not(panicked)))

    def _mutexes(self) -> None:
        """A mutex in the total order: Lock only when it is free, Unlock only when it is held."""
        by_m: dict[str, list[MutexOp]] = {}
        for m in self.u.mutex_ops:
            by_m.setdefault(m.mutex, []).append(m)
        self.held_end: dict[str, z3.ArithRef] = {}
        for name, ops in by_m.items():
            locks = [o for o in ops if o.kind == "lock"]
            unlocks = [o for o in ops if o.kind == "unlock"]

            def held(t: z3.ArithRef | None, locks=locks, unlocks=unlocks) -> z3.ArithRef:
                def n(xs: list[MutexOp]) -> z3.ArithRef:
                    cond = (lambda o: o.done) if t is None else (lambda o: and_(o.done, o.event.time < t))
                    return z3.Sum([z3.If(cond(o), 1, 0) for o in xs]) if xs else z3.IntVal(0)

                return n(locks) - n(unlocks)

            for a, b in combinations(ops, 2):
                self.structural.append(implies(and_(a.reach, b.reach), a.event.time != b.event.time))
            for lk in locks:
                self.structural.append(implies(lk.done, held(lk.event.time) == 0))
            for ul in unlocks:
                self.structural.append(ul.done == and_(ul.reach, held(ul.event.time) == 1))
                for lk in locks:
                    _add(
                        self.lock_rel,
                        (ul.event.id, lk.event.id),
                        and_(ul.done, lk.done, ul.event.time < lk.event.time),
                    )
            for a, b in combinations(locks, 2):
                self.choices.append(and_(a.done, b.done, a.event.time < b.event.time))
            self.held_end[name] = held(None)

    def _waitgroups(self) -> None:
        """A WaitGroup's counter in the total order: an Add or Done that would
        make it negative panics, a Wait returns only when it is zero, and the
        Done calls (or an Add reaching zero) since it last rose from zero
        happen before the Waits they release."""
        by_wg: dict[str, list[WgOp]] = {}
        for o in self.u.wg_ops:
            by_wg.setdefault(o.wg, []).append(o)
        self.wg_final: dict[str, z3.BitVecRef] = {}
        zero = z3.BitVecVal(0, 64)
        for name, ops in by_wg.items():
            adds = [o for o in ops if o.kind == "add"]
            waits = [o for o in ops if o.kind == "wait"]

            def before(t: z3.ArithRef, adds=adds) -> z3.BitVecRef:
                return sum((z3.If(and_(a.done, a.event.time < t), a.delta, zero) for a in adds), zero)

            for a, b in combinations(ops, 2):
                self.structural.append(implies(and_(_at(a.event), _at(b.event)), a.event.time != b.event.time))
                if "add" in (a.kind, b.kind):
                    self.choices.append(and_(a.done, b.done, a.event.time < b.event.time))
            for a in adds:
                self.structural.append(implies(a.reach, a.done == (before(a.event.time) + a.delta >= 0)))
            for w in waits:
                self.structural.append(implies(w.done, before(w.event.time) == 0))
                for d in adds:
                    rises = [
                        and_(
                            a.done,
                            d.event.time < a.event.time,
                            a.event.time < w.event.time,
                            before(a.event.time) == 0,
                            a.delta > 0,
                        )
                        for a in adds
                        if a is not d
                    ]
                    releases = or_(d.delta < 0, before(d.event.time) + d.delta == 0)
                    cond = and_(d.done, w.done, d.event.time < w.event.time, releases, z3.Not(any_of(rises)))
                    _add(self.sync["wg"], (d.event.id, w.event.id), cond)
            self.wg_final[name] = sum((z3.If(a.done, a.delta, zero) for a in adds), zero)

    def _onces(self) -> None:
        """One Do of each once runs f; every other returns after f did (the
        ``once`` edge), or waits for ever if f never returns."""
        by_once: dict[str, list[OnceOp]] = {}
        for o in self.u.once_ops:
            by_once.setdefault(o.once, []).append(o)
        self.once_done: dict[str, z3.BoolRef] = {}
        s_ = self.structural
        for name, ops in by_once.items():
            s_.append(z3.PbLe([(o.first, 1) for o in ops], 1))
            for o in ops:
                others = [p for p in ops if p is not o]
                s_.append(implies(o.first, and_(o.reach, z3.Not(o.done))))
                s_.append(implies(o.reach, or_(o.first, any_of([p.first for p in others]))))
                after = [and_(p.first, p.end.act, p.end.time < o.begin.time) for p in others]
                s_.append(implies(o.done, and_(o.reach, any_of(after))))
                for p in others:
                    _add(self.sync["once"], (p.end.id, o.waited.id), and_(p.first, p.end.act, o.waited.act))
            timed = [e for o in ops for e in (o.begin, o.end)]
            for a, b in combinations(timed, 2):
                s_.append(implies(and_(a.act, b.act), a.time != b.time))
            self.once_done[name] = any_of([and_(o.first, o.end.act) for o in ops])

    def _waiting(self) -> None:
        """A final state: every operation a goroutine waits at could not run.
        Partners parked at once on the two sides of an unbuffered channel would
        have met: a sender or select a close woke was parked only until that
        close (closechan marks it done, so a partner that comes later skips it:
        runtime/chan.go's dequeue)."""
        parked_until: dict[int, list[tuple[z3.ArithRef | None, z3.BoolRef]]] = {}
        for b in self.u.blocked:
            if b.mutex is not None:
                self.quiet.append(implies(b.waiting, self.held_end[b.mutex] == 1))
            elif b.wg is not None:
                self.quiet.append(implies(b.waiting, self.wg_final[b.wg] != 0))
            elif b.once is not None:
                self.quiet.append(implies(b.waiting, z3.Not(self.once_done[b.once])))
            else:
                cannot = all_of([z3.Not(self._ready(o, None)) for o in b.ops])
                # or a sender a close woke, stopped before it ran again (main returned):
                # it parked, so nothing could run when it tried
                parked = all_of([z3.Not(self._ready(o, o.time)) for o in b.ops])
                wakes = [
                    (k.event.time, and_(b.waiting, z3.Not(o.resumes), parked, cond))
                    for o in b.ops
                    if o.resumes is not None
                    for k, cond in self._woken_by(o, b.ops)
                ]
                self.quiet.append(implies(b.waiting, or_(cannot, *[w for _t, w in wakes])))
                # parked from its try until the close that woke it, or to the end
                parked_until[id(b)] = [(None, and_(b.waiting, z3.Not(any_of([w for _t, w in wakes])))), *wakes]
        sides: dict[str, list[tuple[Blocked, ChanOp]]] = {}
        for b in self.u.blocked:
            for o in b.ops:
                if o.chan is not None and self.caps[o.chan] == 0:
                    sides.setdefault(o.chan, []).append((b, o))
        for pairs in sides.values():
            for (b1, o1), (b2, o2) in combinations(pairs, 2):
                if o1.kind == o2.kind or b1.g == b2.g:
                    continue
                # two parked at once on the two sides would have met
                for e1, c1 in parked_until[id(b1)]:
                    for e2, c2 in parked_until[id(b2)]:
                        overlap = [o1.time < e2] if e2 is not None else []
                        overlap += [o2.time < e1] if e1 is not None else []
                        self.quiet.append(z3.Not(and_(c1, c2, *overlap)))

    def _sc_atomics(self, writes: list[SEvent], reads: list[SEvent]) -> None:
        """Atomics are sequentially consistent: one total order of all of them,
        an atomic read that reads an atomic write reading the latest one before
        it, an RMW's write right after its read. On a variable also accessed
        plainly, a read may read a plain write instead (the model decides which)
        and the plain writes take any place in the write order the model allows."""
        timed = [w for w in writes if w.kind in ("A", "IW")]
        mixed = len(timed) < len(writes) or any(r.kind != "A" for r in reads)
        for r in reads:
            if r.kind != "A":
                continue
            for w in timed:
                if (w.id, r.id) not in self.rf:
                    continue
                later = [w2 for w2 in timed if w2.id != w.id and w2.rmw_of != r.id]
                before_r = self._apos_before(w, r)
                hidden = any_of([and_(w2.act, self._apos_before(w, w2), self._apos_before(w2, r)) for w2 in later])
                latest = and_(w.act, r.act, before_r, z3.Not(hidden))
                rf = self.rf[(w.id, r.id)]
                self.structural.append(implies(rf, latest) if mixed else rf == latest)
                if mixed and w.kind == "A" and not w.time.eq(r.time):
                    # an atomic read of a plain write leaves its order against the
                    # atomic writes open: that order is part of the execution
                    self.choices.append(and_(w.act, r.act, w.time < r.time))
        for w in timed:
            if w.kind != "IW":
                # the write order of the atomic writes is their SC order
                for w2 in timed:
                    if w2.id != w.id and w2.kind != "IW":
                        self.structural.append(
                            implies(and_(w.act, w2.act), (self.pos[w.id] < self.pos[w2.id]) == self._apos_before(w, w2))
                        )

    def _apos(self, e: SEvent) -> z3.ArithRef:
        if e.kind == "IW":
            return z3.IntVal(-1)
        assert e.time is not None
        return e.time

    def _apos_before(self, a: SEvent, b: SEvent) -> z3.BoolRef:
        if (a.rmw_of is not None and a.rmw_of == b.id) or (b.rmw_of is not None and b.rmw_of == a.id):
            return z3.BoolVal(b.rmw_of == a.id)  # the read half comes first
        return self._apos(a) < self._apos(b)

    # ---- the model's base relations over them
    def base(self) -> dict:
        ev = self.ev
        n = len(ev)
        act = {e.id: e.act for e in ev}
        po = {}
        by_g: dict[str, list[SEvent]] = {}
        for e in ev:
            by_g.setdefault(e.g, []).append(e)
        self.chains = [[e.id for e in es] for g, es in by_g.items() if g != "init"]
        for g, es in by_g.items():
            if g == "init":
                continue
            for a, b in combinations(es, 2):
                po[(a.id, b.id)] = and2(a.act, b.act)
        for i in by_g.get("init", []):
            for e in ev:
                if e.g != "init":
                    po[(i.id, e.id)] = e.act
        rf = dict(self.rf)
        co = dict(self.co)
        fr = Compiler({}, n).seq({(r, w): b for (w, r), b in rf.items()}, co)
        plain_sends = {o.begin.id for o in self.u.chan_ops if o.kind == "send" and o.select is None and o.chan}
        sets = {
            "_": act,
            "R": {e.id: e.act for e in ev if e.kind == "R"},
            "W": {e.id: e.act for e in ev if e.kind in ("W", "IW")},
            "IW": {e.id: e.act for e in ev if e.kind == "IW"},
            "A": {e.id: e.act for e in ev if e.kind == "A"},
            # an RMW's halves: its read in AR, its write (when it writes) in AW
            "AR": {e.id: e.act for e in ev if e.kind == "A" and e.reads},
            "AW": {e.id: e.act for e in ev if e.kind == "A" and e.writes},
            "SEND": {e.id: e.act for e in ev if e.id in plain_sends},
            "RECV": {o.end.id: o.end.act for o in self.u.chan_ops if o.kind == "recv" and o.chan},
            "CLOSE": {k.event.id: k.event.act for k in self.u.closes},
        }
        cases = self.send_cases()
        for begin, ops in cases.items():
            sets["SEND"][begin] = any_of([c for _o, c in ops])
        sets["M"] = {**sets["R"], **sets["W"], **sets["A"]}
        located = {**sets["M"], **sets["SEND"], **sets["RECV"], **sets["CLOSE"]}
        # a select's begin touches the channel of each send case it polled, when it polled it
        sites = {i: [(o.chan, c) for o, c in ops] for i, ops in cases.items()}
        loc, intr, ext, ident = {}, {}, {}, {}
        for a in ev:
            ident[(a.id, a.id)] = a.act
            for b in ev:
                both = and2(a.act, b.act)
                if a.id in located and b.id in located:
                    if a.id in sites or b.id in sites:
                        pairs = [
                            and2(x, y)
                            for la, x in sites.get(a.id, [(a.loc, a.act)])
                            for lb, y in sites.get(b.id, [(b.loc, b.act)])
                            if la == lb
                        ]
                        if pairs:
                            loc[(a.id, b.id)] = any_of(pairs)
                    elif a.loc == b.loc:
                        loc[(a.id, b.id)] = both
                (intr if a.g == b.g else ext)[(a.id, b.id)] = both
        data, ctrl = {}, {}
        for e in ev:
            for r in e.data:
                data[(r, e.id)] = and2(act[r], e.act)
            for r in e.ctrl:
                ctrl[(r, e.id)] = and2(act[r], e.act)
        atomics = [e for e in ev if e.kind == "A"]
        sc = {
            (a.id, b.id): and_(a.act, b.act, self._apos_before(a, b)) for a in atomics for b in atomics if a.id != b.id
        }
        rels = {
            "po": po,
            "rf": rf,
            "co": co,
            "fr": fr,
            "loc": loc,
            "int": intr,
            "ext": ext,
            "id": ident,
            "data": data,
            "ctrl": ctrl,
            "addr": {},
            "sc": sc,
            "lock": dict(self.lock_rel),
            **self.sync,
        }
        if "sync-order" in self.model.names():  # n² pairs: built only when named
            timed = [e for e in ev if e.time is not None and e.kind != "XB" and e.rmw_of is None]
            rels["sync-order"] = {
                (a.id, b.id): and_(a.act, b.act, a.time < b.time)
                for a in timed
                for b in timed
                if a.id != b.id and not a.time.eq(b.time)
            }
        return {**rels, **sets}

    # ---- final values and queries
    def final_values(self, locs: list[Location]) -> list[z3.BitVecRef]:
        out = []
        for name, reg in locs:
            if reg is not None:
                value = self.u.regs.get(name, {}).get(reg, z3.BitVecVal(0, 64))
                for g in self.instance_of:  # an instance of a function named by the run
                    for actual, cond in self.named(g):
                        if actual == name:
                            got = self.u.regs.get(g, {}).get(reg, z3.BitVecVal(0, 64))
                            value = z3.If(and_(self.instance_of[g][1].act, cond), got, value)
                out.append(value)
                continue
            writes = [e for e in self.ev if e.loc == name and e.writes]
            value = z3.BitVecVal(0, 64)
            for w in writes:
                last = and_(
                    w.act, *[z3.Not(and_(w2.act, self.pos[w2.id] > self.pos[w.id])) for w2 in writes if w2.id != w.id]
                )
                value = z3.If(last, w.val, value)
            out.append(value)
        return out

    def solver(self, *extra: z3.BoolRef) -> z3.Solver:
        s = z3.Solver()
        s.set("ctrl_c", False)  # Ctrl-C is Python's (smt/interrupt.py), not an "unknown" answer
        # z3's older arithmetic solver: 20-40% less time on the large random
        # programs (race and enumeration queries over times and FIFO places)
        s.set("arith.solver", 2)
        s.add(*self.structural, *self.constraints, *extra)
        return s

    def within_budget(self) -> None:
        """Between the stages of the encoding, which can take seconds of their own."""
        spent = self.budget.spent()
        if spent is not None:
            raise _Timeout(f"{spent} hit")

    def check(self, s: z3.Solver) -> bool:
        """Every query gets the solver timeout, or the time left of the test's budget."""
        self.within_budget()
        left = self.budget.seconds_left()
        ms = self.timeout_ms if left is None else min(self.timeout_ms, max(1, int(left * 1000)))
        s.set("timeout", ms)
        r = check_within(s, self.budget)
        if r == z3.unknown:
            spent = self.budget.spent()
            raise _Timeout(f"{spent} hit" if spent else f"solver timeout ({s.reason_unknown()})")
        return r == z3.sat

    def query(self, *extra: z3.BoolRef) -> bool:
        """Is there an execution with ``extra``? One incremental solver serves every query."""
        if self.shared is None:
            self.shared = self.solver()
        self.shared.push()
        self.shared.add(*extra)
        try:
            return self.check(self.shared)
        finally:
            self.shared.pop()

    def modes(self) -> None:
        """The executions each question ranges over (docs/engines.md): ``ok`` the normally
        ending ones (every goroutine returned, or main did), ``stuck`` the deadlocked
        ones, ``prefix`` every run up to its first failure (panics, asserts, cuts, races)."""
        u = self.u
        fails = [f.cond for f in u.failures]
        ends = fails + list(u.cuts)
        waits = [b.waiting for b in u.blocked]
        main_waits = [b.waiting for b in u.blocked if b.g == "main"]
        full = all_of([stop == NO_STOP for stop in u.stops.values()])
        self.prefix = z3.PbLe([(c, 1) for c in ends], 1) if ends else z3.BoolVal(True)
        quiet = all_of([z3.Not(c) for c in ends] + self.quiet)
        if self.p.has_main:
            self.ok = and_(quiet, u.stops["main"] == NO_STOP, z3.Not(any_of(main_waits)))
            self.stuck = and_(quiet, full, any_of(main_waits))
        else:
            self.ok = and_(quiet, full, z3.Not(any_of(waits)))
            self.stuck = and_(quiet, full, any_of(waits))

    def _read_terms(self, values, holds, finals, order_rels) -> list[z3.ExprRef]:
        """What the enumeration reads from each model (``snapshot``)."""
        terms: list[z3.ExprRef] = [*values, *finals.values(), *self.choices]
        terms += [holds] if holds is not None else []
        for e in self.ev:
            terms += [e.act, e.val] + ([e.time] if e.time is not None else [])
        terms += [t for o in self.u.chan_ops for t in (o.done, o.time)]
        terms += [v for regs in self.u.regs.values() for v in regs.values()]
        terms += [cond for rel in order_rels for cond in rel.values()]
        return terms

    def run(self, start: float, keep_runs: bool = False, count_limit: int = ENUMERATION_LIMIT) -> SmtAnswer:
        self.build()
        self.within_budget()
        base = self.base()
        self.within_budget()
        order_rels = [base["rf"], base["co"], base["fr"], base["lock"], *self.sync.values(), self.replay_order]
        replayed = weak = unconfirmed = 0
        witness: Execution | None = None
        counter: Execution | None = None
        runs: list[Execution] = []
        comp = Compiler(base, len(self.ev), self.chains)
        comp.compile(self.model, between=self.within_budget)
        self.constraints = comp.constraints
        self.modes()
        locs = locations(self.p)
        values = self.final_values(locs)
        ints = [n for n, v in self.p.shared.items() if v.kind == "int"]
        finals = dict(zip(ints, self.final_values([(n, None) for n in ints]), strict=True))
        for chan, cond in self.u.overflows:
            if self.query(self.prefix, cond):
                raise Unsupported(f"a range over {chan} may receive more than --unroll {self.unroll} values")
        cond = self.p.condition
        holds = None
        if cond is not None:
            holds = _cond_z3(cond.expr, {show_location(loc): v for loc, v in zip(locs, values, strict=True)})
        # states, and the counts: one model per execution (projected on its choices)
        if self.shared is None:
            self.shared = self.solver()
        s = self.shared
        s.push()
        s.add(self.ok)
        states: set[tuple[int, ...]] = set()
        positive = negative = 0
        seen = 0
        reader = Reader(self._read_terms(values, holds, finals, order_rels))
        queues = [
            [o for o in self.u.chan_ops if (o.chan, o.kind) == key]
            for key in sorted({(o.chan, o.kind) for o in self.u.chan_ops if o.chan is not None})
        ]
        counted = True
        while self.check(s):
            m = reader.read(s.model())
            state = tuple(m.num(v) for v in values)
            states.add(state)
            satisfied = holds is not None and m.true(holds)
            if satisfied:
                positive += 1
            else:
                negative += 1
            order = sc_order(m, self.ev, order_rels, queues)
            run: Execution | None = None
            if order is None:
                weak += 1
                run = weak_execution(m, self, finals, self.model, self.names(m))
            else:
                try:
                    run = replay(self.p, self.unroll, self.u, m, order, finals, self.names(m))
                    replayed += 1
                except ReplayBudget:
                    unconfirmed += 1
            if run is not None:
                if keep_runs:
                    runs.append(run)
                if satisfied:
                    witness = _better(witness, run)
                else:
                    counter = _better(counter, run)
            seen += 1
            if seen >= ENUMERATION_LIMIT:
                what = "executions" if counted else "states"
                raise _Timeout(f"solver timeout (more than {ENUMERATION_LIMIT} {what} to enumerate)")
            if counted and seen >= count_limit:
                # each later model is a new state, so a new execution: the counts
                # stay lower bounds while the states and findings stay exact
                counted = False
                for known in states - {state}:
                    s.add(z3.Or([v != k for v, k in zip(values, known, strict=True)]))
            s.add(m.other_than(self.choices if counted else values))
        s.pop()
        proved = None
        # the verdict, proved by one more UNSAT query: no normal execution satisfies (violates) it
        if (
            holds is not None
            and (positive == 0 or negative == 0)
            and not self.query(self.ok, holds if positive == 0 else z3.Not(holds))
        ):
            proved = "Never" if positive == 0 else "Always"
        findings: Counter[Finding] = Counter()
        failures = [
            (Finding(f.kind, f.text, g, f.line), and2(f.cond, named))
            for f in self.u.failures
            for g, named in self.named(f.g)
        ]
        for d in self.deadlocks():
            findings[d] += 1
        races = []
        cases = self.send_cases()
        for name, rel in comp.flags.items():
            if name not in RACE_FLAGS:  # a model's own flag: raised or not, as the explorer reports it
                fires = comp.flag_fires[name]
                if fires is None:
                    raise Unsupported(f"the model's flag '{name}' tests for a cycle, which z3 does not decide")
                races.append((Finding("flag", name), fires))
                continue
            for (a, b), bexpr in sorted(rel.items()) if isinstance(next(iter(rel), None), tuple) else []:
                if a < b:
                    both = or_(bexpr, rel.get((b, a), z3.BoolVal(False)))
                    races += [
                        (_race_finding(name, (gx, x), (gy, y), ax, ay), and_(both, cond, cx, cy, nx, ny))
                        for x, y, cond in _sites(self.ev[a], self.ev[b], cases)
                        for ax, cx in self._accesses(x)
                        for ay, cy in self._accesses(y)
                        for gx, nx in self.named(x.g)
                        for gy, ny in self.named(y.g)
                    ]
        findings.update(self.possible(self.prefix, failures + races))
        bounded = False
        if self.u.cuts:
            no_fail = all_of([z3.Not(f.cond) for f in self.u.failures])
            bounded = self.query(any_of(self.u.cuts), no_fail)
        bounds = [f"unroll {self.unroll}"] if bounded else []
        exact = not bounded
        result = TestResult(
            self.p,
            locs,
            sorted(states),
            positive,
            negative,
            possible_observations(positive, negative, exact),
            findings,
            [],
            positive + negative,
            0,
            bounds,
            time.perf_counter() - start,
            self.model.name,
            0,
            False,
            self.model.path,
            self.model.digest,
        )
        result.engines = ["smt"]
        result.positive_witness, result.negative_witness = witness, counter
        return SmtAnswer(result, None, result.seconds, replayed, weak, unconfirmed, witness, runs, proved, counted)

    def _accesses(self, e: SEvent) -> list[tuple[str, z3.BoolRef]]:
        """How a race report names an access, and when: a read-modify-write is
        one access, an atomic write when it writes (its write half is there),
        as the machine records it (one event)."""
        if e.kind in ("SB", "SE"):
            return [("send", z3.BoolVal(True))]
        if e.kind == "C":
            return [("close", z3.BoolVal(True))]
        if e.kind != "A":
            return [("write" if e.writes else "read", z3.BoolVal(True))]
        if e.writes or e.op == "Load":
            return [("atomic write" if e.writes else "atomic read", z3.BoolVal(True))]
        half = next(w for w in self.ev if w.rmw_of == e.id)
        return [("atomic write", half.act), ("atomic read", z3.Not(half.act))]

    def send_cases(self) -> dict[int, list[tuple[ChanOp, z3.BoolRef]]]:
        """Each select's send cases on a channel, by the select's begin event,
        with when the select reads that channel for the race detector (as it
        polls, select.go's racereadpc, in a random order, before any hand-off):
        the case ran, or panicked, or could not run when the select polled."""
        out: dict[int, list[tuple[ChanOp, z3.BoolRef]]] = {}
        for o in self.u.chan_ops:
            sel = o.select
            if o.kind == "send" and sel is not None and o.chan:
                polled = [o.end.act, and_(sel.reach, z3.Not(self._ready(o, sel.time)))]
                polled += [o.failure.cond] if o.failure is not None else []
                out.setdefault(o.begin.id, []).append((o, any_of(polled)))
        return out

    def possible(self, mode: z3.BoolRef, candidates: list[tuple[Finding, z3.BoolRef]]) -> list[Finding]:
        """The candidates some execution of ``mode`` has: ask for any one still
        unseen, take every candidate the model shows, until UNSAT proves the rest
        impossible (one query per discovery, not one per candidate)."""
        s = self.shared
        assert s is not None
        found: list[Finding] = []
        rest = list(candidates)
        s.push()
        s.add(mode)
        try:
            while rest:
                s.push()
                s.add(any_of([c for _, c in rest]))
                try:
                    m = s.model() if self.check(s) else None
                finally:
                    s.pop()
                if m is None:
                    break
                hit = [z3.is_true(m.eval(c, model_completion=True)) for _, c in rest]
                found.extend(f for (f, _), h in zip(rest, hit, strict=True) if h)
                rest = [fc for fc, h in zip(rest, hit, strict=True) if not h]
        finally:
            s.pop()
        return found

    def deadlocks(self) -> list[Finding]:
        """Each distinct deadlock: which goroutines wait where."""
        out = []
        s = self.shared
        assert s is not None
        s.push()
        s.add(self.stuck)
        while self.check(s):
            m = s.model()
            waiting = [b for b in self.u.blocked if z3.is_true(m.eval(b.waiting, model_completion=True))]
            ranks = {g: m.eval(self.rank[g], model_completion=True) for g in {b.g for b in waiting} & self.rank.keys()}
            named = {g: n for g in ranks for n, c in self.named(g) if z3.is_true(m.eval(c, model_completion=True))}
            blocked = tuple((named.get(b.g, b.g), b.what, b.line) for b in waiting)
            out.append(Finding("deadlock", DEADLOCK_TEXT, blocked=blocked))
            same = [b.waiting if b in waiting else z3.Not(b.waiting) for b in self.u.blocked]
            s.add(z3.Not(all_of(same + [self.rank[g] == k for g, k in ranks.items()])))
        s.pop()
        return out


def _better(kept: Execution | None, new: Execution) -> Execution:
    """The first execution found, unless it has no schedule (a weak one) and ``new`` has."""
    return new if kept is None or (not kept.schedule and new.schedule) else kept


def _at(e: SEvent) -> z3.BoolRef:
    return e.act if e.at is None else e.at


def _add(rel: Rel, key: tuple[int, int], cond: z3.BoolRef) -> None:
    rel[key] = or_(rel[key], cond) if key in rel else cond


def _nonblocking(op: ChanOp) -> bool:
    """An operation of a select with a default: it never waits for a partner."""
    return op.select is not None and op.select.default is not None


def _sites(
    a: SEvent, b: SEvent, cases: dict[int, list[tuple[ChanOp, z3.BoolRef]]]
) -> list[tuple[SEvent, SEvent, z3.BoolRef]]:
    """A racing pair as source accesses: a select's begin stands for each send
    case it polled (whose end names the channel and the case's line)."""
    xs = [(o.end, c) for o, c in cases[a.id]] if a.id in cases else [(a, z3.BoolVal(True))]
    ys = [(o.end, c) for o, c in cases[b.id]] if b.id in cases else [(b, z3.BoolVal(True))]
    return [(x, y, and2(cx, cy)) for x, cx in xs for y, cy in ys if x.loc == y.loc]


def _race_finding(
    flag: str, named_a: tuple[str, SEvent], named_b: tuple[str, SEvent], access_a: str, access_b: str
) -> Finding:
    (ga, a), (gb, b) = named_a, named_b
    one, two = sorted([(ga, a.line, access_a), (gb, b.line, access_b)], key=lambda t: (t[1], t[0]))
    kind = "race" if flag == "data-race" else "send-close-race"
    text = f"race on {a.loc}" if kind == "race" else f"send/close race on {a.loc}"
    return Finding(kind, text, one[0], one[1], pair=(one, two))


def _cond_z3(e, env: dict[str, z3.BitVecRef]) -> z3.BoolRef:
    from hbcheck.language import ast

    def val(x) -> z3.BitVecRef:
        match x:
            case ast.IntLit(value=v):
                return z3.BitVecVal(v, 64)
            case ast.ProcReg(proc=p, reg=r):
                return env[f"{p}:{r}"]
            case ast.Name(name=n):
                return env[n]
            case ast.Unary(op="!", operand=o):
                return z3.If(val(o) == 0, z3.BitVecVal(1, 64), z3.BitVecVal(0, 64))
            case ast.Unary(op="-", operand=o):
                return -val(o)
            case ast.Binary(op=op, left=a, right=b):
                x1, y1 = val(a), val(b)
                if op in ("&&", "||"):
                    c = and_(x1 != 0, y1 != 0) if op == "&&" else or_(x1 != 0, y1 != 0)
                else:
                    c = {
                        "==": x1 == y1,
                        "!=": x1 != y1,
                        "<": x1 < y1,
                        "<=": x1 <= y1,
                        ">": x1 > y1,
                        ">=": x1 >= y1,
                    }.get(op)
                    if c is None:
                        return {"+": x1 + y1, "-": x1 - y1, "*": x1 * y1, "/": x1 / y1, "%": z3.SRem(x1, y1)}[op]
                return z3.If(c, z3.BitVecVal(1, 64), z3.BitVecVal(0, 64))
        raise Unsupported(f"condition {x!r}")

    def safe(x) -> z3.BoolRef:
        """No division by zero is evaluated (&& and || stop early, as in Go)."""
        match x:
            case ast.Unary(operand=o):
                return safe(o)
            case ast.Binary(op="&&" | "||" as op, left=a, right=b):
                decided = val(a) == 0 if op == "&&" else val(a) != 0
                return and_(safe(a), or_(decided, safe(b)))
            case ast.Binary(op="/" | "%", left=a, right=b):
                return and_(safe(a), safe(b), val(b) != 0)
            case ast.Binary(left=a, right=b):
                return and_(safe(a), safe(b))
        return z3.BoolVal(True)

    # a condition that divides by zero is false there (the explorer's rule: Go would panic)
    return and_(safe(e), val(e) != 0)


__all__ = ["SmtAnswer", "caps_of", "solve"]
