"""Local arrays ('var a [N]int' in a body): each element a register of its
own, zeroed at the declaration (a function's array is new at each call), a
range over a copy taken once, len and cap the constant length, and an index
out of range Go's run-time panic. Both engines answer alike; z3 steps aside
where a computed index may fall out of range (the panic's text names the
index's value), as for shared arrays."""

from __future__ import annotations

from helpers import answer, both_engines, program, run_text

from hbcheck.models import load_model
from hbcheck.smt.engine import solve


def test_elements_are_registers_read_and_written_at_computed_indices():
    text = """
    litmus Local
    var c = make(chan int, 3)
    go main {
        var a [3]int
        a[1] = 5
        i := <-c
        a[i] = a[i] + 7
        s := 0
        for k, v := range a {
            a[k] = 100
            s = s * 10 + v
        }
        r = s
        t = len(a) + cap(a)
    }
    go P { c <- 1 }
    go Q { c <- 2 }
    exists (main:r == 57 && main:t == 6)
    """
    # i is 1 (a = [0 12 0]: s 120) or 2 (a = [0 5 7]: s 57); the range reads the copy, not the 100s
    assert answer(both_engines(text)) == ({(57, 6), (120, 6)}, 2, 2, set())


def test_a_function_s_array_is_new_at_each_call_and_a_range_honours_break_and_continue():
    fresh = """
    litmus Fresh
    func f(k int) int {
        var a [3]int
        a[k] = a[k] + k + 1
        s := 0
        for _, v := range a { s = s + v }
        return s
    }
    go main { r = f(0); s = f(2) }
    exists (main:r == 1 && main:s == 3)
    """
    assert answer(both_engines(fresh)) == ({(1, 3)}, 1, 0, set())
    loops = """
    litmus Loops
    go main {
        var a [4]int
        for i := range a { a[i] = i * 10 }
        s := 0
        for i, v := range a {
            if i == 1 { continue }
            if v == 30 { break }
            s = s + v + 1
        }
        r = s
    }
    exists (main:r == 22)
    """
    assert answer(both_engines(loops)) == ({(22,)}, 1, 0, set())


def test_range_variables_captured_by_closures_are_per_iteration_since_go_1_22_and_shared_before():
    body = """
    var wg sync.WaitGroup
    var x int
    var mu sync.Mutex
    go main {
        var a [2]int
        a[0] = 5
        a[1] = 6
        for i, v := range a {
            wg.Add(1)
            go func() { mu.Lock(); x = x + i * 100 + v; mu.Unlock(); wg.Done() }()
        }
        wg.Wait()
        r = x
    }
    exists (main:r == 111)
    """
    assert answer(both_engines("litmus New\n" + body)) == ({(111,)}, 5, 0, set())
    races = {("race", "race on main.v", "main", 11), ("race", "race on main.i", "main", 11)}  # the range's writes
    old = both_engines("litmus Old\ngo 1.21\n" + body)
    assert answer(old) == ({(111,), (112,), (211,), (212,)}, 3, 11, races)


def test_an_index_out_of_range_is_go_s_panic_with_its_value():
    text = """
    litmus Oob
    var c = make(chan int, 1)
    func f(i int) int {
        var a [2]int
        a[i] = 1
        return a[1]
    }
    go main {
        c <- 3
        i := <-c
        r = f(1)
        s = f(i)
    }
    """
    r = run_text(text)
    assert {(f.kind, f.text, f.line) for f in r.findings} == {
        ("panic", "runtime error: index out of range [3] with length 2", 5)
    }
    why = "an array index computed while the program runs (line 5) may be out of range: not encoded"
    assert solve(program(text), load_model("go")).reason == why
    pinned = """
    litmus Pinned
    go main {
        var a [2]int
        i := 1
        i = i - 2
        r = a[i]
    }
    """
    panic = ("panic", "runtime error: index out of range [-1]", "main", 6)
    assert answer(both_engines(pinned)) == (set(), 0, 0, {panic})


def test_a_recovered_index_panic_lets_the_caller_go_on():
    text = """
    litmus Recovered
    var x int
    func h() { if recover() != nil { x = 1 } }
    func f(i int) {
        defer h()
        var a [2]int
        a[i] = 1
    }
    go main { f(5); r = x }
    exists (main:r == 1)
    """
    r = run_text(text)
    assert (set(r.states), r.positive, r.negative, dict(r.findings)) == ({(1,)}, 1, 0, {})
