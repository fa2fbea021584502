"""Evaluate a test's condition on final states (herd's ``exists`` & co)."""

from __future__ import annotations

from collections.abc import Callable

from hbcheck.explore.execution import FinalState
from hbcheck.language import ast
from hbcheck.language.check import Program
from hbcheck.machine.code import GoPanic, pure

Location = tuple[str, str | None]  # (proc, reg) for a register, (var, None) for a shared variable


def locations(program: Program) -> list[Location]:
    """What a state shows: the condition's registers then its variables (all
    shared integers when there is no condition), each once, sorted."""
    cond = program.condition
    if cond is None:
        return [(name, None) for name, v in sorted(program.shared.items()) if v.kind == "int"]
    regs: set[Location] = set()
    shared: set[Location] = set()
    for node in ast.walk(cond.expr):
        if isinstance(node, ast.ProcReg):
            regs.add((node.proc, node.reg))
        elif isinstance(node, ast.Name):
            shared.add((node.name, None))
    return sorted(regs) + sorted(shared)


def value_of(final: FinalState, loc: Location) -> int:
    name, reg = loc
    return final.reg(name, reg) if reg is not None else final.vars[name]


def show_location(loc: Location) -> str:
    return f"{loc[0]}:{loc[1]}" if loc[1] is not None else loc[0]


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
