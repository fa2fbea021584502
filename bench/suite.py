"""Per-test time of each engine on the shipped suite.

    python bench/suite.py [--model go] [--slowest N] [PATH ...]

Runs the explicit engine (explore and judge: ``--engine explicit``), the
default run (``--engine auto``: the explorer, and z3 where its answer is
needed), ``--engine both`` (the explorer and z3 on every test, cross-checked)
and the z3 engine alone (solve, with the count limit ``hbcheck run`` gives
it) on each test, one after the other, and prints the CPU seconds of each,
the explicit engine's executions, what z3 answered (exact, counts as lower
bounds past the explorer's bounds, or the reason it stepped aside; its
seconds are then in parentheses), and whether the test's answer needs z3 at
all. CPU time rather than wall time, so that a job beside the benchmark does
not inflate the figures; z3 runs in this process, so its solver time is
counted.

A test's answer needs z3 (issue 20) when the model does not declare drf-sc,
the explorer stopped at a bound, or the program is racy under a weak model
and has a condition or a universal expectation other than a race one
(``expect never/always``, ``expect no ...``, ``expect always ...``). Over the
others the default run should cost at most 1.5 times the explorer alone.
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
from hbcheck.verdict.engines import check_program, count_limit  # noqa: E402
from hbcheck.verdict.outcome import TestResult, judge  # noqa: E402

RACE_KINDS = ("race", "send-close-race")  # decided exactly on SC executions
AUTO_LIMIT = 1.5  # the acceptance bound on the default run's cost where z3 is not needed


@dataclass
class Row:
    test: str
    executions: int
    explicit: float
    smt: float  # spent even where z3 stepped aside (a solver timeout costs its seconds)
    answered: bool
    answer: str
    auto: float = 0.0  # the default run, --engine auto
    both: float = 0.0  # --engine both
    needs_z3: bool = True
    auto_asked: bool = False  # did the default run ask z3


def needs_z3(explicit: TestResult, model: Model) -> bool:
    """Does the test's answer need z3, by the program's shape (the issue's
    split), not by what the explorer left open?"""
    if not model.drf_sc or explicit.bounds:
        return True
    if not explicit.racy_weak:
        return False
    expects = explicit.program.expects
    universal = any(
        e.finding is None or (e.quantifier in ("no", "always") and e.finding not in RACE_KINDS) for e in expects
    )
    return explicit.program.condition is not None or universal


def _cpu(program, config: ExploreConfig, model: Model, engine: str) -> tuple[float, TestResult]:
    start = time.process_time()
    result = check_program(program, config, model, engine)
    return time.process_time() - start, result


def time_test(path: Path, model: Model, config: ExploreConfig) -> Row:
    program = load(path)
    start = time.process_time()
    explicit = judge(program, explore(program, config), model)
    middle = time.process_time()
    answer = solve(program, model, config.unroll, count_limit=count_limit(explicit))
    end = time.process_time()
    if not answer.answered:
        what = answer.reason or ""
    else:
        what = "exact" if answer.counted else f"counts ≥ (past {', '.join(explicit.bounds)})"
    auto, by_default = _cpu(program, config, model, "auto")
    both, _ = _cpu(program, config, model, "both")
    return Row(
        program.name,
        explicit.executions,
        middle - start,
        end - middle,
        answer.answered,
        what,
        auto,
        both,
        needs_z3(explicit, model),
        "smt" in by_default.engines or by_default.notes.smt is not None,
    )


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
    shown = sorted(rows, key=lambda r: r.both, reverse=True)[:slowest] if slowest else rows
    table = Table(title=f"{len(rows)} tests under {model}: CPU seconds per engine", title_justify="left")
    columns = ("test", "executions", "explicit s", "default s", "both s", "z3 s")
    for col in columns:
        table.add_column(col, justify="left" if col == "test" else "right")
    table.add_column("z3 answer")
    table.add_column("needs z3")
    for r in shown:
        z3 = f"{r.smt:.3f}" if r.answered else f"({r.smt:.3f})"
        asked = "yes" if r.needs_z3 else "no"
        if r.auto_asked != r.needs_z3:
            asked += " (default asked)" if r.auto_asked else " (default did not ask)"
        cells = (str(r.executions), f"{r.explicit:.3f}", f"{r.auto:.3f}", f"{r.both:.3f}", z3)
        table.add_row(r.test, *cells, r.answer, asked)
    console = Console(width=180)
    console.print(table)
    encoded = [r.smt for r in rows if r.answered]
    console.print(
        f"explicit: {sum(r.explicit for r in rows):.2f} s in all, median {median(r.explicit for r in rows):.3f} s; "
        f"z3: {sum(encoded):.2f} s in all on {len(encoded)} encoded tests, median {median(encoded):.3f} s"
        if encoded
        else "z3 encoded none of these tests"
    )
    console.print(
        f"default (auto): {sum(r.auto for r in rows):.2f} s in all, z3 asked on {sum(r.auto_asked for r in rows)} "
        f"of {len(rows)}; both: {sum(r.both for r in rows):.2f} s in all"
    )
    easy = [r for r in rows if not r.needs_z3]
    if easy:
        alone, auto = sum(r.explicit for r in easy), sum(r.auto for r in easy)
        ratio = auto / alone if alone else float("inf")
        verdict = "within" if ratio <= AUTO_LIMIT else "OVER"
        console.print(
            f"{len(easy)} tests need no z3: default {auto:.3f} s, explorer alone {alone:.3f} s, "
            f"both {sum(r.both for r in easy):.3f} s; default/explorer = {ratio:.2f} ({verdict} {AUTO_LIMIT}x)"
        )


if __name__ == "__main__":
    typer.run(main)
