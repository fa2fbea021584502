"""Run the engines' random differential tests in stress mode, in shards side by side.

    python bench/stress.py [--examples 10000] [--shards 2] [--seed N] [--test random_channel]
                           [--file tests/smt/test_smt.py] [--budget N] [--seconds S]

Each shard is one pytest process on ``FILE -k TEST`` with
``HBCHECK_STRESS`` set to its share of the examples and its own
``--hypothesis-seed`` (SEED, SEED+1, ...), so the shards draw different
programs. Their verbose logs go to ``--logs``; a progress bar counts the
examples run. At the end (or on Ctrl-C) it prints, per shard, the examples
that completed, the failures, and the slowest examples seen; it exits 1 if
any shard failed. Examples are counted from the logs, so the figures of an
interrupted run are exact too: every example whose successor started had
finished, and a failing one would show its traceback in the log.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
STARTED = "Trying example:"
PROGRAM = re.compile(r"^\s+text='(.*?)',$", re.M)
# a failure line, once pytest's "E" prefix is gone: the exception may carry its module
FAILED = re.compile(r"^([\w.]+\.)?(Falsifying example|Traceback|EngineDisagreement|AssertionError)")


@dataclass
class Shard:
    seed: int
    examples: int
    log: Path
    process: subprocess.Popen | None = None
    started: int = 0  # examples begun, by the log
    seen_at: float = 0.0
    offset: int = 0  # bytes of the log read so far
    durations: list[float] = field(default_factory=list)  # seconds between starts, as polled

    def poll(self, now: float) -> None:
        with self.log.open("rb") as f:  # only the whole lines written since the last poll
            f.seek(self.offset)
            chunk = f.read()
        chunk = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(chunk)
        started = self.started + chunk.count(STARTED.encode())
        if started > self.started:
            if self.started:
                # the examples that began since the last poll share its interval
                self.durations += [(now - self.seen_at) / (started - self.started)] * (started - self.started)
            self.started, self.seen_at = started, now

    @property
    def done(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    @property
    def completed(self) -> int:
        # a running shard's latest example is still in progress
        return self.started if self.done and self.process.returncode == 0 else max(self.started - 1, 0)

    def programs(self) -> list[str]:
        """The text of each completed example, as hypothesis's verbose log prints it."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return PROGRAM.findall(text)[: self.completed]

    def failures(self) -> list[str]:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        # pytest prefixes an assertion's report with "E": "E     Falsifying example: ..."
        lines = (re.sub(r"^E\s+", "", line.strip()) for line in text.splitlines())
        return [line for line in lines if FAILED.match(line)]


def main(
    examples: Annotated[int, typer.Option(min=1, help="examples in all, shared among the shards")] = 10_000,
    shards: Annotated[int, typer.Option(min=0, help="processes side by side (0: one per core)")] = 0,
    seed: Annotated[
        int | None, typer.Option(help="the first shard's hypothesis seed, the others count up (default: random)")
    ] = None,
    test: Annotated[str, typer.Option(help="pytest -k expression in FILE")] = "random_channel",
    file: Annotated[
        Path, typer.Option(help="the test file (test_por.py: reduced vs naive search; test_engine_choice.py: auto)")
    ] = Path("tests/smt/test_smt.py"),
    logs: Annotated[Path, typer.Option(help="folder for the shards' verbose logs")] = Path("stress-logs"),
    budget: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="the explorer's executions per program (default: z3's enumeration limit, so that z3 counts "
            "every execution); past it the engines are compared on states and findings, as in CI",
        ),
    ] = None,
    seconds: Annotated[
        float | None,
        typer.Option(
            min=1,
            help="a time budget per program (default: none); an example that reaches it is counted as not compared "
            "rather than holding the campaign",
        ),
    ] = None,
) -> None:
    if not (ROOT / file).is_file():
        Console(stderr=True).print(f"error: no test file {file} under {ROOT}", markup=False)
        raise typer.Exit(2)
    shards = min(shards or os.cpu_count() or 1, examples)
    seed = random.randrange(10**6) if seed is None else seed
    console = Console()
    console.print(f"seeds {seed}..{seed + shards - 1}, logs in {logs}")
    try:
        logs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        Console(stderr=True).print(f"error: cannot create {logs}: {exc.strerror}", markup=False)
        raise typer.Exit(2) from None
    share, extra = divmod(examples, shards)
    runs = [Shard(seed + i, share + (i < extra), logs / f"shard-{seed + i}.log") for i in range(shards)]
    command = [sys.executable, "-m", "pytest", "-o", "addopts=", "-q", "-p", "no:cacheprovider", str(file)]
    for shard in runs:
        env = {**os.environ, "HBCHECK_STRESS": str(shard.examples), "PYTHONPATH": str(ROOT)}
        if budget is not None:
            env["HBCHECK_STRESS_BUDGET"] = str(budget)
        if seconds is not None:
            env["HBCHECK_STRESS_SECONDS"] = str(seconds)
        args = [*command, "-k", test, f"--hypothesis-seed={shard.seed}", "--hypothesis-verbosity=verbose", "-s"]
        with shard.log.open("w") as out:
            shard.process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    start = time.monotonic()
    interrupted = False
    try:
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"{test}, {len(runs)} shard(s)", total=examples)
            while not all(s.done for s in runs):
                time.sleep(2)
                now = time.monotonic()
                for s in runs:
                    s.poll(now)
                progress.update(task, completed=sum(s.completed for s in runs))
            for s in runs:
                s.poll(time.monotonic())
            progress.update(task, completed=sum(s.completed for s in runs))
    except KeyboardInterrupt:
        interrupted = True
        for s in runs:
            if not s.done:
                s.process.terminate()
                s.process.wait()
            s.poll(time.monotonic())
    report(console, runs, time.monotonic() - start, test, file)
    # an interrupted shard exits non-zero (SIGTERM, or pytest's 2 for Ctrl-C) without failing
    if any(s.failures() or (not interrupted and s.process.returncode != 0) for s in runs):
        raise typer.Exit(1)


def report(console: Console, runs: list[Shard], seconds: float, test: str, file: Path) -> None:
    table = Table(title=f"stress run, {seconds / 60:.1f} min", title_justify="left")
    for col in ("seed", "asked", "completed", "failures", "exit", "slowest (s)", "log"):
        table.add_column(col, justify="left" if col == "log" else "right")
    for s in runs:
        slow = ", ".join(f"{d:.0f}" for d in sorted(s.durations, reverse=True)[:3])
        code = "running" if not s.done else str(s.process.returncode)
        table.add_row(str(s.seed), str(s.examples), str(s.completed), str(len(s.failures())), code, slow, str(s.log))
    console.print(table)
    total = sum(s.completed for s in runs)
    # hypothesis counts examples; two choice sequences may still give one program
    distinct = len({text for s in runs for text in s.programs()})
    failed = sum(len(s.failures()) for s in runs)
    console.print(f"{total} examples completed ({distinct} distinct programs), {failed} failure line(s)")
    for s in runs:
        for line in s.failures()[:5]:
            console.print(f"  seed {s.seed}: {line}", markup=False)
        if s.done and s.process.returncode == 5:  # pytest: no test collected
            console.print(f"  seed {s.seed}: no test in {file} matches -k {test!r}", markup=False)


if __name__ == "__main__":
    typer.run(main)
