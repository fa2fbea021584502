"""Verdicts: herd's counts and layout, expectations, and soundness under bounds."""

from __future__ import annotations

import dataclasses
from textwrap import dedent

from helpers import lit, run_text
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.report.herd import herd_block

SLOW_COUNT = """
    litmus Slow
    var c = make(chan int, 1)
    go P0 {
        for n < 12 {
            n = n + 1
        }
        c <- n
    }
    go P1 { r = <-c }
    exists (P1:r == 12)
"""


def test_loop_bound_makes_never_unknown_not_wrong():
    r = run_text(SLOW_COUNT + "expect never\n")
    assert r.positive == 0 and r.bounds == ["unroll 8"]
    assert r.observation == "Unknown"
    assert [e.status for e in r.expectations] == ["unknown"]
    assert "Loop No" in herd_block(r)


def test_a_larger_bound_makes_the_same_test_exact():
    r = run_text(SLOW_COUNT + "expect always\n", unroll=12)
    assert r.exact and r.observation == "Always" and r.expectations[0].status == "pass"


def test_sometimes_stays_exact_under_a_bound():
    r = run_text("""
        litmus Partial
        var c = make(chan int, 1)
        var d = make(chan int, 1)
        go P0 { c <- 1 }
        go P1 { select { case got = <-c: default: } }
        go P2 { select { case v = <-d: default: }; for v == 1 { } }
        go P3 { d <- 1 }
        exists (P1:got == 1)
        expect sometimes
        expect no deadlock
    """)
    assert r.bounds == ["unroll 8"] and r.incomplete > 0
    assert r.positive > 0 and r.negative > 0
    assert r.observation == "Sometimes"
    assert [e.status for e in r.expectations] == ["pass", "unknown"]


def test_execution_and_step_budgets_are_bounds_too():
    r = run_text((lit("limit.lit")).read_text(), max_executions=5)
    assert r.bounds == ["max-executions 5"] and r.observation == "Unknown"
    assert r.expectations[2].status == "unknown"  # expect no deadlock
    r = run_text(
        """
        litmus Spin
        var c = make(chan int, 1)
        go P { for v := range c { c <- v } }
        go Q { c <- 1 }
        expect no deadlock
    """,
        max_steps=50,
    )
    assert r.bounds == ["max-steps 50"] and r.expectations[0].status == "unknown"


def test_always_and_no_findings():
    r = run_text("""
        litmus Mixed
        var c = make(chan int)
        go P0 { close(c) }
        go P1 { select { case c <- 1: default: } }
        expect panic "send on closed channel"
        expect no deadlock
        expect always panic
        expect no panic "close of closed channel"
    """)
    assert [e.status for e in r.expectations] == ["pass", "pass", "fail", "pass"]
    assert r.expectations[2].reason == "1 execution(s) without panic"


def test_a_race_makes_never_unknown_under_go_but_not_under_sc():
    text = """
        litmus Racy
        var x int
        var y int
        go P0 { x = 1; y = 1 }
        go P1 { r1 = y; r2 = x }
        exists (P1:r1 == 1 && P1:r2 == 0)
        expect never
        expect race
        expect no deadlock
    """
    r = run_text(text)
    assert r.positive == 0 and r.racy_weak
    assert r.observation == "Unknown" and r.possible == ("Never", "Sometimes")
    block = herd_block(r)
    assert "\nNo\n" in block and "Loop" not in block  # herd's Loop is for bounds only
    assert "Flag data-race\n" in block and "Observation Racy Unknown 0 3\n" in block
    assert [e.status for e in r.expectations] == ["unknown", "pass", "unknown"]
    races = sorted(f.describe() for f in r.findings if f.kind == "race")
    assert races == [
        "race on x: P0 line 4 (write) vs P1 line 5 (read)",
        "race on y: P0 line 4 (write) vs P1 line 5 (read)",
    ]
    r = run_text(text, model="sc")
    assert not r.racy_weak and r.observation == "Never"
    assert [e.status for e in r.expectations] == ["pass", "pass", "pass"]


def test_herd_block_layout_by_hand():
    r = run_text((lit("select-default.lit")).read_text())
    r = dataclasses.replace(r, seconds=0.0)
    assert herd_block(r) == dedent("""\
        Test Select+default Allowed
        States 2
        P1:got=0;
        P1:got=1;
        Ok
        Witnesses
        Positive: 1 Negative: 1
        Condition exists (P1:got == 0)
        Observation Select+default Sometimes 1 1
        Time Select+default 0.00

    """)


def test_not_exists_swaps_witnesses_and_flags_are_listed():
    r = run_text("""
        litmus NotExists
        var c = make(chan int, 1)
        go P0 { c <- 1 }
        go P1 { select { case r = <-c: default: panic("empty") } }
        ~exists (P1:r == 0)
        expect never
        expect panic "empty"
    """)
    r = dataclasses.replace(r, seconds=0.0)
    assert herd_block(r) == dedent("""\
        Test NotExists Forbidden
        States 1
        P1:r=1;
        Ok
        Witnesses
        Positive: 1 Negative: 0
        Flag panic
        Condition ~exists (P1:r == 0)
        Observation NotExists Never 0 1
        Time NotExists 0.00

    """)


def test_exit_codes_and_quiet(tmp_path):
    good = lit("mutex.lit")
    bad = tmp_path / "wrong.lit"
    bad.write_text("litmus Wrong\ngo P { r = 1 }\nexists (P:r == 1)\nexpect never\n")
    runner = CliRunner()
    ok = runner.invoke(app, ["run", str(good)])
    assert ok.exit_code == 0 and "Test Mutex+counter Required" in ok.stdout
    failed = runner.invoke(app, ["run", "--quiet", str(good), str(bad)])
    assert failed.exit_code == 1
    assert "Test Mutex" not in failed.stdout and "FAIL" in failed.stdout
    assert "Total: 2 tests, 1 passed, 1 failed" in failed.stdout


def test_unknown_fails_unless_tolerated(tmp_path):
    path = tmp_path / "slow.lit"
    path.write_text(dedent(SLOW_COUNT) + "expect never\n")
    runner = CliRunner()
    strict = runner.invoke(app, ["run", str(path)])
    assert strict.exit_code == 1 and "unroll 8 hit" in strict.stderr
    assert runner.invoke(app, ["run", "--allow-unknown", str(path)]).exit_code == 0
    assert runner.invoke(app, ["run", "--unroll", "12", str(path)]).exit_code == 1  # now exact: Always


def test_folder_arguments_recurse(tmp_path):
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "one.lit").write_text((lit("cas.lit")).read_text())
    result = CliRunner().invoke(app, ["run", "--quiet", str(tmp_path)])
    assert result.exit_code == 0 and "CAS+winner" in result.stdout
