"""The execution record every engine produces and every later stage reads.

Events plus named relations over them (docs/models.md), the final state,
how the execution ended, its findings, and the schedule that replays it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hbcheck.machine.events import Event
from hbcheck.names import RACE_FLAGS, FindingKind

# how an execution ended
OK = "ok"  # every goroutine returned, or main returned
PANIC = "panic"
ASSERT = "assert"
DEADLOCK = "deadlock"
CUT = "cut"  # a bound stopped it: incomplete

Access = tuple[str, int, str]  # a race's side: (goroutine, line, access as the race detector names it)


@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong in one execution. ``blocked`` lists, for a deadlock,
    each goroutine with what it waits on and the line it waits at."""

    kind: FindingKind
    text: str
    g: str | None = None
    line: int | None = None
    blocked: tuple[tuple[str, str, int], ...] = ()
    pair: tuple[Access, Access] | None = None  # a race's two sides

    def __post_init__(self) -> None:
        # a finding is a value: the goroutines of a deadlock form a set, and the
        # two sides of a race are unordered, so each is kept in one canonical order
        # (engines, baselines and reports then compare findings, never their text)
        object.__setattr__(self, "kind", FindingKind(self.kind))  # a kind no engine knows fails here
        object.__setattr__(self, "blocked", tuple(sorted(self.blocked)))
        if self.pair is not None:
            one, two = sorted(self.pair, key=lambda t: (t[1], t[0], t[2]))
            object.__setattr__(self, "pair", (one, two))

    @classmethod
    def race(cls, flag: str, obj: str, a: Access, b: Access) -> Finding:
        """The finding a model's race flag raises between two source accesses:
        the one builder of race findings for both engines."""
        kind = RACE_FLAGS[flag]
        text = f"race on {obj}" if kind == FindingKind.RACE else f"send/close race on {obj}"
        one, two = sorted((a, b), key=lambda t: (t[1], t[0], t[2]))
        return cls(kind, text, one[0], one[1], pair=(one, two))

    def describe(self) -> str:
        match self.kind:
            case FindingKind.RACE | FindingKind.SEND_CLOSE_RACE:
                assert self.pair is not None
                (g1, l1, a1), (g2, l2, a2) = self.pair
                return f"{self.text}: {g1} line {l1} ({a1}) vs {g2} line {l2} ({a2})"
            case FindingKind.DEADLOCK:
                who = ", ".join(f"{g} [{w}] line {ln}" for g, w, ln in self.blocked)
                return f"{self.text} ({who})"
            case FindingKind.LEAK:
                return f"{self.g} leaked: {self.text} at line {self.line}"
            case FindingKind.ASSERT:
                return f"assertion failed in {self.g} at line {self.line}"
            case FindingKind.FLAG:  # a model's own flag, raised by some execution
                return f"flag {self.text}"
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
    # each variable's writes in coherence order, when that is not their order in
    # ``events`` (a weak execution from z3, which no interleaving produces)
    write_order: tuple[tuple[int, ...], ...] | None = None
    # the channels made at run time (``make`` in a body), with their capacities
    made: tuple[tuple[str, int], ...] = ()

    @property
    def complete(self) -> bool:
        return self.end != CUT
