"""Function literals, lifted to functions of their own before checking.

``go func(a int) { ... }(x)`` and ``defer func() { ... }()`` become a call
of a new function ``OWNER_funcN`` (Go names closures ``OWNER.funcN``), whose
parameters are the literal's, then what it captures. Go captures variables
by reference: a captured register of the enclosing body is passed as a
``*int`` (a channel variable: ``*chan T``) parameter and ``escapes`` (it lives in memory, where both bodies
read and write it, and where the race detector sees it); a captured channel
or sync parameter is passed on as itself. A name the literal uses that the
enclosing body never mentions is the literal's own register. A register
whose address an atomic call takes (``atomic.Add(&n, 1)``) lives in memory
too, as Go's escape analysis puts it on the heap.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from hbcheck.errors import HbError
from hbcheck.language import ast, types

REF = "*int"  # a captured int or bool: a pointer to the enclosing body's variable
_NOT_REGISTERS = frozenset({None, "_", "nil", "true", "false"})


def lift(test: ast.Test) -> ast.Test:
    """The test with every function literal lifted to a declared function."""
    globals_ = {d.name for d in test.decls}
    if not any(isinstance(n, ast.FuncLit) for n in ast.nodes(test.decls)) and not addressed(test.decls) - globals_:
        return test
    lifter = _Lifter(test)
    decls: list[ast.Decl] = []
    for d in test.decls:
        if isinstance(d, ast.GoDecl):
            body, escapes = lifter.body(d.name, d.body, {})
            decls.append(dataclasses.replace(d, body=body, escapes=escapes))
        elif isinstance(d, ast.FuncDecl) and d.go_sig:
            params = {q.name: q.type for q in d.params or ()}
            body, escapes = lifter.body(d.name, d.body, params)
            decls.append(dataclasses.replace(d, body=body, escapes=escapes))
        else:
            if isinstance(d, ast.FuncDecl):
                lit = next((n for n in ast.nodes(d.body) if isinstance(n, ast.FuncLit)), None)
                if lit is not None:
                    raise HbError(
                        f"a function literal needs a function with a Go signature around it: "
                        f"write 'func {d.name}() {{ ... }}' (the paren-less form runs on its caller's registers)",
                        lit.loc,
                    )
            decls.append(d)
    return dataclasses.replace(test, decls=(*decls, *lifter.lifted))


class _Lifter:
    def __init__(self, test: ast.Test):
        self.globals = {d.name for d in test.decls}
        self.shared_types = types.shared_types(test.decls)
        self.results = types.results(test.decls)
        self.taken = set(self.globals)
        self.lifted: list[ast.FuncDecl] = []

    def body(
        self, owner: str, body: tuple[ast.Stmt, ...], params: dict[str, str]
    ) -> tuple[tuple[ast.Stmt, ...], frozenset[str]]:
        """``body`` with its literals replaced by calls; the registers they capture."""
        # the body's own variables: its parameters, and the registers it names
        regs = {n for n in mentioned(body, into_literals=False) if n not in self.globals} - set(params)
        own = {n for n, typ in params.items() if typ in ("int", "bool")}
        escapes = addressed(body) & (regs | own)
        counter = [0]
        # the channel variables it declares: a literal captures one as a *chan T
        known = {**self.shared_types, **{n: t.lstrip("*") for n, t in params.items() if types.is_value(t.lstrip("*"))}}
        chans = types.local_types(body, known, self.results)

        values: dict[str, tuple[str, tuple[ast.Arg, ...]]] = {}  # f := func...: its function, its captures

        def lit_call(lit: ast.FuncLit, args: tuple[ast.Arg, ...]) -> tuple[str, tuple[ast.Arg, ...]]:
            lit = _called(lit, values)  # what it calls of the values before it captures what they capture
            own = {q.name for q in lit.params}
            free = mentioned(lit.body, into_literals=True) - own
            captured: list[ast.Param] = []
            for n in sorted(free):
                if n in params:
                    typ = params[n]
                    by_ref = typ in ("int", "bool") or types.is_slice(typ)  # a slice parameter may be re-assigned
                    ref = f"*{typ}" if types.is_slice(typ) else REF
                    captured.append(ast.Param(n, ref if by_ref else typ, lit.loc))
                    if by_ref:
                        escapes.add(n)
                elif n in regs:
                    captured.append(ast.Param(n, f"*{chans[n]}" if n in chans else REF, lit.loc))
                    escapes.add(n)
            name = self.name(owner, counter)
            inner = {q.name: q.type for q in (*lit.params, *captured)}
            lit_body, lit_escapes = self.body(name, lit.body, inner)
            self.lifted.append(
                ast.FuncDecl(
                    name,
                    None,
                    lit_body,
                    lit.loc,
                    (*lit.params, *captured),
                    lit.result,
                    closure_of=owner,
                    escapes=lit_escapes,
                )
            )
            return name, (*args, *(ast.Name(q.name, lit.loc) for q in captured))

        def stmts(ss: tuple[ast.Stmt, ...]) -> tuple[ast.Stmt, ...]:
            return tuple(x for x in (stmt(s) for s in ss) if x is not None)

        def stmt(s: ast.Stmt) -> ast.Stmt | None:
            r = dataclasses.replace
            if isinstance(s, ast.FuncValue):
                if s.name in values:  # (one of a top-level name is Go's shadowing: calls after it are its)
                    raise HbError(f"'{s.name}' is already a function value: a function value is assigned once", s.loc)
                values[s.name] = lit_call(s.lit, ())
                return None
            s = _called(s, values)
            match s:
                case ast.GoLit(lit=lit, args=args, loc=loc):
                    name, all_args = lit_call(lit, args)
                    return ast.GoStmt(name, all_args, loc)
                case ast.Defer(call=ast.LitCall(lit=lit, args=args, loc=cloc)):
                    name, all_args = lit_call(lit, args)
                    return r(s, call=ast.Call(name, all_args, cloc))
                case ast.If(then=then, orelse=orelse):
                    return r(s, then=stmts(then), orelse=stmts(orelse))
                case ast.ForConst(body=b) | ast.ForRange(body=b) | ast.ForCond(body=b):
                    return r(s, body=stmts(b))
                case ast.Select(cases=cases):
                    return r(s, cases=tuple(r(c, body=stmts(c.body)) for c in cases))
            return s

        out = stmts(body)
        misused = sorted(set(values) & mentioned(out, into_literals=True))
        if misused:
            f = misused[0]
            at = next((n.loc for n in ast.nodes(out) if _names(n, f)), None)
            raise HbError(
                f"'{f}' is a function value: it can be called, started with 'go' or deferred, "
                "not used as a value (passed, compared or assigned)",
                at,
            )
        return out, frozenset(escapes)

    def name(self, owner: str, counter: list[int]) -> str:
        while True:
            counter[0] += 1
            name = f"{owner}_func{counter[0]}"
            if name not in self.taken:
                self.taken.add(name)
                return name


def _called(x: Any, values: dict[str, tuple[str, tuple[ast.Arg, ...]]]) -> Any:
    """``x`` with each call of a function value (``f(a)``, ``go f(a)``,
    ``defer f(a)``, ``r = f(a)``) a call of its function, passing on what it
    captures after the arguments."""
    if not values:
        return x
    if isinstance(x, tuple):
        return tuple(_called(y, values) for y in x)
    if not dataclasses.is_dataclass(x) or isinstance(x, type):
        return x
    match x:
        case ast.Call(name=f, args=args) | ast.CallExpr(name=f, args=args) if f in values:
            name, captured = values[f]
            return dataclasses.replace(x, name=name, args=(*_called(args, values), *captured))
        case ast.GoStmt(func=f, args=args) if f in values:
            name, captured = values[f]
            return dataclasses.replace(x, func=name, args=(*_called(args, values), *captured))
        case ast.MethodCall(method="Do", args=(ast.Name(name=f) as arg,)) if f in values and not values[f][1]:
            return dataclasses.replace(x, args=(dataclasses.replace(arg, name=values[f][0]),))  # once.Do(f)
    changes = {}
    for fld in dataclasses.fields(x):
        if fld.name != "loc":
            old = getattr(x, fld.name)
            new = _called(old, values)
            if new is not old:
                changes[fld.name] = new
    return dataclasses.replace(x, **changes) if changes else x


def _names(node: object, name: str) -> bool:
    """Does ``node`` itself (not its children) name ``name``?"""
    match node:
        case ast.Name(name=n) | ast.ChanRef(name=n) | ast.AddrArg(name=n):
            return n == name
        case ast.Assign(target=t) | ast.AtomicCall(target=t) | ast.MethodValue(target=t):
            return t == name
        case ast.MethodCall(obj=o):
            return o == name
    return False


def addressed(x: object) -> set[str]:
    """The names whose address an atomic call in ``x`` takes, outside its function literals."""
    out: set[str] = set()

    def visit(y: object) -> None:
        if isinstance(y, tuple):
            for z in y:
                visit(z)
        elif dataclasses.is_dataclass(y) and not isinstance(y, type | ast.FuncLit):
            if isinstance(y, ast.AtomicCall | ast.AtomicExpr) and y.args and isinstance(y.args[0], ast.AddrArg):
                out.add(y.args[0].name)
            for f in dataclasses.fields(y):
                visit(getattr(y, f.name))

    visit(x)
    return out


def mentioned(x: object, into_literals: bool) -> set[str]:
    """Every variable name ``x`` reads or writes (channels and sync objects
    included); ``into_literals``: those of the function literals in it too."""
    out: set[str | None] = set()

    def visit(y: object) -> None:
        if isinstance(y, tuple):
            for z in y:
                visit(z)
            return
        if not dataclasses.is_dataclass(y) or isinstance(y, type):
            return
        match y:
            case ast.FuncLit() if not into_literals:
                return
            case ast.Name(name=n) | ast.ChanRef(name=n) | ast.AddrArg(name=n):
                out.add(n)
            case ast.Assign(target=t) | ast.AtomicCall(target=t) | ast.MethodValue(target=t):
                out.add(t)
            case ast.MapLookup(value=v, ok=ok, map=m):
                out.update((v, ok, m))
            case ast.Recv(value=v, ok=ok) | ast.RecvCase(value=v, ok=ok):
                out.update((v, ok))
            case ast.ForRange(var=v, value=w):
                out.update((v, w))
            case ast.ForConst(var=v):
                out.add(v)
            case ast.MethodCall(obj=o) | ast.Index(name=o) | ast.IndexAssign(name=o):
                out.add(o)
        for f in dataclasses.fields(y):
            if f.name != "loc":
                visit(getattr(y, f.name))

    visit(x)
    return {n for n in out if n not in _NOT_REGISTERS and n is not None and not n.startswith("$")}
