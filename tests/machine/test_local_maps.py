"""Maps as values: made in a body (``main.m{}``, not the variable's own
location ``main.m``), passed to and returned from functions, captured by
closures. Every name holding a map reaches the same entries and the same
hashWriting flag, so Go's fatal errors and the race on the map follow the
object, not the name."""

from __future__ import annotations

from helpers import run_text

MERGE = """
litmus LocalMap
var mu sync.Mutex
var wg sync.WaitGroup
func count(words []int) map[int]int {
    counts := make(map[int]int)
    for _, w := range words {
        counts[w] = counts[w] + 1
    }
    return counts
}
func merge(into map[int]int, from map[int]int) {
    defer wg.Done()
    for k, v := range from {
        mu.Lock()
        into[k] = into[k] + v
        mu.Unlock()
    }
}
func main() {
    total := make(map[int]int)
    var a []int
    a = append(a, 1, 2, 1)
    wg.Add(2)
    go merge(total, count(a))
    go merge(total, count(a))
    wg.Wait()
    ones := total[1]
    twos, ok := total[2]
    n := len(total) + 10 * ok
}
forall (main:ones == 4 && main:twos == 2 && main:n == 12)
"""


def _answer(text: str) -> tuple[list[tuple[int, ...]], int, set[tuple[str, str, int | None]]]:
    r = run_text(text)
    return sorted(r.states), r.executions, {(f.kind, f.text, f.line) for f in r.findings}


def test_maps_made_and_returned_by_a_function_merged_into_main_s_under_a_lock():
    # each merge ranges over its own map in two orders, and the locked updates interleave
    assert _answer(MERGE) == ([(12, 4, 2)], 48, set())  # (n, ones, twos)


def test_unlocked_writers_given_one_map_are_go_s_fatal_error_on_that_map():
    text = """
    litmus Unlocked
    var wg sync.WaitGroup
    func bump(into map[int]int) {
        defer wg.Done()
        into[1] = into[1] + 1
    }
    func main() {
        total := make(map[int]int)
        wg.Add(2)
        go bump(total)
        go bump(total)
        wg.Wait()
        n := total[1]
    }
    exists (main:n == 2)
    """
    states, _, findings = _answer(text)
    assert findings == {
        ("panic", "concurrent map writes", 5),
        ("panic", "concurrent map read and map write", 5),
        ("race", "race on main.total{}", 5),
    }
    assert states == [(1,), (2,)]  # a lost update, or both


def test_closures_writing_a_captured_map_race_on_the_map_not_the_variable():
    text = """
    litmus CapturedMap
    var wg sync.WaitGroup
    go main {
        var seen map[int]int
        seen = make(map[int]int)
        for i := 0; i < 2; i++ {
            wg.Add(1)
            go func() {
                defer wg.Done()
                seen[i] = 1
            }()
        }
        wg.Wait()
        n := len(seen)
    }
    exists (main:n == 2)
    """
    assert _answer(text) == (
        [(2,)],
        33,
        {("panic", "concurrent map writes", 10), ("race", "race on main.seen{}", 10)},
    )


def test_a_nil_map_passed_panics_where_it_is_written_and_reads_as_empty():
    text = """
    litmus NilLocalMap
    func put(m map[int]int) {
        m[1] = 1
    }
    func main() {
        var m map[int]int
        r = len(m) + m[3]
        put(m)
    }
    """
    assert _answer(text) == ([], 1, {("panic", "assignment to entry in nil map", 3)})


def test_a_shared_map_passed_to_a_function_is_the_shared_map():
    text = """
    litmus PassShared
    var m = make(map[int]int)
    func put(t map[int]int, k int) { t[k] = k }
    go P { put(m, 1) }
    go Q { r = m[1] }
    exists (Q:r == 1)
    """
    assert _answer(text) == (
        [(0,), (1,)],
        5,
        {("panic", "concurrent map read and map write", 5), ("race", "race on m", 3)},
    )


def test_a_size_hint_is_evaluated_so_its_division_panics():
    text = """
    litmus Hint
    go main {
        x := 0
        m := make(map[int]int, 1/x)
        m[1] = 1
    }
    """
    assert _answer(text) == ([], 1, {("panic", "runtime error: integer divide by zero", 4)})
