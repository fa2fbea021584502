"""Resolve names and reject what the language does not allow (docs/language.md).

The result is a ``Program``: the AST plus its symbol tables. Every rejection
is an ``HbError`` at the offending node, so the user sees file:line:col.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hbcheck.errors import HbError, Loc
from hbcheck.language import ast

BUILTINS = frozenset({"close", "panic", "atomic", "make", "nil", "true", "false", "len", "cap", "range"})
SYNC_TYPES = {"sync.Mutex": "mutex", "sync.WaitGroup": "wg", "sync.Once": "once"}
METHODS = {
    "mutex": {"Lock": 0, "Unlock": 0},
    "wg": {"Add": 1, "Done": 0, "Wait": 0},
    "once": {"Do": 1},
}
ATOMIC_ARITY = {"Store": 2, "Load": 1, "Add": 2, "CompareAndSwap": 3}
KIND_NAMES = {
    "int": "an integer variable",
    "chan": "a channel",
    "mutex": "a sync.Mutex",
    "wg": "a sync.WaitGroup",
    "once": "a sync.Once",
}
_INSTANCE = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z0-9_]*)(#(?P<n>[0-9]+))?$")


# runtime/chan.go makechan: elemsize * size must not pass maxAlloc - hchanSize
# (maxAlloc is 1 << 48 on 64-bit Linux, hchanSize 96 bytes): ints are 8 bytes
MAX_INT_CHAN_CAP = ((1 << 48) - 96) // 8


@dataclass(frozen=True, slots=True)
class SharedVar:
    """A declared shared object. ``cap`` is None for a nil channel."""

    name: str
    kind: str  # "int", "chan", "mutex", "wg", "once"
    init: int = 0
    cap: int | None = None
    loc: Loc | None = None
    elem: str = "int"  # a channel's element type: "int" or "struct{}"


@dataclass(slots=True)
class Program:
    """A checked test: the AST and what its names mean."""

    test: ast.Test
    shared: dict[str, SharedVar]
    funcs: dict[str, ast.FuncDecl]
    goroutines: tuple[ast.GoDecl, ...]
    registers: dict[str, frozenset[str]] = field(default_factory=dict)
    spawned: frozenset[str] = frozenset()

    @property
    def name(self) -> str:
        return self.test.name

    @property
    def has_main(self) -> bool:
        return any(g.name == "main" for g in self.goroutines)

    @property
    def condition(self) -> ast.Condition | None:
        return self.test.condition

    @property
    def expects(self) -> tuple[ast.Expect, ...]:
        return self.test.expects

    @property
    def closed_channels(self) -> frozenset[str]:
        """Declared channels some ``close`` statement names (who may panic on a close)."""
        named = (n.args[0] for n in ast.nodes(self.test) if isinstance(n, ast.Call) and n.name == "close" and n.args)
        return frozenset(a.name for a in named if getattr(a, "name", None) in self.shared)

    @property
    def caps(self) -> dict[str, int]:
        """Each non-nil channel's capacity."""
        return {n: v.cap for n, v in self.shared.items() if v.kind == "chan" and v.cap is not None}

    def channel(self, name: str | None) -> str | None:
        """A channel's name, or None for nil (the literal, or a ``var c chan int``): the one
        place both engines learn which operations block forever."""
        if name is None or name == "nil" or self.shared[name].cap is None:
            return None
        return name

    def is_int(self, name: str) -> bool:
        var = self.shared.get(name)
        return var is not None and var.kind == "int"

    def shared_waitgroups(self) -> frozenset[str]:
        """The wait groups whose Waits and Adds of a positive (or unknown) delta
        are not all one top-level goroutine's (its own code, or functions it
        calls): only those can show Go's WaitGroup misuse (the race the detector
        reports between a first Add and a waiting Wait, and the runtime's two
        misuse panics), which needs the two in different goroutines. Over-approximate:
        a goroutine a ``go`` starts always counts as another."""
        owners: dict[str, set[str]] = {}  # a function -> who runs it
        work = [(g.name, g.body) for g in self.goroutines]
        sites: dict[str, set[str]] = {}  # a wait group -> who Waits or Adds more on it
        adds: set[str] = set()
        waits: set[str] = set()
        while work:
            who, body = work.pop()
            for n in ast.nodes(body):
                match n:
                    case ast.Call(name=f) | ast.MethodCall(method="Do", args=(ast.Name(name=f),)) if f in self.funcs:
                        if who not in owners.setdefault(f, set()):
                            owners[f].add(who)
                            work.append((who, self.funcs[f].body))
                    case ast.GoStmt(func=f) if f in self.funcs:
                        spawned = f"go {f}"
                        if spawned not in owners.setdefault(f, set()):
                            owners[f].add(spawned)
                            work.append((spawned, self.funcs[f].body))
                    case ast.MethodCall(obj=w, method="Wait"):
                        sites.setdefault(w, set()).add(who)
                        waits.add(w)
                    case ast.MethodCall(obj=w, method="Add", args=(delta,)):
                        if not _at_most_zero(delta):
                            sites.setdefault(w, set()).add(who)
                            adds.add(w)
        return frozenset(
            w
            for w, who in sites.items()
            if w in adds and w in waits and (len(who) > 1 or any(o.startswith("go ") for o in who))
        )

    def base_of(self, instance: str) -> str | None:
        """The goroutine or function an instance name (``W#2``) belongs to."""
        m = _INSTANCE.match(instance)
        if not m:
            return None
        base = m.group("base")
        if m.group("n") is None:
            if any(g.name == base for g in self.goroutines) or base in self.spawned:
                return base
            return None
        if base in self.spawned and int(m.group("n")) >= 2:
            return base
        return None


def check(test: ast.Test) -> Program:
    """Check a parsed test; raise ``HbError`` (with the source) on the first problem."""
    try:
        return _Checker(test).run()
    except HbError as err:
        raise HbError(err.message, err.loc, test.source) from None


class _Checker:
    def __init__(self, test: ast.Test):
        self.test = test
        self.shared: dict[str, SharedVar] = {}
        self.funcs: dict[str, ast.FuncDecl] = {}
        self.goroutines: list[ast.GoDecl] = []
        self.spawned: set[str] = set()
        # per body (goroutine or function name): assigned registers and callees
        self.assigned: dict[str, set[str]] = {}
        self.callees: dict[str, set[str]] = {}

    def run(self) -> Program:
        seen: dict[str, Loc] = {}
        for node in ast.nodes((self.test.decls, self.test.condition)):
            if isinstance(node, ast.IntLit) and node.value == 2**63:  # only -9223372036854775808 is an int
                raise HbError("constant 9223372036854775808 overflows int (int64)", node.loc)
        for decl in self.test.decls:
            if decl.name in BUILTINS:
                raise HbError(f"'{decl.name}' is predeclared and cannot be redeclared", decl.loc)
            if decl.name == "init" and isinstance(decl, ast.GoDecl):
                raise HbError("'init' names the initial writes: call the goroutine otherwise", decl.loc)
            if decl.name in seen:
                prev = seen[decl.name]
                raise HbError(f"'{decl.name}' redeclared (first declared at line {prev.line})", decl.loc)
            seen[decl.name] = decl.loc
            if isinstance(decl, ast.VarDecl):
                self.shared[decl.name] = self._var(decl)
            elif isinstance(decl, ast.FuncDecl):
                if decl.name == "main":
                    raise HbError("declare the main goroutine as 'go main { ... }', not as a function", decl.loc)
                if decl.frame is not None and decl.frame <= 0:
                    raise HbError("a frame size must be a positive number of bytes", decl.loc)
                self.funcs[decl.name] = decl
            else:
                self.goroutines.append(decl)
        if not self.goroutines:
            raise HbError("the test declares no goroutine ('go NAME { ... }')", Loc(self.test.file, 1, 1))
        for g in self.goroutines:
            self._body(g.name, g.body)
        for f in self.funcs.values():
            self._body(f.name, f.body)
        registers = {g.name: frozenset(self._reach_regs(g.name)) for g in self.goroutines}
        for name in self.spawned:
            registers[name] = frozenset(self._reach_regs(name))
        program = Program(
            self.test, self.shared, self.funcs, tuple(self.goroutines), registers, frozenset(self.spawned)
        )
        self._condition(program)
        self._expects(program)
        return program

    # ---- declarations
    def _var(self, d: ast.VarDecl) -> SharedVar:
        typ = d.type
        if d.make_elem is not None:
            if d.make_elem not in ("int", "struct{}"):
                raise HbError(f"unsupported channel element type '{d.make_elem}' (chan int or chan struct{{}})", d.loc)
            if typ not in (None, f"chan {d.make_elem}"):
                raise HbError(f"cannot initialise '{d.name}' of type {typ} with make(chan {d.make_elem})", d.loc)
            if d.make_cap is not None and d.make_cap < 0:
                raise HbError(f"negative buffer argument in make(chan {d.make_elem}, {d.make_cap})", d.loc)
            if d.make_cap is not None and d.make_elem == "int" and d.make_cap > MAX_INT_CHAN_CAP:
                raise HbError(
                    f"make(chan int, {d.make_cap}) panics in Go: makechan: size out of range "
                    f"(at most {MAX_INT_CHAN_CAP} ints fit the runtime's largest allocation)",
                    d.loc,
                )
            return SharedVar(d.name, "chan", 0, d.make_cap or 0, d.loc, d.make_elem)
        if typ is None or typ == "int":
            if typ is None and d.init is None:  # pragma: no cover - grammar needs a type or an init
                raise HbError(f"'{d.name}' needs a type or an initial value", d.loc)
            return SharedVar(d.name, "int", d.init or 0, None, d.loc)
        if d.init is not None:
            raise HbError(f"cannot initialise '{d.name}' of type {typ} with an integer", d.loc)
        if typ.startswith("chan "):
            if typ not in ("chan int", "chan struct{}"):
                raise HbError(f"unsupported channel element type '{typ[5:]}' (chan int or chan struct{{}})", d.loc)
            return SharedVar(d.name, "chan", 0, None, d.loc, typ[5:])
        if typ in SYNC_TYPES:
            return SharedVar(d.name, SYNC_TYPES[typ], 0, None, d.loc)
        raise HbError(f"unknown type '{typ}' (expected int, chan int, sync.Mutex, sync.WaitGroup or sync.Once)", d.loc)

    # ---- bodies
    def _body(self, owner: str, body: tuple[ast.Stmt, ...]) -> None:
        self.assigned.setdefault(owner, set())
        self.callees.setdefault(owner, set())
        self._stmts(owner, body, in_loop=False)

    def _stmts(self, owner: str, body: tuple[ast.Stmt, ...], in_loop: bool, in_select: bool = False) -> None:
        for s in body:
            self._stmt(owner, s, in_loop, in_select)

    def _target(self, owner: str, name: str | None, loc: Loc) -> None:
        if name is None:
            return
        if name in BUILTINS:
            raise HbError(f"cannot assign to '{name}'", loc)
        if name in self.funcs or any(g.name == name for g in self.goroutines):
            raise HbError(f"cannot assign to '{name}': it is a function or goroutine", loc)
        var = self.shared.get(name)
        if var is not None:
            if var.kind != "int":
                raise HbError(f"cannot assign to '{name}': it is {KIND_NAMES[var.kind]}", loc)
            return
        self.assigned[owner].add(name)

    def _elem(self, ref: ast.ChanRef) -> str:
        return "int" if ref.name is None else self.shared[ref.name].elem

    def _send_value(self, ref: ast.ChanRef, value: ast.Expr) -> None:
        if self._elem(ref) == "struct{}":
            if not isinstance(value, ast.UnitLit):
                raise HbError(f"'{ref.name}' is a chan struct{{}}: send struct{{}}{{}}", value.loc)
        else:
            self.expr(value)

    def _recv_value(self, ref: ast.ChanRef, target: str | None, loc: Loc) -> None:
        if target is not None and self._elem(ref) == "struct{}":
            raise HbError(
                f"'{ref.name}' is a chan struct{{}}: its values cannot be stored; receive with <-{ref.name} "
                "or _, ok = <-" + str(ref.name),
                loc,
            )

    def _chan(self, ref: ast.ChanRef) -> None:
        if ref.name is None:
            return
        var = self.shared.get(ref.name)
        if var is None:
            raise HbError(f"undeclared channel '{ref.name}'", ref.loc)
        if var.kind != "chan":
            raise HbError(f"'{ref.name}' is {KIND_NAMES[var.kind]}, not a channel", ref.loc)

    def expr(self, e: ast.Expr, in_condition: bool = False) -> None:
        if isinstance(e, ast.IntLit):
            return
        if isinstance(e, ast.UnitLit):
            raise HbError("struct{}{} is only sent on a chan struct{}", e.loc)
        if isinstance(e, ast.Name):
            if e.name == "nil":
                raise HbError("nil is not an integer", e.loc)
            var = self.shared.get(e.name)
            if var is not None and var.kind != "int":
                raise HbError(f"'{e.name}' is {KIND_NAMES[var.kind]}, not an integer", e.loc)
            if e.name in self.funcs or any(g.name == e.name for g in self.goroutines):
                raise HbError(f"'{e.name}' is a function or goroutine, not an integer", e.loc)
            if in_condition and var is None:
                raise HbError(f"'{e.name}' is not a shared variable; name a register as PROC:{e.name}", e.loc)
            return
        if isinstance(e, ast.ProcReg):
            if not in_condition:
                raise HbError(f"'{e.proc}:{e.reg}' names another goroutine's register; only the condition may", e.loc)
            return
        if isinstance(e, ast.Unary):
            self.expr(e.operand, in_condition)
            return
        self.expr(e.left, in_condition)
        self.expr(e.right, in_condition)

    def _func(self, name: str, loc: Loc, what: str) -> None:
        if name in self.funcs:
            return
        if any(g.name == name for g in self.goroutines):
            raise HbError(
                f"'{name}' is a goroutine ('go {name} {{ }}'); {what} needs a function declared with 'func'",
                loc,
            )
        raise HbError(f"undefined function '{name}'", loc)

    def _no_args(self, args: tuple[ast.Arg, ...], what: str, loc: Loc) -> None:
        if args:
            raise HbError(f"{what} takes no arguments (functions have no parameters)", args[0].loc if args else loc)

    def _stmt(self, owner: str, s: ast.Stmt, in_loop: bool, in_select: bool) -> None:
        match s:
            case ast.Assign(target=t, value=v, loc=loc):
                self.expr(v)
                self._target(owner, t, loc)
            case ast.Recv(value=v, ok=ok, chan=c, loc=loc):
                self._chan(c)
                self._recv_value(c, v, loc)
                self._target(owner, v, loc)
                self._target(owner, ok, loc)
            case ast.Send(chan=c, value=v):
                self._chan(c)
                self._send_value(c, v)
            case ast.Call():
                self._call(owner, s)
            case ast.GoStmt(func=f, args=args, loc=loc):
                if f == "init":  # its goroutine would be named so
                    raise HbError("'init' names the initial writes: start a function named otherwise", loc)
                self._func(f, loc, "'go'")
                self._no_args(args, f"'{f}'", loc)
                self.spawned.add(f)
            case ast.MethodCall():
                self._method(owner, s)
            case ast.AtomicCall():
                self._atomic(owner, s)
            case ast.If(cond=c, then=then, orelse=orelse):
                self.expr(c)
                self._stmts(owner, then, in_loop, in_select)
                self._stmts(owner, orelse, in_loop, in_select)
            case ast.ForConst(var=var, body=body, loc=loc):
                if var in self.shared:
                    raise HbError(f"loop variable '{var}' shadows the shared variable '{var}'", loc)
                self._target(owner, var, loc)
                self._stmts(owner, body, True)
            case ast.ForRange(var=var, chan=c, body=body, loc=loc):
                self._chan(c)
                self._recv_value(c, None if var == "_" else var, loc)
                self._target(owner, None if var == "_" else var, loc)
                self._stmts(owner, body, True)
            case ast.ForCond(cond=c, body=body):
                if c is not None:
                    self.expr(c)
                self._stmts(owner, body, True)
            case ast.Break(loc=loc):
                if not in_loop and not in_select:
                    raise HbError("break is not in a loop or select", loc)
            case ast.Continue(loc=loc):
                if not in_loop:
                    raise HbError("continue is not in a loop", loc)
            case ast.Select(cases=cases):
                for case in cases:
                    if isinstance(case, ast.RecvCase):
                        self._chan(case.chan)
                        self._recv_value(case.chan, case.value, case.loc)
                        self._target(owner, case.value, case.loc)
                        self._target(owner, case.ok, case.loc)
                    elif isinstance(case, ast.SendCase):
                        self._chan(case.chan)
                        self._send_value(case.chan, case.value)
                    self._stmts(owner, case.body, in_loop, True)
            case ast.Assert(cond=c):
                self.expr(c)
            case _:  # pragma: no cover - the parser builds only the cases above
                raise HbError(f"unknown statement {type(s).__name__}", s.loc)

    def _call(self, owner: str, s: ast.Call) -> None:
        if s.name == "close":
            if len(s.args) != 1:
                raise HbError(f"close takes exactly 1 argument, got {len(s.args)}", s.loc)
            arg = s.args[0]
            if not isinstance(arg, ast.Name):
                raise HbError("close needs a channel", arg.loc)
            if arg.name != "nil":
                self._chan(ast.ChanRef(arg.name, arg.loc))
            return
        if s.name == "panic":
            if len(s.args) != 1 or not isinstance(s.args[0], ast.StrArg):
                raise HbError('panic takes one string: panic("text")', s.loc)
            return
        if s.name in self.shared:
            raise HbError(f"cannot call '{s.name}': it is {KIND_NAMES[self.shared[s.name].kind]}", s.loc)
        self._func(s.name, s.loc, "a call")
        self._no_args(s.args, f"'{s.name}'", s.loc)
        self.callees[owner].add(s.name)

    def _method(self, owner: str, s: ast.MethodCall) -> None:
        var = self.shared.get(s.obj)
        if var is None:
            raise HbError(f"undeclared '{s.obj}'", s.loc)
        methods = METHODS.get(var.kind)
        if methods is None:
            raise HbError(f"'{s.obj}' is {KIND_NAMES[var.kind]} and has no methods", s.loc)
        if s.method not in methods:
            known = ", ".join(methods)
            raise HbError(f"{KIND_NAMES[var.kind][2:]} has no method '{s.method}' (it has {known})", s.loc)
        arity = methods[s.method]
        if len(s.args) != arity:
            raise HbError(
                f"{s.obj}.{s.method} takes {arity} argument{'s' if arity != 1 else ''}, got {len(s.args)}", s.loc
            )
        if var.kind == "wg" and s.method == "Add":
            arg = s.args[0]
            if isinstance(arg, ast.StrArg | ast.AddrArg):
                raise HbError(f"{s.obj}.Add needs an integer", arg.loc)
            self.expr(arg)
        if var.kind == "once":
            arg = s.args[0]
            if not isinstance(arg, ast.Name):
                raise HbError(f"{s.obj}.Do needs a function name", arg.loc)
            self._func(arg.name, arg.loc, "once.Do")
            self.callees[owner].add(arg.name)

    def _atomic(self, owner: str, s: ast.AtomicCall) -> None:
        if s.op not in ATOMIC_ARITY:
            raise HbError(f"unknown atomic operation 'atomic.{s.op}' (known: {', '.join(ATOMIC_ARITY)})", s.loc)
        arity = ATOMIC_ARITY[s.op]
        if len(s.args) != arity:
            raise HbError(f"atomic.{s.op} takes {arity} argument{'s' if arity != 1 else ''}, got {len(s.args)}", s.loc)
        addr = s.args[0]
        if not isinstance(addr, ast.AddrArg):
            raise HbError(f"atomic.{s.op} needs the address of a shared variable: &x", addr.loc)
        var = self.shared.get(addr.name)
        if var is None or var.kind != "int":
            what = "undeclared" if var is None else KIND_NAMES[var.kind]
            raise HbError(f"atomic.{s.op} needs a shared integer variable; '{addr.name}' is {what}", addr.loc)
        for arg in s.args[1:]:
            if isinstance(arg, ast.StrArg | ast.AddrArg):
                raise HbError(f"atomic.{s.op} needs an integer here", arg.loc)
            self.expr(arg)
        if s.op == "Store" and s.target is not None:
            raise HbError("atomic.Store returns no value", s.loc)
        self._target(owner, s.target, s.loc)

    def _reach_regs(self, start: str) -> set[str]:
        regs: set[str] = set()
        todo, seen = [start], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            regs |= self.assigned.get(name, set())
            todo.extend(self.callees.get(name, ()))
        return regs

    # ---- condition and expectations
    def _condition(self, program: Program) -> None:
        cond = self.test.condition
        if cond is None:
            return
        self.expr(cond.expr, in_condition=True)
        for node in ast.walk(cond.expr):
            if isinstance(node, ast.ProcReg):
                base = program.base_of(node.proc)
                if base is None:
                    raise HbError(f"no goroutine named '{node.proc}'", node.loc)
                if node.reg not in program.registers.get(base, frozenset()):
                    raise HbError(f"goroutine '{node.proc}' has no register '{node.reg}'", node.loc)

    def _expects(self, program: Program) -> None:
        for e in self.test.expects:
            if e.finding is None and self.test.condition is None:
                raise HbError(f"'expect {e.quantifier}' needs a condition (exists, ~exists or forall)", e.loc)
            if e.finding == "leak" and not program.has_main:
                raise HbError("'leak' needs a 'main' goroutine: without one every goroutine runs to completion", e.loc)


def _at_most_zero(e: object) -> bool:
    """A constant delta of at most zero (``-1``, ``0``): an Add that never starts a count."""
    match e:
        case ast.IntLit(value=v):
            return v <= 0
        case ast.Unary(op="-", operand=ast.IntLit(value=v)):
            return v >= 0
    return False
