"""Evaluate a cat model over one execution (herd's lib/interpreter.ml, reduced).

The interpreter sees only the execution's base relations and sets, computed
on demand. Closures, reachability and cycles use networkx. A failed check
rejects the execution; a flag marks it (a data race) without rejecting it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from hbcheck.errors import HbError
from hbcheck.explore.execution import Execution
from hbcheck.hb.relations import BASE_SETS, BaseEnv
from hbcheck.models.cat import Check, Empty, Exp, Let, Model, Op, Var


class RelV(frozenset):
    """A relation: a frozenset of (event, event) pairs."""


class SetV(frozenset):
    """A set of events."""


class ClosedV(RelV):
    """A transitive relation (a closure): acyclic exactly when irreflexive."""


@dataclass
class Verdict:
    """What a model says of one execution."""

    allowed: bool
    failed: list[tuple[str, tuple]] = field(default_factory=list)  # axiom name, witness (cycle edges, pairs)
    flags: dict[str, frozenset] = field(default_factory=dict)  # flag name -> offending pairs or events
    values: dict[str, frozenset] = field(default_factory=dict)  # every let-bound name, evaluated


def evaluate(model: Model, x: Execution, caps: dict[str, int]) -> Verdict:
    env = _Env(BaseEnv(x, caps), [e.id for e in x.events])
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
                if holds:
                    verdict.flags[s.name] = witness
            elif not holds:
                verdict.allowed = False
                verdict.failed.append((s.name, tuple(sorted(witness))))
    verdict.values = dict(env.bound)
    return verdict


def _fixpoint(env: _Env, s: Let) -> None:
    """``let rec``: iterate from empty relations to the least fixed point."""
    for name, _exp, _loc in s.bindings:
        env.bound[name] = RelV()
    for _ in range(10_000):
        new = {name: env.eval(exp) for name, exp, _loc in s.bindings}
        if all(new[n] == env.bound[n] for n in new):
            return
        env.bound.update(new)
    raise HbError("let rec did not reach a fixed point", s.loc)  # pragma: no cover - monotone ops converge


class _Env:
    def __init__(self, base: BaseEnv, events: list[int]):
        self.base = base
        self.events = events
        self.bound: dict[str, frozenset] = {}

    def lookup(self, v: Var) -> frozenset:
        if v.name in self.bound:
            return self.bound[v.name]
        value = self.base[v.name]
        return SetV(value) if v.name in BASE_SETS else RelV(value)

    def eval(self, e: Exp) -> frozenset:
        if isinstance(e, Var):
            return self.lookup(e)
        if isinstance(e, Empty):
            return RelV()
        assert isinstance(e, Op)
        args = [self.eval(a) for a in e.args]
        op = e.op
        if op in ("|", "&", "\\"):
            a, b = _same_kind(args[0], args[1], e)
            kind = SetV if isinstance(a, SetV) else RelV
            return kind(a | b if op == "|" else a & b if op == "&" else a - b)
        if op == "[]":
            if not isinstance(args[0], SetV):
                raise HbError("[...] needs a set of events, got a relation", e.loc)
            return RelV((i, i) for i in args[0])
        r = args[0]
        if not isinstance(r, RelV):
            raise HbError(f"'{op}' needs relations, got a set (write [S] for its identity relation)", e.loc)
        if op == ";":
            s = args[1]
            if not isinstance(s, RelV):
                raise HbError("';' needs relations, got a set (write [S] for its identity relation)", e.loc)
            after: dict[int, list[int]] = {}
            for a, b in s:
                after.setdefault(a, []).append(b)
            return RelV((a, c) for a, b in r for c in after.get(b, ()))
        if op == "^-1":
            return RelV((b, a) for a, b in r)
        if op == "?":
            return RelV(r | {(i, i) for i in self.events})
        closure = _closure(r)
        if op == "+":
            return closure
        return ClosedV(closure | {(i, i) for i in self.events})  # "*"

    def test(self, c: Check) -> tuple[bool, frozenset]:
        """Whether the check holds (after ``~``), and its evidence: the
        cycle, the reflexive pairs, or the non-empty contents."""
        value = self.eval(c.exp)
        if c.test == "acyclic":
            if not isinstance(value, RelV):
                raise HbError("acyclic needs a relation", c.loc)
            if isinstance(value, ClosedV) and all(a != b for a, b in value):
                evidence = frozenset()  # a transitive relation without loops has no cycle
            else:
                # r+ is acyclic exactly when r is: the smaller graph, and its cycle as evidence
                inner = self.eval(c.exp.args[0]) if isinstance(c.exp, Op) and c.exp.op == "+" else value
                graph = nx.DiGraph(list(inner))
                if nx.is_directed_acyclic_graph(graph):
                    evidence = frozenset()
                else:
                    evidence = frozenset((a, b) for a, b, *_ in nx.find_cycle(graph))
            ok = not evidence
        elif c.test == "irreflexive":
            if not isinstance(value, RelV):
                raise HbError("irreflexive needs a relation", c.loc)
            evidence = frozenset((a, b) for a, b in value if a == b)
            ok = not evidence
        else:
            evidence = value
            ok = not value
        if c.negated:
            ok = not ok
            evidence = value
        return ok, evidence


def _closure(r: frozenset) -> RelV:
    """r+ with networkx: each event's descendants, and (u, u) for an event
    on a cycle (one of its successors reaches it back)."""
    if not r:
        return ClosedV()
    graph = nx.DiGraph(list(r))
    desc = {u: nx.descendants(graph, u) for u in graph}
    pairs = {(u, v) for u, vs in desc.items() for v in vs}
    pairs.update((u, u) for u in graph if any(v == u or u in desc[v] for v in graph.successors(u)))
    return ClosedV(pairs)


def _same_kind(a: frozenset, b: frozenset, e: Op) -> tuple[frozenset, frozenset]:
    if isinstance(a, SetV) == isinstance(b, SetV):
        return a, b
    if not a:
        return (SetV() if isinstance(b, SetV) else RelV()), b
    if not b:
        return a, (SetV() if isinstance(a, SetV) else RelV())
    raise HbError(f"'{e.op}' mixes a set and a relation", e.loc)
