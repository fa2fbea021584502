"""z3 queries over one encoding: every query shares the test's budget and
gets the solver timeout or the time left of it, whichever is less."""

from __future__ import annotations

import z3

from hbcheck.budget import Budget
from hbcheck.explore.execution import Finding
from hbcheck.smt.cat2z3 import any_of
from hbcheck.smt.interrupt import check_within


class Stopped(Exception):
    """z3 stops: its message is the reason the answer shows (a query's
    timeout, or the test's budget spent)."""


class Queries:
    def __init__(self, budget: Budget, timeout_ms: int) -> None:
        self.budget, self.timeout_ms = budget, timeout_ms
        self.constraints: list[z3.BoolRef] = []  # every execution's: the encoding's and the model's
        self._shared: z3.Solver | None = None

    def within_budget(self) -> None:
        """Between the stages of the encoding, which can take seconds of their own."""
        spent = self.budget.spent()
        if spent is not None:
            raise Stopped(f"{spent} hit")

    def solver(self, *extra: z3.BoolRef) -> z3.Solver:
        s = z3.Solver()
        s.set("ctrl_c", False)  # Ctrl-C is Python's (smt/interrupt.py), not an "unknown" answer
        # z3's older arithmetic solver: 20-40% less time on the large random
        # programs (race and enumeration queries over times and FIFO places)
        s.set("arith.solver", 2)
        s.add(*self.constraints, *extra)
        return s

    @property
    def shared(self) -> z3.Solver:
        """One incremental solver serves every query (each in a push/pop)."""
        if self._shared is None:
            self._shared = self.solver()
        return self._shared

    def check(self, s: z3.Solver) -> bool:
        """Every query gets the solver timeout, or the time left of the test's budget."""
        self.within_budget()
        left = self.budget.seconds_left()
        ms = self.timeout_ms if left is None else min(self.timeout_ms, max(1, int(left * 1000)))
        s.set("timeout", ms)
        r = check_within(s, self.budget)
        if r == z3.unknown:
            spent = self.budget.spent()
            if spent is None and ms < self.timeout_ms and s.reason_unknown() in ("timeout", "canceled"):
                # the query had only the budget's remainder: z3's clock may run out
                # a little before the budget's own, which is still the bound reached
                spent = self.budget.time_bound
            raise Stopped(f"{spent} hit" if spent else f"solver timeout ({s.reason_unknown()})")
        return r == z3.sat

    def query(self, *extra: z3.BoolRef) -> bool:
        """Is there an execution with ``extra``?"""
        s = self.shared
        s.push()
        s.add(*extra)
        try:
            return self.check(s)
        finally:
            s.pop()

    def possible(self, mode: z3.BoolRef, candidates: list[tuple[Finding, z3.BoolRef]]) -> list[Finding]:
        """The candidates some execution of ``mode`` has: ask for any one still
        unseen, take every candidate the model shows, until UNSAT proves the rest
        impossible (one query per discovery, not one per candidate)."""
        s = self.shared
        found: list[Finding] = []
        rest = list(candidates)
        s.push()
        s.add(mode)
        try:
            while rest:
                s.push()
                s.add(any_of([c for _, c in rest]))
                try:
                    m = s.model() if self.check(s) else None
                finally:
                    s.pop()
                if m is None:
                    break
                hit = [z3.is_true(m.eval(c, model_completion=True)) for _, c in rest]
                found.extend(f for (f, _), h in zip(rest, hit, strict=True) if h)
                rest = [fc for fc, h in zip(rest, hit, strict=True) if not h]
        finally:
            s.pop()
        return found
