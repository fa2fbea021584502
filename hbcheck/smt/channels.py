"""Channels and select: each channel one FIFO in the time order (the k-th
receive gets the k-th send, at most C values buffered, nothing sent after the
close), a select completing at most one case, and when an operation could
have run (for a select's choice, a default, a final state)."""

from __future__ import annotations

from itertools import combinations

import z3

from hbcheck.smt.cat2z3 import all_of, and_, any_of, implies, or_
from hbcheck.smt.encoding import Encoding, add, at, nonblocking
from hbcheck.smt.unfold import ChanOp, CloseOp, Select, SEvent


def encode_channels(enc: Encoding) -> None:
    for chan in sorted({op.chan for op in enc.u.chan_ops if op.chan} | {k.chan for k in enc.u.closes}):
        encode_channel(enc, chan)
    for sel in enc.u.selects:
        encode_select(enc, sel)


def count_before(ops: list[ChanOp], t: z3.ArithRef) -> z3.ArithRef:
    """How many of ``ops`` completed before ``t``."""
    return z3.Sum([z3.If(and_(o.done, o.time < t), 1, 0) for o in ops]) if ops else z3.IntVal(0)


def closed_before(enc: Encoding, chan: str, t: z3.ArithRef) -> z3.BoolRef:
    return any_of([and_(k.event.act, k.event.time < t) for k in enc.u.closes if k.chan == chan])


def closed_ever(enc: Encoding, chan: str) -> z3.BoolRef:
    return any_of([k.event.act for k in enc.u.closes if k.chan == chan])


def woken(enc: Encoding, chan: str, g: str, after: int, time: z3.ArithRef) -> z3.BoolRef:
    """Closed by a close that can have woken a parked sender of ``g`` (whose
    events end at id ``after``, at ``time``), when its panic unwinds deferred
    calls: the close comes before every later step of ``g``, since the panic
    came between (else a deferred call of its own, or one that lets another
    goroutine close, would be the cause of its own panic)."""
    later = [e for e in enc.events if e.g == g and e.id > after and e.time is not None and not e.time.eq(time)]
    return any_of(
        [
            and_(k.event.act, *[implies(at(e), k.event.time < e.time) for e in later])
            for k in enc.u.closes
            if k.chan == chan
        ]
    )


def encode_channel(enc: Encoding, chan: str) -> None:
    """Go's channel as one FIFO in the total order: the k-th receive gets the
    k-th send, a send completes only while fewer than C values are buffered
    (unbuffered: together with its receive), nothing is sent after the close,
    and a receive returns because of the close only when every value is taken."""
    cap = enc.caps[chan]
    ops = [o for o in enc.u.chan_ops if o.chan == chan]
    sends = [o for o in ops if o.kind == "send"]
    recvs = [o for o in ops if o.kind == "recv"]
    closes = [k for k in enc.u.closes if k.chan == chan]
    s_ = enc.structural
    # closes: the first one closes, the others panic
    for k in closes:
        earlier = any_of([and_(k2.reach, k2.event.time < k.event.time) for k2 in closes if k2 is not k])
        s_.append(implies(k.reach, k.ok == z3.Not(earlier)))
        for o in ops:
            s_.append(implies(and_(k.reach, o.end.act), k.event.time != o.time))
    for a, b in combinations(closes, 2):
        s_.append(implies(and_(a.reach, b.reach), a.event.time != b.event.time))
    enc.choices.extend(k.reach for k in closes if k.unwinds)
    # distinct places in the order (an unbuffered send and its receive share one)
    for a, b in combinations(ops, 2):
        if a.time.eq(b.time):
            continue
        if cap > 0 or a.kind == b.kind:
            s_.append(implies(and_(a.end.act, b.end.act), a.time != b.time))
    # FIFO places: the completed sends (receives with a value) are numbered 0, 1, ... in time order
    pos = {id(o): z3.Int(f"fifo{o.end.id}") for o in ops}
    enc.fifo.update({o.end.id: pos[id(o)] for o in ops})
    for group in (sends, recvs):
        total = z3.Sum([z3.If(o.done, 1, 0) for o in group]) if group else z3.IntVal(0)
        for o in group:
            s_.append(implies(o.done, and_(pos[id(o)] >= 0, pos[id(o)] < total)))
        for a, b in combinations(group, 2):
            s_.append(implies(and_(a.done, b.done), (pos[id(a)] < pos[id(b)]) == (a.time < b.time)))
            s_.append(implies(and_(a.done, b.done), pos[id(a)] != pos[id(b)]))
    closed_any = closed_ever(enc, chan)
    for s in sends:
        s_.append(implies(s.done, z3.Not(closed_before(enc, chan, s.time))))
        if cap > 0:  # the (k+C)-th send completes after the k-th receive
            earlier = [and_(r.done, pos[id(r)] == pos[id(s)] - cap, r.time < s.time) for r in recvs]
            s_.append(implies(and_(s.done, pos[id(s)] >= cap), any_of(earlier)))
        if s.failure is not None and s.resumes is not None and s.select is None:
            at_once = closed_before(enc, chan, s.time)
            closer = woken(enc, chan, s.g, s.end.id, s.time) if s.unwinds else closed_any
            # woken by a close after it parked: the buffer was full when it tried
            parked = z3.Not(ready(enc, s, s.time))
            s_.append(s.failure.cond == and_(s.reach, z3.Not(s.done), or_(at_once, and_(closer, s.resumes, parked))))
            parked_before_close(enc, s, and_(s.reach, z3.Not(s.done), z3.Not(s.failure.cond)))
            if s.unwinds:
                woken_late(enc, s, [s], and_(s.failure.cond, z3.Not(at_once)))
                # it goes on into its deferred calls: panicked or not (woken, then
                # stopped before it ran again), and at once or after it parked
                # (the channel's wait queue), are executions of their own
                enc.choices.extend([s.failure.cond, and_(s.failure.cond, at_once)])
                closed_first(enc, chan, s.begin, s.time, s.failure.cond)
        enc.choices.append(z3.If(s.done, pos[id(s)], -1))
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
                if s.g == r.g or (nonblocking(s) and nonblocking(r)):
                    s_.append(z3.Not(m))  # a goroutine does not meet itself; two defaults never meet
                    continue
                add(enc.sync["chan-unbuf"], (r.begin.id, s.end.id), m)
                s_.append(implies(m, or_(may_wait(enc, s), may_wait(enc, r))))
            s_.append(implies(m, r.val == s.val))
            add(enc.sync["chan-send"], (s.begin.id, r.end.id), m)
            matches.append(m)
        s_.append(implies(r.done, any_of(matches)))
        # returned because of the close: closed, and every value sent was received before
        drained = all_of([implies(r2.done, r2.time < r.time) for r2 in recvs if r2 is not r])
        if sends and cap > 0:
            n_sent = z3.Sum([z3.If(s.done, 1, 0) for s in sends])
            drained = and_(drained, z3.Sum([z3.If(r2.done, 1, 0) for r2 in recvs]) == n_sent)
        s_.append(implies(r.closed, and_(closed_before(enc, chan, r.time), drained, z3.Not(r.done))))
        for k in closes:
            add(enc.sync["chan-close"], (k.event.id, r.end.id), and_(k.event.act, r.closed))
        enc.choices.extend([z3.If(r.done, pos[id(r)], -1), r.closed])
    if cap == 0:
        for s in sends:
            matches = [
                and_(r.done, r.time == s.time) for r in recvs if r.g != s.g and not (nonblocking(s) and nonblocking(r))
            ]
            s_.append(implies(s.done, any_of(matches)))
    else:
        for r in recvs:
            for s in sends:
                cond = and_(r.done, s.done, pos[id(s)] == pos[id(r)] + cap)
                add(enc.sync["chan-cap"], (r.begin.id, s.end.id), cond)


def ready(enc: Encoding, op: ChanOp, t: z3.ArithRef | None) -> z3.BoolRef:
    """Could ``op`` run now (at time ``t``), or at the end (``t`` None), for what its channel holds?
    (A waiting partner on an unbuffered channel is handled pairwise: see ``waiting``.)"""
    if op.chan is None:
        return z3.BoolVal(False)
    chan, cap = op.chan, enc.caps[op.chan]
    ops = [o for o in enc.u.chan_ops if o.chan == chan]
    sends = [o for o in ops if o.kind == "send"]
    recvs = [o for o in ops if o.kind == "recv"]
    if t is None:
        closed = closed_ever(enc, chan)
        count = z3.Sum([z3.If(o.done, 1, 0) for o in sends]) - z3.Sum([z3.If(o.done, 1, 0) for o in recvs])
    else:
        closed = closed_before(enc, chan, t)
        count = count_before(sends, t) - count_before(recvs, t)
    if cap == 0:
        return closed
    return or_(closed, count > 0 if op.kind == "recv" else count < cap)


def woken_late(enc: Encoding, op: ChanOp, ops: list[ChanOp], woke: z3.BoolRef) -> None:
    """A send (case) that parked, was woken by a close, panicked and ran its
    deferred calls (``woke``), while another operation completed on one of its
    channels between its try and the close: the runtime's wait queue decides
    whether that operation took it first (a receive takes the first parked
    sender). Not encoded: z3 steps aside where such an execution is possible."""
    chans = {o.chan for o in ops}
    others = [o for o in enc.u.chan_ops if o.chan in chans and o not in ops]
    closes = [k for k in enc.u.closes if k.chan == op.chan]
    between = [and_(o.end.act, k.event.act, op.time <= o.time, o.time < k.event.time) for o in others for k in closes]
    if between:
        why = (
            f"a send (line {op.line}) woken by a close after another operation on its channel, "
            "its panic running deferred calls, is not encoded"
        )
        enc.unsure.append((why, and_(woke, any_of(between))))


def closed_first(enc: Encoding, chan: str, begin: SEvent, t: z3.ArithRef, panicked: z3.BoolRef) -> None:
    """A send (case) that panicked at once and went on into its deferred
    calls: the replay must close the channel first (no model relation says
    so, and a machine run the other way round sends, or takes the default)."""
    for k in enc.u.closes:
        if k.chan == chan:
            add(enc.replay_order, (k.event.id, begin.id), and_(panicked, k.event.act, k.event.time < t))


def parked_before_close(enc: Encoding, op: ChanOp, parked: z3.BoolRef) -> None:
    """A sender still parked on a channel that was closed: it parked before the
    close, which woke it, and did not run again (main returned first). The
    replay needs that order; no model relation carries it."""
    for k in enc.u.closes:
        if k.chan == op.chan:
            add(enc.replay_order, (op.begin.id, k.event.id), and_(parked, k.event.act))


def woken_by(enc: Encoding, op: ChanOp, ops: list[ChanOp]) -> list[tuple[CloseOp, z3.BoolRef]]:
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
    others = [o for o in enc.u.chan_ops if o.chan in chans and o not in ops]
    receiving = {o.chan for o in ops if o.kind == "recv"}
    out = []
    for k in enc.u.closes:
        if k.chan != op.chan:
            continue
        t = k.event.time
        # an earlier close of one of its channels since the try (of one it
        # receives from: this one included) woke it first
        between = [
            and_(k2.event.act, op.time <= k2.event.time, (k2.event.time <= t) if r else (k2.event.time < t))
            for k2 in enc.u.closes
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


def default_in_order(enc: Encoding, sel: Select) -> None:
    """A select takes default at one instant of its channels' order: never
    at the time of an operation on one of them (which would then be on
    neither side of it), and the replay runs it between the two sides."""
    end = sel.default_end
    assert end is not None
    took = end.act
    chans = {o.chan for o in sel.cases if o.chan is not None}
    others = [(o.end, o.end.act) for o in enc.u.chan_ops if o.chan in chans and o.select is not sel]
    others += [(k.event, k.reach) for k in enc.u.closes if k.chan in chans]
    for e, happened in others:
        both = and_(took, happened)
        enc.structural.append(implies(both, sel.time != e.time))
        add(enc.replay_order, (end.id, e.id), and_(both, sel.time < e.time))
        add(enc.replay_order, (e.id, end.id), and_(both, e.time < sel.time))


def may_wait(enc: Encoding, op: ChanOp) -> z3.BoolRef:
    """Could ``op`` have been parked when its unbuffered partner came? A
    plain operation could; a select only if none of its other cases could
    run then (a parked select is woken by the first case that can, and
    ``default`` never parks). One side of every hand-off was parked."""
    sel = op.select
    if sel is None:
        return z3.BoolVal(True)
    if sel.default is not None:
        return z3.BoolVal(False)
    return all_of([z3.Not(ready(enc, o, sel.time)) for o in sel.cases if o is not op])


def encode_select(enc: Encoding, sel: Select) -> None:
    s_ = enc.structural
    outcomes = [or_(o.done, o.closed) for o in sel.cases]
    if sel.default is not None:
        outcomes.append(and_(sel.reach, sel.default))
        for op, p in sel.panics:
            s_.append(implies(p, and_(sel.reach, closed_before(enc, op.chan, sel.time))))  # type: ignore[arg-type]
            outcomes.append(p)
        s_.append(implies(sel.reach, z3.PbEq([(o, 1) for o in outcomes], 1)))
        s_.append(implies(and_(sel.reach, sel.default), all_of([z3.Not(ready(enc, o, sel.time)) for o in sel.cases])))
        default_in_order(enc, sel)
    else:
        s_.append(z3.PbLe([(o, 1) for o in outcomes], 1))
        none = and_(sel.reach, z3.Not(any_of(outcomes)))
        # a waiting select panics once, on one of its send cases whose channel is closed (selectgo's sclose)
        last = max(e.id for e in (sel.begin, *(o.end for o in sel.cases)))
        closed = [
            woken(enc, op.chan, sel.g, last, sel.time) if sel.unwinds else closed_ever(enc, op.chan)  # type: ignore[arg-type]
            for op, _ in sel.panics
        ]
        for (_, p), c in zip(sel.panics, closed, strict=True):
            s_.append(implies(p, and_(none, c)))
        # closed when it polled: it panics at once; closed after it parked: when it next runs
        at_once = any_of([closed_before(enc, op.chan, sel.time) for op, _ in sel.panics])  # type: ignore[arg-type]
        # woken after it parked: no case could run when it polled
        parked = all_of([z3.Not(ready(enc, o, sel.time)) for o in sel.cases])
        woken_runs = or_(at_once, and_(sel.resumes, parked)) if sel.resumes is not None else or_(at_once, parked)
        panicked = any_of([p for _, p in sel.panics])
        s_.append(panicked == and_(none, any_of(closed), woken_runs))
        s_.append(z3.PbLe([(p, 1) for _, p in sel.panics], 1))
        if sel.unwinds:  # as a send's (see encode_channel)
            for _op, p in sel.panics:
                woken_late(enc, _op, sel.cases, and_(p, z3.Not(at_once)))
            enc.choices.extend([*(p for _, p in sel.panics), and_(panicked, at_once)])
        for op, _ in sel.panics:
            parked_before_close(enc, op, and_(none, z3.Not(panicked)))
    if sel.unwinds:
        for op, p in sel.panics:
            closed_first(enc, op.chan, sel.begin, sel.time, p)  # type: ignore[arg-type]


def send_cases(enc: Encoding) -> dict[int, list[tuple[ChanOp, z3.BoolRef]]]:
    """Each select's send cases on a channel, by the select's begin event,
    with when the select reads that channel for the race detector (as it
    polls, select.go's racereadpc, in a random order, before any hand-off):
    the case ran, or panicked, or could not run when the select polled."""
    out: dict[int, list[tuple[ChanOp, z3.BoolRef]]] = {}
    for o in enc.u.chan_ops:
        sel = o.select
        if o.kind == "send" and sel is not None and o.chan:
            polled = [o.end.act, and_(sel.reach, z3.Not(ready(enc, o, sel.time)))]
            polled += [o.failure.cond] if o.failure is not None else []
            out.setdefault(o.begin.id, []).append((o, any_of(polled)))
    return out
