"""Shared arrays on the machine: each element is a location of its own (as
Go's race detector sees them), an index is evaluated before the value it
stores, and an index out of range is Go's run-time panic, with Go's text."""

from __future__ import annotations

import pytest
from helpers import program, run_text

from hbcheck.errors import HbError


def _answer(text: str) -> tuple[set[tuple[int, ...]], int, set[tuple[str, str, int | None]]]:
    res = run_text(text)
    return set(res.states), res.executions, {(f.kind, f.text, f.line) for f in res.findings}


def test_each_worker_its_own_element_is_no_race_and_the_condition_reads_elements():
    text = """
    litmus Own
    var a [3]int
    go P0 { a[0] = 1; r = a[0] }
    go P1 { k = 1; a[k] = a[k] + 2 }
    exists (a[0] == 1 && a[1] == 2 && a[2] == 0 && P0:r == 1)
    """
    assert _answer(text) == ({(1, 1, 2, 0)}, 1, set())  # P0:r, then a[0], a[1], a[2]


def test_two_goroutines_on_one_element_race_on_that_element_only():
    text = """
    litmus Same
    var a [2]int
    go P0 { a[1] = 1; a[0] = 5 }
    go P1 { i = 1; r = a[i] }
    exists (P1:r == 1)
    """
    states, executions, findings = _answer(text)
    assert states == {(0,), (1,)} and executions == 2
    assert findings == {("race", "race on a[1]", 3)}


def test_an_index_out_of_range_panics_as_go_does_and_a_negative_one_shows_no_length():
    text = """
    litmus Bounds
    var a [2]int
    var x int
    go P0 { x = 2 }
    go P1 { k = x; a[k] = 7 }
    """
    states, executions, findings = _answer(text)
    # P1 reads 0 (a[0] = 7) or 2 (the panic): one execution of each; without a
    # condition a state shows every shared integer and element: a[0], a[1], x
    assert executions == 2 and states == {(7, 0, 2)}
    assert ("panic", "runtime error: index out of range [2] with length 2", 5) in findings
    negative = "litmus Neg\nvar a [2]int\ngo P { k = 0 - 1; r = a[k] }\n"
    assert _answer(negative)[2] == {("panic", "runtime error: index out of range [-1]", 3)}


def test_the_index_is_read_before_the_value_and_both_before_the_write():
    text = """
    litmus Order
    var a [2]int
    var x int
    var c = make(chan int, 1)
    go P0 { a[x] = <-c }
    go P1 { x = 1; c <- 5 }
    exists (a[0] == 5 && a[1] == 0)
    """
    states, _executions, findings = _answer(text)
    # x is read before the receive waits: 0, or 1 where P1 ran first
    assert states == {(5, 0), (0, 5)}
    assert {f[1] for f in findings} == {"race on x"}


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("litmus B\nvar a [3]int\ngo P { a[3] = 1 }\n", "invalid argument: index 3 out of bounds [0:3]", 3),
        ("litmus B\nvar a [3]int\ngo P { r = a[-1] }\n", "invalid argument: index -1 out of bounds [0:3]", 3),
        ("litmus B\nvar a [3]int\ngo P { r = a }\n", "'a' is an array, not an integer", 3),
        ("litmus B\nvar x int\ngo P { r = x[0] }\n", "'x' is not an array", 3),
        (
            "litmus B\nvar a [3]int\ngo P { r = 1 }\nexists (a[P:r] == 0)\n",
            "a condition indexes an array with a constant",
            4,
        ),
        ("litmus B\nvar a [65]int\ngo P { }\n", "hbcheck keeps arrays to 64", 2),
        ("litmus B\nvar a [2]bool\ngo P { }\n", "unsupported array element type 'bool'", 2),
    ],
)
def test_bad_arrays_are_located_errors(text: str, message: str, line: int):
    with pytest.raises(HbError) as err:
        program(text)
    assert message in str(err.value) and err.value.loc is not None and err.value.loc.line == line
