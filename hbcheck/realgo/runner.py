"""Build a generated program with the ``go`` toolchain, run it, read what it saw.

What it saw: its histogram (JSON on standard output), a fatal runtime error
that ended the process (``fatal error: ...`` on standard error: stack
overflow, unlock of an unlocked mutex...), and the race detector's reports,
each access mapped back to its .lit line through the line directives.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from hbcheck.errors import HbError

_ACCESS = re.compile(r"^(Previous )?(Atomic )?(read|write) at ", re.IGNORECASE)
_LIT_FRAME = re.compile(r"^\s+(\S+\.lit):(\d+)")


@dataclass(frozen=True, slots=True)
class RaceReport:
    """One report of Go's race detector: the two accesses' .lit lines and kinds, sorted."""

    accesses: tuple[tuple[int, str], tuple[int, str]]

    @property
    def lines(self) -> tuple[int, int]:
        return (self.accesses[0][0], self.accesses[1][0])


@dataclass
class Observed:
    runs: int = 0
    states: dict[str, int] = field(default_factory=dict)
    holds: dict[str, bool] = field(default_factory=dict)
    unknown: int = 0
    panics: dict[str, int] = field(default_factory=dict)
    asserts: dict[int, int] = field(default_factory=dict)
    deadlocks: int = 0
    leaks: dict[str, int] = field(default_factory=dict)
    positive: int = 0
    negative: int = 0
    seconds: float = 0.0
    fatal: str | None = None  # the runtime's fatal error, which ends the process
    races: list[RaceReport] = field(default_factory=list)
    harness_races: int = 0  # reports with no .lit line on one side: a harness bug, never the test's
    # reports with an access in the harness's recovery of a panic (see ``_parse_races``)
    recovery_races: int = 0


def go_tool() -> str:
    exe = shutil.which("go")
    if exe is None:
        raise HbError(
            "the 'go' toolchain is not installed (Debian: apt-get install golang-go); "
            "`hbcheck go` still writes programs without it"
        )
    return exe


def build(source: str, workdir: Path, race: bool) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "main.go").write_text(source)
    binary = workdir / ("prog-race" if race else "prog")
    cmd = [go_tool(), "build", "-o", str(binary)] + (["-race"] if race else []) + ["main.go"]
    env = {**os.environ, "GO111MODULE": "off", "GOFLAGS": ""}
    env.setdefault("GOCACHE", str(Path.home() / ".cache" / "go-build"))
    done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise HbError(f"go build failed for {workdir / 'main.go'}:\n{done.stderr.strip()}")
    return binary


def run(binary: Path, runs: int, gomaxprocs: int | None, timeout_ms: int, grace_ms: int) -> Observed:
    env = {**os.environ, "GORACE": "halt_on_error=0 exitcode=0"}
    if gomaxprocs:
        env["GOMAXPROCS"] = str(gomaxprocs)
    cmd = [str(binary), "-json", f"-runs={runs}", f"-timeout={timeout_ms}ms", f"-grace={grace_ms}ms"]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    obs = Observed()
    out = done.stdout.strip().splitlines()
    if out:
        try:
            h = json.loads(out[-1])
        except json.JSONDecodeError:
            h = None
        if h:
            obs.runs, obs.states, obs.holds, obs.unknown = h["runs"], h["states"], h["holds"], h["unknown"]
            obs.panics, obs.deadlocks, obs.leaks = h["panics"], h["deadlocks"], h["leaks"]
            obs.asserts = {int(k): v for k, v in h["asserts"].items()}
            obs.positive, obs.negative, obs.seconds = h["positive"], h["negative"], h["seconds"]
    fatal = re.search(r"^fatal error: (.+)$", done.stderr, re.MULTILINE)
    if done.returncode < 0 and not fatal:
        raise HbError(
            f"{binary} was killed by signal {-done.returncode} after {obs.runs} run(s) "
            "(out of memory? the race detector multiplies a program's memory)"
        )
    if fatal:
        obs.fatal = fatal.group(1).strip()
    elif done.returncode != 0 and not out:
        raise HbError(f"{binary} failed (exit {done.returncode}): {done.stderr.strip()[:500]}")
    obs.races, obs.harness_races, obs.recovery_races = _parse_races(done.stderr)
    return obs


def parse_races(stderr: str) -> tuple[list[RaceReport], int]:
    """The race detector's reports, each access at the first .lit frame of its
    stack, and how many have no .lit line on one side (the harness's)."""
    reports, harness, _recovery = _parse_races(stderr)
    return reports, harness


def _parse_races(stderr: str) -> tuple[list[RaceReport], int, int]:
    """``parse_races``, and apart the reports with an access made while a panic
    unwinds (``runtime.gopanic()`` above its first .lit frame: the harness's
    deferred recovery, not the test). sync.WaitGroup's misuse panics come
    between ``race.Disable()`` and ``race.Enable()`` (sync/waitgroup.go, Go
    1.19), so the panicking goroutine's later synchronisation (the harness's
    hand-off of its result) is invisible to the detector, which then reports
    the harness's own, ordered, accesses; the .lit frame under the panic would
    misname them as the test's line."""
    reports: list[RaceReport] = []
    harness = recovery = 0
    for block in stderr.split("WARNING: DATA RACE")[1:]:
        block = block.split("==================")[0]
        accesses: list[tuple[int, str]] = []
        kind = None
        unwinding = False
        for line in block.splitlines():
            m = _ACCESS.match(line.strip())
            if m:
                kind = ("atomic " if m.group(2) else "") + m.group(3).lower()
                continue
            if kind is not None and line.strip() == "runtime.gopanic()":
                unwinding = True
            f = _LIT_FRAME.match(line)
            if f and kind is not None:
                accesses.append((int(f.group(2)), kind))
                kind = None
            if line.startswith("Goroutine "):
                break
        if unwinding:
            recovery += 1
        elif len(accesses) == 2:
            a, b = sorted(accesses)
            reports.append(RaceReport((a, b)))
        else:
            harness += 1
    return reports, harness, recovery
