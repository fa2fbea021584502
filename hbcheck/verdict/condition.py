"""Evaluate a test's condition on final states (herd's ``exists`` & co)."""

from __future__ import annotations

from collections.abc import Callable

from hbcheck.explore.execution import FinalState
from hbcheck.language.check import Program
from hbcheck.language.locations import Location, locations, show_location
from hbcheck.machine.code import GoPanic, pure


def value_of(final: FinalState, loc: Location) -> int:
    name, reg = loc
    return final.reg(name, reg) if reg is not None else final.vars[name]


def predicate(program: Program) -> Callable[[FinalState], bool] | None:
    """The condition's proposition as a function of a final state."""
    cond = program.condition
    if cond is None:
        return None
    fn = pure(cond.expr, lambda name: lambda env: env[name])
    locs = locations(program)

    def holds(final: FinalState) -> bool:
        env = {show_location(loc): value_of(final, loc) for loc in locs}
        try:
            return bool(fn(env))
        except GoPanic:  # a condition dividing by zero is simply false there
            return False

    return holds
