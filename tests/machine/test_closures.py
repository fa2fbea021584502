"""Function literals on the machine: ``go func() { ... }()`` and ``defer
func() { ... }()`` capture the enclosing body's variables by reference, as
Go does (the spec, "Function literals"). A captured variable lives in
memory, one location per declaration: its accesses are events that can
race. Loop variables follow the declared Go version: one per iteration
since Go 1.22, one per loop before (``go 1.21``), the classic capture bug."""

from __future__ import annotations

from helpers import program, run_text

from hbcheck.explore import ExploreConfig, explore
from hbcheck.machine import events as ev


def _answer(text: str) -> tuple[set[tuple[int, ...]], int, set[tuple[str, str, int | None]]]:
    res = run_text(text)
    return set(res.states), res.executions, {(f.kind, f.text, f.line) for f in res.findings}


LOOP = """
litmus Loop
{version}
var wg sync.WaitGroup
go main {{
    for i := 0; i < 2; i++ {{
        wg.Add(1)
        go func() {{
            r = i
            wg.Done()
        }}()
    }}
    wg.Wait()
}}
exists (main_func1:r == main_func1#2:r)
"""


def test_each_iteration_has_its_own_loop_variable_since_go_1_22():
    # each closure reads the variable of its own iteration: 0 and 1, no race
    assert _answer(LOOP.format(version="")) == ({(0, 1)}, 3, set())


def test_go_1_21_shares_the_loop_variable_and_the_capture_races_with_the_increment():
    states, executions, findings = _answer(LOOP.format(version="go 1.21"))
    # the first closure may read 0, 1 or 2; the second, spawned after i++, 1 or 2
    assert states == {(a, b) for a in (0, 1, 2) for b in (1, 2)}
    assert executions == 16
    assert findings == {("race", "race on main.i", 5)}  # the increment, then the read


def test_a_variable_declared_in_the_body_is_new_each_iteration_in_every_version():
    text = """
    litmus Decl
    go 1.21
    var wg sync.WaitGroup
    go main {
        for i := 0; i < 2; i++ {
            v := i * 10
            wg.Add(1)
            go func() {
                r = v
                wg.Done()
            }()
        }
        wg.Wait()
    }
    exists (main_func1:r == 0 && main_func1#2:r == 10)
    """
    states, _executions, findings = _answer(text)
    # the closures read their own v; the shared i is read by main only
    assert states == {(0, 10)}
    assert findings == set()


def test_range_variables_per_iteration_and_shared_before_go_1_22():
    text = """
    litmus Range
    {version}
    var c = make(chan int, 2)
    var wg sync.WaitGroup
    go main {{
        c <- 1
        c <- 2
        close(c)
        for v := range c {{
            wg.Add(1)
            go func() {{
                r = v
                wg.Done()
            }}()
        }}
        wg.Wait()
    }}
    exists (main_func1:r == 1 && main_func1#2:r == 2)
    """
    assert _answer(text.format(version="")) == ({(1, 2)}, 3, set())
    states, _executions, findings = _answer(text.format(version="go 1.21"))
    assert states == {(1, 2), (2, 2)}
    assert findings == {("race", "race on main.v", 9)}


def test_a_write_by_the_closure_is_seen_after_the_wait_and_the_condition_reads_the_variable():
    text = """
    litmus Shared
    var wg sync.WaitGroup
    go main {
        n := 1
        wg.Add(1)
        go func() {
            n = n + 10
            wg.Done()
        }()
        wg.Wait()
        s = n
    }
    exists (main:n == 11 && main:s == 11)
    """
    assert _answer(text) == ({(11, 11)}, 1, set())


def test_an_unsynchronised_capture_races_on_the_variable_with_its_lines():
    text = """
    litmus Racy
    go main {
        n := 0
        go func() {
            n = 1
        }()
        s = n
    }
    exists (main:s == 1)
    """
    states, executions, findings = _answer(text)
    assert states == {(0,), (1,)}
    assert executions == 3  # main's read before the closure starts, before and after its write
    assert findings == {("race", "race on main.n", 5)}  # the closure's write, then main's read


def test_a_parameter_is_captured_and_channel_parameters_are_passed_on():
    text = """
    litmus Params
    var out = make(chan int, 1)
    var wg sync.WaitGroup
    func worker(id int, res chan int, wg *sync.WaitGroup) {
        go func(k int) {
            defer wg.Done()
            res <- id * 100 + k
        }(7)
        id = id + 1
    }
    go main {
        wg.Add(1)
        worker(3, out, &wg)
        wg.Wait()
        r = <-out
    }
    exists (main:r == 307 || main:r == 407)
    """
    states, _executions, findings = _answer(text)
    # worker's id = id + 1 races with the closure's read of its parameter
    assert states == {(307,), (407,)}
    assert findings == {("race", "race on main.id", 7)}


def test_a_deferred_closure_recovers_and_reads_the_frame_s_variable_as_it_is_then():
    text = """
    litmus Recovered
    var x int
    func safe() int {
        failed := 5
        defer func() {
            if recover() != nil {
                x = failed + 1
            }
        }()
        failed = 7
        panic("boom")
    }
    go main {
        s = safe()
    }
    exists (main:s == 0 && x == 8)
    """
    # a recovered function returns its zero result; the closure reads failed at the panic
    assert _answer(text) == ({(0, 8)}, 1, set())


def test_nested_closures_share_the_outer_variable():
    text = """
    litmus Nested
    var wg sync.WaitGroup
    go main {
        n := 0
        wg.Add(1)
        go func() {
            wg.Add(1)
            go func() {
                n = n + 5
                wg.Done()
            }()
            wg.Done()
        }()
        wg.Wait()
        s = n
    }
    exists (main:s == 5)
    """
    states, _executions, findings = _answer(text)
    # the inner Add happens before the outer Done, so Wait waits for both
    assert states == {(5,)}
    assert findings == set()


def test_allocations_are_writes_by_the_declaring_goroutine_named_after_it():
    p = program(LOOP.format(version=""))
    ex = explore(p, ExploreConfig())
    writes = {(e.g, e.obj, e.value) for x in ex.executions for e in x.events if e.kind == ev.WRITE}
    # the loop's variable and each iteration's: main.i, then main.i#2 (1), main.i#3 (2)
    assert writes == {("main", "main.i", 0), ("main", "main.i#2", 1), ("main", "main.i#3", 2)}


def test_a_local_whose_address_an_atomic_takes_lives_in_memory_even_without_a_closure():
    text = """
    litmus Local
    go main {
        n := 5
        atomic.Add(&n, 1)
        r = atomic.Load(&n) + n
    }
    forall (main:r == 12 && main:n == 6)
    """
    assert program(text).goroutines[0].escapes == frozenset({"n"})
    assert _answer(text) == ({(6, 12)}, 1, set())  # main:n, main:r


def test_atomics_on_a_captured_variable_mix_with_plain_accesses_as_on_a_shared_one():
    text = """
    litmus Mixed
    var wg sync.WaitGroup
    func work(n int) int {
        wg.Add(1)
        go func() {
            atomic.Add(&n, 10)
            wg.Done()
        }()
        s := atomic.Load(&n)
        wg.Wait()
        return s * 100 + n
    }
    go main { r = work(1) }
    exists (main:r == 1111)
    """
    states, executions, findings = _answer(text)
    # the atomic load sees the add or not; after the wait the plain read sees it
    assert states == {(111,), (1111,)} and executions == 2
    assert findings == set()  # atomic against atomic, and the plain read is after Wait


def test_a_function_value_sees_the_variables_it_captures_as_they_are_at_each_call():
    text = """
    litmus Values
    var x int
    var done = make(chan int, 2)
    func f() { x = 100 }
    go main {
        f()
        k := 2
        add := func(v int) int { return v + k }
        f := func(v int) { x = add(v); done <- 1 }
        go f(1)
        <-done
        a := x
        k = 10
        b := add(1)
        defer f(3)
    }
    forall (main:a == 3 && main:b == 11 && x == 13)
    """
    # a shadows the top-level f from its definition on; add reads k at each call; the deferred call runs at return
    assert _answer(text) == ({(3, 11, 13)}, 1, set())


def test_a_captured_variable_is_an_int_argument_inside_the_closure():
    text = """
    litmus Arg
    func double(v int) int { return v * 2 }
    go main {
        k := 3
        f := func() { r = double(k) }
        f()
        s = r
    }
    forall (main:s == 6)
    """
    # k is a *int inside the lifted literal; passing it reads its value (it was "cannot use *int as int")
    assert _answer(text)[0] == {(6,)}
