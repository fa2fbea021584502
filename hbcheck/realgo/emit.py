"""Write a checked .lit program as a runnable, gofmt-clean Go ``main`` package.

Each iteration makes fresh variables and channels, starts the top-level
goroutines behind a barrier so they overlap, waits for them (with a timeout:
a global deadlock would otherwise be the runtime's fatal error), and records
the condition's locations, the first panic (recovered per goroutine), failed
assertions, deadlocks and, with a ``main``, leaked goroutines. Shared plain
variables stay plain Go variables so the race detector sees real races;
atomics use sync/atomic; ``frame N`` functions keep an N-byte array on their
stack so stacks really grow. ``/*line FILE:N*/`` directives map every
statement back to its .lit line, so race reports name .lit lines.

The harness synchronises with each goroutine only where it starts (the
barrier) and where it ends (its result is sent on a channel), never between
two goroutines of the test, so it adds no happens-before edge between them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from hbcheck.language import ast, types
from hbcheck.language.check import Program, param_kind
from hbcheck.language.locations import locations, show_location

_HARNESS = (Path(__file__).with_name("harness.go.txt")).read_text()

# Arithmetic goes through helpers: gofmt's spacing of mixed-precedence
# expressions then never depends on the test, and the output stays gofmt-clean.
_BINOPS_GO = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod"}
_CMP = {"==", "!=", "<", "<=", ">", ">="}


def go_name(kind: str, name: str) -> str:
    """Prefix every .lit name so it can never be a Go keyword or predeclared name.
    A temp of ``desugar.py`` (``$e1``) gets a letter no .lit name has."""
    return f"{kind}_{name.replace('#', '_').replace('$', 'ʔ')}"


class _Emitter:
    def __init__(self, program: Program, lit_name: str):
        self.p = program
        self.lit = _directive_name(lit_name)
        self.lines: list[str] = []
        self.indent = 0
        self.ntemp = 0
        self.regs: set[str] = set()  # every register the code names (one read before any write reads 0)
        self.line = 0  # the statement being written: where hoisted evaluations sit
        self.scope: dict[str, str] = {}  # a Go-signature function's parameters: their kinds
        # variables closures capture: pointers (g.p_NAME), allocated where declared
        self.escapes: frozenset[str] = frozenset()
        self.refs: set[str] = set()
        self.ptrs: set[str] = set()  # every captured int's name, for the regs struct
        # fields of the regs struct for channels: a register or a captured variable's pointer, its Go type
        self.chan_fields: dict[str, str] = {}
        self.arrays: dict[str, int] = {}  # the body's local arrays, by length
        self.ctypes: dict[str, str] = {}  # the body's channel variables (and captured ones): their types
        self.pinned: set[str] = set()  # temporaries holding a go statement's channel arguments
        version = program.test.go_version
        self.per_iteration = version is None or version >= (1, 22)

    # ---- text helpers
    def w(self, text: str = "") -> None:
        self.lines.append(("\t" * self.indent + text) if text else "")

    def at(self, line: int, text: str) -> None:
        """A statement, positioned at its .lit line for the compiler and the race detector."""
        self.w(f"/*line {self.lit}:{line}:1*/ {text}")

    def case_at(self, line: int, text: str) -> None:
        """A select case at its .lit line: the race detector reports a send
        case's poll at the ``case`` keyword. gofmt would move a directive
        written before ``case`` into the previous case's body, so it ends the
        line before (the newline after it is line - 1)."""
        self.lines[-1] += f" /*line {self.lit}:{line - 1}:1*/"
        self.w(text)

    def temp(self) -> str:
        self.ntemp += 1
        return f"t{self.ntemp}"

    # ---- expressions (int64 valued; comparisons and logic go through b2i/i2b)
    def is_int(self, n: str) -> bool:
        return n not in self.scope and self.p.is_int(n)

    def ptr(self, n: str) -> str:
        if n in self.ctypes:  # a captured channel variable: a pointer of its type
            field = go_name(f"p{_tag(self.ctypes[n])}", n)
            self.chan_fields[field] = "*" + go_type(self.ctypes[n])
            return f"g.{field}"
        self.ptrs.add(n)
        return f"g.{go_name('p', n)}"

    def assign(self, line: int, target: str | None, rhs: str, decl: bool = False) -> None:
        """``target = rhs``; a ':=' of a captured variable declared here makes a new one."""
        if target is not None and decl and target in self.escapes:
            if target in self.ctypes:  # a channel variable
                new = f"new({go_type(self.ctypes[target])})" if rhs == "nil" else f"ref({rhs})"
            else:
                new = f"alloc({rhs})"
            self.at(line, f"{self.ptr(target)} = {new}")
        else:
            self.at(line, f"{self.target(target)} = {rhs}")

    def enter(self, escapes: frozenset[str], refs: set[str]) -> None:
        """A body's captured variables: each allocated at entry (a parameter's value, else 0)."""
        self.escapes, self.refs = escapes, refs
        for n in sorted(escapes):
            if n in self.ctypes:
                given = self.scope.get(n) in ("slice", "map")
                value = f"ref({go_name('a', n)})" if given else f"new({go_type(self.ctypes[n])})"
                self.w(f"{self.ptr(n)} = {value}")
                continue
            value = go_name("a", n) if self.scope.get(n) == "int" else "0"
            self.w(f"{self.ptr(n)} = alloc({value})")

    def name(self, n: str) -> str:
        if n == "nil":
            return "nil"
        if n in self.pinned:
            return n
        if n in self.arrays:  # a local array: a field of its own type
            field = go_name(f"a{self.arrays[n]}", n)
            self.chan_fields[field] = f"[{self.arrays[n]}]int64"
            return f"g.{field}"
        if n in self.refs:
            return f"(*{self.ptr(n)})"
        if self.scope.get(n) == "chan":
            return go_name("pc", n)
        if n in self.ctypes:  # a channel variable: a register of its type
            field = go_name(f"k{_tag(self.ctypes[n])}", n)
            self.chan_fields[field] = go_type(self.ctypes[n])
            return f"g.{field}"
        if n not in self.scope and n in self.p.shared and self.p.shared[n].kind == "chan":
            return f"e.{go_name('c', n)}"
        if self.is_int(n) or (
            n not in self.scope and n in self.p.shared and self.p.shared[n].kind in ("array", "map", "slice")
        ):
            return f"e.{go_name('v', n)}"
        self.regs.add(n)
        return f"g.{go_name('r', n)}"

    def expr(self, e: ast.Expr) -> str:
        """The Go expression; one with calls has its shared reads and calls
        hoisted into temporaries first, in the checker's left-to-right order
        (Go leaves the order of plain reads and calls unspecified)."""
        if not any(isinstance(n, ast.CallExpr) for n in ast.walk(e)):
            return go_expr(e, self.name)
        return self.lower(e)

    def lower(self, e: ast.Expr) -> str:
        match e:
            case ast.Name(name=n) if self.is_int(n):
                t = self.temp()
                self.at(self.line, f"{t} := {self.name(n)}")
                return t
            case ast.Binary(op="==" | "!=" as op, left=ast.CallExpr(name="recover")):
                t = self.temp()  # recover() is called here, by the deferred function itself
                self.at(self.line, f"{t} := b2i(rec(recover()) {op} nil)")
                return t
            case ast.Binary(op="==" | "!=" as op, right=ast.CallExpr(name="recover")):
                t = self.temp()
                self.at(self.line, f"{t} := b2i(nil {op} rec(recover()))")
                return t
            case ast.CallExpr(name="len" | "cap" as f, args=(arg,)):
                t = self.temp()
                self.at(self.line, f"{t} := int64({f}({self.expr(arg)}))")  # type: ignore[arg-type]
                return t
            case ast.CallExpr(name=f, args=args):
                t = self.temp()
                self.at(self.line, f"{t} := {self.call(f, args, '&regs{}')}")
                return t
            case ast.Index(name=n, index=i):
                t = self.temp()
                self.at(self.line, f"{t} := {self.name(n)}[{self.lower(i)}]")
                return t
            case ast.Unary(op="!", operand=o):
                return f"b2i({self.lower(o)} == 0)"
            case ast.Unary(op="-", operand=o):
                return f"sub(0, {self.lower(o)})"
            case ast.Binary(op="&&" | "||" as op, left=a, right=b):
                t = self.temp()
                self.at(self.line, f"{t} := b2i({self.lower(a)} != 0)")
                self.at(self.line, f"if {t} {'!=' if op == '&&' else '=='} 0 {{")
                self.indent += 1
                self.at(self.line, f"{t} = b2i({self.lower(b)} != 0)")
                self.indent -= 1
                self.w("}")
                return t
            case ast.Binary(op=op, left=a, right=b):
                x = self.lower(a)
                y = self.lower(b)
                return f"b2i({x} {op} {y})" if op in _CMP else f"{_BINOPS_GO[op]}({x}, {y})"
        return go_expr(e, self.name)

    def call(self, f: str, args: tuple[ast.Arg, ...], frame: str) -> str:
        """A call of function ``f`` on the registers ``frame`` (a paren-less one: the caller's)."""
        decl = self.p.funcs[f]
        if not decl.go_sig:
            return f"e.{go_name('f', f)}(g)"
        vals = [frame]
        for q, a in zip(decl.params or (), args, strict=True):
            kind = param_kind(q.type)
            if kind == "ref":
                assert isinstance(a, ast.Name)
                vals.append(self.ptr(a.name))
                continue
            if kind in ("slice", "map"):
                vals.append(self.slice_expr(a))
                continue
            vals.append(self.expr(a) if kind == "int" else self.object_arg(kind, a))  # type: ignore[arg-type]
        return f"e.{go_name('f', f)}({', '.join(vals)})"

    def object_arg(self, kind: str, a: ast.Arg) -> str:
        """A channel or sync object passed: the Go value (a pointer for sync objects)."""
        if kind == "chan":
            return self.expr(a)  # type: ignore[arg-type]
        assert isinstance(a, ast.AddrArg | ast.Name)
        return self.obj_ptr(a.name)

    def obj(self, name: str) -> str:
        """A sync object: a parameter (a pointer), or the env's field."""
        return go_name("ps", name) if name in self.scope else f"e.{go_name('s', name)}"

    def obj_ptr(self, name: str) -> str:
        return go_name("ps", name) if name in self.scope else f"&e.{go_name('s', name)}"

    def cond(self, e: ast.Expr) -> str:
        return f"{self.expr(e)} != 0"

    def slice_expr(self, v: ast.Expr | ast.Arg) -> str:
        """A slice's Go value: ``make``, nil, ``append`` (the header read before
        the appended values, as the machine reads it), or another expression."""
        match v:
            case ast.MakeSlice(elem=elem, len=n, cap=c):
                cap = f", int({self.expr(c)})" if c is not None else ""
                return f"make([]{_go_elem(elem)}, int({self.expr(n)}){cap})"
            case ast.CallExpr(name="append", args=(first, *rest)):
                h = self.temp()
                self.at(self.line, f"{h} := {self.slice_expr(first)}")
                values = "".join(f", {self.expr(a)}" for a in rest)  # type: ignore[arg-type]
                return f"append({h}{values})"
            case ast.MakeMap(hint=hint):
                size = f", int({self.expr(hint)})" if hint is not None else ""
                return f"make(map[int64]int64{size})"
            case ast.Name(name="nil"):
                return "nil"
        return self.expr(v)  # type: ignore[arg-type]

    def is_slice(self, n: str) -> bool:
        shared = n not in self.scope and n in self.p.shared and self.p.shared[n].kind == "slice"
        return shared or types.is_slice(self.ctypes.get(n))

    def is_map(self, n: str) -> bool:
        shared = n not in self.scope and n in self.p.shared and self.p.shared[n].kind == "map"
        return shared or types.is_map(self.ctypes.get(n))

    def chan(self, ref: ast.ChanRef | str | None) -> str:
        name = ref.name if isinstance(ref, ast.ChanRef) else ref
        if name is None or name == "nil":
            return "(chan int64)(nil)"
        return self.name(name)  # a declared nil channel is a nil field of its own type

    def target(self, name: str | None) -> str:
        if name is None:
            return "_"
        return self.name(name)

    def defer(self, c: ast.Call | ast.MethodCall, line: int) -> None:
        """``defer CALL`` as Go has it: Go evaluates the arguments here, as the machine does."""
        match c:
            case ast.Call(name="close", args=(ast.Name(name=ch),)):
                call = f"close({self.chan(ch)})"
            case ast.Call(name="panic", args=(ast.StrArg(text=text),)):
                call = f"panic({_go_string(text)})"
            case ast.Call(name="recover"):
                call = "recover()"
            case ast.Call(name="delete", args=(ast.Name(name=m), key)):
                call = f"delete({self.name(m)}, {self.expr(key)})"  # type: ignore[arg-type]
            case ast.Call(name=f, args=args):
                call = self.call(f, args, "&regs{}")
            case ast.MethodCall(obj=o, method="Add", args=(arg,)):
                call = f"{self.obj(o)}.Add(int({self.expr(arg)}))"  # type: ignore[arg-type]
            case ast.MethodCall(obj=o, method="Do", args=(ast.Name(name=fn),)):
                call = f"{self.obj(o)}.Do(func() {{ {self.call(fn, (), '&regs{}')} }})"
            case ast.MethodCall(obj=o, method=m):
                call = f"{self.obj(o)}.{m}()"
            case _:  # pragma: no cover - the checker allows only the calls above
                raise AssertionError(f"unexpected deferred call {c!r}")
        self.at(line, f"defer {call}")

    # ---- statements
    def stmts(self, body: tuple[ast.Stmt, ...]) -> None:
        for s in body:
            self.stmt(s)

    def block(self, head: str, line: int, body: tuple[ast.Stmt, ...]) -> None:
        self.at(line, head + " {")
        self.indent += 1
        self.stmts(body)
        self.indent -= 1
        self.w("}")

    def stmt(self, s: ast.Stmt) -> None:
        line = self.line = s.loc.line
        match s:
            case ast.Assign(target=t, type=typ) if t in self.arrays and typ is not None:  # declared: zeroed
                self.at(line, f"{self.name(t)} = [{self.arrays[t]}]int64{{}}")
            case ast.Assign(target=t, value=v, decl=decl) if self.is_slice(t) or self.is_map(t):
                self.assign(line, t, self.slice_expr(v), decl)
            case ast.Assign(target=t, value=v, decl=decl):
                self.assign(line, t, self.expr(v), decl)
            case ast.IndexAssign(name=a, index=i, value=v):  # the index first, as the checker orders it
                k = self.temp()
                self.at(line, f"{k} := {self.expr(i)}")
                self.at(line, f"{self.name(a)}[{k}] = {self.expr(v)}")
            case ast.MapLookup(value=v, ok=ok, map=a, key=key, decl=decl):
                k, tv, tok = self.temp(), self.temp(), self.temp()
                self.at(line, f"{k} := {self.expr(key)}")
                self.at(line, f"{tv}, {tok} := {self.name(a)}[{k}]")
                self.at(line, f"_, _ = {tv}, {tok}")
                if v is not None:
                    self.assign(line, v, tv, decl)
                if ok is not None:
                    self.assign(line, ok, f"b2i({tok})", decl)
            case ast.Call(name="delete", args=(ast.Name(name=a), key)):
                self.at(line, f"delete({self.name(a)}, {self.expr(key)})")  # type: ignore[arg-type]
            case ast.Recv(value=v, ok=ok, chan=c, decl=decl):
                if v is None and ok is None:
                    self.at(line, f"<-{self.chan(c)}")
                elif ok is None:
                    self.assign(line, v, f"<-{self.chan(c)}", decl)
                else:
                    tv, tok = self.temp(), self.temp()
                    self.at(line, f"{tv}, {tok} := <-{self.chan(c)}")
                    if v is not None:
                        self.assign(line, v, tv, decl)
                    else:
                        self.at(line, f"_ = {tv}")
                    self.assign(line, ok, f"b2i({tok})", decl)
            case ast.Send(chan=c, value=v):
                self.at(line, f"{self.chan(c)} <- {self.expr(v)}")
            case ast.Call(name="close", args=(arg,)):
                assert isinstance(arg, ast.Name)
                self.at(line, f"close({self.chan(arg.name)})")
            case ast.Call(name="panic", args=(arg,)):
                assert isinstance(arg, ast.StrArg)
                self.at(line, f"panic({_go_string(arg.text)})")
            case ast.Call(name="recover"):
                self.at(line, "rec(recover())")
            case ast.Call(name=f, args=args):
                self.at(line, self.call(f, args, "&regs{}"))
            case ast.Defer(call=c):
                self.defer(c, line)
            case ast.GoStmt(func=f, args=args) if self.p.funcs[f].go_sig:
                # the arguments are the spawner's: evaluated here, before the go statement
                vals = []
                for q, a in zip(self.p.funcs[f].params or (), args, strict=True):
                    if param_kind(q.type) == "ref":  # a captured variable: the spawner's pointer
                        assert isinstance(a, ast.Name)
                        t = self.temp()
                        self.at(line, f"{t} := {self.ptr(a.name)}")
                        vals.append(ast.Name(t, a.loc))
                        continue
                    if param_kind(q.type) == "chan" and not self._static(a):  # its value now
                        t = self.temp()
                        self.at(line, f"{t} := {self.expr(a)}")  # type: ignore[arg-type]
                        self.pinned.add(t)
                        vals.append(ast.Name(t, a.loc))
                        continue
                    if param_kind(q.type) in ("slice", "map"):
                        t = self.temp()
                        self.at(line, f"{t} := {self.slice_expr(a)}")
                        vals.append(ast.Name(t, a.loc))
                        continue
                    if isinstance(a, ast.StrArg | ast.AddrArg) or self._kind(a) != "int":
                        vals.append(a)
                        continue
                    t = self.temp()
                    self.at(line, f"{t} := {self.expr(a)}")
                    vals.append(ast.Name(t, a.loc))
                call = self.call_with(f, tuple(vals))
                self.at(line, f"e.spawn({_go_string(f)}, func(g *regs) {{ {call} }})")
            case ast.GoStmt(func=f):
                self.at(line, f"e.spawn({_go_string(f)}, e.{go_name('f', f)})")
            case ast.Return(value=v):
                self.at(line, "return" if v is None else f"return {self.slice_expr(v)}")
            case ast.MethodCall(obj=o, method=m, args=args):
                field = self.obj(o)
                if m == "Add":
                    self.at(line, f"{field}.Add(int({self.expr(args[0])}))")  # type: ignore[arg-type]
                elif m == "Do":
                    fn = args[0]
                    assert isinstance(fn, ast.Name)
                    self.at(line, f"{field}.Do(func() {{ {self.call(fn.name, (), '&regs{}')} }})")
                else:
                    self.at(line, f"{field}.{m}()")
            case ast.MethodValue(target=t, args=(ast.IntLit(value=n),)):  # rand.Intn(n)
                self.at(line, f"{self.target(t)} = intn({n})")
            case ast.AtomicCall(target=t, op=op, args=args):
                assert isinstance(args[0], ast.AddrArg)
                var = args[0].name
                addr = self.ptr(var) if var in self.refs else f"&e.{go_name('v', var)}"
                vals = [self.expr(a) for a in args[1:]]  # type: ignore[arg-type]
                call = {
                    "Store": f"atomicStore({addr}, {', '.join(vals)})",
                    "Load": f"atomicLoad({addr})",
                    "Add": f"atomicAdd({addr}, {', '.join(vals)})",
                    "CompareAndSwap": f"atomicCAS({addr}, {', '.join(vals)})",
                }[op]
                self.at(line, call if t is None or op == "Store" else f"{self.target(t)} = {call}")
            case ast.If():
                self.if_chain(s, "if")
            case ast.ForConst(var=i, start=a, stop=b, body=body, decl=decl) if i in self.escapes and decl:
                # a captured loop variable is a pointer: a new variable per loop, and
                # since Go 1.22 per iteration, whatever toolchain runs the program
                pi = self.ptr(i)
                post = f"{pi} = alloc(*{pi} + 1)" if self.per_iteration else f"*{pi}++"
                self.block(f"for {pi} = alloc({a}); *{pi} < {b}; {post}", line, body)
            case ast.ForConst(var=i, start=a, stop=b, body=body):
                r = self.target(i)
                self.block(f"for {r} = {a}; {r} < {b}; {r}++", line, body)
            case ast.ForRange(var=k, chan=ast.ChanRef(name=str() as a), value=v, body=body, decl=decl) if (
                self.is_slice(a) or self.is_map(a) or a in self.arrays
            ):
                targets = [t for t in (k, v) if t not in (None, "_")]
                once = [t for t in targets if decl and t in self.escapes and not self.per_iteration]
                for t in once:
                    self.at(line, f"{self.ptr(t)} = alloc(0)")
                tk, tv = self.temp(), self.temp()
                self.at(line, f"for {tk}, {tv} := range {self.name(a)} {{")
                self.indent += 1
                self.at(line, f"_, _ = {tk}, {tv}")
                index = tk if self.is_map(a) else f"int64({tk})"  # a slice's or array's index is an int
                for t, val in ((k, index), (v, tv)):
                    if t not in (None, "_"):
                        self.assign(line, t, val, decl and t not in once)
                self.stmts(body)
                self.indent -= 1
                self.w("}")
            case ast.ForRange(var=v, chan=c, body=body, decl=decl):
                if v == "_":
                    self.block(f"for range {self.chan(c)}", line, body)
                else:
                    once = decl and v in self.escapes and not self.per_iteration
                    if once:
                        self.at(line, f"{self.ptr(v)} = alloc(0)")
                    tv = self.temp()
                    self.at(line, f"for {tv} := range {self.chan(c)} {{")
                    self.indent += 1
                    self.assign(line, v, tv, decl and not once)
                    self.stmts(body)
                    self.indent -= 1
                    self.w("}")
            case ast.ForCond(cond=c, body=body) if c is not None and any(
                isinstance(n, ast.CallExpr) for n in ast.walk(c)
            ):
                # a condition with calls is evaluated at the top of each iteration
                self.at(line, "for {")
                self.indent += 1
                self.at(line, f"if !({self.cond(c)}) {{")
                self.w("\tbreak")
                self.w("}")
                self.stmts(body)
                self.indent -= 1
                self.w("}")
            case ast.ForCond(cond=c, body=body):
                self.block("for" if c is None else f"for {self.cond(c)}", line, body)
            case ast.Break():
                self.at(line, "break")
            case ast.Continue():
                self.at(line, "continue")
            case ast.Select(cases=cases):
                self.select(line, cases)
            case ast.Assert(cond=c):
                self.at(line, f"if !({self.cond(c)}) {{")
                self.indent += 1
                self.w(f"panic(assertFailed{{{line}}})")
                self.indent -= 1
                self.w("}")
            case _:  # pragma: no cover
                raise AssertionError(f"unexpected statement {s!r}")

    def _static(self, a: ast.Arg) -> bool:
        """A channel argument that always denotes the same channel: nil, a declared
        channel no statement assigns, a channel parameter."""
        if not isinstance(a, ast.Name):
            return False
        shared = a.name in self.p.shared and a.name not in self.p.dynamic
        return a.name == "nil" or self.scope.get(a.name) == "chan" or shared

    def _kind(self, a: ast.Arg) -> str:
        """int for a value argument, else chan or sync (what a name passed denotes)."""
        if isinstance(a, ast.Name) and a.name != "nil":
            if a.name in self.scope:
                return self.scope[a.name]
            var = self.p.shared.get(a.name)
            return "int" if var is None else var.kind
        return "int" if not isinstance(a, ast.Name) else "chan"

    def call_with(self, f: str, vals: tuple[ast.Arg, ...]) -> str:
        """``f``'s call on the new goroutine's registers ``g``, its values already in temporaries."""
        decl = self.p.funcs[f]
        out = ["g"]
        for q, a in zip(decl.params or (), vals, strict=True):
            kind = param_kind(q.type)
            if kind in ("int", "ref", "slice", "map"):
                assert isinstance(a, ast.Name)
                out.append(a.name)  # a temporary of the spawner
            else:
                out.append(self.object_arg(kind, a))
        return f"e.{go_name('f', f)}({', '.join(out)})"

    def if_chain(self, s: ast.If, keyword: str) -> None:
        self.at(s.loc.line, f"{keyword} {self.cond(s.cond)} {{")
        self.indent += 1
        self.stmts(s.then)
        self.indent -= 1
        self._else(s.orelse)

    def _else(self, orelse: tuple[ast.Stmt, ...]) -> None:
        if not orelse:
            self.w("}")
            return
        nested_if = len(orelse) == 1 and isinstance(orelse[0], ast.If)
        # an else-if whose condition has calls: its hoisted evaluations need a block of their own
        if nested_if and not any(isinstance(n, ast.CallExpr) for n in ast.nodes(orelse[0].cond)):  # type: ignore[union-attr]
            nested = orelse[0]
            self.w(f"}} else if {self.cond(nested.cond)} {{")
            self.indent += 1
            self.stmts(nested.then)
            self.indent -= 1
            self._else(nested.orelse)
            return
        self.w("} else {")
        self.indent += 1
        self.stmts(orelse)
        self.indent -= 1
        self.w("}")

    def select(self, line: int, cases: tuple[ast.Case, ...]) -> None:
        if not cases:
            self.at(line, "select {}")
            return
        # Go evaluates the send values on entering the select, in source order
        sent = {id(c): self.expr(c.value) for c in cases if isinstance(c, ast.SendCase)}
        self.at(line, "select {")
        for case in cases:
            if isinstance(case, ast.DefaultCase):
                self.w("default:")
            elif isinstance(case, ast.SendCase):
                self.case_at(case.loc.line, f"case {self.chan(case.chan)} <- {sent[id(case)]}:")
            else:
                if case.value is None and case.ok is None:
                    self.case_at(case.loc.line, f"case <-{self.chan(case.chan)}:")
                    self.indent += 1
                else:
                    tv, tok = self.temp(), self.temp()
                    self.case_at(case.loc.line, f"case {tv}, {tok} := <-{self.chan(case.chan)}:")
                    self.indent += 1
                    # the stores of the received value: at the case's line, as in the model
                    if case.value is not None:
                        self.assign(case.loc.line, case.value, tv, case.decl)
                    else:
                        self.at(case.loc.line, f"_ = {tv}")
                    if case.ok is not None:
                        self.assign(case.loc.line, case.ok, f"b2i({tok})", case.decl)
                    else:
                        self.at(case.loc.line, f"_ = {tok}")
                self.stmts(case.body)
                self.indent -= 1
                continue
            self.indent += 1
            self.stmts(case.body)
            self.indent -= 1
        self.w("}")


def _signature(f: ast.FuncDecl) -> str:
    """The Go parameters and result of a function: first the frame's registers."""
    params = ["g *regs"]
    for q in f.params or ():
        match param_kind(q.type):
            case "int":
                params.append(f"{go_name('a', q.name)} int64")
            case "ref" if q.type != "*int":  # a captured channel variable
                params.append(f"{go_name('a', q.name)} *{go_type(q.type[1:])}")
            case "ref":
                params.append(f"{go_name('a', q.name)} *int64")
            case "chan":
                params.append(f"{go_name('pc', q.name)} {go_type(q.type)}")
            case "slice" | "map":
                params.append(f"{go_name('a', q.name)} {go_type(q.type)}")
            case _:
                params.append(f"{go_name('ps', q.name)} {q.type}")
    return ", ".join(params)


def _go_elem(elem: str) -> str:
    return "int64" if elem == "int" else go_type(elem) if types.is_chan(elem) else elem


def go_type(typ: str) -> str:
    """The Go type of a .lit value type (``int`` is int64)."""
    if types.is_chan(typ):
        return f"chan {_go_elem(types.elem_of(typ))}"
    if types.is_slice(typ):
        return f"[]{_go_elem(types.elem_of(typ))}"
    if types.is_map(typ):
        return "map[int64]int64"  # a bool value is 0 or 1, as in a register
    return "int64"


def _tag(typ: str) -> str:
    """A short tag of a channel or slice type, so that each type's registers have fields of their own."""
    if types.is_map(typ):
        return "m"
    elem = types.elem_of(typ)
    kind = "l" if types.is_slice(typ) else "c"
    return kind + (_tag(elem) if types.is_chan(elem) else "i" if elem == "int" else "s")


def _go_string(text: str) -> str:
    """A Go string literal with the bytes of ``text``: printable ASCII as is,
    every other byte escaped (a NUL, a BOM, a newline or a lone surrogate
    can neither end the literal nor break the build)."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out += [f"\\x{b:02x}" for b in ch.encode("utf-8", "surrogatepass")]
    return '"' + "".join(out) + '"'


def _comment(text: str) -> str:
    """Text for a ``//`` comment: one line, whatever it holds (a newline would
    start a line of code, or a ``//go:generate`` directive)."""
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def _directive_name(name: str) -> str:
    """The file name the line directives give: no character that could end
    the comment, and ending in .lit, which the race reports are read by."""
    safe = re.sub(r"[^A-Za-z0-9._+-]", "_", name)
    return safe if safe.endswith(".lit") else safe + ".lit"


def _struct(name: str, fields: list[tuple[str, str]]) -> list[str]:
    """A struct with its field types aligned as gofmt aligns them."""
    if not fields:
        return [f"type {name} struct{{}}", ""]
    width = max(len(f) for f, _t in fields)
    return [f"type {name} struct {{", *(f"\t{f.ljust(width)} {t}" for f, t in fields), "}", ""]


def emit_go(program: Program, lit_path: str | Path) -> str:
    """The Go source of one test."""
    lit = Path(lit_path).name
    p = program
    em = _Emitter(p, lit)
    regs: set[str] = set()
    for names in (*p.registers.values(), *p.frame_regs.values()):
        regs |= names
    locs = locations(p)
    captured = {n for g in p.goroutines for n in g.escapes} | {
        q.name for f in p.funcs.values() for q in f.params or () if q.type == "*int"
    }
    captured |= {n for f in p.funcs.values() for n in f.escapes}
    em.ptrs |= captured
    out: list[str] = [
        f"// Code generated by hbcheck go from {_comment(lit)}; DO NOT EDIT.",
        "",
        f"// {_comment(p.name)}" + (f": {_comment(p.test.description)}" if p.test.description else ""),
        "package main",
        "",
    ]
    out += [
        "import (",
        '\t"encoding/json"',
        '\t"flag"',
        '\t"fmt"',
        '\t"math/rand"',
        '\t"os"',
        '\t"sort"',
        '\t"strings"',
        '\t"sync"',
        '\t"sync/atomic"',
        '\t"time"',
        ")",
        "",
    ]
    fields: list[tuple[str, str]] = []
    for name, var in p.shared.items():
        gotype = {
            "int": "int64",
            "chan": f"chan {_go_elem(var.elem)}",
            "mutex": "sync.Mutex",
            "wg": "sync.WaitGroup",
            "once": "sync.Once",
            "array": f"[{var.cap}]int64",
            "map": "map[int64]int64",  # a bool value is 0 or 1, as in a register
            "slice": go_type(var.elem),
        }[var.kind]
        kind = {"int": "v", "array": "v", "map": "v", "slice": "v", "chan": "c"}.get(var.kind, "s")
        fields.append((go_name(kind, name), gotype))
    fields += [
        ("live", "sync.WaitGroup"),
        ("done", "chan *inst"),
        ("started", "chan string"),
        ("mainDone", "chan struct{}"),
        ("spawns", "map[string]*int64"),
    ]
    out += ["// env holds one iteration's shared state: fresh variables and channels every time."]
    out += _struct("env", fields)
    out += ["// regs holds one goroutine instance's registers."]
    regs_at = len(out)  # filled in once the code is written: it may read a register nothing writes
    out += [_HARNESS]
    # iteration set-up
    out += [
        "func newEnv() *env {",
        "\te := &env{done: make(chan *inst, 1024), started: make(chan string, 1024), "
        "mainDone: make(chan struct{}), spawns: map[string]*int64{}}",
    ]
    for name, var in p.shared.items():
        if var.kind == "int" and var.init:
            out.append(f"\te.{go_name('v', name)} = {var.init}")
        elif var.kind == "slice" and var.cap is not None:
            out.append(f"\te.{go_name('v', name)} = make({go_type(var.elem)}, {var.init}, {var.cap})")
        elif var.kind == "map" and var.cap is not None:
            out.append(f"\te.{go_name('v', name)} = make(map[int64]int64)")
        elif var.kind == "chan" and var.cap is not None:
            cap = f", {var.cap}" if var.cap else ""
            out.append(f"\te.{go_name('c', name)} = make(chan {_go_elem(var.elem)}{cap})")
    for f in sorted(p.spawned):
        out.append(f"\te.spawns[{_go_string(f)}] = new(int64)")
    out += ["\treturn e", "}", ""]
    tops = ", ".join(f"{{{_go_string(g.name)}, (*env).{go_name('g', g.name)}}}" for g in p.goroutines)
    out += [f"var tops = []top{{{tops}}}", "", f"const hasMain = {'true' if p.has_main else 'false'}", ""]
    # the condition
    out += [f"var locations = []string{{{', '.join(_go_string(show_location(loc)) for loc in locs)}}}", ""]
    out += [
        "// observe reads the condition's locations; ok is false where a value cannot be known.",
        "func observe(e *env, insts map[string]*inst, complete bool) (vals []int64, ok bool) {",
    ]
    if locs:
        for i, (name, reg) in enumerate(locs):
            if reg is None:
                array, _, k = name.partition("[")  # an array's element: a[2]
                where = f"e.{go_name('v', array)}[{k}" if k else f"e.{go_name('v', name)}"
                out.append(f"\tif !complete {{\n\t\treturn nil, false\n\t}}\n\tl{i} := {where}")
            else:
                out.append(f"\tl{i} := int64(0)")
                out.append(f"\tif in, found := insts[{_go_string(name)}]; found {{")
                if reg in captured:  # where it lives once a closure captured it
                    field = go_name("p", reg)
                    out.append(f"\t\tl{i} = in.g.{go_name('r', reg)}")
                    out.append(f"\t\tif in.g.{field} != nil {{\n\t\t\tl{i} = *in.g.{field}\n\t\t}}")
                else:
                    out.append(f"\t\tl{i} = in.g.{go_name('r', reg)}")
                out.append("\t} else if !complete {")
                out.append("\t\treturn nil, false")
                out.append("\t}")
        out.append(f"\treturn []int64{{{', '.join(f'l{i}' for i in range(len(locs)))}}}, true")
    else:
        out.append("\treturn []int64{}, true")
    out += ["}", ""]
    out += ["// holds evaluates the condition's proposition on observed values."]
    out += ["func holds(v []int64) bool {"]
    cond = p.condition
    if cond is not None:
        names = {show_location(loc): f"v[{i}]" for i, loc in enumerate(locs)}
        out.append(f"\treturn {go_expr(_elements_named(cond.expr), names.__getitem__)} != 0")
    else:
        out.append("\treturn false")
    out += ["}", ""]
    kind = cond.kind if cond else ""
    out += [
        f"const testName = {_go_string(p.name)}",
        f"const condKind = {_go_string(kind)}",
        f"const condText = {_go_string(cond.text if cond else '')}",
        "",
    ]
    # the test's code last: its line directives then cannot shift the harness's positions.
    # Not inlined: the race detector's stacks show no frame of an inlined function,
    # so an access in it (an atomic call) would have no line of the test.
    for g in p.goroutines:
        em.lines = []
        em.indent = 1
        em.ctypes = p.chan_types.get(g.name, {})
        em.arrays = p.local_arrays.get(g.name, {})
        em.enter(g.escapes, set(g.escapes))
        em.stmts(g.body)
        out += ["//go:noinline", f"func (e *env) {go_name('g', g.name)}(g *regs) {{", *em.lines, "}", ""]
    for f in p.funcs.values():
        em.lines = []
        em.indent = 1
        em.scope = {q.name: param_kind(q.type) for q in f.params or ()}  # type: ignore[misc]
        em.ctypes = p.chan_types.get(f.name, {})
        em.arrays = p.local_arrays.get(f.name, {})
        em.escapes, em.refs = frozenset(), set()  # not yet the body's: its parameters are registers first
        if f.frame is not None:
            em.w(f"var pad [{f.frame}]byte")
            em.w("touch(pad[:])")
        for q in f.params or ():
            if em.scope[q.name] == "int" and q.name not in f.escapes:  # a parameter is a register of the frame
                em.w(f"g.{go_name('r', q.name)} = {go_name('a', q.name)}")
            elif em.scope[q.name] in ("slice", "map") and q.name not in f.escapes:
                em.w(f"{em.name(q.name)} = {go_name('a', q.name)}")
            elif em.scope[q.name] == "ref":  # a captured variable: the enclosing body's
                em.w(f"{em.ptr(q.name)} = {go_name('a', q.name)}")
        em.enter(f.escapes, set(f.escapes) | {q.name for q in f.params or () if em.scope[q.name] == "ref"})
        em.stmts(f.body)
        em.scope = {}
        em.escapes, em.refs = frozenset(), set()
        result = f" {go_type(f.result)}" if f.result is not None else ""
        head = f"func (e *env) {go_name('f', f.name)}({_signature(f)}){result} {{"
        out += ["//go:noinline", head, *em.lines, "}", ""]
    fields = [(go_name("r", r), "int64") for r in sorted(regs | em.regs)]
    fields += sorted(em.chan_fields.items())
    out[regs_at:regs_at] = _struct("regs", fields + [(go_name("p", r), "*int64") for r in sorted(em.ptrs)])
    while out and out[-1] == "":
        out.pop()
    if em.ptrs:
        out += ["", "// alloc is a captured variable's declaration: a new variable.", "func alloc(v int64) *int64 {"]
        out += ["\tp := new(int64)", "\t*p = v", "\treturn p", "}"]
    if any(t.startswith("*") for t in em.chan_fields.values()):
        out += ["", "// ref is a captured channel or slice variable's declaration: a new variable."]
        out += ["func ref[T any](v T) *T {"]
        out += ["\treturn &v", "}"]
    return "\n".join(out) + "\n"


def _elements_named(e: ast.Expr) -> ast.Expr:
    """The condition with each array element (``a[2]``) a name, as its location is."""
    match e:
        case ast.Index(name=n, index=ast.IntLit(value=k), loc=loc):
            return ast.Name(f"{n}[{k}]", loc)
        case ast.Unary(operand=o):
            return replace(e, operand=_elements_named(o))
        case ast.Binary(left=a, right=b):
            return replace(e, left=_elements_named(a), right=_elements_named(b))
    return e


def go_expr(e: ast.Expr, name: Callable[[str], str]) -> str:
    """An int64-valued Go expression for ``e``; ``name`` spells a variable
    (``P:r`` atoms of a condition arrive as ``"P:r"``)."""
    match e:
        case ast.IntLit(value=v):
            return f"int64({v})"
        case ast.UnitLit():
            return "struct{}{}"
        case ast.ProcReg(proc=p, reg=r):
            return name(f"{p}:{r}")
        case ast.Name(name=n):
            return name(n)
        case ast.Index(name=n, index=i):
            return f"{name(n)}[{go_expr(i, name)}]"
        case ast.MakeChan(elem=elem, cap=cap):
            size = f", int({go_expr(cap, name)})" if cap is not None else ""
            return f"make(chan {_go_elem(elem)}{size})"
        case ast.Unary(op="!", operand=o):
            return f"b2i({go_expr(o, name)} == 0)"
        case ast.Unary(op="-", operand=o):
            return f"sub(0, {go_expr(o, name)})"
        case ast.Binary(op="&&" | "||" as op, left=a, right=b):
            return f"b2i({go_expr(a, name)} != 0 {op} {go_expr(b, name)} != 0)"
        case ast.Binary(op=op, left=a, right=b) if op in _CMP:
            return f"b2i({go_expr(a, name)} {op} {go_expr(b, name)})"
        case ast.Binary(op=op, left=a, right=b):
            return f"{_BINOPS_GO[op]}({go_expr(a, name)}, {go_expr(b, name)})"
    raise AssertionError(f"unexpected expression {e!r}")  # pragma: no cover
