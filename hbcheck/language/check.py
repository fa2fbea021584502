"""Resolve names and reject what the language does not allow (docs/language.md).

The result is a ``Program``: the AST plus its symbol tables. Every rejection
is an ``HbError`` at the offending node, so the user sees file:line:col.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from hbcheck.errors import HbError, Loc
from hbcheck.language import ast, types

BUILTINS = frozenset(
    {"close", "panic", "recover", "atomic", "make", "nil", "true", "false", "len", "cap", "range"}
    | {"delete", "map", "append"}
)
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
    "array": "an array",
    "map": "a map",
    "slice": "a slice",
}
MAP_TYPES = types.MAP_TYPES
MAX_ARRAY = 64  # elements: each one a location of its own
# a Go signature's parameter types: values are ints and bools (0 or 1) in
# registers; channels and sync objects are bound to a declared one at the call
PARAM_TYPES = {
    "int": "int",
    "bool": "int",
    "chan int": "chan",
    "chan struct{}": "chan",
    "*sync.Mutex": "mutex",
    "*sync.WaitGroup": "wg",
    "*sync.Once": "once",
    "*int": "ref",  # a variable a function literal captured (closures.py): its location
}
RESULT_TYPES = ("int", "bool", "chan T", "[]T", "map[int]T")


def param_kind(typ: str) -> str | None:
    """What a parameter of type ``typ`` is: int (ints and bools), chan, slice (a
    header, passed as a value), a sync kind, or ref (a variable a literal
    captured: ``*int``, ``*chan T``, ``*[]T``); None: unknown."""
    if typ in PARAM_TYPES:
        return PARAM_TYPES[typ]
    if types.is_chan(typ):
        return "chan"
    if types.is_slice(typ):
        return "slice"
    if types.is_map(typ):
        return "map"
    if typ.startswith("*") and types.is_value(typ[1:]):
        return "ref"
    return None


MAX_CHOICE = 64  # rand.Intn(n): n executions per call


def _earlier(kept: Loc | None, loc: Loc) -> Loc:
    """The first of two places in the file's order."""
    return loc if kept is None or (loc.line, loc.col) < (kept.line, kept.col) else kept


ANY_CHANNEL = "*"  # in ``closed_channels``: a channel value is closed, so any channel may be
_INSTANCE = re.compile(r"^(?P<base>[A-Za-z_][A-Za-z0-9_]*)(#(?P<n>[0-9]+))?$")


# runtime/chan.go makechan: elemsize * size must not pass maxAlloc - hchanSize
# (maxAlloc is 1 << 48 on 64-bit Linux, hchanSize 96 bytes): ints are 8 bytes
MAX_INT_CHAN_CAP = ((1 << 48) - 96) // 8


@dataclass(frozen=True, slots=True)
class SharedVar:
    """A declared shared object. ``cap`` is None for a nil channel."""

    name: str
    kind: str  # "int", "chan", "mutex", "wg", "once", "array", "map", "slice"
    init: int = 0
    cap: int | None = None
    loc: Loc | None = None
    elem: str = "int"  # a channel's element type: "int", "struct{}" or a channel type; a map's type


@dataclass(slots=True)
class Program:
    """A checked test: the AST and what its names mean."""

    test: ast.Test
    shared: dict[str, SharedVar]
    funcs: dict[str, ast.FuncDecl]
    goroutines: tuple[ast.GoDecl, ...]
    registers: dict[str, frozenset[str]] = field(default_factory=dict)
    spawned: frozenset[str] = frozenset()
    # per function with a Go signature: the registers of its frame (parameters,
    # what it assigns, what its paren-less callees assign)
    frame_regs: dict[str, frozenset[str]] = field(default_factory=dict)
    # shared channel variables some statement assigns: locations holding a channel
    dynamic: frozenset[str] = frozenset()
    # per body (goroutine or function): its variables of a channel type, and that type
    chan_types: dict[str, dict[str, str]] = field(default_factory=dict)
    # where a channel is first used as a value (made, stored, passed, compared,
    # measured): None when every channel operation names a declared channel
    chan_value: Loc | None = None
    # where a slice first appears (a declaration, a make, a parameter or result
    # type): None when the test has no slice; a map likewise
    slice_at: Loc | None = None
    # may two names hold one backing array (a slice copied, passed or returned)?
    slice_aliases: bool = False
    map_at: Loc | None = None
    # is a map a value somewhere (a map variable of a body, a parameter or result)?
    map_values: bool = False
    # where a statement first assigns a shared channel variable (``dynamic``)
    dynamic_at: Loc | None = None
    # per body (goroutine or function): its local arrays ('var a [N]int') and
    # their lengths; each element is a register of its own (``a[0]``, ...)
    local_arrays: dict[str, dict[str, int]] = field(default_factory=dict)

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

    def obj_params(self, func: str) -> dict[str, str]:
        """A Go-signature function's channel and sync parameters, by name: their kind."""
        params = self.funcs[func].params if func in self.funcs else None
        kinds = {q.name: param_kind(q.type) for q in params or ()}
        return {n: k for n, k in kinds.items() if k not in ("int", "ref", "slice", "map", None)}

    def bodies(self):
        """Every body with the channel and sync parameters in its scope."""
        for g in self.goroutines:
            yield g.body, {}
        for f in self.funcs.values():
            yield f.body, self.obj_params(f.name)

    @property
    def closed_channels(self) -> frozenset[str]:
        """Declared channels some ``close`` statement names (who may panic on a
        close); a close of a channel parameter may close any declared channel,
        and one of a channel value any channel at all (``ANY_CHANNEL``)."""
        out: set[str] = set()
        for body, params in self.bodies():
            for n in ast.nodes(body):
                if isinstance(n, ast.Call) and n.name == "close" and n.args:
                    name = getattr(n.args[0], "name", None)
                    if name in params:
                        out |= {c for c, v in self.shared.items() if v.kind == "chan"} | {ANY_CHANNEL}
                    elif name in self.shared and name not in self.dynamic:
                        out.add(name)
                    elif name != "nil":
                        out.add(ANY_CHANNEL)
        return frozenset(out)

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

    def is_element(self, name: str) -> bool:
        """Is ``name`` an element of a declared array (``a[2]``)?"""
        array, _, rest = name.partition("[")
        var = self.shared.get(array)
        return var is not None and var.kind == "array" and rest[:-1].isdigit() and int(rest[:-1]) < (var.cap or 0)

    def shared_waitgroups(self) -> frozenset[str]:
        """The wait groups whose Waits and Adds of a positive (or unknown) delta
        are not all one top-level goroutine's (its own code, or functions it
        calls): only those can show Go's WaitGroup misuse (the race the detector
        reports between a first Add and a waiting Wait, and the runtime's two
        misuse panics), which needs the two in different goroutines. Over-approximate:
        a goroutine a ``go`` starts always counts as another."""
        owners: dict[str, set[str]] = {}  # a function -> who runs it
        work = [(g.name, g.body, "") for g in self.goroutines]
        sites: dict[str, set[str]] = {}  # a wait group -> who Waits or Adds more on it
        adds: set[str] = set()
        waits: set[str] = set()
        every = [n for n, v in self.shared.items() if v.kind == "wg"]
        while work:
            who, body, func = work.pop()
            params = self.obj_params(func) if func else {}
            for n in ast.nodes(body):
                match n:
                    case (
                        ast.Call(name=f) | ast.CallExpr(name=f) | ast.MethodCall(method="Do", args=(ast.Name(name=f),))
                    ) if f in self.funcs:
                        if who not in owners.setdefault(f, set()):
                            owners[f].add(who)
                            work.append((who, self.funcs[f].body, f))
                    case ast.GoStmt(func=f) if f in self.funcs:
                        spawned = f"go {f}"
                        if spawned not in owners.setdefault(f, set()):
                            owners[f].add(spawned)
                            work.append((spawned, self.funcs[f].body, f))
                    case ast.MethodCall(obj=w, method="Wait" | "Add" as m, args=args):
                        if m == "Add" and _at_most_zero(args[0]):
                            continue
                        # a wait group parameter may be any of them: each counts as shared
                        for obj, owner in [(x, "go param") for x in every] if w in params else [(w, who)]:
                            sites.setdefault(obj, set()).add(owner)
                            (waits if m == "Wait" else adds).add(obj)
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
        # while checking a Go-signature function: it, and its parameters' kinds
        self.cur: ast.FuncDecl | None = None
        self.scope: dict[str, str] = {}
        # the body's registers that live in memory (closures.py): captured, or atomically addressed
        self.in_memory: frozenset[str] = frozenset()
        # the channel types of the names the body sees: its parameters and variables, the shared channels
        self.ctypes: dict[str, str] = {}
        self.chan_types: dict[str, dict[str, str]] = {}
        self.dynamic: set[str] = set()
        self.chan_value: Loc | None = None
        self.dynamic_at: Loc | None = None
        self.arrays: dict[str, int] = {}  # the local arrays of the body being checked
        self.local_arrays: dict[str, dict[str, int]] = {}

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
                if types.is_chan(self.shared[decl.name].elem):  # a channel of channels
                    self._used_as_value(decl.loc)
            elif isinstance(decl, ast.FuncDecl):
                if decl.name == "main":
                    raise HbError("declare the main goroutine as 'func main() { ... }' or 'go main { ... }'", decl.loc)
                if decl.frame is not None and decl.frame <= 0:
                    raise HbError("a frame size must be a positive number of bytes", decl.loc)
                self._signature(decl)
                self.funcs[decl.name] = decl
            else:
                self.goroutines.append(decl)
        if not self.goroutines:
            raise HbError("the test declares no goroutine ('go NAME { ... }')", Loc(self.test.file, 1, 1))
        self.shared_ctypes = types.shared_types(self.test.decls)
        self.results = {f.name: f.result for f in self.funcs.values()}
        for g in self.goroutines:
            self.in_memory = g.escapes
            self._types(g.name, g.body, {})
            self._body(g.name, g.body)
        for f in self.funcs.values():
            self.cur = f if f.go_sig else None
            # a captured variable is an int (or a channel) where the literal uses it
            self.scope = {q.name: _value_kind(q.type) for q in f.params or ()}
            self.in_memory = f.escapes | {q.name for q in f.params or () if param_kind(q.type) == "ref"}
            self._types(f.name, f.body, {q.name: q.type.lstrip("*") for q in f.params or ()})
            self._body(f.name, f.body)
            values = ("int", "slice", "map")
            self.assigned[f.name] |= {q.name for q in f.params or () if _value_kind(q.type) in values}
            if f.result is not None and not _terminates(f.body):
                raise HbError(f"missing return at the end of '{f.name}' (it returns {f.result})", f.loc)
        self.cur, self.scope, self.arrays = None, {}, {}
        self._no_recursive_ranges()
        registers = {g.name: frozenset(self._reach_regs(g.name)) for g in self.goroutines}
        for name in self.spawned:
            registers[name] = frozenset(self._reach_regs(name))
        frame_regs = {f.name: frozenset(self._reach_regs(f.name)) for f in self.funcs.values() if f.go_sig}
        program = Program(
            self.test,
            self.shared,
            self.funcs,
            tuple(self.goroutines),
            registers,
            frozenset(self.spawned),
            frame_regs,
            frozenset(self.dynamic),
            self.chan_types,
            self.chan_value,
            _first_of(self.test, types.is_slice),
            self._slice_aliases(),
            _first_of(self.test, types.is_map),
            any(types.is_map(t) for body in self.chan_types.values() for t in body.values()),
            self.dynamic_at,
            self.local_arrays,
        )
        self._condition(program)
        self._expects(program)
        return program

    def _slice_aliases(self) -> bool:
        """A slice variable of a body, a slice parameter or result, or a shared
        slice assigned anything but ``make``, nil or an append to itself."""
        if any(types.is_slice(t) for body in self.chan_types.values() for t in body.values()):
            return True
        if any(types.is_slice(f.result) for f in self.funcs.values()):
            return True
        for n in ast.nodes(self.test.decls):
            if isinstance(n, ast.Assign) and n.target in self.shared and self.shared[n.target].kind == "slice":
                match n.value:
                    case ast.MakeSlice() | ast.Name(name="nil"):
                        pass
                    case ast.CallExpr(name="append", args=(ast.Name(name=first), *_)) if first == n.target:
                        pass
                    case _:
                        return True
        return False

    def _no_recursive_ranges(self) -> None:
        """A range over a map or a slice keeps its place in hidden registers; a
        function without a signature shares its caller's registers, so one that
        may call itself would share them with its own outer loop: refused."""
        import networkx as nx

        plain = {n for n, f in self.funcs.items() if not f.go_sig}
        calls = nx.DiGraph((a, b) for a in plain for b in self.callees.get(a, ()) if b in plain)
        cyclic = {
            n for comp in nx.strongly_connected_components(calls) for n in comp if calls.has_edge(n, n) or len(comp) > 1
        }
        for name in sorted(cyclic):
            for n in ast.nodes(self.funcs[name].body):
                if (
                    isinstance(n, ast.ForRange)
                    and n.chan.name is not None
                    and (self._is_map(n.chan.name) or self._is_slice(n.chan.name))
                ):
                    raise HbError(
                        f"a range over '{n.chan.name}' in '{name}', a function without a signature that may call "
                        f"itself: it would share its caller's registers, the loop's place included; declare it "
                        f"with a signature ('func {name}() {{ ... }}')",
                        n.loc,
                    )

    def _types(self, owner: str, body: tuple[ast.Stmt, ...], params: dict[str, str]) -> None:
        """The channel types of what ``owner``'s body sees; its channel
        variables (and captured ones, ``*chan T``) are kept for the compiler."""
        chans = {n: t for n, t in params.items() if types.is_value(t)}
        known = {**self.shared_ctypes, **chans}
        local = types.local_types(body, known, self.results)
        self.ctypes = {**known, **local}
        captured = self.funcs[owner].params if owner in self.funcs else None
        refs = {q.name: q.type[1:] for q in captured or () if q.type.startswith("*") and types.is_value(q.type[1:])}
        slices = {n: t for n, t in params.items() if types.is_slice(t) or types.is_map(t)}  # registers, as ints are
        self.chan_types[owner] = {**local, **refs, **slices}
        self.arrays = self.local_arrays[owner] = self._local_arrays(body)

    def _local_arrays(self, body: tuple[ast.Stmt, ...]) -> dict[str, int]:
        """The arrays ``body`` declares ('var a [N]int'): each element a register."""
        out: dict[str, int] = {}
        for n in types._nodes(body):
            if not isinstance(n, ast.Assign) or n.type is None or types.array_len(n.type) is None:
                continue
            length, elem = types.array_len(n.type), n.type.split("]", 1)[1]
            assert length is not None
            if elem != "int":
                raise HbError(f"unsupported array element type '{elem}' (arrays of int)", n.loc)
            if length > MAX_ARRAY:
                raise HbError(f"an array of {length} elements: hbcheck keeps arrays to {MAX_ARRAY}", n.loc)
            if n.target in self.shared:
                raise HbError(f"the local array '{n.target}' shadows the shared variable '{n.target}'", n.loc)
            if n.target in self.in_memory:
                raise HbError(
                    f"the local array '{n.target}' is captured by a function literal, which is not supported yet: "
                    "declare it shared ('var NAME [N]int' at the top level)",
                    n.loc,
                )
            if out.setdefault(n.target, length) != length or n.target in self.scope:
                raise HbError(f"'{n.target}' redeclared with another type in this body", n.loc)
        return out

    def _used_as_value(self, loc: Loc) -> None:
        """Keep the first place, in the file's order, where a channel is a value."""
        self.chan_value = _earlier(self.chan_value, loc)

    # ---- declarations
    def _signature(self, f: ast.FuncDecl) -> None:
        seen: set[str] = set()
        for q in f.params or ():
            if param_kind(q.type) is None or (param_kind(q.type) == "ref" and f.closure_of is None):
                known = ", ".join(t for t in PARAM_TYPES if t != "*int")
                raise HbError(
                    f"unsupported parameter type '{q.type}' (known: {known}, chan chan int, []int, []chan int...)",
                    q.loc,
                )
            if q.name in seen:
                raise HbError(f"duplicate parameter '{q.name}'", q.loc)
            if q.name in BUILTINS:
                raise HbError(f"'{q.name}' is predeclared and cannot name a parameter", q.loc)
            seen.add(q.name)
        if f.result is not None and f.result not in RESULT_TYPES and not types.is_value(f.result):
            raise HbError(f"unsupported result type '{f.result}' (int, bool, a channel or a slice type)", f.loc)

    def _var(self, d: ast.VarDecl) -> SharedVar:
        typ = d.type
        if (d.made and (d.make_elem or "").startswith("[]")) or (typ is not None and typ.startswith("[]")):
            return self._slice(d)
        if d.made or (typ is not None and typ.startswith("map[")):
            return self._map(d)
        if d.make_elem is not None:
            if not types.is_chan(f"chan {d.make_elem}"):
                raise HbError(
                    f"unsupported channel element type '{d.make_elem}' (int, struct{{}} or a channel type)", d.loc
                )
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
            if not types.is_chan(typ):
                raise HbError(
                    f"unsupported channel element type '{typ[5:]}' (int, struct{{}} or a channel type)", d.loc
                )
            return SharedVar(d.name, "chan", 0, None, d.loc, typ[5:])
        if typ in SYNC_TYPES:
            return SharedVar(d.name, SYNC_TYPES[typ], 0, None, d.loc)
        if typ.startswith("["):
            length, elem = typ[1:].split("]")
            if elem != "int":
                raise HbError(f"unsupported array element type '{elem}' (arrays of int)", d.loc)
            if int(length) > MAX_ARRAY:
                raise HbError(f"an array of {length} elements: hbcheck keeps arrays to {MAX_ARRAY}", d.loc)
            return SharedVar(d.name, "array", 0, int(length), d.loc)
        raise HbError(
            f"unknown type '{typ}' (expected int, [N]int, chan int, sync.Mutex, sync.WaitGroup or sync.Once)", d.loc
        )

    def _map(self, d: ast.VarDecl) -> SharedVar:
        """``var m = make(map[K]V[, hint])`` (``cap`` 1: made) or ``var m map[K]V`` (nil)."""
        typ = d.make_elem if d.made else d.type
        assert typ is not None
        if typ not in MAP_TYPES:
            raise HbError(f"unsupported map type '{typ}' ({' or '.join(MAP_TYPES)})", d.loc)
        if d.made and d.type not in (None, typ):
            raise HbError(f"cannot initialise '{d.name}' of type {d.type} with make({typ})", d.loc)
        if not d.made and d.make_elem is not None:  # make(chan T) for a map
            raise HbError(f"cannot initialise '{d.name}' of type {typ} with make(chan {d.make_elem})", d.loc)
        if d.made and d.make_cap is not None and d.make_cap < 0:
            raise HbError(f"invalid argument: negative size argument in make({typ}, {d.make_cap})", d.loc)
        if d.init is not None:
            raise HbError(f"cannot initialise '{d.name}' of type {typ} with an integer", d.loc)
        return SharedVar(d.name, "map", 0, 1 if d.made else None, d.loc, typ)

    def _slice(self, d: ast.VarDecl) -> SharedVar:
        """``var s = make([]int, len[, cap])`` (``init`` the length, ``cap`` the
        capacity) or ``var s []int`` (nil: ``cap`` None)."""
        typ = d.make_elem if d.made else d.type
        assert typ is not None
        if not types.is_slice(typ):
            raise HbError(f"unsupported slice type '{typ}' (slices of int or of a channel type)", d.loc)
        if d.made and d.type not in (None, typ):
            raise HbError(f"cannot initialise '{d.name}' of type {d.type} with make({typ})", d.loc)
        if d.init is not None:
            raise HbError(f"cannot initialise '{d.name}' of type {typ} with an integer", d.loc)
        if not d.made and d.make_elem is not None:  # make(chan T) for a slice
            raise HbError(f"cannot initialise '{d.name}' of type {typ} with make(chan {d.make_elem})", d.loc)
        if not d.made:
            return SharedVar(d.name, "slice", 0, None, d.loc, typ)
        n, c = d.make_len or 0, d.make_cap if d.make_cap is not None else d.make_len or 0
        if n < 0 or c < 0:
            raise HbError(f"invalid argument: negative size in make({typ}, {n}, {c})", d.loc)
        if n > c:
            raise HbError(f"invalid argument: length and capacity swapped in make({typ}, {n}, {c})", d.loc)
        if c > MAX_INT_CHAN_CAP:
            raise HbError(f"make({typ}, {n}, {c}) panics in Go: makeslice: cap out of range", d.loc)
        return SharedVar(d.name, "slice", n, c, d.loc, typ)

    def _shared_kind(self, name: str) -> str | None:
        """The kind of the shared object ``name`` names here (None: a local, a parameter, or nothing)."""
        local = name in self.scope or (name in self.ctypes and name not in self.shared_ctypes)
        var = None if local else self.shared.get(name)
        return None if var is None else var.kind

    def _is_slice(self, name: str) -> bool:
        """A shared slice, a slice parameter or a slice variable of the body."""
        return types.is_slice(self.ctypes.get(name))

    def _slice_expr(self, e: ast.Arg, want: str, what: str) -> None:
        """``e`` is a slice of type ``want`` (or nil), for ``what``: a slice
        variable, ``make``, ``append`` or a call that returns one."""
        elem = types.elem_of(want)
        match e:
            case ast.Name(name="nil"):
                return
            case ast.Name() | ast.CallExpr() if self._typed_value(e, want, what):
                return
            case ast.MakeSlice(elem=got, len=n, cap=c):
                if f"[]{got}" != want:
                    raise HbError(f"cannot use make([]{got}) as {want} in {what}", e.loc)
                if not types.is_slice(want):  # pragma: no cover - the grammar's element types
                    raise HbError(f"unsupported slice type '{want}'", e.loc)
                for x in (n, c):
                    if x is not None:
                        self.expr(x)
                ks = [_constant(x) if x is not None else None for x in (n, c)]
                if any(k is not None and k < 0 for k in ks):
                    raise HbError(f"invalid argument: negative size in make({want}, ...)", e.loc)
                if ks[0] is not None and ks[1] is not None and ks[0] > ks[1]:
                    raise HbError(f"invalid argument: length and capacity swapped in make({want}, ...)", e.loc)
                return
            case ast.CallExpr(name="append", args=args):
                if not args:
                    raise HbError("not enough arguments for append(): it takes a slice", e.loc)
                self._slice_expr(args[0], want, what)
                if isinstance(args[0], ast.Name) and args[0].name == "nil":
                    raise HbError("first argument to append must be a typed slice; have untyped nil", args[0].loc)
                for a in args[1:]:
                    if types.is_chan(elem):
                        self._chan_expr(a, elem, f"append to a {want}")
                    elif isinstance(a, ast.StrArg | ast.AddrArg) or self._chan_type(a) is not None:
                        raise HbError(f"cannot use {self._show(a)} as {elem} in append to a {want}", a.loc)
                    else:
                        self.expr(a)
                return
        raise HbError(f"cannot use {self._show(e)} as {want} in {what}", e.loc)

    def _map_name(self, name: str, loc: Loc, what: str) -> None:
        """``name`` is a map, for ``what``."""
        if not self._is_map(name):
            known = "not a map" if name in self.shared or name in self.scope or name in self.ctypes else "undeclared"
            raise HbError(f"'{name}' is {known}: {what} needs a map ('{name} := make(map[int]int)')", loc)

    def _map_expr(self, e: ast.Arg, want: str, what: str) -> None:
        """``e`` is a map of type ``want`` (or nil), for ``what``."""
        match e:
            case ast.Name(name="nil"):
                return
            case ast.Name() | ast.CallExpr() if self._typed_value(e, want, what):
                return
            case ast.MakeMap(type=got, hint=hint):
                if got != want:
                    raise HbError(f"cannot use make({got}) as {want} in {what}", e.loc)
                if hint is not None:
                    self.expr(hint)
                    k = _constant(hint)
                    if k is not None and k < 0:
                        raise HbError(f"invalid argument: negative size argument in make({got}, {k})", hint.loc)
                return
        raise HbError(f"cannot use {self._show(e)} as {want} in {what}", e.loc)

    # ---- bodies
    def _body(self, owner: str, body: tuple[ast.Stmt, ...]) -> None:
        self._owner = owner
        self.assigned.setdefault(owner, set())
        self.callees.setdefault(owner, set())
        self._stmts(owner, body, in_loop=False)

    def _stmts(self, owner: str, body: tuple[ast.Stmt, ...], in_loop: bool, in_select: bool = False) -> None:
        for s in body:
            self._stmt(owner, s, in_loop, in_select)

    def _target(self, owner: str, name: str | None, loc: Loc, chan: bool = False) -> None:
        """``name`` may be assigned (``chan``: a channel value, checked already)."""
        if name is None:
            return
        if name in BUILTINS:
            raise HbError(f"cannot assign to '{name}'", loc)
        if name in self.funcs or any(g.name == name for g in self.goroutines):
            raise HbError(f"cannot assign to '{name}': it is a function or goroutine", loc)
        if name in self.scope:
            settable = self._ptype(name).startswith("*") or self.scope[name] in ("slice", "map")
            if self.scope[name] != "int" and not (chan and settable):
                raise HbError(f"cannot assign to '{name}': it is a parameter of type {self._ptype(name)}", loc)
            self.assigned[owner].add(name)
            return
        var = self.shared.get(name)
        if var is not None:
            if var.kind == "chan" and chan:
                self.dynamic.add(name)
                self._used_as_value(loc)
                self.dynamic_at = _earlier(self.dynamic_at, loc)
                return
            if var.kind == "slice" and chan:
                return
            if var.kind != "int":
                raise HbError(f"cannot assign to '{name}': it is {KIND_NAMES[var.kind]}", loc)
            return
        if name in self.ctypes and not chan:
            raise HbError(f"cannot assign an integer to '{name}': it is a {self.ctypes[name]}", loc)
        self.assigned[owner].add(name)

    def _ptype(self, name: str) -> str:
        assert self.cur is not None and self.cur.params is not None
        return next(q.type for q in self.cur.params if q.name == name)

    def _elem(self, ref: ast.ChanRef) -> str:
        if ref.name is None:
            return "int"
        return types.elem_of(self.ctypes[ref.name])

    def _send_value(self, ref: ast.ChanRef, value: ast.Expr) -> None:
        elem = self._elem(ref)
        if elem == "struct{}":
            if not isinstance(value, ast.UnitLit):
                raise HbError(f"'{ref.name}' is a chan struct{{}}: send struct{{}}{{}}", value.loc)
        elif types.is_chan(elem):
            self._chan_expr(value, elem, f"send on '{ref.name}'")
        else:
            self.expr(value)

    def _recv_value(self, ref: ast.ChanRef, target: str | None, loc: Loc) -> None:
        elem = self._elem(ref)
        if target is not None and elem == "struct{}":
            raise HbError(
                f"'{ref.name}' is a chan struct{{}}: its values cannot be stored; receive with <-{ref.name} "
                "or _, ok = <-" + str(ref.name),
                loc,
            )
        if target is None or target == "_":
            return
        got = self.ctypes.get(target)
        if types.is_chan(elem) and got != elem:
            raise HbError(f"cannot receive a {elem} from '{ref.name}' into '{target}' ({got or 'an integer'})", loc)
        if not types.is_chan(elem) and got is not None:
            raise HbError(f"cannot receive an integer from '{ref.name}' into '{target}': it is a {got}", loc)

    def _chan_expr(self, e: ast.Arg, want: str, what: str) -> None:
        """``e`` is a channel of type ``want`` (or nil), for ``what``."""
        self._used_as_value(e.loc)
        match e:
            case ast.Name(name="nil"):
                return
            case ast.Name() | ast.CallExpr() if self._typed_value(e, want, what):
                return
            case ast.MakeChan(elem=elem):
                self._make(e)
                if f"chan {elem}" != want:
                    raise HbError(f"cannot use make(chan {elem}) as {want} in {what}", e.loc)
                return
            case ast.Index(name=n, index=i) if self._is_slice(n):
                self._index(n, i, e.loc)
                got = types.elem_of(self.ctypes[n])
                if got != want:
                    raise HbError(f"cannot use {n}[...] ({got}) as {want} in {what}", e.loc)
                return
        raise HbError(f"cannot use {self._show(e)} as {want} in {what}: pass a channel or nil", e.loc)

    def _typed_value(self, e: ast.Arg, want: str, what: str) -> bool:
        """A variable or a call's result of type ``want``, for ``what``: checked
        here (False: ``e`` is another form, for the caller)."""
        match e:
            case ast.Name(name=n) if n in self.ctypes:
                if self.ctypes[n] != want:
                    raise HbError(f"cannot use {n} ({self.ctypes[n]}) as {want} in {what}", e.loc)
                return True
            case ast.CallExpr(name=f, args=args) if f in self.funcs:
                self._invoke(self._owner, f, args, e.loc, value=True)
                got = self.funcs[f].result
                if got != want:
                    raise HbError(f"cannot use {f}(...) ({got or 'no value'}) as {want} in {what}", e.loc)
                return True
        return False

    def _make(self, e: ast.MakeChan) -> None:
        """``make(chan T[, N])`` in a body: a known element type and an integer
        capacity (a negative constant is Go's compile error)."""
        self._used_as_value(e.loc)
        if not types.is_chan(f"chan {e.elem}"):
            raise HbError(f"unsupported channel element type '{e.elem}' (int, struct{{}} or a channel type)", e.loc)
        if e.cap is not None:
            self.expr(e.cap)
            k = _constant(e.cap)
            if k is not None and k < 0:
                raise HbError(f"invalid argument: negative buffer argument in make(chan {e.elem}, {k})", e.cap.loc)
            if k is not None and e.elem == "int" and k > MAX_INT_CHAN_CAP:
                raise HbError(f"make(chan int, {k}) panics in Go: makechan: size out of range", e.cap.loc)

    def _chan_compare(self, e: ast.Binary) -> bool:
        """``a == b`` or ``a != b`` of channels (or a channel and nil): checked here."""
        sides = (e.left, e.right)
        if any(isinstance(x, ast.CallExpr) and x.name == "recover" for x in sides):
            return False  # recover() != nil: the caller's
        typed = [self._chan_type(x) for x in sides]
        nils = [isinstance(x, ast.Name) and x.name == "nil" for x in sides]
        if not any(typed) and not any(nils):
            return False
        if all(nils):
            raise HbError("invalid operation: nil == nil (operator not defined on nil)", e.loc)
        want = next(t for t in typed if t is not None) if any(typed) else None
        if want is None:  # nil against something that is not a channel
            other = sides[nils.index(False)]
            raise HbError(f"cannot compare {self._show(other)} with nil: only channels and slices are nil", other.loc)
        if types.is_slice(want) or types.is_map(want):
            if not any(nils):
                raise HbError(f"invalid operation: {want} can only be compared to nil", e.loc)
            other = sides[nils.index(False)]
            (self._slice_expr if types.is_slice(want) else self._map_expr)(other, want, "a comparison")
            return True
        for x in sides:
            self._chan_expr(x, want, "a comparison")
        return True

    def _chan_type(self, e: ast.Expr) -> str | None:
        return types.expr_type(e, self.ctypes, self.results)

    def _chan(self, ref: ast.ChanRef) -> None:
        if ref.name is None:
            return
        if ref.name in self.ctypes and not types.is_chan(self.ctypes[ref.name]):
            raise HbError(f"'{ref.name}' is a {self.ctypes[ref.name]}, not a channel", ref.loc)
        if ref.name in self.ctypes:
            if ref.name in self.chan_types.get(self._owner, {}) or ref.name in self.dynamic:
                self._used_as_value(ref.loc)
            return
        if ref.name in self.scope:
            if self.scope[ref.name] != "chan":
                raise HbError(f"'{ref.name}' is a parameter of type {self._ptype(ref.name)}, not a channel", ref.loc)
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
        if isinstance(e, ast.RecvExpr | ast.AtomicExpr | ast.MethodExpr):  # elsewhere desugar.py hoisted them
            what = {ast.RecvExpr: "receive", ast.AtomicExpr: "call atomics"}.get(type(e), "call methods")
            raise HbError(f"a condition cannot {what}: it reads the final state", e.loc)
        if isinstance(e, ast.MakeChan):
            if not types.is_chan(f"chan {e.elem}"):
                raise HbError(f"unsupported channel element type '{e.elem}' (int, struct{{}} or a channel type)", e.loc)
            raise HbError(f"make(chan {e.elem}) is a channel, not an integer", e.loc)
        if isinstance(e, ast.MakeSlice):
            raise HbError(f"make([]{e.elem}, ...) is a slice, not an integer", e.loc)
        if isinstance(e, ast.CallExpr) and e.name == "append":
            if e.args and isinstance(e.args[0], ast.Name) and e.args[0].name == "nil":
                raise HbError("first argument to append must be a typed slice; have untyped nil", e.args[0].loc)
            raise HbError("append(...) is a slice, not an integer", e.loc)
        if isinstance(e, ast.MakeMap):
            if e.type not in MAP_TYPES:
                raise HbError(f"unsupported map type '{e.type}' ({' or '.join(MAP_TYPES)})", e.loc)
            raise HbError(f"make({e.type}) is a map, not an integer", e.loc)
        if isinstance(e, ast.CallExpr):
            if in_condition:
                raise HbError("a condition cannot call a function", e.loc)
            if e.name in ("len", "cap"):
                self._len(e)
                return
            if e.name == "recover":
                raise HbError(
                    "recover()'s value can only be compared with nil here: 'if recover() != nil { ... }'", e.loc
                )
            self._invoke(self._owner, e.name, e.args, e.loc, value=True)
            return
        if isinstance(e, ast.Binary) and e.op in ("==", "!=") and not in_condition and self._chan_compare(e):
            return
        if isinstance(e, ast.Binary) and e.op in ("==", "!=") and not in_condition:
            call = next((x for x in (e.left, e.right) if isinstance(x, ast.CallExpr) and x.name == "recover"), None)
            if call is not None:
                other = e.right if call is e.left else e.left
                if not (isinstance(other, ast.Name) and other.name == "nil"):
                    raise HbError("recover() is compared only with nil: 'recover() != nil'", other.loc)
                self._no_recover_args(call.args)
                return
        if isinstance(e, ast.Name):
            if e.name == "nil":
                raise HbError("nil is not an integer", e.loc)
            if e.name in self.arrays and not in_condition:
                raise HbError(f"'{e.name}' is an array ([{self.arrays[e.name]}]int), not an integer: index it", e.loc)
            if e.name in self.ctypes and e.name not in self.shared and e.name not in self.scope:
                raise HbError(f"'{e.name}' is a {self.ctypes[e.name]}, not an integer", e.loc)
            if e.name in self.scope:
                if self.scope[e.name] != "int":
                    raise HbError(f"'{e.name}' is a parameter of type {self._ptype(e.name)}, not an integer", e.loc)
                return
            var = self.shared.get(e.name)
            if var is not None and var.kind != "int":
                raise HbError(f"'{e.name}' is {KIND_NAMES[var.kind]}, not an integer", e.loc)
            if e.name in self.funcs or any(g.name == e.name for g in self.goroutines):
                raise HbError(f"'{e.name}' is a function or goroutine, not an integer", e.loc)
            if in_condition and var is None:
                raise HbError(f"'{e.name}' is not a shared variable; name a register as PROC:{e.name}", e.loc)
            return
        if isinstance(e, ast.Index):
            self._index(e.name, e.index, e.loc, in_condition)
            if self._is_slice(e.name) and self.ctypes[e.name] != "[]int":
                raise HbError(f"'{e.name}[...]' is a {types.elem_of(self.ctypes[e.name])}, not an integer", e.loc)
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

    def _len(self, e: ast.CallExpr) -> None:
        """``len(c)`` (the values buffered now) or ``cap(c)`` of a channel."""
        if len(e.args) != 1:
            raise HbError(f"{e.name} takes exactly 1 argument, got {len(e.args)}", e.loc)
        arg = e.args[0]
        if isinstance(arg, ast.Name) and arg.name == "nil":
            raise HbError(f"invalid argument: nil for built-in {e.name} (use a typed channel)", arg.loc)
        if isinstance(arg, ast.Name) and (self._is_slice(arg.name) or arg.name in self.arrays):
            return
        if types.is_slice(self._chan_type(arg)):
            raise HbError(f"{e.name} of a slice expression: assign the slice to a variable first", arg.loc)
        if isinstance(arg, ast.Name) and self._is_map(arg.name):
            if e.name == "cap":
                raise HbError(f"invalid argument: {arg.name} ({self.ctypes[arg.name]}) for built-in cap", arg.loc)
            return
        if types.is_map(self._chan_type(arg)):
            raise HbError(f"{e.name} of a map expression: assign the map to a variable first", arg.loc)
        typ = self._chan_type(arg) if not isinstance(arg, ast.StrArg | ast.AddrArg) else None
        if typ is None:
            raise HbError(
                f"invalid argument: {self._show(arg)} for built-in {e.name}: it takes a channel, a slice or a map",
                arg.loc,
            )
        self._chan_expr(arg, typ, e.name)

    def _is_map(self, name: str) -> bool:
        """A shared map, a map parameter or a map variable of the body."""
        return types.is_map(self.ctypes.get(name))

    def _index(self, name: str, index: ast.Expr, loc: Loc, in_condition: bool = False) -> None:
        """``name[index]``: an array, an integer index, a constant one in bounds (Go's compile-time
        check); or a map's entry, any integer key (not in a condition: a map is not in the final state)."""
        if self._is_map(name) or self._is_slice(name):
            if in_condition:
                what = "map" if self._is_map(name) else "slice"
                raise HbError(f"a condition cannot read the {what} '{name}': read it into a register", loc)
            self.expr(index)
            return
        if name in self.arrays and not in_condition:  # a local array: registers
            self.expr(index)
            k = _constant(index)
            if k is not None and not 0 <= k < self.arrays[name]:
                raise HbError(f"invalid argument: index {k} out of bounds [0:{self.arrays[name]}]", index.loc)
            return
        var = None if name in self.scope else self.shared.get(name)
        if in_condition and var is None and any(name in arrays for arrays in self.local_arrays.values()):
            raise HbError(f"a condition cannot read the local array '{name}': copy the element into a register", loc)
        if var is None or var.kind != "array":
            what = "undeclared" if var is None and name not in self.scope else "not an array"
            raise HbError(f"'{name}' is {what}: only a declared array ('var {name} [N]int') is indexed", loc)
        self.expr(index, in_condition)
        k = _constant(index)
        if in_condition and k is None:
            raise HbError("a condition indexes an array with a constant", index.loc)
        assert var.cap is not None
        if k is not None and not 0 <= k < var.cap:
            raise HbError(f"invalid argument: index {k} out of bounds [0:{var.cap}]", index.loc)

    def _func(self, name: str, loc: Loc, what: str) -> None:
        if name in self.funcs:
            return
        if any(g.name == name for g in self.goroutines):
            raise HbError(
                f"'{name}' is a goroutine ('go {name} {{ }}'); {what} needs a function declared with 'func'",
                loc,
            )
        raise HbError(f"undefined function '{name}'", loc)

    @staticmethod
    def _no_recover_args(args: tuple[ast.Arg, ...]) -> None:
        if args:
            raise HbError(f"too many arguments to recover: it takes none, got {len(args)}", args[0].loc)

    def _no_args(self, args: tuple[ast.Arg, ...], what: str, loc: Loc) -> None:
        if args:
            raise HbError(
                f"{what} takes no arguments (a function without parentheses has no parameters: "
                "declare them as in Go, 'func f(a int) { }')",
                args[0].loc if args else loc,
            )

    def _stmt(self, owner: str, s: ast.Stmt, in_loop: bool, in_select: bool) -> None:
        match s:
            case ast.Assign(target=t, value=v, loc=loc, type=typ) if (typ is None and self._is_slice(t)) or (
                types.is_slice(typ)
            ):
                self._slice_expr(v, self.ctypes[t], f"assignment to '{t}'")
                self._target(owner, t, loc, chan=True)
            case ast.Assign(target=t, value=v, loc=loc, type=typ) if (typ is None and self._is_map(t)) or (
                types.is_map(typ)
            ):
                self._map_expr(v, self.ctypes[t], f"assignment to '{t}'")
                self._target(owner, t, loc, chan=True)
            case ast.Assign(type=typ) if types.array_len(typ) is not None:
                return  # zeroed (``_local_arrays`` checked it)
            case ast.Assign(target=t, loc=loc) if t in self.arrays:
                raise HbError(f"cannot assign to the array '{t}' as a whole: assign its elements ('{t}[i] = v')", loc)
            case ast.Assign(target=t, value=v, loc=loc, type=typ):
                if typ is not None and typ not in ("int", "bool") and not types.is_chan(typ):
                    raise HbError(
                        f"unsupported local type '{typ}' (int, bool, [N]int, a channel, slice or map type)", loc
                    )
                want = self.ctypes.get(t)
                if want is not None and (t in self.chan_types[owner] or t in self.shared or t in self.scope):
                    self._target(owner, t, loc, chan=True)
                    self._chan_expr(v, want, f"assignment to '{t}'")
                else:
                    self.expr(v)
                    self._target(owner, t, loc)
            case ast.IndexAssign(name=a, index=i, value=v, loc=loc):
                self._index(a, i, loc)
                elem = types.elem_of(self.ctypes[a]) if self._is_slice(a) else "int"
                if types.is_chan(elem):
                    self._chan_expr(v, elem, f"assignment to an element of '{a}'")
                else:
                    self.expr(v)
            case ast.Recv(value=v, ok=ok, chan=c, loc=loc):
                self._chan(c)
                self._recv_value(c, v, loc)
                self._target(owner, v, loc, chan=types.is_chan(self._elem(c)))
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
                self._invoke(owner, f, args, loc, value=False, spawn=True)
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
            case ast.ForRange(var=var, chan=ast.ChanRef(name=str() as m), value=value, body=body, loc=loc) if (
                self._is_map(m) or self._is_slice(m)
            ):
                chans = self._is_slice(m) and types.is_chan(types.elem_of(self.ctypes[m]))
                self._target(owner, None if var == "_" else var, loc)
                self._target(owner, None if value == "_" else value, loc, chan=chans)
                self._stmts(owner, body, True)
            case ast.ForRange(var=var, chan=ast.ChanRef(name=str() as a), value=value, body=body, loc=loc) if (
                a in self.arrays
            ):
                self._target(owner, None if var == "_" else var, loc)
                self._target(owner, None if value in (None, "_") else value, loc)
                self._stmts(owner, body, True)
            case ast.ForRange(value=str(), loc=loc):
                raise HbError("range over a channel permits only one iteration variable", loc)
            case ast.MapLookup(value=v, ok=ok, map=m, key=k, loc=loc):
                self._map_name(m, loc, "'v, ok := m[k]'")
                self.expr(k)
                self._target(owner, v, loc)
                self._target(owner, ok, loc)
            case ast.ForRange(var=var, chan=c, body=body, loc=loc):
                self._chan(c)
                self._recv_value(c, None if var == "_" else var, loc)
                self._target(owner, None if var == "_" else var, loc, chan=types.is_chan(self._elem(c)))
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
                        self._target(owner, case.value, case.loc, chan=types.is_chan(self._elem(case.chan)))
                        self._target(owner, case.ok, case.loc)
                    elif isinstance(case, ast.SendCase):
                        self._chan(case.chan)
                        self._send_value(case.chan, case.value)
                    self._stmts(owner, case.body, in_loop, True)
            case ast.Assert(cond=c):
                self.expr(c)
            case ast.Return(value=v, loc=loc):
                self._return(v, loc)
            case ast.MethodValue(target=t, obj=obj, method=m, args=args, loc=loc):
                if obj != "rand" or m != "Intn" or obj in self.shared:
                    raise HbError(f"'{obj}.{m}(...)' has no value here (rand.Intn(n) is the one method with one)", loc)
                if len(args) != 1 or not isinstance(args[0], ast.IntLit) or not 1 <= args[0].value <= MAX_CHOICE:
                    raise HbError(
                        f"rand.Intn takes one constant from 1 to {MAX_CHOICE}: "
                        "each value it may return is an execution",
                        args[0].loc if args else loc,
                    )
                self._target(owner, t, loc)
            case ast.Defer(call=ast.MethodValue(loc=loc)):
                raise HbError("defer rand.Intn(...) chooses a value nobody sees: write rand.Intn(n) without defer", loc)
            case ast.Defer(call=ast.MethodCall() as m):
                self._method(owner, m)
            case ast.Defer(call=c):
                self._call(owner, c)
            case _:  # pragma: no cover - the parser builds only the cases above
                raise HbError(f"unknown statement {type(s).__name__}", s.loc)

    def _call(self, owner: str, s: ast.Call) -> None:
        if s.name == "delete":
            if len(s.args) != 2:
                raise HbError(f"delete takes exactly 2 arguments (a map and a key), got {len(s.args)}", s.loc)
            m, k = s.args
            if not isinstance(m, ast.Name) or isinstance(k, ast.StrArg | ast.AddrArg):
                raise HbError("delete needs a map and an integer key: delete(m, k)", s.loc)
            self._map_name(m.name, m.loc, "delete")
            self.expr(k)
            return
        if s.name == "close":
            if len(s.args) != 1:
                raise HbError(f"close takes exactly 1 argument, got {len(s.args)}", s.loc)
            arg = s.args[0]
            if not isinstance(arg, ast.Name):
                raise HbError("close needs a channel", arg.loc)
            if arg.name != "nil":
                self._chan(ast.ChanRef(arg.name, arg.loc))
            return
        if s.name == "recover":
            self._no_recover_args(s.args)
            return
        if s.name == "panic":
            if len(s.args) != 1 or not isinstance(s.args[0], ast.StrArg):
                raise HbError('panic takes one string: panic("text")', s.loc)
            return
        if s.name in self.shared:
            raise HbError(f"cannot call '{s.name}': it is {KIND_NAMES[self.shared[s.name].kind]}", s.loc)
        self._func(s.name, s.loc, "a call")
        self._invoke(owner, s.name, s.args, s.loc, value=False)

    def _return(self, v: ast.Expr | None, loc: Loc) -> None:
        f = self.cur
        if f is None or f.result is None:
            if v is not None:
                where = f"'{f.name}' has no result" if f is not None else "only a function with a result returns one"
                raise HbError(f"too many return values: {where}", v.loc)
            return
        if v is None:
            raise HbError(f"not enough return values: '{f.name}' returns {f.result}", loc)
        if types.is_chan(f.result):
            self._chan_expr(v, f.result, f"return value of '{f.name}'")
            return
        if types.is_slice(f.result):
            self._slice_expr(v, f.result, f"return value of '{f.name}'")
            return
        if types.is_map(f.result):
            self._map_expr(v, f.result, f"return value of '{f.name}'")
            return
        self.expr(v)
        self._typed(v, f.result, f"return value of '{f.name}'")

    def _typed(self, e: ast.Expr, want: str, what: str) -> None:
        """ints and bools are both registers' integers; what is plainly the other is an error."""
        got = self._value_type(e)
        if got is not None and got != want:
            raise HbError(f"cannot use {got} as {want} in {what}", e.loc)

    def _value_type(self, e: ast.Expr) -> str | None:
        match e:
            case ast.Binary(op=op) if op in ("==", "!=", "<", "<=", ">", ">=", "&&", "||"):
                return "bool"
            case ast.Unary(op="!"):
                return "bool"
            case ast.Binary() | ast.Unary():
                return "int"
            case ast.CallExpr(name=f) if f in self.funcs:
                return self.funcs[f].result
            case ast.Name(name=n) if n in self.scope and self.cur is not None:
                typ = self._ptype(n)
                return None if param_kind(typ) == "ref" else typ  # a captured int or bool reads as its value
        return None

    def _invoke(
        self, owner: str, name: str, args: tuple[ast.Arg, ...], loc: Loc, value: bool, spawn: bool = False
    ) -> None:
        """A call (``value``: inside an expression) or a ``go`` of a declared function:
        arity and argument types against its signature."""
        self._func(name, loc, "a call")
        f = self.funcs[name]
        self.callees[owner].add(name)
        if not f.go_sig:
            if value:
                raise HbError(f"'{name}' has no result: it cannot be used as a value", loc)
            self._no_args(args, f"'{name}'", loc)
            return
        if value and f.result is None:
            raise HbError(f"'{name}()' has no result: it cannot be used as a value", loc)
        params = f.params or ()
        if len(args) != len(params):
            many = "not enough" if len(args) < len(params) else "too many"
            want = ", ".join(q.type for q in params)
            raise HbError(f"{many} arguments in call to '{name}': it takes ({want}), got {len(args)}", loc)
        for q, a in zip(params, args, strict=True):
            self._arg(name, q, a)

    def _arg(self, func: str, q: ast.Param, a: ast.Arg) -> None:
        kind = param_kind(q.type)
        what = f"argument '{q.name}' of '{func}'"
        if kind == "ref":  # closures.py passes the captured variable itself
            assert isinstance(a, ast.Name)
            return
        if kind == "int":
            if isinstance(a, ast.StrArg | ast.AddrArg) or (isinstance(a, ast.Name) and self._kind(a.name) != "int"):
                raise HbError(f"cannot use {self._show(a)} as {q.type} in {what}", a.loc)
            self.expr(a)
            self._typed(a, q.type, what)
        elif kind == "slice":
            self._slice_expr(a, q.type, what)
        elif kind == "map":
            self._map_expr(a, q.type, what)
        elif kind == "chan":
            if isinstance(a, ast.Name) and a.name not in self.ctypes and a.name != "nil":
                raise HbError(f"cannot use {self._show(a)} as {q.type} in {what}: pass a channel or nil", a.loc)
            if isinstance(a, ast.Name) and a.name in self.ctypes and not self._static(a.name):
                self._used_as_value(a.loc)
            if isinstance(a, ast.Name):
                if a.name != "nil" and self.ctypes[a.name] != q.type:
                    raise HbError(f"cannot use {self._show(a)} as {q.type} in {what}", a.loc)
            else:
                self._chan_expr(a, q.type, what)
        else:
            name = a.name if isinstance(a, ast.AddrArg) else None
            if isinstance(a, ast.Name) and a.name in self.scope:
                name = a.name  # a pointer parameter passed on
            elif isinstance(a, ast.AddrArg) and a.name in self.scope:
                name = None  # &p of a pointer parameter: a pointer to a pointer
            if name is None or self._kind(name) != kind:
                raise HbError(f"cannot use {self._show(a)} as {q.type} in {what}", a.loc)

    def _static(self, name: str) -> bool:
        """A channel name that always stands for one declared channel (or nil)."""
        return (name in self.shared and name not in self.dynamic) or (
            name in self.scope and not self._ptype(name).startswith("*")
        )

    def _kind(self, name: str) -> str | None:
        """What a name in the current scope is: int, chan, mutex, wg, once, or None (a function)."""
        if name == "nil" or name in self.ctypes:
            return "slice" if self._is_slice(name) else "map" if self._is_map(name) else "chan"
        if name in self.scope:
            return self.scope[name]
        var = self.shared.get(name)
        if var is not None:
            return var.kind
        if name in self.funcs or any(g.name == name for g in self.goroutines):
            return None
        return "int"  # a register

    def _show(self, a: ast.Arg) -> str:
        match a:
            case ast.StrArg():
                return "a string"
            case ast.AddrArg(name=n):
                return f"&{n} ({self._describe(n, pointer=True)})"
            case ast.Name(name=n) if self._kind(n) != "int":
                return f"{n} ({self._describe(n)})"
            case ast.MakeChan(elem=elem):
                return f"make(chan {elem})"
            case ast.CallExpr(name=f) if f in self.funcs and self.funcs[f].result is not None:
                return f"{f}(...) ({self.funcs[f].result})"
        return "an integer"

    def _describe(self, name: str, pointer: bool = False) -> str:
        if name in self.scope and self.cur is not None:
            return f"a parameter of type {self._ptype(name)}"
        var = self.shared.get(name)
        if var is None and name in self.ctypes:
            return f"a {self.ctypes[name]}"
        if var is None:
            return "nil" if name == "nil" else "not a declared object"
        what = KIND_NAMES[var.kind]
        return f"a pointer to {what}" if pointer else what

    def _method(self, owner: str, s: ast.MethodCall) -> None:
        var = self.shared.get(s.obj)
        if s.obj in self.scope:
            if self.scope[s.obj] == "int":
                var = SharedVar(s.obj, "int")
            elif self.scope[s.obj] == "chan":
                var = SharedVar(s.obj, "chan")
            else:
                var = SharedVar(s.obj, self.scope[s.obj])
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
            f = self.funcs[arg.name]
            if f.params or f.result is not None:
                raise HbError(f"{s.obj}.Do needs a func(): '{arg.name}' has parameters or a result", arg.loc)
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
        if addr.name in self.ctypes and addr.name not in self.shared and addr.name not in self.scope:
            what = f"a {self.ctypes[addr.name]}"
            raise HbError(f"atomic.{s.op} needs an integer variable; '{addr.name}' is {what}", addr.loc)
        if addr.name not in self.in_memory:  # else a register in memory (closures.py): an int
            self._atomic_var(owner, s.op, addr)
        for arg in s.args[1:]:
            if isinstance(arg, ast.StrArg | ast.AddrArg):
                raise HbError(f"atomic.{s.op} needs an integer here", arg.loc)
            self.expr(arg)
        if s.op == "Store" and s.target is not None:
            raise HbError("atomic.Store returns no value", s.loc)
        self._target(owner, s.target, s.loc)

    def _atomic_var(self, owner: str, op: str, addr: ast.AddrArg) -> None:
        """``&x`` names a shared integer variable (a register in memory is another's case)."""
        if addr.name in self.scope:
            what = f"a parameter of type {self._ptype(addr.name)}"
        elif addr.name in self.shared:
            var = self.shared[addr.name]
            if var.kind == "int":
                return
            what = KIND_NAMES[var.kind]
        elif owner in self.funcs and not self.funcs[owner].go_sig:
            what = (
                f"a register of '{owner}', which runs on its caller's registers: give it a Go signature "
                f"('func {owner}() {{ ... }}') to take a local variable's address"
            )
        else:
            what = "undeclared"
        raise HbError(f"atomic.{op} needs an integer variable; '{addr.name}' is {what}", addr.loc)

    def _reach_regs(self, start: str) -> set[str]:
        regs: set[str] = set()
        todo, seen = [start], set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            regs |= self.assigned.get(name, set())
            # a Go-signature callee has registers of its own
            todo.extend(c for c in self.callees.get(name, ()) if not self.funcs[c].go_sig)
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
                if node.reg in self.chan_types.get(base, {}):
                    typ = self.chan_types[base][node.reg]
                    raise HbError(f"'{node.proc}:{node.reg}' is a {typ}: a condition reads integers", node.loc)

    def _expects(self, program: Program) -> None:
        for e in self.test.expects:
            if e.finding is None and self.test.condition is None:
                raise HbError(f"'expect {e.quantifier}' needs a condition (exists, ~exists or forall)", e.loc)
            if e.finding == "leak" and not program.has_main:
                raise HbError("'leak' needs a 'main' goroutine: without one every goroutine runs to completion", e.loc)


def _constant(e: ast.Expr) -> int | None:
    """An index written as a constant (``3``, ``-1``), else None."""
    match e:
        case ast.IntLit(value=v):
            return v
        case ast.Unary(op="-", operand=ast.IntLit(value=v)):
            return -v
    return None


def _value_kind(typ: str) -> str:
    """What a parameter of type ``typ`` is inside its function: a captured
    variable (``*int``) reads and writes as an int."""
    kind = param_kind(typ)
    assert kind is not None
    if kind == "ref":
        return "chan" if types.is_chan(typ[1:]) else param_kind(typ[1:]) if types.is_value(typ[1:]) else "int"
    return kind


def _terminates(body: tuple[ast.Stmt, ...]) -> bool:
    """Go's terminating statement (the spec's list, for the forms the language has):
    a function with a result must end in one."""
    if not body:
        return False
    match body[-1]:
        case ast.Return():
            return True
        case ast.Call(name="panic"):
            return True
        case ast.If(then=then, orelse=orelse):
            return bool(orelse) and _terminates(then) and _terminates(orelse)
        case ast.ForCond(cond=None, body=inner):
            return not _breaks(inner)
        case ast.Select(cases=cases):
            return all(not _breaks(c.body) and _terminates(c.body) for c in cases)
    return False


def _breaks(body: tuple[ast.Stmt, ...]) -> bool:
    """A ``break`` that leaves the statement holding ``body`` (not an inner loop or select)."""
    for s in body:
        match s:
            case ast.Break():
                return True
            case ast.If(then=then, orelse=orelse):
                if _breaks(then) or _breaks(orelse):
                    return True
    return False


def _at_most_zero(e: object) -> bool:
    """A constant delta of at most zero (``-1``, ``0``): an Add that never starts a count."""
    match e:
        case ast.IntLit(value=v):
            return v <= 0
        case ast.Unary(op="-", operand=ast.IntLit(value=v)):
            return v >= 0
    return False


def _first_of(test: ast.Test, is_type: Callable[[str | None], bool]) -> Loc | None:
    """Where a value of a type ``is_type`` accepts (slices, maps) first appears
    in the file: a declaration or ``make`` of one, or a function with such a
    parameter or result."""
    found: list[Loc] = []
    for n in ast.nodes(test.decls):
        match n:
            case ast.VarDecl(type=typ, made=made, make_elem=elem, loc=loc) if is_type(elem if made else typ):
                found.append(loc)
            case ast.MakeSlice(elem=elem, loc=loc) if is_type(f"[]{elem}"):
                found.append(loc)
            case ast.MakeMap(type=typ, loc=loc) if is_type(typ):
                found.append(loc)
            case ast.Assign(type=typ, loc=loc) if is_type(typ):
                found.append(loc)
            case ast.FuncDecl(params=params, result=result, loc=loc) if is_type(result) or any(
                is_type(q.type.lstrip("*")) for q in params or ()
            ):
                found.append(loc)
    return min(found, key=lambda x: (x.line, x.col), default=None)
