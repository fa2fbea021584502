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
from pathlib import Path

from hbcheck.errors import HbError
from hbcheck.language import ast
from hbcheck.language.check import Program
from hbcheck.language.locations import locations, show_location

_HARNESS = (Path(__file__).with_name("harness.go.txt")).read_text()

# Arithmetic goes through helpers: gofmt's spacing of mixed-precedence
# expressions then never depends on the test, and the output stays gofmt-clean.
_BINOPS_GO = {"+": "add", "-": "sub", "*": "mul", "/": "div", "%": "mod"}
_CMP = {"==", "!=", "<", "<=", ">", ">="}


def go_name(kind: str, name: str) -> str:
    """Prefix every .lit name so it can never be a Go keyword or predeclared name."""
    return f"{kind}_{name.replace('#', '_')}"


class _Emitter:
    def __init__(self, program: Program, lit_name: str):
        self.p = program
        self.lit = _directive_name(lit_name)
        self.lines: list[str] = []
        self.indent = 0
        self.ntemp = 0

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
    def expr(self, e: ast.Expr) -> str:
        def name(n: str) -> str:
            return f"e.{go_name('v', n)}" if self.p.is_int(n) else f"g.{go_name('r', n)}"

        return go_expr(e, name)

    def cond(self, e: ast.Expr) -> str:
        return f"{self.expr(e)} != 0"

    def chan(self, ref: ast.ChanRef | str | None) -> str:
        name = ref.name if isinstance(ref, ast.ChanRef) else ref
        if name is None or name == "nil":
            return "(chan int64)(nil)"
        return f"e.{go_name('c', name)}"  # a declared nil channel is a nil field of its own type

    def target(self, name: str | None) -> str:
        if name is None:
            return "_"
        return f"e.{go_name('v', name)}" if self.p.is_int(name) else f"g.{go_name('r', name)}"

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
        line = s.loc.line
        match s:
            case ast.Assign(target=t, value=v):
                self.at(line, f"{self.target(t)} = {self.expr(v)}")
            case ast.Recv(value=v, ok=ok, chan=c):
                if v is None and ok is None:
                    self.at(line, f"<-{self.chan(c)}")
                elif ok is None:
                    self.at(line, f"{self.target(v)} = <-{self.chan(c)}")
                else:
                    tv, tok = self.temp(), self.temp()
                    self.at(line, f"{tv}, {tok} := <-{self.chan(c)}")
                    self.at(line, f"{self.target(v)} = {tv}" if v is not None else f"_ = {tv}")
                    self.at(line, f"{self.target(ok)} = b2i({tok})")
            case ast.Send(chan=c, value=v):
                self.at(line, f"{self.chan(c)} <- {self.expr(v)}")
            case ast.Call(name="close", args=(arg,)):
                assert isinstance(arg, ast.Name)
                self.at(line, f"close({self.chan(arg.name)})")
            case ast.Call(name="panic", args=(arg,)):
                assert isinstance(arg, ast.StrArg)
                self.at(line, f"panic({_go_string(arg.text)})")
            case ast.Call(name=f):
                self.at(line, f"e.{go_name('f', f)}(g)")
            case ast.GoStmt(func=f):
                self.at(line, f"e.spawn({_go_string(f)}, e.{go_name('f', f)})")
            case ast.MethodCall(obj=o, method=m, args=args):
                field = f"e.{go_name('s', o)}"
                if m == "Add":
                    self.at(line, f"{field}.Add(int({self.expr(args[0])}))")  # type: ignore[arg-type]
                elif m == "Do":
                    fn = args[0]
                    assert isinstance(fn, ast.Name)
                    self.at(line, f"{field}.Do(func() {{ e.{go_name('f', fn.name)}(g) }})")
                else:
                    self.at(line, f"{field}.{m}()")
            case ast.AtomicCall(target=t, op=op, args=args):
                assert isinstance(args[0], ast.AddrArg)
                addr = f"&e.{go_name('v', args[0].name)}"
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
            case ast.ForConst(var=i, start=a, stop=b, body=body):
                r = self.target(i)
                self.block(f"for {r} = {a}; {r} < {b}; {r}++", line, body)
            case ast.ForRange(var=v, chan=c, body=body):
                if v == "_":
                    self.block(f"for range {self.chan(c)}", line, body)
                else:
                    tv = self.temp()
                    self.at(line, f"for {tv} := range {self.chan(c)} {{")
                    self.indent += 1
                    self.at(line, f"{self.target(v)} = {tv}")
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
        if len(orelse) == 1 and isinstance(orelse[0], ast.If):
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
        self.at(line, "select {")
        for case in cases:
            if isinstance(case, ast.DefaultCase):
                self.w("default:")
            elif isinstance(case, ast.SendCase):
                self.case_at(case.loc.line, f"case {self.chan(case.chan)} <- {self.expr(case.value)}:")
            else:
                if case.value is None and case.ok is None:
                    self.case_at(case.loc.line, f"case <-{self.chan(case.chan)}:")
                    self.indent += 1
                else:
                    tv, tok = self.temp(), self.temp()
                    self.case_at(case.loc.line, f"case {tv}, {tok} := <-{self.chan(case.chan)}:")
                    self.indent += 1
                    # the stores of the received value: at the case's line, as in the model
                    self.at(
                        case.loc.line, f"{self.target(case.value)} = {tv}" if case.value is not None else f"_ = {tv}"
                    )
                    self.at(
                        case.loc.line, f"{self.target(case.ok)} = b2i({tok})" if case.ok is not None else f"_ = {tok}"
                    )
                self.stmts(case.body)
                self.indent -= 1
                continue
            self.indent += 1
            self.stmts(case.body)
            self.indent -= 1
        self.w("}")


def _go_elem(elem: str) -> str:
    return "int64" if elem == "int" else elem


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
    for f in p.funcs.values():
        if f.go_sig:
            raise HbError(f"'{f.name}' has a Go signature: not written in Go yet", f.loc)
    for node in ast.nodes(p.test):
        if isinstance(node, ast.Return):
            raise HbError("'return' is not written in Go yet", node.loc)
    em = _Emitter(p, lit)
    regs: set[str] = set()
    for names in p.registers.values():
        regs |= names
    locs = locations(p)
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
        }[var.kind]
        kind = {"int": "v", "chan": "c"}.get(var.kind, "s")
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
    out += _struct("regs", [(go_name("r", r), "int64") for r in sorted(regs)])
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
                out.append(f"\tif !complete {{\n\t\treturn nil, false\n\t}}\n\tl{i} := e.{go_name('v', name)}")
            else:
                out.append(f"\tl{i} := int64(0)")
                out.append(f"\tif in, found := insts[{_go_string(name)}]; found {{")
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
        out.append(f"\treturn {go_expr(cond.expr, names.__getitem__)} != 0")
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
        em.stmts(g.body)
        out += ["//go:noinline", f"func (e *env) {go_name('g', g.name)}(g *regs) {{", *em.lines, "}", ""]
    for f in p.funcs.values():
        em.lines = []
        em.indent = 1
        if f.frame is not None:
            em.w(f"var pad [{f.frame}]byte")
            em.w("touch(pad[:])")
        em.stmts(f.body)
        out += ["//go:noinline", f"func (e *env) {go_name('f', f.name)}(g *regs) {{", *em.lines, "}", ""]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out) + "\n"


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
