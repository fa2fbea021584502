"""``defer`` and ``recover()`` on the machine: deferred calls run LIFO when
their frame returns or a panic unwinds it, with arguments evaluated at the
``defer``; ``recover()`` called directly by a deferred function stops an
ordinary panic, never one of Go's fatal errors (runtime/panic.go)."""

from __future__ import annotations

from helpers import program, run_text

from hbcheck.explore import ExploreConfig, explore
from hbcheck.machine.events import RECOVER


def _answer(text: str) -> tuple[set[tuple[int, ...]], int, set[tuple[str, str, int | None]]]:
    res = run_text(text)
    return set(res.states), res.executions, {(f.kind, f.text, f.line) for f in res.findings}


def _events(text: str, kind: str) -> list[tuple[str, str | None, int, int | None]]:
    p = program(text)
    ex = explore(p, ExploreConfig())
    return sorted({(e.g, e.text, e.line, e.value) for x in ex.executions for e in x.events if e.kind == kind})


def test_deferred_calls_run_last_in_first_out_at_return_with_arguments_of_the_defer():
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
    assert _answer(text) == ({(94321,)}, 1, set())


def test_a_return_value_is_taken_before_the_deferred_calls_change_registers():
    text = """
    litmus Pinned
    func bump { r = r + 100 }
    func f() int {
        r = 1
        defer bump()
        return r
    }
    go main { s = f() }
    exists (main:s == 1)
    """
    assert _answer(text) == ({(1,)}, 1, set())


def test_defer_unlock_and_done_on_every_path_out_of_a_worker():
    text = """
    litmus Workers
    var x int
    var mu sync.Mutex
    var wg sync.WaitGroup
    func work(id int) {
        defer wg.Done()
        mu.Lock()
        defer mu.Unlock()
        if id == 1 { return }
        x = x + id
    }
    go main {
        wg.Add(2)
        go work(1)
        go work(2)
        wg.Wait()
        mu.Lock()
        r = x
        mu.Unlock()
    }
    exists (main:r == 2)
    expect no deadlock
    expect no race
    """
    states, executions, findings = _answer(text)
    # the two workers' turns at the mutex, times the two orders of their Done
    assert states == {(2,)} and executions == 4 and findings == set()


def test_main_s_deferred_calls_run_before_the_program_ends():
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
    # main's return after close lets P see both: the value, then the close
    states, _, findings = _answer(text)
    assert set(states) == {(0,), (1,)} and findings == set()


def test_a_recovered_panic_is_no_finding_and_the_function_returns_its_zero_result():
    text = """
    litmus Recovered
    var c = make(chan int)
    var x int
    func handler() {
        if recover() != nil { x = 1 }
    }
    func shut() int {
        defer handler()
        close(c)
        close(c)
        return 7
    }
    go main { r = shut(); s = x }
    exists (main:r == 0 && main:s == 1)
    """
    assert _answer(text) == ({(0, 1)}, 1, set())
    # the recover() at line 5 stopped the panic of line 10
    assert _events(text, RECOVER) == [("main", "close of closed channel", 5, 10)]


def test_recover_outside_a_panic_and_recover_not_called_by_the_deferred_function_return_nil():
    text = """
    litmus NotDirect
    var x int
    func check() {
        if recover() != nil { x = 1 }
    }
    func indirect() { check() }
    func f() {
        defer indirect()
        defer check()
        recover()
    }
    go main { f(); panicky() }
    func panicky() {
        defer indirect()
        panic("boom")
    }
    exists (x == 1)
    """
    # check() at f's return sees no panic; indirect() calls check(), whose
    # recover() is one frame too deep, so "boom" ends the program
    states, executions, findings = _answer(text)
    assert findings == {("panic", "boom", 15)} and executions == 1 and not states


def test_a_panic_runs_the_deferred_calls_of_every_frame_before_it_ends_the_program():
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
    """
    # P unwinds inner then outer: x = 21, then close(done); main may read x
    # before P's panic ends the program, or the panic comes first
    res = run_text(text)
    assert {(f.kind, f.text, f.line, f.g) for f in res.findings} == {("panic", "boom", 6, "P")}
    p = program(text)
    finals = {x.final.regs.get("main", {}).get("r") for x in explore(p, ExploreConfig()).executions}
    assert finals <= {21, None} and 21 in finals


def test_a_fatal_error_runs_no_deferred_call_and_cannot_be_recovered():
    text = """
    litmus Fatal
    var mu sync.Mutex
    var x int
    func handler() {
        if recover() != nil { x = 1 }
    }
    func f() {
        defer handler()
        mu.Unlock()
    }
    go main { f() }
    exists (x == 1)
    """
    states, executions, findings = _answer(text)
    assert findings == {("panic", "sync: unlock of unlocked mutex", 9)} and executions == 1 and not states
    assert _events(text, RECOVER) == []


def test_a_send_on_a_closed_channel_that_parked_first_is_recovered_when_the_close_wakes_it():
    text = """
    litmus WokenPanic
    var c = make(chan int)
    var x int
    func handler() {
        if recover() != nil { x = 1 }
    }
    func send() {
        defer handler()
        c <- 1
    }
    go P { send(); r = 5 }
    go main { close(c) }
    """
    p = program(text)
    ex = explore(p, ExploreConfig())
    assert not any(x.findings for x in ex.executions)
    # main's close may end the program first; where P runs on, it recovered
    assert {x.final.regs.get("P", {}).get("r") for x in ex.executions} >= {5}


def test_a_panic_recovered_inside_a_deferred_call_leaves_the_older_panic_running():
    """gopanic keeps panics on a list: d2's own panic, recovered by d2's
    deferred inner(), leaves "one" running, which outer() then recovers."""
    text = """
    litmus Nested
    var x int
    func inner() { if recover() != nil { x = x + 10 } }
    func d2() { defer inner(); panic("two") }
    func outer() { if recover() != nil { x = x + 1 } }
    go main { defer outer(); defer d2(); panic("one") }
    exists (x == 11)
    """
    assert _answer(text) == ({(11,)}, 1, set())
    assert _answer(text.replace("defer outer(); ", "")) == (set(), 1, {("panic", "one", 6)})


def test_a_newer_panic_that_unwinds_an_older_one_s_deferred_call_aborts_it():
    text = """
    litmus Aborted
    var x int
    func d2() { panic("two") }
    func outer() { if recover() != nil { x = 1 } }
    go main { defer outer(); defer d2(); panic("one") }
    exists (x == 1)
    """
    # "two" unwinds d2, which "one" was running: outer() recovers "two", and "one" is gone
    assert _answer(text) == ({(1,)}, 1, set())
    assert _events(text, RECOVER) == [("main", "two", 4, 3)]


def test_a_recovered_function_returns_the_result_its_return_set():
    text = """
    litmus Kept
    func h() { recover() }
    func bad() { panic("x") }
    func f() int { defer h(); defer bad(); return 7 }
    func g() int { defer h(); panic("y"); return 7 }
    go main { r = f(); s = g() }
    exists (main:r == 7 && main:s == 0)
    """
    assert _answer(text) == ({(7, 0)}, 1, set())


def test_once_do_whose_function_panics_is_done_for_later_calls():
    """sync.Once: "if f panics, Do considers it to have returned"."""
    text = """
    litmus OncePanics
    var once sync.Once
    var x int
    func boom() { x = x + 1; panic("boom") }
    func h() { recover() }
    func try() { defer h(); once.Do(boom) }
    go main { try(); try(); r = x }
    exists (main:r == 1)
    """
    assert _answer(text) == ({(1,)}, 1, set())


def test_the_reduced_search_keeps_a_panicking_goroutine_s_end_of_the_program():
    """While P runs its deferred d() for the panic, its future ends the
    program: the execution where that end comes before Q runs must stay."""
    text = """
    litmus Ending
    var x int
    var y int
    func d() { x = 1 }
    go P { defer d(); panic("p") }
    go Q { y = 1; s = x }
    exists (Q:s == 1)
    """
    p = program(text)
    full, reduced = (explore(p, ExploreConfig(por=por)) for por in ("none", "dpor"))
    assert {x.key for x in full.executions} == {x.key for x in reduced.executions}
    assert len(reduced.executions) == 4
