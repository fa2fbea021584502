"""The model's base relations and sets over the encoded events (herd's
``po``, ``rf``, ``co``, ``fr``, ``loc``, ``int``/``ext``, the sync edges, and
``R``, ``W``, ``A``, ``SEND``, ...), each pair with when it holds."""

from __future__ import annotations

from itertools import combinations

from hbcheck.machine import events as mev
from hbcheck.smt.cat2z3 import Compiler, and2, and_, any_of
from hbcheck.smt.channels import send_cases
from hbcheck.smt.encoding import Encoding
from hbcheck.smt.memory import atomic_before
from hbcheck.smt.unfold import SEvent


# ---- the model's base relations over them
def base_relations(enc: Encoding) -> dict:
    ev = enc.events
    n = len(ev)
    act = {e.id: e.act for e in ev}
    po = {}
    by_g: dict[str, list[SEvent]] = {}
    for e in ev:
        by_g.setdefault(e.g, []).append(e)
    enc.chains = [[e.id for e in es] for g, es in by_g.items() if g != "init"]
    for g, es in by_g.items():
        if g == "init":
            continue
        for a, b in combinations(es, 2):
            po[(a.id, b.id)] = and2(a.act, b.act)
    for i in by_g.get("init", []):
        for e in ev:
            if e.g != "init":
                po[(i.id, e.id)] = e.act
    rf = dict(enc.rf)
    co = dict(enc.co)
    fr = Compiler({}, n).seq({(r, w): b for (w, r), b in rf.items()}, co)
    plain_sends = {o.begin.id for o in enc.u.chan_ops if o.kind == "send" and o.select is None and o.chan}
    sets = {
        "_": act,
        "R": {e.id: e.act for e in ev if e.kind == mev.READ},
        "W": {e.id: e.act for e in ev if e.kind in (mev.WRITE, mev.INIT_WRITE)},
        "IW": {e.id: e.act for e in ev if e.kind == mev.INIT_WRITE},
        "A": {e.id: e.act for e in ev if e.kind == mev.ATOMIC},
        # an RMW's halves: its read in AR, its write (when it writes) in AW
        "AR": {e.id: e.act for e in ev if e.kind == mev.ATOMIC and e.reads},
        "AW": {e.id: e.act for e in ev if e.kind == mev.ATOMIC and e.writes},
        "SEND": {e.id: e.act for e in ev if e.id in plain_sends},
        "RECV": {o.end.id: o.end.act for o in enc.u.chan_ops if o.kind == "recv" and o.chan},
        "CLOSE": {k.event.id: k.event.act for k in enc.u.closes},
    }
    cases = send_cases(enc)
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
    atomics = [e for e in ev if e.kind == mev.ATOMIC]
    sc = {(a.id, b.id): and_(a.act, b.act, atomic_before(a, b)) for a in atomics for b in atomics if a.id != b.id}
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
        "lock": dict(enc.lock_rel),
        **enc.sync,
    }
    if "sync-order" in enc.model.names():  # n² pairs: built only when named
        timed = [
            e for e in ev if e.time is not None and (e.kind, e.phase) != (mev.SELECT, mev.BEGIN) and e.rmw_of is None
        ]
        rels["sync-order"] = {
            (a.id, b.id): and_(a.act, b.act, a.time < b.time)
            for a in timed
            for b in timed
            if a.id != b.id and not a.time.eq(b.time)
        }
    return {**rels, **sets}
