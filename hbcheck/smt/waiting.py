"""Final states: an execution ends where no goroutine that waits could run
(its channel operations not ready, its mutex held, its wait group's counter
not zero, its once's f never returning)."""

from __future__ import annotations

from itertools import combinations

import z3

from hbcheck.smt.cat2z3 import all_of, and_, any_of, implies, or_
from hbcheck.smt.channels import ready, woken_by
from hbcheck.smt.encoding import Encoding
from hbcheck.smt.unfold import Blocked, ChanOp


def encode_waiting(enc: Encoding) -> None:
    """A final state: every operation a goroutine waits at could not run.
    Partners parked at once on the two sides of an unbuffered channel would
    have met: a sender or select a close woke was parked only until that
    close (closechan marks it done, so a partner that comes later skips it:
    runtime/chan.go's dequeue)."""
    parked_until: dict[int, list[tuple[z3.ArithRef | None, z3.BoolRef]]] = {}
    for b in enc.u.blocked:
        if b.mutex is not None:
            enc.quiet.append(implies(b.waiting, enc.held_end[b.mutex] == 1))
        elif b.wg is not None:
            enc.quiet.append(implies(b.waiting, enc.wg_final[b.wg] != 0))
        elif b.once is not None:
            enc.quiet.append(implies(b.waiting, z3.Not(enc.once_done[b.once])))
        elif not b.ops:
            # select {}: no event of its own marks that it parked there, yet
            # the machine's parking is a step (stopped before it or parked at
            # it are two executions), so whether it waits is a choice of its own
            enc.choices.append(b.waiting)
        else:
            cannot = all_of([z3.Not(ready(enc, o, None)) for o in b.ops])
            # or a sender a close woke, stopped before it ran again (main returned):
            # it parked, so nothing could run when it tried
            parked = all_of([z3.Not(ready(enc, o, o.time)) for o in b.ops])
            wakes = [
                (k.event.time, and_(b.waiting, z3.Not(o.resumes), parked, cond))
                for o in b.ops
                if o.resumes is not None
                for k, cond in woken_by(enc, o, b.ops)
            ]
            enc.quiet.append(implies(b.waiting, or_(cannot, *[w for _t, w in wakes])))
            # parked from its try until the close that woke it, or to the end
            parked_until[id(b)] = [(None, and_(b.waiting, z3.Not(any_of([w for _t, w in wakes])))), *wakes]
    sides: dict[str, list[tuple[Blocked, ChanOp]]] = {}
    for b in enc.u.blocked:
        for o in b.ops:
            if o.chan is not None and enc.caps[o.chan] == 0:
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
                    enc.quiet.append(z3.Not(and_(c1, c2, *overlap)))
