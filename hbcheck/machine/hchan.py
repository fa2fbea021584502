"""A channel as the Go runtime keeps it (runtime/chan.go ``hchan``).

A ring of ``dataqsiz`` slots indexed by ``sendx``/``recvx``, advanced by
increment and reset to 0 at ``dataqsiz`` (no masking, so any capacity
works), ``qcount`` items in it, and FIFO queues of parked senders and
receivers. Only the data structure lives here; the machine decides which
operation runs and records the events.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Waiter:
    """A parked goroutine (the runtime's ``sudog``): ``case`` is -1 for a
    plain send/receive, else the index of the select case it parked on."""

    g: str
    case: int
    value: int | None  # what a sender offers
    begin: int  # id of the operation's begin event
    op: tuple  # the operation's name in the trace key (``machine._op``)


@dataclass(frozen=True, slots=True)
class Item:
    """A buffered value and the begin event of the send that put it there."""

    value: int
    send: int


class HChan:
    __slots__ = (
        "name",
        "dataqsiz",
        "buf",
        "qcount",
        "sendx",
        "recvx",
        "closed",
        "close_event",
        "recvq",
        "sendq",
        "sent",
        "recvd",
        "closed_recvs",
        "closed_by",
        "failed_sends",
        "lens",
    )

    def __init__(self, name: str, dataqsiz: int):
        self.name = name
        self.dataqsiz = dataqsiz
        # the filled slots only: a large legal capacity allocates nothing up front
        self.buf: dict[int, Item] = {}
        self.qcount = 0
        self.sendx = 0
        self.recvx = 0
        self.closed = False
        self.close_event: int | None = None
        self.recvq: list[Waiter] = []
        self.sendq: list[Waiter] = []
        # the channel's history as the trace key sees it: operations by the step that began them
        self.sent: tuple[tuple, ...] = ()  # sends that completed, in FIFO order
        self.recvd: tuple[tuple, ...] = ()  # receives that took a value, in FIFO order
        self.closed_recvs: frozenset[tuple] = frozenset()  # receives that returned because it is closed
        self.closed_by: tuple | None = None
        # sends that panic at once on a closed channel (those a close woke leave no event)
        self.failed_sends: frozenset[tuple] = frozenset()
        # len(c) calls, each with the sends and receives completed before it (its value follows)
        self.lens: frozenset[tuple] = frozenset()

    def copy(self) -> HChan:
        c = HChan.__new__(HChan)
        c.name, c.dataqsiz, c.buf = self.name, self.dataqsiz, dict(self.buf)
        c.qcount, c.sendx, c.recvx = self.qcount, self.sendx, self.recvx
        c.closed, c.close_event = self.closed, self.close_event
        c.recvq, c.sendq = list(self.recvq), list(self.sendq)
        c.sent, c.recvd, c.closed_recvs, c.closed_by = self.sent, self.recvd, self.closed_recvs, self.closed_by
        c.failed_sends, c.lens = self.failed_sends, self.lens
        return c

    def count_send(self, op: tuple) -> int:
        """The FIFO position (1-based) of the value a completing send puts in."""
        self.sent = (*self.sent, op)
        return len(self.sent)

    def count_recv(self, op: tuple) -> int:
        """The FIFO position of the value a completing receive takes out."""
        self.recvd = (*self.recvd, op)
        return len(self.recvd)

    def key(self, final: bool = False) -> tuple:
        """What the channel's future depends on, up to the ring's rotation:
        which sends and receives completed in which FIFO positions (so which
        receive got which send), who waits in which order, and the close.
        Interleavings that differ only in whether a receive parked before its
        sender came (or found the value buffered) reach the same key, as they
        reach the same execution graph (docs/engines.md). ``final``: nothing
        moves again, so the order of who waits no longer matters either."""
        queue = frozenset if final else tuple
        return (
            self.sent,
            self.recvd,
            self.closed_recvs,
            queue(w.op for w in self.sendq),
            queue(w.op for w in self.recvq),
            self.closed_by,
            self.failed_sends,
            self.lens,
        )

    def recv_ready(self) -> bool:
        """A receive would not park: a sender waits, data is buffered, or closed."""
        return bool(self.sendq) or self.qcount > 0 or self.closed

    def send_ready(self) -> bool:
        """A send would not park (a send on a closed channel is ready: it panics)."""
        return self.closed or bool(self.recvq) or self.qcount < self.dataqsiz

    def enqueue(self, item: Item) -> int:
        """Write slot ``sendx`` (chansend's buffered path); return the slot."""
        slot = self.sendx
        self.buf[slot] = item
        self.sendx += 1
        if self.sendx == self.dataqsiz:
            self.sendx = 0
        self.qcount += 1
        return slot

    def dequeue(self) -> tuple[Item, int]:
        """Take slot ``recvx`` (chanrecv's buffered path)."""
        slot = self.recvx
        item = self.buf.pop(slot)
        self.recvx += 1
        if self.recvx == self.dataqsiz:
            self.recvx = 0
        self.qcount -= 1
        return item, slot

    def exchange_head(self, incoming: Item) -> tuple[Item, int]:
        """chan.go ``recv`` on a full buffer with a parked sender: take the
        head, put the sender's value in that same slot (the new tail)."""
        slot = self.recvx
        item = self.buf[slot]
        self.buf[slot] = incoming
        self.recvx += 1
        if self.recvx == self.dataqsiz:
            self.recvx = 0
        self.sendx = self.recvx
        return item, slot

    def remove(self, g: str) -> None:
        """Drop every sudog of ``g`` (a select that completed elsewhere)."""
        self.recvq = [w for w in self.recvq if w.g != g]
        self.sendq = [w for w in self.sendq if w.g != g]

    def ring(self) -> list[int | None]:
        """The buffer slot by slot (None for an empty one); past 64 slots, the
        buffered values only, oldest first."""
        if self.dataqsiz <= 64:
            return [None if (i := self.buf.get(k)) is None else i.value for k in range(self.dataqsiz)]
        return [self.buf[(self.recvx + k) % self.dataqsiz].value for k in range(self.qcount)]

    def snapshot(self) -> dict[str, object]:
        """The ring and queues, for traces and tests."""
        return {
            "buf": self.ring(),
            "qcount": self.qcount,
            "sendx": self.sendx,
            "recvx": self.recvx,
            "closed": self.closed,
            "recvq": [w.g for w in self.recvq],
            "sendq": [(w.g, w.value) for w in self.sendq],
        }
