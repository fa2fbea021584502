"""Write a checked .lit program as an equivalent Promela model for SPIN.

Channels are Promela channels of the same capacity (capacity 0 is a
rendezvous); ``close`` is a flag every operation checks (a send on a closed
channel, or a close of a closed one, is ``assert(false)``; a receive on a
closed, empty channel yields 0 with ok = 0); ``select`` is a guarded ``if``
whose ``else`` is ``default``; a ``break`` inside a select leaves the select,
as in Go. Mutexes, wait groups and once are guarded flags and counters;
atomics are ``atomic`` blocks. Panics and failed assertions are assertion
violations, global deadlocks invalid end states. Registers and temporaries
are locals of their proctype; those the condition names are copied to
globals (``P0_r``) when the goroutine ends, and the condition becomes an
assertion checked when every goroutine has ended: for ``exists`` SPIN's
assertion violation is a witness, for ``~exists``/``forall`` a counterexample.

SPIN's partial-order reduction needs locals and exclusive channel access, so
a channel nobody closes has no flag and plain ``c!v``/``c?x``, and a buffered
one that a single top-level goroutine alone receives from (sends on) and no
``select`` polls is declared ``xr`` (``xs``) in it.
With a ``main``, every blocking point of the other goroutines is a valid end
state (Go reports those goroutines as leaked, not as a deadlock).
"""

from __future__ import annotations

import re
from pathlib import Path

from hbcheck.errors import HbError
from hbcheck.language import ast, types
from hbcheck.language.check import Program


def _comment(text: str) -> str:
    """Text for a ``/* */`` comment: one line, and no ``*/`` to end it (a
    condition's source once closed the comment and became SPIN code)."""
    line = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return line.replace("*/", "*\\/")


def _enc(name: str) -> str:
    """A goroutine, instance or register name as part of a Promela name, one to
    one: ``_`` doubled, and ``W#2`` as ``W_02`` (no name starts with a digit),
    so ``W_2`` and ``W#2``, or goroutine ``r`` and a local ``r_x``, cannot meet."""
    return name.replace("_", "__").replace("#", "_0")


def _reg(r: str) -> str:
    """A register's local; a temp of ``desugar.py`` (``$e1``) has a prefix of its own."""
    return f"t_{r[2:]}_e" if r.startswith("$e") else f"r_{r}"


def _proc(owner: str) -> str:
    return f"go_{owner}"


def _cond_reg(proc: str, reg: str) -> str:
    """The global a register the condition reads is copied to."""
    return f"q_{_enc(proc)}_{_enc(reg)}"


# SPIN's int is 32 bits, Go's int 64: a literal past int32 is refused, and an
# operation that would overflow int32 (where Go's int64 might not) stops SPIN
# at an assertion on ``int32_overflow`` rather than wrapping silently.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
_MIN = "(-2147483647 - 1)"


def _fits_int32(value: int, loc) -> str:
    if not INT32_MIN <= value <= INT32_MAX:
        raise HbError(f"{value} does not fit SPIN's int (32 bits): Promela cannot represent it", loc)
    return str(value)


def _no_overflow(op: str, a: str, b: str | None = None) -> str | None:
    """A Promela test, itself free of overflow, that ``a op b`` (``-a`` when ``b``
    is None) stays within int32; None for operators that cannot overflow, and
    for constants (a literal is within int32)."""
    if all(re.fullmatch(r"\(*-?[0-9]+\)*", x) for x in (a, b or "0")):
        return None
    if b is None:
        return f"({a}) != {_MIN}" if op == "-" else None
    match op:
        case "+":
            return f"(({b}) > 0 -> ({a}) <= 2147483647 - ({b}) : ({a}) >= {_MIN} - ({b}))"
        case "-":
            return f"(({b}) < 0 -> ({a}) <= 2147483647 + ({b}) : ({a}) >= {_MIN} + ({b}))"
        case "*":
            return (
                f"(({a}) == 0 || ({b}) == 0 -> true : (({a}) > 0 -> (({b}) > 0 -> ({a}) <= 2147483647 / ({b}) : "
                f"({b}) >= {_MIN} / ({a})) : (({b}) > 0 -> ({a}) >= {_MIN} / ({b}) : ({b}) >= 2147483647 / ({a}))))"
            )
        case "/" | "%":
            return f"!(({a}) == {_MIN} && ({b}) == -1)"
    return None


class _Emitter:
    def __init__(self, p: Program):
        self.p = p
        self.lines: list[str] = []
        self.indent = 1
        self.owner = ""
        self.nlabel = 0
        self.stack: list[str] = []  # functions being inlined (no recursion in Promela inlines)
        self.breaks: list[str] = []  # per loop or select: "loop" or a label to jump to
        self.conts: list[str] = []
        self.ntemp = 0
        self.temps: list[str] = []  # the current proctype's temporaries
        self.closable = p.closed_channels
        self.overflows = False  # the current proctype checks for int32 overflow
        self.counted: set[str] = set()  # functions whose instances the condition names

    def w(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def label(self, stem: str) -> str:
        self.nlabel += 1
        return f"{stem}_{self.nlabel}"

    def end_label(self) -> str:
        """A valid-end-state label before a blocking point, for goroutines that may be left behind by main."""
        if self.p.has_main and self.owner != "main":
            return self.label("end") + ": "
        return ""

    # ---- names and expressions
    def reg(self, r: str) -> str:
        return _reg(r)

    def var(self, n: str) -> str:
        return f"v_{n}" if self.p.is_int(n) else self.reg(n)

    def load(self, n: str) -> str:
        """A plain load is a step of its own, as in Go: copy into a temporary first."""
        self.ntemp += 1
        t = f"t_{self.ntemp}"
        self.temps.append(t)
        self.w(f"{t} = v_{n};")
        return t

    def expr(self, e: ast.Expr) -> str:
        match e:
            case ast.IntLit(value=v):
                return _fits_int32(v, e.loc)
            case ast.UnitLit():
                return "0"
            case ast.Name(name=n):
                return self.load(n) if self.p.is_int(n) else self.reg(n)
            case ast.Unary(op="!", operand=o):
                return f"(({self.expr(o)}) == 0)"
            case ast.Unary(op="-", operand=o):
                a = self.expr(o)
                self.check_overflow(_no_overflow("-", a))
                return f"(-({a}))"
            case ast.Binary(op="&&" | "||" as op, left=a, right=b):
                return f"((({self.expr(a)}) != 0) {op} (({self.expr(b)}) != 0))"
            case ast.Binary(op=op, left=a, right=b):
                x, y = self.expr(a), self.expr(b)
                self.check_overflow(_no_overflow(op, x, y))
                return f"(({x}) {op} ({y}))"
        raise HbError(f"cannot write {type(e).__name__} in Promela")  # pragma: no cover

    def check_overflow(self, test: str | None) -> None:
        """A step that stops SPIN where Go's int64 result would not fit its int32."""
        if test is not None:
            self.w(self.overflow_test(test))

    def overflow_test(self, test: str | None) -> str:
        if test is None:
            return ""
        self.overflows = True
        return f"int32_overflow = !({test}); assert(!int32_overflow); "

    def chan(self, ref: ast.ChanRef | str | None) -> str | None:
        name = ref.name if isinstance(ref, ast.ChanRef) else ref
        if name is None or name == "nil" or self.p.shared[name].cap is None:
            return None
        return name

    def target(self, t: str | None) -> str:
        return "tmp" if t is None else self.var(t)

    # ---- channel operations as guarded alternatives
    def send_options(self, c: str, value: str) -> list[str]:
        cap = self.p.shared[c].cap
        if c not in self.closable:
            return [f"c_{c}!{value}"]
        ok = f"c_{c}!{value}" if cap == 0 else f"atomic {{ !closed_{c} && nfull(c_{c}) -> c_{c}!{value} }}"
        return [f"closed_{c} -> assert(false) /* send on closed channel */", ok]

    def recv_options(self, c: str, v: str | None, ok: str | None) -> list[str]:
        got = f"c_{c}?{self.target(v)}" + (f"; {self.var(ok)} = 1" if ok else "")
        if c not in self.closable:
            return [got]
        zero = (
            f"atomic {{ closed_{c} && empty(c_{c}) -> {self.target(v)} = 0"
            + (f"; {self.var(ok)} = 0" if ok else "")
            + " }"
        )
        return [got, zero]

    # ---- statements
    def stmts(self, body: tuple[ast.Stmt, ...]) -> None:
        if not body:
            self.w("skip;")
        for s in body:
            self.stmt(s)

    def options(self, opts: list[tuple[str, tuple[ast.Stmt, ...] | None]], kind: str = "if") -> None:
        self.w(f"{self.end_label()}{kind}")
        for guard, body in opts:
            self.w(f":: {guard};")
            self.indent += 1
            if body:
                self.stmts(body)
            self.indent -= 1
        self.w("fi;" if kind == "if" else "od;")

    def stmt(self, s: ast.Stmt) -> None:
        match s:
            case ast.Assign(target=t, value=v):
                self.w(f"{self.var(t)} = {self.expr(v)};")
            case ast.MethodValue(target=t, args=(ast.IntLit(value=n),)):  # rand.Intn(n): SPIN's own choice
                self.options([(f"{self.var(t) if t else 'tmp'} = {k}", None) for k in range(n)])
            case ast.Send(chan=c, value=v):
                name = self.chan(c)
                if name is None:
                    self.w(f"{self.end_label()}false; /* send on a nil channel blocks forever */")
                else:
                    self.options([(o, None) for o in self.send_options(name, self.expr(v))])
            case ast.Recv(value=v, ok=ok, chan=c):
                name = self.chan(c)
                if name is None:
                    self.w(f"{self.end_label()}false; /* receive from a nil channel blocks forever */")
                else:
                    self.options([(o, None) for o in self.recv_options(name, v, ok)])
            case ast.Call(name="close", args=(arg,)):
                name = self.chan(arg.name)  # type: ignore[union-attr]
                if name is None:
                    self.w("assert(false); /* close of nil channel */")
                else:
                    self.w(f"atomic {{ assert(!closed_{name}); closed_{name} = true }} /* close of closed channel */")
            case ast.Call(name="panic"):
                self.w("assert(false); /* panic */")
            case ast.Call(name=f):
                if f in self.stack:
                    raise HbError(f"{f} is recursive: Promela inlines cannot recurse", s.loc)
                self.stack.append(f)
                self.stmts(self.p.funcs[f].body)
                self.stack.pop()
            case ast.GoStmt(func=f):
                if f in self.counted:  # instances f, f#2, ... in the order their go statements run
                    self.w(f"atomic {{ n_{f} = n_{f} + 1; run {_proc(f)}(n_{f}) }}")
                else:
                    self.w(f"run {_proc(f)}();")
            case ast.MethodCall(obj=o, method=m, args=args):
                self.method(o, m, args)
            case ast.AtomicCall(target=t, op=op, args=args):
                x = f"v_{args[0].name}"  # type: ignore[union-attr]
                vals = [self.expr(a) for a in args[1:]]  # type: ignore[arg-type]
                tgt = self.target(t)
                if op == "Store":
                    body = f"{x} = {vals[0]}"
                elif op == "Load":
                    body = f"{tgt} = {x}"
                elif op == "Add":
                    body = self.overflow_test(_no_overflow("+", x, vals[0])) + f"{x} = {x} + {vals[0]}; {tgt} = {x}"
                else:
                    body = f"if :: {x} == {vals[0]} -> {x} = {vals[1]}; {tgt} = 1 :: else -> {tgt} = 0 fi"
                self.w(f"atomic {{ {body} }}")
            case ast.If(cond=c, then=then, orelse=orelse):
                self.options([(f"({self.expr(c)}) != 0", then), ("else", orelse or ())])
            case ast.ForConst(var=i, start=a, stop=b, body=body):
                _fits_int32(b, s.loc)
                self.w(f"{self.var(i)} = {_fits_int32(a, s.loc)};")
                self.loop(f"{self.var(i)} < {b}", body, step=f"{self.var(i)}++")
            case ast.ForCond(cond=c, body=body):
                self.loop("true", body, cond=c)
            case ast.ForRange(var=v, chan=c, body=body):
                name = self.chan(c)
                if name is None:
                    self.w(f"{self.end_label()}false;")
                    return
                cont = self.label("cont")
                self.breaks.append("loop")
                self.conts.append(cont)
                self.w(f"{self.end_label()}do")
                self.w(f":: c_{name}?{self.target(None if v == '_' else v)};")
                self.indent += 1
                self.stmts(body)
                self.w(f"{cont}: skip;")
                self.indent -= 1
                if name in self.closable:
                    self.w(f":: atomic {{ closed_{name} && empty(c_{name}) }}; break;")
                self.w("od;")
                self.breaks.pop()
                self.conts.pop()
            case ast.Break():
                where = self.breaks[-1]
                self.w("break;" if where == "loop" else f"goto {where};")
            case ast.Continue():
                self.w(f"goto {self.conts[-1]};")
            case ast.Select(cases=cases):
                self.select(cases)
            case ast.Assert(cond=c):
                self.w(f"assert(({self.expr(c)}) != 0);")

    def loop(
        self, guard: str, body: tuple[ast.Stmt, ...], step: str | None = None, cond: ast.Expr | None = None
    ) -> None:
        """``cond``'s loads run at every iteration, before its test, as in Go."""
        cont = self.label("cont")
        self.breaks.append("loop")
        self.conts.append(cont)
        self.w("do")
        self.w(f":: {guard};")
        self.indent += 1
        if cond is not None:
            test = self.expr(cond)
            self.w(f"if :: ({test}) != 0 :: else; break fi;")
        self.stmts(body)
        self.w(f"{cont}: " + (f"{step};" if step else "skip;"))
        self.indent -= 1
        self.w(":: else; break;")
        self.w("od;")
        self.breaks.pop()
        self.conts.pop()

    def method(self, o: str, m: str, args) -> None:
        match m:
            case "Lock":
                self.w(f"{self.end_label()}atomic {{ !locked_{o} -> locked_{o} = true }}")
            case "Unlock":
                self.w(f"atomic {{ assert(locked_{o}); locked_{o} = false }} /* unlock of unlocked mutex */")
            case "Add":
                delta = self.expr(args[0])
                test = self.overflow_test(_no_overflow("+", f"wg_{o}", delta))
                self.w(f"atomic {{ {test}wg_{o} = wg_{o} + {delta}; assert(wg_{o} >= 0) }}")
            case "Done":
                self.w(f"atomic {{ wg_{o} = wg_{o} - 1; assert(wg_{o} >= 0) }}")
            case "Wait":
                self.w(f"{self.end_label()}(wg_{o} == 0);")
            case "Do":
                f = args[0].name
                self.w(f"{self.end_label()}if")
                self.w(f":: atomic {{ once_{o} == 0 -> once_{o} = 1 }};")
                self.indent += 1
                self.stmt(ast.Call(f, (), args[0].loc))
                self.w(f"once_{o} = 2;")
                self.indent -= 1
                self.w(f":: once_{o} == 2;")
                self.w("fi;")

    def select(self, cases: tuple[ast.Case, ...]) -> None:
        if not cases:
            self.w(f"{self.end_label()}false; /* select {{}} */")
            return
        done = self.label("sel")
        self.breaks.append(done)
        opts: list[tuple[str, tuple[ast.Stmt, ...] | None]] = []
        idle: list[str] = []  # for default: every case not ready
        default = None
        for case in cases:
            if isinstance(case, ast.DefaultCase):
                default = case
                continue
            name = self.chan(case.chan)
            if name is None:
                continue  # never ready
            cap = self.p.shared[name].cap
            open_ = f" && !closed_{name}" if name in self.closable else ""
            if isinstance(case, ast.SendCase):
                opts += [(o, case.body) for o in self.send_options(name, self.expr(case.value))]
                idle.append(f"full(c_{name}){open_}" if cap else "true")
            else:
                opts += [(o, case.body) for o in self.recv_options(name, case.value, case.ok)]
                idle.append(f"empty(c_{name}){open_}" if cap else "true")
        if default is not None:
            # Promela forbids else beside i/o guards: default runs when no buffered case is ready; on a
            # rendezvous channel readiness cannot be tested, so default stays possible (an over-approximation)
            opts.append((" && ".join(f"({c})" for c in idle) if idle else "true", default.body))
        if not opts:
            self.w(f"{self.end_label()}false; /* only nil channels */")
        else:
            self.options(opts)
        self.w(f"{done}: skip;")
        self.breaks.pop()


def _exclusive(p: Program) -> dict[str, list[str]]:
    """Per top-level goroutine, its ``xr``/``xs`` declarations: channels it alone
    receives from (sends on), that no select polls and nobody closes."""
    use: dict[tuple[str, str], set[str]] = {}
    polled: set[str] = set()

    def visit(owner: str, body: tuple[ast.Stmt, ...], inlined: tuple[str, ...]) -> None:
        for n in ast.nodes(body):
            match n:
                case ast.Send(chan=ast.ChanRef(name=c)) if c:
                    use.setdefault(("xs", c), set()).add(owner)
                case ast.Recv(chan=ast.ChanRef(name=c)) | ast.ForRange(chan=ast.ChanRef(name=c)) if c:
                    use.setdefault(("xr", c), set()).add(owner)
                case ast.RecvCase(chan=ast.ChanRef(name=c)) | ast.SendCase(chan=ast.ChanRef(name=c)) if c:
                    polled.add(c)
                case ast.Call(name=f) if f in p.funcs and f not in inlined:
                    visit(owner, p.funcs[f].body, (*inlined, f))
                case ast.GoStmt(func=f):
                    visit(f"go:{f}", p.funcs[f].body, (f,))  # may run many times: never exclusive

    for g in p.goroutines:
        visit(g.name, g.body, ())
    closable = p.closed_channels
    out: dict[str, list[str]] = {}
    for (kind, c), owners in sorted(use.items()):
        cap = p.shared[c].cap
        if len(owners) == 1 and c not in polled and c not in closable and cap:  # SPIN: not on rendezvous
            (owner,) = owners
            if not owner.startswith("go:"):
                out.setdefault(owner, []).append(f"{kind} c_{c};")
    return out


def _refuse_functions(p: Program) -> None:
    """Functions with a Go signature have frames of registers, parameters and
    results; SPIN's inlines have none of them, and a ``return`` is a jump out of
    every block it sits in: neither is written in Promela (the explorer and z3
    check them)."""
    for f in p.funcs.values():
        if f.closure_of is not None:
            raise HbError(
                "a function literal is a closure: the variables it captures are allocated while the program "
                "runs, which Promela's fixed variables do not express, so it is not written in Promela",
                f.loc,
            )
        if f.go_sig:
            raise HbError(
                f"'{f.name}' has a Go signature (parameters, a result, registers of its own): "
                "Promela's inlines have no frames or results, so it is not written in Promela",
                f.loc,
            )
    if p.chan_value is not None:
        raise HbError(
            "a channel value (made, stored, passed or measured at run time) is not written in Promela yet "
            "(the explorer checks it)",
            p.chan_value,
        )
    if p.slice_at is not None:
        raise HbError(
            "a slice: its backing arrays are made while the program runs, which Promela's fixed "
            "variables do not express, so it is not written in Promela (the explorer checks it)",
            p.slice_at,
        )
    if p.map_at is not None:
        raise HbError(
            "a map: its entries and Go's concurrent-map fatal errors are not written in "
            "Promela yet (the explorer checks them)",
            p.map_at,
        )
    for var in p.shared.values():
        if var.kind == "array":
            raise HbError(
                f"'{var.name}' is an array: its elements' bounds checks and Go's index panics are not written "
                "in Promela (the explorer checks them)",
                var.loc,
            )
    for node in ast.nodes(p.test):
        if isinstance(node, ast.Assign) and types.array_len(node.type) is not None:
            raise HbError(
                f"'{node.target}' is a local array: its elements' bounds checks and Go's index panics are not "
                "written in Promela (the explorer checks them)",
                node.loc,
            )
    for d in (*p.goroutines, *p.funcs.values()):
        if d.escapes:
            raise HbError(
                f"'{min(d.escapes)}' is a local variable whose address is taken: it is allocated while the program "
                "runs, which Promela's fixed variables do not express, so it is not written in Promela",
                d.loc,
            )
    for node in ast.nodes(p.test):
        if isinstance(node, ast.Return):
            raise HbError("'return' is not written in Promela (an inline cannot return early)", node.loc)
        if isinstance(node, ast.Defer) or (isinstance(node, ast.Call | ast.CallExpr) and node.name == "recover"):
            what = "'defer'" if isinstance(node, ast.Defer) else "recover()"
            raise HbError(
                f"{what} is not written in Promela (deferred calls and panics that unwind frames need frames)",
                node.loc,
            )


def emit_promela(program: Program, lit_path: str | Path) -> str:
    p = program
    _refuse_functions(p)
    shared = p.shared_waitgroups()
    if shared:
        w = sorted(shared)[0]
        raise HbError(
            f"WaitGroup {w} is Added to and Waited on in different goroutines: Go's misuse race and panics "
            "(sync/waitgroup.go) are not written in Promela",
            p.shared[w].loc,
        )
    out = [f"/* Generated by hbcheck promela from {_comment(Path(lit_path).name)}: {_comment(p.name)}. */", ""]
    em = _Emitter(p)
    for name, v in p.shared.items():
        match v.kind:
            case "int":
                out.append(f"int v_{name} = {_fits_int32(v.init, v.loc)};")
            case "chan" if v.cap is not None:
                out.append(f"chan c_{name} = [{v.cap}] of {{ int }};")
                if name in em.closable:
                    out.append(f"bool closed_{name} = false;")
            case "mutex":
                out.append(f"bool locked_{name} = false;")
            case "wg":
                out.append(f"int wg_{name} = 0;")
            case "once":
                out.append(f"byte once_{name} = 0;")
    cond = p.condition
    checked = cond is not None and not p.has_main
    named: dict[str, set[str]] = {}  # registers the condition reads, by goroutine or instance
    if checked:
        for n in ast.walk(cond.expr):
            if isinstance(n, ast.ProcReg):
                named.setdefault(n.proc, set()).add(n.reg)
    em.counted = {b for b in map(p.base_of, named) if b in p.spawned}
    out += [f"int {_cond_reg(g, r)} = 0;" for g, regs in named.items() for r in sorted(regs)]
    out += [f"int n_{f} = 0;" for f in sorted(em.counted)]
    out.append("")
    exclusive = _exclusive(p)
    bodies = [(g.name, g.body, []) for g in p.goroutines] + [(f, p.funcs[f].body, [f]) for f in sorted(p.spawned)]
    for owner, body, stack in bodies:
        em.owner, em.lines, em.indent, em.temps, em.ntemp, em.overflows = owner, [], 1, [], 0, False
        em.stack = stack
        em.stmts(body)
        em.stack = []
        regs = sorted(p.registers.get(owner, ()))
        locals_ = [f"int {_reg(r)} = 0;" for r in regs] + ["int tmp = 0;"] + [f"int {t} = 0;" for t in em.temps]
        locals_ += ["bool int32_overflow = false;"] if em.overflows else []
        head = exclusive.get(owner, []) if not stack else []
        param = "int inst" if owner in em.counted else ""
        out += [f"proctype {_proc(owner)}({param}) {{", *("    " + x for x in head + locals_), *em.lines]
        out += ["    " + x for x in _copies(p, owner, named, owner in em.counted)] + ["}", ""]
    out.append("init {")
    tests: list[str] = []
    check = _cond(cond.expr, tests) if checked else ""
    if tests:
        out.append("    bool int32_overflow = false;")
    out.append("    atomic {")
    out += [f"        run {_proc(g.name)}();" for g in p.goroutines]
    out.append("    }")
    if checked:
        out.append("    (_nr_pr == 1);  /* every goroutine has ended */")
        out += [f"    int32_overflow = !({t}); assert(!int32_overflow);" for t in tests]
        if cond.kind == "forall":
            out.append(f"    assert({check}); /* a violation is a counterexample to {_comment(cond.text)} */")
        else:
            where = _comment(cond.text.split("(", 1)[1][:-1])
            out.append(f"    assert(!({check})); /* a violation: a final state where {where} */")
    out.append("}")
    return "\n".join(out) + "\n"


def _copies(p: Program, owner: str, named: dict[str, set[str]], counted: bool) -> list[str]:
    """The end of ``owner``'s proctype: the registers the condition reads, copied
    to globals (by an instance of a counted function, to its own)."""
    if not counted:
        regs = sorted(named.get(owner, ()))
        return [f"atomic {{ {'; '.join(f'{_cond_reg(owner, r)} = {_reg(r)}' for r in regs)} }}"] if regs else []
    out = []
    for name, regs in sorted(named.items()):
        if p.base_of(name) == owner:
            n = 1 if "#" not in name else int(name.split("#")[1])
            out.append(f":: inst == {n} -> {'; '.join(f'{_cond_reg(name, r)} = {_reg(r)}' for r in sorted(regs))}")
    return ["atomic {", "    if", *("    " + x for x in out), "    :: else", "    fi", "}"]


def _cond(e: ast.Expr, tests: list[str]) -> str:
    """The condition over the globals; ``tests`` gets its int32 overflow tests."""
    match e:
        case ast.IntLit(value=v):
            return _fits_int32(v, e.loc)
        case ast.ProcReg(proc=p, reg=r):
            return _cond_reg(p, r)
        case ast.Name(name=n):
            return f"v_{n}"
        case ast.Unary(op="!", operand=o):
            return f"!({_cond(o, tests)})"
        case ast.Unary(op="-", operand=o):
            a = _cond(o, tests)
            tests += filter(None, [_no_overflow("-", a)])
            return f"(-({a}))"
        case ast.Binary(op=op, left=a, right=b):
            x, y = _cond(a, tests), _cond(b, tests)
            tests += filter(None, [_no_overflow(op, x, y)])
            return f"(({x}) {op} ({y}))"
    raise HbError("cannot write this condition in Promela")  # pragma: no cover
