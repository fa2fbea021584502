"""Unroll a program into guarded events with symbolic values (bit-vectors,
so arithmetic wraps like Go's int64).

Every goroutine is unfolded once, along all its paths at the same time: an
event exists when its guard (its path condition) holds, a read's value is a
fresh variable that reads-from constraints tie to a write, and each value
carries the reads it depends on (for the data and control dependencies that
exclude out-of-thin-air values). Loops unroll to the bound; a path that would
run further sets ``cut``. What the encoding does not cover yet raises
``Unsupported`` with the reason, so the engine answers Unknown and the
explicit engine still answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import z3

from hbcheck.language import ast
from hbcheck.language.check import Program

BITS = 64
MAX_INLINE = 16


class Unsupported(Exception):
    """A construct the symbolic engine cannot encode yet."""


@dataclass(frozen=True)
class SV:
    """A symbolic value and the reads it depends on."""

    expr: z3.BitVecRef
    deps: frozenset[int] = frozenset()


@dataclass
class SEvent:
    id: int
    g: str
    kind: str  # "IW", "R", "W", "A"
    loc: str
    act: z3.BoolRef
    val: z3.BitVecRef
    line: int
    op: str | None = None  # atomics: Load, Store, Add, CompareAndSwap
    reads: bool = False  # reads memory (R, atomic loads and the read half of an RMW)
    writes: bool = False
    rmw_of: int | None = None  # the write half of an RMW: the id of its read half
    data: frozenset[int] = frozenset()
    ctrl: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Failure:
    kind: str  # "panic" or "assert"
    text: str
    g: str
    line: int
    cond: z3.BoolRef


@dataclass
class Unfolding:
    events: list[SEvent] = field(default_factory=list)
    regs: dict[str, dict[str, z3.BitVecRef]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    cuts: list[z3.BoolRef] = field(default_factory=list)
    atomic_vars: set[str] = field(default_factory=set)


@dataclass
class _State:
    guard: z3.BoolRef
    regs: dict[str, SV]
    ctrl: frozenset[int]


def _bv(v: int) -> z3.BitVecRef:
    return z3.BitVecVal(v, BITS)


ZERO, ONE = _bv(0), _bv(1)


def _b2v(c: z3.BoolRef) -> z3.BitVecRef:
    return z3.If(c, ONE, ZERO)


def _dead(g: z3.BoolRef) -> bool:
    return z3.is_false(z3.simplify(g))


def _merge(states: list[_State]) -> _State:
    live = [s for s in states if not _dead(s.guard)]
    if not live:
        return _State(z3.BoolVal(False), {}, frozenset())
    if len(live) == 1:
        return live[0]
    names = set().union(*(s.regs for s in live))
    regs = {}
    for n in names:
        expr = live[-1].regs.get(n, SV(ZERO)).expr
        deps = frozenset().union(*(s.regs.get(n, SV(ZERO)).deps for s in live))
        for s in reversed(live[:-1]):
            expr = z3.If(s.guard, s.regs.get(n, SV(ZERO)).expr, expr)
        regs[n] = SV(expr, deps)
    return _State(z3.Or(*(s.guard for s in live)), regs, frozenset().union(*(s.ctrl for s in live)))


def unfold(program: Program, unroll: int) -> Unfolding:
    if program.has_main:
        raise Unsupported("goroutine main (its exit rule) is not encoded yet")
    u = Unfolding()
    _check_vars(program, u)
    for g in program.goroutines:
        _check_locks(program, g.body, [])
    for name, var in program.shared.items():
        if var.kind == "int":
            u.events.append(SEvent(len(u.events), "init", "IW", name, z3.BoolVal(True), _bv(var.init), 0, writes=True))
    for g in program.goroutines:
        _Unfolder(program, u, g.name, unroll).run(g.body)
    return u


def _check_vars(program: Program, u: Unfolding) -> None:
    """A variable is either always accessed atomically or never (mixed access is not encoded yet)."""
    plain: set[str] = set()

    def names(e: ast.Expr):
        for node in ast.walk(e):
            if isinstance(node, ast.Name) and program.is_int(node.name):
                plain.add(node.name)

    def visit(body):
        for s in body:
            match s:
                case ast.Assign(target=t, value=v):
                    names(v)
                    if program.is_int(t):
                        plain.add(t)
                case ast.AtomicCall(args=args):
                    u.atomic_vars.add(args[0].name)  # type: ignore[union-attr]
                    for a in args[1:]:
                        names(a)  # type: ignore[arg-type]
                case ast.If(cond=c, then=t, orelse=o):
                    names(c)
                    visit(t)
                    visit(o)
                case ast.ForConst(body=b) | ast.ForRange(body=b):
                    visit(b)
                case ast.ForCond(cond=c, body=b):
                    if c is not None:
                        names(c)
                    visit(b)
                case ast.Assert(cond=c):
                    names(c)
                case ast.Select(cases=cases):
                    for case in cases:
                        visit(case.body)

    for g in program.goroutines:
        visit(g.body)
    for f in program.funcs.values():
        visit(f.body)
    mixed = plain & u.atomic_vars
    if mixed:
        raise Unsupported(f"variable {sorted(mixed)[0]} is accessed both plainly and atomically (not encoded yet)")


def _check_locks(program: Program, body: tuple[ast.Stmt, ...], calling: list[str]) -> None:
    """Mutexes are encoded when every critical section is ``Lock ... Unlock`` of one
    mutex within one statement list, never nested: then no goroutine can block,
    and every execution is complete."""
    holding: str | None = None
    for s in body:
        match s:
            case ast.MethodCall(obj=o, method="Lock"):
                if holding is not None:
                    raise Unsupported("nested critical sections are not encoded yet")
                holding = o
            case ast.MethodCall(obj=o, method="Unlock"):
                if holding != o:
                    raise Unsupported("an Unlock outside its Lock's statement list is not encoded yet")
                holding = None
            case ast.MethodCall():
                raise Unsupported("sync.WaitGroup and sync.Once are not encoded yet")
            case ast.If(then=t, orelse=o):
                _check_nested(program, holding, t, calling)
                _check_nested(program, holding, o, calling)
            case ast.ForConst(body=b) | ast.ForCond(body=b) | ast.ForRange(body=b):
                _check_nested(program, holding, b, calling)
            case ast.Select(cases=cases):
                for case in cases:
                    _check_nested(program, holding, case.body, calling)
            case ast.Call(name=f) if f in program.funcs:
                if f not in calling:
                    _check_nested(program, holding, program.funcs[f].body, [*calling, f])
    if holding is not None:
        raise Unsupported("a Lock without its Unlock in the same statement list is not encoded yet")


def _check_nested(program: Program, holding: str | None, body: tuple[ast.Stmt, ...], calling: list[str]) -> None:
    if holding is not None and _has_locks(body, program, calling):
        raise Unsupported("nested critical sections are not encoded yet")
    _check_locks(program, body, calling)


def _has_locks(body: tuple[ast.Stmt, ...], program: Program, calling: list[str]) -> bool:
    for s in body:
        match s:
            case ast.MethodCall(method="Lock" | "Unlock"):
                return True
            case ast.If(then=t, orelse=o):
                if _has_locks(t, program, calling) or _has_locks(o, program, calling):
                    return True
            case ast.ForConst(body=b) | ast.ForCond(body=b) | ast.ForRange(body=b):
                if _has_locks(b, program, calling):
                    return True
            case ast.Select(cases=cases):
                if any(_has_locks(c.body, program, calling) for c in cases):
                    return True
            case ast.Call(name=f) if f in program.funcs and f not in calling:
                if _has_locks(program.funcs[f].body, program, [*calling, f]):
                    return True
    return False


class _Unfolder:
    def __init__(self, program: Program, u: Unfolding, g: str, unroll: int):
        self.p = program
        self.u = u
        self.g = g
        self.unroll = unroll
        self.loops: list[tuple[list[_State], list[_State]]] = []  # per loop: (break states, continue states)
        self.depth = 0

    def run(self, body: tuple[ast.Stmt, ...]) -> None:
        st = self.stmts(body, _State(z3.BoolVal(True), {}, frozenset()))
        self.u.regs[self.g] = {n: v.expr for n, v in st.regs.items() if not n.startswith("$")}
        # registers of paths that ended early (panics) do not matter: those executions are findings

    # ---- events
    def event(self, st: _State, kind: str, loc: str, val: z3.BitVecRef, line: int, **kw) -> SEvent:
        e = SEvent(len(self.u.events), self.g, kind, loc, st.guard, val, line, ctrl=st.ctrl, **kw)
        self.u.events.append(e)
        return e

    def read(self, st: _State, loc: str, line: int) -> SV:
        eid = len(self.u.events)
        v = z3.BitVec(f"rd{eid}_{loc}", BITS)
        self.event(st, "R", loc, v, line, reads=True)
        return SV(v, frozenset({eid}))

    def fail(self, st: _State, kind: str, text: str, line: int, cond: z3.BoolRef) -> None:
        self.u.failures.append(Failure(kind, text, self.g, line, z3.And(st.guard, cond)))

    # ---- expressions
    def value(self, e: ast.Expr, st: _State, line: int) -> tuple[SV, _State]:
        match e:
            case ast.IntLit(value=v):
                return SV(_bv(v)), st
            case ast.UnitLit():
                return SV(ZERO), st
            case ast.Name(name=n):
                if self.p.is_int(n):
                    return self.read(st, n, line), st
                return st.regs.get(n, SV(ZERO)), st
            case ast.Unary(op="!", operand=o):
                v, st = self.value(o, st, line)
                return SV(_b2v(v.expr == 0), v.deps), st
            case ast.Unary(op="-", operand=o):
                v, st = self.value(o, st, line)
                return SV(-v.expr, v.deps), st
            case ast.Binary(op="&&" | "||" as op, left=a, right=b):
                va, st = self.value(a, st, line)
                truth = va.expr != 0
                guarded = _State(z3.And(st.guard, truth if op == "&&" else z3.Not(truth)), st.regs, st.ctrl)
                vb, _ = self.value(b, guarded, line)
                both = z3.And(truth, vb.expr != 0) if op == "&&" else z3.Or(truth, vb.expr != 0)
                return SV(_b2v(both), va.deps | vb.deps), st
            case ast.Binary(op=op, left=a, right=b):
                va, st = self.value(a, st, line)
                vb, st = self.value(b, st, line)
                x, y, deps = va.expr, vb.expr, va.deps | vb.deps
                if op in ("/", "%"):
                    self.fail(st, "panic", "runtime error: integer divide by zero", line, y == 0)
                    st = _State(z3.And(st.guard, y != 0), st.regs, st.ctrl)
                    return SV(x / y if op == "/" else z3.SRem(x, y), deps), st
                expr = {
                    "+": lambda: x + y,
                    "-": lambda: x - y,
                    "*": lambda: x * y,
                    "==": lambda: _b2v(x == y),
                    "!=": lambda: _b2v(x != y),
                    "<": lambda: _b2v(x < y),
                    "<=": lambda: _b2v(x <= y),
                    ">": lambda: _b2v(x > y),
                    ">=": lambda: _b2v(x >= y),
                }[op]()
                return SV(expr, deps), st
        raise Unsupported(f"expression {type(e).__name__}")  # pragma: no cover

    # ---- statements
    def stmts(self, body: tuple[ast.Stmt, ...], st: _State) -> _State:
        for s in body:
            if _dead(st.guard):
                break
            st = self.stmt(s, st)
        return st

    def assign(self, st: _State, target: str | None, v: SV, line: int) -> _State:
        if target is None:
            return st
        if self.p.is_int(target):
            self.event(st, "W", target, v.expr, line, writes=True, data=v.deps)
            return st
        return _State(st.guard, {**st.regs, target: v}, st.ctrl)

    def stmt(self, s: ast.Stmt, st: _State) -> _State:
        line = s.loc.line
        match s:
            case ast.Assign(target=t, value=v):
                val, st = self.value(v, st, line)
                return self.assign(st, t, val, line)
            case ast.AtomicCall(target=t, op=op, args=args):
                return self.atomic(st, t, op, args, line)
            case ast.If(cond=c, then=then, orelse=orelse):
                val, st = self.value(c, st, line)
                truth = val.expr != 0
                ctrl = st.ctrl | val.deps
                a = self.stmts(then, _State(z3.And(st.guard, truth), st.regs, ctrl))
                b = self.stmts(orelse, _State(z3.And(st.guard, z3.Not(truth)), st.regs, ctrl))
                return _merge([a, b])
            case ast.ForConst(var=i, start=lo, stop=hi, body=body):
                st = _State(st.guard, {**st.regs, i: SV(_bv(lo))}, st.ctrl)
                return self.loop(body, st, None, max(hi - lo, 0), i)
            case ast.ForCond(cond=c, body=body):
                return self.loop(body, st, c, self.unroll, None, line)
            case ast.Break():
                self.loops[-1][0].append(st)
                return _State(z3.BoolVal(False), st.regs, st.ctrl)
            case ast.Continue():
                self.loops[-1][1].append(st)
                return _State(z3.BoolVal(False), st.regs, st.ctrl)
            case ast.Assert(cond=c):
                val, st = self.value(c, st, line)
                self.fail(st, "assert", "assertion failed", line, val.expr == 0)
                return _State(z3.And(st.guard, val.expr != 0), st.regs, st.ctrl | val.deps)
            case ast.Call(name="panic", args=(arg,)):
                assert isinstance(arg, ast.StrArg)
                self.fail(st, "panic", arg.text, line, z3.BoolVal(True))
                return _State(z3.BoolVal(False), st.regs, st.ctrl)
            case ast.Call(name="close"):
                raise Unsupported("channels are not encoded yet")
            case ast.Call(name=f):
                if self.depth >= MAX_INLINE:
                    raise Unsupported(f"calls nested deeper than {MAX_INLINE} (recursion) are not encoded")
                self.depth += 1
                try:
                    return self.stmts(self.p.funcs[f].body, st)
                finally:
                    self.depth -= 1
            case ast.Recv() | ast.Send() | ast.Select() | ast.ForRange():
                raise Unsupported("channels are not encoded yet")
            case ast.GoStmt():
                raise Unsupported("go statements are not encoded yet")
            case ast.MethodCall(obj=o, method="Lock" | "Unlock" as m):
                self.event(st, "L" if m == "Lock" else "U", o, ZERO, line)
                return st
            case ast.MethodCall():
                raise Unsupported("sync.WaitGroup and sync.Once are not encoded yet")
        raise Unsupported(f"statement {type(s).__name__}")  # pragma: no cover

    def loop(self, body, st: _State, cond: ast.Expr | None, bound: int, counter: str | None, line: int = 0) -> _State:
        exits: list[_State] = []
        for it in range(bound + 1):
            if _dead(st.guard):
                break
            if cond is not None:
                val, st = self.value(cond, st, line)
                truth = val.expr != 0
                exits.append(_State(z3.And(st.guard, z3.Not(truth)), st.regs, st.ctrl | val.deps))
                st = _State(z3.And(st.guard, truth), st.regs, st.ctrl | val.deps)
            if it == bound:
                if counter is None:
                    self.u.cuts.append(st.guard)  # it would run one iteration more than the bound
                else:
                    exits.append(st)  # a counted loop is done
                st = _State(z3.BoolVal(False), st.regs, st.ctrl)
                break
            self.loops.append(([], []))
            after = self.stmts(body, st)
            breaks, conts = self.loops.pop()
            exits.extend(breaks)
            st = _merge([after, *conts])
            if counter is not None:
                old = st.regs.get(counter, SV(ZERO))
                st = _State(st.guard, {**st.regs, counter: SV(old.expr + 1, old.deps)}, st.ctrl)
        return _merge([*exits, st])

    def atomic(self, st: _State, target: str | None, op: str, args, line: int) -> _State:
        loc = args[0].name
        vals = []
        for a in args[1:]:
            v, st = self.value(a, st, line)
            vals.append(v)
        if op == "Store":
            self.event(st, "A", loc, vals[0].expr, line, op=op, writes=True, data=vals[0].deps)
            return st
        rid = len(self.u.events)
        old = z3.BitVec(f"rd{rid}_{loc}", BITS)
        self.event(st, "A", loc, old, line, op=op, reads=True)
        deps = frozenset({rid})
        if op == "Load":
            return self.assign(st, target, SV(old, deps), line)
        if op == "Add":
            new = old + vals[0].expr
            w = self.event(st, "A", loc, new, line, op=op, writes=True, rmw_of=rid, data=deps | vals[0].deps)
            del w
            return self.assign(st, target, SV(new, deps | vals[0].deps), line)
        ok = old == vals[0].expr
        guarded = _State(z3.And(st.guard, ok), st.regs, st.ctrl)
        self.event(guarded, "A", loc, vals[1].expr, line, op=op, writes=True, rmw_of=rid, data=deps | vals[1].deps)
        return self.assign(st, target, SV(_b2v(ok), deps | vals[0].deps), line)
