"""Shared slices on the machine (runtime/slice.go): the header is the
variable (appends from two goroutines race on it and may lose an element),
the elements are locations of backing arrays made while the program runs
(growslice's copy reads the old ones), growth follows growslice and the
allocator's size classes, and Go's index and makeslice panics."""

from __future__ import annotations

from helpers import run_text

from hbcheck.machine.slices import grown_cap
from hbcheck.names import INDEX_OUT_OF_RANGE, MAKESLICE_CAP, MAKESLICE_LEN


def _answer(text: str, **config) -> tuple[list[tuple[int, ...]], int, set[tuple[str, str, int | None]], list[str]]:
    r = run_text(text, **config)
    return sorted(r.states), r.executions, {(f.kind, f.text, f.line) for f in r.findings}, list(r.bounds)


def test_two_unlocked_appends_race_on_the_header_and_may_lose_one():
    # each append reads the header, writes its element, writes the header: when
    # both read nil, each makes an array of its own and one header is lost (n 1);
    # one that reads the other's header copies its element (a race on it)
    text = """
    litmus Lost
    var s []int
    var wg sync.WaitGroup
    func add(v int) {
        defer wg.Done()
        s = append(s, v)
    }
    func main() {
        wg.Add(2)
        go add(1)
        go add(2)
        wg.Wait()
        n := len(s)
    }
    exists (main:n == 1)
    """
    races = {("race", "race on s", 6), ("race", "race on add.s[0]", 6), ("race", "race on add#2.s[0]", 6)}
    assert _answer(text) == ([(1,), (2,)], 8, races, [])


def test_appends_under_a_mutex_keep_both_in_either_order():
    text = """
    litmus Locked
    var s []int
    var mu sync.Mutex
    var wg sync.WaitGroup
    func add(v int) {
        defer wg.Done()
        mu.Lock()
        s = append(s, v)
        mu.Unlock()
    }
    func main() {
        wg.Add(2)
        go add(1)
        go add(2)
        wg.Wait()
        a := s[0] * 10 + s[1]
        c := cap(s)
    }
    exists (main:a == 12 && main:c == 2)
    """
    assert _answer(text) == ([(12, 2), (21, 2)], 4, set(), [])


def test_a_slice_grows_as_growslice_grows_it():
    # cap 2 full: doubled to 4; 3 more on 3 of 4: doubled to 8 (64 bytes, a size class)
    text = """
    litmus Grow
    var s = make([]int, 1, 2)
    func main() {
        s = append(s, 1)
        c1 := cap(s)
        s = append(s, 2)
        c2 := cap(s)
        s = append(s, 3, 4, 5)
        c3 := cap(s)
        t := 0
        for i, v := range s { t = t * 10 + v + i }
    }
    exists (main:c1 == 2 && main:c2 == 4 && main:c3 == 8 && main:t == 24690)
    """
    assert _answer(text) == ([(2, 4, 8, 24690)], 1, set(), [])
    # runtime/slice.go (Go 1.19) for 8-byte elements, then roundupsize
    assert [grown_cap(c, c + 1) for c in (0, 1, 2, 3, 5, 255, 256, 512)] == [1, 2, 4, 6, 10, 512, 512, 848]
    assert grown_cap(0, 5) == 6  # 40 bytes: the 48-byte class


def test_go_s_index_and_makeslice_panics():
    oob = "litmus Oob\nvar s = make([]int, 2)\nfunc main() {\n    k := 2\n    s[k] = 1\n}\n"
    text = INDEX_OUT_OF_RANGE.format(index=2, length=2)
    assert _answer(oob) == ([], 1, {("panic", text, 5)}, [])
    nil_read = "litmus NilRead\nvar s []int\nfunc main() {\n    r := s[0]\n}\n"
    assert _answer(nil_read)[2] == {("panic", INDEX_OUT_OF_RANGE.format(index=0, length=0), 4)}
    bad_len = "litmus Len\nvar s []int\nfunc main() {\n    n := -1\n    s = make([]int, n)\n}\n"
    assert _answer(bad_len)[2] == {("panic", MAKESLICE_LEN, 5)}
    bad_cap = "litmus Cap\nvar s []int\nfunc main() {\n    n := 1\n    s = make([]int, 2, n)\n}\n"
    assert _answer(bad_cap)[2] == {("panic", MAKESLICE_CAP, 5)}


def test_an_element_write_races_with_a_reader_of_that_element_only():
    # each element is a location: writers of s[0] and s[1] never race
    text = """
    litmus Elements
    var s = make([]int, 2)
    go P0 { s[0] = 1 }
    go P1 { s[1] = 2 }
    go P2 { r = s[1] }
    exists (P2:r == 2)
    """
    assert _answer(text) == ([(0,), (2,)], 2, {("race", "race on s[1]", 4)}, [])


RANGED = """
litmus Ranged
var s = make([]int, 3)
var wg sync.WaitGroup
var mu sync.Mutex
func main() {
    s[1] = 10
    s[2] = 20
    total := 0
    for i, v := range s {
        wg.Add(1)
        go func() {
            defer wg.Done()
            mu.Lock()
            total = total + i + v
            mu.Unlock()
        }()
    }
    wg.Wait()
}
forall (main:total == 33)
"""


def test_closures_capture_a_slice_range_s_index_and_value():
    # Go 1.22: an index and a value per iteration, so each closure adds its own element
    r = run_text(RANGED)
    assert (r.states, r.negative, set(r.findings)) == ([(33,)], 0, set())
    # Go 1.21: one pair for the loop, written while the closures read them
    old = run_text(RANGED.replace("litmus Ranged\n", "litmus Ranged\ngo 1.21\n"))
    assert {f.text for f in old.findings} == {"race on main.i", "race on main.v"}
    assert (33,) in old.states and len(old.states) > 1


def test_an_append_of_nothing_is_the_slice_itself():
    # Go's append(s) returns s: a nil slice stays nil (its header 0, not a header of no array)
    from helpers import Driver

    d = Driver(
        "litmus Nothing\nvar s []int\nvar t = make([]int, 1, 3)\ngo P {\n    s = append(s)\n    t = append(t)\n}\n"
    )
    d.step("P").step("P").step("P").step("P")  # each append: a read of the header, then its write
    assert (d.state.vars["s"], d.state.vars["t"]) == (0, "t|1|3")


def test_a_race_on_a_slice_header_leaves_outcomes_beyond_sc_unknown():
    """Message passing through two slice headers: under go.cat the racy reader
    may see b's make and not a's, which the machine (SC) never shows, so the
    explorer's Never is no verdict (it counted a race on an int only)."""
    text = """
    litmus MPSlices
    var a []int
    var b []int
    go P0 { a = make([]int, 1); b = make([]int, 1) }
    go P1 { nb := len(b); na := len(a) }
    exists (P1:nb == 1 && P1:na == 0)
    """
    r = run_text(text)
    assert {f.text for f in r.findings} == {"race on a", "race on b"}
    assert (r.exact, r.observation) == (False, "Unknown")
    assert r.limits == ["racy: outcomes beyond SC need the symbolic engine"]
