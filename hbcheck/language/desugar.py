"""Receives, atomic calls and ``rand.Intn`` inside expressions, as statements of their own.

``r = r + <-c`` becomes ``$e1 = <-c; r = r + $e1``, so the machine, z3, the
Go emitter and Promela only ever meet the statement forms. Go leaves the
order between plain reads and calls or receives unspecified; the checker's
choice is left to right, and to keep it, whatever is left of a receive or
an atomic call in the same expression (shared reads, calls) is read into a
temp first. The right side of ``&&``/``||`` keeps its guard: its hoisted
steps run under an ``if``. A loop's condition is evaluated again each
iteration: ``for COND { B }`` becomes ``for { ...; if !COND { break }; B }``.
Temps start with ``$`` (never a name in a .lit file): registers no
condition can name.
"""

from __future__ import annotations

import dataclasses
from itertools import count

from hbcheck.language import ast

_STEPS = (ast.RecvExpr, ast.AtomicExpr, ast.MethodExpr)


def desugar(test: ast.Test) -> ast.Test:
    """The test with every receive and atomic call inside an expression hoisted."""
    if not any(isinstance(n, _STEPS) for n in ast.nodes(test.decls)):
        return test
    shared = {d.name for d in test.decls if isinstance(d, ast.VarDecl) and d.make_elem is None and _is_int(d)}
    temps = count(1)
    decls: list[ast.Decl] = []
    for d in test.decls:
        if isinstance(d, ast.FuncDecl):
            params = {q.name for q in d.params or ()}
            d = dataclasses.replace(d, body=_Hoister(shared - params, temps).block(d.body))
        elif isinstance(d, ast.GoDecl):
            d = dataclasses.replace(d, body=_Hoister(shared, temps).block(d.body))
        decls.append(d)
    return dataclasses.replace(test, decls=tuple(decls))


def _is_int(d: ast.VarDecl) -> bool:
    return d.type in (None, "int", "bool")


def _steps(e: ast.Arg) -> bool:
    """Does ``e`` hold a receive or an atomic call?"""
    return not isinstance(e, ast.StrArg | ast.AddrArg) and any(isinstance(n, _STEPS) for n in ast.walk(e))


class _Hoister:
    def __init__(self, shared: set[str], temps: count):
        self.shared = shared
        self.temps = temps

    def temp(self) -> str:
        return f"$e{next(self.temps)}"

    # ---- statements
    def block(self, body: tuple[ast.Stmt, ...]) -> tuple[ast.Stmt, ...]:
        out: list[ast.Stmt] = []
        for s in body:
            out += self.stmt(s)
        return tuple(out)

    def stmt(self, s: ast.Stmt) -> list[ast.Stmt]:
        r = dataclasses.replace
        match s:
            case ast.Assign(value=v) if _steps(v):
                pre, v2 = self.expr(v)
                return [*pre, r(s, value=v2)]
            case ast.Send(value=v) if _steps(v):
                pre, v2 = self.expr(v)
                return [*pre, r(s, value=v2)]
            case ast.Assert(cond=c) if _steps(c):
                pre, c2 = self.expr(c)
                return [*pre, r(s, cond=c2)]
            case ast.IndexAssign(index=i, value=v) if _steps(i) or _steps(v):
                pre, (i2, v2) = self.args((i, v))
                return [*pre, r(s, index=i2, value=v2)]  # type: ignore[arg-type]
            case ast.Return(value=v) if v is not None and _steps(v):
                pre, v2 = self.expr(v)
                return [*pre, r(s, value=v2)]
            case (
                ast.Call(args=args)
                | ast.GoStmt(args=args)
                | ast.MethodCall(args=args)
                | ast.AtomicCall(args=args)
                | ast.MethodValue(args=args)
            ) if any(_steps(a) for a in args):
                pre, args2 = self.args(args)
                return [*pre, r(s, args=args2)]
            case ast.Defer(call=c):
                pre = self.stmt(c)
                return [*pre[:-1], r(s, call=pre[-1])]
            case ast.If(cond=c, then=then, orelse=orelse):
                pre, c2 = self.expr(c) if _steps(c) else ([], c)
                return [*pre, r(s, cond=c2, then=self.block(then), orelse=self.block(orelse))]
            case ast.ForCond(cond=c, body=body) if c is not None and _steps(c):
                pre, c2 = self.expr(c)
                stop = ast.If(ast.Unary("!", c2, c.loc), (ast.Break(c.loc),), (), c.loc)
                return [r(s, cond=None, body=(*pre, stop, *self.block(body)))]
            case ast.ForCond(body=body) | ast.ForConst(body=body) | ast.ForRange(body=body):
                return [r(s, body=self.block(body))]
            case ast.Select(cases=cases):
                sends = [c for c in cases if isinstance(c, ast.SendCase)]
                pre, values = self.args(tuple(c.value for c in sends))
                new = dict(zip(map(id, sends), values, strict=True))
                out = []
                for c in cases:
                    if isinstance(c, ast.SendCase):
                        c = r(c, value=new[id(c)])
                    out.append(r(c, body=self.block(c.body)))
                return [*pre, r(s, cases=tuple(out))]
        return [s]

    def args(self, args: tuple[ast.Arg, ...]) -> tuple[list[ast.Stmt], tuple[ast.Arg, ...]]:
        """Arguments left to right: one before a receive is read first."""
        pre: list[ast.Stmt] = []
        out: list[ast.Arg] = []
        for i, a in enumerate(args):
            if isinstance(a, ast.StrArg | ast.AddrArg):
                out.append(a)
                continue
            later = any(_steps(b) for b in args[i + 1 :])
            p, a2 = self.pin(a) if later else self.expr(a)
            pre += p
            out.append(a2)
        return pre, tuple(out)

    # ---- expressions
    def expr(self, e: ast.Expr) -> tuple[list[ast.Stmt], ast.Expr]:
        """Statements that run ``e``'s receives and atomic calls (and what must
        be read before them), and what is left to compute."""
        if not _steps(e):
            return [], e
        r = dataclasses.replace
        match e:
            case ast.RecvExpr(chan=c, loc=loc):
                t = self.temp()
                return [ast.Recv(t, None, c, loc)], ast.Name(t, loc)
            case ast.AtomicExpr(op=op, args=args, loc=loc):
                pre, args2 = self.args(args)
                t = self.temp()
                return [*pre, ast.AtomicCall(t, op, args2, loc)], ast.Name(t, loc)
            case ast.MethodExpr(obj=obj, method=m, args=args, loc=loc):
                pre, args2 = self.args(args)
                t = self.temp()
                return [*pre, ast.MethodValue(t, obj, m, args2, loc)], ast.Name(t, loc)
            case ast.CallExpr(args=args, loc=loc):
                pre, args2 = self.args(args)
                t = self.temp()
                return [*pre, ast.Assign(t, r(e, args=args2), loc)], ast.Name(t, loc)
            case ast.Unary(operand=o):
                pre, o2 = self.expr(o)
                return pre, r(e, operand=o2)
            case ast.Index(index=i):
                pre, i2 = self.expr(i)
                return pre, r(e, index=i2)
            case ast.Binary(op="&&" | "||" as op, left=a, right=b, loc=loc) if _steps(b):
                pre, a2 = self.expr(a)
                t = self.temp()
                pre.append(ast.Assign(t, ast.Binary("!=", a2, ast.IntLit(0, loc), loc), loc))
                pb, b2 = self.expr(b)
                # && goes on when the left is true, || when it is false
                guard = ast.Binary("!=" if op == "&&" else "==", ast.Name(t, loc), ast.IntLit(0, loc), loc)
                right = (*pb, ast.Assign(t, ast.Binary("!=", b2, ast.IntLit(0, loc), loc), loc))
                return [*pre, ast.If(guard, right, (), loc)], ast.Name(t, loc)
            case ast.Binary(left=a, right=b) if _steps(b):
                pre, a2 = self.pin(a)
                pb, b2 = self.expr(b)
                return pre + pb, r(e, left=a2, right=b2)
            case ast.Binary(left=a):
                pre, a2 = self.expr(a)
                return pre, r(e, left=a2)
        raise AssertionError(f"unexpected expression {e!r}")  # pragma: no cover

    def pin(self, e: ast.Expr) -> tuple[list[ast.Stmt], ast.Expr]:
        """``e`` computed now, into a temp, when it reads shared memory or calls."""
        pre, e2 = self.expr(e)
        if not any(isinstance(n, ast.CallExpr) or self._shared(n) for n in ast.walk(e2)):
            return pre, e2  # registers (and temps) only: nothing left to read
        t = self.temp()
        return [*pre, ast.Assign(t, e2, e.loc)], ast.Name(t, e.loc)

    def _shared(self, n: ast.Expr) -> bool:
        return isinstance(n, ast.Index) or (isinstance(n, ast.Name) and n.name in self.shared)
