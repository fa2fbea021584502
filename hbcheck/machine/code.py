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
from hbcheck.language import ast, types
from hbcheck.language.check import Program, param_kind
from hbcheck.language.closures import mentioned
from hbcheck.machine.config import MachineConfig
from hbcheck.machine.instructions import (
    Alloc,
    Assert,
    Atomic,
    Block,
    Bound,
    Call,
    ChanCap,
    ChanLen,
    Choose,
    Close,
    Defer,
    Exit,
    Fn,
    Go,
    Instr,
    Invoke,
    Jump,
    Jz,
    Load,
    Lock,
    Make,
    MapDone,
    MapLen,
    MapMake,
    MapNext,
    MapRead,
    MapWrite,
    Once,
    OnceDone,
    Panic,
    Recover,
    Recv,
    Ret,
    Return,
    Select,
    SelectCase,
    Send,
    Set,
    SetElem,
    SliceAppend,
    SliceLoad,
    SliceMake,
    SliceStore,
    Store,
    Unlock,
    WgAdd,
    WgDone,
    WgWait,
)
from hbcheck.machine.slices import parts

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
    # a Go signature: its int and bool parameters in order (the registers an
    # ``Invoke`` sets in a fresh frame); None: a paren-less function or a goroutine
    params: tuple[str, ...] | None = None


# what a function's body is compiled for: its name, then per channel or sync
# parameter the declared object it is bound to (None: a nil channel; ``VALUE``:
# a channel value the caller passes, in a register of that name)
Todo = list[tuple[str, str, dict[str, str | None]]]
VALUE = "*"


def spec_key(func: str, binding: dict[str, str | None]) -> str:
    """The code of ``func`` for ``binding``: its name alone when it binds nothing."""
    if not binding:
        return func
    return f"{func}[{','.join(v if v is not None else 'nil' for v in binding.values())}]"


def compile_program(program: Program, config: MachineConfig) -> dict[str, Code]:
    """Codes for every top-level goroutine and every function, by name; a
    function with channel or sync parameters once per binding its calls make
    (they are known where it is called: names, never values)."""
    codes: dict[str, Code] = {}  # the compiler adds the wrappers of deferred methods, close and panic
    todo: Todo = []
    for g in program.goroutines:
        codes[g.name] = _Compiler(program, config, todo, codes=codes, escapes=g.escapes).body(
            g.name, g.body, frame=0, is_func=False, is_main=g.name == "main"
        )
    todo.extend((f.name, f.name, {}) for f in program.funcs.values() if not program.obj_params(f.name))
    while todo:
        key, name, binding = todo.pop(0)
        if key in codes:
            continue
        f = program.funcs[name]
        frame = f.frame if f.frame is not None else config.default_frame
        codes[key] = _Compiler(program, config, todo, f, binding, codes).body(key, f.body, frame=frame, is_func=True)
    return codes


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
        case ast.Index(name=n, index=ast.IntLit(value=k)):  # the condition's: a constant index
            return lookup(f"{n}[{k}]")
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


def element(array: str, index: int, length: int) -> str:
    """The location of ``array[index]``; out of bounds, Go's run-time panic."""
    if not 0 <= index < length:  # runtime/error.go: a negative index is shown without the length
        text = names.INDEX_OUT_OF_RANGE if index >= 0 else names.NEGATIVE_INDEX
        raise GoPanic(text.format(index=index, length=length))
    return f"{array}[{index}]"


def _reg(name: str) -> Fn:
    return lambda r: r.get(name, 0)


def _declared_first(name: str, body: tuple[ast.Stmt, ...], per_iteration: bool) -> bool:
    """Is the first statement of ``body`` that names ``name`` its ':='
    declaration (every path meets it before any other use)? Then the
    declaration allocates it, and the body's entry need not."""
    for s in body:
        if name not in mentioned(s, into_literals=True):
            continue
        match s:
            case ast.Assign(target=t, value=v, decl=True) if t == name:
                return name not in mentioned(v, into_literals=True)
            case ast.Recv(value=t, decl=True) if t == name:
                return True
            case ast.ForConst(var=t, decl=True) if t == name:
                return True
            case ast.MapLookup(key=k, decl=True) if name in (s.value, s.ok):
                return name not in mentioned(k, into_literals=True)
            case ast.ForRange(decl=True) if name in (s.var, s.value):  # Go 1.22's range may not run once
                return not per_iteration
        return False
    return True


def ref_reg(name: str) -> str:
    """The register holding the location of a variable a closure captured."""
    return f"$&{name}"


class _Compiler:
    def __init__(
        self,
        program: Program,
        config: MachineConfig,
        todo: Todo,
        func: ast.FuncDecl | None = None,
        binding: dict[str, str | None] | None = None,
        codes: dict[str, Code] | None = None,
        escapes: frozenset[str] = frozenset(),
    ):
        self.program = program
        self.codes = codes if codes is not None else {}
        self.config = config
        self.todo = todo
        self.func = func
        self.go_sig = func is not None and func.go_sig
        self.objs = binding or {}  # channel and sync parameters: what they are bound to
        # int and bool parameters: registers, even where a shared variable has their name
        self.locals = {q.name for q in (func.params or ()) if param_kind(q.type) in ("int", "ref")} if func else set()
        # registers a closure captures (declared here: allocated at entry, at ':=' and per
        # loop iteration) and those captured from the enclosing body: accessed in memory
        self.escapes = func.escapes if func is not None else escapes
        ref_params = {q.name for q in (func.params or ()) if param_kind(q.type) == "ref"} if func else set()
        self.refs = self.escapes | ref_params
        version = program.test.go_version
        self.per_iteration = version is None or version >= (1, 22)  # Go 1.22's loop variables
        # a paren-less function runs on its caller's registers: temps of its own
        self.prefix = f"${func.name}." if func is not None and not self.go_sig else "$"
        self.out: list[Instr] = []
        self.lines: list[int] = []
        self.line = 0
        self.ntemps = 0
        # loop contexts: (break patch list, continue target or None for select)
        self.loops: list[tuple[list[int], list[int] | None]] = []
        # a return's value is pinned in a temp before the deferred calls run (they may change registers)
        self.defers = func is not None and any(isinstance(n, ast.Defer) for n in ast.nodes(func.body))
        # the registers holding channels (its variables of a channel type, and captured ones)
        self.ctypes: dict[str, str] = program.chan_types.get(func.name, {}) if func is not None else {}

    def body(self, name: str, body: tuple[ast.Stmt, ...], frame: int, is_func: bool, is_main: bool = False) -> Code:
        self.name = name
        # its local arrays: each element a register of its own (``a[0]``, ...)
        self.arrays = self.program.local_arrays.get(self.func.name if self.func is not None else name, {})
        if self.func is None and name in self.program.chan_types:  # a goroutine's body
            self.ctypes = self.program.chan_types[name]
        self.line = body[0].loc.line if body else 0
        for n in sorted(self.escapes):  # a parameter's value, else 0
            if not _declared_first(n, body, self.per_iteration) or n in self.locals:
                self.emit(Alloc(ref_reg(n), n, lambda r, n=n: r.get(n, 0), self.line))
        self.stmts(body)
        self.line = body[-1].loc.line if body else 0
        if self.go_sig:
            self.emit(Return(None, self.line))
        else:
            self.emit(Ret() if is_func else Exit(self.line))
        params = None
        if self.go_sig:
            assert self.func is not None
            params = tuple(
                ref_reg(q.name) if param_kind(q.type) == "ref" else q.name
                for q in self.func.params or ()
                if param_kind(q.type) in ("int", "slice", "map", "ref") or self.objs.get(q.name) == VALUE
            )
        return Code(name, tuple(self.out), tuple(self.lines), frame, is_main, params)

    def is_int(self, name: str) -> bool:
        """A shared integer variable (a parameter of that name is a register)."""
        return name not in self.locals and name not in self.objs and self.program.is_int(name)

    def is_mem(self, name: str) -> bool:
        """Read and written in memory: a shared variable (an integer, a slice,
        or a channel some statement assigns), or a captured one."""
        return name in self.refs or self.is_int(name) or self.is_dynamic(name) or self.shared_kind(name) == "slice"

    def is_dynamic(self, name: str) -> bool:
        """A shared channel variable that some statement assigns: a location holding a channel."""
        return name not in self.locals and name not in self.objs and name in self.program.dynamic

    def lookup(self, name: str) -> Fn:
        """How an expression reads ``name``: a register, or the channel a name
        always stands for (a declared channel, a parameter bound to one)."""
        if name in self.objs:
            bound = self.objs[name]
            if bound == VALUE:  # a channel value: the parameter's register
                return _reg(name)
            return lambda r: bound if bound is not None else 0
        var = self.program.shared.get(name)
        if var is not None and var.kind == "chan" and not self.is_dynamic(name) and name not in self.locals:
            chan = self.program.channel(name)
            return lambda r: chan if chan is not None else 0
        if var is not None and var.kind == "map" and name not in self.locals and name not in self.ctypes:
            made = var.cap is not None  # a shared map is its own object, for ever
            return lambda r: name if made else 0
        return _reg(name)

    def chan_op(self, ref: ast.ChanRef | ast.Arg, line: int) -> tuple[str | None, str | None]:
        """An operation's channel: a declared one's name (None: nil), or the
        register that holds it when the step runs (a channel value, loaded
        first when it lives in memory)."""
        if not isinstance(ref, ast.ChanRef | ast.Name):  # make(...) or a call: its value, in a temp
            f = self.value(ref)  # type: ignore[arg-type]
            t = self.temp()
            self.emit(Set(t, f))
            return None, t
        name = ref.name
        if name is None or name == "nil":
            return None, None
        if name in self.objs:
            return (None, name) if self.objs[name] == VALUE else (self.objs[name], None)
        if self.is_mem(name):
            t = self.temp()
            self.load(t, name, line)
            return None, t
        if name in self.ctypes:
            return None, name
        return self.program.channel(name), None

    def load(self, reg: str, name: str, line: int) -> None:
        if name in self.refs:
            self.emit(Load(reg, ref_reg(name), line, f"&{name}"))
        else:
            self.emit(Load(reg, name, line))

    def store(self, name: str, value: Fn, line: int, decl: bool = False) -> None:
        """A write; ``decl``: a ':=' of a captured variable declared here, a new one."""
        if name in self.escapes and decl:
            self.emit(Alloc(ref_reg(name), name, value, line))
        elif name in self.refs:
            self.emit(Store(ref_reg(name), value, line, f"&{name}"))
        else:
            self.emit(Store(name, value, line))

    def has_loads(self, e: ast.Expr) -> bool:
        """Does evaluating ``e`` take visible steps (loads, or calls)?"""
        match e:
            case ast.Name(name=n):
                return self.is_mem(n)
            case ast.Unary(operand=o):
                return self.has_loads(o)
            case ast.Binary(left=a, right=b):
                return self.has_loads(a) or self.has_loads(b)
            case ast.CallExpr() | ast.Index() | ast.MakeChan() | ast.MakeSlice() | ast.MakeMap():
                return True
        return False

    def bind(self, func: str, args: tuple[ast.Arg, ...]) -> tuple[str, tuple[Fn, ...]]:
        """A call's code and its value arguments, evaluated left to right (their loads
        and calls emitted here); its channel and sync arguments choose the code."""
        f = self.program.funcs[func]
        if not f.go_sig:
            return func, ()
        fns: list[Fn] = []
        binding: dict[str, str | None] = {}
        for q, a in zip(f.params or (), args, strict=True):
            kind = param_kind(q.type)
            if kind in ("int", "slice", "map"):
                fns.append(self.value(a))  # type: ignore[arg-type]
            elif kind == "ref":  # a captured variable: its location
                assert isinstance(a, ast.Name) and a.name in self.refs
                fns.append(_reg(ref_reg(a.name)))
            elif kind == "chan" and isinstance(a, ast.Name) and self.static_chan(a.name):
                binding[q.name] = self.chan_name(a.name)
            elif kind == "chan":  # a channel value: passed in a register
                fns.append(self.value(a))  # type: ignore[arg-type]
                binding[q.name] = VALUE
            else:
                assert isinstance(a, ast.AddrArg | ast.Name)
                binding[q.name] = self.obj(a.name)
        key = spec_key(func, binding)
        self.todo.append((key, func, binding))
        return key, tuple(fns)

    def obj(self, name: str) -> str:
        """The declared sync object a name stands for (a parameter: what it is bound to)."""
        bound = self.objs.get(name, name)
        assert bound is not None
        return bound

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
        return f"{self.prefix}{self.ntemps}"

    def value(self, e: ast.Expr) -> Fn:
        """Emit the loads of ``e`` and return the closure computing it."""
        if not self.has_loads(e):
            return pure(e, self.lookup)
        match e:
            case ast.MakeChan():
                t = self.temp()
                self.make(t, "chan", e)
                return _reg(t)
            case ast.MakeSlice() | ast.CallExpr(name="append"):
                return self.slice_value(e, "make")
            case ast.MakeMap(hint=hint, loc=loc):
                if hint is not None:
                    self.emit(Set(self.temp(), self.value(hint)))
                t = self.temp()
                self.emit(MapMake(t, "make", loc.line))
                return _reg(t)
            case ast.CallExpr(name="len" | "cap" as op, args=(ast.Name(name=n),), loc=loc) if self.is_slice(n):
                hdr = self.slice_header(n, loc.line)
                at = 1 if op == "len" else 2
                return lambda r: parts(r[hdr])[at]
            case ast.CallExpr(name="len", args=(ast.Name(name=n),), loc=loc) if self.is_map(n):
                t = self.temp()
                self.emit(MapLen(t, line=loc.line, **self.map_ref(n, loc.line)))
                return _reg(t)
            case ast.CallExpr(name="len" | "cap", args=(ast.Name(name=n),)) if n in self.arrays:
                length = self.arrays[n]
                return lambda r: length
            case ast.CallExpr(name="len" | "cap" as op, args=(arg,), loc=loc):
                chan, via = self.chan_op(arg, loc.line)
                t = self.temp()
                self.emit(ChanLen(t, chan, loc.line, via) if op == "len" else ChanCap(t, chan, loc.line, via))
                return _reg(t)
            case ast.CallExpr(name="recover", loc=loc):
                t = self.temp()
                self.emit(Recover(t, loc.line))
                return _reg(t)
            case ast.CallExpr(name=f, args=args, loc=loc):
                key, fns = self.bind(f, args)
                t = self.temp()
                self.emit(Invoke(key, fns, t, loc.line))
                return _reg(t)
            case ast.Name(name=n, loc=loc):
                t = self.temp()
                self.load(t, n, loc.line)
                return _reg(t)
            case ast.Index(name=n, index=i, loc=loc) if self.is_slice(n):
                hdr = self.slice_header(n, loc.line)  # the slice, then the index (left to right)
                fi = self.value(i)
                t = self.temp()
                self.emit(SliceLoad(t, hdr, fi, n, loc.line, self.slice_key(n)))
                return _reg(t)
            case ast.Index(name=n, index=i, loc=loc) if self.is_map(n):
                ref = self.map_ref(n, loc.line)  # the map, then the key (left to right)
                fk = self.value(i)
                t = self.temp()
                self.emit(MapRead(key=fk, vreg=t, okreg=None, line=loc.line, **ref))
                return _reg(t)
            case ast.Index(name=n, index=i) if n in self.arrays:  # a register; out of range, Go's panic
                fi, length = self.value(i), self.arrays[n]
                return lambda r: r.get(element(n, fi(r), length), 0)
            case ast.Index(name=n, index=ast.IntLit(value=k), loc=loc):  # in bounds, the checker says
                t = self.temp()
                self.emit(Load(t, f"{n}[{k}]", loc.line, n))
                return _reg(t)
            case ast.Index(name=n, index=i, loc=loc):
                fi = self.value(i)  # its loads land in temps: later steps cannot change it
                t = self.temp()
                self.emit(Load(t, n, loc.line, n, fi, self.length(n)))
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

    def slice_value(self, v: ast.Expr | ast.Arg, hint: str) -> Fn:
        """A slice's value (its header): ``make`` (its backing array named after
        ``hint``), ``append`` (a new array named after the slice appended to),
        nil, or any other expression."""
        match v:
            case ast.MakeSlice(len=n, cap=c, loc=loc):
                fn = self.value(n)
                fc = self.value(c) if c is not None else None
                new = self.temp()
                self.emit(SliceMake(new, hint, fn, fc, loc.line))
                return _reg(new)
            case ast.CallExpr(name="append", args=(first, *rest), loc=loc):
                site = first.name if isinstance(first, ast.Name) else hint
                hdr = self.slice_hdr(first, loc.line)
                fns = tuple(self.value(a) for a in rest)  # type: ignore[arg-type]
                new = self.temp()
                self.emit(SliceAppend(new, hdr, fns, site, loc.line, self.slice_key(site)))
                return _reg(new)
            case ast.Name(name="nil"):
                return lambda r: 0
        return self.value(v)  # type: ignore[arg-type]

    def slice_hdr(self, e: ast.Arg, line: int) -> str:
        """The register holding slice expression ``e``'s header."""
        if isinstance(e, ast.Name):
            return self.slice_header(e.name, line)
        t = self.temp()
        self.emit(Set(t, self.slice_value(e, "make")))
        return t

    def slice_key(self, site: str) -> str:
        """The footprint of an access to the elements of slice ``site``: its
        name where no two names can share a backing array, else its type."""
        return "[]" if self.program.slice_aliases else site

    def make(self, reg: str, hint: str, e: ast.MakeChan) -> None:
        """``reg = make(chan T, N)``: the capacity first (its loads), then the channel."""
        cap = self.value(e.cap) if e.cap is not None else (lambda r: 0)
        constant = e.cap is None or isinstance(e.cap, ast.IntLit)  # the checker rejected a bad one
        self.emit(Make(reg, hint, cap, e.loc.line, may_panic=not constant))

    def shared_kind(self, name: str) -> str | None:
        """The kind of the shared object ``name`` names (the checker keeps locals and parameters off its name)."""
        var = self.program.shared.get(name)
        return None if var is None or name in self.objs or name in self.ctypes else var.kind

    def is_map(self, name: str) -> bool:
        return types.is_map(self.ctypes.get(name)) or self.shared_kind(name) == "map"

    def map_ref(self, name: str, line: int) -> dict[str, str | None]:
        """An operation's map: a shared one (``map`` None: nil), or ``via`` the
        register holding a map value (loaded first when it lives in memory);
        ``site`` its footprint, one for every map once maps are values."""
        if self.shared_kind(name) == "map":
            m = name if self.program.shared[name].cap is not None else None
            return {"map": m, "via": None, "site": "map*" if self.program.map_values else m or ""}
        via = name
        if self.is_mem(name):
            via = self.temp()
            self.load(via, name, line)
        return {"map": None, "via": via, "site": "map*"}

    def is_slice(self, name: str) -> bool:
        return types.is_slice(self.ctypes.get(name)) or self.shared_kind(name) == "slice"

    def slice_header(self, name: str, line: int) -> str:
        """The register holding slice ``name``'s header: its own, or a temp the
        header of a slice in memory is loaded into (a read of the variable)."""
        if not self.is_mem(name):
            return name
        t = self.temp()
        self.load(t, name, line)
        return t

    def range_vars(
        self, k: str, v: str | None, decl: bool, line: int
    ) -> tuple[list[str | None], list[str | None], set[str]]:
        """A map's or slice's range variables, a temp for each, and those Go 1.21
        declares once for the whole loop (a captured one: allocated here)."""
        targets = [t if t != "_" else None for t in (k, v)]
        regs = [self.temp() if t is not None else None for t in targets]
        once = {t for t in targets if t is not None and t in self.escapes and decl and not self.per_iteration}
        for t in sorted(once):
            self.emit(Alloc(ref_reg(t), t, lambda r: 0, line))
        return targets, regs, once

    def set_range_vars(
        self, targets: list[str | None], regs: list[str | None], once: set[str], decl: bool, line: int
    ) -> None:
        for t, reg in zip(targets, regs, strict=True):
            if t is not None and reg is not None:
                if self.is_mem(t):
                    self.store(t, _reg(reg), line, decl and t not in once)
                else:
                    self.emit(Set(t, _reg(reg)))

    def length(self, array: str) -> int:
        length = self.program.shared[array].cap
        assert length is not None
        return length

    def assign_to(self, target: str | None) -> str | None:
        """Where a received value goes: a register, or a temp stored afterwards."""
        if target is None or not self.is_mem(target):
            return target
        return self.temp()

    def store_back(self, target: str | None, temp: str | None, line: int, decl: bool = False) -> None:
        """The write of a received value, at ``line`` (a select's case: its own line)."""
        if target is not None and temp is not None and temp != target:
            saved, self.line = self.line, line
            self.store(target, _reg(temp), line, decl)
            self.line = saved

    def static_chan(self, name: str) -> bool:
        """Does ``name`` always stand for one declared channel (or nil)?"""
        if name == "nil":
            return True
        if name in self.objs:
            return self.objs[name] != VALUE
        return name not in self.ctypes and not self.is_mem(name)

    def chan_name(self, name: str | None) -> str | None:
        if name is not None and name in self.objs:
            return self.objs[name]
        return self.program.channel(name)

    # ---- statements
    def stmts(self, body: tuple[ast.Stmt, ...]) -> None:
        for s in body:
            self.stmt(s)

    def stmt(self, s: ast.Stmt) -> None:
        line = self.line = s.loc.line
        match s:
            case ast.Assign(target=t, type=typ) if t in self.arrays and typ is not None:  # zeroed
                for k in range(self.arrays[t]):
                    self.emit(Set(f"{t}[{k}]", lambda r: 0))
            case ast.Assign(target=t, value=v, decl=decl) if self.is_slice(t):
                f = self.slice_value(v, t)
                self.line = line
                if self.is_mem(t):
                    self.store(t, f, line, decl)
                else:
                    self.emit(Set(t, f))
            case ast.Assign(target=t, value=ast.MakeChan() as v) if not self.is_mem(t):
                self.make(t, t, v)
            case ast.Assign(target=t, value=ast.MakeMap() as v, decl=decl):
                if v.hint is not None:  # evaluated (a division may panic); makemap ignores a bad hint
                    self.emit(Set(self.temp(), self.value(v.hint)))
                reg = self.temp() if self.is_mem(t) else t
                self.emit(MapMake(reg, t, line))
                if reg != t:
                    self.store(t, _reg(reg), line, decl)
            case ast.Assign(target=t, value=v, decl=decl):
                f = self.value(v)
                if self.is_mem(t):
                    self.line = line
                    self.store(t, f, line, decl)
                else:
                    self.emit(Set(t, f))
            case ast.IndexAssign(name=a, index=i, value=v) if self.is_slice(a):  # the slice, the index, the value
                hdr = self.slice_header(a, line)
                fi = self.value(i)
                f = self.value(v)
                self.line = line
                self.emit(SliceStore(hdr, fi, f, a, line, self.slice_key(a)))
            case ast.IndexAssign(name=a, index=i, value=v) if self.is_map(a):  # the key, the value, then mapassign
                ref = self.map_ref(a, line)
                fk = self.value(i)
                f = self.value(v)
                self.line = line
                self.emit(MapWrite(key=fk, value=f, line=line, **ref))
                for phase in ("insert", "clear", "store"):
                    self.emit(MapDone(phase=phase, line=line, **ref))
            case ast.Call(name="delete", args=(ast.Name(name=a), key)):
                ref = self.map_ref(a, line)
                fk = self.value(key)  # type: ignore[arg-type]
                self.line = line
                self.emit(MapWrite(key=fk, value=None, line=line, **ref))
                for phase in ("insert", "clear"):
                    self.emit(MapDone(phase=phase, line=line, **ref))
            case ast.MapLookup(value=v, ok=ok, map=a, key=key, decl=decl):
                ref = self.map_ref(a, line)
                fk = self.value(key)
                tv, tok = self.assign_to(v), self.assign_to(ok)
                self.line = line
                self.emit(MapRead(key=fk, vreg=tv, okreg=tok, line=line, **ref))
                self.store_back(v, tv, line, decl)
                self.store_back(ok, tok, line, decl)
            case ast.IndexAssign(name=a, index=i, value=v) if a in self.arrays:  # the index, the value, the register
                fi, f = self.value(i), self.value(v)
                self.emit(SetElem(a, self.arrays[a], fi, f, line))
            case ast.IndexAssign(name=a, index=ast.IntLit(value=k), value=v):  # in bounds, the checker says
                f = self.value(v)
                self.line = line
                self.emit(Store(f"{a}[{k}]", f, line, a))
            case ast.IndexAssign(name=a, index=i, value=v):  # the index, the value, then the write
                fi = self.value(i)  # its loads land in temps: later steps cannot change it
                f = self.value(v)
                self.line = line
                self.emit(Store(a, f, line, a, fi, self.length(a)))
            case ast.Recv(value=v, ok=ok, chan=c, decl=decl):
                chan, via = self.chan_op(c, line)
                tv, tok = self.assign_to(v), self.assign_to(ok)
                self.emit(Recv(chan, tv, tok, line, via))
                self.store_back(v, tv, line, decl)
                self.store_back(ok, tok, line, decl)
            case ast.Send(chan=c, value=v):
                chan, via = self.chan_op(c, line)  # Go evaluates the channel, then the value
                f = self.value(v)
                self.line = line
                self.emit(Send(chan, f, line, via))
            case ast.Call(name="close", args=(arg,)):
                assert isinstance(arg, ast.Name)
                chan, via = self.chan_op(arg, line)
                self.emit(Close(chan, line, via))
            case ast.Call(name="panic", args=(arg,)):
                assert isinstance(arg, ast.StrArg)
                self.emit(Panic(arg.text, line))
            case ast.Call(name="recover"):
                self.emit(Recover(None, line))
            case ast.Call(name=f, args=args) if self.program.funcs[f].go_sig:
                key, fns = self.bind(f, args)
                self.line = line
                self.emit(Invoke(key, fns, None, line))
            case ast.Call(name=f):
                self.emit(Call(f, line))
            case ast.GoStmt(func=f, args=args):
                key, fns = self.bind(f, args)
                self.line = line
                self.emit(Go(f, line, key, fns))
            case ast.Return(value=v):
                if self.go_sig:
                    fn = self.value(v) if v is not None else None
                    if fn is not None and self.defers:
                        t = self.temp()
                        self.emit(Set(t, fn))
                        fn = _reg(t)
                    self.line = line
                    self.emit(Return(fn, line))
                elif self.func is not None:
                    self.emit(Ret())
                else:
                    self.emit(Exit(line))
            case ast.MethodCall():
                self.method(s)
            case ast.Defer(call=c):
                self.defer(c, line)
            case ast.MethodValue(target=t, args=(ast.IntLit(value=n),)):  # rand.Intn(n), the checker says
                tt = self.assign_to(t)
                self.emit(Choose(tt if tt is not None else self.temp(), n, line))
                self.store_back(t, tt, line)
            case ast.AtomicCall(target=t, op=op, args=args):
                assert isinstance(args[0], ast.AddrArg)
                fns = tuple(self.value(a) for a in args[1:])  # type: ignore[arg-type]
                tt = self.assign_to(t)
                var = args[0].name
                if var in self.refs:  # a register in memory: the location its ref register holds
                    self.emit(Atomic(op, ref_reg(var), fns, tt, line, f"&{var}"))
                else:
                    self.emit(Atomic(op, var, fns, tt, line))
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
            case ast.ForRange(var=k, chan=ast.ChanRef(name=str() as a), value=v, body=body, decl=decl) if (
                a in self.arrays
            ):
                # the range expression is evaluated once: the array copied
                length, i = self.arrays[a], self.temp()
                copy = [self.temp() for _ in range(length)] if v not in (None, "_") else []
                for n, t in enumerate(copy):
                    self.emit(Set(t, _reg(f"{a}[{n}]")))
                targets, regs, once = self.range_vars(k, v, decl, line)
                self.emit(Set(i, lambda r: 0))
                head = self.here()
                jz = self.emit(Jz(lambda r: int(r[i] < length), None))
                if regs[0] is not None:
                    self.emit(Set(regs[0], _reg(i)))
                if regs[1] is not None:
                    self.emit(Set(regs[1], lambda r: r[copy[r[i]]]))
                self.set_range_vars(targets, regs, once, decl, line)
                self.loop(body, head, jz, step=lambda: self.emit(Set(i, lambda r: r[i] + 1)))
            case ast.ForConst(var=i, start=a, stop=b, body=body, decl=decl) if i in self.refs:
                self.captured_for(i, a, b, body, decl, line)
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
            case ast.ForRange(var=k, chan=ast.ChanRef(name=str() as a), value=v, body=body, decl=decl) if self.is_map(
                a
            ):
                it, tok = self.temp(), self.temp()
                targets, regs, once = self.range_vars(k, v, decl, line)
                self.emit(Set(it, lambda r: None))
                ref = self.map_ref(a, line)  # the range expression is evaluated once
                if ref["via"] == a:  # a map variable the body may re-assign: pinned
                    ref["via"] = self.temp()
                    self.emit(Set(ref["via"], _reg(a)))
                head = self.emit(MapNext(it=it, kreg=regs[0], vreg=regs[1], okreg=tok, line=line, **ref))
                jz = self.emit(Jz(_reg(tok), None))
                self.set_range_vars(targets, regs, once, decl, line)
                self.loop(body, head, jz)
            case ast.ForRange(var=k, chan=ast.ChanRef(name=str() as a), value=v, body=body, decl=decl) if self.is_slice(
                a
            ):
                hdr, i = self.temp(), self.temp()
                targets, regs, once = self.range_vars(k, v, decl, line)
                self.emit(Set(hdr, _reg(self.slice_header(a, line))))  # the range expression is evaluated once
                self.emit(Set(i, lambda r: 0))
                head = self.here()
                jz = self.emit(Jz(lambda r: int(r[i] < parts(r[hdr])[1]), None))
                if regs[0] is not None:
                    self.emit(Set(regs[0], _reg(i)))
                if regs[1] is not None:
                    self.emit(SliceLoad(regs[1], hdr, _reg(i), a, line, self.slice_key(a)))
                self.set_range_vars(targets, regs, once, decl, line)
                self.loop(body, head, jz, step=lambda: self.emit(Set(i, lambda r: r[i] + 1)))
            case ast.ForRange(var=v, chan=c, body=body, decl=decl):
                tv, tok = self.temp(), self.temp()
                # Go 1.21's captured range variable: one per loop, set each iteration
                once = v in self.escapes and decl and not self.per_iteration
                if once:
                    self.emit(Alloc(ref_reg(v), v, lambda r: 0, line))
                chan, via = self.chan_op(c, line)  # evaluated once, before the loop (the Go spec's range)
                if via is not None and via == c.name:  # a channel variable the body may re-assign
                    pinned = self.temp()
                    self.emit(Set(pinned, _reg(via)))
                    via = pinned
                head = self.emit(Recv(chan, tv, tok, line, via))
                jz = self.emit(Jz(_reg(tok), None))
                if v != "_":
                    if self.is_mem(v):
                        self.store(v, _reg(tv), line, decl and not once)
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

    def captured_for(self, i: str, a: int, b: int, body: tuple[ast.Stmt, ...], decl: bool, line: int) -> None:
        """``for i := A; i < B; i++`` over a variable a closure captured: its
        reads and writes are in memory. Since Go 1.22 each iteration has its
        own variable: before the increment a new one is declared, set to the
        old one's value (the increment of a variable nobody else can reach
        yet is part of its declaration)."""
        self.store(i, lambda r: a, line, decl)
        counter = self.temp()
        self.emit(Set(counter, lambda r: 0))
        head = self.here()
        t = self.temp()
        self.load(t, i, line)
        jz = self.emit(Jz(lambda r: int(r[t] < b), None))
        self.emit(Bound(counter, max(b - a, 0), line))

        def step() -> int:
            self.line = line
            old = self.temp()
            self.load(old, i, line)
            at = self.here()
            self.store(i, lambda r: wrap(r[old] + 1), line, decl and self.per_iteration)
            return at

        self.loop(body, head, jz, step=step)

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

    def defer(self, c: ast.Call | ast.MethodCall, line: int) -> None:
        """A deferred function call defers its code with its arguments evaluated
        now; anything else (a method, ``close``, ``panic``, ``recover``) defers a
        wrapper compiled here, whose one argument (``wg.Add``'s) is evaluated now
        and passed in."""
        if isinstance(c, ast.Call) and c.name in self.program.funcs:
            key, fns = self.bind(c.name, c.args)
            self.line = line
            self.emit(Defer(key, fns, line))
            return
        fns: tuple[Fn, ...] = ()
        value = isinstance(c, ast.Call) and c.name == "close" and not self.static_chan(c.args[0].name)  # type: ignore[union-attr]
        if (isinstance(c, ast.MethodCall) and c.method == "Add") or value:
            fns = (self.value(c.args[0]),)  # type: ignore[arg-type]
            c = replace(c, args=(ast.Name("$a0", c.loc),))  # type: ignore[arg-type]
        elif isinstance(c, ast.Call) and c.name == "delete":  # the key is evaluated now, the map is a shared one
            fns = (self.value(c.args[1]),)  # type: ignore[arg-type]
            c = replace(c, args=(c.args[0], ast.Name("$a0", c.loc)))
        key = f"{self.name}$defer{line}.{len(self.codes)}"
        wrapper = _Compiler(self.program, self.config, self.todo, binding=self.objs, codes=self.codes)
        wrapper.ctypes = {"$a0": "chan"} if value else {}
        if isinstance(c, ast.Call) and c.name == "recover":
            body: tuple[ast.Stmt, ...] = ()  # recover() deferred itself is not called by a deferred function
        else:
            body = (c,)
        code = wrapper.body(key, body, frame=0, is_func=True)
        self.codes[key] = replace(code, params=("$a0",) if fns else ())  # registers of its own
        self.line = line
        self.emit(Defer(key, fns, line))

    def method(self, s: ast.MethodCall) -> None:
        line = s.loc.line
        obj = self.obj(s.obj)
        kind = self.program.shared[obj].kind
        match (kind, s.method):
            case ("mutex", "Lock"):
                self.emit(Lock(obj, line))
            case ("mutex", "Unlock"):
                self.emit(Unlock(obj, line))
            case ("wg", "Add"):
                f = self.value(s.args[0])  # type: ignore[arg-type]
                self.line = line
                self.emit(WgAdd(obj, f, line))
            case ("wg", "Done"):
                self.emit(WgDone(obj, line))
            case ("wg", "Wait"):
                self.emit(WgWait(obj, line))
            case ("once", "Do"):
                arg = s.args[0]
                assert isinstance(arg, ast.Name)
                self.emit(Once(obj, arg.name, line))
                self.emit(OnceDone(obj, line))
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
            chan, via = self.chan_op(case.chan, line)
            if isinstance(case, ast.SendCase):
                specs.append(
                    SelectCase(
                        send=True,
                        chan=chan,
                        value=self.value(case.value),
                        vreg=None,
                        okreg=None,
                        body_pc=-1,
                        line=case.loc.line,
                        via=via,
                    )
                )
            else:
                specs.append(
                    SelectCase(
                        send=False,
                        chan=chan,
                        value=None,
                        vreg=self.assign_to(case.value),
                        okreg=self.assign_to(case.ok),
                        body_pc=-1,
                        line=case.loc.line,
                        via=via,
                    )
                )
        at = self.emit(Select((), None, line))  # its cases once their bodies' pcs are known
        self.loops.append(([], None))
        ends: list[int] = []
        cases: list[SelectCase] = []
        for spec, case in zip(specs, comm, strict=True):
            cases.append(replace(spec, body_pc=self.here()))
            if isinstance(case, ast.RecvCase):
                self.store_back(case.value, spec.vreg, case.loc.line, case.decl)
                self.store_back(case.ok, spec.okreg, case.loc.line, case.decl)
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
