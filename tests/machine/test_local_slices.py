"""Slices as values: made in a body, passed to and returned from functions,
copied, captured by closures, and slices of channels. A slice value is its
header; two names holding one backing array share its elements (the race
detector's locations), whatever name each access goes through."""

from __future__ import annotations

from helpers import run_text

from hbcheck.names import INDEX_OUT_OF_RANGE


def _answer(text: str) -> tuple[list[tuple[int, ...]], int, set[tuple[str, str, int | None]]]:
    r = run_text(text)
    return sorted(r.states), r.executions, {(f.kind, f.text, f.line) for f in r.findings}


def test_a_slice_made_appended_and_returned_by_one_function_and_summed_by_another():
    text = """
    litmus Returned
    func sum(s []int) int {
        t := 0
        for _, v := range s {
            t = t + v
        }
        return t
    }
    func fill(n int) []int {
        s := make([]int, 0, 1)
        for i := 0; i < 3; i++ {
            s = append(s, i + n)
        }
        return s
    }
    go main {
        s := fill(10)
        r = sum(s) + len(s) * 100 + cap(s) * 1000
    }
    exists (main:r == 4333)
    """
    # growslice: capacity 1, then 2, then 4; the sum 10 + 11 + 12
    assert _answer(text) == ([(4333,)], 1, set())


WORKERS = """
litmus Elements
var wg sync.WaitGroup
func worker(buf []int, i int) {
    defer wg.Done()
    buf[i] = i + 1
}
func main() {
    buf := make([]int, 2)
    wg.Add(2)
    go worker(buf, 0)
    go worker(buf, J)
    wg.Wait()
    a := buf[0]
    b := buf[1]
}
exists (main:a == 1 && main:b == 2)
"""


def test_workers_given_one_slice_write_its_elements_each_its_own_location():
    assert _answer(WORKERS.replace("J", "1")) == ([(1, 2)], 2, set())


def test_two_workers_writing_one_element_through_their_copies_of_the_header_race():
    # the element is the backing array's, named after the make: main.buf[0]
    assert _answer(WORKERS.replace("J", "0")) == ([(1, 0)], 4, {("race", "race on main.buf[0]", 5)})


def test_a_copy_of_a_header_and_a_closure_s_capture_reach_the_same_array():
    text = """
    litmus Alias
    func main() {
        s := make([]int, 1, 2)
        t := s
        t = append(t, 5)
        go func() {
            t[0] = 1
        }()
        r = s[0]
        u := append(s, 7)
        x = t[1]
        y = len(u) + 10 * len(t)
    }
    exists (main:r == 1 && main:x == 7 && main:y == 22)
    """
    # t's append fits s's array; u's append writes that array's element 1 over t's 5
    assert _answer(text) == ([(0, 7, 22), (1, 7, 22)], 4, {("race", "race on main.s[0]", 7)})


def test_a_slice_of_channels_hands_each_worker_its_own_and_a_nil_element_blocks():
    text = """
    litmus Workers
    func worker(id int, jobs chan int, done chan int) {
        for j := range jobs {
            done <- j * 10 + id
        }
    }
    go main {
        chans := make([]chan int, 2)
        done := make(chan int, 2)
        for i := 0; i < 2; i++ {
            chans[i] = make(chan int)
            go worker(i, chans[i], done)
        }
        for i, c := range chans {
            c <- i + 1
            close(c)
        }
        a := <-done
        b := <-done
        r = a + b
    }
    exists (main:r == 31)
    expect always
    expect no leak
    """
    r = run_text(text)
    assert (sorted(r.states), r.executions, list(r.findings)) == ([(31,)], 8, [])
    nil = """
    litmus NilElement
    func main() {
        chans := make([]chan int, 2)
        chans[0] = make(chan int, 1)
        c := chans[0]
        c <- 1
        d := chans[1]
        d <- 1
    }
    """
    r = run_text(nil)
    assert [(f.kind, f.text, list(f.blocked)) for f in r.findings] == [
        ("deadlock", "all goroutines are asleep - deadlock!", [("main", "chan send (nil chan)", 8)])
    ]


def test_closures_appending_under_a_lock_to_a_captured_slice_keep_both():
    text = """
    litmus Captured
    var mu sync.Mutex
    var wg sync.WaitGroup
    go main {
        var results []int
        for i := 0; i < 2; i++ {
            wg.Add(1)
            go func() {
                mu.Lock()
                results = append(results, i)
                mu.Unlock()
                wg.Done()
            }()
        }
        wg.Wait()
        r = len(results)
        x = results[0]
    }
    exists (main:r == 2 && main:x == 1)
    """
    assert _answer(text) == ([(2, 0), (2, 1)], 5, set())
    racy = text.replace("mu.Lock()", "").replace("mu.Unlock()", "")
    # both read the nil header, each makes an array of its own: one append is lost
    races = {
        ("race", f"race on {loc}", 10) for loc in ("main.results", "main_func1.results[0]", "main_func1#2.results[0]")
    }
    assert _answer(racy) == ([(1, 0), (1, 1), (2, 0), (2, 1)], 9, races)


def test_an_index_past_a_parameter_s_length_panics_in_the_callee():
    text = """
    litmus OutOfRange
    func get(s []int, i int) int {
        return s[i]
    }
    func main() {
        var s []int
        s = append(s, 1)
        r = get(s, 1)
    }
    """
    assert _answer(text) == ([], 1, {("panic", INDEX_OUT_OF_RANGE.format(index=1, length=1), 3)})
