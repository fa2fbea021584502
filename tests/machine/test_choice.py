"""``rand.Intn(n)``: a step with one alternative per value, each an execution
of its own; it touches nothing shared, so the reduced search keeps every
value without interleaving it against other goroutines' steps."""

from __future__ import annotations

import pytest
from helpers import program, run_text

from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig, explore
from hbcheck.verdict import judge

CHOICE = """litmus Choice
var x int
go P { r = rand.Intn(3) + 10; x = r }
go Q { s = x }
exists (Q:s == 12)
"""


def test_each_value_of_rand_intn_is_an_execution():
    r = run_text(CHOICE)
    # three values, times Q's read before or after P's write
    assert sorted(r.states) == [(0,), (10,), (11,), (12,)]
    assert (r.positive, r.negative, r.executions) == (1, 5, 6)


def test_the_reduced_search_agrees_with_every_interleaving_on_choices():
    text = """litmus Choices
var c = make(chan int, 1)
go P {
    if rand.Intn(2) == 0 { c <- 1 } else { r = rand.Intn(2) }
}
go Q {
    select {
    case v = <-c: s = v
    default: s = 2 + rand.Intn(2)
    }
}
exists (Q:s == 1)
"""
    p = program(text)
    full, reduced = (judge(p, explore(p, ExploreConfig(por=por))) for por in ("none", "dpor"))
    assert sorted(full.states) == sorted(reduced.states) == [(1,), (2,), (3,)]
    assert (full.positive, full.negative, full.executions) == (reduced.positive, reduced.negative, reduced.executions)


def test_a_choice_whose_value_is_dropped_is_still_one_execution_per_value():
    r = run_text("litmus Dropped\nvar x int\ngo P { rand.Intn(2); x = 1 }\nexists (x == 1)\n")
    assert (r.positive, r.negative, r.executions) == (2, 0, 2)


def test_a_choice_is_a_step_of_the_trace():
    p = program(CHOICE)
    labels = {e.label() for x in explore(p).executions for e in x.events if e.kind == "rand"}
    assert labels == {"rand.Intn(3) = 0", "rand.Intn(3) = 1", "rand.Intn(3) = 2"}


@pytest.mark.parametrize(
    ("stmt", "message"),
    [
        ("r = rand.Intn(0)", "rand.Intn takes one constant from 1 to 64"),
        ("r = rand.Intn(65)", "rand.Intn takes one constant from 1 to 64"),
        ("r = rand.Intn(r)", "rand.Intn takes one constant from 1 to 64"),
        ("r = 1 + mu.Lock()", "'mu.Lock(...)' has no value here"),
        ("r = rand.Int63()", "'rand.Int63(...)' has no value here"),
    ],
)
def test_bad_choices_are_located_errors(stmt: str, message: str):
    with pytest.raises(HbError) as err:
        program(f"litmus Bad\nvar mu sync.Mutex\ngo P {{\n    {stmt}\n}}\n")
    assert message in str(err.value) and err.value.loc is not None and err.value.loc.line == 4
