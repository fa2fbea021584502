"""Leaks as goleak sees them: after ``main`` returns, the other goroutines go
on until they settle; a goroutine is leaked when some such continuation
leaves it blocked for ever, not when it merely had not finished yet."""

from __future__ import annotations

import pytest
from helpers import lit, program, run_file, run_text

from hbcheck.explore import ExploreConfig, explore
from hbcheck.explore.execution import CUT, Finding

REPRODUCER = """
litmus NoLeak+partner
var c = make(chan int)
func recv { <-c }
func send { c <- 1 }
go main {
    go recv()
    go send()
}
expect no leak
"""


def _leaks(r) -> set[Finding]:
    return {f for f in r.findings if f.kind == "leak"}


def _statuses(r) -> list[tuple[str, str]]:
    return [(e.status, e.reason) for e in r.expectations]


def test_partner_still_running_is_no_leak():
    """The issue's reproducer: recv and send are parked or runnable when main
    returns, and meet a moment later."""
    r = run_text(REPRODUCER)
    assert r.exact and set(r.findings) == set()
    assert _statuses(r) == [("pass", "no execution has leak")]


NOT_LEAKED = {
    # a lock held by a goroutine that unlocks it later
    "mutex": """
        litmus NoLeak+mutex
        var mu sync.Mutex
        func h {
            mu.Lock()
            x = 1
            mu.Unlock()
        }
        go main {
            go h()
            go h()
        }
        expect no leak
    """,
    # a Wait whose Done comes from a goroutine still running
    "waitgroup": """
        litmus NoLeak+wait
        var wg sync.WaitGroup
        func w { wg.Wait() }
        func d { wg.Done() }
        go main {
            wg.Add(1)
            go w()
            go d()
        }
        expect no leak
    """,
    # a buffered channel drained later
    "buffered": """
        litmus NoLeak+buffered
        var c = make(chan int, 1)
        func p {
            c <- 1
            c <- 2
        }
        func q {
            r = <-c
            s = <-c
        }
        go main {
            go p()
            go q()
        }
        expect no leak
    """,
}


@pytest.mark.parametrize("name", sorted(NOT_LEAKED))
def test_blocked_only_for_a_moment_is_no_leak(name):
    r = run_text(NOT_LEAKED[name])
    assert r.exact and _leaks(r) == set()
    assert _statuses(r) == [("pass", "no execution has leak")]


def test_stranded_goroutine_is_leaked_where_it_waits():
    """recv waits for a value nobody left can send: leaked in every execution,
    at its receive; the pair on d finishes and is not reported."""
    r = run_text("""
        litmus Leak+stranded
        var c = make(chan int)
        var d = make(chan int)
        func recv {
            x = 1
            <-c
        }
        func a { d <- 1 }
        func b { <-d }
        go main {
            go recv()
            go a()
            go b()
        }
        expect leak
    """)
    leak = Finding("leak", "chan receive", "recv", 6)
    assert r.exact and set(r.findings) == {leak}
    assert r.findings[leak] == r.executions
    assert _statuses(r) == [("pass", f"leak in {r.executions} execution(s)")]


def test_goroutine_started_after_main_returned_can_leak():
    """A goroutine spawned in the continuation is seen by goleak too."""
    r = run_text("""
        litmus Leak+late
        var c = make(chan int)
        func b { c <- 1 }
        func a { go b() }
        go main {
            go a()
        }
        expect leak
    """)
    assert r.exact and set(r.findings) == {Finding("leak", "chan send", "b", 3)}


def test_grpc_fixed_dial_does_not_leak():
    """The shipped fix: the watcher, still running when main returns, closes
    the channel the dialer's waiter is parked on."""
    r = run_file(lit("no-leak-dial.lit"))
    assert r.exact and set(r.findings) == set()
    assert _statuses(r) == [("pass", "no execution has leak"), ("pass", "no execution has deadlock")]
    both = run_file(lit("no-leak-dial.lit"), engine="both")
    assert both.exact and [e.status for e in both.expectations] == ["pass", "pass"]


def test_grpc_buggy_dial_leaks_the_waiter():
    """The bug the fix removed: the watcher gives up without closing ready."""
    r = run_text("""
        litmus Leak+dial
        var ready = make(chan int)
        var cancel = make(chan int)
        func waiter {
            select {
            case <-ready:
            case <-cancel:
            }
        }
        func watcher { x = 1 }
        func dialer {
            go waiter()
            go watcher()
        }
        go main { go dialer() }
        expect no leak
    """)
    assert r.exact and set(r.findings) == {Finding("leak", "select", "waiter", 5)}
    assert [e.status for e in r.expectations] == ["fail"]


def test_shipped_reproducer_has_no_leak():
    r = run_file(lit("no-leak-partner.lit"))
    assert r.exact and set(r.findings) == set()
    assert _statuses(r) == [("pass", "no execution has leak"), ("pass", "no execution has deadlock")]


def test_a_goroutine_stranded_in_only_one_continuation_is_leaked():
    """One value for two receivers: whichever s does not serve is stranded, so
    where main returns first both are leaked (in different continuations);
    where s already served a, only b can be."""
    p = program("""
        litmus Leak+one-of-two
        var c = make(chan int)
        func a { <-c }
        func b { <-c }
        func s { c <- 1 }
        go main {
            go a()
            go b()
            go s()
        }
        expect leak
    """)
    la, lb = Finding("leak", "chan receive", "a", 3), Finding("leak", "chan receive", "b", 4)
    executions = explore(p).executions
    first = [x for x in executions if {g for g, _alt in x.schedule} == {"main"}]
    assert len(first) == 1 and set(first[0].findings) == {la, lb}
    served_a = [x for x in executions if _received(x, "a") and not _received(x, "b")]
    assert served_a and all(set(x.findings) == {lb} for x in served_a)
    assert {f for x in executions for f in x.findings} == {la, lb}


def _received(x, g: str) -> bool:
    return any(e.g == g and e.kind == "recv" and e.phase == "end" for e in x.events)


def test_a_continuation_that_panics_leaks_nothing():
    """boom panics whenever it runs, before or after main returns: a
    continuation that panics kills the process before goleak looks, so stuck
    is never reported; the panic is a finding of the executions where it
    comes before main's return."""
    r = run_text("""
        litmus Panic+after-main
        var c = make(chan int)
        func stuck { <-c }
        func boom { panic("boom") }
        go main {
            go stuck()
            go boom()
        }
        expect no leak
        expect panic
    """)
    assert r.exact and set(r.findings) == {Finding("panic", "boom", "boom", 4)}
    assert [e.status for e in r.expectations] == ["pass", "pass"]


def test_a_continuation_cut_by_unrolling_leaves_the_leak_answer_open():
    """w blocks for ever after a loop of four turns: with unrolling 2 no
    continuation gets that far, so the executions ending at main's return are
    incomplete, and neither "no leak" nor "always leak" is decided (an
    execution where the bound hid the leak is not one without it)."""
    text = """
        litmus Leak+after-loop
        var c = make(chan int)
        func w {
            k = 0
            for k < 4 {
                k = k + 1
            }
            <-c
        }
        go main { go w() }
        expect no leak
        expect always leak
    """
    returned = [x for x in explore(program(text), ExploreConfig(unroll=2)).executions if _main_returned(x)]
    assert returned and all((x.end, x.cut_reason, x.findings) == (CUT, "unroll 2", ()) for x in returned)
    r = run_text(text, unroll=2)
    assert not r.exact and r.bounds == ["unroll 2"]
    assert _statuses(r) == [
        ("unknown", "no leak found, but a bound was hit (unroll 2)"),
        ("unknown", "every complete execution has leak, but a bound was hit (unroll 2)"),
    ]
    exact = run_text(text)
    assert exact.exact and set(exact.findings) == {Finding("leak", "chan receive", "w", 8)}
    assert [e.status for e in exact.expectations] == ["fail", "pass"]


def _main_returned(x) -> bool:
    return any(e.g == "main" and e.kind == "exit" for e in x.events)


def test_a_continuation_cut_by_the_step_limit_is_incomplete():
    """main returns after two steps; the worker's three writes then pass the
    limit of three steps: that execution's leak answer is cut by it."""
    text = """
        litmus Leak+steps
        var x int
        func w {
            x = 1
            x = 2
            x = 3
        }
        go main { go w() }
        expect no leak
    """
    executions = explore(program(text), ExploreConfig(max_steps=3)).executions
    early = [x for x in executions if _main_returned(x) and len(x.schedule) == 2]
    assert len(early) == 1 and (early[0].end, early[0].cut_reason, early[0].findings) == (CUT, "max-steps 3", ())
    r = run_text(text, max_steps=3)
    assert _statuses(r) == [("unknown", "no leak found, but a bound was hit (max-steps 3)")]
    assert run_text(text, max_steps=5).exact  # go, the three writes and main's return
