"""The execution record every engine produces and every later stage reads.

Events plus named relations over them (DESIGN.md §1-2), the final state,
how the execution ended, its findings, and the schedule that replays it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise

from hbcheck.machine import events as ev
from hbcheck.machine.events import Event

# how an execution ended
OK = "ok"  # every goroutine returned, or main returned
PANIC = "panic"
ASSERT = "assert"
DEADLOCK = "deadlock"
CUT = "cut"  # a bound stopped it: incomplete

DEADLOCK_TEXT = "all goroutines are asleep - deadlock!"


@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong in one execution. ``blocked`` lists, for a deadlock,
    each goroutine with what it waits on and the line it waits at."""

    kind: str  # "panic", "assert", "deadlock", "leak"
    text: str
    g: str | None = None
    line: int | None = None
    blocked: tuple[tuple[str, str, int], ...] = ()
    pair: tuple[tuple[str, int, str], tuple[str, int, str]] | None = None  # a race: (goroutine, line, access) x 2

    def describe(self) -> str:
        match self.kind:
            case "race" | "send-close-race":
                assert self.pair is not None
                (g1, l1, a1), (g2, l2, a2) = self.pair
                return f"{self.text}: {g1} line {l1} ({a1}) vs {g2} line {l2} ({a2})"
            case "deadlock":
                who = ", ".join(f"{g} [{w}] line {ln}" for g, w, ln in self.blocked)
                return f"{self.text} ({who})"
            case "leak":
                return f"{self.g} leaked: {self.text} at line {self.line}"
            case "assert":
                return f"assertion failed in {self.g} at line {self.line}"
            case _:
                return f"panic: {self.text} ({self.g}, line {self.line})"


@dataclass(frozen=True, slots=True)
class FinalState:
    regs: dict[str, dict[str, int]]
    vars: dict[str, int]

    def reg(self, proc: str, reg: str) -> int:
        """A goroutine instance that never ran, or a register never written, reads 0."""
        return self.regs.get(proc, {}).get(reg, 0)


@dataclass(frozen=True)
class Execution:
    events: tuple[Event, ...]
    final: FinalState
    end: str
    findings: tuple[Finding, ...]
    schedule: tuple[tuple[str, int | None], ...]
    cut_reason: str | None = None
    key: tuple = field(default=(), compare=False, repr=False)

    @property
    def complete(self) -> bool:
        return self.end != CUT

    @cached_property
    def relations(self) -> dict[str, frozenset[tuple[int, int]]]:
        """Base relations as event-id pairs: ``po`` (immediate program
        order), ``rf``, ``co``, ``spawn``, the channel ``match`` (send begin
        to receive end), ``wake`` (the begin of a receive to the end of the
        parked send it completed), ``close`` (close to a receive it made return),
        ``lock`` (unlock to the next lock), ``once`` and ``wg``."""
        rel: dict[str, set[tuple[int, int]]] = defaultdict(set)
        last: dict[str, Event] = {}
        writes: dict[str, list[int]] = defaultdict(list)
        for e in self.events:
            if e.g != "init":
                if e.g in last:
                    rel["po"].add((last[e.g].id, e.id))
                last[e.g] = e
            if e.kind in (ev.WRITE, ev.INIT_WRITE) or (e.kind == ev.ATOMIC and e.op != "Load" and e.ok != 0):
                writes[e.obj or ""].append(e.id)
            if e.src is None:
                pass
            elif e.kind in (ev.READ, ev.ATOMIC):
                rel["rf"].add((e.src, e.id))
            elif e.kind == ev.START:
                rel["spawn"].add((e.src, e.id))
            elif e.phase == ev.END and (e.kind == ev.RECV or (e.kind == ev.SELECT and e.op == ev.RECV)):
                rel["close" if e.closed else "match"].add((e.src, e.id))
            elif e.phase == ev.END and (e.kind == ev.SEND or (e.kind == ev.SELECT and e.op == ev.SEND)):
                rel["wake"].add((e.src, e.id))
            elif e.kind == ev.LOCK:
                rel["lock"].add((e.src, e.id))
            elif e.kind == ev.ONCE:
                rel["once"].add((e.src, e.id))
            for s in e.srcs:
                rel["wg"].add((s, e.id))
        for ids in writes.values():
            rel["co"].update(pairwise(ids))
        return {k: frozenset(v) for k, v in rel.items()}
