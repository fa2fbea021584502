"""Channels as values on the machine: made in bodies and in loops, kept in
locals and in shared variables, sent over channels of channels, passed to
and returned from functions, set to nil, captured by closures, measured
with len and cap. Happens-before and races follow the channel object, and
a re-assigned channel variable is a variable like any other."""

from __future__ import annotations

from helpers import program, run_text

from hbcheck.explore import ExploreConfig, explore
from hbcheck.models import load_model
from hbcheck.verdict.engines import check_program


def _answer(text: str) -> tuple[set[tuple[int, ...]], int, set[tuple[str, str, int | None]]]:
    res = run_text(text)
    return set(res.states), res.executions, {(f.kind, f.text, f.line) for f in res.findings}


REQUEST_REPLY = """
litmus ReqResp
var reqs = make(chan chan int)
func server() {
    for i := 0; i < 2; i++ {
        reply := <-reqs
        reply <- i
    }
}
func client() int {
    r := make(chan int)
    reqs <- r
    return <-r
}
func main() {
    go server()
    a := 0
    b := 0
    done := make(chan int, 2)
    go func() {
        a = client()
        done <- 1
    }()
    b = client()
    <-done
}
exists (main:a == 1 && main:b == 0)
"""


def test_each_request_carries_its_reply_channel_and_gets_its_own_answer():
    # the server answers in the order the requests came: whichever client sent
    # first gets 0. Two executions (who sends first), each complete.
    assert _answer(REQUEST_REPLY) == ({(0, 1), (1, 0)}, 2, set())


def test_a_channel_made_in_a_loop_is_a_new_channel_each_iteration():
    text = """
    litmus Loop
    var results = make(chan chan int, 3)
    func worker(id int, out chan int) {
        out <- id + 1
    }
    func main() {
        for i := 0; i < 3; i++ {
            c := make(chan int, 1)
            results <- c
            go worker(i, c)
        }
        s := 0
        for j := 0; j < 3; j++ {
            c := <-results
            s = s*10 + <-c
        }
    }
    exists (main:s == 123)
    """
    # three channels, each with one sender and one receiver: one execution
    assert _answer(text) == ({(123,)}, 1, set())
    p = program(text)
    made = {n for x in explore(p).executions for n, _cap in x.made}
    assert made == {"main.c", "main.c#2", "main.c#3"}


def test_re_assigning_a_shared_channel_variable_races_with_a_send_that_reads_it():
    text = """
    litmus Reassign
    var done = make(chan int, 1)
    go P0 { done = make(chan int, 1) }
    go P1 { done <- 1 }
    """
    # P1 reads the variable before or after P0's write: two executions
    assert _answer(text) == ({()}, 2, {("race", "race on done", 3)})


def test_len_is_what_is_buffered_when_it_runs_and_cap_is_fixed():
    text = """
    litmus Len
    var c = make(chan int, 2)
    go P0 { c <- 1; c <- 2 }
    go P1 { r = len(c); k = cap(c) }
    exists (P1:r == 1 && P1:k == 2)
    """
    # len before, between and after the two sends: three executions (states: P1:k, P1:r)
    assert _answer(text) == ({(2, 0), (2, 1), (2, 2)}, 3, set())


def test_a_closure_captures_the_channel_variable_itself():
    text = """
    litmus Captured
    func main() {
        c := make(chan int, 1)
        go func() {
            c <- 1
        }()
        c = make(chan int, 1)
    }
    """
    # the literal reads c (line 5) while main writes it (line 7): a race on
    # main's variable. Executions: the closure took 0 steps when main returned
    # (1), or read c before or after main's write and then sent or not (2 x 2)
    assert _answer(text) == ({()}, 5, {("race", "race on main.c", 5)})


def test_a_returned_channel_is_ranged_over_until_its_deferred_close():
    text = """
    litmus Produce
    func produce() chan int {
        c := make(chan int, 2)
        go func() {
            defer close(c)
            for i := 0; i < 3; i++ {
                c <- i
            }
        }()
        return c
    }
    func main() {
        s := 0
        c := produce()
        for v := range c {
            s = s + v
        }
    }
    exists (main:s == 3)
    """
    assert _answer(text) == ({(3,)}, 1, set())


def test_an_operation_on_a_nil_channel_variable_blocks_for_ever():
    text = """
    litmus NilVar
    func main() {
        var c chan int
        done := make(chan struct{})
        go func() {
            c <- 1
            close(done)
        }()
        <-done
    }
    """
    res = run_text(text)
    assert res.executions == 1
    [f] = res.findings
    assert f.kind == "deadlock" and {(g, w) for g, w, _line in f.blocked} == {
        ("main", "chan receive"),
        ("main_func1", "chan send (nil chan)"),
    }


def test_a_negative_capacity_computed_at_run_time_panics_as_makechan_does():
    text = """
    litmus Neg
    var x int
    go P { n = x - 1; c := make(chan int, n); c <- 1 }
    """
    assert _answer(text)[2] == {("panic", "makechan: size out of range", 3)}


def test_a_channel_received_from_a_channel_steps_z3_aside_with_its_line():
    r = check_program(program(REQUEST_REPLY), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit"] and set(r.states) == {(0, 1), (1, 0)}
    assert r.notes.smt == "a channel known only when the program runs (line 6) is not encoded in z3 yet"


def test_range_evaluates_its_channel_once_and_cap_takes_any_channel_expression():
    text = """
    litmus Once
    func mk() chan int {
        return make(chan int, 2)
    }
    func main() {
        c := make(chan int, 2)
        d := make(chan int, 2)
        c <- 1
        c <- 2
        close(c)
        d <- 10
        close(d)
        s := 0
        for v := range c {
            s = s*100 + v
            c = d
        }
        a := cap(make(chan int, 3)) + cap(mk())
    }
    exists (main:s == 102 && main:a == 5)
    """
    # the range keeps receiving from the channel c held when the loop began
    # (Go evaluates the range expression once), so 1 then 2; and cap takes a
    # make(...) or a call as well as a variable
    assert _answer(text) == ({(5, 102)}, 1, set())
