"""``hbcheck compare``: two models side by side (like herd's mcompare7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hbcheck.cli.common import MaxExecutions, MaxSteps, Unroll, fail, load_all, model_named, stdout
from hbcheck.cli.run import write_out
from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig, explore
from hbcheck.verdict import TestResult, judge


def _side(r: TestResult) -> dict:
    return {
        "observation": r.observation if r.program.condition else None,
        "positive": r.positive,
        "negative": r.negative,
        "findings": sorted(f.describe() for f in r.findings),
        "expectations": {e.text: e.status for e in r.expectations},
    }


def compare_cmd(
    files: Annotated[list[Path], typer.Argument(help=".lit files or folders (searched recursively).")],
    models: Annotated[list[str], typer.Option("--model", "-m", help="A model name or .cat path; give exactly two.")],
    json_out: Annotated[
        str | None, typer.Option("--json", metavar="FILE", help="Write the differences as JSON.")
    ] = None,
    unroll: Unroll = 8,
    max_steps: MaxSteps = 10_000,
    max_executions: MaxExecutions = 100_000,
) -> None:
    """Run every test under two models and show the tests whose verdicts differ."""
    if len(models) != 2:
        raise fail(HbError(f"compare needs exactly two --model options, got {len(models)}"))
    try:
        a, b = model_named(models[0]), model_named(models[1])
    except HbError as exc:
        raise fail(exc) from None
    config = ExploreConfig(unroll=unroll, max_steps=max_steps, max_executions=max_executions)
    rows = []
    programs, bad = load_all(files)
    for path, program in programs:
        exploration = explore(program, config)  # the executions do not depend on the model
        sa, sb = _side(judge(program, exploration, a)), _side(judge(program, exploration, b))
        if sa != sb:
            rows.append({"test": program.name, "file": str(path), models[0]: sa, models[1]: sb})
    table = Table(title=f"{models[0]} vs {models[1]}: {len(rows)} test(s) differ", title_justify="left")
    for col in ("Test", models[0], models[1]):
        table.add_column(col, overflow="fold")
    for row in rows:
        cells = []
        for m in models:
            side = row[m]
            other = row[models[1] if m == models[0] else models[0]]
            only = [f for f in side["findings"] if f not in other["findings"]]
            text = f"{side['observation'] or '—'} ({side['positive']}/{side['negative']})"
            text += "".join(f"\n+ {f}" for f in only)
            changed = [f"{k}: {v}" for k, v in side["expectations"].items() if other["expectations"].get(k) != v]
            text += "".join(f"\n{c}" for c in changed)
            cells.append(text)
        table.add_row(row["test"], *cells)
    if json_out:
        write_out(json_out, json.dumps({"models": models, "differences": rows}, indent=2) + "\n")
    if json_out != "-":
        stdout().print(table)
    raise typer.Exit(2 if bad else 1 if rows else 0)
