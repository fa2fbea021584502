"""The encoded program (Dat3M's ``EncodingContext``): the z3 variables of one
unfolded program and what the encoders add to them.

Each encoder (``memory``, ``order``, ``channels``, ``syncobjs``, ``waiting``)
adds its family's constraints and relations to this record; ``relations``
reads it to give the model its base relations; the driver (``engine``)
queries it, and ``witness`` rebuilds a weak execution from it. Every field
exists from the start: no encoder creates one another reads.
"""

from __future__ import annotations

import z3

from hbcheck.language.check import Program
from hbcheck.models import Model
from hbcheck.names import SYNC_EDGES
from hbcheck.smt.cat2z3 import Rel, or_
from hbcheck.smt.snapshot import Snapshot
from hbcheck.smt.unfold import ChanOp, SEvent, Unfolding

# the synchronisation edges the encoders fill (a mutex's is ``lock_rel``)
SYNC_KINDS = tuple(k for k in SYNC_EDGES if k != "lock")


class Encoding:
    def __init__(self, program: Program, model: Model, u: Unfolding, unroll: int) -> None:
        self.program, self.model, self.u, self.unroll = program, model, u, unroll
        self.events: list[SEvent] = u.events
        self.caps: dict[str, int] = {**program.caps, **u.made}
        # memory: reads-from, the write order (co) and each write's place in it
        self.rf: dict[tuple[int, int], z3.BoolRef] = {}
        self.co: dict[tuple[int, int], z3.BoolRef] = {}
        self.pos: dict[int, z3.ArithRef] = {}
        # every candidate execution satisfies these (the model's constraints come on top)
        self.structural: list[z3.BoolRef] = []
        # what an execution is: events, rf, write orders, FIFO places, lock order
        self.choices: list[z3.ExprRef] = []
        self.sync: dict[str, Rel] = {k: {} for k in SYNC_KINDS}
        self.lock_rel: Rel = {}
        # orders the replay needs that no model relation carries: a woken sender's
        # begin -> the close that woke it; a select that took default and the
        # operations on its channels, in time order
        self.replay_order: Rel = {}
        self.fifo: dict[int, z3.ArithRef] = {}  # a channel operation's end event -> its FIFO place
        self.quiet: list[z3.BoolRef] = []  # no waiting operation could still run: a final state
        # (why, when): executions the encoding may count wrong; z3 steps aside if one is possible
        self.unsure: list[tuple[str, z3.BoolRef]] = []
        self.chains: list[list[int]] = []  # each goroutine's events in program order
        # the sync objects at the end of an execution
        self.held_end: dict[str, z3.ArithRef] = {}  # a mutex: locks minus unlocks
        self.wg_final: dict[str, z3.BitVecRef] = {}  # a wait group's counter
        self.once_done: dict[str, z3.BoolRef] = {}  # a once's f returned
        # a function started several times: each instance's rank among them, and
        # its (function, go event, number of instances)
        self.rank: dict[str, z3.ArithRef] = {}
        self.instance_of: dict[str, tuple[str, SEvent, int]] = {}

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


def at(e: SEvent) -> z3.BoolRef:
    """When ``e`` takes its place in the time order."""
    return e.act if e.at is None else e.at


def add(rel: Rel, key: tuple[int, int], cond: z3.BoolRef) -> None:
    rel[key] = or_(rel[key], cond) if key in rel else cond


def nonblocking(op: ChanOp) -> bool:
    """An operation of a select with a default: it never waits for a partner."""
    return op.select is not None and op.select.default is not None
