"""Which names hold channels or slices: the value types of a body's variables.

A register is an int unless its declaration (``:=`` or ``var``; a name
assigned without one is an int register) makes it a channel or a slice:
``c := make(chan int)``, ``var c chan int``, ``c := d`` of a channel, a
receive from a channel of channels, an element of a slice of channels, or a
call of a function that returns one; ``s := make([]int, n)``, ``var s
[]int``, ``t := append(s, 1)``. Go types a variable once, where it is declared; a body's registers
are one namespace (docs/language.md), so a name has one type per body. The
closure lifter needs this before checking (a captured channel variable is
passed as a ``*chan T``), and the checker after it.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from hbcheck.language import ast

ELEMS = ("int", "struct{}")


def is_chan(typ: str | None) -> bool:
    """``chan int``, ``chan struct{}``, or a channel of a channel type."""
    if typ is None or not typ.startswith("chan "):
        return False
    elem = typ[5:]
    return elem in ELEMS or is_chan(elem)


def is_slice(typ: str | None) -> bool:
    """``[]int`` or a slice of a channel type."""
    return typ is not None and typ.startswith("[]") and (typ[2:] == "int" or is_chan(typ[2:]))


MAP_TYPES = ("map[int]int", "map[int]bool")  # keys and values are registers' integers


def is_map(typ: str | None) -> bool:
    return typ in MAP_TYPES


def array_len(typ: str | None) -> int | None:
    """The length of array type ``[N]T`` (None: not an array type)."""
    m = re.fullmatch(r"\[(\d+)\](.+)", typ or "")
    return int(m.group(1)) if m else None


def is_value(typ: str | None) -> bool:
    """A type whose values a register holds as names (a channel, a slice header, a map)."""
    return is_chan(typ) or is_slice(typ) or is_map(typ)


def elem_of(typ: str) -> str:
    """The element type of channel or slice type ``typ``."""
    return typ[2:] if typ.startswith("[]") else typ[5:]


def expr_type(e: object, types: Mapping[str, str], results: Mapping[str, str | None]) -> str | None:
    """The channel or slice type of an expression, or None (an integer, a bool, or nil)."""
    match e:
        case ast.MakeChan(elem=elem):
            return f"chan {elem}"
        case ast.MakeSlice(elem=elem):
            return f"[]{elem}"
        case ast.MakeMap(type=typ):
            return typ
        case ast.Name(name=n):
            return types.get(n)
        case ast.CallExpr(name="append", args=(first, *_)):
            typ = expr_type(first, types, results)
            return typ if is_slice(typ) else None
        case ast.CallExpr(name=f) if is_value(results.get(f)):
            return results[f]
        case ast.RecvExpr(chan=ast.ChanRef(name=c)) if c is not None and is_chan(types.get(c)):
            elem = elem_of(types[c])
            return elem if is_chan(elem) else None
        case ast.Index(name=n) if is_slice(types.get(n)):
            elem = elem_of(types[n])
            return elem if is_chan(elem) else None
    return None


def local_types(
    body: tuple[ast.Stmt, ...], known: Mapping[str, str], results: Mapping[str, str | None]
) -> dict[str, str]:
    """The channel- and slice-typed variables ``body`` declares (not entering
    function literals), given the types of the names it sees (``known``:
    shared channels and slices, and parameters) and of what functions return."""
    out: dict[str, str] = {}
    types = dict(known)
    changed = True
    while changed:  # a declaration may name one declared after it in a loop's body
        changed = False
        for n in _nodes(body):
            name, typ = _declares(n, types, results)
            if name is not None and is_value(typ) and name not in known and out.get(name) != typ:
                if name in out:
                    continue  # a second type: the checker reports the assignment
                out[name] = types[name] = typ
                changed = True
    return out


def shared_types(decls: tuple[ast.Decl, ...]) -> dict[str, str]:
    """The channel and slice types of the shared variables."""
    out = {}
    for d in decls:
        if isinstance(d, ast.VarDecl):
            typ = d.type if d.make_elem is None else d.make_elem if d.made else f"chan {d.make_elem}"
            if is_value(typ):
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
    """The variable a statement gives a channel or slice type, and that type."""
    match n:
        case ast.Assign(target=t, type=typ) if typ is not None:
            return t, typ if is_value(typ) else None
        case ast.ForRange(value=str() as v, chan=ast.ChanRef(name=str() as c), decl=decl) if (
            (decl or v.startswith("$")) and is_slice(types.get(c)) and is_chan(elem_of(types[c]))
        ):
            return v, elem_of(types[c])
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
