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
- ``wg``: each Done (or Add reaching zero) -> the return of a Wait it released.
- ``sc``: the order of atomic operations (immediate successors).
- ``rf``: a write -> each read (plain or atomic) that reads it.
- ``po``: program order, transitive; the initial writes come before everything.
- ``co``: per variable, the order of writes (transitive), initial write first.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations, pairwise

from hbcheck.explore.execution import Execution
from hbcheck.machine import events as ev
from hbcheck.machine.events import Event

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
    "spawn",
    "chan-send",
    "chan-close",
    "chan-unbuf",
    "chan-cap",
    "lock",
    "once",
    "wg",
    "sc",
    "data",
    "ctrl",
    "addr",
)
BASE_SETS = ("_", "R", "W", "IW", "A", "M", "SEND", "RECV", "CLOSE")


def _is_send_access(e: Event) -> bool:
    """Where a send touches its channel for the race detector: a plain send's
    begin, or the end of a select whose send case ran."""
    return (e.kind == ev.SEND and e.phase == ev.BEGIN and e.obj is not None) or (
        e.kind == ev.SELECT and e.phase == ev.END and e.op == ev.SEND
    )


def _is_recv_end(e: Event) -> bool:
    return e.phase == ev.END and (e.kind == ev.RECV or (e.kind == ev.SELECT and e.op == ev.RECV))


def _is_send_end(e: Event) -> bool:
    return e.phase == ev.END and (e.kind == ev.SEND or (e.kind == ev.SELECT and e.op == ev.SEND))


def event_sets(x: Execution) -> dict[str, Set]:
    sets: dict[str, set[int]] = {name: set() for name in BASE_SETS}
    for e in x.events:
        sets["_"].add(e.id)
        if e.kind == ev.READ:
            sets["R"].add(e.id)
        elif e.kind in (ev.WRITE, ev.INIT_WRITE):
            sets["W"].add(e.id)
            if e.kind == ev.INIT_WRITE:
                sets["IW"].add(e.id)
        elif e.kind == ev.ATOMIC:
            sets["A"].add(e.id)
        if _is_send_access(e):
            sets["SEND"].add(e.id)
        elif _is_recv_end(e):
            sets["RECV"].add(e.id)
        elif e.kind == ev.CLOSE and e.phase == ev.BEGIN:
            sets["CLOSE"].add(e.id)
    sets["M"] = sets["R"] | sets["W"] | sets["A"]
    return {k: frozenset(v) for k, v in sets.items()}


def sync_edges(x: Execution, caps: dict[str, int]) -> dict[str, set[tuple[int, int]]]:
    """The synchronisation edges of DESIGN.md §4, by kind (see the module doc)."""
    out: dict[str, set[tuple[int, int]]] = {
        k: set()
        for k in ("spawn", "chan-send", "chan-close", "chan-unbuf", "chan-cap", "lock", "once", "wg", "sc", "rf")
    }
    end_of: dict[int, Event] = {e.begin: e for e in x.events if e.begin is not None}
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
    """The base relations and sets of one execution, computed when first named
    (like herd's lazy starting relations: what a model never names costs nothing)."""

    def __init__(self, x: Execution, caps: dict[str, int]):
        self.x = x
        self.caps = caps
        self.cache: dict[str, frozenset] = {}

    def __getitem__(self, name: str) -> frozenset:
        if name not in self.cache:
            self.cache[name] = self._compute(name)
        return self.cache[name]

    def _compute(self, name: str) -> frozenset:
        x = self.x
        if name in BASE_SETS:
            if "_sets" not in self.__dict__:
                self._sets = event_sets(x)
            return self._sets[name]
        if name in ("spawn", "chan-send", "chan-close", "chan-unbuf", "chan-cap", "lock", "once", "wg", "sc", "rf"):
            edges = sync_edges(x, self.caps)
            for k, v in edges.items():
                self.cache.setdefault(k, frozenset(v))
            return self.cache[name]
        ids = [e.id for e in x.events]
        g_of = {e.id: e.g for e in x.events}
        match name:
            case "po":
                by_g: dict[str, list[int]] = defaultdict(list)
                inits = [e.id for e in x.events if e.kind == ev.INIT_WRITE]
                for e in x.events:
                    if e.kind != ev.INIT_WRITE:
                        by_g[e.g].append(e.id)
                po: set[tuple[int, int]] = set()
                for seq in by_g.values():
                    po.update(combinations(seq, 2))
                po.update((i, j) for i in inits for j in ids if j not in inits)
                return frozenset(po)
            case "co" if x.write_order is not None:
                return frozenset(p for seq in x.write_order for p in combinations(seq, 2))
            case "co":
                writes: dict[str, list[int]] = defaultdict(list)
                for e in x.events:
                    if e.kind in (ev.WRITE, ev.INIT_WRITE) or (e.kind == ev.ATOMIC and e.op != "Load" and e.ok != 0):
                        writes[e.obj or ""].append(e.id)
                return frozenset(p for seq in writes.values() for p in combinations(seq, 2))
            case "fr":
                rf_inv = {r: w for w, r in self["rf"]}
                after: dict[int, list[int]] = defaultdict(list)
                for w1, w2 in self["co"]:
                    after[w1].append(w2)
                return frozenset((r, w2) for r, w in rf_inv.items() for w2 in after[w])
            case "loc":
                sets = {n: self[n] for n in ("M", "SEND", "RECV", "CLOSE")}
                accesses = sets["M"] | sets["SEND"] | sets["RECV"] | sets["CLOSE"]
                by_obj: dict[str, list[int]] = defaultdict(list)
                for e in x.events:
                    if e.obj is not None and e.id in accesses:
                        by_obj[e.obj].append(e.id)
                return frozenset((a, b) for seq in by_obj.values() for a in seq for b in seq)
            case "int":
                return frozenset((a, b) for a in ids for b in ids if g_of[a] == g_of[b])
            case "ext":
                return frozenset((a, b) for a in ids for b in ids if g_of[a] != g_of[b])
            case "id":
                return frozenset((a, a) for a in ids)
            case "data" | "ctrl" | "addr":
                # Syntactic dependencies only matter for excluding out-of-thin-air
                # values; the explicit engine's executions are SC, which has none.
                return frozenset()
        raise KeyError(name)


def base_relations(x: Execution, caps: dict[str, int]) -> dict[str, Rel]:
    """Every base relation a model may name (``BASE_RELATIONS``)."""
    env = BaseEnv(x, caps)
    return {name: env[name] for name in BASE_RELATIONS}
