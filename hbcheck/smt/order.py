"""The time order: one total order of the synchronising events consistent
with program order, and the names of a function's instances (f, f#2, ...),
which follow the order their go statements run."""

from __future__ import annotations

from itertools import combinations

import z3

from hbcheck.machine import events as mev
from hbcheck.smt.cat2z3 import and_, implies
from hbcheck.smt.encoding import Encoding, add, at
from hbcheck.smt.unfold import SEvent


def encode_times(enc: Encoding) -> None:
    """One total order of the synchronising events, consistent with program order."""
    timed = [e for e in enc.events if e.time is not None]
    by_g: dict[str, list[SEvent]] = {}
    for e in timed:
        enc.structural.append(e.time >= 0)
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
                enc.structural.append(implies(and_(at(a), at(b)), a.time < b.time))
    atomics = [e for e in timed if e.kind == mev.ATOMIC and e.rmw_of is None]
    for a, b in combinations(atomics, 2):
        enc.structural.append(implies(and_(a.act, b.act), a.time != b.time))
    for go, start in enc.u.spawns:
        enc.structural.append(implies(go.act, go.time < start.time))
        add(enc.sync["spawn"], (go.id, start.id), go.act)


def encode_instances(enc: Encoding) -> None:
    """A function started by several goroutines (or by a go statement that
    may run without the one before) names its instances f, f#2, ... in the
    order their go statements run, as the machine does: each instance's
    rank is one more than the go statements of f that ran before its own."""
    for f, sites in enc.u.dynamic.items():
        for (_a, a), (_b, b) in combinations(sites, 2):
            enc.structural.append(implies(and_(a.act, b.act), a.time != b.time))
            enc.choices.append(and_(a.act, b.act, a.time < b.time))  # which instance is which
            # the names follow that order, so a run of the machine must too: an
            # execution that needs the go statements the other way round has no
            # schedule under these names (a weak one, if the model allows it)
            add(enc.replay_order, (a.id, b.id), and_(a.act, b.act, a.time < b.time))
            add(enc.replay_order, (b.id, a.id), and_(a.act, b.act, b.time < a.time))
        for name, go in sites:
            earlier = [z3.If(and_(o.act, o.time < go.time), 1, 0) for other, o in sites if other != name]
            enc.rank[name] = 1 + z3.Sum(earlier) if earlier else z3.IntVal(1)
            enc.instance_of[name] = (f, go, len(sites))


def encode_rand(enc: Encoding) -> None:
    """``rand.Intn(n)``: any of 0 .. n-1, each value an execution of its own
    (the machine's Choose); one not reached chooses nothing."""
    for e, n in enc.u.rand:
        enc.structural.append(z3.ULT(e.val, n))
        enc.choices.append(z3.If(e.act, e.val, z3.BitVecVal(n, e.val.size())))
