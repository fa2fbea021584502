"""Events: what each step of the machine records (docs/models.md, "Events").

Channel operations are begin/end pairs so that the memory model's edges,
which go to an operation's completion, do not make a rendezvous a cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

# kinds
INIT_WRITE = "IW"
READ = "R"
WRITE = "W"
ATOMIC = "A"
SEND = "send"
RECV = "recv"
CLOSE = "close"
SELECT = "select"
LOCK = "lock"
UNLOCK = "unlock"
WG_ADD = "wg-add"
WG_DONE = "wg-done"
WG_WAIT = "wg-wait"
ONCE = "once"
GO = "go"
START = "start"
EXIT = "exit"
PANIC = "panic"
ASSERT = "assert"
SPLIT = "split"
CHOOSE = "rand"  # rand.Intn(n) returned value (op: its n)
RECOVER = "recover"  # a deferred call's recover() stopped a panic (text: the panic's)
BLOCK = "block"  # parked on a nil channel or select {}: never completes
MAP_STEP = "map"  # a later step of a map write (text: which, see MapDone)

# ``op`` of a wait group event that is an access to ``wg.sema`` for Go's race
# detector (sync/waitgroup.go, Go 1.19): an Add of delta > 0 taking the counter
# from 0 does ``race.Read(semap)``, the first Wait to park ``race.Write(semap)``
SEMA_READ = "sema-read"
SEMA_WRITE = "sema-write"

BEGIN = "begin"
END = "end"


Polls = tuple[tuple[str, int], ...]  # (channel, case line) per send case a select polled


@dataclass(slots=True)
class Event:
    """One event. ``src`` is the event this one synchronises with or reads
    from (the write a read reads, the send a receive gets, the unlock a lock
    follows); ``slot``/``qcount`` show a buffered channel's ring after the
    operation."""

    id: int
    g: str
    idx: int  # position in its goroutine's program order
    kind: str
    line: int
    phase: str = ""
    obj: str | None = None
    value: int | None = None
    old: int | None = None
    ok: int | None = None
    closed: bool = False
    case: int | None = None
    slot: int | None = None
    qcount: int | None = None
    src: int | None = None
    srcs: tuple[int, ...] = ()  # several sources: the Done calls a Wait waited for
    begin: int | None = None  # on an end event: the begin event of the same operation
    seq: int | None = None  # on a channel end: the k of the k-th send / receive (FIFO position)
    text: str | None = None
    op: str | None = None
    split: tuple[int, int, int, int] | None = None  # old size, new size, bytes copied, frames
    # on a select's begin: the send cases whose channel it read for the race
    # detector while polling, besides the one that ran (channel, case line)
    polls: Polls = ()

    def label(self) -> str:
        """A short human label: ``W x=1``, ``send c<-1 (begin)``."""
        phase = f" ({self.phase})" if self.phase else ""
        match self.kind:
            case "R" | "W" | "IW" if self.text is not None:  # a map's: what the operation reads or writes
                return f"{self.kind} {self.text}" if "(" in self.text else f"{self.kind} {self.text}={self.value}"
            case "R" | "W" | "IW":
                return f"{self.kind} {self.obj}={self.value}"
            case "A":
                return f"A.{self.op} {self.obj}={self.value}"
            case "send":
                return f"send {self.obj}<-{self.value}{phase}" if self.phase != BEGIN else f"send {self.obj}{phase}"
            case "recv":
                if self.phase == END:
                    return f"recv <-{self.obj}={self.value} ok={self.ok}{phase}"
                return f"recv <-{self.obj}{phase}"
            case "select":
                if self.phase == END:
                    what = "default" if self.case == -1 else f"case {self.case} on {self.obj}"
                    return f"select {what}{phase}"
                return f"select{phase}"
            case "split":
                assert self.split is not None
                return f"split {self.split[0]}->{self.split[1]}"
            case "panic" | "assert":
                return f"{self.kind} {self.text}"
            case "map":
                return f"map {self.text}"
            case "rand":
                return f"rand.Intn({self.op}) = {self.value}"
            case "recover":
                return f"recover (the panic of line {self.value}: {self.text})"
            case "wg-add" | "wg-done" | "wg-wait" if self.op is not None or self.phase:
                sema = f" [{self.op}]" if self.op else ""
                return f"{self.kind} {self.obj}{phase}{sema}"
            case _:
                return f"{self.kind} {self.obj or ''}{phase}".strip()
