"""Per-test time of each engine on the shipped suite.

    python bench/suite.py [--model go] [--slowest N] [PATH ...]

Runs the explicit engine (explore and judge) and the z3 engine (solve, with
the count limit ``hbcheck run`` gives it) on each test, one after the other,
and prints the CPU seconds of each, the explicit engine's executions, and what
z3 answered (exact, counts as lower bounds past the explorer's bounds, or the
reason it stepped aside; its seconds are then in parentheses). CPU time
rather than wall time, so that a job beside the benchmark does not inflate
the figures; z3 runs in this process, so its solver time is counted.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hbcheck.errors import HbError  # noqa: E402
from hbcheck.explore import ExploreConfig, explore  # noqa: E402
from hbcheck.language import load  # noqa: E402
from hbcheck.models import Model, load_model  # noqa: E402
from hbcheck.smt.engine import solve  # noqa: E402
from hbcheck.verdict.engines import count_limit  # noqa: E402
from hbcheck.verdict.outcome import judge  # noqa: E402


@dataclass
class Row:
    test: str
    executions: int
    explicit: float
    smt: float  # spent even where z3 stepped aside (a solver timeout costs its seconds)
    answered: bool
    answer: str


def time_test(path: Path, model: Model, config: ExploreConfig) -> Row:
    program = load(path)
    start = time.process_time()
    explicit = judge(program, explore(program, config), model)
    middle = time.process_time()
    answer = solve(program, model, config.unroll, count_limit=count_limit(explicit))
    end = time.process_time()
    if answer.result is None:
        what = answer.reason or ""
    else:
        what = "exact" if answer.counted else f"counts ≥ (past {', '.join(explicit.bounds)})"
    return Row(program.name, explicit.executions, middle - start, end - middle, answer.result is not None, what)


def main(
    paths: Annotated[list[Path] | None, typer.Argument(help="tests or folders (default: the shipped suite)")] = None,
    model: Annotated[str, typer.Option(help="memory model name or path")] = "go",
    slowest: Annotated[int, typer.Option(min=0, help="print only the N slowest tests by total time (0: all)")] = 0,
) -> None:
    files = sorted(f for p in (paths or [ROOT / "litmus"]) for f in (sorted(p.rglob("*.lit")) if p.is_dir() else [p]))
    if not files:
        Console(stderr=True).print("error: no .lit files to time")
        raise typer.Exit(2)
    try:
        cat = load_model(model)
        rows = [time_test(f, cat, ExploreConfig()) for f in files]
    except HbError as exc:
        Console(stderr=True).print(exc.render(), markup=False)
        raise typer.Exit(2) from None
    shown = sorted(rows, key=lambda r: r.explicit + r.smt, reverse=True)[:slowest] if slowest else rows
    table = Table(title=f"{len(rows)} tests under {model}: CPU seconds per engine", title_justify="left")
    for col, justify in (("test", "left"), ("executions", "right"), ("explicit s", "right"), ("z3 s", "right")):
        table.add_column(col, justify=justify)
    table.add_column("z3 answer")
    for r in shown:
        z3 = f"{r.smt:.3f}" if r.answered else f"({r.smt:.3f})"
        table.add_row(r.test, str(r.executions), f"{r.explicit:.3f}", z3, r.answer)
    console = Console(width=160)
    console.print(table)
    encoded = [r.smt for r in rows if r.answered]
    console.print(
        f"explicit: {sum(r.explicit for r in rows):.2f} s in all, median {median(r.explicit for r in rows):.3f} s; "
        f"z3: {sum(encoded):.2f} s in all on {len(encoded)} encoded tests, median {median(encoded):.3f} s"
        if encoded
        else "z3 encoded none of these tests"
    )


if __name__ == "__main__":
    typer.run(main)
