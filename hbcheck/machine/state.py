"""The machine's state: goroutines, shared objects, and what happened so far.

``State.copy`` is the explorer's branching point; everything here is plain
mutable data copied field by field (cheap for litmus-sized programs).
"""

from __future__ import annotations

from dataclasses import dataclass

from hbcheck.machine.events import Event
from hbcheck.machine.hchan import HChan

# goroutine status
RUN = "run"  # its next instruction is a visible step (it may still be disabled)
PARKED = "parked"  # on channel queues, or forever on a nil channel / select {}
DONE = "done"
FAIL = "fail"  # its next step panics or fails an assertion
CUT = "cut"  # hit a bound; its next step ends the execution as incomplete


@dataclass(frozen=True, slots=True)
class Pending:
    """What a FAIL or CUT goroutine's next step does; on a RUN goroutine, the
    second step of a WaitGroup operation of a shared wait group (``WG_RELEASE``,
    ``WG_RETURN``: see ``Machine._wg_resume``)."""

    kind: str  # "panic", "assert", "cut", WG_RELEASE or WG_RETURN
    text: str
    line: int
    value: int = 0  # WG_RELEASE: the waiters the releasing Add saw


@dataclass(frozen=True, slots=True)
class Panicking:
    """A panic running its goroutine's deferred calls (runtime/panic.go
    gopanic): ``depth`` is the frame depth of the deferred call running now,
    the only frame whose ``recover()`` stops the panic."""

    text: str
    line: int
    depth: int


# the second steps of a shared wait group's operations (sync/waitgroup.go, Go 1.19)
WG_RELEASE = "wg-release"  # the releasing Add/Done: check the state, reset it, wake the waiters
WG_RETURN = "wg-return"  # a woken Wait: check the state is still 0, return


class G:
    """A goroutine instance: registers, a pc, and a stack of frames."""

    __slots__ = (
        "name",
        "code",
        "pc",
        "regs",
        "frames",
        "stack_size",
        "stack_used",
        "status",
        "wait",
        "wait_line",
        "parked",
        "pending",
        "nsteps",
        "npo",
        "defers",
        "panicking",
    )

    def __init__(self, name: str, code: str, stack_size: int):
        self.name = name
        self.code = code
        self.pc = 0
        self.regs: dict[str, int] = {}
        # (caller code, return pc, frame bytes, the caller's registers when the
        # callee has a frame of its own, else None, and where its result goes)
        self.frames: list[tuple[str, int, int, tuple | None, str | None]] = []
        self.stack_size = stack_size
        self.stack_used = 0
        self.status = RUN
        self.wait = ""  # what a parked goroutine waits on, as Go's traceback says it
        self.wait_line = 0
        self.parked: tuple[str, ...] = ()
        self.pending: Pending | None = None
        self.nsteps = 0
        self.npo = 0
        # deferred calls, innermost last: (frame depth that deferred it, code, arguments, line)
        self.defers: tuple[tuple[int, str, tuple[int, ...], int], ...] = ()
        # the panics running deferred calls, the newest last (one started by a
        # deferred call of another stacks on it, as gopanic's p.link)
        self.panicking: tuple[Panicking, ...] = ()

    def copy(self) -> G:
        g = G.__new__(G)
        g.name, g.code, g.pc = self.name, self.code, self.pc
        g.regs, g.frames = dict(self.regs), list(self.frames)
        g.stack_size, g.stack_used = self.stack_size, self.stack_used
        g.status, g.wait, g.wait_line, g.parked = self.status, self.wait, self.wait_line, self.parked
        g.pending, g.nsteps, g.npo = self.pending, self.nsteps, self.npo
        g.defers, g.panicking = self.defers, self.panicking
        return g

    def user_regs(self, memory: dict[str, int]) -> dict[str, int]:
        """Registers a test can name (the compiler's temps start with ``$``): its
        top frame's, kept in the first frame a Go-signature call pushed, if any.
        A variable a closure captured is read from ``memory``, where it lives."""
        regs = next((dict(f[3]) for f in self.frames if f[3] is not None), self.regs)
        out = {k: v for k, v in regs.items() if not k.startswith("$")}
        for k, v in regs.items():
            if k.startswith("$&"):
                out[k[2:]] = memory[v]  # type: ignore[index]
        return out


@dataclass(frozen=True, slots=True)
class MapObj:
    """A map (runtime/map.go's hmap): its entries sorted by key, each with the
    stamp of its insertion (an entry deleted and put back is a new entry, which
    a range under way may produce or skip), and the goroutine whose write holds
    hashWriting."""

    entries: tuple[tuple[int, int, int], ...] = ()  # (key, value, stamp)
    writer: str | None = None
    stamps: int = 0  # the entries inserted so far

    def get(self, key: int) -> tuple[int, int]:
        """The value at ``key`` and whether it is there."""
        return next(((v, 1) for k, v, _s in self.entries if k == key), (0, 0))

    def inserted(self, key: int) -> MapObj:
        """mapassign's new entry (its value still 0: the caller stores it after), if ``key`` is new."""
        if any(k == key for k, _v, _s in self.entries):
            return self
        entries = tuple(sorted((*self.entries, (key, 0, self.stamps + 1))))
        return MapObj(entries, self.writer, self.stamps + 1)

    def deleted(self, key: int) -> MapObj:
        return MapObj(tuple(e for e in self.entries if e[0] != key), self.writer, self.stamps)

    def stored(self, key: int, value: int) -> MapObj:
        """The value stored into ``key``'s entry; lost if the entry is gone meanwhile."""
        entries = tuple((k, value if k == key else v, s) for k, v, s in self.entries)
        return MapObj(entries, self.writer, self.stamps)


@dataclass(frozen=True, slots=True)
class End:
    """Why an execution stopped before every goroutine returned."""

    kind: str  # "panic", "assert", "cut", "main-exit"
    g: str
    text: str = ""
    line: int = 0


class State:
    __slots__ = (
        "gs",
        "vars",
        "last_write",
        "chans",
        "maps",
        "mutex",
        "wg",
        "once",
        "spawns",
        "arrays",
        "events",
        "objseq",
        "steps",
        "schedule",
        "end",
        "sid",
        "own",
    )

    def __init__(self) -> None:
        self.gs: dict[str, G] = {}
        self.vars: dict[str, int] = {}
        self.last_write: dict[str, int] = {}
        self.chans: dict[str, HChan] = {}
        self.maps: dict[str, MapObj] = {}  # the made maps (a nil map has none)
        self.mutex: dict[str, tuple[str | None, int | None]] = {}  # holder, last unlock event
        self.wg: dict[str, tuple[int, tuple[int, ...]]] = {}  # counter, events releasing a Wait
        self.once: dict[str, tuple[int, int | None]] = {}  # 0 new, 1 running, 2 done; end event
        self.spawns: dict[str, int] = {}
        self.arrays: dict[str, int] = {}  # backing arrays made, per name (G.s, G.s#2, ...)
        self.events: list[Event] = []
        # per object: (writes in order, reads as (step, writes before it)) -- the trace's shape
        self.objseq: dict[str, tuple[tuple, frozenset]] = {}
        self.steps = 0
        self.schedule: list[tuple[str, int | None]] = []
        self.end: End | None = None
        self.sid: tuple = ("", 0, None)  # the step being run: (goroutine, its step number, alternative)
        self.own: set[str] | None = None  # goroutines and channels this state may mutate (None: all)

    def copy(self) -> State:
        s = State.__new__(State)
        s.gs = dict(self.gs)  # copy-on-write: ``g``/``chan`` copy what a step changes
        s.own = set()
        s.vars, s.last_write = dict(self.vars), dict(self.last_write)
        s.chans = dict(self.chans)
        s.maps = dict(self.maps)
        s.mutex, s.wg, s.once = dict(self.mutex), dict(self.wg), dict(self.once)
        s.spawns = dict(self.spawns)
        s.arrays = dict(self.arrays)
        s.events = list(self.events)
        s.objseq = dict(self.objseq)
        s.steps = self.steps
        s.schedule = list(self.schedule)
        s.end = self.end
        s.sid = self.sid
        return s

    def g(self, name: str) -> G:
        """Goroutine ``name``, copied first if this state shares it with another."""
        if self.own is not None and name not in self.own:
            self.own.add(name)
            self.gs[name] = self.gs[name].copy()
        return self.gs[name]

    def chan(self, name: str) -> HChan:
        """Channel ``name`` for writing, copied first if shared (names never
        clash with goroutines': the checker keeps one namespace)."""
        if self.own is not None and name not in self.own:
            self.own.add(name)
            self.chans[name] = self.chans[name].copy()
        return self.chans[name]

    def trace_key(self, final: bool = False) -> tuple:
        """Each goroutine's step count, per variable, mutex, once and wait
        group the order of its dependent steps (reads commute with reads), and
        per channel its FIFO history (``HChan.key``). Equal keys mean equal
        states, so the explorer visits each key once and counts executions as
        classes. ``final``: of a state where nothing moves again."""
        return (
            tuple(sorted((n, g.nsteps) for n, g in self.gs.items())),
            tuple(sorted(self.objseq.items())),
            tuple(sorted((n, c.key(final)) for n, c in self.chans.items())),
        )
