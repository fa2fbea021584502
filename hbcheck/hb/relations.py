"""The base relations and event sets of one execution, as event-id pairs.

The synchronisation edges follow the Go memory model (go.dev/ref/mem, June 6
2022), each between an operation's begin (where it publishes) and another's
end (where it learns):

- ``spawn``: a ``go`` statement -> the new goroutine's start.
- ``chan-send``: a send's begin -> the end of the receive that gets its value.
- ``chan-close``: a close -> the end of a receive that returned because of it.
- ``chan-unbuf``: on an unbuffered channel, a receive's begin -> the end of
  the send it matched.
- ``chan-cap``: on a channel of capacity C > 0, the begin of the k-th receive
  -> the end of the (k+C)-th send (k counts values in FIFO order).
- ``lock``: unlock n -> lock n+1 of the same mutex.
- ``once``: the end of the f run by ``once.Do(f)`` -> the return of every
  other ``Do`` on that once.
- ``wg``: each Done (or Add reaching zero) -> the return of a Wait it released
  (a parked Wait's end event).
- ``sc``: the order of atomic operations (immediate successors).
- ``rf``: a write -> each read (plain or atomic) that reads it.
- ``sync-order``: the one order of all synchronising operations (each
  operation's completion: channel operations, close, locks, wait groups,
  once, atomics, ``go`` and starts), transitive. Go's memory model promises
  no edge from it, but an interleaving has one; ``sc.cat`` names it.
- ``po``: program order, transitive; the initial writes come before everything.
- ``co``: per variable, the order of writes (transitive), initial write first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import reduce
from itertools import pairwise
from operator import or_

from hbcheck.explore.execution import Execution
from hbcheck.machine import events as ev
from hbcheck.machine.events import Event
from hbcheck.names import HB_EDGES, SYNC_EDGES

Rel = frozenset[tuple[int, int]]
Set = frozenset[int]

BASE_RELATIONS = (
    "po",
    "rf",
    "co",
    "fr",
    "loc",
    "ext",
    "int",
    "id",
    *SYNC_EDGES,
    "sc",
    "sync-order",
    "data",
    "ctrl",
    "addr",
)
BASE_SETS = ("_", "R", "W", "IW", "A", "AR", "AW", "M", "SEND", "RECV", "CLOSE")


def send_sites(x: Execution) -> dict[int, tuple[tuple[str, int], ...]]:
    """Where sends touch their channels for the race detector: by the event that
    touches, each (channel, line) touched. A plain send's begin; a select's
    begin for each send case it read while polling (select.go's racereadpc,
    before any hand-off, at the case's line): the case that ran and each one
    polled before it, every case when it parked or took default."""
    out: dict[int, tuple[tuple[str, int], ...]] = {}

    def add(i: int, sites: tuple[tuple[str, int], ...]) -> None:
        out[i] = tuple(dict.fromkeys(out.get(i, ()) + sites))

    for e in x.events:
        if e.kind == ev.SEND and e.phase == ev.BEGIN and e.obj is not None:
            add(e.id, ((e.obj, e.line),))
        elif e.kind == ev.SELECT and e.phase == ev.END and e.op == ev.SEND and e.begin is not None:
            add(e.begin, ((e.obj, e.line),))  # type: ignore[arg-type]
        elif e.polls:
            add(e.id, e.polls)
    return out


def _is_recv_end(e: Event) -> bool:
    return e.phase == ev.END and (e.kind == ev.RECV or (e.kind == ev.SELECT and e.op == ev.RECV))


def _is_send_end(e: Event) -> bool:
    return e.phase == ev.END and (e.kind == ev.SEND or (e.kind == ev.SELECT and e.op == ev.SEND))


def event_sets(x: Execution) -> dict[str, Set]:
    sets: dict[str, set[int]] = {name: set() for name in BASE_SETS}
    sets["SEND"] = set(send_sites(x))
    for e in x.events:
        sets["_"].add(e.id)
        # A wait group's sema accesses are plain accesses of the wait group for
        # Go's race detector (sync/waitgroup.go, Go 1.19: race.Read(semap) in an
        # Add from 0, race.Write(semap) in the first Wait to park), so the data
        # race flags see them, located by ``loc`` at the wait group.
        if e.kind == ev.READ or e.op == ev.SEMA_READ:
            sets["R"].add(e.id)
        elif e.kind in (ev.WRITE, ev.INIT_WRITE) or e.op == ev.SEMA_WRITE:
            sets["W"].add(e.id)
            if e.kind == ev.INIT_WRITE:
                sets["IW"].add(e.id)
        elif e.kind == ev.ATOMIC:
            sets["A"].add(e.id)
            # a read-modify-write is one event, in both; a failed CompareAndSwap only reads
            if e.op != "Store":
                sets["AR"].add(e.id)
            if e.op != "Load" and e.ok != 0:
                sets["AW"].add(e.id)
        if _is_recv_end(e):
            sets["RECV"].add(e.id)
        elif e.kind == ev.CLOSE and e.phase == ev.BEGIN:
            sets["CLOSE"].add(e.id)
    sets["M"] = sets["R"] | sets["W"] | sets["A"]
    return {k: frozenset(v) for k, v in sets.items()}


def sync_edges(x: Execution, caps: dict[str, int]) -> dict[str, set[tuple[int, int]]]:
    """The synchronisation edges of the Go memory model, by kind (see the module doc)."""
    if x.made:
        caps = {**caps, **dict(x.made)}
    out: dict[str, set[tuple[int, int]]] = {k: set() for k in HB_EDGES}
    end_of: dict[int, Event] = {e.begin: e for e in x.events if e.begin is not None and e.phase == ev.END}
    recvs: dict[str, dict[int, Event]] = defaultdict(dict)
    sends: dict[str, dict[int, Event]] = defaultdict(dict)
    atomics: list[int] = []
    for e in x.events:
        if e.kind == ev.START and e.src is not None:
            out["spawn"].add((e.src, e.id))
        elif _is_recv_end(e):
            if e.closed:
                if e.src is not None:
                    out["chan-close"].add((e.src, e.id))
            else:
                assert e.src is not None and e.obj is not None and e.seq is not None
                out["chan-send"].add((e.src, e.id))
                recvs[e.obj][e.seq] = e
                if caps.get(e.obj) == 0:
                    out["chan-unbuf"].add((e.begin, end_of[e.src].id))  # type: ignore[arg-type]
        elif _is_send_end(e):
            assert e.obj is not None and e.seq is not None
            sends[e.obj][e.seq] = e
        elif e.kind == ev.LOCK and e.src is not None:
            out["lock"].add((e.src, e.id))
        elif e.kind == ev.ONCE and e.phase == ev.END and e.src is not None:
            out["once"].add((e.src, e.id))
        elif e.kind == ev.WG_WAIT:
            out["wg"].update((s, e.id) for s in e.srcs)
        if e.kind in (ev.READ, ev.ATOMIC) and e.src is not None:
            out["rf"].add((e.src, e.id))
        if e.kind == ev.ATOMIC:
            atomics.append(e.id)
    for chan, cap in caps.items():
        if cap > 0:
            for k, r in recvs[chan].items():
                s = sends[chan].get(k + cap)
                if s is not None:
                    out["chan-cap"].add((r.begin, s.id))  # type: ignore[arg-type]
    out["sc"].update(pairwise(atomics))
    return out


class BaseEnv:
    """The base relations and sets of one execution as bit matrices, computed
    when first named (like herd's lazy starting relations: what a model never
    names costs nothing). A set is an int whose bit i is event i; a relation
    is a tuple of such ints, row i holding event i's successors. Dense
    relations (``po``, ``ext``, ``loc``) are built row by row, never pair by
    pair, which is what keeps judging tens of thousands of executions cheap."""

    def __init__(self, x: Execution, caps: dict[str, int]):
        self.x = x
        self.caps = caps
        self.n = len(x.events)
        self.cache: dict[str, int | Rows] = {}

    def __getitem__(self, name: str) -> int | Rows:
        if name not in self.cache:
            self.cache[name] = self._compute(name)
        return self.cache[name]

    def _compute(self, name: str) -> int | Rows:
        x, n = self.x, self.n
        if name in BASE_SETS:
            if "_sets" not in self.__dict__:
                self._sets = {k: _mask(v) for k, v in event_sets(x).items()}
            return self._sets[name]
        if name in HB_EDGES:
            for k, pairs in sync_edges(x, self.caps).items():
                self.cache.setdefault(k, rows_of(pairs, n))
            return self.cache[name]
        match name:
            case "po":
                return _order_rows(x.events, self["IW"])  # type: ignore[arg-type]
            case "co":
                return _chain_rows(n, self._write_order())
            case "fr":
                co = self["co"]
                assert isinstance(co, tuple)
                rows = [0] * n
                for e in x.events:
                    if e.kind in (ev.READ, ev.ATOMIC) and e.src is not None:
                        # an atomic read-modify-write is one event, its own write
                        # among those after what it read: it does not read before itself
                        rows[e.id] = co[e.src] & ~(1 << e.id)
                return tuple(rows)
            case "sync-order":
                return _chain_rows(n, [[e.id for e in x.events if _synchronises(e)]])
            case "loc":
                accesses = self["M"] | self["SEND"] | self["RECV"] | self["CLOSE"]  # type: ignore[operator]
                # a select's begin touches the channel of each send case it polled
                sites = send_sites(x)
                touched = [
                    {o for o, _line in sites[e.id]}
                    if e.id in sites
                    else {e.obj}
                    if e.obj is not None and accesses >> e.id & 1
                    else set()
                    for e in x.events
                ]
                by_obj: dict[str, int] = defaultdict(int)
                for i, objs in enumerate(touched):
                    for o in objs:
                        by_obj[o] |= 1 << i
                return tuple(reduce(or_, (by_obj[o] for o in objs), 0) for objs in touched)
            case "int" | "ext":
                members: dict[str, int] = defaultdict(int)
                for e in x.events:
                    members[e.g] |= 1 << e.id
                everyone = (1 << n) - 1
                same = [members[e.g] for e in x.events]
                return tuple(same) if name == "int" else tuple(everyone & ~m for m in same)
            case "id":
                return tuple(1 << i for i in range(n))
            case "data" | "ctrl" | "addr":
                # Syntactic dependencies only matter for excluding out-of-thin-air
                # values; the explicit engine's executions are SC, which has none.
                return (0,) * n
        raise KeyError(name)

    def _write_order(self) -> list[list[int]]:
        if self.x.write_order is not None:
            return [list(seq) for seq in self.x.write_order]
        writes: dict[str, list[int]] = defaultdict(list)
        for e in self.x.events:
            if e.kind in (ev.WRITE, ev.INIT_WRITE) or (e.kind == ev.ATOMIC and e.op != "Load" and e.ok != 0):
                writes[e.obj or ""].append(e.id)
        return list(writes.values())


Rows = tuple[int, ...]


def _synchronises(e: Event) -> bool:
    """Whether z3 gives the event a time: an operation's completion (a close
    at its begin), never a plain access or a channel operation's begin."""
    if e.kind in (ev.SEND, ev.RECV, ev.SELECT):
        return e.phase == ev.END
    if e.kind == ev.CLOSE:
        return e.phase == ev.BEGIN
    return e.kind in (ev.ATOMIC, ev.LOCK, ev.UNLOCK, ev.WG_ADD, ev.WG_DONE, ev.WG_WAIT, ev.ONCE, ev.GO, ev.START)


def _mask(ids: Iterable[int]) -> int:
    m = 0
    for i in ids:
        m |= 1 << i
    return m


def rows_of(pairs: Iterable[tuple[int, int]], n: int) -> Rows:
    rows = [0] * n
    for a, b in pairs:
        rows[a] |= 1 << b
    return tuple(rows)


def pairs_of(rows: Rows) -> Rel:
    return frozenset((i, j) for i, row in enumerate(rows) for j in bits(row))


def bits(m: int) -> Iterator[int]:
    """The events of a set, in increasing order."""
    while m:
        low = m & -m
        yield low.bit_length() - 1
        m ^= low


def _order_rows(events: tuple[Event, ...], inits: int) -> Rows:
    """Program order: each event before the later events of its goroutine,
    the initial writes before every other event."""
    n = len(events)
    rows = [0] * n
    later: dict[str, int] = defaultdict(int)
    for e in reversed(events):
        if not inits >> e.id & 1:
            rows[e.id] = later[e.g]
            later[e.g] |= 1 << e.id
    others = ((1 << n) - 1) & ~inits
    for i in bits(inits):
        rows[i] = others
    return tuple(rows)


def _chain_rows(n: int, chains: list[list[int]]) -> Rows:
    """Each chain totally ordered (transitive), chains unrelated."""
    rows = [0] * n
    for seq in chains:
        after = 0
        for i in reversed(seq):
            rows[i] = after
            after |= 1 << i
    return tuple(rows)


def base_relations(x: Execution, caps: dict[str, int]) -> dict[str, Rel]:
    """Every base relation a model may name (``BASE_RELATIONS``), as pairs."""
    env = BaseEnv(x, caps)
    return {name: pairs_of(env[name]) for name in BASE_RELATIONS}  # type: ignore[arg-type]
