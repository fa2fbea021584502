"""The symbolic engine: every execution of the unrolled program that the
model allows, as z3 models (DESIGN.md §6).

Reads-from, the order of writes per variable and the SC order of atomics are
variables; the model file is compiled over them. UNSAT proves (Never, Always,
no race, no panic) within the bound; SAT gives a witness; counts enumerate
models projected on the execution's choices (reads-from and write orders),
which is what the explicit engine's classes are for memory-only programs.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from itertools import combinations

import z3

from hbcheck.explore.execution import Finding
from hbcheck.language.check import Program
from hbcheck.models import Model
from hbcheck.smt.cat2z3 import Compiler, all_of, any_of
from hbcheck.smt.schedule import replay, sc_order
from hbcheck.smt.unfold import SEvent, Unfolding, Unsupported, unfold
from hbcheck.verdict.condition import Location, locations, show_location
from hbcheck.verdict.outcome import TestResult, caps_of, possible_observations

ENUMERATION_LIMIT = 20_000


@dataclass
class SmtAnswer:
    result: TestResult | None
    reason: str | None = None  # why there is no result: an unsupported construct, a timeout
    seconds: float = 0.0
    replayed: int = 0  # SC-realisable executions whose schedule the machine replayed to the same values
    weak: int = 0  # executions with no SC schedule
    witness: list[str] | None = None  # the schedule of an SC-realisable execution satisfying the condition


def solve(program: Program, model: Model, unroll: int = 8, timeout_ms: int = 60_000) -> SmtAnswer:
    start = time.perf_counter()
    try:
        u = unfold(program, unroll)
        return _Engine(program, model, u, timeout_ms, unroll).run(start)
    except Unsupported as exc:
        return SmtAnswer(None, str(exc), time.perf_counter() - start)
    except _Timeout as exc:
        return SmtAnswer(None, f"solver timeout ({exc})", time.perf_counter() - start)


class _Timeout(Exception):
    pass


class _Engine:
    def __init__(self, program: Program, model: Model, u: Unfolding, timeout_ms: int, unroll: int = 8):
        self.p, self.model, self.u = program, model, u
        self.unroll = unroll
        self.ev = u.events
        self.timeout_ms = timeout_ms
        self.rf: dict[tuple[int, int], z3.BoolRef] = {}
        self.co: dict[tuple[int, int], z3.BoolRef] = {}
        self.pos: dict[int, z3.ArithRef] = {}
        self.structural: list[z3.BoolRef] = []
        self.choices: list[z3.BoolRef] = []  # what an execution is: its rf and its write orders

    # ---- the candidate executions
    def build(self) -> None:
        ev = self.ev
        by_loc: dict[str, list[SEvent]] = {}
        for e in ev:
            by_loc.setdefault(e.loc, []).append(e)
        for loc, es in by_loc.items():
            writes = [e for e in es if e.writes]
            reads = [e for e in es if e.reads]
            atomic = loc in self.u.atomic_vars
            for w in writes:
                self.pos[w.id] = z3.Int(f"pos{w.id}")
                if w.kind == "IW":
                    self.structural.append(self.pos[w.id] == 0)
                else:
                    self.structural.append(self.pos[w.id] >= 1)
            for a, b in combinations(writes, 2):
                self.structural.append(z3.Implies(z3.And(a.act, b.act), self.pos[a.id] != self.pos[b.id]))
                self.co[(a.id, b.id)] = z3.And(a.act, b.act, self.pos[a.id] < self.pos[b.id])
                self.co[(b.id, a.id)] = z3.And(a.act, b.act, self.pos[b.id] < self.pos[a.id])
                self.choices.append(self.co[(a.id, b.id)])
            for r in reads:
                options = []
                for w in writes:
                    if w.id == r.id or w.rmw_of == r.id:
                        continue
                    b = z3.Bool(f"rf{w.id}_{r.id}")
                    self.rf[(w.id, r.id)] = b
                    self.structural.append(z3.Implies(b, z3.And(w.act, r.act, r.val == w.val)))
                    options.append(b)
                    self.choices.append(b)
                self.structural.append(z3.Implies(r.act, z3.PbEq([(o, 1) for o in options], 1)))
                self.structural.append(z3.Implies(z3.Not(r.act), all_of([z3.Not(o) for o in options])))
            if atomic:
                self._sc_atomics(writes, reads)
        self._atomic_order()
        self._critical_sections()

    def _critical_sections(self) -> None:
        """Per mutex, the critical sections come in one order (the Lock/Unlock pairs
        never nest, see unfold): ``lock`` relates each Unlock to every later Lock."""
        self.lock_rel: dict[tuple[int, int], z3.BoolRef] = {}
        sections: dict[str, list[tuple[SEvent, SEvent]]] = {}
        pending: dict[tuple[str, str], SEvent] = {}
        for e in self.ev:
            if e.kind == "L":
                pending[(e.g, e.loc)] = e
            elif e.kind == "U":
                sections.setdefault(e.loc, []).append((pending.pop((e.g, e.loc)), e))
        for mutex, cs in sections.items():
            order = [z3.Int(f"cs_{mutex}_{lk.id}") for lk, _u in cs]
            for (i, (li, ui)), (j, (lj, uj)) in combinations(enumerate(cs), 2):
                both = z3.And(li.act, lj.act)
                self.structural.append(z3.Implies(both, order[i] != order[j]))
                if li.g == lj.g:
                    self.structural.append(z3.Implies(both, order[i] < order[j]))
                first = z3.And(both, order[i] < order[j])
                self.lock_rel[(ui.id, lj.id)] = first
                self.lock_rel[(uj.id, li.id)] = z3.And(both, order[j] < order[i])
                self.choices.append(first)

    def _sc_atomics(self, writes: list[SEvent], reads: list[SEvent]) -> None:
        """Atomics are sequentially consistent: one total order of all of them (``apos``),
        each atomic read seeing the latest atomic write before it, an RMW's write right after its read."""
        for r in reads:
            for w in writes:
                if (w.id, r.id) not in self.rf:
                    continue
                later = [w2 for w2 in writes if w2.id != w.id and w2.rmw_of != r.id]
                before_r = self._apos_before(w, r)
                hidden = any_of([z3.And(w2.act, self._apos_before(w, w2), self._apos_before(w2, r)) for w2 in later])
                self.structural.append(self.rf[(w.id, r.id)] == z3.And(w.act, r.act, before_r, z3.Not(hidden)))
        for w in writes:
            if w.kind != "IW":
                # the write order of an atomic variable is its SC order
                for w2 in writes:
                    if w2.id != w.id and w2.kind != "IW":
                        self.structural.append(
                            z3.Implies(
                                z3.And(w.act, w2.act), (self.pos[w.id] < self.pos[w2.id]) == self._apos_before(w, w2)
                            )
                        )

    def _apos(self, e: SEvent) -> z3.ArithRef:
        if e.kind == "IW":
            return z3.IntVal(-1)
        return z3.Int(f"apos{e.rmw_of if e.rmw_of is not None else e.id}")

    def _apos_before(self, a: SEvent, b: SEvent) -> z3.BoolRef:
        if a.rmw_of is not None and b.rmw_of is None and a.rmw_of == b.id:
            return z3.BoolVal(False)
        return self._apos(a) < self._apos(b) if not (a.rmw_of is not None and a.rmw_of == b.id) else z3.BoolVal(False)

    def _atomic_order(self) -> None:
        atomics = [e for e in self.ev if e.kind == "A" and e.rmw_of is None]
        for a in atomics:
            self.structural.append(self._apos(a) >= 0)  # the initial writes come first
        for a, b in combinations(atomics, 2):
            self.structural.append(z3.Implies(z3.And(a.act, b.act), self._apos(a) != self._apos(b)))
            if a.g == b.g:  # program order
                self.structural.append(z3.Implies(z3.And(a.act, b.act), self._apos(a) < self._apos(b)))

    # ---- the model's base relations over them
    def base(self) -> dict:
        ev = self.ev
        n = len(ev)
        act = {e.id: e.act for e in ev}
        po = {}
        by_g: dict[str, list[SEvent]] = {}
        for e in ev:
            by_g.setdefault(e.g, []).append(e)
        for g, es in by_g.items():
            if g == "init":
                continue
            for a, b in combinations(es, 2):
                po[(a.id, b.id)] = z3.And(a.act, b.act)
        for i in by_g.get("init", []):
            for e in ev:
                if e.g != "init":
                    po[(i.id, e.id)] = e.act
        rf = dict(self.rf)
        co = dict(self.co)
        fr = Compiler({}, n).seq({(r, w): b for (w, r), b in rf.items()}, co)
        loc, intr, ext, ident = {}, {}, {}, {}
        for a in ev:
            ident[(a.id, a.id)] = a.act
            for b in ev:
                both = z3.And(a.act, b.act)
                if a.loc == b.loc:
                    loc[(a.id, b.id)] = both
                (intr if a.g == b.g else ext)[(a.id, b.id)] = both
        data, ctrl = {}, {}
        for e in ev:
            for r in e.data:
                data[(r, e.id)] = z3.And(act[r], e.act)
            for r in e.ctrl:
                ctrl[(r, e.id)] = z3.And(act[r], e.act)
        atomics = [e for e in ev if e.kind == "A"]
        sc = {
            (a.id, b.id): z3.And(a.act, b.act, self._apos_before(a, b))
            for a in atomics
            for b in atomics
            if a.id != b.id
        }
        sets = {
            "_": act,
            "R": {e.id: e.act for e in ev if e.kind == "R"},
            "W": {e.id: e.act for e in ev if e.kind in ("W", "IW")},
            "IW": {e.id: e.act for e in ev if e.kind == "IW"},
            "A": {e.id: e.act for e in ev if e.kind == "A"},
            "SEND": {},
            "RECV": {},
            "CLOSE": {},
        }
        sets["M"] = {**sets["R"], **sets["W"], **sets["A"]}
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
        }
        for k in ("spawn", "chan-send", "chan-close", "chan-unbuf", "chan-cap", "once", "wg"):
            rels[k] = {}
        rels["lock"] = dict(self.lock_rel)
        return {**rels, **sets}

    # ---- final values and queries
    def final_values(self, locs: list[Location]) -> list[z3.BitVecRef]:
        out = []
        for name, reg in locs:
            if reg is not None:
                out.append(self.u.regs.get(name, {}).get(reg, z3.BitVecVal(0, 64)))
                continue
            writes = [e for e in self.ev if e.loc == name and e.writes]
            value = z3.BitVecVal(0, 64)
            for w in writes:
                last = z3.And(
                    w.act, *[z3.Not(z3.And(w2.act, self.pos[w2.id] > self.pos[w.id])) for w2 in writes if w2.id != w.id]
                )
                value = z3.If(last, w.val, value)
            out.append(value)
        return out

    def solver(self, *extra: z3.BoolRef) -> z3.Solver:
        s = z3.Solver()
        s.set("timeout", self.timeout_ms)
        s.add(*self.structural, *self.constraints, *extra)
        return s

    def check(self, s: z3.Solver) -> bool:
        r = s.check()
        if r == z3.unknown:
            raise _Timeout(s.reason_unknown())
        return r == z3.sat

    def run(self, start: float) -> SmtAnswer:
        self.build()
        base = self.base()
        order_rels = [base["rf"], base["co"], base["fr"], base["lock"]]
        replayed = weak = 0
        witness: list[str] | None = None
        comp = Compiler(base, len(self.ev))
        comp.compile(self.model)
        self.constraints = comp.constraints
        failing = any_of([f.cond for f in self.u.failures])
        cut = any_of(self.u.cuts)
        normal = z3.And(z3.Not(failing), z3.Not(cut))
        locs = locations(self.p)
        values = self.final_values(locs)
        cond = self.p.condition
        holds = None
        if cond is not None:
            holds = _cond_z3(cond.expr, {show_location(loc): v for loc, v in zip(locs, values, strict=True)})
        # states, and the counts: one model per execution (projected on its choices)
        s = self.solver(normal)
        states: set[tuple[int, ...]] = set()
        positive = negative = 0
        seen = 0
        while self.check(s):
            m = s.model()
            state = tuple(m.eval(v, model_completion=True).as_signed_long() for v in values)
            states.add(state)
            satisfied = holds is not None and z3.is_true(m.eval(holds, model_completion=True))
            if satisfied:
                positive += 1
            else:
                negative += 1
            order = sc_order(m, self.ev, order_rels)
            if order is None:
                weak += 1
            else:
                schedule = replay(self.p, self.unroll, order, m, self.u.regs)
                replayed += 1
                if satisfied and witness is None:
                    witness = schedule
            seen += 1
            if seen >= ENUMERATION_LIMIT:
                raise _Timeout(f"more than {ENUMERATION_LIMIT} executions to enumerate")
            block = [c if z3.is_true(m.eval(c, model_completion=True)) else z3.Not(c) for c in self.choices]
            s.add(z3.Not(all_of(block)) if block else z3.BoolVal(False))
        findings: Counter[Finding] = Counter()
        for f in self.u.failures:
            if self.check(self.solver(f.cond)):
                findings[Finding(f.kind, f.text, f.g, f.line)] += 1
        for name, rel in comp.flags.items():
            for (a, b), bexpr in sorted(rel.items()) if isinstance(next(iter(rel), None), tuple) else []:
                if a >= b:
                    continue
                both = z3.Or(bexpr, rel.get((b, a), z3.BoolVal(False)))
                if self.check(self.solver(both)):
                    findings[_race_finding(name, self.ev[a], self.ev[b])] += 1
        bounded = self.check(self.solver(cut)) if self.u.cuts else False
        bounds = [f"unroll {self.unroll}"] if bounded else []
        exact = not bounded
        result = TestResult(
            self.p,
            locs,
            sorted(states),
            positive,
            negative,
            possible_observations(positive, negative, exact),
            findings,
            [],
            positive + negative,
            0,
            bounds,
            time.perf_counter() - start,
            self.model.name,
            0,
            False,
            self.model.path,
            self.model.digest,
        )
        result.engines = ["smt"]
        return SmtAnswer(result, None, result.seconds, replayed, weak, witness)


def _race_finding(flag: str, a: SEvent, b: SEvent) -> Finding:
    def access(e: SEvent) -> str:
        if e.kind == "A":
            return "atomic write" if e.writes else "atomic read"
        return "write" if e.writes else "read"

    one, two = sorted([(a.g, a.line, access(a)), (b.g, b.line, access(b))], key=lambda t: (t[1], t[0]))
    kind = "race" if flag == "data-race" else flag
    text = f"race on {a.loc}" if kind == "race" else f"send/close race on {a.loc}"
    return Finding(kind, text, one[0], one[1], pair=(one, two))


def _cond_z3(e, env: dict[str, z3.BitVecRef]) -> z3.BoolRef:
    from hbcheck.language import ast

    def val(x) -> z3.BitVecRef:
        match x:
            case ast.IntLit(value=v):
                return z3.BitVecVal(v, 64)
            case ast.ProcReg(proc=p, reg=r):
                return env[f"{p}:{r}"]
            case ast.Name(name=n):
                return env[n]
            case ast.Unary(op="!", operand=o):
                return z3.If(val(o) == 0, z3.BitVecVal(1, 64), z3.BitVecVal(0, 64))
            case ast.Unary(op="-", operand=o):
                return -val(o)
            case ast.Binary(op=op, left=a, right=b):
                x1, y1 = val(a), val(b)
                if op in ("&&", "||"):
                    c = z3.And(x1 != 0, y1 != 0) if op == "&&" else z3.Or(x1 != 0, y1 != 0)
                else:
                    c = {
                        "==": x1 == y1,
                        "!=": x1 != y1,
                        "<": x1 < y1,
                        "<=": x1 <= y1,
                        ">": x1 > y1,
                        ">=": x1 >= y1,
                    }.get(op)
                    if c is None:
                        return {"+": x1 + y1, "-": x1 - y1, "*": x1 * y1, "/": x1 / y1, "%": z3.SRem(x1, y1)}[op]
                return z3.If(c, z3.BitVecVal(1, 64), z3.BitVecVal(0, 64))
        raise Unsupported(f"condition {x!r}")

    return val(e) != 0


__all__ = ["SmtAnswer", "caps_of", "solve"]
