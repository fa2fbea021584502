"""Which names hold channels: the channel types of a body's variables.

A register is an int unless its declaration (``:=`` or ``var``; a name
assigned without one is an int register) makes it a channel:
``c := make(chan int)``, ``var c chan int``, ``c := d`` of a channel, a
receive from a channel of channels, or a call of a function that returns a
channel. Go types a variable once, where it is declared; a body's registers
are one namespace (docs/language.md), so a name has one type per body. The
closure lifter needs this before checking (a captured channel variable is
passed as a ``*chan T``), and the checker after it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from hbcheck.language import ast

ELEMS = ("int", "struct{}")


def is_chan(typ: str | None) -> bool:
    """``chan int``, ``chan struct{}``, or a channel of a channel type."""
    if typ is None or not typ.startswith("chan "):
        return False
    elem = typ[5:]
    return elem in ELEMS or is_chan(elem)


def elem_of(typ: str) -> str:
    """The element type of channel type ``typ``."""
    return typ[5:]


def expr_type(e: object, types: Mapping[str, str], results: Mapping[str, str | None]) -> str | None:
    """The channel type of an expression, or None (an integer, a bool, or nil)."""
    match e:
        case ast.MakeChan(elem=elem):
            return f"chan {elem}"
        case ast.Name(name=n):
            return types.get(n)
        case ast.CallExpr(name=f) if is_chan(results.get(f)):
            return results[f]
        case ast.RecvExpr(chan=ast.ChanRef(name=c)) if c is not None and is_chan(types.get(c)):
            elem = elem_of(types[c])
            return elem if is_chan(elem) else None
    return None


def local_types(
    body: tuple[ast.Stmt, ...], known: Mapping[str, str], results: Mapping[str, str | None]
) -> dict[str, str]:
    """The channel-typed variables ``body`` declares (not entering function
    literals), given the channel types of the names it sees (``known``:
    shared channels and parameters) and of what functions return."""
    out: dict[str, str] = {}
    types = dict(known)
    changed = True
    while changed:  # a declaration may name one declared after it in a loop's body
        changed = False
        for n in _nodes(body):
            name, typ = _declares(n, types, results)
            if name is not None and typ is not None and name not in known and out.get(name) != typ:
                if name in out:
                    continue  # a second type: the checker reports the assignment
                out[name] = types[name] = typ
                changed = True
    return out


def shared_types(decls: tuple[ast.Decl, ...]) -> dict[str, str]:
    """The channel types of the shared variables."""
    out = {}
    for d in decls:
        if isinstance(d, ast.VarDecl):
            typ = f"chan {d.make_elem}" if d.make_elem is not None else d.type
            if is_chan(typ):
                out[d.name] = typ
    return out


def results(decls: tuple[ast.Decl, ...]) -> dict[str, str | None]:
    """Each declared function's result type."""
    return {d.name: d.result for d in decls if isinstance(d, ast.FuncDecl)}


def _nodes(x: object):
    """``ast.nodes`` without entering function literals (their variables are their own)."""
    if isinstance(x, ast.FuncLit):
        return
    yield x
    if isinstance(x, tuple):
        for y in x:
            yield from _nodes(y)
    elif dataclasses.is_dataclass(x):
        for f in dataclasses.fields(x):
            yield from _nodes(getattr(x, f.name))


def _declares(n: object, types: Mapping[str, str], results: Mapping[str, str | None]) -> tuple[str | None, str | None]:
    """The variable a statement gives a channel type, and that type."""
    match n:
        case ast.Assign(target=t, type=typ) if typ is not None:
            return t, typ if is_chan(typ) else None
        case ast.Assign(target=t, value=v, decl=decl) if decl or t.startswith("$"):
            return t, expr_type(v, types, results)
        case (
            ast.Recv(value=v, chan=ast.ChanRef(name=c), decl=decl)
            | ast.RecvCase(value=v, chan=ast.ChanRef(name=c), decl=decl)
            | ast.ForRange(var=v, chan=ast.ChanRef(name=c), decl=decl)
        ) if v is not None and (decl or v.startswith("$")) and c is not None and is_chan(types.get(c)):
            elem = elem_of(types[c])
            return v, elem if is_chan(elem) else None
    return None, None
