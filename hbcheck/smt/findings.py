"""What z3 looks for beyond the final states: the candidate findings (a
panic or failed assertion, a race the model flags, a model's own flag), each
with when an execution shows it, and the distinct deadlocks."""

from __future__ import annotations

import z3

from hbcheck.explore.execution import Finding
from hbcheck.machine import events as mev
from hbcheck.names import DEADLOCK_TEXT, RACE_FLAGS, FindingKind
from hbcheck.smt.cat2z3 import Compiler, all_of, and2, and_, or_
from hbcheck.smt.channels import send_cases
from hbcheck.smt.encoding import Encoding
from hbcheck.smt.queries import Queries
from hbcheck.smt.unfold import ChanOp, SEvent, Unsupported

Candidates = list[tuple[Finding, z3.BoolRef]]


def failures(enc: Encoding) -> Candidates:
    """Panics and failed assertions, under each name their goroutine may have."""
    return [
        (Finding(f.kind, f.text, g, f.line), and2(f.cond, named)) for f in enc.u.failures for g, named in enc.named(f.g)
    ]


def flagged(enc: Encoding, comp: Compiler) -> Candidates:
    """The model's flags: a race flag as one finding per pair of source
    accesses, a model's own flag as raised or not (as the explorer reports it)."""
    out: Candidates = []
    cases = send_cases(enc)
    for name, rel in comp.flags.items():
        if name not in RACE_FLAGS:
            fires = comp.flag_fires[name]
            if fires is None:
                raise Unsupported(f"the model's flag '{name}' tests for a cycle, which z3 does not decide")
            out.append((Finding(FindingKind.FLAG, name), fires))
            continue
        for (a, b), bexpr in sorted(rel.items()) if isinstance(next(iter(rel), None), tuple) else []:
            if a < b:
                both = or_(bexpr, rel.get((b, a), z3.BoolVal(False)))
                out += [
                    (Finding.race(name, x.loc, (gx, x.line, ax), (gy, y.line, ay)), and_(both, cond, cx, cy, nx, ny))
                    for x, y, cond in _sites(enc.events[a], enc.events[b], cases)
                    for ax, cx in accesses(enc, x)
                    for ay, cy in accesses(enc, y)
                    for gx, nx in enc.named(x.g)
                    for gy, ny in enc.named(y.g)
                ]
    return out


def deadlocks(enc: Encoding, q: Queries, stuck: z3.BoolRef) -> list[Finding]:
    """Each distinct deadlock: which goroutines wait where."""
    out = []
    s = q.shared
    s.push()
    s.add(stuck)
    while q.check(s):
        m = s.model()
        waiting = [b for b in enc.u.blocked if z3.is_true(m.eval(b.waiting, model_completion=True))]
        ranks = {g: m.eval(enc.rank[g], model_completion=True) for g in {b.g for b in waiting} & enc.rank.keys()}
        named = {g: n for g in ranks for n, c in enc.named(g) if z3.is_true(m.eval(c, model_completion=True))}
        blocked = tuple((named.get(b.g, b.g), b.what, b.line) for b in waiting)
        out.append(Finding(FindingKind.DEADLOCK, DEADLOCK_TEXT, blocked=blocked))
        same = [b.waiting if b in waiting else z3.Not(b.waiting) for b in enc.u.blocked]
        s.add(z3.Not(all_of(same + [enc.rank[g] == k for g, k in ranks.items()])))
    s.pop()
    return out


def accesses(enc: Encoding, e: SEvent) -> list[tuple[str, z3.BoolRef]]:
    """How a race report names an access, and when: a read-modify-write is
    one access, an atomic write when it writes (its write half is there),
    as the machine records it (one event)."""
    if e.kind == mev.SEND:
        return [("send", z3.BoolVal(True))]
    if e.kind == mev.CLOSE:
        return [("close", z3.BoolVal(True))]
    if e.kind != mev.ATOMIC:
        return [("write" if e.writes else "read", z3.BoolVal(True))]
    if e.writes or e.op == "Load":
        return [("atomic write" if e.writes else "atomic read", z3.BoolVal(True))]
    half = next(w for w in enc.events if w.rmw_of == e.id)
    return [("atomic write", half.act), ("atomic read", z3.Not(half.act))]


def _sites(
    a: SEvent, b: SEvent, cases: dict[int, list[tuple[ChanOp, z3.BoolRef]]]
) -> list[tuple[SEvent, SEvent, z3.BoolRef]]:
    """A racing pair as source accesses: a select's begin stands for each send
    case it polled (whose end names the channel and the case's line)."""
    xs = [(o.end, c) for o, c in cases[a.id]] if a.id in cases else [(a, z3.BoolVal(True))]
    ys = [(o.end, c) for o, c in cases[b.id]] if b.id in cases else [(b, z3.BoolVal(True))]
    return [(x, y, and2(cx, cy)) for x, cx in xs for y, cy in ys if x.loc == y.loc]
