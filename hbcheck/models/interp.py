"""Evaluate a cat model over one execution (herd's lib/interpreter.ml, reduced).

The interpreter sees only the execution's base relations and sets, computed
on demand, as bit matrices (``hb.relations.BaseEnv``): a set is an int, a
relation a tuple of row ints. The explicit engine judges every execution it
explores, tens of thousands for a random four-goroutine program, and pair
sets with a networkx graph per closure cost ten times more. The closure
itself is Warshall's on rows (tests check it against networkx's
``transitive_closure``); a failed ``acyclic`` check takes its cycle from
networkx. A failed check rejects the execution; a flag marks it (a data
race) without rejecting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from hbcheck.errors import HbError
from hbcheck.explore.execution import Execution
from hbcheck.hb.relations import BASE_SETS, BaseEnv, Rows, bits, pairs_of
from hbcheck.models.cat import Check, Empty, Exp, Let, Model, Op, Var


class RelV(tuple):
    """A relation: row i is the int whose bit j says (i, j) is in it."""


class ClosedV(RelV):
    """A transitive relation (a closure): acyclic exactly when irreflexive."""


class DiagV(RelV):
    """``[S]``: pairs (i, i) only, so composing with it is a mask."""


class SetV(int):
    """A set of events: bit i says event i is in it."""


Value = RelV | SetV


@dataclass
class Verdict:
    """What a model says of one execution."""

    allowed: bool
    failed: list[tuple[str, tuple]] = field(default_factory=list)  # axiom name, witness (cycle edges, pairs)
    flags: dict[str, frozenset] = field(default_factory=dict)  # flag name -> offending pairs or events


def evaluate(model: Model, x: Execution, caps: dict[str, int]) -> Verdict:
    env = _Env(BaseEnv(x, caps), len(x.events))
    verdict = Verdict(True)
    for s in model.stmts:
        if isinstance(s, Let):
            if s.rec:
                _fixpoint(env, s)
            else:
                values = {name: env.eval(exp) for name, exp, _loc in s.bindings}
                env.bound.update(values)
        elif isinstance(s, Check):
            holds, witness = env.test(s)
            if s.flag:
                if holds:  # flags of one name are one flag: raised by any, with every witness
                    verdict.flags[s.name] = verdict.flags.get(s.name, frozenset()) | witness
            elif not holds:
                verdict.allowed = False
                verdict.failed.append((s.name, tuple(sorted(witness))))
    return verdict


def _fixpoint(env: _Env, s: Let) -> None:
    """``let rec``: iterate from empty relations to the least fixed point."""
    for name, _exp, _loc in s.bindings:
        env.bound[name] = env.none
    for _ in range(10_000):
        new = {name: env.eval(exp) for name, exp, _loc in s.bindings}
        if all(new[n] == env.bound[n] for n in new):
            return
        env.bound.update(new)
    raise HbError("let rec did not reach a fixed point", s.loc)  # pragma: no cover - monotone ops converge


class _Env:
    def __init__(self, base: BaseEnv, n: int):
        self.base = base
        self.n = n
        self.none = RelV((0,) * n)
        self.bound: dict[str, Value] = {}

    def lookup(self, v: Var) -> Value:
        if v.name in self.bound:
            return self.bound[v.name]
        value = self.base[v.name]
        return SetV(value) if v.name in BASE_SETS else RelV(value)  # type: ignore[arg-type]

    def eval(self, e: Exp) -> Value:
        if isinstance(e, Var):
            return self.lookup(e)
        if isinstance(e, Empty):
            return self.none
        assert isinstance(e, Op)
        args = [self.eval(a) for a in e.args]
        op = e.op
        if op in ("|", "&", "\\"):
            a, b = self._same_kind(args[0], args[1], e)
            if isinstance(a, SetV):
                return SetV(a | b if op == "|" else a & b if op == "&" else a & ~b)
            assert isinstance(b, RelV)
            if op == "|":
                return RelV([x | y for x, y in zip(a, b)])
            if op == "&":
                return RelV([x & y for x, y in zip(a, b)])
            return RelV([x & ~y for x, y in zip(a, b)])
        if op == "[]":
            if not isinstance(args[0], SetV):
                raise HbError("[...] needs a set of events, got a relation", e.loc)
            s = args[0]
            return DiagV([(1 << i) & s for i in range(self.n)])
        r = args[0]
        if not isinstance(r, RelV):
            raise HbError(f"'{op}' needs relations, got a set (write [S] for its identity relation)", e.loc)
        if op == ";":
            s = args[1]
            if not isinstance(s, RelV):
                raise HbError("';' needs relations, got a set (write [S] for its identity relation)", e.loc)
            return RelV(compose(r, s))
        if op == "^-1":
            return RelV(transpose(r))
        if op == "?":
            return RelV([row | 1 << i for i, row in enumerate(r)])
        closed = r if isinstance(r, ClosedV) else ClosedV(closure(r))
        if op == "+":
            return closed
        return ClosedV([row | 1 << i for i, row in enumerate(closed)])  # "*"

    def _same_kind(self, a: Value, b: Value, e: Op) -> tuple[Value, Value]:
        if isinstance(a, SetV) == isinstance(b, SetV):
            return a, b
        if not _nonempty(a):
            return (SetV(0) if isinstance(b, SetV) else self.none), b
        if not _nonempty(b):
            return a, (SetV(0) if isinstance(a, SetV) else self.none)
        raise HbError(f"'{e.op}' mixes a set and a relation", e.loc)

    def test(self, c: Check) -> tuple[bool, frozenset]:
        """Whether the check holds (after ``~``), and its evidence: the
        cycle, the reflexive pairs, or the non-empty contents."""
        value = self.eval(c.exp)
        if c.test == "acyclic":
            if not isinstance(value, RelV):
                raise HbError("acyclic needs a relation", c.loc)
            closed = value if isinstance(value, ClosedV) else closure(value)
            if not _loops(closed):
                evidence: frozenset = frozenset()  # a transitive relation without loops has no cycle
            else:
                # r+ is acyclic exactly when r is: the smaller graph, and its cycle as evidence
                inner = self.eval(c.exp.args[0]) if isinstance(c.exp, Op) and c.exp.op == "+" else value
                graph = nx.DiGraph(sorted(pairs_of(inner)))  # type: ignore[arg-type]
                evidence = frozenset((a, b) for a, b, *_ in nx.find_cycle(graph))
            ok = not evidence
        elif c.test == "irreflexive":
            if not isinstance(value, RelV):
                raise HbError("irreflexive needs a relation", c.loc)
            evidence = frozenset((i, i) for i in _loops(value))
            ok = not evidence
        else:
            evidence = _contents(value)
            ok = not evidence
        if c.negated:
            ok = not ok
            evidence = _contents(value)
        return ok, evidence


def _nonempty(v: Value) -> bool:
    return bool(v) if isinstance(v, SetV) else any(v)


def _contents(v: Value) -> frozenset:
    return frozenset(bits(v)) if isinstance(v, SetV) else pairs_of(v)


def _loops(r: Rows) -> list[int]:
    return [i for i, row in enumerate(r) if row >> i & 1]


def compose(r: Rows, s: Rows) -> list[int]:
    """r ; s: row i is the union of s's rows at r's row i (only where s has any)."""
    if isinstance(s, DiagV):
        keep = 0
        for row in s:
            keep |= row
        return [row & keep for row in r]
    if isinstance(r, DiagV):
        return [row and s[i] for i, row in enumerate(r)]
    where = 0
    for j, row in enumerate(s):
        if row:
            where |= 1 << j
    out = []
    for row in r:
        acc = 0
        row &= where
        while row:  # each bit j of the row (inline: this loop is the interpreter's hottest)
            low = row & -row
            acc |= s[low.bit_length() - 1]
            row ^= low
        out.append(acc)
    return out


def transpose(r: Rows) -> list[int]:
    out = [0] * len(r)
    for i, row in enumerate(r):
        bit = 1 << i
        while row:
            low = row & -row
            out[low.bit_length() - 1] |= bit
            row ^= low
    return out


def closure(r: Rows) -> list[int]:
    """r+ by Warshall on rows: after step k, row i holds every event reached
    through intermediates below k+1. When every edge goes to a later event
    (an interleaving's relations), one backward sweep suffices: row i is its
    successors and their rows, skipping successors already covered."""
    rows = list(r)
    if all(not row & ((2 << i) - 1) for i, row in enumerate(rows)):
        for i in range(len(rows) - 1, -1, -1):
            todo = acc = rows[i]
            while todo:
                low = todo & -todo
                reach = rows[low.bit_length() - 1]
                acc |= reach
                todo &= ~(reach | low)
            rows[i] = acc
        return rows
    for k in range(len(rows)):
        through, bit = rows[k], 1 << k
        if through:
            for i, row in enumerate(rows):
                if row & bit:
                    rows[i] = row | through
    return rows
