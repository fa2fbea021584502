"""The ``hbcheck`` command line (typer); rich for tables and errors.

Exit status: 0 when every expectation holds, 1 when one fails (or is
Unknown and unknowns are not tolerated), 2 on bad input or usage.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig, explore
from hbcheck.language import load
from hbcheck.models import Model, load_model
from hbcheck.report.herd import herd_block
from hbcheck.report.summary import BadInput, print_summary, verdict_of
from hbcheck.verdict import TestResult, judge
from hbcheck.verdict.outcome import FAIL, UNKNOWN

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="A memory-model checker for Go-style concurrency.",
)


@app.callback()
def _main() -> None:
    """hbcheck: explore every execution of .lit litmus tests."""


def _stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def collect(paths: list[Path]) -> list[Path | BadInput]:
    """Files to check, in order; a folder contributes its .lit files, recursively and sorted."""
    out: list[Path | BadInput] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("*.lit"))
            out.extend(found or [BadInput(str(p), "no .lit files in this folder")])
        elif p.exists():
            out.append(p)
        else:
            out.append(BadInput(str(p), "no such file"))
    return out


def check_file(path: Path, config: ExploreConfig, model: Model | None = None) -> TestResult:
    """Parse, check, explore and judge one file (raises HbError on bad input)."""
    program = load(path)
    start = time.perf_counter()
    exploration = explore(program, config)
    result = judge(program, exploration, model)
    result.seconds = time.perf_counter() - start
    return result


@app.command()
def run(
    files: Annotated[list[Path], typer.Argument(help=".lit files or folders (searched recursively).")],
    unroll: Annotated[int, typer.Option(min=0, help="Iterations of each general loop before an execution is cut.")] = 8,
    max_steps: Annotated[
        int, typer.Option(min=1, help="Visible steps one execution may take before it is cut.")
    ] = 10_000,
    max_executions: Annotated[
        int, typer.Option(min=1, help="Executions to explore per test before stopping.")
    ] = 100_000,
    time_budget: Annotated[float | None, typer.Option(min=0.0, help="Seconds of exploration per test.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary table.")] = False,
    allow_unknown: Annotated[bool, typer.Option(help="Do not fail tests whose verdict is Unknown.")] = False,
    model: Annotated[
        str, typer.Option("--model", "-m", help="Memory model: a name in models/ (go, sc, go-nocap) or a .cat path.")
    ] = "go",
) -> None:
    """Explore every execution of each test and check its expectations."""
    out = Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160)
    err = _stderr()
    config = ExploreConfig(unroll=unroll, max_steps=max_steps, max_executions=max_executions, time_budget=time_budget)
    try:
        cat = load_model(model)
    except HbError as exc:
        err.print(exc.render(), markup=False)
        raise typer.Exit(2) from None
    results: list[TestResult | BadInput] = []
    for path in collect(files):
        if isinstance(path, BadInput):
            err.print(f"{path.file}: error: {path.message}", markup=False)
            results.append(path)
            continue
        try:
            result = check_file(path, config, cat)
        except HbError as exc:
            err.print(exc.render(), markup=False)
            results.append(BadInput(str(path), exc.message))
            continue
        results.append(result)
        if not quiet:
            typer.echo(herd_block(result), nl=False)
        if not result.exact:
            err.print(
                f'Warning: File "{path}", {"; ".join(_limit_text(result))}: outcomes and findings may be missing.',
                markup=False,
            )
    print_summary(out, results, allow_unknown)
    if any(isinstance(r, BadInput) for r in results) or not results:
        raise typer.Exit(2)
    failed = [
        r
        for r in results
        if isinstance(r, TestResult)
        and r.expectations
        and (r.status == FAIL or (r.status == UNKNOWN and not allow_unknown))
    ]
    raise typer.Exit(1 if failed else 0)


def _limit_text(result: TestResult) -> list[str]:
    return [f"{b} hit" for b in result.bounds] + result.limits[len(result.bounds) :]


def main() -> None:
    app()


__all__ = ["app", "check_file", "collect", "main", "verdict_of"]
