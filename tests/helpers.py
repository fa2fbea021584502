"""Shared helpers of the tests (on pytest's path, see pyproject.toml): build
programs from text, find suite files, drive the machine by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
import zlib
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest
import z3

from hbcheck.explore import ExploreConfig, explore
from hbcheck.language import check, parse
from hbcheck.language.check import Program
from hbcheck.machine import Choice, Machine, State
from hbcheck.models import load_model
from hbcheck.smt.engine import ENUMERATION_LIMIT
from hbcheck.verdict import TestResult, judge

ROOT = Path(__file__).resolve().parent.parent
LITMUS = ROOT / "litmus"

# HBCHECK_STRESS=N (bench/stress.py sets it): N random examples per property
# test, drawn afresh, instead of CI's fixed sample
STRESS = int(os.environ.get("HBCHECK_STRESS", "0"))
# The explorer's budget in the differential tests. Stress runs give it z3's
# own limit, so that z3 counts every execution, unless HBCHECK_STRESS_BUDGET
# (bench/stress.py --budget) lowers it to spend a campaign on more programs.
# In CI a program past 2,000 executions is compared on its states and
# findings (z3 counts the first 1,000): z3 pays about 0.2 s a model, and one
# drawn program of 4,536 executions once took 14 of CI's minutes to count,
# to compare nothing more.
BUDGET = int(os.environ.get("HBCHECK_STRESS_BUDGET", ENUMERATION_LIMIT)) if STRESS else 2_000
# A drawn program whose check passes two minutes is not compared (in stress
# runs, HBCHECK_STRESS_SECONDS, bench/stress.py --seconds; none by default):
# one racy loop program of the rich generator had z3 enumerate 20,000 weak
# executions (14 of CI's minutes) only to step aside at the limit, and one of
# the registers generator held a stress campaign for an hour.
_STRESS_SECONDS = os.environ.get("HBCHECK_STRESS_SECONDS")
EXAMPLE_SECONDS = (float(_STRESS_SECONDS) if _STRESS_SECONDS else None) if STRESS else 120.0


def differential_config(**options: Any) -> ExploreConfig:
    """The explorer's bounds for a random differential example: BUDGET
    executions and EXAMPLE_SECONDS (a time bound makes the example Unknown,
    counted as not compared)."""
    return ExploreConfig(max_executions=BUDGET, time_budget=EXAMPLE_SECONDS, **options)


def drawn(strategy: Any, n: int) -> list[str]:
    """The distinct texts of ``n`` derandomized draws of ``strategy`` (the
    generated programs the Go tests build and validate)."""
    from hypothesis import HealthCheck, given, settings

    texts: list[str] = []

    @settings(max_examples=n, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(text: str) -> None:
        if text not in texts:
            texts.append(text)

    collect()
    return texts


def lit(name: str) -> Path:
    """A suite file by name, wherever its theme folder is."""
    found = list(LITMUS.rglob(name))
    assert len(found) == 1, f"{name}: {found}"
    return found[0]


GOKER = LITMUS / "goker"


def suite_files() -> list[Path]:
    """The hand-pinned suite (tests/test_suite.py): every shipped test but the
    GoKer kernels, which their own test and the baseline pin."""
    return sorted((p for p in LITMUS.rglob("*.lit") if not p.is_relative_to(GOKER)), key=lambda p: p.name)


def goker_files() -> list[Path]:
    return sorted(GOKER.glob("*.lit"))


def z3_seeded(text: str) -> None:
    """Seed z3 from the program: the enumeration takes one model per execution,
    and which one depends on z3's seed; a fixed seed showed the same model of
    each execution every time, so a model the machine could not run (registers
    of a goroutine main left at a loop's bound) hid from the random tests and
    met CI by luck. Per program, each run still repeats."""
    seed = zlib.crc32(text.encode())
    z3.set_param("smt.random_seed", seed, "sat.random_seed", seed)


def program(text: str, name: str = "test.lit") -> Program:
    return check(parse(dedent(text).lstrip(), name))


def located_error(body: str) -> tuple[int, int, str]:
    """The error checking ``litmus Bad`` with ``body`` raises: its line (of
    ``body``), column and message."""
    from hbcheck.errors import HbError

    with pytest.raises(HbError) as err:
        program(f"litmus Bad\n{body}\n")
    assert err.value.loc is not None
    return err.value.loc.line - 1, err.value.loc.col, err.value.message


class Driver:
    """Step the reference machine goroutine by goroutine, no explorer."""

    def __init__(self, text: str):
        self.machine = Machine(program(text))
        self.state: State = self.machine.initial()

    def step(self, g: str, alt: int | None = None) -> Driver:
        choice = Choice(g, alt)
        assert choice in self.machine.enabled(self.state), f"{choice} not enabled: {self.machine.enabled(self.state)}"
        self.state = self.machine.step(self.state, choice)
        return self

    def run(self, *gs: str) -> Driver:
        for g in gs:
            self.step(g)
        return self

    def regs(self, g: str) -> dict[str, int]:
        return self.state.gs[g].user_regs(self.state.vars)

    def chan(self, name: str) -> dict:
        return self.state.chans[name].snapshot()

    def enabled(self) -> list[Choice]:
        return self.machine.enabled(self.state)

    def events(self, kind: str | None = None):
        return [e for e in self.state.events if kind is None or e.kind == kind]


def both_engines(text: str) -> TestResult:
    """Both engines, which must agree (``check_program`` raises if not), and z3
    answered: under sc.cat too, where the explorer is exact on racy programs
    as well, so that their counts are compared (under go.cat z3's stand)."""
    from hbcheck.verdict.engines import check_program

    sc = check_program(program(text), ExploreConfig(), load_model("sc"), "both")
    assert sc.engines == ["explicit", "smt"], sc.notes.smt
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit", "smt"], r.notes.smt
    return r


Answer = tuple[set[tuple[int, ...]], int, int, set[tuple[str, str, str | None, int | None]]]


def answer(r: TestResult) -> Answer:
    """States, positive and negative counts, findings (kind, text, goroutine, line)."""
    return set(r.states), r.positive, r.negative, {(f.kind, f.text, f.g, f.line) for f in r.findings}


def run_text(text: str, model: str = "go", **config) -> TestResult:
    p = program(text)
    return judge(p, explore(p, ExploreConfig(**config)), load_model(model))


def run_file(path: Path, model: str = "go", engine: str = "explicit", **config) -> TestResult:
    """The explicit engine's answer by default; ``engine="both"`` is what ``hbcheck run`` answers."""
    from hbcheck.language import load
    from hbcheck.verdict.engines import check_program

    p = load(path)
    if engine != "explicit":
        return check_program(p, ExploreConfig(**config), load_model(model), engine)
    return judge(p, explore(p, ExploreConfig(**config)), load_model(model))


# A program the explorer's budget can cut short and z3 completes (tests/smt/test_smt.py, test_reports.py)
BOUNDED = """litmus Bounded
var x int
var c = make(chan int, 1)
go P0 { c <- 1; x = 1 }
go P1 { c <- 2 }
go P2 { r = <-c; s = <-c }
go P3 { select { case c <- 3: t = 1; default: t = 0 }; close(c) }
exists (P2:r == 2)
expect sometimes
expect panic "send on closed channel"
expect no deadlock
"""


needs_go = pytest.mark.skipif(shutil.which("go") is None, reason="needs the go toolchain (.ci/run installs golang-go)")


def emitted_build_failures(root: Path, texts: dict[str, str] | list[str]) -> list[tuple[str, str]]:
    """Each test emitted as Go into a folder of its own under ``root`` (named
    by the dict's keys, else d0, d1, ...): those whose program does not build."""
    from hbcheck.realgo.emit import emit_go

    items = texts.items() if isinstance(texts, dict) else ((f"d{i}", t) for i, t in enumerate(texts))
    for name, text in items:
        d = root / name
        d.mkdir(parents=True)
        (d / "main.go").write_text(emit_go(program(text, f"{name}.lit"), f"{name}.lit"))
    return go_build_failures(root)


def go_build_failures(root: Path) -> list[tuple[str, str]]:
    """Each folder of ``root`` holds one generated main.go: gofmt must list
    none of them, and the folders whose program does not build are returned."""
    fmt = subprocess.run(["gofmt", "-l", str(root)], capture_output=True, text=True)
    assert fmt.returncode == 0 and fmt.stdout == ""
    failed = []
    for d in sorted(root.iterdir()):
        done = subprocess.run(
            ["go", "build", "-o", str(d / "prog"), "main.go"],
            cwd=d,
            capture_output=True,
            text=True,
            env={**os.environ, "GO111MODULE": "off"},
        )
        if done.returncode != 0:
            failed.append((d.name, done.stderr))
    return failed


def validate_verdicts(tmp_path: Path, suite: list[Path], texts: list[str], title: str) -> list[str]:
    """``hbcheck validate --race`` on a theme's suite files and generated
    programs (their ``litmus TITLE`` renamed apart): each test's verdict."""
    import json

    from typer.testing import CliRunner

    from hbcheck.cli.app import app

    files = [str(p) for p in suite]
    for i, text in enumerate(texts):
        f = tmp_path / f"gen{i}.lit"
        f.write_text(text.replace(f"litmus {title}", f"litmus {title}{i}"))
        files.append(str(f))
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(app, ["validate", "--runs", "100", "--race", "--json", str(out), *files])
    assert result.exit_code == 0, result.stdout
    tests = json.loads(out.read_text())["tests"]
    assert len(tests) == len(files)
    return [t["verdict"] for t in tests]
