"""A test's time and memory budget covers every stage that checks it, and
Ctrl-C ends any command at once with exit 130 and no traceback.

Each stage here would run for minutes unbudgeted (z3 alone spends its 60 s
solver timeout on a query of SLOW and more after it), so an answer within a
few seconds shows the budget was obeyed; bench/budget.py measures how close
to the budget the runs end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import z3
from helpers import lit, program

from hbcheck.budget import Budget, resident_mib
from hbcheck.cli import entry
from hbcheck.errors import Interrupted
from hbcheck.explore import ExploreConfig, explore
from hbcheck.language import load
from hbcheck.models import load_model
from hbcheck.smt.interrupt import check_within
from hbcheck.verdict import judge
from hbcheck.verdict.engines import check_program

# racy loops over three variables: tens of thousands of executions, and z3's queries take minutes
SLOW = "litmus Slow\nvar x int\nvar y int\nvar z int\n" + "".join(
    f"go P{g} {{ for i := 0; i < 4; i++ {{ x = x + 1; y = x + y; r = z; z = y }} }}\n" for g in range(4)
)


def _slow(tmp_path: Path, name: str = "slow.lit") -> Path:
    path = tmp_path / name
    path.write_text(SLOW + "exists (x == 7 && y == 3)\n")
    return path


@pytest.mark.parametrize("engine", ["smt", "both"])
def test_a_time_budget_stops_z3_too(tmp_path, engine):
    # --time-budget once stopped only the explorer: judging and z3 ran on (5 s took 162 s)
    start = time.monotonic()
    r = check_program(load(_slow(tmp_path)), ExploreConfig(time_budget=2), load_model("go"), engine)
    assert time.monotonic() - start < 10
    assert r.observation == "Unknown" and r.notes.smt == "time-budget 2s hit"
    assert r.bounds == ([] if engine == "smt" else ["time-budget 2s"])


def test_a_time_budget_stops_the_leak_search_after_main_returns():
    """Goroutines that start goroutines for ever: once main returns, the search
    for leaks (what the others do next) ran past any --time-budget."""
    p = program("litmus Forever\nvar x int\nfunc f { go f() }\ngo main { go f() }\n")
    start = time.monotonic()
    found = explore(p, ExploreConfig(time_budget=2))
    assert time.monotonic() - start < 60
    assert found.bounds == ["time-budget 2s"]
    assert {e.cut_reason for e in found.executions} == {"time-budget 2s"}


def test_a_time_budget_stops_judging(tmp_path):
    p = load(_slow(tmp_path))
    found = explore(p, ExploreConfig(max_executions=60))
    spent = Budget(seconds=0.0)
    r = judge(p, found, load_model("go"), budget=spent)
    assert (r.bounds, r.executions) == (["max-executions 60", "time-budget 0s"], 0)
    assert r.observation == "Unknown"
    whole = judge(p, found, load_model("go"), budget=Budget(seconds=600))
    assert (whole.bounds, whole.executions) == (["max-executions 60"], 60)


def test_a_memory_limit_stops_the_explorer_and_z3(tmp_path):
    p = load(_slow(tmp_path))
    limit = int(resident_mib()) + 60  # the search holds about 30 MB more each second
    r = check_program(p, ExploreConfig(memory_limit=limit), load_model("go"), "explicit")
    assert r.bounds == [f"memory-limit {limit} MiB"] and r.observation == "Unknown"
    # a z3 query is interrupted once the process is past the limit (its own timeout is a minute)
    x = [z3.BitVec(f"x{i}", 64) for i in range(4)]
    s = z3.Solver()
    s.set("ctrl_c", False)
    s.set("timeout", 60_000)
    s.add(x[0] * x[1] * x[2] == 0x123456789ABCDEF1, x[3] * x[1] == x[0] + x[2] * x[3], x[0] > 1, x[1] > 1, x[2] > 1)
    start = time.monotonic()
    assert check_within(s, Budget(memory_mib=1)) == z3.unknown
    assert time.monotonic() - start < 10


def _interrupted(args: list[str], after: float) -> subprocess.CompletedProcess:
    """Run hbcheck, then Ctrl-C as a terminal sends it: to the whole process group."""
    p = subprocess.Popen(
        [sys.executable, "-m", "hbcheck.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(after)
    os.killpg(p.pid, signal.SIGINT)
    try:
        out, err = p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        raise AssertionError(f"{args} ignored Ctrl-C after {after} s:\n{out}\n{err}") from None
    return subprocess.CompletedProcess(p.args, p.returncode, out, err)


def _left_running(marker: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if marker in line]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_in_z3_or_in_workers_ends_the_run_with_the_finished_tests(tmp_path, jobs):
    # z3 swallowed Ctrl-C (the test became Unknown and the run went on); -j workers printed tracebacks
    first = tmp_path / "a-first.lit"
    first.write_text(lit("fifo.lit").read_text())
    files = [str(first), str(_slow(tmp_path, "b-slow.lit")), str(_slow(tmp_path, "c-slow.lit"))]
    done = _interrupted(["run", "-j", jobs, "--engine", "smt" if jobs == "1" else "both", *files], after=6)
    assert done.returncode == 130, done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr, done.stderr
    assert "Interrupted: 1 of 3 files checked." in done.stderr
    assert "FIFO+cap3" in done.stdout and "Total: 1 test, 1 passed, 0 failed" in done.stdout
    time.sleep(0.5)
    assert _left_running(str(tmp_path)) == []  # the workers were ended, not left to finish


def test_after_ctrl_c_an_object_failing_in_del_prints_nothing(capsys, monkeypatch):
    """Ctrl-C raised inside z3's AstRef.__init__ left a term without a context,
    whose __del__ then printed a traceback after "Interrupted." (seen in CI)."""

    class HalfBuilt:
        def __del__(self):
            raise AttributeError("'BoolRef' object has no attribute 'ctx'")

    monkeypatch.setattr(sys, "unraisablehook", entry._unraisable)
    monkeypatch.setattr(Interrupted, "seen", True)
    HalfBuilt()  # dropped at once
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(Interrupted, "seen", False)  # without Ctrl-C, Python's own report
    HalfBuilt()
    assert "AttributeError: 'BoolRef' object has no attribute 'ctx'" in capsys.readouterr().err


def test_ctrl_c_ends_any_command_and_the_start_up(tmp_path):
    # during the start-up, raised inside z3's import, it was swallowed (a bare except): the run went on
    runs = [(["trace", str(_slow(tmp_path)), "--race"], 4.0)]
    runs += [(["run", str(_slow(tmp_path))], after) for after in (0.2, 0.25, 0.3, 0.35, 0.4, 0.5)]
    for args, after in runs:
        done = _interrupted(args, after)
        assert (done.returncode, done.stderr) == (130, "Interrupted.\n")
