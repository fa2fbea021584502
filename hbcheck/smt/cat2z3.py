"""A cat model compiled to z3 over symbolic relations (one source of truth
with the explicit engine's interpreter).

A relation is a dict from event pairs to z3 Booleans (absent pairs are
false), a set a dict from events to Booleans. Closures square until they
cover every path; ``acyclic`` asks for an order (integer ranks) that every
related pair respects; ``irreflexive`` and ``empty`` forbid the pairs.
"""

from __future__ import annotations

import math

import z3

from hbcheck.models.cat import Check, Empty, Exp, Let, Model, Op, Var
from hbcheck.smt.unfold import Unsupported

Rel = dict[tuple[int, int], z3.BoolRef]
Sset = dict[int, z3.BoolRef]


def _or(a: z3.BoolRef | None, b: z3.BoolRef) -> z3.BoolRef:
    return b if a is None else z3.Or(a, b)


def all_of(items: list[z3.BoolRef]) -> z3.BoolRef:
    return z3.And(*items) if items else z3.BoolVal(True)


def any_of(items: list[z3.BoolRef]) -> z3.BoolRef:
    return z3.Or(*items) if items else z3.BoolVal(False)


class Compiler:
    def __init__(self, base: dict[str, Rel | Sset], n: int):
        self.env: dict[str, Rel | Sset] = dict(base)
        self.n = n
        self.ids = list(range(n))
        self.constraints: list[z3.BoolRef] = []
        self.flags: dict[str, Rel | Sset] = {}
        self.nrank = 0

    def compile(self, model: Model) -> None:
        for s in model.stmts:
            if isinstance(s, Let):
                if s.rec:
                    raise Unsupported(f"the model's let rec (line {s.loc.line}) is not compiled to z3 yet")
                for name, exp, _loc in s.bindings:
                    self.env[name] = self.eval(exp)
            elif isinstance(s, Check):
                value = self.eval(s.exp)
                if s.flag:
                    self.flags[s.name] = value
                elif s.negated:
                    raise Unsupported(f"the model's negated check '{s.name}' is not compiled to z3 yet")
                else:
                    self.constraints.append(self.test(s.test, value))

    def test(self, kind: str, value: Rel | Sset) -> z3.BoolRef:
        if kind == "empty":
            return all_of([z3.Not(b) for b in value.values()])
        rel = value  # a relation
        if kind == "irreflexive":
            return all_of([z3.Not(b) for (i, j), b in rel.items() if i == j])
        self.nrank += 1
        rank = [z3.Int(f"rank{self.nrank}_{i}") for i in self.ids]
        return all_of([z3.Implies(b, rank[i] < rank[j]) for (i, j), b in rel.items()])

    def eval(self, e: Exp) -> Rel | Sset:
        if isinstance(e, Var):
            return self.env[e.name]
        if isinstance(e, Empty):
            return {}
        assert isinstance(e, Op)
        args = [self.eval(a) for a in e.args]
        op = e.op
        if op == "|":
            out = dict(args[0])
            for k, b in args[1].items():
                out[k] = _or(out.get(k), b)
            return out
        if op == "&":
            return {k: z3.And(b, args[1][k]) for k, b in args[0].items() if k in args[1]}
        if op == "\\":
            return {k: (z3.And(b, z3.Not(args[1][k])) if k in args[1] else b) for k, b in args[0].items()}
        if op == "[]":
            return {(i, i): b for i, b in args[0].items()}
        if op == "^-1":
            return {(j, i): b for (i, j), b in args[0].items()}
        if op == "?":
            out = dict(args[0])
            for i in self.ids:
                out[(i, i)] = z3.BoolVal(True)
            return out
        if op == ";":
            return self.seq(args[0], args[1])
        closure = self.plus(args[0])
        if op == "+":
            return closure
        for i in self.ids:  # "*"
            closure[(i, i)] = z3.BoolVal(True)
        return closure

    def seq(self, a: Rel, b: Rel) -> Rel:
        after: dict[int, list[tuple[int, z3.BoolRef]]] = {}
        for (k, j), bb in b.items():
            after.setdefault(k, []).append((j, bb))
        out: dict[tuple[int, int], list[z3.BoolRef]] = {}
        for (i, k), ba in a.items():
            for j, bb in after.get(k, ()):
                out.setdefault((i, j), []).append(z3.And(ba, bb))
        return {k: (v[0] if len(v) == 1 else z3.Or(*v)) for k, v in out.items()}

    def plus(self, r: Rel) -> Rel:
        out = dict(r)
        for _ in range(max(1, math.ceil(math.log2(max(self.n, 2))))):
            step = self.seq(out, out)
            grown = dict(out)
            for k, b in step.items():
                grown[k] = _or(grown.get(k), b)
            out = {k: z3.simplify(b) for k, b in grown.items()}
        return out
