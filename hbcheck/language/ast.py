"""The typed syntax tree of a .lit file.

One frozen, slotted dataclass per construct, grouped into unions per
category (``Expr``, ``Stmt``, ``Decl``), each node carrying its ``loc``.
Names are not resolved here: ``check`` decides whether ``x`` is a shared
variable or a register.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from hbcheck.errors import Loc

# ---- expressions ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IntLit:
    value: int
    loc: Loc


@dataclass(frozen=True, slots=True)
class Name:
    """A shared variable or a register, decided by the checker."""

    name: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class UnitLit:
    """``struct{}{}``: the value sent on a ``chan struct{}`` (it reads as 0)."""

    loc: Loc


@dataclass(frozen=True, slots=True)
class ProcReg:
    """``P:r`` in a condition: register ``r`` of goroutine instance ``P``."""

    proc: str
    reg: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "!" or "-"
    operand: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Expr
    right: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class CallExpr:
    """``f(a, b)`` inside an expression: a call of a function with a result."""

    name: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class RecvExpr:
    """``<-c`` inside an expression (``desugar.py`` hoists it into a receive statement)."""

    chan: ChanRef
    loc: Loc


@dataclass(frozen=True, slots=True)
class Index:
    """``a[i]``: an element of a shared array (each element a location of its own)."""

    name: str
    index: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class AtomicExpr:
    """``atomic.OP(&x, ...)`` inside an expression (hoisted like a receive)."""

    op: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class MethodExpr:
    """``obj.M(args)`` inside an expression: ``rand.Intn(n)`` (hoisted into a ``MethodValue``)."""

    obj: str
    method: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class MakeChan:
    """``make(chan T[, N])`` in a body: a new channel each time it runs (``elem`` is T)."""

    elem: str
    cap: Expr | None
    loc: Loc


@dataclass(frozen=True, slots=True)
class MakeMap:
    """``make(map[K]V[, hint])`` in a body (only shared maps are declared so far: the checker refuses it)."""

    type: str
    hint: Expr | None
    loc: Loc


@dataclass(frozen=True, slots=True)
class MakeSlice:
    """``make([]T, len[, cap])`` in a body: a new backing array each time it runs."""

    elem: str
    len: Expr
    cap: Expr | None
    loc: Loc


Expr = (
    IntLit
    | UnitLit
    | Name
    | ProcReg
    | Unary
    | Binary
    | CallExpr
    | RecvExpr
    | AtomicExpr
    | MethodExpr
    | Index
    | MakeChan
    | MakeMap
    | MakeSlice
)


@dataclass(frozen=True, slots=True)
class StrArg:
    text: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class AddrArg:
    name: str
    loc: Loc


Arg = Expr | StrArg | AddrArg


@dataclass(frozen=True, slots=True)
class ChanRef:
    """A channel operand: a declared name, or ``None`` for the literal ``nil``."""

    name: str | None
    loc: Loc


# ---- statements ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Assign:
    """``x = EXPR``, ``x := EXPR``, or ``var x T [= EXPR]`` (``type`` T; without
    a value, the parser gives T's zero value: 0, false or nil)."""

    target: str
    value: Expr
    loc: Loc
    decl: bool = False  # written with ':=' (a closure's captured variable is new here)
    type: str | None = None


@dataclass(frozen=True, slots=True)
class IndexAssign:
    """``a[i] = EXPR``: the index, then the value, evaluated left to right; then the bounds check and the write."""

    name: str
    index: Expr
    value: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Recv:
    """``<-c``, ``v = <-c`` or ``v, ok = <-c`` (``_`` discards)."""

    value: str | None
    ok: str | None
    chan: ChanRef
    loc: Loc
    decl: bool = False  # written with ':=' (a closure's captured variable is new here)


@dataclass(frozen=True, slots=True)
class MapLookup:
    """``v, ok = m[k]`` (``_`` discards): the value, and whether the key is present."""

    value: str | None
    ok: str | None
    map: str
    key: Expr
    loc: Loc
    decl: bool = False


@dataclass(frozen=True, slots=True)
class Send:
    chan: ChanRef
    value: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Call:
    """``F()``, ``close(c)``, ``panic("text")``: resolved by the checker."""

    name: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class GoStmt:
    func: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class MethodCall:
    """``mu.Lock()``, ``wg.Add(N)``, ``once.Do(F)``..."""

    obj: str
    method: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class MethodValue:
    """``target = obj.M(args)``: ``r = rand.Intn(3)``, a choice of 0, 1 or 2 (each one an execution)."""

    target: str | None
    obj: str
    method: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class AtomicCall:
    """``atomic.OP(&x, ...)``, as a statement (target None) or assigned."""

    target: str | None
    op: str
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class If:
    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class ForConst:
    """``for i := A; i < B; i++ { }``: constant bounds, not unrolled."""

    var: str
    start: int
    stop: int
    body: tuple[Stmt, ...]
    loc: Loc
    decl: bool = False  # written with ':=' (a closure's captured variable is new here)


@dataclass(frozen=True, slots=True)
class ForRange:
    """``for v := range c`` over a channel; over a map ``for k[, v] := range m`` (``value``: v)."""

    var: str
    chan: ChanRef
    body: tuple[Stmt, ...]
    loc: Loc
    decl: bool = False  # written with ':=' (a closure's captured variable is new here)
    value: str | None = None


@dataclass(frozen=True, slots=True)
class ForCond:
    """``for COND { }`` or ``for { }`` (cond None): unrolled up to the bound."""

    cond: Expr | None
    body: tuple[Stmt, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Break:
    loc: Loc


@dataclass(frozen=True, slots=True)
class Continue:
    loc: Loc


@dataclass(frozen=True, slots=True)
class RecvCase:
    value: str | None
    ok: str | None
    chan: ChanRef
    body: tuple[Stmt, ...]
    loc: Loc
    decl: bool = False  # written with ':=' (a closure's captured variable is new here)


@dataclass(frozen=True, slots=True)
class SendCase:
    chan: ChanRef
    value: Expr
    body: tuple[Stmt, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class DefaultCase:
    body: tuple[Stmt, ...]
    loc: Loc


Case = RecvCase | SendCase | DefaultCase


@dataclass(frozen=True, slots=True)
class Select:
    cases: tuple[Case, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Assert:
    cond: Expr
    loc: Loc


@dataclass(frozen=True, slots=True)
class Return:
    """``return`` or ``return EXPR``."""

    value: Expr | None
    loc: Loc


@dataclass(frozen=True, slots=True)
class FuncLit:
    """A function literal ``func(PARAMS) { BODY }``: a closure over the
    registers of the body it is written in (``closures.py`` lifts it)."""

    params: tuple[Param, ...]
    body: tuple[Stmt, ...]
    loc: Loc
    result: str | None = None


@dataclass(frozen=True, slots=True)
class FuncValue:
    """``f := func(...) { ... }``: a function value, called, started or
    deferred by name later in the body (``closures.py`` lifts it)."""

    name: str
    lit: FuncLit
    loc: Loc


@dataclass(frozen=True, slots=True)
class LitCall:
    """``func(...) { ... }(ARGS)``, as ``defer`` takes it."""

    lit: FuncLit
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class GoLit:
    """``go func(...) { ... }(ARGS)``."""

    lit: FuncLit
    args: tuple[Arg, ...]
    loc: Loc


@dataclass(frozen=True, slots=True)
class Defer:
    """``defer CALL``: the call's arguments now, the call when the function returns or panics."""

    call: Call | MethodCall | LitCall
    loc: Loc


Stmt = (
    Assign
    | Recv
    | Send
    | Call
    | GoStmt
    | MethodCall
    | AtomicCall
    | If
    | ForConst
    | ForRange
    | ForCond
    | Break
    | Continue
    | Select
    | Assert
    | Return
    | Defer
    | MethodValue
    | GoLit
    | FuncValue
    | IndexAssign
    | MapLookup
)

# ---- declarations --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VarDecl:
    """``var NAME [TYPE] [= INIT]``; ``type`` is e.g. ``int``, ``chan int``, ``sync.Mutex``.

    ``make_cap`` is set for ``make(chan T[, N])`` (0 when N is omitted).
    """

    name: str
    type: str | None
    init: int | None
    make_elem: str | None
    make_cap: int | None
    loc: Loc
    made: bool = False  # ``make(map[K]V[, hint])``: ``make_elem`` is the map's type, ``make_cap`` the hint;
    # ``make([]T, len[, cap])``: ``make_elem`` is the slice's type, ``make_len`` and ``make_cap`` its sizes
    make_len: int | None = None


@dataclass(frozen=True, slots=True)
class Param:
    """A parameter: ``type`` is ``int``, ``bool``, ``chan int``, ``chan struct{}`` or ``*sync.X``."""

    name: str
    type: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class FuncDecl:
    """``params`` None: the paren-less form ``func NAME { }``, which runs on its
    caller's registers; a tuple: a Go signature, whose frame has its own."""

    name: str
    frame: int | None
    body: tuple[Stmt, ...]
    loc: Loc
    params: tuple[Param, ...] | None = None
    result: str | None = None
    # a lifted function literal: the body it was written in
    closure_of: str | None = None
    # registers a closure captures: they live in memory, one location per declaration
    escapes: frozenset[str] = frozenset()

    @property
    def go_sig(self) -> bool:
        return self.params is not None


@dataclass(frozen=True, slots=True)
class GoDecl:
    name: str
    body: tuple[Stmt, ...]
    loc: Loc
    escapes: frozenset[str] = frozenset()


Decl = VarDecl | FuncDecl | GoDecl


@dataclass(frozen=True, slots=True)
class Condition:
    kind: str  # "exists", "~exists" or "forall"
    expr: Expr
    text: str  # as written, for reports
    loc: Loc


@dataclass(frozen=True, slots=True)
class Expect:
    """``expect never`` (finding None) or ``expect [no|always] FINDING ["text"]``."""

    quantifier: str  # "some", "no", "always"; for observations: the observation
    finding: str | None
    text: str | None
    source: str  # the line as written
    loc: Loc


@dataclass(frozen=True, slots=True)
class Description:
    text: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Test:
    name: str
    description: str | None
    decls: tuple[Decl, ...]
    condition: Condition | None
    expects: tuple[Expect, ...]
    file: str
    source: str
    go_version: tuple[int, int] | None = None  # ``go 1.21``: that version's loop variables


def nodes(x: object):
    """Every AST node under ``x`` (statements, cases, expressions), parents first."""
    yield x
    if dataclasses.is_dataclass(x):
        for f in dataclasses.fields(x):
            yield from nodes(getattr(x, f.name))
    elif isinstance(x, tuple):
        for y in x:
            yield from nodes(y)


def walk(e: Expr):
    """Every node of an expression, parents first."""
    yield e
    if isinstance(e, Unary):
        yield from walk(e.operand)
    elif isinstance(e, Binary):
        yield from walk(e.left)
        yield from walk(e.right)
    elif isinstance(e, CallExpr | AtomicExpr | MethodExpr):
        for a in e.args:
            if not isinstance(a, StrArg | AddrArg):
                yield from walk(a)
    elif isinstance(e, Index):
        yield from walk(e.index)
    elif isinstance(e, MakeChan) and e.cap is not None:
        yield from walk(e.cap)
    elif isinstance(e, MakeMap) and e.hint is not None:
        yield from walk(e.hint)
    elif isinstance(e, MakeSlice):
        yield from walk(e.len)
        if e.cap is not None:
            yield from walk(e.cap)
