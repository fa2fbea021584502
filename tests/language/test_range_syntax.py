"""``for range x { ... }``: Go's range without variables, over a channel,
a slice or a map, is the range with ``_`` and keeps every engine's answer."""

from __future__ import annotations

from helpers import answer, both_engines, program, run_text

from hbcheck.language import ast
from hbcheck.realgo.emit import emit_go

CHANNEL = """
litmus Bare
var c = make(chan int, 2)
var x int
go main {
    c <- 1
    c <- 2
    close(c)
    for range c { x = x + 1 }
    r = x
}
exists (main:r == 2)
"""


def test_a_bare_range_is_the_range_with_blank_variables():
    [loop] = [s for s in program(CHANNEL).goroutines[0].body if isinstance(s, ast.ForRange)]
    assert (loop.var, loop.decl, loop.value) == ("_", False, None)


def test_a_bare_range_over_a_channel_receives_until_the_close_in_both_engines():
    assert answer(both_engines(CHANNEL)) == ({(2,)}, 1, 0, set())


def test_a_bare_range_over_a_slice_and_a_map_runs_once_per_element():
    text = """
    litmus Elements
    go main {
        s := make([]int, 3)
        m := make(map[int]int)
        m[1] = 5
        m[2] = 6
        n := 0
        for range s { n = n + 1 }
        for range m { n = n + 10 }
        r = n
    }
    exists (main:r == 23)
    """
    r = run_text(text)
    assert (set(r.states), r.positive, r.negative) == ({(23,)}, 2, 0)  # the map's two orders


def test_hbcheck_go_writes_a_bare_range_as_go_does():
    assert "for range " in emit_go(program(CHANNEL, "b.lit"), "b.lit")
