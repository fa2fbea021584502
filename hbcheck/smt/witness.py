"""A weak z3 execution as the execution record every report reads.

A weak execution (a racy program under a non-SC model) has no interleaving,
so the machine cannot record it; it is built from the z3 model instead, as
the machine would have written its events: reads with the write they read,
channel operations as begin/end pairs with their FIFO places and partners,
locks with the unlock they follow. Events are listed in an order that keeps
program order and the synchronising operations' total order; the write order
of each variable, which that list cannot show, is given apart. The cat
interpreter then judges the record: the model must allow it, which checks
the compiled model against the interpreted one on every weak execution.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import networkx as nx
import z3

from hbcheck.explore.execution import OK, Execution, FinalState
from hbcheck.machine import events as mev
from hbcheck.machine.events import Event
from hbcheck.machine.machine import DEFAULT
from hbcheck.models import Model, evaluate
from hbcheck.smt.encoding import Encoding
from hbcheck.smt.schedule import WitnessMismatch
from hbcheck.smt.snapshot import Snapshot
from hbcheck.smt.unfold import ChanOp, SEvent


def weak_execution(
    m: Snapshot, enc: Encoding, finals: dict[str, z3.BitVecRef], model: Model, names: dict[str, str] | None = None
) -> Execution:
    """The record of the z3 execution ``m`` (goroutines by their ``names`` in it);
    raises ``WitnessMismatch`` if the model rejects it."""
    rec = _Record(m, enc, names or {})
    for i in _listing(rec.active, m.num):
        rec.add(rec.by_id[i])
    x = rec.finish(finals)
    verdict = evaluate(model, x, enc.caps)
    if not verdict.allowed:
        failed = ", ".join(name for name, _w in verdict.failed)
        raise WitnessMismatch(f"the model allows a z3 execution its interpreter rejects ({failed})")
    return x


class _Record:
    """The execution record under construction, event by event in listing
    order; fields that name another event are filled in at the end, when
    every z3 event has its record's id."""

    def __init__(self, m: Snapshot, enc: Encoding, names: dict[str, str]) -> None:
        self.m, self.enc, self.names = m, enc, names
        holds = m.true
        u = enc.u
        self.active = [e for e in u.events if holds(e.act) or e.kind == mev.INIT_WRITE]
        self.by_id = {e.id: e for e in self.active}
        self.ops: dict[int, ChanOp] = {o.end.id: o for o in u.chan_ops}
        self.case_of = {o.end.id: (i, sel.begin.id) for sel in u.selects for i, o in enumerate(sel.cases)}
        self.starter = {start.id: go.id for go, start in u.spawns}
        self.rf_src = {r: w for (w, r), b in enc.rf.items() if r in self.by_id and holds(b)}
        self.new: dict[int, int] = {}  # z3 event -> its record's id
        self.events: list[Event] = []
        self.idx: dict[str, int] = {}
        self.last_unlock: dict[str, int] = {}
        self.links: list[tuple[Event, str, int | None]] = []  # fields naming another event, by its z3 id
        self.released: list[tuple[Event, int]] = []  # each Wait's record, to list the Done calls it waited for

    def emit(self, e: SEvent, kind: str, links_to: dict[str, int | None] | None = None, **fields) -> Event:
        g = "init" if e.kind == mev.INIT_WRITE else self.names.get(e.g, e.g)
        rec = Event(len(self.events), g, self.idx.get(g, 0), kind, e.line, **fields)
        self.idx[g] = self.idx.get(g, 0) + 1
        self.events.append(rec)
        self.new.setdefault(e.id, rec.id)
        self.links.extend((rec, name, z) for name, z in (links_to or {}).items())
        return rec

    def add(self, e: SEvent) -> None:
        """``e`` as the machine records it."""
        num, holds, enc = self.m.num, self.m.true, self.enc
        match (e.kind, e.phase):
            case (mev.INIT_WRITE | mev.WRITE, _):
                self.emit(e, e.kind, obj=e.loc, value=num(e.val))
            case (mev.READ, _):
                self.emit(e, mev.READ, {"src": self.rf_src[e.id]}, obj=e.loc, value=num(e.val))
            case (mev.ATOMIC, _) if e.rmw_of is not None:
                pass  # recorded with its read half
            case (mev.ATOMIC, _):
                fields, half = _atomic(e, enc.u.events, num, holds)
                rec = self.emit(e, mev.ATOMIC, {"src": self.rf_src.get(e.id)}, **fields)
                if half is not None:
                    self.new[half.id] = rec.id
            case (mev.START, _):
                self.emit(e, mev.START, {"src": self.starter.get(e.id)})
            case (mev.GO, _):
                self.emit(e, mev.GO, obj=self.names.get(e.loc, e.loc))
            case (mev.SEND | mev.RECV, mev.BEGIN):
                value = num(e.val) if e.kind == mev.SEND else None
                self.emit(e, e.kind, obj=e.loc or None, phase=mev.BEGIN, value=value)
            case (mev.SELECT, mev.BEGIN):
                self.emit(e, mev.SELECT, phase=mev.BEGIN)
            case (mev.SELECT, mev.END):
                sel = next(s for s in enc.u.selects if s.begin.id in self.new and s.time.eq(e.time))
                self.emit(e, mev.SELECT, {"begin": sel.begin.id}, phase=mev.END, case=DEFAULT)
            case (mev.SEND | mev.RECV, mev.END):
                self.channel_end(e)
            case (mev.CLOSE, _):
                self.emit(e, mev.CLOSE, obj=e.loc, phase=mev.BEGIN)
                g = self.names.get(e.g, e.g)
                self.events.append(Event(len(self.events), g, self.idx[g], mev.CLOSE, e.line, obj=e.loc, phase=mev.END))
                self.idx[g] += 1
            case (mev.LOCK, _):
                self.emit(e, mev.LOCK, {"src": self.last_unlock.get(e.loc)}, obj=e.loc)
            case (mev.UNLOCK, _):
                self.last_unlock[e.loc] = e.id
                self.emit(e, mev.UNLOCK, obj=e.loc)
            case (mev.WG_ADD | mev.WG_DONE, _):
                self.emit(e, e.kind, obj=e.loc, value=num(e.val))
            case (mev.WG_WAIT, _):
                self.released.append((self.emit(e, mev.WG_WAIT, obj=e.loc), e.id))
            case (mev.CHOOSE, _):
                self.emit(e, mev.CHOOSE, value=num(e.val), op=e.op)
            case (mev.ONCE, mev.BEGIN):
                self.emit(e, mev.ONCE, obj=e.loc, phase=mev.BEGIN)
            case (mev.ONCE, mev.END):
                ran = [d for (d, w), b in enc.sync["once"].items() if w == e.id and holds(b)]
                self.emit(e, mev.ONCE, {"src": ran[0] if ran else None}, obj=e.loc, phase=mev.END)

    def channel_end(self, e: SEvent) -> None:
        """A send's or receive's end: its FIFO place and partner, or the close
        it returned because of; a select case's end is the select's."""
        num, holds, enc = self.m.num, self.m.true, self.enc
        op = self.ops[e.id]
        fields: dict = {"obj": op.chan}
        link: dict[str, int | None] = {"begin": op.begin.id}
        if e.kind == mev.RECV and not holds(op.done):
            fields.update(value=0, ok=0, closed=True)
            link["src"] = next(k.event.id for k in enc.u.closes if k.chan == op.chan and holds(k.event.act))
        else:
            seq = num(enc.fifo[e.id])
            fields.update(value=num(e.val), seq=seq + 1)
            if e.kind == mev.RECV:
                sends = [s for s in enc.u.chan_ops if s.kind == "send" and s.chan == op.chan and holds(s.done)]
                partner = next(s for s in sends if num(enc.fifo[s.end.id]) == seq)
                fields["ok"] = 1
                link["src"] = partner.begin.id
        if e.id in self.case_of:
            self.emit(e, mev.SELECT, link, phase=mev.END, case=self.case_of[e.id][0], op=op.kind, **fields)
        else:
            self.emit(e, mev.SEND if op.kind == "send" else mev.RECV, link, phase=mev.END, **fields)

    def finish(self, finals: dict[str, z3.BitVecRef]) -> Execution:
        """The links filled in, the write orders and the final state."""
        num, holds, new = self.m.num, self.m.true, self.new
        for rec, name, z in self.links:
            setattr(rec, name, None if z is None else new[z])
        for rec, w in self.released:
            waited = (d for (d, w2), b in self.enc.sync["wg"].items() if w2 == w and holds(b))
            rec.srcs = tuple(sorted(new[d] for d in waited))
        writes: dict[str, list[SEvent]] = {}
        for e in self.active:
            if e.writes:
                writes.setdefault(e.loc, []).append(e)
        pos = self.enc.pos
        order = tuple(
            tuple(new[w.rmw_of if w.rmw_of is not None else w.id] for w in sorted(ws, key=lambda w: num(pos[w.id])))
            for ws in writes.values()
        )
        names = self.names
        regs = {
            names.get(g, g): {r: num(v) for r, v in rs.items()}
            for g, rs in self.enc.u.regs.items()
            if names.get(g, g) in self.idx
        }
        final = FinalState(regs, {var: num(v) for var, v in finals.items()})
        return Execution(tuple(self.events), final, OK, (), (), write_order=order)


def _listing(active: list[SEvent], num: Callable[[z3.ExprRef], int]) -> list[int]:
    """The events in an order that keeps program order and the time order of
    the synchronising ones (z3 makes those agree): initial writes first."""
    graph = nx.DiGraph()
    graph.add_nodes_from(e.id for e in active)
    by_g: dict[str, list[int]] = {}
    for e in active:
        by_g.setdefault(e.g, []).append(e.id)
    for g, seq in by_g.items():
        if g != "init":
            graph.add_edges_from(itertools.pairwise(seq))
    # events may share a time (a start, operations on different objects): each
    # one precedes every event of the next time, so an order never skips a tie
    timed = sorted((num(e.time), e.id) for e in active if e.time is not None and e.rmw_of is None)
    ties = [[i for _t, i in group] for _t, group in itertools.groupby(timed, key=lambda p: p[0])]
    graph.add_edges_from((a, b) for now, later in itertools.pairwise(ties) for a in now for b in later)
    inits = by_g.get("init", [])
    first = set(inits)
    return inits + [i for i in nx.lexicographical_topological_sort(graph) if i not in first]


def _atomic(e: SEvent, events: list[SEvent], num, holds) -> tuple[dict, SEvent | None]:
    """An atomic operation's one record (a Store, or a read with its write
    half if it wrote), and that write half."""
    if not e.reads:
        return {"obj": e.loc, "op": e.op, "value": num(e.val)}, None
    old = num(e.val)
    if e.op == "Load":
        return {"obj": e.loc, "op": e.op, "value": old}, None
    half = next((w for w in events if w.rmw_of == e.id and holds(w.act)), None)
    if half is None:  # a CompareAndSwap that failed
        return {"obj": e.loc, "op": e.op, "value": old, "old": old, "ok": 0}, None
    ok = 1 if e.op == "CompareAndSwap" else None
    return {"obj": e.loc, "op": e.op, "value": num(half.val), "old": old, "ok": ok}, half
