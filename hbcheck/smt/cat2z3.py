"""A cat model compiled to z3 over symbolic relations (one source of truth
with the explicit engine's interpreter).

A relation is a dict from event pairs to z3 Booleans (absent pairs are
false), a set a dict from events to Booleans. Closures follow Warshall,
save one the model declares acyclic that holds program order (``hb``):
that one is carried by clocks along the goroutines (``clocked_plus``).
``acyclic`` asks for an order (integer ranks) that every related pair
respects (of r, for r+); ``irreflexive`` and ``empty`` forbid the pairs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count

import z3

from hbcheck.models.cat import Check, Empty, Exp, Let, Model, Op, Var
from hbcheck.smt.unfold import Unsupported

Rel = dict[tuple[int, int], z3.BoolRef]
Sset = dict[int, z3.BoolRef]


def _binary(mk, a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    """``And``/``Or`` of two terms straight through the C API: closures build
    hundreds of thousands of them, and z3.And's argument checks cost 8x more."""
    args = (z3.Ast * 2)(a.as_ast(), b.as_ast())
    return z3.BoolRef(mk(a.ctx.ref(), 2, args), a.ctx)


def and2(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    return b if _is_true(a) else a if _is_true(b) else _binary(z3.Z3_mk_and, a, b)


def _or2(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    return a if _is_true(a) else b if _is_true(b) else _binary(z3.Z3_mk_or, a, b)


_TRUE = z3.BoolVal(True)


def _is_true(a: z3.BoolRef) -> bool:
    """Is ``a`` the term ``True``? (z3 shares equal terms: one pointer comparison.)"""
    return a.ctx is _TRUE.ctx and a.as_ast().value == _TRUE.as_ast().value


def implies_lt(b: z3.BoolRef, x: z3.ArithRef, y: z3.ArithRef) -> z3.BoolRef:
    """``Implies(b, x < y)`` through the C API: one per edge of every ranked relation."""
    ref = b.ctx.ref()
    return z3.BoolRef(z3.Z3_mk_implies(ref, b.as_ast(), z3.Z3_mk_lt(ref, x.as_ast(), y.as_ast())), b.ctx)


def not_(a: z3.BoolRef) -> z3.BoolRef:
    """``Not`` through the C API (5x cheaper than z3.Not's checks)."""
    return z3.BoolRef(z3.Z3_mk_not(a.ctx.ref(), a.as_ast()), a.ctx)


def _union(a: Rel | Sset, b: Rel | Sset) -> Rel | Sset:
    out = dict(a)
    for k, x in b.items():
        out[k] = _or(out.get(k), x)
    return out  # type: ignore[return-value]


def _or(a: z3.BoolRef | None, b: z3.BoolRef) -> z3.BoolRef:
    return b if a is None else _or2(a, b)


def _nary(mk, items: list[z3.BoolRef]) -> z3.BoolRef:
    """``And``/``Or`` of many terms through the C API, as ``_binary`` (the same
    term z3.And builds, without its per-argument coercion)."""
    ctx = getattr(items[0], "ctx", None)
    if ctx is None or not all(isinstance(b, z3.BoolRef) and b.ctx is ctx for b in items):
        return (z3.And if mk is z3.Z3_mk_and else z3.Or)(*items)
    args = (z3.Ast * len(items))(*(b.as_ast() for b in items))
    return z3.BoolRef(mk(ctx.ref(), len(items), args), ctx)


def and_(*items: z3.BoolRef) -> z3.BoolRef:
    """A drop-in ``z3.And`` for terms (what the encoders build by the thousand)."""
    return _nary(z3.Z3_mk_and, list(items)) if items else z3.And()


def or_(*items: z3.BoolRef) -> z3.BoolRef:
    return _nary(z3.Z3_mk_or, list(items)) if items else z3.Or()


def implies(a: z3.BoolRef, b: z3.BoolRef) -> z3.BoolRef:
    if not (isinstance(a, z3.BoolRef) and isinstance(b, z3.BoolRef) and a.ctx is b.ctx):
        return z3.Implies(a, b)
    return z3.BoolRef(z3.Z3_mk_implies(a.ctx.ref(), a.as_ast(), b.as_ast()), a.ctx)


def all_of(items: list[z3.BoolRef]) -> z3.BoolRef:
    return _nary(z3.Z3_mk_and, items) if items else z3.BoolVal(True)


def any_of(items: list[z3.BoolRef]) -> z3.BoolRef:
    return _nary(z3.Z3_mk_or, items) if items else z3.BoolVal(False)


def _checked_acyclic(stmts: Sequence[object]) -> set[tuple[int, str]]:
    """The bindings (statement index, name) a later plain ``acyclic`` check
    names before any rebinding: every execution keeps those acyclic."""
    out: set[tuple[int, str]] = set()
    latest: dict[str, int] = {}
    for i, s in enumerate(stmts):
        if isinstance(s, Let):
            latest.update((name, i) for name, _exp, _loc in s.bindings)
        elif (
            isinstance(s, Check)
            and s.test == "acyclic"
            and not (s.flag or s.negated)
            and isinstance(s.exp, Var)
            and s.exp.name in latest
        ):
            out.add((latest[s.exp.name], s.exp.name))
    return out


_fresh = count()


class Compiler:
    def __init__(self, base: dict[str, Rel | Sset], n: int, chains: Sequence[Sequence[int]] = ()):
        """``chains``: each goroutine's events in program order, whose pairs
        ``base["po"]`` relates whenever both events exist."""
        self.env: dict[str, Rel | Sset] = dict(base)
        self.n = n
        self.ids = list(range(n))
        self.constraints: list[z3.BoolRef] = []
        self.flags: dict[str, Rel | Sset] = {}
        self.flag_fires: dict[str, z3.BoolRef | None] = {}
        self.nrank = 0
        self.closed_from: dict[int, tuple[Rel, Rel]] = {}  # id of r+ -> (r+, r)
        self.chains = [list(c) for c in chains]
        # the unions that hold program order, by id (kept alive, so no id is reused)
        self.with_po: dict[int, object] = {id(base["po"]): base["po"]} if chains and "po" in base else {}

    def compile(self, model: Model, between: Callable[[], None] = lambda: None) -> None:
        """``between`` runs before each statement (the engine's budget check)."""
        acyclic = _checked_acyclic(model.stmts)
        for i, s in enumerate(model.stmts):
            between()
            if isinstance(s, Let):
                if s.rec:
                    raise Unsupported(f"the model's let rec (line {s.loc.line}) is not compiled to z3 yet")
                for name, exp, _loc in s.bindings:
                    if (i, name) in acyclic and isinstance(exp, Op) and exp.op == "+":
                        r = self.eval(exp.args[0])
                        assert isinstance(next(iter(r), (0, 0)), tuple)
                        closure = self.clocked_plus(r) if id(r) in self.with_po else None  # type: ignore[arg-type]
                        if closure is None:
                            closure = self.plus(r)  # type: ignore[arg-type]
                        self.closed_from[id(closure)] = (closure, r)  # type: ignore[assignment]
                        self.env[name] = closure
                    else:
                        self.env[name] = self.eval(exp)
            elif isinstance(s, Check):
                value = self.eval(s.exp)
                if s.flag:  # flags of one name are one flag: raised by any, with every witness
                    earlier = self.flags.get(s.name)
                    self.flags[s.name] = value if earlier is None else _union(earlier, value)
                    # when the flag is raised (a model's own flag: its finding is that)
                    fires = None
                    if s.test != "acyclic":  # a cycle exists: not quantifier-free with ranks
                        holds = self.test(s.test, value)
                        fires = z3.Not(holds) if s.negated else holds
                    if s.name in self.flag_fires:
                        before = self.flag_fires[s.name]
                        fires = None if fires is None or before is None else z3.Or(before, fires)
                    self.flag_fires[s.name] = fires
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
        closure, base = self.closed_from.get(id(rel), (None, rel))
        if closure is rel:
            rel = base  # r+ is acyclic exactly when r is: rank r's few edges
        self.nrank += 1
        rank = [z3.Int(f"rank{self.nrank}_{i}") for i in self.ids]
        return all_of([implies_lt(b, rank[i], rank[j]) for (i, j), b in rel.items()])

    def eval(self, e: Exp) -> Rel | Sset:
        if isinstance(e, Var):
            return self.env[e.name]
        if isinstance(e, Empty):
            return {}
        assert isinstance(e, Op)
        args = [self.eval(a) for a in e.args]
        op = e.op
        if op == "|":
            out = _union(args[0], args[1])
            if id(args[0]) in self.with_po or id(args[1]) in self.with_po:
                self.with_po[id(out)] = out
            return out
        if op == "&":
            a, b = args[0], args[1]
            if len(b) < len(a):
                a, b = b, a
            return {k: and2(x, b[k]) for k, x in a.items() if k in b}
        if op == "\\":
            return {k: (and2(b, not_(args[1][k])) if k in args[1] else b) for k, b in args[0].items()}
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
            self.closed_from[id(closure)] = (closure, args[0])
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
                out.setdefault((i, j), []).append(and2(ba, bb))
        return {k: (v[0] if len(v) == 1 else any_of(v)) for k, v in out.items()}

    def clocked_plus(self, r: Rel) -> Rel | None:
        """r+ for an r that holds program order and that every execution keeps
        acyclic, as vector clocks: ``clk[b][c][k]`` says that some event at
        place k or later of goroutine c reaches the point just after b, so
        (a, b) is in r+ exactly when a's clock bit is set at b. A bit changes
        only at events with an incoming edge off program order (the rest pass
        their predecessor's bits on), so the terms number about n * n * d
        for d such edges an event, against Warshall's n^3; acyclicity makes
        the clock equations' solution unique. None if the events do not
        split that way (then Warshall serves)."""
        act = self.env.get("_", {})
        universal = self._universal_sources(r, act)  # type: ignore[arg-type]
        chains = [[e for e in c if e not in universal] for c in self.chains]
        placed = {e for c in chains for e in c}
        chains += [[e] for e in self.ids if e not in universal and e not in placed]
        clocks = _Clocks(chains, next(_fresh))
        for (p, b), t in r.items():
            if p in universal or z3.is_false(t) or clocks.before_in_chain(p, b):
                continue  # program order (r holds all of it), or a universal source's row
            if b in universal:
                return None
            clocks.edge(p, b, and2(and2(t, act[p]), act[b]))  # an edge that passes on needs both
        self.constraints.extend(clocks.equations())
        out: Rel = {}
        for i in universal:
            for j in self.ids:
                if j not in universal:
                    out[(i, j)] = and2(act[i], act[j])
        for chain in chains:
            for x, a in enumerate(chain):
                for b in chain[x + 1 :]:
                    out[(a, b)] = and2(act[a], act[b])
        for b in self.ids:
            if b not in universal:
                out.update(clocks.reaching(b, act))
        return out

    def _universal_sources(self, r: Rel, act: Sset) -> set[int]:
        """Events nothing reaches that r puts before every other event (when
        both exist): the initial writes. Their row of r+ is their row of r."""
        into = {j for (i, j), t in r.items() if not z3.is_false(t)}
        out = {i for i in self.ids if i not in into and i in act}
        while True:
            keep = {
                i
                for i in out
                if all((i, j) in r and r[(i, j)].eq(and2(act[i], act[j])) for j in self.ids if j not in out)
            }
            if keep == out:
                return out
            out = keep

    def plus(self, r: Rel) -> Rel:
        """Transitive closure, Warshall's way: one pass per intermediate event
        (n^3 small terms at most, against log n squarings of n^3 each).

        Every edge implies both its events exist, so a pair whose term is
        already "both exist" (program order, say) gains nothing from a path:
        those pairs are skipped, which spares most of the terms."""
        act = self.env.get("_", {})
        out: dict[tuple[int, int], z3.BoolRef] = {k: b for k, b in r.items() if not z3.is_false(b)}
        full = {
            (i, j)
            for (i, j), b in out.items()
            if i != j and i in act and j in act and b.eq(and2(act[i], act[j]))  # type: ignore[arg-type]
        }
        into: dict[int, dict[int, z3.BoolRef]] = {}
        outof: dict[int, dict[int, z3.BoolRef]] = {}
        for (i, j), b in out.items():
            into.setdefault(j, {})[i] = b
            outof.setdefault(i, {})[j] = b
        for k in self.ids:
            for i, bik in list(into.get(k, {}).items()):
                for j, bkj in list(outof.get(k, {}).items()):
                    if (i, j) in full:
                        continue
                    step = and2(bik, bkj)
                    old = out.get((i, j))
                    new = step if old is None else _or2(old, step)
                    out[(i, j)] = new
                    into.setdefault(j, {})[i] = new
                    outof.setdefault(i, {})[j] = new
        return out


class _Clocks:
    """The vector clocks of ``Compiler.clocked_plus``: ``clk[b][c][k]`` says
    that some event at place k or later of chain c reaches the point just
    after b. Only events with an incoming edge off program order get clock
    variables; the others read those of the latest such event before them."""

    def __init__(self, chains: list[list[int]], tag: int) -> None:
        self.chains, self.tag = chains, tag
        self.chain_of: dict[int, int] = {}
        self.pos: dict[int, int] = {}
        for ci, c in enumerate(chains):
            for k, e in enumerate(c):
                self.chain_of[e], self.pos[e] = ci, k
        self.sync: dict[int, list[tuple[int, z3.BoolRef]]] = {}  # b -> its incoming edges off program order
        self.clk: dict[int, list[list[z3.BoolRef]]] = {}
        self.last: dict[int, int | None] = {}  # the latest event at or before e with clock variables

    def before_in_chain(self, a: int, b: int) -> bool:
        return self.chain_of[a] == self.chain_of[b] and self.pos[a] < self.pos[b]

    def edge(self, p: int, b: int, cond: z3.BoolRef) -> None:
        self.sync.setdefault(b, []).append((p, cond))

    def bit(self, e: int | None, c: int, k: int) -> z3.BoolRef | None:
        if e is None or c == self.chain_of[e]:
            return None  # no clock yet; or e's own goroutine, which program order covers
        return self.clk[e][c][k]

    def equations(self) -> list[z3.BoolRef]:
        """Each clock bit: kept from the event before, or set by an edge from a
        source at or after that place (directly or through the source's clock)."""
        chains, chain_of, pos = self.chains, self.chain_of, self.pos
        self.clk = {
            b: [
                [z3.Bool(f"clk{self.tag}_{b}_{c}_{k}") for k in range(len(chain))] if c != chain_of[b] else []
                for c, chain in enumerate(chains)
            ]
            for b in self.sync
        }
        for c in chains:
            mark = None
            for e in c:
                mark = e if e in self.clk else mark
                self.last[e] = mark
        out = []
        for b, edges in self.sync.items():
            cb = chain_of[b]
            before = self.last[chains[cb][pos[b] - 1]] if pos[b] > 0 else None
            for c, chain in enumerate(chains):
                if c == cb:
                    continue
                for k in range(len(chain)):
                    kept = self.bit(before, c, k)
                    terms = [kept] if kept is not None else []
                    for p, t in edges:
                        if chain_of[p] == c and pos[p] >= k:
                            terms.append(t)
                        elif (via := self.bit(self.last[p], c, k)) is not None:
                            terms.append(and2(t, via))
                    out.append(self.clk[b][c][k] == any_of(terms))
        return out

    def reaching(self, b: int, act: Sset) -> Rel:
        """The pairs (a, b) of r+ with a on another chain: a's bit in b's clock."""
        mark = self.last[b]
        if mark is None:
            return {}
        out: Rel = {}
        for c, chain in enumerate(self.chains):
            if c == self.chain_of[b]:
                continue
            for k, a in enumerate(chain):
                out[(a, b)] = and2(and2(act[a], act[b]), self.clk[mark][c][k])
        return out
