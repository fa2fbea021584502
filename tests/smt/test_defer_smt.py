"""z3 encodes ``defer``, ``recover()`` and ``rand.Intn(n)``: deferred
calls run last-in first-out at every return and when a panic unwinds their
frame, a panic with deferred calls pending ends the program only once they
ran (a step of its own), and each value of a choice is an execution. The
measure is agreement with the explorer: states, counts and findings."""

from __future__ import annotations

import pytest
from helpers import STRESS, answer, both_engines, differential_config, lit, program, suite_files, z3_seeded
from hypothesis import HealthCheck, event, given, settings
from programs import defer_text

from hbcheck.explore import ExploreConfig
from hbcheck.models import load_model
from hbcheck.verdict.engines import check_program
from hbcheck.verdict.outcome import TestResult


def _race(r: TestResult) -> bool:
    return any(f.kind == "race" for f in r.findings)


def test_deferred_calls_run_lifo_with_the_arguments_of_their_defer_and_a_loop_s():
    text = """
    litmus Lifo
    var x int
    func put(d int) { x = x * 10 + d }
    func f() {
        v := 1
        defer put(v)
        v = 2
        defer put(v)
        for i := 3; i < 5; i++ { defer put(i) }
        put(9)
    }
    go main { f(); r = x }
    exists (main:r == 94321)
    """
    assert answer(both_engines(text)) == ({(94321,)}, 1, 0, set())


def test_a_result_is_pinned_before_a_deferred_paren_less_call_changes_the_registers():
    text = """
    litmus Pinned
    func bump { r = r + 100 }
    func f() int {
        r = 1
        defer bump()
        return r
    }
    go main { s = f(); defer bump(); r = 5 }
    exists (main:s == 1 && main:r == 105)
    """
    assert answer(both_engines(text)) == ({(105, 1)}, 1, 0, set())  # main:r, main:s


def test_main_s_deferred_close_runs_before_the_program_ends():
    text = """
    litmus MainDefers
    var c = make(chan int, 1)
    var x int
    go main {
        defer close(c)
        c <- 1
    }
    go P { for v := range c { x = v } }
    exists (x == 1)
    """
    assert answer(both_engines(text)) == ({(0,), (1,)}, 2, 2, set())


def test_unlock_and_done_deferred_run_on_the_early_return_too():
    r = both_engines(lit("unlock-on-every-path.lit").read_text())
    assert answer(r) == ({(2,)}, 4, 0, set())


def test_deferred_calls_run_at_a_return_inside_a_loop_and_a_select():
    text = """
    litmus Early
    var c = make(chan int, 2)
    var x int
    var mu sync.Mutex
    func put(d int) { x = x * 10 + d }
    func f() int {
        mu.Lock()
        defer mu.Unlock()
        for i := 0; i < 3; i++ {
            defer put(i)
            v = <-c
            if v > 0 { return v }
        }
        return 9
    }
    go P { c <- 0; c <- 2 }
    go Q { r = f() }
    go R { mu.Lock(); s = x; mu.Unlock() }
    exists (Q:r == 2 && R:s == 10)
    """
    assert answer(both_engines(text)) == ({(2, 0), (2, 10)}, 1, 1, set())
    text = """
    litmus Sel
    var a = make(chan int, 1)
    var b = make(chan int)
    var wg sync.WaitGroup
    func pick() int {
        defer wg.Done()
        select {
        case v = <-a:
            return v
        case b <- 3:
            return 7
        }
    }
    func R { s = pick() }
    go P { a <- 1 }
    go Q { r = <-b }
    go main { wg.Add(1); go R(); wg.Wait() }
    exists (R:s == 1)
    """
    assert answer(both_engines(text)) == ({(1,), (7,)}, 2, 2, {("leak", "chan receive", "Q", 16)})


def test_a_deferred_wg_add_takes_its_delta_at_the_defer():
    text = """
    litmus Add
    var wg sync.WaitGroup
    var x int
    func f(n int) {
        defer wg.Add(n)
        x = n
        n = 5
    }
    go main { wg.Add(1); f(-1); wg.Wait(); f(-1); r = x }
    exists (main:r == -1)
    """
    got = answer(both_engines(text))
    assert got == (set(), 0, 0, {("panic", "sync: negative WaitGroup counter", "main", 5)})


def test_a_panic_unwinds_every_frame_s_deferred_calls_then_ends_the_program():
    text = """
    litmus Unwinds
    var done = make(chan int)
    var x int
    func inner() {
        defer put(2)
        panic("boom")
    }
    func put(d int) { x = x * 10 + d }
    func outer() {
        defer close(done)
        defer put(1)
        inner()
        put(5)
    }
    go P { outer() }
    go main { <-done; r = x }
    exists (main:r == 21)
    """
    # main returns after the close, before P's panic (a step of its own), or the panic comes first
    assert answer(both_engines(text)) == ({(21,)}, 1, 0, {("panic", "boom", "P", 6)})


def test_a_panicking_goroutine_s_deferred_call_races_until_the_panic_ends_the_program():
    text = """
    litmus Ending
    var x int
    var y int
    func d() { x = 1 }
    go P { defer d(); panic("p") }
    go Q { y = 1; s = x }
    exists (Q:s == 1)
    """
    r = both_engines(text)
    assert answer(r)[3] >= {("panic", "p", "P", 5)} and _race(r)


def test_a_panic_in_a_deferred_call_runs_the_older_ones_and_is_the_one_reported():
    text = """
    litmus Nested
    var c = make(chan int, 1)
    var x int
    func put(d int) { x = x * 10 + d }
    func f() {
        defer put(1)
        defer close(c)
        defer put(2)
        close(c)
    }
    go P { f() }
    go main { r = x }
    exists (main:r == 21)
    """
    r = both_engines(text)
    states, _p, _n, findings = answer(r)
    assert states == {(0,), (2,), (21,)} and ("panic", "close of closed channel", "P", 7) in findings
    text = """
    litmus DeferPanic
    var x int
    func put(d int) { x = d }
    func f() {
        defer panic("second")
        defer put(2)
        x = 1
    }
    go P { f() }
    go main { r = x }
    exists (main:r == 2)
    """
    states, _p, _n, findings = answer(both_engines(text))
    assert states == {(0,), (1,), (2,)} and ("panic", "second", "P", 5) in findings


def test_a_send_woken_by_a_close_panics_through_its_deferred_calls_never_by_its_own_close():
    # the deferred close comes after the send: it cannot be what woke it
    text = """
    litmus OwnClose
    var c = make(chan int)
    go P {
        defer close(c)
        c <- 1
    }
    go main { r = 1 }
    exists (main:r == 1)
    """
    assert answer(both_engines(text)) == ({(1,)}, 2, 0, {("leak", "chan send", "P", 5)})
    # nor a close that only the deferred Unlock lets Q reach: P waits for ever
    text = """
    litmus UnlockThenClose
    var c = make(chan int)
    var mu sync.Mutex
    func q() { mu.Lock(); close(c); mu.Unlock() }
    go P {
        mu.Lock()
        defer mu.Unlock()
        go q()
        c <- 1
    }
    """
    r = both_engines(text)
    assert not any(f.kind == "panic" for f in r.findings) and any(f.kind == "deadlock" for f in r.findings)
    text = """
    litmus SendClosed
    var c = make(chan int)
    var x int
    func put(d int) { x = d }
    func f() {
        defer put(3)
        c <- 1
    }
    go P { f() }
    go Q { close(c) }
    go main { r = x }
    exists (main:r == 3)
    """
    r = both_engines(text)
    assert set(r.states) == {(0,), (3,)} and ("panic", "send on closed channel", "P", 7) in answer(r)[3]


def test_a_fatal_error_runs_no_deferred_call():
    text = """
    litmus Fatal
    var mu sync.Mutex
    var x int
    func h() { x = 1 }
    func f() {
        defer h()
        mu.Unlock()
    }
    go main { f() }
    go Q { r = x }
    exists (x == 1)
    """
    assert answer(both_engines(text)) == (set(), 0, 0, {("panic", "sync: unlock of unlocked mutex", "main", 7)})


def test_once_do_whose_function_panics_is_done_when_a_deferred_call_below_runs():
    """doSlow's deferred store: Q's Do returns once P's f panicked, as P
    unwinds to its deferred note; with no deferred call below, main waits until the panic ends the program."""
    text = """
    litmus OncePanics
    var once sync.Once
    var x int
    var y int
    func boom() { x = x + 1; panic("boom") }
    func note(k int) { y = k }
    func try() { defer note(1); once.Do(boom) }
    go P { try() }
    go main { once.Do(boom); r = x }
    exists (main:r == 1)
    """
    r = both_engines(text)
    assert (1,) in r.states and ("panic", "boom", "P", 5) in answer(r)[3]
    lonely = text.replace("func try() { defer note(1); once.Do(boom) }", "func try() { once.Do(boom) }")
    r = both_engines(lonely)
    assert r.states == [] and ("panic", "boom", "P", 5) in answer(r)[3]


def test_rand_intn_is_one_execution_per_value():
    text = """
    litmus Choice
    var x int
    go P {
        r = rand.Intn(3) + 10
        x = r
    }
    go Q { s = x }
    exists (Q:s == 12)
    """
    r = both_engines(text)
    assert set(r.states) == {(0,), (10,), (11,), (12,)} and r.executions == 6 and _race(r)
    text = """
    litmus Dropped
    var x int
    go P {
        rand.Intn(2)
        if rand.Intn(2) == 0 { return }
        x = 1
    }
    go main { s = x }
    exists (main:s == 1)
    """
    r = both_engines(text)
    assert set(r.states) == {(0,), (1,)} and (r.positive, r.negative) == (2, 9)


def test_a_choice_stored_in_a_shared_variable_is_two_steps():
    text = """
    litmus Stored
    var x int
    go P { x = rand.Intn(2) }
    go main { r = 1 }
    exists (x == 1)
    """
    assert answer(both_engines(text)) == ({(0,), (1,)}, 1, 4, set())


# A close, send or select that panics on a closed channel and runs a deferred
# call is a step after the close that made it fail, though the machine records
# no event for it: main reads x, then closes; the deferred put(1) comes after
# P's panic, so after main's close, and main cannot read its 1 in any
# interleaving (sc.cat). Under go.cat the racy read may see it (a weak
# execution: no happens-before orders them). z3 once let the deferred call
# float before the close under every model (a z3 execution the machine could
# not replay), and let a send with room in the buffer, or a select with a
# case that could run, park and be woken by the close (counts above the
# explorer's under sc.cat).
_UNWOUND = {
    # P's close fails (main's came first), then put(1) runs: the cause of a
    # stress run's "a z3 execution replayed on the machine" on defer_text's
    # workers (deferred put(k) and close(c), each closing c in turn)
    "close": ("defer put(1); close(c)", ({(0,)}, 0, 3)),
    "send": ("defer put(1); c <- 1", ({(0,), (1,)}, 1, 5)),
    "select-default": ("defer put(1); select { case c <- 1: default: }", ({(0,), (1,)}, 1, 5)),
    "select": ("defer put(1); select { case c <- 1: case <-d: }", ({(0,), (1,)}, 1, 5)),
}


@pytest.mark.parametrize("name", ["sc", "go", "go-coherent", "go-nocap"])
@pytest.mark.parametrize("op", sorted(_UNWOUND))
def test_an_operation_that_panics_on_a_closed_channel_then_unwinds_is_a_step_after_the_close(op, name):
    body, (states, positive, negative) = _UNWOUND[op]
    text = f"""
    litmus Unwound
    var c = make(chan int, 1)
    var d = make(chan int)
    var x int
    func put(v int) {{ x = v }}
    go P {{ {body} }}
    go main {{ r = x; close(c) }}
    exists (main:r == 1)
    """
    r = check_program(program(text), ExploreConfig(), load_model(name), "both")
    assert r.engines == ["explicit", "smt"], r.notes.smt
    if name == "sc":
        assert (set(r.states), r.positive, r.negative) == (states, positive, negative)
    else:  # and the weak execution where main reads the deferred call's 1
        assert set(r.states) == {(0,), (1,)} and r.positive == positive + 1 and r.negative == negative


def test_a_send_woken_by_a_close_after_a_receive_may_have_taken_it_steps_aside():
    """P parks behind Q's value; main's receive takes Q's and P's moves into
    the buffer, so P cannot be woken by the close that follows. Which parked
    sender a receive takes is the wait queue's (not encoded): z3 once counted
    P woken after the receive (P=5 N=11 under sc.cat, the explorer's 4 and 9)
    and now steps aside where a woken sender that unwinds could have met
    another operation on its channel first."""
    text = """
    litmus Queued
    var c = make(chan int, 1)
    var x int
    func put(v int) { x = v }
    go Q { c <- 0 }
    go P { defer put(1); c <- 1 }
    go main { r = <-c; close(c); s = x }
    exists (main:s == 1)
    """
    why = (
        "a send (line 6) woken by a close after another operation on its channel, "
        "its panic running deferred calls, is not encoded"
    )
    for name in ("sc", "go"):
        r = check_program(program(text), ExploreConfig(), load_model(name), "both")
        assert (r.engines, r.notes.smt) == (["explicit"], why)
        assert (set(r.states), r.positive, r.negative) == ({(0,), (1,)}, 4, 9)


def test_a_recovered_panic_returns_zero_and_the_caller_goes_on():
    text = """
    litmus GoesOn
    var x int
    func h() { if recover() != nil { x = x + 10 } }
    func f(v int) int {
        defer h()
        if v == 2 { panic("two") }
        x = x + v
        return v
    }
    go main { r = f(1); s = f(2); t = f(3) }
    exists (x == 14 && main:r == 1 && main:s == 0 && main:t == 3)
    """
    assert answer(both_engines(text)) == ({(1, 0, 3, 14)}, 1, 0, set())  # main:r, s, t; x


def test_recover_is_nil_one_call_deeper_and_stops_the_panic_when_the_deferred_function_calls_it():
    text = """
    litmus Deeper
    var x int
    func check() { if recover() != nil { x = 1 } }
    func indirect() { check() }
    func direct() { check(); if recover() != nil { x = x + 2 } }
    go main {
        defer direct()
        defer indirect()
        panic("boom")
    }
    go P { x = 5 }
    exists (x == 2)
    """
    assert answer(both_engines(text)) == ({(2,), (5,), (7,)}, 2, 3, {("race", "race on x", "main", 5)})


def test_a_call_with_its_own_defer_inside_a_deferred_call_returns_normally():
    """The panic that runs ``d`` is not ``f``'s: ``f`` returns and ``d`` goes
    on to block. z3 took ``f``'s normal return for the panic's (its deferred
    call saw the goroutine's panic) and skipped the receive: a panic where
    the explorer found the deadlock."""
    text = """
    litmus Nested
    var x int
    var c = make(chan int)
    func h() { x = x + 10 }
    func f() { defer h(); x = x + 1 }
    func d() { f(); <-c }
    go main {
        defer d()
        panic("boom")
    }
    """
    assert answer(both_engines(text)) == (
        set(),
        0,
        0,
        {("deadlock", "all goroutines are asleep - deadlock!", None, None)},
    )


def test_an_older_deferred_call_recovers_the_newer_panic_and_a_callee_s_own_recovery_leaves_the_older():
    newer = """
    litmus Newer
    var x int
    func rec() { if recover() != nil { x = x + 1 } }
    func bad() { panic("inner") }
    go main {
        defer rec()
        defer bad()
        panic("outer")
    }
    go P { r = x }
    exists (x == 1)
    """
    assert answer(both_engines(newer)) == ({(1,)}, 3, 0, {("race", "race on x", "main", 3)})
    inner = """
    litmus Inner
    var x int
    func rec() { if recover() != nil { x = x + 1 } }
    func g() { defer rec(); panic("inner") }
    func d() { g(); x = x + 100 }
    go main {
        defer d()
        panic("outer")
    }
    """
    assert answer(both_engines(inner)) == (set(), 0, 0, {("panic", "outer", "main", 8)})


def test_a_result_set_before_a_deferred_panic_survives_its_recovery():
    text = """
    litmus Kept
    var x int
    func rec() { if recover() != nil { x = x + 1 } }
    func bad() { panic("late") }
    func f() int {
        defer rec()
        defer bad()
        return 7
    }
    func g() int {
        defer rec()
        panic("early")
        return 9
    }
    go main { r = f(); s = g() }
    exists (main:r == 7 && main:s == 0 && x == 2)
    """
    assert answer(both_engines(text)) == ({(7, 0, 2)}, 1, 0, set())


def test_recover_deferred_itself_or_where_nothing_panics_stops_nothing():
    itself = """
    litmus Itself
    go main {
        defer recover()
        panic("p")
    }
    """
    assert answer(both_engines(itself)) == (set(), 0, 0, {("panic", "p", "main", 4)})
    unreached = """
    litmus Unreached
    var x int
    func h() { if recover() != nil { x = 1 } }
    go P { defer h(); x = 2 }
    exists (x == 2)
    """
    assert answer(both_engines(unreached)) == ({(2,)}, 1, 0, set())


@pytest.mark.parametrize("path", [p for p in suite_files() if p.parent.name == "defer"], ids=lambda p: p.name)
def test_the_defer_suite_is_answered_by_z3_as_by_the_explorer(path):
    text = path.read_text()
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit", "smt"], r.notes.smt


@settings(
    max_examples=STRESS or 50, derandomize=not STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(defer_text())
def test_engines_agree_on_deferred_calls_panics_and_choices(text):
    """defer_text's workers: deferred Done, Unlock, calls with arguments,
    close (twice: a panic in a deferred call), early returns, panics, sends,
    closes, handlers that recover and rand.Intn. Every program is compared."""
    z3_seeded(text)
    r = check_program(program(text), differential_config(), load_model("go"), "both")
    compared = r.engines == ["explicit", "smt"] and not r.bounds
    event("compared" if compared else f"not compared: {r.notes.smt}")
    # a time budget may stop either engine; nothing else makes z3 step aside
    assert compared or "not encoded" not in (r.notes.smt or ""), r.notes.smt
