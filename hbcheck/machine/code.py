"""Lower a checked program to the machine's instructions.

Each goroutine body and function becomes a flat tuple of instructions
(``instructions.py``). Shared loads are split out of expressions into
``Load`` instructions (left to right, and only where Go evaluates them: the
right side of ``&&``/``||`` is loaded under its guard), so an instruction
touches at most one shared object and each visible step is atomic.
Expressions over registers become closures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from hbcheck import names
from hbcheck.language import ast
from hbcheck.language.check import Program
from hbcheck.machine.config import MachineConfig
from hbcheck.machine.instructions import (
    Assert,
    Atomic,
    Block,
    Bound,
    Call,
    Close,
    Exit,
    Fn,
    Go,
    Instr,
    Jump,
    Jz,
    Load,
    Lock,
    Once,
    OnceDone,
    Panic,
    Recv,
    Ret,
    Select,
    SelectCase,
    Send,
    Set,
    Store,
    Unlock,
    WgAdd,
    WgDone,
    WgWait,
)

_MASK = (1 << 64) - 1


class GoPanic(Exception):
    """A run-time panic raised while evaluating an expression."""


def wrap(v: int) -> int:
    """Go's int is 64-bit two's complement: arithmetic wraps."""
    v &= _MASK
    return v - (1 << 64) if v >> 63 else v


def go_div(a: int, b: int) -> int:
    if b == 0:
        raise GoPanic(names.DIVIDE_BY_ZERO)
    q = abs(a) // abs(b)
    return wrap(q if (a < 0) == (b < 0) else -q)


def go_mod(a: int, b: int) -> int:
    if b == 0:
        raise GoPanic(names.DIVIDE_BY_ZERO)
    r = abs(a) % abs(b)
    return -r if a < 0 else r


_BINOPS: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: wrap(a + b),
    "-": lambda a, b: wrap(a - b),
    "*": lambda a, b: wrap(a * b),
    "/": go_div,
    "%": go_mod,
    "==": lambda a, b: int(a == b),
    "!=": lambda a, b: int(a != b),
    "<": lambda a, b: int(a < b),
    "<=": lambda a, b: int(a <= b),
    ">": lambda a, b: int(a > b),
    ">=": lambda a, b: int(a >= b),
}


@dataclass(frozen=True, slots=True)
class Code:
    """A compiled body: a goroutine's (frame 0) or a function's."""

    name: str
    instrs: tuple[Instr, ...]
    lines: tuple[int, ...]  # source line of each instruction
    frame: int
    is_main: bool = False


def compile_program(program: Program, config: MachineConfig) -> dict[str, Code]:
    """Codes for every top-level goroutine and every function, by name."""
    codes: dict[str, Code] = {}
    for g in program.goroutines:
        codes[g.name] = _Compiler(program, config).body(
            g.name, g.body, frame=0, is_func=False, is_main=g.name == "main"
        )
    for f in program.funcs.values():
        frame = f.frame if f.frame is not None else config.default_frame
        codes[f.name] = _Compiler(program, config).body(f.name, f.body, frame=frame, is_func=True)
    return codes


def has_loads(e: ast.Expr, program: Program) -> bool:
    if isinstance(e, ast.Name):
        return program.is_int(e.name)
    if isinstance(e, ast.Unary):
        return has_loads(e.operand, program)
    if isinstance(e, ast.Binary):
        return has_loads(e.left, program) or has_loads(e.right, program)
    return False


def pure(e: ast.Expr, lookup: Callable[[str], Fn]) -> Fn:
    """A closure computing ``e``; ``lookup`` says how a name is read."""
    match e:
        case ast.IntLit(value=v):
            return lambda r: v
        case ast.UnitLit():
            return lambda r: 0
        case ast.Name(name=n):
            return lookup(n)
        case ast.ProcReg():
            return lookup(f"{e.proc}:{e.reg}")
        case ast.Unary(op="!", operand=o):
            f = pure(o, lookup)
            return lambda r: int(not f(r))
        case ast.Unary(op="-", operand=o):
            f = pure(o, lookup)
            return lambda r: wrap(-f(r))
        case ast.Binary(op="&&", left=a, right=b):
            fa, fb = pure(a, lookup), pure(b, lookup)
            return lambda r: int(bool(fa(r)) and bool(fb(r)))
        case ast.Binary(op="||", left=a, right=b):
            fa, fb = pure(a, lookup), pure(b, lookup)
            return lambda r: int(bool(fa(r)) or bool(fb(r)))
        case ast.Binary(op=op, left=a, right=b):
            fa, fb, f = pure(a, lookup), pure(b, lookup), _BINOPS[op]
            return lambda r: f(fa(r), fb(r))
    raise AssertionError(f"unexpected expression {e!r}")  # pragma: no cover


def _reg(name: str) -> Fn:
    return lambda r: r.get(name, 0)


class _Compiler:
    def __init__(self, program: Program, config: MachineConfig):
        self.program = program
        self.config = config
        self.out: list[Instr] = []
        self.lines: list[int] = []
        self.line = 0
        self.ntemps = 0
        # loop contexts: (break patch list, continue target or None for select)
        self.loops: list[tuple[list[int], list[int] | None]] = []

    def body(self, name: str, body: tuple[ast.Stmt, ...], frame: int, is_func: bool, is_main: bool = False) -> Code:
        self.name = name
        self.stmts(body)
        self.line = body[-1].loc.line if body else 0
        self.emit(Ret() if is_func else Exit(self.line))
        return Code(name, tuple(self.out), tuple(self.lines), frame, is_main)

    # ---- helpers
    def emit(self, instr: Instr) -> int:
        self.out.append(instr)
        self.lines.append(self.line)
        return len(self.out) - 1

    def here(self) -> int:
        return len(self.out)

    def patch(self, at: int, target: int) -> None:
        """Point the forward jump at ``at`` (a ``Jz`` or ``Jump``) to ``target``."""
        self.out[at] = replace(self.out[at], target=target)  # type: ignore[type-var]

    def temp(self) -> str:
        self.ntemps += 1
        return f"${self.ntemps}"

    def value(self, e: ast.Expr) -> Fn:
        """Emit the loads of ``e`` and return the closure computing it."""
        if not has_loads(e, self.program):
            return pure(e, _reg)
        match e:
            case ast.Name(name=n, loc=loc):
                t = self.temp()
                self.emit(Load(t, n, loc.line))
                return _reg(t)
            case ast.Unary(op=op, operand=o, loc=loc):
                t = self.temp()
                f = self.value(o)
                self.emit(Set(t, f))
                return pure(ast.Unary(op, ast.Name(t, loc), loc), _reg)
            case ast.Binary(op="&&" | "||" as op, left=a, right=b, loc=loc):
                t = self.temp()
                fa = self.value(a)
                self.emit(Set(t, lambda r: int(bool(fa(r)))))
                if op == "&&":
                    skip = self.emit(Jz(_reg(t), None))
                else:
                    skip = self.emit(Jz(lambda r: int(not r[t]), None))
                fb = self.value(b)
                self.emit(Set(t, lambda r: int(bool(fb(r)))))
                self.patch(skip, self.here())
                return _reg(t)
            case ast.Binary(op=op, left=a, right=b):
                fa = self.value(a)
                ta = self.temp()
                self.emit(Set(ta, fa))  # pin the left value before the right's loads
                fb = self.value(b)
                f = _BINOPS[op]
                return lambda r: f(r[ta], fb(r))
        raise AssertionError(f"unexpected expression {e!r}")  # pragma: no cover

    def assign_to(self, target: str | None) -> str | None:
        """Where a received value goes: a register, or a temp stored afterwards."""
        if target is None or not self.program.is_int(target):
            return target
        return self.temp()

    def store_back(self, target: str | None, temp: str | None, line: int) -> None:
        """The write of a received value, at ``line`` (a select's case: its own line)."""
        if target is not None and temp is not None and temp != target:
            saved, self.line = self.line, line
            self.emit(Store(target, _reg(temp), line))
            self.line = saved

    def chan(self, ref: ast.ChanRef) -> str | None:
        """A channel's name, or None for nil (the literal, or a ``var c chan int``)."""
        return self.chan_name(ref.name)

    def chan_name(self, name: str | None) -> str | None:
        return self.program.channel(name)

    # ---- statements
    def stmts(self, body: tuple[ast.Stmt, ...]) -> None:
        for s in body:
            self.stmt(s)

    def stmt(self, s: ast.Stmt) -> None:
        line = self.line = s.loc.line
        match s:
            case ast.Assign(target=t, value=v):
                f = self.value(v)
                if self.program.is_int(t):
                    self.emit(Store(t, f, line))
                else:
                    self.emit(Set(t, f))
            case ast.Recv(value=v, ok=ok, chan=c):
                tv, tok = self.assign_to(v), self.assign_to(ok)
                self.emit(Recv(self.chan(c), tv, tok, line))
                self.store_back(v, tv, line)
                self.store_back(ok, tok, line)
            case ast.Send(chan=c, value=v):
                f = self.value(v)
                self.emit(Send(self.chan(c), f, line))
            case ast.Call(name="close", args=(arg,)):
                assert isinstance(arg, ast.Name)
                self.emit(Close(self.chan_name(arg.name), line))
            case ast.Call(name="panic", args=(arg,)):
                assert isinstance(arg, ast.StrArg)
                self.emit(Panic(arg.text, line))
            case ast.Call(name=f):
                self.emit(Call(f, line))
            case ast.GoStmt(func=f):
                self.emit(Go(f, line))
            case ast.MethodCall():
                self.method(s)
            case ast.AtomicCall(target=t, op=op, args=args):
                assert isinstance(args[0], ast.AddrArg)
                fns = tuple(self.value(a) for a in args[1:])  # type: ignore[arg-type]
                tt = self.assign_to(t)
                self.emit(Atomic(op, args[0].name, fns, tt, line))
                self.store_back(t, tt, line)
            case ast.If(cond=c, then=then, orelse=orelse):
                f = self.value(c)
                jz = self.emit(Jz(f, None))
                self.stmts(then)
                if orelse:
                    jend = self.emit(Jump(None))
                    self.patch(jz, self.here())
                    self.stmts(orelse)
                    self.patch(jend, self.here())
                else:
                    self.patch(jz, self.here())
            case ast.ForConst(var=i, start=a, stop=b, body=body):
                counter = self.temp()
                self.emit(Set(i, lambda r: a))
                self.emit(Set(counter, lambda r: 0))
                head = self.here()
                jz = self.emit(Jz(lambda r: int(r.get(i, 0) < b), None))
                self.emit(Bound(counter, max(b - a, 0), line))
                self.loop(body, head, jz, step=lambda: self.emit(Set(i, lambda r: wrap(r.get(i, 0) + 1))))
            case ast.ForCond(cond=c, body=body):
                counter = self.temp()
                self.emit(Set(counter, lambda r: 0))
                head = self.here()
                jz = self.emit(Jz(self.value(c), None)) if c is not None else None
                self.emit(Bound(counter, 0, line))
                self.loop(body, head, jz)
            case ast.ForRange(var=v, chan=c, body=body):
                tv, tok = self.temp(), self.temp()
                head = self.emit(Recv(self.chan(c), tv, tok, line))
                jz = self.emit(Jz(_reg(tok), None))
                if v != "_":
                    if self.program.is_int(v):  # pragma: no cover - the checker allows only registers
                        self.emit(Store(v, _reg(tv), line))
                    else:
                        self.emit(Set(v, _reg(tv)))
                self.loop(body, head, jz)
            case ast.Break():
                self.loops[-1][0].append(self.emit(Jump(None)))
            case ast.Continue():
                for _breaks, cont in reversed(self.loops):
                    if cont is not None:
                        cont.append(self.emit(Jump(None)))
                        break
            case ast.Select():
                self.select(s)
            case ast.Assert(cond=c):
                self.emit(Assert(self.value(c), line))
            case _:  # pragma: no cover
                raise AssertionError(f"unexpected statement {s!r}")

    def loop(
        self, body: tuple[ast.Stmt, ...], head: int, jz: int | None, step: Callable[[], int] | None = None
    ) -> None:
        """The body, then ``step`` (a counted loop's increment) and the jump
        back to ``head``; ``continue`` goes to the step, ``break`` and the
        exit test ``jz`` past the loop."""
        cont: list[int] = []
        self.loops.append(([], cont))
        self.stmts(body)
        again = self.here()
        if step is not None:
            step()
        self.emit(Jump(head))
        breaks, _ = self.loops.pop()
        end = self.here()
        for at in cont:
            self.patch(at, again)
        for at in [*breaks, *([jz] if jz is not None else [])]:
            self.patch(at, end)

    def method(self, s: ast.MethodCall) -> None:
        line = s.loc.line
        kind = self.program.shared[s.obj].kind
        match (kind, s.method):
            case ("mutex", "Lock"):
                self.emit(Lock(s.obj, line))
            case ("mutex", "Unlock"):
                self.emit(Unlock(s.obj, line))
            case ("wg", "Add"):
                f = self.value(s.args[0])  # type: ignore[arg-type]
                self.emit(WgAdd(s.obj, f, line))
            case ("wg", "Done"):
                self.emit(WgDone(s.obj, line))
            case ("wg", "Wait"):
                self.emit(WgWait(s.obj, line))
            case ("once", "Do"):
                arg = s.args[0]
                assert isinstance(arg, ast.Name)
                self.emit(Once(s.obj, arg.name, line))
                self.emit(OnceDone(s.obj, line))
            case _:  # pragma: no cover - the checker rejects the rest
                raise AssertionError(f"unexpected method {s!r}")

    def select(self, s: ast.Select) -> None:
        line = s.loc.line
        comm = [c for c in s.cases if not isinstance(c, ast.DefaultCase)]
        default = next((c for c in s.cases if isinstance(c, ast.DefaultCase)), None)
        if not comm and default is None:
            self.emit(Block(names.WAIT_SELECT_NO_CASES, line))
            return
        # Go evaluates every send value on entering the select, in source order.
        specs: list[SelectCase] = []
        for case in comm:
            if isinstance(case, ast.SendCase):
                specs.append(
                    SelectCase(
                        send=True,
                        chan=self.chan(case.chan),
                        value=self.value(case.value),
                        vreg=None,
                        okreg=None,
                        body_pc=-1,
                        line=case.loc.line,
                    )
                )
            else:
                specs.append(
                    SelectCase(
                        send=False,
                        chan=self.chan(case.chan),
                        value=None,
                        vreg=self.assign_to(case.value),
                        okreg=self.assign_to(case.ok),
                        body_pc=-1,
                        line=case.loc.line,
                    )
                )
        at = self.emit(Select((), None, line))  # its cases once their bodies' pcs are known
        self.loops.append(([], None))
        ends: list[int] = []
        cases: list[SelectCase] = []
        for spec, case in zip(specs, comm, strict=True):
            cases.append(replace(spec, body_pc=self.here()))
            if isinstance(case, ast.RecvCase):
                self.store_back(case.value, spec.vreg, case.loc.line)
                self.store_back(case.ok, spec.okreg, case.loc.line)
            self.stmts(case.body)
            ends.append(self.emit(Jump(None)))
        default_pc = None
        if default is not None:
            default_pc = self.here()
            self.stmts(default.body)
        breaks, _ = self.loops.pop()
        end = self.here()
        for j in ends + breaks:
            self.patch(j, end)
        self.out[at] = Select(tuple(cases), default_pc, line)
