"""Shared maps on the machine (runtime/map.go): one location for races, a
write's two steps around the hashWriting flag (another goroutine's
operation between them is Go's fatal error, where the runtime checks),
every iteration order, entries added or deleted while a range runs, and the
nil map's panic."""

from __future__ import annotations

from helpers import run_text

from hbcheck.machine import Machine
from hbcheck.names import MAP_ITERATION_WRITE, MAP_READ_WRITE, MAP_WRITES, NIL_MAP_WRITE


def _answer(text: str, **config) -> tuple[list[tuple[int, ...]], int, set[tuple[str, str, int | None]], list[str]]:
    r = run_text(text, **config)
    return sorted(r.states), r.executions, {(f.kind, f.text, f.line) for f in r.findings}, list(r.bounds)


def test_writes_to_different_keys_race_and_overlap():
    # a map is one location: the two writes race whatever their keys. A write
    # is four steps (begin, make the entry, clear the flag, store the value): a
    # write that begins while the other holds the flag (its next two steps) is
    # fatal, 2 x 2 executions; otherwise the first's store may come anywhere
    # among the second's four steps or after, 2 x 5
    text = """
    litmus Writes
    var m = make(map[int]int)
    go P0 { m[1] = 1 }
    go P1 { m[2] = 2 }
    """
    fatal = {("panic", MAP_WRITES, 3), ("panic", MAP_WRITES, 4)}
    assert _answer(text) == ([()], 14, fatal | {("race", "race on m", 3)}, [])


def test_a_read_inside_a_write_is_fatal_only_once_the_map_has_entries():
    # mapaccess returns at once on an empty map: a read inside the first write
    # before its entry is made reads 0, after it (the count raised, the flag
    # still set) is fatal; between the flag's clear and the store it reads the
    # entry's 0. Nine places for the read, three fatal (one in the first write,
    # two in the second).
    text = """
    litmus ReadWrite
    var m = make(map[int]int)
    go P0 {
        m[1] = 1
        m[2] = 2
    }
    go P1 { r = m[1] }
    exists (P1:r == 1)
    """
    races = {("race", "race on m", 4), ("race", "race on m", 5)}
    assert _answer(text) == ([(0,), (1,)], 9, {("panic", MAP_READ_WRITE, 7)} | races, [])


def test_under_a_mutex_neither_race_nor_fatal_error():
    text = """
    litmus Locked
    var m = make(map[int]int)
    var mu sync.Mutex
    go P0 {
        mu.Lock()
        m[1] = m[1] + 1
        mu.Unlock()
    }
    go P1 {
        mu.Lock()
        m[1] = m[1] + 1
        r = len(m)
        mu.Unlock()
    }
    go P2 {
        mu.Lock()
        v, ok := m[1]
        mu.Unlock()
    }
    exists (P2:v == 2 && P2:ok == 1)
    """
    # six orders of the critical sections; P2 reads before, between or after the two
    assert _answer(text) == ([(0, 0), (1, 1), (1, 2)], 6, set(), [])


def test_a_range_takes_every_order():
    text = """
    litmus Orders
    var m = make(map[int]int)
    go P0 {
        m[1] = 1
        m[2] = 2
        m[3] = 3
        for k, v := range m { r = r * 10 + k + v }
    }
    exists (P0:r == 246)
    """
    states, executions, findings, bounds = _answer(text)
    assert states == sorted((a * 200 + b * 20 + c * 2,) for a, b, c in _permutations(1, 2, 3))
    assert (executions, findings, bounds) == (6, set(), [])


def _permutations(*xs: int) -> list[tuple[int, ...]]:
    from itertools import permutations

    return list(permutations(xs))


def test_a_range_skips_deleted_entries_and_may_produce_added_ones():
    # deleting the other entry ends the loop after one; an entry added while
    # the loop runs may be produced or skipped (the spec's words), each time
    deleted = """
    litmus Deleted
    var m = make(map[int]int)
    go P0 {
        m[1] = 1
        m[2] = 2
        for k := range m {
            r = r * 10 + k
            delete(m, 3 - k)
        }
    }
    exists (P0:r == 1)
    """
    assert _answer(deleted) == ([(1,), (2,)], 2, set(), [])
    added = """
    litmus Added
    var m = make(map[int]int)
    go P0 {
        m[1] = 1
        for k := range m {
            r = r * 10 + k
            if k < 3 { m[k + 1] = 1 }
        }
    }
    exists (P0:r == 12)
    """
    assert _answer(added) == ([(1,), (12,), (123,)], 3, set(), [])


def test_a_range_that_keeps_adding_is_cut_at_the_unroll_bound():
    text = """
    litmus Grows
    var m = make(map[int]int)
    go P0 {
        m[1] = 1
        for k := range m { m[k + 1] = 1 }
    }
    """
    _states, executions, findings, bounds = _answer(text, unroll=2)
    assert (bounds, findings) == (["unroll 2"], set())
    # the end after 1, 2 or 3 entries (two of them added), and the run that would produce a third added one
    assert executions == 4


def test_a_write_while_another_goroutine_ranges_is_fatal_at_its_next_step():
    # P1 starts after m[1] = 1: its write lands before the range begins (both
    # keys, two orders), inside the range's first step (fatal), before its
    # second (the end, 2 then produced or not) or inside it (fatal), or after it
    text = """
    litmus IterWrite
    var m = make(map[int]int)
    go P0 {
        m[1] = 1
        go P1()
        for k := range m { r = r + k }
    }
    func P1() { m[2] = 2 }
    """
    found = {("panic", MAP_ITERATION_WRITE, 6), ("race", "race on m", 6)}
    assert _answer(text) == ([()], 18, found, [])


def test_a_nil_map_reads_zero_and_panics_on_a_write():
    # reads, len, delete and range of a nil map touch nothing; the write's
    # panic is an ordinary one, so a deferred recover() stops it
    text = """
    litmus Nil
    var m map[int]int
    var x int
    func set() {
        defer func() {
            if recover() != nil { x = 7 }
        }()
        m[1] = 1
    }
    go P0 {
        v, ok := m[1]
        s = v + ok + len(m)
        delete(m, 1)
        for k := range m { s = s + k }
        set()
    }
    exists (x == 7 && P0:s == 0)
    """
    assert _answer(text) == ([(0, 7)], 1, set(), [])
    unrecovered = "litmus NilWrite\nvar m map[int]int\ngo P0 {\n    m[1] = 1\n}\n"
    assert _answer(unrecovered) == ([], 1, {("panic", NIL_MAP_WRITE, 4)}, [])


def test_a_fatal_error_is_not_recovered():
    text = """
    litmus Fatal
    var m = make(map[int]int)
    var x int
    func w(k int) {
        defer func() {
            if recover() != nil { x = 1 }
        }()
        m[k] = 1
    }
    go P0 { w(1) }
    go P1 { w(2) }
    exists (x == 1)
    """
    states, _executions, findings, _bounds = _answer(text)
    assert ("panic", MAP_WRITES, 8) in findings
    assert states == [(0,)]  # no run recovers: x stays 0 wherever the program ends normally


def test_the_writer_s_flag_lives_in_the_state_between_its_two_steps():
    from helpers import Driver

    d = Driver("litmus Flag\nvar m = make(map[int]int)\ngo P0 {\n    m[1] = 1\n}\ngo P1 {\n    r = m[1]\n}\n")
    d.step("P0")  # the race detector's write, hashWriting set
    assert d.state.maps["m"].writer == "P0" and d.state.maps["m"].entries == ()
    d.step("P0")  # the entry made, its value still 0 (stamp 1: the first inserted)
    assert d.state.maps["m"].writer == "P0" and d.state.maps["m"].entries == ((1, 0, 1),)
    d.step("P0")
    assert d.state.maps["m"].writer is None and d.state.maps["m"].entries == ((1, 0, 1),)
    d.step("P0")  # the value stored by the compiled code once mapassign returned
    assert d.state.maps["m"].entries == ((1, 1, 1),)
    assert isinstance(d.machine, Machine)


CAPTURED = """
litmus Captured
var m = make(map[int]int)
var wg sync.WaitGroup
var mu sync.Mutex
func main() {
    m[1] = 10
    m[2] = 20
    total := 0
    for k, v := range m {
        wg.Add(1)
        go func() {
            defer wg.Done()
            mu.Lock()
            total = total + k + v
            mu.Unlock()
        }()
    }
    wg.Wait()
    v, ok := m[2]
    f := func() { total = total + v + ok }
    f()
}
forall (main:total == 54)
"""


def test_closures_capture_a_range_s_key_and_value_and_a_lookup_s_results():
    # Go 1.22: a key and a value per iteration, so each closure adds its own entry
    r = run_text(CAPTURED)
    assert (r.states, r.positive, r.negative, set(r.findings)) == ([(54,)], 10, 0, set())
    # Go 1.21: one key and one value for the loop, written while the closures read them
    old = run_text(CAPTURED.replace("litmus Captured\n", "litmus Captured\ngo 1.21\n"))
    assert {f.text for f in old.findings} == {"race on main.k", "race on main.v"}
    assert (54,) in old.states and len(old.states) > 1


def test_an_entry_put_back_during_a_range_is_a_new_one_produced_or_skipped():
    # Go 1.19 (validated: n == 1 and t == 2 each in most runs): the first key's
    # entry and the other are deleted and the other put back, a new entry the
    # loop may skip; and a key produced, deleted and put back may come again
    skip = """
    litmus Skip
    var m = make(map[int]int)
    func main() {
        m[1] = 1
        m[2] = 2
        n := 0
        for k := range m {
            n = n + 1
            if n == 1 {
                delete(m, k)
                delete(m, 3 - k)
                m[3 - k] = 9
            }
        }
    }
    exists (main:n == 1)
    """
    assert _answer(skip)[0] == [(1,), (2,)]
    twice = """
    litmus Twice
    var m = make(map[int]int)
    func main() {
        m[1] = 1
        m[2] = 2
        n := 0
        first := 0
        t := 0
        for k := range m {
            n = n + 1
            if n == 1 {
                first = k
                delete(m, k)
                m[k] = 7
            }
            if k == first { t = t + 1 }
        }
    }
    exists (main:t == 2)
    """
    assert _answer(twice)[0] == [(1,), (2,)]


def test_a_reader_may_see_a_new_entry_before_its_value_or_stop_the_program():
    # mapassign raises the count while it holds the flag (a read then is fatal,
    # even of a map empty before), and the value is stored after it returns
    text = """
    litmus FirstInsert
    var m = make(map[int]int)
    func w() {
        m[1] = 5
    }
    func main() {
        go w()
        v, ok := m[1]
    }
    exists (main:ok == 1 && main:v == 0)
    """
    states, _executions, findings, _bounds = _answer(text)
    assert states == [(0, 0), (1, 0), (1, 5)]
    assert ("panic", MAP_READ_WRITE, 8) in findings


def test_leaks_after_main_returns_follow_the_map_s_entries():
    # the watcher blocks for ever only where it reads 1: the states where main
    # returned before it read differ only in the map, and each has its answer
    text = """
    litmus Leak
    var m = make(map[int]int)
    var mu sync.Mutex
    var fin = make(chan int, 2)
    var done = make(chan int)
    var never = make(chan int)
    func set(v int) {
        mu.Lock()
        m[1] = v
        mu.Unlock()
        fin <- 0
    }
    func watcher() {
        <-done
        if m[1] == 1 {
            <-never
        }
    }
    func main() {
        go set(1)
        go set(2)
        go watcher()
        <-fin
        <-fin
        close(done)
    }
    """
    r = run_text(text)
    leaks = sum(n for f, n in r.findings.items() if f.kind == "leak")
    assert leaks == 8


def test_a_deferred_delete_takes_its_key_when_deferred():
    text = """
    litmus DeferDelete
    var m = make(map[int]int)
    var x int
    func f() {
        x = 1
        defer delete(m, x)
        k := 2
        defer delete(m, k)
        x = 2
        m[1] = 1
        m[2] = 2
        m[3] = 3
    }
    func main() {
        f()
        n := len(m)
        _, ok := m[3]
    }
    exists (main:n == 1 && main:ok == 1)
    """
    assert _answer(text)[0] == [(1, 1)]
