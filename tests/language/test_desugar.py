"""Receives and atomic calls inside expressions: hoisted into statements of
their own, left to right, the right side of ``&&``/``||`` under its guard, a
loop's condition again each iteration; the explorer and z3 agree on them."""

from __future__ import annotations

import pytest
from helpers import program, z3_seeded

from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig
from hbcheck.language import ast
from hbcheck.models import load_model
from hbcheck.verdict.engines import check_program


def _both(text: str):
    """Both engines' answer (check_program raises if they disagree)."""
    z3_seeded(text)
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit", "smt"], r.notes
    return sorted(r.states), r.executions, {(f.kind, f.line) for f in r.findings}


def _body(text: str, owner: str) -> tuple[ast.Stmt, ...]:
    p = program(text)
    return next(g.body for g in p.goroutines if g.name == owner)


def test_a_receive_in_an_expression_becomes_a_receive_statement_before_it():
    text = """litmus Sum
var c = make(chan int, 2)
go P { c <- 1; c <- 2 }
go Q { r = 10 + <-c * <-c }
exists (Q:r == 12)
"""
    body = _body(text, "Q")
    assert [type(s).__name__ for s in body] == ["Recv", "Recv", "Assign"]
    assert [s.value for s in body[:2]] == ["$e1", "$e2"]  # type: ignore[union-attr]
    assert _both(text) == ([(12,)], 1, set())


def test_a_shared_read_left_of_a_receive_is_read_first():
    """Go leaves the order open; left to right is the checker's choice: x is
    read before the receive, so P's write after its send is never seen, and
    the unbuffered hand-off orders the read before the write (no race)."""
    text = """litmus Order
var x int
var c = make(chan int)
go P { c <- 1; x = 5 }
go Q { r = x + <-c }
exists (Q:r == 6)
"""
    assert [type(s).__name__ for s in _body(text, "Q")] == ["Assign", "Recv", "Assign"]
    assert _both(text) == ([(1,)], 1, set())


def test_the_right_of_and_receives_only_when_the_left_holds():
    text = """litmus Guard
var n int
var c = make(chan int)
go P {
    if atomic.Load(&n) > 0 && <-c == 0 { r = 2 }
    s = 1
}
exists (P:r == 0 && P:s == 1)
"""
    # nobody sends on c: evaluating the right side would deadlock
    assert _both(text) == ([(0, 1)], 1, set())


def test_a_loop_condition_with_a_receive_is_evaluated_each_iteration():
    text = """litmus Loop
var c = make(chan int, 3)
go P { c <- 1; c <- 1; c <- 0 }
go Q {
    for <-c != 0 { s = s + 1 }
}
exists (Q:s == 2)
"""
    assert _both(text) == ([(2,)], 1, set())


def test_a_select_s_send_value_is_received_on_entering_the_select():
    text = """litmus Entry
var a = make(chan int, 1)
var b = make(chan int, 1)
go P {
    b <- 4
    select {
    case a <- <-b + 1:
        r = <-a
    }
}
exists (P:r == 5)
"""
    body = _body(text, "P")
    assert [type(s).__name__ for s in body] == ["Send", "Recv", "Select"]
    assert _both(text) == ([(5,)], 1, set())


def test_atomics_in_conditions_and_arguments_of_calls():
    text = """litmus Atomics
var n int
func twice(k int) int { return k * 2 }
go P { atomic.Store(&n, 3) }
go Q {
    if atomic.Load(&n) == 3 { r = twice(atomic.Add(&n, 1)) }
}
exists (Q:r == 8)
"""
    assert _both(text) == ([(0,), (8,)], 2, set())


@pytest.mark.parametrize(
    ("text", "message", "line", "col"),
    [
        ("var c = make(chan int)\ngo P { c <- 1 }\nexists (<-c == 1)\n", "a condition cannot receive", 4, 9),
        ("var n int\ngo P { n = 1 }\nexists (atomic.Load(&n) == 1)\n", "a condition cannot call atomics", 4, 9),
        (
            "var d = make(chan struct{})\ngo P { r = 1 + <-d }\n",
            "'d' is a chan struct{}: its values cannot be stored",
            3,
            16,
        ),
        ("var n int\ngo P { r = 1 + atomic.Store(&n, 1) }\n", "atomic.Store returns no value", 3, 16),
        ("var n int\ngo P { r = 1 + <-n }\n", "'n' is an integer variable, not a channel", 3, 18),
    ],
)
def test_bad_receives_and_atomics_in_expressions_are_located_errors(text: str, message: str, line: int, col: int):
    with pytest.raises(HbError) as err:
        program("litmus Bad\n" + text)
    assert message in str(err.value)
    assert err.value.loc is not None and (err.value.loc.line, err.value.loc.col) == (line, col)
