"""How much of each random generator's programs z3 encodes, and why it steps aside on the rest.

    python bench/z3_coverage.py [--examples 100] [--seed 0] [GENERATOR ...]

Draws ``--examples`` programs from each generator of ``tests/programs.py``
(all of them by default; hypothesis, derandomized from ``--seed``), asks z3
alone for each (``solve``, the `go` model, with a per-program time budget)
and prints, per generator, the share z3 answered and each step-aside
reason with its share (line numbers folded, so one reason is one row). The
figures the closing notes give for "the share of generated programs each
step-aside affects" come from here; whether z3's answers agree with the
explorer's is the differential tests' business, not this script's.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from hypothesis import HealthCheck, given, seed, settings
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # this checkout's hbcheck, and the generators

import programs  # noqa: E402

from hbcheck.budget import Budget  # noqa: E402
from hbcheck.errors import HbError  # noqa: E402
from hbcheck.language import check, parse  # noqa: E402
from hbcheck.models import load_model  # noqa: E402
from hbcheck.smt.engine import solve  # noqa: E402

GENERATORS = {
    "closures": programs.closure_text,
    "arrays": programs.array_text,
    "channel values": programs.chan_value_text,
    "channel values (pinned)": lambda: programs.chan_value_text(pinned=True),
    "slices": programs.slice_text,
    "slices as values": programs.slice_value_text,
    "shared maps": programs.map_text,
    "maps as values": programs.map_value_text,
    "functions": programs.function_text,
    "defer": programs.defer_text,
}
LINE = re.compile(r"\(line \d+\)|line \d+")


def draw(strategy, n: int, at: int) -> list[str]:
    """``n`` programs of ``strategy``, the same ones for the same seed."""
    out: list[str] = []

    @seed(at)
    @settings(max_examples=n, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(strategy())
    def collect(text: str) -> None:
        out.append(text)

    collect()
    return out[:n]


def reason(text: str, seconds: float) -> str:
    """Why z3 gave no answer ("" if it answered), with its line numbers folded."""
    try:
        p = check(parse(text, "generated.lit"))
    except HbError as e:  # pragma: no cover - the generators write valid programs
        return f"refused: {e.message}"
    answer = solve(p, load_model("go"), budget=Budget(seconds=seconds))
    return "" if answer.reason is None else LINE.sub("(line N)", answer.reason)


def main(
    generators: Annotated[list[str] | None, typer.Argument(help="generators to draw from (default: all)")] = None,
    examples: Annotated[int, typer.Option(min=1, help="programs per generator")] = 100,
    at: Annotated[int, typer.Option("--seed", help="hypothesis seed")] = 0,
    seconds: Annotated[float, typer.Option(min=1, help="z3's time budget per program")] = 60,
) -> None:
    names = generators or list(GENERATORS)
    unknown = [n for n in names if n not in GENERATORS]
    if unknown:
        raise typer.BadParameter(f"no generator {unknown[0]!r}; known: {', '.join(GENERATORS)}")
    table = Table("generator", "programs", "z3 answered", "steps aside because", "share", title="z3's coverage")
    for name in names:
        reasons = Counter(reason(text, seconds) for text in draw(GENERATORS[name], examples, at))
        total = sum(reasons.values())
        answered = reasons.pop("", 0)
        rows = reasons.most_common() or [("—", 0)]
        for i, (why, k) in enumerate(rows):
            first = i == 0
            table.add_row(
                name if first else "",
                str(total) if first else "",
                f"{answered} ({100 * answered / total:.0f}%)" if first else "",
                why,
                f"{100 * k / total:.0f}%" if k else "",
            )
        table.add_section()
    Console().print(table)


if __name__ == "__main__":
    typer.run(main)
