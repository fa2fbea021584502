"""``hbcheck run``: explore, judge, report; gate CI on expectations and baselines."""

from __future__ import annotations

import os
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hbcheck.cli.common import (
    InternalError,
    MemoryLimit,
    ModelName,
    TimeBudget,
    bad_input,
    check_or_bad,
    collect,
    fail,
    model_named,
    stderr,
    stdout,
)
from hbcheck.errors import HbError, Interrupted
from hbcheck.explore import ExploreConfig
from hbcheck.explore.explorer import STOP_EARLY
from hbcheck.report.baseline import compare, differences_table, load_results
from hbcheck.report.herd import herd_block
from hbcheck.report.junit import junit_xml
from hbcheck.report.results import display_path, dump, results_json
from hbcheck.report.sarif import sarif_log
from hbcheck.report.summary import BadInput, print_summary
from hbcheck.verdict import TestResult
from hbcheck.verdict.engines import EngineDisagreement
from hbcheck.verdict.outcome import FAIL, UNKNOWN


class Engine(StrEnum):
    auto = "auto"
    both = "both"
    explicit = "explicit"
    smt = "smt"


class Por(StrEnum):
    dpor = "dpor"
    trace = "trace"
    none = "none"


class Format(StrEnum):
    text = "text"
    herd = "herd"


def writable(target: str) -> None:
    """Refuse an output path before the run, not after it: a folder, or a
    file in a folder that does not exist or cannot be written."""
    if target == "-":
        return
    path = Path(target)
    folder = path.parent
    if path.is_dir():
        raise fail(HbError(f"cannot write {target}: it is a folder"))
    if not folder.is_dir():
        raise fail(HbError(f"cannot write {target}: no folder {folder}"))
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise fail(HbError(f"cannot write {target}: permission denied"))


def write_out(target: str, text: str) -> None:
    """``-`` is standard output."""
    if target == "-":
        sys.stdout.write(text)
    else:
        try:
            Path(target).write_text(text)
        except OSError as exc:
            raise fail(HbError(f"cannot write {target}: {exc.strerror}")) from None


def _outcome(future: Future, path: Path) -> TestResult | HbError | EngineDisagreement | InternalError:
    """A worker's answer; a worker that died (killed, out of memory) is the test's internal error."""
    try:
        return future.result()
    except BrokenProcessPool:
        return InternalError(str(path), "its worker process died (killed, or out of memory)")


def _leave_ctrl_c_to_the_parent() -> None:
    """Workers ignore Ctrl-C (the terminal sends it to them too, and each
    printed a KeyboardInterrupt traceback): the parent stops them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now, not after their
    tests: shutdown alone waits for the running ones."""
    workers = list((pool._processes or {}).values())  # no public way to end a running task
    pool.shutdown(wait=False, cancel_futures=True)  # (which forgets the workers)
    for process in workers:
        process.terminate()


def _limit_text(result: TestResult) -> list[str]:
    hit = ["stopped early, every expectation decided" if b == STOP_EARLY else f"{b} hit" for b in result.bounds]
    return hit + result.limits[len(result.bounds) :]


def run(
    files: Annotated[list[Path], typer.Argument(help=".lit files or folders (searched recursively).")],
    unroll: Annotated[int, typer.Option(min=0, help="Iterations of each general loop before an execution is cut.")] = 8,
    max_steps: Annotated[
        int, typer.Option(min=1, help="Visible steps one execution may take before it is cut.")
    ] = 10_000,
    max_executions: Annotated[
        int, typer.Option(min=1, help="Executions to explore per test before stopping.")
    ] = 100_000,
    time_budget: TimeBudget = None,
    memory_limit: MemoryLimit = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only the summary table.")] = False,
    allow_unknown: Annotated[bool, typer.Option(help="Do not fail tests whose verdict is Unknown.")] = False,
    model: ModelName = "go",
    output_format: Annotated[
        Format, typer.Option("--format", help="text: herd blocks and a summary; herd: herd7's blocks and nothing else.")
    ] = Format.text,
    json_out: Annotated[
        str | None, typer.Option("--json", metavar="FILE", help="Write results as JSON (- for stdout).")
    ] = None,
    junit_out: Annotated[
        str | None, typer.Option("--junit", metavar="FILE", help="Write JUnit XML (- for stdout).")
    ] = None,
    sarif_out: Annotated[
        str | None,
        typer.Option(
            "--sarif", metavar="FILE", help="Write SARIF 2.1.0 for code scanning (- for stdout): findings, failures."
        ),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Fail on any difference from this recorded results file.")
    ] = None,
    update_baseline: Annotated[Path | None, typer.Option(help="Record this run's results as the baseline.")] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Check files in N processes (at most one per file and per core).")
    ] = 1,
    times: Annotated[
        bool, typer.Option("--time/--no-time", help="Print herd's Time line (off: output is reproducible).")
    ] = True,
    por: Annotated[
        Por,
        typer.Option(
            help="dpor: persistent sets, one run per class (default); trace: every step of each trace prefix, "
            "one run per class; none: every interleaving."
        ),
    ] = Por.dpor,
    engine: Annotated[
        Engine,
        typer.Option(
            help="auto: the explorer, and z3 only where its answer changes the result (a model without "
            "'declare drf-sc', a bound z3 may lift, a racy test whose condition or an undecided expectation "
            "depends on executions beyond SC); both: the explorer and z3 on every test, checked against each "
            "other; explicit: the explorer alone; smt: z3 alone."
        ),
    ] = Engine.auto,
    # z3 takes its timeout as a 32-bit count of milliseconds
    solver_timeout: Annotated[float, typer.Option(min=0.1, max=1_000_000, help="Seconds per z3 query.")] = 60.0,
    stop_early: Annotated[
        bool,
        typer.Option(
            "--stop-early",
            help="Stop a test's search once every expectation is decided; its states, counts and findings are "
            "then those of the executions run (lower bounds).",
        ),
    ] = False,
) -> None:
    """Explore every execution of each test and check its expectations."""
    err = stderr()
    try:
        cat = model_named(model)
        old = load_results(baseline) if baseline else None
    except HbError as exc:
        raise fail(exc) from None
    config = ExploreConfig(
        unroll=unroll,
        max_steps=max_steps,
        max_executions=max_executions,
        time_budget=time_budget,
        memory_limit=memory_limit,
        por=str(por),
    )
    outputs = [o for o in (json_out, junit_out, sarif_out, update_baseline and str(update_baseline)) if o]
    if outputs.count("-") > 1:
        raise fail(HbError("only one of --json, --junit, --sarif and --update-baseline can write to stdout (-)"))
    for target in outputs:
        writable(target)
    machine_out = "-" in outputs
    herd_only = output_format == Format.herd
    show_blocks = not quiet and not machine_out
    items = collect(files)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal or herd_only or machine_out or len(items) < 2,
    )
    results: list[TestResult | BadInput] = []
    interrupted = False
    internal = 0  # engine disagreements and unexpected errors: each its test's, exit 3
    # every worker is forked up front: no more than there are files, nor cores
    workers = min(jobs, sum(isinstance(i, Path) for i in items), os.cpu_count() or 1)
    pool = ProcessPoolExecutor(workers, initializer=_leave_ctrl_c_to_the_parent) if workers > 1 else None
    try:
        with progress:
            task = progress.add_task("checking", total=len(items))
            paths = [p for p in items if isinstance(p, Path)]
            args = (config, cat.path, str(engine), solver_timeout, stop_early)
            futures = iter([pool.submit(check_or_bad, p, *args) for p in paths] if pool else [])
            for item in items:
                progress.update(task, description=f"checking {item if isinstance(item, Path) else item.file}")
                if isinstance(item, BadInput):
                    err.print(f"{item.file}: error: {item.message}", markup=False)
                    results.append(item)
                else:
                    outcome = _outcome(next(futures), item) if pool else check_or_bad(item, *args)
                    if isinstance(outcome, EngineDisagreement):
                        err.print(f"internal error: the engines disagree on {outcome}", markup=False)
                        internal += 1
                        results.append(BadInput(str(item), f"engines disagree: {outcome}", internal=True))
                    elif isinstance(outcome, InternalError):
                        err.print(f"{item}: internal error: {outcome.message}", markup=False)
                        internal += 1
                        results.append(BadInput(str(item), f"internal error: {outcome.message}", internal=True))
                    elif isinstance(outcome, HbError):
                        err.print(outcome.render(), markup=False)
                        results.append(bad_input(item, outcome))
                    else:
                        results.append(outcome)
                        if show_blocks:
                            progress.console.file.flush()
                            sys.stdout.write(herd_block(outcome, times, engines=True))
                            sys.stdout.flush()
                        if not outcome.exact:
                            err.print(
                                f'Warning: File "{item}", {"; ".join(_limit_text(outcome))}: '
                                "outcomes and findings may be missing.",
                                markup=False,
                            )
                progress.advance(task)
                if Interrupted.seen:  # raised where a library swallowed it
                    raise Interrupted
    except (KeyboardInterrupt, Interrupted):
        interrupted = True
        if pool:
            _stop(pool)
        err.print(f"Interrupted: {len(results)} of {len(items)} files checked.", markup=False)
    finally:
        if pool:
            pool.shutdown(wait=not interrupted, cancel_futures=True)

    doc = results_json(
        results,
        {
            "unroll": unroll,
            "max_steps": max_steps,
            "max_executions": max_executions,
            "time_budget": time_budget,
            "memory_limit": memory_limit,
            "engine": str(engine),
            "stop_early": stop_early,
        },
        allow_unknown,
        {"name": cat.name, "path": display_path(cat.path), "sha256": cat.digest},
    )
    if json_out:
        write_out(json_out, dump(doc))
    if junit_out:
        write_out(junit_out, junit_xml(results, allow_unknown))
    if sarif_out:
        unchecked = len(items) - len(results) if interrupted else 0
        write_out(sarif_out, dump(sarif_log(results, allow_unknown, ["hbcheck", *sys.argv[1:]], unchecked)))
    if update_baseline:
        write_out(str(update_baseline), dump(doc))
    if not herd_only and not machine_out:
        print_summary(stdout(), results, allow_unknown)
    if interrupted:
        raise typer.Exit(130)
    if internal:
        raise typer.Exit(3)
    if any(isinstance(r, BadInput) for r in results) or not results:
        raise typer.Exit(2)
    code = 0
    failed = [
        r
        for r in results
        if isinstance(r, TestResult)
        and r.expectations
        and (r.status == FAIL or (r.status == UNKNOWN and not allow_unknown))
    ]
    if failed:
        code = 1
    if old is not None:
        diffs = compare(old, doc)
        if diffs:
            (stdout() if not machine_out else err).print(differences_table(diffs))
            err.print(f"{len(diffs)} difference(s) from the baseline {baseline}", markup=False)
            code = 1
        elif not herd_only and not machine_out:
            stdout().print(f"Baseline {baseline}: no differences", markup=False, highlight=False)
    raise typer.Exit(code)
