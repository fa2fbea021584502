"""The sync objects: a mutex, a wait group's counter and a once, each in the
time order, with the edges the model names (``lock``, ``wg``, ``once``)."""

from __future__ import annotations

from itertools import combinations

import z3

from hbcheck.smt.cat2z3 import and_, any_of, implies, or_
from hbcheck.smt.encoding import Encoding, add, at
from hbcheck.smt.unfold import MutexOp, OnceOp, WgOp


def encode_sync(enc: Encoding) -> None:
    encode_mutexes(enc)
    encode_waitgroups(enc)
    encode_onces(enc)


def encode_mutexes(enc: Encoding) -> None:
    """A mutex in the total order: Lock only when it is free, Unlock only when it is held."""
    by_m: dict[str, list[MutexOp]] = {}
    for m in enc.u.mutex_ops:
        by_m.setdefault(m.mutex, []).append(m)
    for name, ops in by_m.items():
        locks = [o for o in ops if o.kind == "lock"]
        unlocks = [o for o in ops if o.kind == "unlock"]

        def held(t: z3.ArithRef | None, locks=locks, unlocks=unlocks) -> z3.ArithRef:
            def n(xs: list[MutexOp]) -> z3.ArithRef:
                cond = (lambda o: o.done) if t is None else (lambda o: and_(o.done, o.event.time < t))
                return z3.Sum([z3.If(cond(o), 1, 0) for o in xs]) if xs else z3.IntVal(0)

            return n(locks) - n(unlocks)

        for a, b in combinations(ops, 2):
            enc.structural.append(implies(and_(a.reach, b.reach), a.event.time != b.event.time))
        for lk in locks:
            enc.structural.append(implies(lk.done, held(lk.event.time) == 0))
        for ul in unlocks:
            enc.structural.append(ul.done == and_(ul.reach, held(ul.event.time) == 1))
            for lk in locks:
                add(
                    enc.lock_rel,
                    (ul.event.id, lk.event.id),
                    and_(ul.done, lk.done, ul.event.time < lk.event.time),
                )
        for a, b in combinations(locks, 2):
            enc.choices.append(and_(a.done, b.done, a.event.time < b.event.time))
        enc.held_end[name] = held(None)


def encode_waitgroups(enc: Encoding) -> None:
    """A WaitGroup's counter in the total order: an Add or Done that would
    make it negative panics, a Wait returns only when it is zero, and the
    Done calls (or an Add reaching zero) before a Wait's return happen before
    it: Done's ReleaseMerge and Wait's Acquire (sync/waitgroup.go) never
    reset, and an Add rising from zero observes the Dones' atomic adds."""
    by_wg: dict[str, list[WgOp]] = {}
    for o in enc.u.wg_ops:
        by_wg.setdefault(o.wg, []).append(o)
    zero = z3.BitVecVal(0, 64)
    for name, ops in by_wg.items():
        adds = [o for o in ops if o.kind == "add"]
        waits = [o for o in ops if o.kind == "wait"]

        def before(t: z3.ArithRef, adds=adds) -> z3.BitVecRef:
            return sum((z3.If(and_(a.done, a.event.time < t), a.delta, zero) for a in adds), zero)

        for a, b in combinations(ops, 2):
            enc.structural.append(implies(and_(at(a.event), at(b.event)), a.event.time != b.event.time))
            if "add" in (a.kind, b.kind):
                enc.choices.append(and_(a.done, b.done, a.event.time < b.event.time))
        for a in adds:
            enc.structural.append(implies(a.reach, a.done == (before(a.event.time) + a.delta >= 0)))
        for w in waits:
            enc.structural.append(implies(w.done, before(w.event.time) == 0))
            for d in adds:
                releases = or_(d.delta < 0, before(d.event.time) + d.delta == 0)
                cond = and_(d.done, w.done, d.event.time < w.event.time, releases)
                add(enc.sync["wg"], (d.event.id, w.event.id), cond)
        enc.wg_final[name] = sum((z3.If(a.done, a.delta, zero) for a in adds), zero)


def encode_onces(enc: Encoding) -> None:
    """One Do of each once runs f; every other returns after f did (the
    ``once`` edge), or waits for ever if f never returns."""
    by_once: dict[str, list[OnceOp]] = {}
    for o in enc.u.once_ops:
        by_once.setdefault(o.once, []).append(o)
    s_ = enc.structural
    for name, ops in by_once.items():
        s_.append(z3.PbLe([(o.first, 1) for o in ops], 1))
        for o in ops:
            others = [p for p in ops if p is not o]
            s_.append(implies(o.first, and_(o.reach, z3.Not(o.done))))
            s_.append(implies(o.reach, or_(o.first, any_of([p.first for p in others]))))
            after = [and_(p.first, p.end.act, p.end.time < o.begin.time) for p in others]
            s_.append(implies(o.done, and_(o.reach, any_of(after))))
            for p in others:
                add(enc.sync["once"], (p.end.id, o.waited.id), and_(p.first, p.end.act, o.waited.act))
        timed = [e for o in ops for e in (o.begin, o.end)]
        for a, b in combinations(timed, 2):
            s_.append(implies(and_(a.act, b.act), a.time != b.time))
        enc.once_done[name] = any_of([and_(o.first, o.end.act) for o in ops])
