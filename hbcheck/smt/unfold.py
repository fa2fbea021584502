"""Unroll a program into guarded events with symbolic values (bit-vectors,
so arithmetic wraps like Go's int64).

Every goroutine is unfolded once, along all its paths at the same time: an
event exists when its guard (its path condition) holds, a read's value is a
fresh variable that reads-from constraints tie to a write, and each value
carries the reads it depends on (for the data and control dependencies that
exclude out-of-thin-air values). Loops unroll to the bound; a path that would
run further sets ``cut``.

Synchronising operations (channel operations, close, select, Lock/Unlock,
atomics, ``go``) get a time: Go's memory model asks that they be explainable
by one total order consistent with program order. A blocking operation is
*reached* when its goroutine gets there and *done* when it completes; the
goroutine goes on only if it completes. A goroutine may also stop at any
statement (``stop``): that gives the prefixes a panic ends, and the other
goroutines' progress when ``main`` returns. What the encoding does not cover
raises ``Unsupported`` with the reason, so the engine answers Unknown and the
explicit engine still answers.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from itertools import count

import z3

from hbcheck import names
from hbcheck.errors import Loc
from hbcheck.language import ast, types
from hbcheck.language.check import MAX_INT_CHAN_CAP, Program, param_kind
from hbcheck.machine import events as mev
from hbcheck.machine.code import _declared_first
from hbcheck.machine.config import MachineConfig

BITS = 64
MAX_INLINE = 16
STACK = MachineConfig()
# the largest stack the runtime can grow to: initial size doubled while within the maximum
MAX_STACK = STACK.initial_stack << ((STACK.max_stack // STACK.initial_stack).bit_length() - 1)
NO_STOP = 1 << 30  # a goroutine's ``stop`` when it is not cut short
# No machine event: a close, send or select that panics on a closed channel and
# goes on into its deferred calls. The machine records nothing for it, yet it is
# a step after the close that made it fail, and its deferred calls come after
# it: this event gives that step its place in the time order (the model's
# sync-order, the replay's order), on the channel it found closed. No record,
# no replay step, no model set shows it.
UNWOUND = "unwound"


class Unsupported(Exception):
    """A construct the symbolic engine cannot encode yet."""


@dataclass(frozen=True)
class SV:
    """A symbolic value and the reads it depends on."""

    expr: z3.BitVecRef
    deps: frozenset[int] = frozenset()


@dataclass
class SEvent:
    id: int
    g: str
    kind: str  # the machine's event kind (machine/events.py)
    loc: str
    act: z3.BoolRef
    val: z3.BitVecRef
    line: int
    op: str | None = None  # atomics: Load, Store, Add, CompareAndSwap
    reads: bool = False  # reads memory (R, atomic loads and the read half of an RMW)
    writes: bool = False
    rmw_of: int | None = None  # the write half of an RMW: the id of its read half
    data: frozenset[int] = frozenset()
    ctrl: frozenset[int] = frozenset()
    time: z3.ArithRef | None = None  # synchronising events: their place in the total order
    at: z3.BoolRef | None = None  # when its time counts, if not ``act`` (a close or Unlock that panics)
    # begin or end, as the machine's: a send, receive, select or once.Do is a
    # begin/end pair (a select's end event here: its default taken)
    phase: str = ""
    # a captured variable's declaration: the first write of a new location,
    # before every other access to it (as a shared variable's initial write)
    decl: bool = False

    @property
    def first(self) -> bool:
        """The first write of its location in every order: an initial write or a declaration."""
        return self.kind == mev.INIT_WRITE or self.decl


@dataclass
class ChanOp:
    """A send or receive (plain, or one case of a select)."""

    kind: str  # "send" or "recv"
    chan: str | None  # None: a nil channel
    g: str
    line: int
    reach: z3.BoolRef  # the goroutine is at it (a case: at its select)
    done: z3.BoolRef  # completed with a value
    begin: SEvent
    end: SEvent  # act: done (a receive: or returned because of the close)
    val: z3.BitVecRef  # the value sent, or received
    time: z3.ArithRef
    closed: z3.BoolRef = field(default_factory=lambda: z3.BoolVal(False))  # a receive returned because of close
    select: Select | None = None
    failure: Failure | None = None  # a send: send on closed channel
    # a send (a select's send case too): its goroutine runs again after it parked
    # (main's return may stop it woken by a close and not yet run: no panic)
    resumes: z3.BoolRef | None = None
    unwinds: bool = False  # its panic may run deferred calls: its goroutine goes on after it


@dataclass
class Select:
    g: str
    line: int
    reach: z3.BoolRef
    time: z3.ArithRef
    begin: SEvent
    cases: list[ChanOp] = field(default_factory=list)
    default: z3.BoolRef | None = None  # taken (None: the select has no default)
    default_end: SEvent | None = None  # its end event when it takes default
    panics: list[tuple[ChanOp, z3.BoolRef]] = field(default_factory=list)  # a send case on a closed channel
    resumes: z3.BoolRef | None = None  # without default: it runs again after it parked (see ChanOp)
    unwinds: bool = False  # as ChanOp's


@dataclass
class CloseOp:
    chan: str
    g: str
    line: int
    reach: z3.BoolRef
    ok: z3.BoolRef  # the first close: it closes (the others panic)
    event: SEvent
    # its panic may run deferred calls: a step without an event the goroutine goes
    # on from, so whether it was reached tells executions apart
    unwinds: bool = False


@dataclass
class MutexOp:
    kind: str  # "lock" or "unlock"
    mutex: str
    g: str
    line: int
    reach: z3.BoolRef
    done: z3.BoolRef  # a Lock: acquired; an Unlock: of a locked mutex
    event: SEvent


@dataclass
class WgOp:
    """``wg.Add(N)`` / ``wg.Done()`` (kind "add", ``delta`` N or -1) or ``wg.Wait()``."""

    kind: str  # "add" or "wait"
    wg: str
    g: str
    line: int
    reach: z3.BoolRef
    done: z3.BoolRef  # an add: did not make the counter negative; a Wait: returned
    delta: z3.BitVecRef
    event: SEvent


@dataclass
class OnceOp:
    """``o.Do(f)``: the first Do to run runs f (``first``); the others wait
    for f to return (``done``)."""

    once: str
    g: str
    line: int
    reach: z3.BoolRef
    first: z3.BoolRef
    done: z3.BoolRef  # not first: returned after f did
    begin: SEvent
    end: SEvent  # the first: f returned
    waited: SEvent  # the others: their return


@dataclass
class Blocked:
    """Where a goroutine can wait forever: ``waiting`` when it stops there."""

    g: str
    what: str  # as Go's traceback says: "chan receive", "select", "sync.Mutex.Lock m", ...
    line: int
    waiting: z3.BoolRef
    ops: list[ChanOp] = field(default_factory=list)  # the operations it waits on (a select: its cases)
    mutex: str | None = None
    wg: str | None = None
    once: str | None = None


@dataclass(frozen=True)
class Failure:
    kind: str  # "panic" or "assert"
    text: str
    g: str
    line: int
    cond: z3.BoolRef


@dataclass
class Unfolding:
    events: list[SEvent] = field(default_factory=list)
    regs: dict[str, dict[str, z3.BitVecRef]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    cuts: list[z3.BoolRef] = field(default_factory=list)
    atomic_vars: set[str] = field(default_factory=set)
    chan_ops: list[ChanOp] = field(default_factory=list)
    selects: list[Select] = field(default_factory=list)
    closes: list[CloseOp] = field(default_factory=list)
    mutex_ops: list[MutexOp] = field(default_factory=list)
    wg_ops: list[WgOp] = field(default_factory=list)
    once_ops: list[OnceOp] = field(default_factory=list)
    blocked: list[Blocked] = field(default_factory=list)
    stops: dict[str, z3.ArithRef] = field(default_factory=dict)  # goroutines in creation order
    spawns: list[tuple[SEvent, SEvent]] = field(default_factory=list)  # (go, start)
    overflows: list[tuple[str, z3.BoolRef]] = field(default_factory=list)  # range loops past the unroll bound
    # the channels ranged over, and the iterations each range is unrolled to (if
    # fewer than the bound): one more than the sends on it in a first unfolding
    ranged: set[str] = field(default_factory=set)
    range_bounds: dict[str, int] = field(default_factory=dict)
    # (why, when): paths the unrolling leaves out; z3 steps aside if one is possible
    beyond: list[tuple[str, z3.BoolRef]] = field(default_factory=list)
    names: Iterator[int] = field(default_factory=count)  # fresh choice variables: one name, one variable
    rand: list[tuple[SEvent, int]] = field(default_factory=list)  # rand.Intn(n): its event and n
    # functions whose instances are named by the order their go statements run:
    # each instance's own name here (f@1, f@2, ...) and its go event
    dynamic: dict[str, list[tuple[str, SEvent]]] = field(default_factory=dict)
    # the locations of the variables closures capture (G.NAME, G.NAME#2, ...), by
    # name: their numbers (from 1; 0: none), which ref registers (``$&NAME``) hold
    cells: dict[str, int] = field(default_factory=dict)
    # per goroutine, each variable its own frame names through a location: that
    # location's number at the goroutine's end (the engine reads its final value)
    escaped: dict[str, dict[str, z3.BitVecRef]] = field(default_factory=dict)
    # channel values: each channel's number (0 is nil), and the capacity of
    # each channel a ``make`` in a body makes (named as the machine names it)
    chan_ids: dict[str, int] = field(default_factory=dict)
    made: dict[str, int] = field(default_factory=dict)
    # locations holding a channel (a shared channel variable some statement
    # assigns, a captured one): the channels their reads may give, from the
    # unfolding before (``chan_read``), and the channels this one writes there
    # (None: one known only when the program runs), with the line of the first
    chan_cands: dict[str, frozenset[str | None]] = field(default_factory=dict)
    chan_writes: dict[str, set[str | None] | None] = field(default_factory=dict)
    chan_reads: dict[str, int] = field(default_factory=dict)

    def chan_id(self, name: str | None) -> int:
        """The number a channel value is in z3 (nil: 0)."""
        return 0 if name is None else self.chan_ids.setdefault(name, len(self.chan_ids) + 1)

    def chan_named(self, k: int) -> str | None:
        return None if k == 0 else next(n for n, i in self.chan_ids.items() if i == k)


@dataclass
class _State:
    guard: z3.BoolRef
    regs: dict[str, SV]
    ctrl: frozenset[int]


def _bv(v: int) -> z3.BitVecRef:
    return z3.BitVecVal(v, BITS)


ZERO, ONE = _bv(0), _bv(1)


def _b2v(c: z3.BoolRef) -> z3.BitVecRef:
    return z3.If(c, ONE, ZERO)


def _dead(g: z3.BoolRef) -> bool:
    return z3.is_false(z3.simplify(g))


def _implies(a: z3.BoolRef, b: z3.BoolRef) -> bool:
    """Is a => b valid (over the path's choices)?"""
    s = z3.Solver()
    s.add(a, z3.Not(b))
    return s.check() == z3.unsat


def _merge(states: list[_State]) -> _State:
    live = [s for s in states if not _dead(s.guard)]
    if not live:
        return _State(z3.BoolVal(False), {}, frozenset())
    if len(live) == 1:
        return live[0]
    names = set().union(*(s.regs for s in live))
    regs = {}
    for n in names:
        expr = live[-1].regs.get(n, SV(ZERO)).expr
        deps = frozenset().union(*(s.regs.get(n, SV(ZERO)).deps for s in live))
        for s in reversed(live[:-1]):
            expr = z3.If(s.guard, s.regs.get(n, SV(ZERO)).expr, expr)
        regs[n] = SV(expr, deps)
    return _State(z3.Or(*(s.guard for s in live)), regs, frozenset().union(*(s.ctrl for s in live)))


# an index known only when the step runs that may be out of range: the panic's text would need its value
_COMPUTED_INDEX = "an array index computed while the program runs (line {line}) may be out of range: not encoded"


def unfold(program: Program, unroll: int) -> Unfolding:
    shared = program.shared_waitgroups()
    if shared:
        raise Unsupported(
            f"WaitGroup {sorted(shared)[0]} is Added to and Waited on in different goroutines "
            "(Go's misuse race and panics are not encoded yet)"
        )
    dynamic: set[str] = set()
    ranges: dict[str, int] | None = None
    cands: dict[str, frozenset[str | None]] = {}
    for _attempt in itertools.count():
        u = Unfolding()
        u.dynamic = {f: [] for f in dynamic}
        u.range_bounds = ranges or {}
        u.chan_cands = cands
        _check_vars(program, u)
        for name, var in program.shared.items():
            # an array: each element a location of its own (a[0], a[1], ...)
            if var.kind not in ("int", "array"):
                continue
            for loc in [name] if var.kind == "int" else [f"{name}[{k}]" for k in range(var.cap or 0)]:
                init = SEvent(
                    len(u.events), "init", mev.INIT_WRITE, loc, z3.BoolVal(True), _bv(var.init), 0, writes=True
                )
                u.events.append(init)
        for name in sorted(program.dynamic):  # a location holding its declared channel (or nil)
            chan = program.channel(name)
            value = _bv(u.chan_id(chan))
            init = SEvent(len(u.events), "init", mev.INIT_WRITE, name, z3.BoolVal(True), value, 0, writes=True)
            u.events.append(init)
            u.chan_writes[name] = {chan}
        spawns: dict[str, tuple[str, list[z3.BoolRef]]] = {}
        try:
            for g in program.goroutines:
                top = _Unfolder(program, u, g.name, unroll, spawns)
                chans, arrays = _chan_vars(program, g.name), _arrays(program, g.name)
                top.frame = _Frame(refs=g.escapes, escapes=g.escapes, chans=chans, arrays=arrays)
                top.run(g.body, z3.BoolVal(True), g.loc.line)
        except _Dynamic as exc:
            dynamic.add(exc.func)  # unfold again, its instances named by the order their go statements run
            continue
        read = _chan_reads(u)
        if read != cands:  # unfold again, each read of a channel variable among what is written there
            if _attempt >= MAX_INLINE:
                raise Unsupported("the channels a channel variable may hold do not settle: not encoded")
            cands = read
            continue
        if ranges is None and u.ranged:
            # A range receives at most as many values as there are sends on its
            # channel, then the close: unrolled that far (a closure started in
            # each iteration is unfolded each time), and so unfolded again. The
            # first unfolding, to the bound, has at least the sends of any other.
            sends = Counter(o.chan for o in u.chan_ops if o.kind == "send")
            ranges = {c: sends[c] + 1 for c in u.ranged if sends[c] + 1 < unroll}
            if ranges:
                continue
        return u


class _Dynamic(Exception):
    """A function whose instances' names depend on the run (see ``_Unfolder.go``)."""

    def __init__(self, func: str):
        self.func = func


def _chan_reads(u: Unfolding) -> dict[str, frozenset[str | None]]:
    """Per location holding a channel that some step reads: the channels
    written there (what a read of it may give)."""
    out = {}
    for loc, line in u.chan_reads.items():
        written = u.chan_writes.get(loc, set())
        if written is None:
            raise Unsupported(
                f"a channel variable read at line {line} may hold a channel known only when the program runs "
                "(received from a channel): not encoded in z3 yet"
            )
        out[loc] = frozenset(written)
    return out


def _check_vars(program: Program, u: Unfolding) -> None:
    """The variables some atomic call touches (their atomics are sequentially
    consistent); plain accesses to them are plain reads and writes."""
    bodies = [(g.body, g.escapes) for g in program.goroutines]
    bodies += [(f.body, f.escapes | _ref_params(f)) for f in program.funcs.values()]
    for body, refs in bodies:
        for node in ast.nodes(body):
            # a captured variable's locations are known where it is unfolded (``atomic``)
            if isinstance(node, ast.AtomicCall) and node.args[0].name not in refs:  # type: ignore[union-attr]
                u.atomic_vars.add(node.args[0].name)  # type: ignore[union-attr]


Chan = str | None | z3.BitVecRef  # a channel, nil, or the number of one the unfolding does not pin


def _leaves(e: z3.ExprRef) -> set[int] | None:
    """The numbers an if-then-else of numbers may be (None: not one)."""
    if z3.is_bv_value(e):
        return {e.as_long()}  # type: ignore[attr-defined]
    if z3.is_app_of(e, z3.Z3_OP_ITE):
        a, b = _leaves(e.arg(1)), _leaves(e.arg(2))
        return None if a is None or b is None else a | b
    return None


def _chan_vars(program: Program, owner: str) -> frozenset[str]:
    """The variables and parameters of a channel type in body ``owner``."""
    typed = dict(program.chan_types.get(owner, {}))
    f = program.funcs.get(owner)
    if f is not None:
        typed.update({q.name: q.type.lstrip("*") for q in f.params or ()})
    return frozenset(n for n, t in typed.items() if types.is_chan(t))


def _arrays(program: Program, owner: str) -> dict[str, int]:
    """Body ``owner``'s local arrays (a copy: a range adds its own)."""
    return dict(program.local_arrays.get(owner, {}))


def _ref_params(f: ast.FuncDecl) -> frozenset[str]:
    """A lifted closure's parameters that are the locations of captured variables."""
    return frozenset(q.name for q in f.params or () if param_kind(q.type) == "ref")


@dataclass(frozen=True)
class _Frame:
    """Whose registers the statements name. A goroutine's own frame names them
    as written (``prefix`` empty); each inlined call of a Go-signature function
    gets a prefix of its own (``$f@3.``: a temp's ``$``, so never a register a
    condition names), which keeps a recursive call's registers apart. ``objs``:
    the channel and sync parameters, bound to declared objects at the call;
    ``locals``: its int and bool parameters (registers, even where a shared
    variable has the name). ``refs``: the names it reads and writes in memory,
    through the location in its ref register (``$&NAME``): the variables
    closures capture that it declares (``escapes``: each declaration
    allocates a location) and those its closure parameters point to."""

    prefix: str = ""
    objs: dict[str, str | None] = field(default_factory=dict)
    locals: frozenset[str] = frozenset()
    refs: frozenset[str] = frozenset()
    escapes: frozenset[str] = frozenset()
    # its channel variables: registers holding a channel's number, or captured
    # locations (in ``refs``); a parameter in ``objs`` is bound to one channel
    chans: frozenset[str] = frozenset()
    # a deferred call's own frame: the register holding the panic (its number,
    # 0: none) that its ``recover()`` stops; any other frame's returns nil
    recover: str | None = None
    # its local arrays and their lengths: each element a register (``a[0]``, ...)
    arrays: dict[str, int] = field(default_factory=dict)


RET = "$ret"  # a Go-signature frame's result, set by each return


def _ref(name: str) -> str:
    """The register holding the number of the location a captured variable is in."""
    return f"$&{name}"


def _count(name: str) -> str:
    """The goroutine's register counting its allocations of ``name`` (all frames)."""
    return f"$#{name}"


# the goroutine's panic while its deferred calls unwind it: 0 none, else the
# number of the newest panic's (text, line) (``_Unfolder.panic_ids``)
PANIC = "$panic"


@dataclass
class _Deferred:
    """A ``defer`` reached (``guard``: the path reached it), its arguments
    already evaluated: ``run`` unfolds the call at its frame's return or
    unwinding, given the register its ``recover()`` reads (``_Frame.recover``),
    and gives the state it leaves."""

    guard: z3.BoolRef
    line: int
    run: Callable[[_State, str], _State]


class _Unfolder:
    def __init__(
        self, program: Program, u: Unfolding, g: str, unroll: int, spawns: dict[str, tuple[str, list[z3.BoolRef]]]
    ):
        self.p = program
        self.u = u
        self.g = g
        self.unroll = unroll
        self.spawns = spawns  # by function: the goroutine whose go statements start it, and their guards
        self.loops: list[tuple[list[_State], list[_State]]] = []  # per loop: (break states, continue states)
        self.depth = 0
        self.spawn_depth = 0  # goroutines that started this one, one from the other (recursion through go)
        self.stack = 0  # bytes of the frames inlined so far (as the machine counts them)
        self.point = 0  # statements unfolded so far: where the goroutine may stop
        self.stop = z3.Int(f"stop_{g}")
        u.stops[g] = self.stop
        self.seg: list[str] = []  # the kinds of the events since the last place it may stop
        # Where main's return may leave it (stopped before an event, or waiting for
        # ever), with its registers there: where main exists, a goroutine's final
        # registers need not be those of its own end.
        self.partial = program.has_main and g != "main"
        self.ends: list[tuple[z3.BoolRef, dict[str, SV]]] = []
        self.frame = _Frame()
        # per frame being unfolded (its body, then its deferred calls): the states
        # its returns leave, the panicking states that reach its end, its defers
        self.rets: list[list[_State]] = []
        self.panics: list[list[_State]] = []
        self.defers: list[list[_Deferred]] = []
        self.panic_ids: dict[tuple[str, int], int] = {}  # a panic's (text, line): its number in PANIC
        # each place it may stop: its condition (``may_stop``); and those where a
        # visible step follows (an allocation, local, runs with the step before it)
        self.atoms: dict[int, z3.BoolRef] = {}
        self.eventful: set[int] = set()
        self.per_iteration = program.test.go_version is None or program.test.go_version >= (1, 22)

    def run(self, body: tuple[ast.Stmt, ...], root: z3.BoolRef, line: int, regs: dict[str, SV] | None = None) -> SEvent:
        start = self.event(_State(root, {}, frozenset()), mev.START, "", ZERO, line, timed=True)
        self.enter()
        st = self.entry(body, _State(root, dict(regs or {}), frozenset()))
        st, panicking = self.leave(self.stmts(body, st))
        if not _dead(panicking.guard):
            # its deferred calls ran: the newest panic ends the program, a step of its own
            last = self.may_stop(panicking)
            for (text, at), k in self.panic_ids.items():
                self.fail(last, "panic", text, at, last.regs[PANIC].expr == k)
        names = {n for regs in (st.regs, *(r for _c, r in self.ends)) for n in regs if not n.startswith("$")}
        names -= self.frame.refs  # in memory: the engine reads them there (``u.escaped``)
        final: dict[str, z3.BitVecRef] = {}
        # Stopped past its last event, it ran the local code after it (the
        # machine runs it eagerly): registers are taken as if never stopped.
        unstopped = (self.stop, z3.IntVal(NO_STOP))

        def value(regs: dict[str, SV], n: str) -> z3.BitVecRef:
            return z3.substitute(regs.get(n, SV(ZERO)).expr, unstopped)

        for n in sorted(names | {_ref(r) for r in self.frame.refs}):
            expr = value(st.regs, n)
            for cond, regs in reversed(self.ends):  # the first that holds, in program order
                expr = z3.If(cond, value(regs, n), expr)
            # an instance whose go statement never ran reads as 0
            final[n] = expr if z3.is_true(root) else z3.If(root, expr, ZERO)
        self.u.escaped[self.g] = {r: final.pop(_ref(r)) for r in sorted(self.frame.refs)}
        self.u.regs[self.g] = final
        return start

    # ---- variables closures capture
    def entry(self, body: tuple[ast.Stmt, ...], st: _State) -> _State:
        """A frame's entry: the captured variables it declares get their
        locations here (set to the parameter's value, else 0), unless their
        declaration is the first thing that names them (it allocates)."""
        line = body[0].loc.line if body else 0
        for n in sorted(self.frame.escapes):
            if not _declared_first(n, body, self.per_iteration) or n in self.frame.locals:
                st = self.alloc(st, n, st.regs.get(self.reg(n), SV(ZERO)), line)
        return st

    def alloc(self, st: _State, n: str, v: SV, line: int) -> _State:
        """A declaration of a captured variable: a new location, named as the
        machine names it (``G.n``, then ``G.n#2``, ... in the goroutine's
        own order), its write a local step that runs with the visible step
        before it (so a stop since that step does not keep it back)."""
        loc, regs = self.fresh(st, n, line, f"the captured variable {n}")
        cell = self.u.cells.setdefault(loc, len(self.u.cells) + 1)
        quiet = [(self.atoms[p], z3.BoolVal(True)) for p in self.atoms if p not in self.eventful]
        act = z3.substitute(st.guard, *quiet) if quiet else st.guard
        self.event(st, mev.WRITE, loc, v.expr, line, writes=True, data=v.deps, act=act, local=True, decl=True)
        if n in self.frame.chans:
            self.chan_written(loc, v)
        return _State(st.guard, {**regs, self.reg(_ref(n)): SV(_bv(cell))}, st.ctrl)

    def fresh(self, st: _State, hint: str, line: int, what: str) -> tuple[str, dict[str, SV]]:
        """A new object's name as the machine gives it (``G.hint``, then
        ``G.hint#2``, ... in the goroutine's own order: captured variables and
        made channels count together), and the registers that count it."""
        if "@" in self.g:
            raise Unsupported(f"{what} (line {line}) is made in a goroutine named by when its go statement runs")
        k = z3.simplify(st.regs.get(_count(hint), SV(ZERO)).expr)
        if not z3.is_bv_value(k):
            raise Unsupported(f"{what} (line {line}) is made a different number of times on the paths that reach it")
        k = k.as_long() + 1  # type: ignore[union-attr]
        loc = f"{self.g}.{hint}" if k == 1 else f"{self.g}.{hint}#{k}"
        return loc, {**st.regs, _count(hint): SV(_bv(k))}

    def cell(self, st: _State, n: str, line: int) -> str:
        """The location ``n`` names here (``n`` a captured variable)."""
        expr = z3.simplify(st.regs.get(self.reg(_ref(n)), SV(ZERO)).expr)
        if not z3.is_bv_value(expr) or expr.as_long() == 0:  # type: ignore[union-attr]
            raise Unsupported(
                f"the captured variable {n} (line {line}) is in a different location on the paths that reach it"
            )
        k = expr.as_long()  # type: ignore[union-attr]
        return next(loc for loc, c in self.u.cells.items() if c == k)

    def store(self, st: _State, n: str, v: SV, line: int, decl: bool = False) -> _State:
        """A write of ``n`` in memory (a shared variable, or a captured one);
        ``decl``: a ':=' of a captured variable declared here, a new location.
        A write after another step in its statement is a step of its own."""
        if decl and n in self.frame.escapes:
            return self.alloc(st, n, v, line)
        st = self.may_stop(st) if self.seg else st
        loc = self.cell(st, n, line) if n in self.frame.refs else n
        self.event(st, mev.WRITE, loc, v.expr, line, writes=True, data=v.deps)
        if n in self.frame.chans or self.is_dynamic(n):
            self.chan_written(loc, v)
        return st

    def chan_written(self, loc: str, v: SV) -> None:
        """A channel (or the channels it may be) written at ``loc``."""
        ks, known = _leaves(z3.simplify(v.expr)), self.u.chan_writes.setdefault(loc, set())
        if ks is None or any(k > len(self.u.chan_ids) for k in ks):
            self.u.chan_writes[loc] = None
        elif known is not None:
            known.update(self.u.chan_named(k) for k in ks)

    def chan_read(self, loc: str, v: SV, line: int) -> SV:
        """A read of a location holding a channel: what it read, as the
        channels written there (the unfolding before's), an if-then-else that
        ``split`` takes apart. Sound because every write there writes one of
        them: a new one unfolds again (``unfold``)."""
        self.u.chan_reads.setdefault(loc, line)
        ks = sorted(self.u.chan_id(c) for c in self.u.chan_cands.get(loc, ()))
        if not ks:
            return SV(ZERO, v.deps)  # not yet known: unfolded again
        expr = _bv(ks[-1])
        for k in reversed(ks[:-1]):
            expr = z3.If(v.expr == k, _bv(k), expr)
        return SV(expr, v.deps)

    def is_mem(self, name: str) -> bool:
        return name in self.frame.refs or self.is_int(name) or self.is_dynamic(name)

    def is_dynamic(self, name: str) -> bool:
        """A shared channel variable some statement assigns: a location holding a channel."""
        f = self.frame
        return name in self.p.dynamic and name not in f.locals and name not in f.objs and name not in f.chans

    # ---- events
    def event(
        self, st: _State, kind: str, loc: str, val: z3.BitVecRef, line: int, timed: bool = False, local=False, **kw
    ) -> SEvent:
        """``local``: no step of its own (an allocation's write), it runs with the one before."""
        if not local:
            # a safety net: a step after a read needs a place to stop between them
            # (after_reads); one that has none makes z3 step aside, not miscount
            if mev.READ in self.seg and kind != mev.READ:
                raise Unsupported(f"a step after a read in one statement (line {line}) has no place to stop before it")
            self.seg.append(kind)
            self.eventful.add(self.point)
            self.stopped_before(st)
        eid = len(self.u.events)
        time = kw.pop("time", None)
        if timed and time is None:
            time = z3.Int(f"t{eid}")
        e = SEvent(eid, self.g, kind, loc, kw.pop("act", st.guard), val, line, ctrl=st.ctrl, time=time, **kw)
        self.u.events.append(e)
        return e

    def read(self, st: _State, loc: str, line: int) -> SV:
        eid = len(self.u.events)
        v = z3.BitVec(f"rd{eid}_{loc}", BITS)
        self.event(st, mev.READ, loc, v, line, reads=True)
        return SV(v, frozenset({eid}))

    def stopped_before(self, st: _State, cond: z3.BoolRef | None = None) -> None:
        """Where main's return may leave this goroutine: before a visible step
        (an event, or a failure: a panic is a step of its own) that its path
        reaches were it not stopped. The machine runs local code up to its next
        visible step, so these are the registers it is left with."""
        if self.partial:
            here = st.guard if cond is None else z3.And(st.guard, cond)
            unstopped = z3.substitute(here, (self.stop, z3.IntVal(NO_STOP)))
            self.ends.append((z3.And(unstopped, z3.Not(here)), st.regs))

    def fail(self, st: _State, kind: str, text: str, line: int, cond: z3.BoolRef, fatal: bool = False) -> Failure:
        """A failure where ``cond`` holds (the returned one, whatever follows).
        A panic with deferred calls pending is no failure yet: it unwinds them
        first (``unwind``); an assertion and Go's fatal errors run none."""
        f = Failure(kind, text, self.g, line, z3.And(st.guard, cond))
        self.eventful.add(self.point)  # a step of its own
        pending = self.pending() if kind == "panic" and not fatal else None
        if pending is None:
            self.stopped_before(st, cond)
            self.u.failures.append(f)
            return f
        now = z3.And(cond, z3.Not(pending))
        self.stopped_before(st, now)
        self.u.failures.append(Failure(kind, text, self.g, line, z3.And(st.guard, now)))
        self.unwind(_State(z3.And(st.guard, cond, pending), st.regs, st.ctrl), text, line)
        return f

    def unwind(self, st: _State, text: str, line: int) -> None:
        """The newest panic, ``text`` at ``line``: it leaves the frame for the
        frame's deferred calls (which the machine runs at once, in the same
        step: the next stop is in them)."""
        k = self.panic_ids.setdefault((text, line), len(self.panic_ids) + 1)
        self.panics[-1].append(_State(st.guard, {**st.regs, PANIC: SV(_bv(k))}, st.ctrl))

    def pending(self) -> z3.BoolRef | None:
        """When some deferred call is pending in this goroutine (None: none can be)."""
        guards = [d.guard for frame in self.defers for d in frame]
        return z3.Or(*guards) if guards else None

    def enter(self) -> None:
        self.rets.append([])
        self.panics.append([])
        self.defers.append([])

    def leave(self, end: _State) -> tuple[_State, _State]:
        """A frame's way out: its deferred calls run last-in first-out, each
        where its ``defer`` was reached, on every return and on a panic that
        reaches the frame. Each is unfolded once, for both (``run_deferred``).
        A panic in one goes on with the older ones. Gives the state of its
        normal return and that of its panic."""
        rets, entries = self.rets.pop(), self.defers[-1]
        normal, panicking = _merge([end, *rets]), _merge(self.panics[-1])
        if entries:
            st = _merge([normal, panicking])
            while entries:
                d = entries.pop()  # the older ones stay pending while it runs
                self.panics[-1] = []
                ran = self.run_deferred(d, st) if not _dead(d.guard) else None
                skipped = _State(z3.And(st.guard, z3.Not(d.guard)), st.regs, st.ctrl)
                st = _merge([*([ran] if ran is not None else []), skipped, *self.panics[-1]])
            flag = st.regs.get(PANIC, SV(ZERO)).expr
            normal = _State(z3.And(st.guard, flag == 0), st.regs, st.ctrl)
            panicking = _State(z3.And(st.guard, flag != 0), st.regs, st.ctrl)
        self.defers.pop()
        self.panics.pop()
        return normal, panicking

    def run_deferred(self, d: _Deferred, st: _State) -> _State:
        """A deferred call, where the panic (if any) is its own to recover: inside
        it the goroutine is not panicking (a call it makes returns normally), and
        on its return the panic goes on unless its ``recover()`` stopped it. A
        panic it raises is newer (``self.panics``) and replaces the older."""
        r = f"$recover@{next(self.u.names)}"
        regs = {**st.regs, r: st.regs.get(PANIC, SV(ZERO)), PANIC: SV(ZERO)}
        out = d.run(_State(z3.And(st.guard, d.guard), regs, st.ctrl), r)
        regs = dict(out.regs)
        regs[PANIC] = regs.pop(r, SV(ZERO))
        return _State(out.guard, regs, out.ctrl)

    def recover(self, st: _State) -> tuple[SV, _State]:
        """``recover()``: in a deferred call's own frame, stops the panic that
        runs it (1; the frame's return then goes on normally); else nil (0)."""
        r = self.frame.recover
        if r is None:
            return SV(ZERO), st
        k = st.regs.get(r, SV(ZERO)).expr
        return SV(_b2v(k != 0)), _State(st.guard, {**st.regs, r: SV(ZERO)}, st.ctrl)

    def returned(self, panicking: _State, unwound: list[_State] | None) -> None:
        """A callee's panic goes on unwinding in its caller's frame (or to ``unwound``)."""
        if not _dead(panicking.guard):
            (unwound if unwound is not None else self.panics[-1]).append(panicking)

    def blocks(
        self, st: _State, what: str, line: int, waiting: z3.BoolRef, ops=(), mutex=None, wg=None, once=None
    ) -> None:
        self.u.blocked.append(Blocked(self.g, what, line, waiting, list(ops), mutex, wg, once))
        if self.partial:
            # waiting there unless stopped before an earlier step (an earlier end
            # holds first): a stop past its last event, before a wait with no
            # event of its own (select {}), leaves it waiting there all the same
            self.ends.append((z3.substitute(waiting, (self.stop, z3.IntVal(NO_STOP))), st.regs))

    def var(self, prefix: str) -> z3.BoolRef:
        return z3.Bool(f"{prefix}{next(self.u.names)}")

    def chan(self, name: str | None, st: _State, line: int) -> tuple[Chan, _State]:
        """The channel an operation names (None: nil): a declared one, a
        parameter's binding, or a channel variable's value (read first, for a
        captured one): one channel where the unfolding pins it, else its
        number, which ``split`` takes apart."""
        if name is not None and ((name in self.frame.chans and name not in self.frame.objs) or self.is_dynamic(name)):
            v, st = self.name_value(name, st, line)
            return self.as_chan(v, line), st
        return self.chan_name(name), st

    def choices(self, c: Chan, line: int) -> list[tuple[str | None, z3.BoolRef | None]]:
        """The channels ``c`` may be, each with when it is (None: always)."""
        if not isinstance(c, z3.BitVecRef):
            return [(c, None)]
        ks = _leaves(c)
        if ks is None or any(k > len(self.u.chan_ids) for k in ks):
            raise Unsupported(f"a channel known only when the program runs (line {line}) is not encoded in z3 yet")
        return [(self.u.chan_named(k), c == k) for k in sorted(ks)]

    def split(
        self, st: _State, chans: list[Chan], line: int, run: Callable[[list[str | None], _State], _State]
    ) -> _State:
        """Run an operation on channels ``chans`` (numbers among them): once
        per channel each number may be, guarded by its being that one, as an
        ``if`` over the channels would; merged after."""
        options = [self.choices(c, line) for c in chans]
        if all(len(o) == 1 for o in options):
            return run([o[0][0] for o in options], st)
        seg, outs = self.seg, []
        for combo in itertools.product(*options):
            guard = z3.And(st.guard, *(cond for _c, cond in combo if cond is not None))
            if _dead(guard):
                continue
            self.seg = list(seg)  # each goes on from the reads before it, not from the one before
            outs.append(run([c for c, _cond in combo], _State(guard, st.regs, st.ctrl)))
        return _merge(outs)

    def chan_name(self, name: str | None) -> str | None:
        if name is not None and name in self.frame.objs:
            return self.frame.objs[name]
        return self.p.channel(name)

    def static_chan(self, name: str) -> bool:
        """Does ``name`` always stand for one declared channel (or nil)?"""
        return name in self.frame.objs or (name not in self.frame.chans and not self.is_dynamic(name))

    def as_chan(self, v: SV, line: int) -> Chan:
        """A channel value: the one channel the unfolding pins it to, else its number (``split``)."""
        k = z3.simplify(v.expr)
        if not z3.is_bv_value(k):
            return k
        [(chan, _always)] = self.choices(k, line)
        return chan

    def make_chan(self, st: _State, hint: str, cap: ast.Expr | None, line: int) -> tuple[SV, _State]:
        """``make(chan T, N)`` in a body: a channel named as the machine names it
        (its capacity pinned to a number; out of range, Go's panic)."""
        n = 0
        if cap is not None:
            cv, st = self.value(cap, st, line)
            k = z3.simplify(cv.expr)
            if not z3.is_bv_value(k):
                raise Unsupported(f"a channel capacity computed while the program runs (line {line}) is not encoded")
            n = k.as_signed_long()  # type: ignore[union-attr]
            if not 0 <= n <= MAX_INT_CHAN_CAP:
                if self.pending() is not None:
                    raise Unsupported(f"a make (line {line}) whose panic may run deferred calls is not encoded")
                self.fail(st, "panic", names.MAKECHAN_SIZE, line, z3.BoolVal(True))
                return SV(ZERO), _State(z3.BoolVal(False), st.regs, st.ctrl)
        name, regs = self.fresh(st, hint, line, "a channel")
        self.u.made[name] = n
        return SV(_bv(self.u.chan_id(name))), _State(st.guard, regs, st.ctrl)

    def obj(self, name: str) -> str:
        """The declared sync object a name stands for (a parameter: what it is bound to)."""
        bound = self.frame.objs.get(name, name)
        assert bound is not None
        return bound

    def reg(self, name: str) -> str:
        return self.frame.prefix + name

    def is_int(self, name: str) -> bool:
        f = self.frame
        return name not in f.locals and name not in f.objs and name not in f.refs and self.p.is_int(name)

    # ---- expressions
    def value(self, e: ast.Expr, st: _State, line: int) -> tuple[SV, _State]:
        match e:
            case ast.IntLit(value=v):
                return SV(_bv(v)), st
            case ast.UnitLit():
                return SV(ZERO), st
            case ast.Name(name=n):
                return self.name_value(n, st, line)
            case ast.MakeChan(cap=c):
                return self.make_chan(st, "chan", c, line)
            case ast.CallExpr(name="len" | "cap", args=(ast.Name(name=n),)) if n in self.frame.arrays:
                return SV(_bv(self.frame.arrays[n])), st
            case ast.CallExpr(name="cap", args=(arg,)):
                chan, st = self.chan_expr(arg, st, line)
                expr = ZERO
                for c, cond in self.choices(chan, line):  # each channel it may be
                    expr = _bv(self.caps(c)) if cond is None else z3.If(cond, _bv(self.caps(c)), expr)
                return SV(expr), st
            case ast.CallExpr(name="len"):
                raise Unsupported(f"len of a channel (line {line}) is not encoded in z3 yet")
            case ast.Index(name=n, index=i):
                read: list[SV] = []

                def load(loc: str, s: _State) -> _State:
                    if n in self.frame.arrays:  # a local array's element: a register
                        read.append(s.regs.get(self.reg(loc), SV(ZERO)))
                        return s
                    s = self.may_stop(s) if self.seg else s
                    read.append(self.read(s, loc, line))
                    return s

                st, conds = self.access(n, i, st, line, None, load)
                expr = ZERO
                for cond, v in zip(conds, read, strict=True):
                    expr = v.expr if cond is None else z3.If(cond, v.expr, expr)
                return SV(expr, frozenset().union(*(v.deps for v in read))), st
            case ast.CallExpr(name="recover"):
                return self.recover(st)
            case ast.CallExpr(name=f, args=args):
                return self.call_sig(f, args, st, line)
            case ast.Unary(op="!", operand=o):
                v, st = self.value(o, st, line)
                return SV(_b2v(v.expr == 0), v.deps), st
            case ast.Unary(op="-", operand=o):
                v, st = self.value(o, st, line)
                return SV(-v.expr, v.deps), st
            case ast.Binary(op="&&" | "||" as op, left=a, right=b):
                if any(isinstance(n, ast.CallExpr) for n in ast.walk(b)):
                    # the right side runs only on some paths; a call there may block or
                    # panic, which the guard of what follows would have to say
                    raise Unsupported(f"a call on the right of {op} (line {line}) is not encoded")
                va, st = self.value(a, st, line)
                truth = va.expr != 0
                guarded = _State(z3.And(st.guard, truth if op == "&&" else z3.Not(truth)), st.regs, st.ctrl)
                vb, _ = self.value(b, guarded, line)
                both = z3.And(truth, vb.expr != 0) if op == "&&" else z3.Or(truth, vb.expr != 0)
                return SV(_b2v(both), va.deps | vb.deps), st
            case ast.Binary(op=op, left=a, right=b):
                va, st = self.value(a, st, line)
                vb, st = self.value(b, st, line)
                x, y, deps = va.expr, vb.expr, va.deps | vb.deps
                if op in ("/", "%"):
                    if self.pending() is not None:
                        # a step of its own or not, as the value's use decides on the machine
                        raise Unsupported(f"a division (line {line}) whose panic may run deferred calls is not encoded")
                    self.fail(st, "panic", names.DIVIDE_BY_ZERO, line, y == 0)
                    st = _State(z3.And(st.guard, y != 0), st.regs, st.ctrl)
                    return SV(x / y if op == "/" else z3.SRem(x, y), deps), st
                expr = {
                    "+": lambda: x + y,
                    "-": lambda: x - y,
                    "*": lambda: x * y,
                    "==": lambda: _b2v(x == y),
                    "!=": lambda: _b2v(x != y),
                    "<": lambda: _b2v(x < y),
                    "<=": lambda: _b2v(x <= y),
                    ">": lambda: _b2v(x > y),
                    ">=": lambda: _b2v(x >= y),
                }[op]()
                return SV(expr, deps), st
        raise Unsupported(f"expression {type(e).__name__}")  # pragma: no cover

    def name_value(self, n: str, st: _State, line: int) -> tuple[SV, _State]:
        """A name's value: a register's, a variable's read, or a channel's number."""
        if n in self.frame.objs:  # a channel parameter bound to a declared channel (or nil)
            return SV(_bv(self.u.chan_id(self.frame.objs[n]))), st
        if self.is_mem(n):
            st = self.may_stop(st) if self.seg else st  # a read after another step is a step
            loc = self.cell(st, n, line) if n in self.frame.refs else n
            v = self.read(st, loc, line)
            if n in self.frame.chans or self.is_dynamic(n):  # a channel: one of those written there
                v = self.chan_read(loc, v, line)
            return v, st
        var = self.p.shared.get(n)
        if var is not None and var.kind == "chan" and n not in self.frame.chans and n not in self.frame.locals:
            return SV(_bv(self.u.chan_id(self.p.channel(n)))), st
        return st.regs.get(self.reg(n), SV(ZERO)), st

    def chan_expr(self, e: ast.Arg, st: _State, line: int) -> tuple[Chan, _State]:
        """The channel an expression of a channel type gives (None: nil)."""
        if isinstance(e, ast.Name):
            return self.chan(e.name, st, line)
        v, st = self.value(e, st, line)  # type: ignore[arg-type]
        return self.as_chan(v, line), st

    def caps(self, chan: str | None) -> int:
        if chan is None:
            return 0
        return self.u.made[chan] if chan in self.u.made else self.p.caps[chan]

    def access(
        self,
        array: str,
        index: ast.Expr,
        st: _State,
        line: int,
        iv: SV | None,
        step: Callable[[str, _State], _State],
    ) -> tuple[_State, list[z3.BoolRef | None]]:
        """``step`` on the element ``array[index]`` (``iv``: the index, evaluated
        already): the state after it, and when each step it took runs (None:
        always). An index the unfolding pins (a constant, a counted loop's
        variable) is one element; out of bounds it is Go's panic, and the path
        ends (no step). Another is a step per element, each guarded by the
        index being its own, as an ``if`` over the indices would be; an
        index out of bounds there (its panic's text would need its value)
        makes z3 step aside where it is possible (``beyond``)."""
        if iv is None:
            iv, st = self.value(index, st, line)
        length = self.frame.arrays[array] if array in self.frame.arrays else self.p.shared[array].cap or 0
        k = z3.simplify(iv.expr)
        if z3.is_bv_value(k):
            k = k.as_signed_long()  # type: ignore[union-attr]
            if 0 <= k < length:
                return step(f"{array}[{k}]", st), [None]
            if self.pending() is not None:
                why = f"an index out of range (line {line}) whose panic may run deferred calls is not encoded"
                raise Unsupported(why)
            text = names.INDEX_OUT_OF_RANGE if k >= 0 else names.NEGATIVE_INDEX
            self.fail(st, "panic", text.format(index=k, length=length), line, z3.BoolVal(True))
            return _State(z3.BoolVal(False), st.regs, st.ctrl), []
        inside = z3.And(iv.expr >= 0, iv.expr < length)
        self.u.beyond.append((_COMPUTED_INDEX.format(line=line), z3.And(st.guard, z3.Not(inside))))
        seg, outs, conds = self.seg, [], []
        for j in range(length):
            guard = z3.And(st.guard, iv.expr == j)
            if _dead(guard):
                continue
            self.seg = list(seg)  # each goes on from the steps before it, not from the one before
            outs.append(step(f"{array}[{j}]", _State(guard, st.regs, st.ctrl | iv.deps)))
            conds.append(iv.expr == j)
        return _merge(outs), conds

    def index_assign(self, s: ast.IndexAssign, st: _State, line: int) -> _State:
        """``a[i] = v``: the index, the value, then the bounds check and the write."""
        iv, st = self.value(s.index, st, line)
        val, st = self.value(s.value, st, line)

        def store(loc: str, s: _State) -> _State:
            if s_name in self.frame.arrays:  # a local array's element: a register
                return _State(s.guard, {**s.regs, self.reg(loc): val}, s.ctrl)
            s = self.may_stop(s) if self.seg else s
            self.event(s, mev.WRITE, loc, val.expr, line, writes=True, data=val.deps)
            return s

        s_name = s.name
        return self.access(s.name, s.index, st, line, iv, store)[0]

    # ---- statements
    def stmts(self, body: tuple[ast.Stmt, ...], st: _State) -> _State:
        for s in body:
            if _dead(st.guard):
                break
            st = self.stmt(s, self.may_stop(st))
        return st

    def may_stop(self, st: _State) -> _State:
        """A place the goroutine may stop (main returned, or another panicked):
        what comes after runs only if ``stop`` lies beyond it."""
        self.point += 1
        self.seg = []
        atom = self.atoms[self.point] = self.point < self.stop
        return _State(z3.And(st.guard, atom), st.regs, st.ctrl)

    def may_resume(self, st: _State) -> z3.BoolRef:
        """A place to stop while parked, which only a panic after a close's
        wake-up lies beyond; the steps that follow the operation are guarded
        as before (a read after it still needs a place of its own)."""
        seg = self.seg
        guard = self.may_stop(st).guard
        self.seg = seg
        return guard

    def after_reads(self, st: _State) -> _State:
        """Each plain read is a step of its own (the machine's): it may stop
        after the reads of a statement, before the step they feed."""
        return self.may_stop(st) if mev.READ in self.seg else st

    def assign(self, st: _State, target: str | None, v: SV, line: int, decl: bool = False) -> _State:
        if target is None or target == "_":
            return st
        if target in self.frame.arrays:  # a local array's declaration (the checker allows no other): zeroed
            zeros = {self.reg(f"{target}[{k}]"): SV(ZERO) for k in range(self.frame.arrays[target])}
            return _State(st.guard, {**st.regs, **zeros}, st.ctrl)
        if self.is_mem(target):
            return self.store(st, target, v, line, decl)
        return _State(st.guard, {**st.regs, self.reg(target): v}, st.ctrl)

    def stmt(self, s: ast.Stmt, st: _State) -> _State:
        line = s.loc.line
        match s:
            case ast.Assign(target=str() as t, value=ast.MakeChan(cap=c)) if not self.is_mem(t):
                val, st = self.make_chan(st, t, c, line)  # named after its variable, as on the machine
                return self.assign(st, t, val, line)
            case ast.Assign(target=t, value=v, decl=decl):
                val, st = self.value(v, st, line)
                return self.assign(st, t, val, line, decl)
            case ast.AtomicCall(target=t, op=op, args=args):
                return self.atomic(st, t, op, args, line)
            case ast.IndexAssign():
                return self.index_assign(s, st, line)
            case ast.If(cond=c, then=then, orelse=orelse):
                val, st = self.value(c, st, line)
                truth = val.expr != 0
                ctrl = st.ctrl | val.deps
                a = self.stmts(then, _State(z3.And(st.guard, truth), st.regs, ctrl))
                b = self.stmts(orelse, _State(z3.And(st.guard, z3.Not(truth)), st.regs, ctrl))
                return _merge([a, b])
            case ast.ForConst():
                return self.for_const(s, st)
            case ast.ForCond(cond=c, body=body):
                return self.loop(body, st, c, self.unroll, None, line)
            case ast.ForRange(chan=ast.ChanRef(name=str() as a)) if a in self.frame.arrays:
                return self.range_array(s, st)
            case ast.ForRange(var=v, chan=c, body=body, decl=decl):
                return self.range(v, c, body, st, line, decl)
            case ast.Break() | ast.Continue():  # the loop's exits, or its next iteration's entries
                self.loops[-1][0 if isinstance(s, ast.Break) else 1].append(st)
                return _State(z3.BoolVal(False), st.regs, st.ctrl)
            case ast.Assert(cond=c):
                val, st = self.value(c, st, line)
                self.fail(st, "assert", "assertion failed", line, val.expr == 0)
                return _State(z3.And(st.guard, val.expr != 0), st.regs, st.ctrl | val.deps)
            case ast.Call(name="panic", args=(arg,)):
                assert isinstance(arg, ast.StrArg)
                self.fail(st, "panic", arg.text, line, z3.BoolVal(True))
                return _State(z3.BoolVal(False), st.regs, st.ctrl)
            case ast.Defer(call=c):
                return self.defer(st, c, line)
            case ast.MethodValue(target=t, args=(ast.IntLit(value=n),)):  # rand.Intn(n), the checker says
                return self.choose(st, t, n, line)
            case ast.Call(name="close", args=(ast.Name(),)) | ast.Send() | ast.Recv():
                return self.chan_stmt(s, st, line)
            case ast.Call(name=f, args=args):
                return self.call_stmt(f, args, st, line)
            case ast.Return(value=v):
                return self.ret(v, st, line)
            case ast.Select(cases=cases):
                return self.select(st, cases, line)
            case ast.GoStmt(func=f, args=args):
                return self.go(st, f, line, args)
            case ast.MethodCall(obj=o, method="Lock" | "Unlock" as m):
                return self.mutex(st, self.obj(o), m.lower(), line)
            case ast.MethodCall(obj=o, method="Add" | "Done" as m, args=args):
                delta = SV(_bv(-1))
                if m == "Add":
                    delta, st = self.value(args[0], st, line)  # type: ignore[arg-type]
                return self.wg_add(self.after_reads(st), self.obj(o), m, delta.expr, line)
            case ast.MethodCall(obj=o, method="Wait"):
                return self.wg_wait(st, self.obj(o), line)
            case ast.MethodCall(obj=o, method="Do", args=(ast.Name(name=f),)):
                return self.once_do(st, self.obj(o), f, line)
        raise Unsupported(f"statement {type(s).__name__}")  # pragma: no cover

    def chan_stmt(self, s: ast.Call | ast.Send | ast.Recv, st: _State, line: int) -> _State:
        """A close, send or receive: its channel first (Go evaluates it before a send's value)."""
        if isinstance(s, ast.Call):
            chan, st = self.chan(s.args[0].name, st, line)  # type: ignore[union-attr]
            return self.split(self.after_reads(st), [chan], line, lambda cs, s: self.close(s, cs[0], line))
        chan, st = self.chan(s.chan.name, st, line)
        if isinstance(s, ast.Send):
            val, st = self.value(s.value, st, line)
            return self.split(self.after_reads(st), [chan], line, lambda cs, s: self.send(s, cs[0], line, val))
        recv = s

        def received(cs: list[str | None], s: _State) -> _State:
            op = self.chan_op(s, "recv", cs[0], line, None)
            return self.received(s, op, recv.value, recv.ok, line, recv.decl)

        return self.split(self.after_reads(st), [chan], line, received)

    def loop(
        self,
        body,
        st: _State,
        cond: ast.Expr | None,
        bound: int,
        counter: str | None,
        line: int = 0,
        step: Callable[[_State], _State] | None = None,
        beyond: str | None = None,
    ) -> _State:
        """Unrolled ``bound`` times; one iteration more is a cut (``beyond``: a
        path left out, which makes z3 step aside if an execution takes it)."""
        exits: list[_State] = []
        for it in range(bound + 1):
            if _dead(st.guard):
                break
            if cond is not None:
                val, st = self.value(cond, st, line)
                truth = val.expr != 0
                exits.append(_State(z3.And(st.guard, z3.Not(truth)), st.regs, st.ctrl | val.deps))
                st = _State(z3.And(st.guard, truth), st.regs, st.ctrl | val.deps)
            if it == bound:
                if beyond is not None:
                    self.u.beyond.append((beyond, st.guard))
                elif counter is None:
                    # one iteration more than the bound: a step of its own on the machine,
                    # so main's return may come first and leave the registers of here
                    self.point += 1
                    beyond = self.point < self.stop
                    self.stopped_before(st, beyond)
                    self.u.cuts.append(z3.And(st.guard, beyond))
                else:
                    exits.append(st)  # a counted loop is done
                st = _State(z3.BoolVal(False), st.regs, st.ctrl)
                break
            self.loops.append(([], []))
            after = self.stmts(body, st)
            breaks, conts = self.loops.pop()
            exits.extend(breaks)
            st = _merge([after, *conts])
            if step is not None and not _dead(st.guard):
                st = step(st)
            if counter is not None:
                old = st.regs.get(counter, SV(ZERO))
                st = _State(st.guard, {**st.regs, counter: SV(old.expr + 1, old.deps)}, st.ctrl)
        return _merge([*exits, st])

    def for_const(self, s: ast.ForConst, st: _State) -> _State:
        """``for i := A; i < B; i++``: counted on a register, or in memory (``captured_for``)."""
        i, lo, hi = s.var, s.start, s.stop
        if i in self.frame.refs:
            return self.captured_for(i, lo, hi, s.body, s.decl, st, s.loc)
        st = _State(st.guard, {**st.regs, self.reg(i): SV(_bv(lo))}, st.ctrl)
        return self.loop(s.body, st, None, max(hi - lo, 0), self.reg(i))

    def range_array(self, s: ast.ForRange, st: _State) -> _State:
        """``for k, v := range a`` over a local array: ``a`` copied once (the
        range expression is evaluated once), then a counted loop whose body
        first sets ``k`` and ``v`` (declared per iteration since Go 1.22, once
        for the loop before, as ``range`` does)."""
        a, at, length = s.chan.name, s.loc, self.frame.arrays[s.chan.name]  # type: ignore[index]
        copy = f"$range{next(self.u.names)}"
        self.frame.arrays[copy] = length
        regs = {self.reg(f"{copy}[{j}]"): st.regs.get(self.reg(f"{a}[{j}]"), SV(ZERO)) for j in range(length)}
        st = _State(st.guard, {**st.regs, **regs}, st.ctrl)
        i, first = f"{copy}.i", []
        for var, value in ((s.var, ast.Name(i, at)), (s.value, ast.Index(copy, ast.Name(i, at), at))):
            if var in (None, "_"):
                continue
            once = s.decl and var in self.frame.escapes and not self.per_iteration
            if once:
                st = self.alloc(st, var, SV(ZERO), at.line)
            first.append(ast.Assign(var, value, at, s.decl and not once))
        return self.for_const(ast.ForConst(i, 0, length, (*first, *s.body), at), st)

    def captured_for(
        self, i: str, lo: int, hi: int, body: tuple[ast.Stmt, ...], decl: bool, st: _State, at: Loc
    ) -> _State:
        """``for i := LO; i < HI; i++`` over a variable a closure captured: its
        reads and writes are in memory (as the machine's), so a closure may change
        the trip count: it is unrolled HI - LO times (the closures' events
        unrolled to the machine's bound cost z3 minutes), and an execution that
        would run it once more makes z3 step aside. Since Go 1.22 each iteration
        has its own variable: the increment reads the old one and declares the
        next one with its value plus one."""
        line = at.line
        st = self.store(st, i, SV(_bv(lo)), line, decl)

        def step(s: _State) -> _State:
            old, s = self.value(ast.Name(i, at), s, line)
            return self.store(s, i, SV(old.expr + 1, old.deps), line, decl and self.per_iteration)

        cond = ast.Binary("<", ast.Name(i, at), ast.IntLit(hi, at), at)
        why = f"a loop over the captured variable {i} (line {line}) may run more than its {max(hi - lo, 0)} iterations"
        return self.loop(body, st, cond, max(hi - lo, 0), None, line, step, why)

    def range(self, var: str, c: ast.ChanRef, body, st: _State, line: int, decl: bool = False) -> _State:
        """``for v := range c``: receive until the close; unrolled to the bound, and
        a receive past it makes the answer Unknown (``overflows``). A captured
        ``v`` declared here is one location per iteration since Go 1.22, one
        for the loop before."""
        once = decl and var in self.frame.escapes and not self.per_iteration
        if once:
            st = self.alloc(st, var, SV(ZERO), line)
        chan, st = self.chan(c.name, st, line)  # evaluated once, before the loop
        return self.split(st, [chan], line, lambda cs, s: self.range_on(var, cs[0], c, body, s, line, decl, once))

    def range_on(
        self, var: str, chan: str | None, c: ast.ChanRef, body, st: _State, line: int, decl: bool, once: bool
    ) -> _State:
        exits: list[_State] = []
        if chan is not None:
            self.u.ranged.add(chan)
        bound = min(self.unroll, self.u.range_bounds.get(chan, self.unroll)) if chan is not None else self.unroll
        for it in range(bound + 1):
            if _dead(st.guard):
                break
            st = self.may_stop(st)
            if it == bound:
                self.u.overflows.append((c.name or "nil", st.guard))
                st = _State(z3.BoolVal(False), st.regs, st.ctrl)
                break
            op = self.chan_op(st, "recv", chan, line, None)
            exits.append(_State(z3.And(st.guard, op.closed), st.regs, st.ctrl))
            got = _State(z3.And(st.guard, op.done), st.regs, st.ctrl)
            st = self.assign(got, var, SV(op.val), line, decl and not once)
            self.loops.append(([], []))
            after = self.stmts(body, st)
            breaks, conts = self.loops.pop()
            exits.extend(breaks)
            st = _merge([after, *conts])
        return _merge([*exits, st])

    # ---- synchronisation
    def chan_op(
        self, st: _State, kind: str, chan: str | None, line: int, val: SV | None, select: Select | None = None
    ) -> ChanOp:
        reach = st.guard
        if select is None:
            begin = self.event(st, kind, chan or "", val.expr if val else ZERO, line, phase=mev.BEGIN)
            time = z3.Int(f"t{len(self.u.events)}")
        else:
            begin, time = select.begin, select.time
        done = self.var("done") if chan is not None else z3.BoolVal(False)
        closed = self.var("closed") if chan is not None and kind == "recv" else z3.BoolVal(False)
        value = val.expr if val is not None else z3.BitVec(f"rv{len(self.u.events)}", BITS)
        end = self.event(
            st,
            kind,
            chan or "",
            value,
            line,
            act=z3.And(reach, z3.Or(done, closed)),
            time=time,
            phase=mev.END,
        )
        op = ChanOp(
            kind, chan, self.g, line, reach, z3.And(reach, done), begin, end, value, time, z3.And(reach, closed)
        )
        op.select = select
        self.u.chan_ops.append(op)
        if select is None:
            waiting = z3.And(reach, z3.Not(done), z3.Not(closed))
            what = names.WAIT_SEND if kind == "send" else names.WAIT_RECEIVE
            failed = z3.Bool(f"sendfail{end.id}")
            pending = self.pending() if kind == "send" and chan is not None else None
            if pending is not None:
                waiting = z3.And(waiting, z3.Not(z3.And(failed, pending)))  # its panic unwinds: it goes on
                op.unwinds = True
            self.blocks(st, what if chan is not None else what + names.NIL_CHAN, line, waiting, [op])
            if kind == "send" and chan is not None:
                # a send that parked before a close panics when it next runs: main's
                # return may come first. Its time is then when it tried (one closed
                # before it panics at once), in program order whether or not it completes.
                end.at = reach
                op.resumes = self.may_resume(st)
                op.failure = self.fail(st, "panic", names.SEND_ON_CLOSED, line, failed)
                if pending is not None:
                    self.unwound(st, chan, line, z3.And(reach, failed, pending))
        return op

    def send(self, st: _State, chan: str | None, line: int, val: SV) -> _State:
        op = self.chan_op(st, "send", chan, line, val)
        return _State(z3.And(st.guard, op.done), st.regs, st.ctrl)

    def received(self, st: _State, op: ChanOp, v: str | None, ok: str | None, line: int, decl: bool = False) -> _State:
        st = _State(z3.And(st.guard, z3.Or(op.done, op.closed)), st.regs, st.ctrl)
        st = self.assign(st, v, SV(z3.If(op.done, op.val, ZERO)), line, decl)
        return self.assign(st, ok, SV(_b2v(op.done)), line, decl)

    def select(self, st: _State, cases: tuple[ast.Case, ...], line: int) -> _State:
        comm = [c for c in cases if not isinstance(c, ast.DefaultCase)]
        default = next((c for c in cases if isinstance(c, ast.DefaultCase)), None)
        if not comm and default is None:
            self.blocks(st, names.WAIT_SELECT_NO_CASES, line, st.guard)
            return _State(z3.BoolVal(False), st.regs, st.ctrl)
        values: list[SV | None] = []
        chans: list[Chan] = []
        for case in comm:  # Go evaluates every channel and send value on entering the select, in source order
            chan, st = self.chan(case.chan.name, st, line)
            chans.append(chan)
            if isinstance(case, ast.SendCase):
                v, st = self.value(case.value, st, line)
                values.append(v)
            else:
                values.append(None)
        return self.split(
            self.after_reads(st), chans, line, lambda cs, s: self.select_on(s, comm, default, cs, values, line)
        )

    def select_on(
        self,
        st: _State,
        comm: list[ast.Case],
        default: ast.DefaultCase | None,
        chans: list[str | None],
        values: list[SV | None],
        line: int,
    ) -> _State:
        begin = self.event(st, mev.SELECT, "", ZERO, line, phase=mev.BEGIN)
        sel = Select(self.g, line, st.guard, z3.Int(f"t{begin.id}"), begin)
        self.u.selects.append(sel)
        outs: list[_State] = []
        for case, chan, val in zip(comm, chans, values, strict=True):
            self.seg = [mev.SELECT]  # each case goes on from the poll, not from the case before
            kind = "send" if isinstance(case, ast.SendCase) else "recv"
            op = self.chan_op(st, kind, chan, case.loc.line, val, sel)
            sel.cases.append(op)
            if kind == "recv":
                assert isinstance(case, ast.RecvCase)
                inner = self.received(st, op, case.value, case.ok, case.loc.line, case.decl)
            else:
                inner = _State(z3.And(st.guard, op.done), st.regs, st.ctrl)
            outs.append(self.select_body(case.body, inner))
        taken = [z3.Or(op.done, op.closed) for op in sel.cases]
        if default is not None:
            sel.default = self.var("default")
            self.seg = [mev.SELECT]
            d = self.event(
                st, mev.SELECT, "", ZERO, line, act=z3.And(st.guard, sel.default), time=sel.time, phase=mev.END
            )
            sel.default_end = d
            outs.append(self.select_body(default.body, _State(d.act, st.regs, st.ctrl)))
            taken.append(sel.default)
        # parked, woken by a close of a send case's channel: it panics when it next runs
        sel.resumes = self.may_resume(st) if default is None else st.guard
        for op in sel.cases:
            op.end.at = sel.reach  # its time: when it completed, or else when it polled
            if op.kind == "send" and op.chan is not None:
                panic = self.var("selpanic")
                sel.panics.append((op, panic))
                op.resumes = sel.resumes
                op.failure = self.fail(st, "panic", names.SEND_ON_CLOSED, line, panic)
        pending = self.pending() if sel.panics else None
        sel.unwinds = pending is not None
        for op, p in sel.panics if pending is not None else ():
            self.seg = [mev.SELECT]
            self.unwound(st, op.chan, line, z3.And(st.guard, p, pending))  # type: ignore[arg-type]
        if default is None:
            waiting = z3.And(st.guard, z3.Not(z3.Or(*taken)))
            if pending is not None:  # its panic unwinds: it goes on
                waiting = z3.And(waiting, z3.Not(z3.And(z3.Or(*(p for _op, p in sel.panics)), pending)))
            self.blocks(st, names.WAIT_SELECT, line, waiting, sel.cases)
        return _merge(outs)

    def select_body(self, body: tuple[ast.Stmt, ...], st: _State) -> _State:
        self.loops.append(([], []))  # break leaves the select
        after = self.stmts(body, st)
        breaks, conts = self.loops.pop()
        if conts:
            self.loops[-1][1].extend(conts)  # continue belongs to the enclosing loop
        return _merge([after, *breaks])

    def close(self, st: _State, chan: str | None, line: int) -> _State:
        if chan is None:
            self.fail(st, "panic", names.CLOSE_OF_NIL, line, z3.BoolVal(True))
            return _State(z3.BoolVal(False), st.regs, st.ctrl)
        ok = self.var("closeok")
        e = self.event(st, mev.CLOSE, chan, ZERO, line, timed=True)
        act = e.at = e.act
        e.act = z3.And(act, ok)
        pending = self.pending()
        self.u.closes.append(CloseOp(chan, self.g, line, act, ok, e, pending is not None))
        self.fail(st, "panic", names.CLOSE_OF_CLOSED, line, z3.Not(ok))
        if pending is not None:
            self.unwound(st, chan, line, z3.And(act, z3.Not(ok), pending))
        return _State(z3.And(st.guard, ok), st.regs, st.ctrl)

    def unwound(self, st: _State, chan: str, line: int, act: z3.BoolRef) -> None:
        """The step of a channel operation that panicked on ``chan``, closed,
        and went on into its deferred calls (``UNWOUND``): after the operation
        in program order, so after the close that made it fail."""
        self.event(st, UNWOUND, chan, ZERO, line, timed=True, act=act)

    def mutex(self, st: _State, m: str, kind: str, line: int) -> _State:
        done = self.var("lockdone" if kind == "lock" else "unlockok")
        ekind = mev.LOCK if kind == "lock" else mev.UNLOCK
        e = self.event(st, ekind, m, ZERO, line, timed=True, act=z3.And(st.guard, done))
        if kind == "unlock":
            e.at = st.guard
        self.u.mutex_ops.append(MutexOp(kind, m, self.g, line, st.guard, e.act, e))
        if kind == "lock":
            self.blocks(st, f"{names.WAIT_LOCK} {m}", line, z3.And(st.guard, z3.Not(done)), mutex=m)
        else:
            self.fail(st, "panic", names.UNLOCK_OF_UNLOCKED, line, z3.Not(done), fatal=True)  # Go's throw
        return _State(z3.And(st.guard, done), st.regs, st.ctrl)

    def call(self, f: str, st: _State, unwound: list[_State] | None = None, recover: str | None = None) -> _State:
        """A paren-less function inlined: it runs on its caller's registers.
        A panic it does not end goes on in the caller's frame (``returned``).
        ``recover``: a deferred call's (``_Frame.recover``)."""
        if self.p.funcs[f].go_sig:  # once.Do of a func()
            return self.call_sig(f, (), st, 0, unwound)[1]
        if self.depth >= MAX_INLINE:
            raise Unsupported(f"calls nested deeper than {MAX_INLINE} (recursion) are not encoded")
        self.depth += 1
        frame = self.push_frame(f)
        self.enter()
        # its caller's registers, but not its caller's parameters: a name that is
        # a parameter there (a shadowed shared variable, a channel or sync object
        # bound at the call) is the declared one in its body, as on the machine
        caller = self.frame
        self.frame = _Frame(caller.prefix, chans=_chan_vars(self.p, f), recover=recover, arrays=_arrays(self.p, f))
        try:
            out, panicking = self.leave(self.stmts(self.p.funcs[f].body, st))
        finally:
            self.frame = caller
            self.depth -= 1
            self.stack -= frame
        self.returned(panicking, unwound)
        return out

    def bind(
        self, f: str, args: tuple[ast.Arg, ...], st: _State, line: int
    ) -> tuple[dict[str, SV], dict[str, str | None], _State]:
        """A call's arguments, left to right: values of the int and bool
        parameters (their reads and calls unfolded here), and the objects the
        channel and sync parameters are bound to."""
        vals: dict[str, SV] = {}
        objs: dict[str, str | None] = {}
        for q, a in zip(self.p.funcs[f].params or (), args, strict=True):
            kind = param_kind(q.type)
            if kind == "int":
                vals[q.name], st = self.value(a, st, line)  # type: ignore[arg-type]
            elif kind == "ref":  # a captured variable: its location (``_ref``)
                assert isinstance(a, ast.Name) and a.name in self.frame.refs
                vals[_ref(q.name)] = st.regs.get(self.reg(_ref(a.name)), SV(ZERO))
            elif kind == "chan" and isinstance(a, ast.Name) and self.static_chan(a.name):
                objs[q.name] = self.chan_name(a.name)
            elif kind == "chan":  # a channel value: its number, in the parameter's register
                vals[q.name], st = self.value(a, st, line)  # type: ignore[arg-type]
            else:
                assert isinstance(a, ast.AddrArg | ast.Name)
                objs[q.name] = self.obj(a.name)
        return vals, objs, st

    def frame_of(self, f: str, prefix: str, objs: dict[str, str | None], vals: dict[str, SV]) -> _Frame:
        """The frame of a Go-signature call of ``f`` (``bind`` gave its arguments)."""
        decl = self.p.funcs[f]
        refs = decl.escapes | _ref_params(decl)
        regs = frozenset(n for n in vals if not n.startswith("$"))
        return _Frame(prefix, objs, regs, refs, decl.escapes, _chan_vars(self.p, f), arrays=_arrays(self.p, f))

    def call_sig(
        self, f: str, args: tuple[ast.Arg, ...], st: _State, line: int, unwound: list[_State] | None = None
    ) -> tuple[SV, _State]:
        """A Go-signature function inlined in a frame of its own (``_Frame``):
        its result, and the state its returns and its end merge into."""
        if self.depth >= MAX_INLINE:
            raise Unsupported(f"calls nested deeper than {MAX_INLINE} (recursion) are not encoded")
        vals, objs, st = self.bind(f, args, st, line)
        return self.invoke(f, vals, objs, st, unwound)

    def invoke(
        self,
        f: str,
        vals: dict[str, SV],
        objs: dict[str, str | None],
        st: _State,
        unwound: list[_State] | None = None,
        recover: str | None = None,
    ) -> tuple[SV, _State]:
        """``call_sig`` with its arguments bound (a deferred call's, at its ``defer``:
        ``recover``, its ``_Frame.recover``). The result is the one its return
        set: deferred calls cannot name it."""
        if self.depth >= MAX_INLINE:
            raise Unsupported(f"calls nested deeper than {MAX_INLINE} (recursion) are not encoded")
        caller = self.frame
        self.frame = replace(self.frame_of(f, f"${f}@{next(self.u.names)}.", objs, vals), recover=recover)
        self.depth += 1
        frame = self.push_frame(f)
        self.enter()
        try:
            regs = {**st.regs, **{self.reg(n): v for n, v in vals.items()}}
            body = self.p.funcs[f].body
            end = self.stmts(body, self.entry(body, _State(st.guard, regs, st.ctrl)))
            out, panicking = self.leave(end)
            result = out.regs.get(self.reg(RET), SV(ZERO))
        finally:
            self.frame = caller
            self.depth -= 1
            self.stack -= frame
        self.returned(panicking, unwound)
        return result, out

    def ret(self, v: ast.Expr | None, st: _State, line: int) -> _State:
        """``return``: its value set (pinned: the deferred calls that run at the
        frame's end cannot name it), the state kept for the frame's end."""
        if v is not None:
            val, st = self.value(v, st, line)
            st = _State(st.guard, {**st.regs, self.reg(RET): val}, st.ctrl)
        self.rets[-1].append(st)
        return _State(z3.BoolVal(False), st.regs, st.ctrl)

    def call_stmt(self, f: str, args: tuple[ast.Arg, ...], st: _State, line: int) -> _State:
        """A call as a statement (``panic`` and ``close`` are taken before)."""
        if f == "recover":
            return self.recover(st)[1]
        if self.p.funcs[f].go_sig:
            return self.call_sig(f, args, st, line)[1]
        return self.call(f, st)

    def choose(self, st: _State, target: str | None, n: int, line: int) -> _State:
        """``rand.Intn(n)``: a step whose value is any of 0 .. n-1 (``encode_rand``)."""
        choice = z3.BitVec(f"rand{len(self.u.events)}", BITS)
        e = self.event(st, mev.CHOOSE, "", choice, line, op=str(n))
        self.u.rand.append((e, n))
        if target is not None and self.is_int(target):
            st = self.may_stop(st)  # the choice and the store are two steps
        return self.assign(st, target, SV(choice), line)

    def defer(self, st: _State, c: ast.Call | ast.MethodCall, line: int) -> _State:
        """``defer``: the call's arguments evaluated now (a function's values and
        objects, ``wg.Add``'s delta); a paren-less function runs on the registers
        of the return, a method, ``close`` or ``panic`` as the statement it is
        (the machine's wrapper, bound to this frame's objects as this frame is)."""
        run: Callable[[_State, str], _State]
        if isinstance(c, ast.Call) and c.name == "recover":
            run = lambda s, _r: s  # noqa: E731  # not called by a deferred function: nil, and nothing else
        elif isinstance(c, ast.Call) and c.name in self.p.funcs and self.p.funcs[c.name].go_sig:
            f = c.name
            vals, objs, st = self.bind(f, c.args, st, line)
            run = lambda s, r: self.invoke(f, vals, objs, s, recover=r)[1]  # noqa: E731
        elif isinstance(c, ast.Call) and c.name in self.p.funcs:
            f = c.name
            run = lambda s, r: self.call(f, s, recover=r)  # noqa: E731
        elif isinstance(c, ast.Call) and c.name == "close":  # its channel now, as Go evaluates it
            chan, st = self.chan(c.args[0].name, st, line)  # type: ignore[union-attr]
            at = c.loc.line
            run = lambda s, _r: self.split(self.may_stop(s), [chan], at, lambda cs, s2: self.close(s2, cs[0], at))  # noqa: E731
        elif isinstance(c, ast.MethodCall) and c.method == "Add":
            delta, st = self.value(c.args[0], st, line)  # type: ignore[arg-type]
            wg, at = self.obj(c.obj), c.loc.line
            run = lambda s, _r: self.wg_add(self.may_stop(s), wg, "Add", delta.expr, at)  # noqa: E731
        else:
            run = lambda s, _r: self.stmts((c,), s)  # noqa: E731
        self.defers[-1].append(_Deferred(st.guard, line, run))
        return st

    def push_frame(self, f: str) -> int:
        """Frames change no memory semantics (a stack split is the goroutine's
        own business), but a stack that would outgrow the runtime's maximum is
        Go's fatal "stack overflow", which is not encoded."""
        frame = self.p.funcs[f].frame
        frame = STACK.default_frame if frame is None else frame
        self.stack += frame
        if self.stack + STACK.stack_guard > MAX_STACK:
            raise Unsupported("a stack that may grow past the runtime's maximum (stack overflow) is not encoded")
        return frame

    def once_do(self, st: _State, once: str, f: str, line: int) -> _State:
        first, done = self.var("oncefirst"), self.var("oncedone")
        begin = self.event(
            st, mev.ONCE, once, ZERO, line, timed=True, act=z3.And(st.guard, z3.Or(first, done)), phase=mev.BEGIN
        )
        unwound: list[_State] = []
        ran = self.call(f, _State(z3.And(st.guard, first), st.regs, st.ctrl), unwound)
        ran = self.may_stop(ran)  # f's return and the once's completion are two steps
        # f panicked: the unwinding pops its frame only to run a deferred call
        # below it, and then the once is done, in that same step (doSlow's defer)
        panicked, below = _merge(unwound), self.pending()
        done_too = [] if below is None else [_State(z3.And(panicked.guard, below), panicked.regs, panicked.ctrl)]
        end = self.event(_merge([ran, *done_too]), mev.ONCE, once, ZERO, line, timed=True, phase=mev.END)
        self.returned(panicked, None)
        cond = z3.And(st.guard, z3.Not(first), done)
        waited = self.event(st, mev.ONCE, once, ZERO, line, act=cond, time=begin.time, phase=mev.END)
        self.u.once_ops.append(OnceOp(once, self.g, line, st.guard, first, done, begin, end, waited))
        self.blocks(st, f"{names.WAIT_ONCE} {once}", line, z3.And(st.guard, z3.Not(first), z3.Not(done)), once=once)
        return _merge([ran, _State(waited.act, st.regs, st.ctrl)])

    def wg_add(self, st: _State, wg: str, method: str, delta: z3.BitVecRef, line: int) -> _State:
        ok = self.var("wgok")
        ekind = mev.WG_DONE if method == "Done" else mev.WG_ADD
        e = self.event(st, ekind, wg, delta, line, timed=True, act=z3.And(st.guard, ok), op=method)
        e.at = st.guard
        self.u.wg_ops.append(WgOp("add", wg, self.g, line, st.guard, e.act, delta, e))
        if self.pending() is not None:
            # the machine records the Add that goes negative, then unwinds
            raise Unsupported(f"a WaitGroup {method} (line {line}) whose panic may run deferred calls is not encoded")
        self.fail(st, "panic", names.NEGATIVE_COUNTER, line, z3.Not(ok))
        return _State(z3.And(st.guard, ok), st.regs, st.ctrl)

    def wg_wait(self, st: _State, wg: str, line: int) -> _State:
        done = self.var("wgdone")
        e = self.event(st, mev.WG_WAIT, wg, ZERO, line, timed=True, act=z3.And(st.guard, done))
        self.u.wg_ops.append(WgOp("wait", wg, self.g, line, st.guard, e.act, ZERO, e))
        self.blocks(st, f"{names.WAIT_WG} {wg}", line, z3.And(st.guard, z3.Not(done)), wg=wg)
        return _State(z3.And(st.guard, done), st.regs, st.ctrl)

    def go(self, st: _State, f: str, line: int, args: tuple[ast.Arg, ...] = ()) -> _State:
        """Instances are named f, f#2, f#3, ... in spawn order (docs/language.md). That
        order is program order when one goroutine starts them all, and each go
        statement runs only if the one before it did (a loop unrolled: each
        iteration's, if the iteration before ran its): otherwise it is open.
        The arguments are the spawner's, evaluated before the go statement: a
        call among them may start instances first, and may not return."""
        if self.spawn_depth >= MAX_INLINE:
            # a go inside the goroutine it starts, its guard not false by constants
            raise Unsupported(f"goroutines started one by the other deeper than {MAX_INLINE} are not encoded")
        vals, objs, st = self.bind(f, args, st, line)
        if f in self.u.dynamic:
            # started by two goroutines, or by a go that may run without the one
            # before: each go statement's instance gets a name of its own here,
            # and the engine names it f, f#2, ... by when its go statement runs
            name = f"{f}@{len(self.u.dynamic[f]) + 1}"
        else:
            spawner, guards = self.spawns.setdefault(f, (self.g, []))
            if spawner != self.g or (guards and not _implies(st.guard, guards[-1])):
                raise _Dynamic(f)
            guards.append(st.guard)
            name = f if len(guards) == 1 else f"{f}#{len(guards)}"
        if name in self.u.stops:  # pragma: no cover - the language keeps goroutine and function names apart
            raise Unsupported(f"{name} names two goroutines")
        st = self.after_reads(st)
        go = self.event(st, mev.GO, name, ZERO, line, timed=True)
        if f in self.u.dynamic:
            self.u.dynamic[f].append((name, go))
        child = _Unfolder(self.p, self.u, name, self.unroll, self.spawns)
        child.frame = self.frame_of(f, "", objs, vals)
        child.spawn_depth = self.spawn_depth + 1
        child.push_frame(f)
        # the new goroutine's parameters: values, not the spawner's reads (no dependency crosses)
        start = child.run(self.p.funcs[f].body, st.guard, line, {n: SV(v.expr) for n, v in vals.items()})
        self.u.spawns.append((go, start))
        return st

    def atomic(self, st: _State, target: str | None, op: str, args, line: int) -> _State:
        loc = args[0].name
        if loc in self.frame.refs:  # &n of a captured variable: its location here
            loc = self.cell(st, loc, line)
            self.u.atomic_vars.add(loc)
        vals = []
        for a in args[1:]:
            v, st = self.value(a, st, line)
            vals.append(v)
        st = self.after_reads(st)
        if op == "Store":
            self.event(st, mev.ATOMIC, loc, vals[0].expr, line, op=op, writes=True, data=vals[0].deps, timed=True)
            return st
        rid = len(self.u.events)
        old = z3.BitVec(f"rd{rid}_{loc}", BITS)
        r = self.event(st, mev.ATOMIC, loc, old, line, op=op, reads=True, timed=True)
        deps = frozenset({rid})
        if op == "Load":
            return self.assign(st, target, SV(old, deps), line)
        if op == "Add":
            new = old + vals[0].expr
            self.event(
                st, mev.ATOMIC, loc, new, line, op=op, writes=True, rmw_of=rid, data=deps | vals[0].deps, time=r.time
            )
            return self.assign(st, target, SV(new, deps | vals[0].deps), line)
        ok = old == vals[0].expr
        guarded = _State(z3.And(st.guard, ok), st.regs, st.ctrl)
        self.event(
            guarded,
            mev.ATOMIC,
            loc,
            vals[1].expr,
            line,
            op=op,
            writes=True,
            rmw_of=rid,
            data=deps | vals[1].deps,
            time=r.time,
        )
        return self.assign(st, target, SV(_b2v(ok), deps | vals[0].deps), line)
