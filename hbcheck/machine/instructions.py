"""The machine's instructions: one frozen class per opcode.

``code.py`` emits them; the machine and the footprints match on their
classes. ``local`` ones touch only registers and the pc, and run inside the
step before them (``Machine._run_local``); every other one is a visible
step, touching at most one shared object (a select: its cases' channels).
Expressions over registers are closures (``Fn``). A ``line`` field is the
source line the instruction reports in its events and failures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

Fn = Callable[[dict[str, int]], int]


class Instr:
    """Any instruction; ``local`` says whether it runs inside the step before it."""

    __slots__ = ()
    local: ClassVar[bool] = False


class _Local(Instr):
    __slots__ = ()
    local: ClassVar[bool] = True


# ---- local: registers and control flow


@dataclass(frozen=True, slots=True)
class Set(_Local):
    reg: str
    value: Fn


@dataclass(frozen=True, slots=True)
class Jz(_Local):
    """Jump to ``target`` when ``cond`` is 0 (None only while compiling: a forward jump)."""

    cond: Fn
    target: int | None


@dataclass(frozen=True, slots=True)
class Jump(_Local):
    target: int | None  # None only while compiling


@dataclass(frozen=True, slots=True)
class Bound(_Local):
    """A loop's head: counts its iterations in ``counter``; one past ``trips``
    plus the unroll bound cuts the execution."""

    counter: str
    trips: int
    line: int


@dataclass(frozen=True, slots=True)
class Call(_Local):
    func: str
    line: int


@dataclass(frozen=True, slots=True)
class Invoke(_Local):
    """A call of a function with a Go signature (``code``: its body for the
    channels and sync objects its parameters are bound to): a frame of
    registers of its own, the parameters set to ``args`` evaluated in the
    caller's; its result goes to the caller's ``result`` (None: dropped)."""

    code: str
    args: tuple[Fn, ...]
    result: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Ret(_Local):
    """A function body's end: back to the caller, or a spawned goroutine exits."""


@dataclass(frozen=True, slots=True)
class Return(_Local):
    """``return [value]`` of a function with a Go signature (its body's end too):
    back to the caller's registers, or a spawned goroutine exits."""

    value: Fn | None
    line: int


@dataclass(frozen=True, slots=True)
class Defer(_Local):
    """``defer CALL``: pushes ``code`` with ``args`` (evaluated now) on the
    goroutine's deferred calls, run LIFO when this frame returns or a panic
    unwinds it. ``code`` is a function's (a Go signature: ``args`` are its
    parameters) or a wrapper the compiler made for a method, ``close`` or
    ``panic``."""

    code: str
    args: tuple[Fn, ...]
    line: int


@dataclass(frozen=True, slots=True)
class SetElem(_Local):
    """``array[index] = value`` of a local array: the element's register
    (``array[k]``); out of range, Go's run-time panic."""

    array: str
    length: int
    index: Fn
    value: Fn
    line: int


@dataclass(frozen=True, slots=True)
class Recover(_Local):
    """``recover()``: stops the goroutine's panic when its frame is a deferred
    call the panic runs (Go: called directly by the deferred function); sets
    ``result`` to 1 then, else 0 (nil)."""

    result: str | None
    line: int


@dataclass(frozen=True, slots=True)
class Assert(_Local):
    cond: Fn
    line: int


@dataclass(frozen=True, slots=True)
class Panic(_Local):
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Exit(_Local):
    """A top-level goroutine body's end (``main``'s is a visible step: it ends the program)."""

    line: int


# ---- visible: a choice


@dataclass(frozen=True, slots=True)
class Choose(Instr):
    """``reg = rand.Intn(n)``: a step with ``n`` alternatives, one per value;
    it touches nothing shared, so it commutes with every other goroutine's steps."""

    reg: str
    n: int
    line: int


# ---- visible: shared variables


@dataclass(frozen=True, slots=True)
class Load(Instr):
    """``reg = var``; with a site ``&NAME``, ``var`` is the register holding the
    location (a variable a closure captured, allocated at run time), and the
    site stands for every location allocated for NAME in footprints. An
    array's element has the array's name as its site: with an ``index``,
    ``var`` is the array and the element is computed when the step runs."""

    reg: str
    var: str
    line: int
    site: str | None = None
    index: Fn | None = None  # an array's element: ``var[index]``, checked against ``length``
    length: int = 0


@dataclass(frozen=True, slots=True)
class Store(Instr):
    var: str
    value: Fn
    line: int
    site: str | None = None  # as for ``Load``
    index: Fn | None = None  # as for ``Load``
    length: int = 0


@dataclass(frozen=True, slots=True)
class Alloc(_Local):
    """A captured variable's declaration: a new location, named after the
    goroutine and the variable, set to ``value``, its address in ``ref``. No
    other goroutine can reach it yet, so it runs inside the step before."""

    ref: str
    name: str
    value: Fn
    line: int


@dataclass(frozen=True, slots=True)
class Atomic(Instr):
    """``target = atomic.<op>(&var, args...)``; ``target`` None: the result is dropped."""

    op: str  # "Load", "Store", "Add", "CompareAndSwap"
    var: str
    args: tuple[Fn, ...]
    target: str | None
    line: int
    site: str | None = None  # as for ``Load``: a variable in memory, ``var`` the register with its location


# ---- slices (runtime/slice.go): a header in a register (slices.py), its
# elements locations of their backing array. ``site`` is the slice variable:
# every backing array it ever holds is its own, so footprints name it.


@dataclass(frozen=True, slots=True)
class SliceMake(_Local):
    """``reg = make([]int, len, cap)``: a new backing array, named after the
    goroutine and ``hint``; its elements are 0 (initial writes, made when
    first touched). A bad size panics as makeslice does."""

    reg: str
    hint: str
    len: Fn
    cap: Fn | None
    line: int


@dataclass(frozen=True, slots=True)
class SliceLoad(Instr):
    """``reg = s[index]`` on the header in register ``hdr``: checked against its length."""

    reg: str
    hdr: str
    index: Fn
    site: str
    line: int
    key: str = ""  # the footprint's name for the elements (code.py's slice_key)


@dataclass(frozen=True, slots=True)
class SliceStore(Instr):
    """``s[index] = value`` on the header in register ``hdr``."""

    hdr: str
    index: Fn
    value: Fn
    site: str
    line: int
    key: str = ""


@dataclass(frozen=True, slots=True)
class SliceAppend(Instr):
    """``reg = append(s, values...)`` on the header in ``hdr``: in place when
    the capacity allows, else growslice's new array (the old elements read,
    as the race detector sees the copy) named after the goroutine and ``site``."""

    reg: str
    hdr: str
    values: tuple[Fn, ...]
    site: str
    line: int
    key: str = ""


# ---- maps (runtime/map.go: ``map`` None is a nil map). A map is one location
# for races, as the race detector sees it (racereadpc/racewritepc on the map
# header); a write sets the map's hashWriting flag for two steps, so that
# another goroutine's operation in between meets Go's fatal error.


@dataclass(frozen=True, slots=True)
class MapMake(_Local):
    """``reg = make(map[K]V)`` in a body: a new map, named after the goroutine
    and ``hint`` (makemap ignores a bad size hint: no panic)."""

    reg: str
    hint: str
    line: int


@dataclass(frozen=True, slots=True)
class MapRead(Instr):
    """``vreg[, okreg] = m[key]`` (mapaccess1/2): a write under way is fatal."""

    map: str | None
    key: Fn
    vreg: str | None
    okreg: str | None
    line: int
    via: str | None = None  # the register holding the map (a map value), else ``map``
    site: str = ""  # the footprint's name for the map (code.py's map_site)


@dataclass(frozen=True, slots=True)
class MapWrite(Instr):
    """``m[key] = value`` (mapassign) or, ``value`` None, ``delete(m, key)``
    (mapdelete): the race detector's write, then sets hashWriting; ``MapDone``
    steps follow."""

    map: str | None
    key: Fn
    value: Fn | None
    line: int
    via: str | None = None  # the register holding the map (a map value), else ``map``
    site: str = ""  # the footprint's name for the map (code.py's map_site)


@dataclass(frozen=True, slots=True)
class MapDone(Instr):
    """A later step of a map write (Go 1.19's mapassign_fast64 and mapdelete):
    ``insert`` makes or removes the entry (the count changes, still under
    hashWriting), ``clear`` clears hashWriting, ``store`` (an assignment's)
    stores the value into the entry, as the compiled code does once mapassign
    has returned."""

    map: str | None
    phase: str  # "insert", "clear" or "store"
    line: int
    via: str | None = None  # the register holding the map (a map value), else ``map``
    site: str = ""  # the footprint's name for the map (code.py's map_site)


@dataclass(frozen=True, slots=True)
class MapLen(Instr):
    """``reg = len(m)``: a read of the map's count (the header the race detector watches)."""

    reg: str
    map: str | None
    line: int
    via: str | None = None  # the register holding the map (a map value), else ``map``
    site: str = ""  # the footprint's name for the map (code.py's map_site)


@dataclass(frozen=True, slots=True)
class MapNext(Instr):
    """One step of ``for k, v := range m`` (mapiternext), the iterator in
    register ``it`` (None before the first): one alternative per entry not
    produced yet, and the end once every entry the loop started with is
    produced or deleted (Go may produce or skip entries added during the
    loop). ``okreg`` is 1 with an entry, 0 at the end."""

    map: str | None
    it: str
    kreg: str | None
    vreg: str | None
    okreg: str
    line: int
    via: str | None = None  # the register holding the map (a map value), else ``map``
    site: str = ""  # the footprint's name for the map (code.py's map_site)


# ---- channels (``chan`` None: a nil channel; with ``via``, the channel is
# the value of that register when the step runs, and ``chan`` is None)


@dataclass(frozen=True, slots=True)
class Make(_Local):
    """``reg = make(chan T, cap)``: a new channel, named after the goroutine
    and ``hint`` (the variable it is made for). No other goroutine can reach
    it yet, so it runs inside the step before; a negative ``cap`` panics."""

    reg: str
    hint: str
    cap: Fn
    line: int
    may_panic: bool = True  # False: a capacity written as a constant Go accepts


@dataclass(frozen=True, slots=True)
class ChanCap(_Local):
    """``reg = cap(chan)``: fixed when the channel is made, so a register-only step."""

    reg: str
    chan: str | None
    line: int
    via: str | None = None


@dataclass(frozen=True, slots=True)
class ChanLen(Instr):
    """``reg = len(chan)``: the values buffered now (chanlen reads ``qcount``)."""

    reg: str
    chan: str | None
    line: int
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Send(Instr):
    chan: str | None
    value: Fn
    line: int
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Recv(Instr):
    """``vreg, okreg = <-chan``; a register None: that value is dropped."""

    chan: str | None
    vreg: str | None
    okreg: str | None
    line: int
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Close(Instr):
    chan: str | None
    line: int
    via: str | None = None


@dataclass(frozen=True, slots=True)
class SelectCase:
    """A send (``value``) or receive (``vreg``, ``okreg``) case; it runs on at ``body_pc``."""

    send: bool
    chan: str | None
    value: Fn | None
    vreg: str | None
    okreg: str | None
    body_pc: int
    line: int
    via: str | None = None


@dataclass(frozen=True, slots=True)
class Select(Instr):
    """A select with communication cases; ``default_pc`` None: no default."""

    cases: tuple[SelectCase, ...]
    default_pc: int | None
    line: int


@dataclass(frozen=True, slots=True)
class Block(Instr):
    """Park for ever (``select {}``), waiting on ``text``."""

    text: str
    line: int


# ---- visible: goroutines and sync


@dataclass(frozen=True, slots=True)
class Go(Instr):
    """``go func(args)``: ``code`` is the body to run (see ``Invoke``), ``args``
    are evaluated by the spawner."""

    func: str
    line: int
    code: str = ""
    args: tuple[Fn, ...] = ()


@dataclass(frozen=True, slots=True)
class Lock(Instr):
    mutex: str
    line: int


@dataclass(frozen=True, slots=True)
class Unlock(Instr):
    mutex: str
    line: int


@dataclass(frozen=True, slots=True)
class WgAdd(Instr):
    wg: str
    delta: Fn
    line: int


@dataclass(frozen=True, slots=True)
class WgDone(Instr):
    wg: str
    line: int


@dataclass(frozen=True, slots=True)
class WgWait(Instr):
    wg: str
    line: int


@dataclass(frozen=True, slots=True)
class Once(Instr):
    """``once.Do(func)``: begins it, calling ``func`` the first time; a ``OnceDone`` follows."""

    once: str
    func: str
    line: int


@dataclass(frozen=True, slots=True)
class OnceDone(Instr):
    """The end of ``once.Do``, where ``func`` returns to."""

    once: str
    line: int
