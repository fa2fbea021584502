"""The locations a final state shows: the condition's registers and variables."""

from __future__ import annotations

from hbcheck.language import ast
from hbcheck.language.check import Program

Location = tuple[str, str | None]  # (proc, reg) for a register, (var, None) for a shared variable


def locations(program: Program) -> list[Location]:
    """What a state shows: the condition's registers then its variables (all
    shared integers when there is no condition), each once, sorted."""
    cond = program.condition
    if cond is None:
        out: list[Location] = []
        for name, v in sorted(program.shared.items()):
            if v.kind == "int":
                out.append((name, None))
            elif v.kind == "array":
                out += [(f"{name}[{k}]", None) for k in range(v.cap or 0)]
        return out
    regs: set[Location] = set()
    shared: set[Location] = set()
    for node in ast.walk(cond.expr):
        if isinstance(node, ast.ProcReg):
            regs.add((node.proc, node.reg))
        elif isinstance(node, ast.Name):
            shared.add((node.name, None))
        elif isinstance(node, ast.Index) and isinstance(node.index, ast.IntLit):
            shared.add((f"{node.name}[{node.index.value}]", None))
    return sorted(regs) + sorted(shared)


def show_location(loc: Location) -> str:
    return f"{loc[0]}:{loc[1]}" if loc[1] is not None else loc[0]
