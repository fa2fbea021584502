"""A test's budget of time and memory, shared by every stage that checks it.

``--time-budget`` once stopped only the explorer, while judging and z3 ran on
(a budget of 5 s took 162 s, and 7.3 GB). A budget starts when the test's
check starts; the explorer, the judge and z3 each ask it, between steps,
whether it is spent, and z3's every query gets the time that is left. What
is spent is a bound like any other: the answer is Unknown and names it.
Memory is the resident size of the process checking the test (a ``-j``
worker, or hbcheck itself), read from ``/proc`` where there is one.
"""

from __future__ import annotations

import os
import resource
import time
from dataclasses import dataclass, field

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
MIB = 1 << 20


def resident_mib() -> float:
    """This process's resident memory now (its peak where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE / MIB
    except (OSError, IndexError, ValueError):  # pragma: no cover - not Linux
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True, slots=True)
class Budget:
    seconds: float | None = None
    memory_mib: int | None = None
    started: float = field(default_factory=time.monotonic)

    @property
    def time_bound(self) -> str:
        return f"time-budget {self.seconds:g}s"

    @property
    def memory_bound(self) -> str:
        return f"memory-limit {self.memory_mib} MiB"

    def spent(self, reserve: float = 0.0) -> str | None:
        """The bound reached, if any: its name as the answer shows it.
        ``reserve``: the share of the time to leave to the stages that follow."""
        if self.seconds is not None and time.monotonic() - self.started > self.seconds * (1 - reserve):
            return self.time_bound
        if self.memory_mib is not None and resident_mib() > self.memory_mib:
            return self.memory_bound
        return None

    def seconds_left(self) -> float | None:
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - (time.monotonic() - self.started))
