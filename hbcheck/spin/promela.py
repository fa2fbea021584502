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

from pathlib import Path

from hbcheck.errors import HbError
from hbcheck.language import ast
from hbcheck.language.check import Program


def _comment(text: str) -> str:
    """Text for a ``/* */`` comment: one line, and no ``*/`` to end it (a
    condition's source once closed the comment and became SPIN code)."""
    line = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    return line.replace("*/", "*\\/")


def _q(name: str) -> str:
    return name.replace("#", "_")


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
        return f"r_{r}"

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
                return str(v)
            case ast.UnitLit():
                return "0"
            case ast.Name(name=n):
                return self.load(n) if self.p.is_int(n) else self.reg(n)
            case ast.Unary(op="!", operand=o):
                return f"(({self.expr(o)}) == 0)"
            case ast.Unary(op="-", operand=o):
                return f"(-({self.expr(o)}))"
            case ast.Binary(op="&&" | "||" as op, left=a, right=b):
                return f"((({self.expr(a)}) != 0) {op} (({self.expr(b)}) != 0))"
            case ast.Binary(op=op, left=a, right=b):
                return f"(({self.expr(a)}) {op} ({self.expr(b)}))"
        raise HbError(f"cannot write {type(e).__name__} in Promela")  # pragma: no cover

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
                self.w(f"run {_q(f)}_go();")
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
                    body = f"{x} = {x} + {vals[0]}; {tgt} = {x}"
                else:
                    body = f"if :: {x} == {vals[0]} -> {x} = {vals[1]}; {tgt} = 1 :: else -> {tgt} = 0 fi"
                self.w(f"atomic {{ {body} }}")
            case ast.If(cond=c, then=then, orelse=orelse):
                self.options([(f"({self.expr(c)}) != 0", then), ("else", orelse or ())])
            case ast.ForConst(var=i, start=a, stop=b, body=body):
                self.w(f"{self.var(i)} = {a};")
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
                self.w(f"atomic {{ wg_{o} = wg_{o} + {self.expr(args[0])}; assert(wg_{o} >= 0) }}")
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


def emit_promela(program: Program, lit_path: str | Path) -> str:
    p = program
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
                out.append(f"int v_{name} = {v.init};")
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
    named: dict[str, list[str]] = {}  # registers the condition reads, by goroutine
    if checked:
        for n in ast.walk(cond.expr):
            if isinstance(n, ast.ProcReg):
                named.setdefault(n.proc, []).append(n.reg)
    for owner, regs in named.items():
        out += [f"int {_q(owner)}_{r} = 0;" for r in sorted(set(regs))]
    out.append("")
    exclusive = _exclusive(p)
    bodies = [(g.name, g.body, []) for g in p.goroutines] + [(f, p.funcs[f].body, [f]) for f in sorted(p.spawned)]
    for owner, body, stack in bodies:
        em.owner, em.lines, em.indent, em.temps, em.ntemp = owner, [], 1, [], 0
        em.stack = stack
        em.stmts(body)
        em.stack = []
        regs = sorted(p.registers.get(owner, ()))
        locals_ = [f"int r_{r} = 0;" for r in regs] + ["int tmp = 0;"] + [f"int {t} = 0;" for t in em.temps]
        copy = [f"{_q(owner)}_{r} = r_{r}" for r in sorted(set(named.get(owner, ())))]
        end = [f"atomic {{ {'; '.join(copy)} }}"] if copy else []
        head = exclusive.get(owner, []) if not stack else []
        out += [f"proctype {_q(owner)}_go() {{", *("    " + x for x in head + locals_), *em.lines]
        out += [*("    " + x for x in end), "}", ""]
    out.append("init {")
    out.append("    atomic {")
    out += [f"        run {_q(g.name)}_go();" for g in p.goroutines]
    out.append("    }")
    if checked:
        em.owner = ""
        check = _cond(cond.expr)
        out.append("    (_nr_pr == 1);  /* every goroutine has ended */")
        if cond.kind == "forall":
            out.append(f"    assert({check}); /* a violation is a counterexample to {_comment(cond.text)} */")
        else:
            where = _comment(cond.text.split("(", 1)[1][:-1])
            out.append(f"    assert(!({check})); /* a violation: a final state where {where} */")
    out.append("}")
    return "\n".join(out) + "\n"


def _cond(e: ast.Expr) -> str:
    match e:
        case ast.IntLit(value=v):
            return str(v)
        case ast.ProcReg(proc=p, reg=r):
            return f"{_q(p)}_{r}"
        case ast.Name(name=n):
            return f"v_{n}"
        case ast.Unary(op="!", operand=o):
            return f"!({_cond(o)})"
        case ast.Unary(op="-", operand=o):
            return f"(-({_cond(o)}))"
        case ast.Binary(op=op, left=a, right=b):
            return f"(({_cond(a)}) {op} ({_cond(b)}))"
    raise HbError("cannot write this condition in Promela")  # pragma: no cover
