"""``hbcheck go`` and ``hbcheck validate``: litmus7 for Go."""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from hbcheck.cli.common import MaxExecutions, ModelName, Unroll, fail, load_all, model_named, stderr, stdout
from hbcheck.cli.run import write_out
from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig
from hbcheck.language import load
from hbcheck.realgo.audit import OK, UNSOUND, Audit, audit
from hbcheck.realgo.emit import emit_go
from hbcheck.realgo.runner import build, go_tool, run
from hbcheck.spin.promela import emit_promela
from hbcheck.verdict.engines import EngineDisagreement, check_program


def go_cmd(
    file: Annotated[Path, typer.Argument(help="A .lit file.", exists=True, dir_okay=False)],
    out_dir: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for main.go (default: NAME-go).")
    ] = None,
) -> None:
    """Write the test as a Go program that runs it many times and prints a litmus7-style histogram."""
    try:
        program = load(file)
    except HbError as exc:
        raise fail(exc) from None
    target = out_dir or Path(f"{file.stem}-go")
    if not target.parent.is_dir():  # a mistyped path is not a tree to create
        raise fail(HbError(f"cannot write {target}: no folder {target.parent}"))
    if target.exists() and not target.is_dir():
        raise fail(HbError(f"cannot write {target}: it is a file, not a folder"))
    try:
        target.mkdir(exist_ok=True)
        (target / "main.go").write_text(emit_go(program, file))
    except OSError as exc:
        raise fail(HbError(f"cannot write {target / 'main.go'}: {exc.strerror}")) from None
    stdout().print(f"wrote {target / 'main.go'} (run: cd {target} && go run main.go -runs 10000)", markup=False)


def promela_cmd(
    file: Annotated[Path, typer.Argument(help="A .lit file.", exists=True, dir_okay=False)],
    output: Annotated[str, typer.Option("--output", "-o", help="Where to write the model (- for stdout).")] = "-",
) -> None:
    """Write the test as a Promela model for SPIN (spin -a; gcc pan.c; ./pan)."""
    try:
        text = emit_promela(load(file), file)
    except HbError as exc:
        raise fail(exc) from None
    write_out(output, text)


def validate_cmd(
    files: Annotated[list[Path], typer.Argument(help=".lit files or folders (searched recursively).")],
    runs: Annotated[int, typer.Option(min=1, help="Iterations of each program.")] = 1000,
    race: Annotated[bool, typer.Option("--race", help="Build with Go's race detector and audit its reports.")] = False,
    gomaxprocs: Annotated[int | None, typer.Option(min=1, help="GOMAXPROCS for the runs.")] = None,
    timeout: Annotated[
        int, typer.Option(min=1, help="Milliseconds an iteration may take before it counts as a deadlock.")
    ] = 50,
    grace: Annotated[
        int, typer.Option(min=0, help="Milliseconds the others get after main returns before they count as leaked.")
    ] = 20,
    json_out: Annotated[str | None, typer.Option("--json", metavar="FILE", help="Write the audit as JSON.")] = None,
    workdir: Annotated[Path | None, typer.Option(help="Keep the generated programs here.")] = None,
    model: ModelName = "go",
    unroll: Unroll = 8,
    max_executions: MaxExecutions = 100_000,
) -> None:
    """Run each test on the real Go runtime and check every observation against the model."""
    try:
        go_tool()
        cat = model_named(model)
    except HbError as exc:
        raise fail(exc) from None
    audits: list[Audit] = []
    programs, bad = load_all(files)
    config = ExploreConfig(unroll=unroll, max_executions=max_executions)
    with tempfile.TemporaryDirectory(prefix="hbcheck-go-") as scratch:  # removed however the run ends
        base = workdir or Path(scratch)
        for path, program in programs:
            try:
                result = check_program(program, config, cat, "both")
                binary = build(emit_go(program, path), base / path.stem, race)
                observed = run(binary, runs, gomaxprocs, timeout, grace)
            except (HbError, EngineDisagreement) as exc:
                stderr().print(exc.render() if isinstance(exc, HbError) else f"internal error: {exc}", markup=False)
                bad = True
                continue
            audits.append(audit(result, observed))
    out = stdout()
    for a in audits:
        out.print(_table(a, race))
    unsound = [a for a in audits if a.verdict == UNSOUND]
    disagree = [a for a in audits if a.detector_disagrees]
    total = Table(title="validate: totals", title_justify="left")
    for col in ("tests", "runs each", "ok", "MODEL UNSOUND", "undecided", "RACE-DETECTOR DISAGREES"):
        total.add_column(col)
    total.add_row(
        str(len(audits)),
        str(runs),
        str(sum(a.verdict == OK for a in audits)),
        str(len(unsound)),
        str(sum(a.verdict == "UNDECIDED" for a in audits)),
        str(len(disagree)),
    )
    out.print(total)
    if json_out:
        write_out(
            json_out,
            json.dumps(
                {"runs": runs, "race": race, "model": cat.name, "tests": [_audit_json(a) for a in audits]}, indent=2
            )
            + "\n",
        )
    raise typer.Exit(2 if bad else 1 if unsound else 0)


def _table(a: Audit, race: bool) -> Table:
    o = a.observed
    t = Table(title=f"{a.test} ({a.file}): {a.verdict}", title_justify="left", show_header=False)
    t.add_column("what", style="bold")
    t.add_column("detail", overflow="fold")
    hist = [f"{n:>6} {'*' if o.holds.get(s) else ':'}>{s}" for s, n in sorted(o.states.items())]
    hist += [f'{n:>6} :>panic "{p}"' for p, n in sorted(o.panics.items())]
    hist += [f"{n:>6} :>assertion failed at line {ln}" for ln, n in sorted(o.asserts.items())]
    if o.deadlocks:
        hist.append(f"{o.deadlocks:>6} :>deadlock (timeout)")
    if o.unknown:
        hist.append(f"{o.unknown:>6} :>state unknown (goroutines still running when main returned)")
    if o.fatal:
        hist.append(f"fatal error: {o.fatal} (the process ended after {o.runs} complete run(s))")
    t.add_row("histogram", "\n".join(hist) or "—")
    for label, items in (
        ("MODEL UNSOUND", a.unsound),
        ("undecided", a.undecided),
        ("never seen", a.never_seen),
        ("warnings", a.warnings),
    ):
        if items:
            t.add_row(label, "\n".join(items))
    if race:
        t.add_row("races confirmed", "\n".join(a.races_confirmed) or "—")
        if a.races_not_observed:
            t.add_row("not observed", "\n".join(a.races_not_observed))
        if a.detector_disagrees:
            t.add_row("RACE-DETECTOR DISAGREES", "\n".join(a.detector_disagrees))
    return t


def _audit_json(a: Audit) -> dict:
    d = asdict(a)
    d["observed"]["races"] = [
        {"lines": list(r.lines), "accesses": [list(x) for x in r.accesses]} for r in a.observed.races
    ]
    return d
