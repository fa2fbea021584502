"""Channels as values in the language: which variables are channels (and of
which type), how a literal captures one, which shared channels become
variables, and what is rejected, with the line and column of the fault."""

from __future__ import annotations

import pytest
from helpers import located_error, program


def test_declarations_give_variables_their_channel_types():
    text = """litmus Types
var cc = make(chan chan int, 1)
var done chan struct{}
func mk(n int) chan int {
    return make(chan int, n)
}
func main() {
    var a chan int
    b := mk(2)
    c := <-cc
    var d = make(chan chan int)
    e := b
    n := len(b) + cap(c)
    k := 0
    done = make(chan struct{})
    go func() {
        a <- k
    }()
}
"""
    p = program(text)
    int_chans = {n: "chan int" for n in "abce"}
    assert p.chan_types["main"] == {**int_chans, "d": "chan chan int"}
    # a literal captures a channel variable by reference, like an int
    assert [(q.name, q.type) for q in p.funcs["main_func1"].params or ()] == [("a", "*chan int"), ("k", "*int")]
    assert p.dynamic == {"done"}  # a shared channel some statement assigns: a variable
    assert (p.chan_value.line, p.chan_value.col) == (2, 5)  # the channel of channels


def test_programs_without_channel_values_have_none():
    text = "litmus Plain\nvar c = make(chan int, 1)\nfunc f(c chan int) { c <- 1 }\ngo P { f(c); <-c }\n"
    p = program(text)
    assert p.chan_value is None and p.dynamic == frozenset() and p.chan_types == {"P": {}, "f": {}}


BAD = [
    ("elem", "go P { c := make(chan float, 1) }", 1, 13, "unsupported channel element type 'float'"),
    ("arith", "go P { c := make(chan int); x := c + 1 }", 1, 34, "'c' is a chan int, not an integer"),
    (
        "int-to-chan",
        "go P { c := make(chan int); c = 5 }",
        1,
        33,
        "cannot use an integer as chan int in assignment to 'c'",
    ),
    ("chan-to-int", "var c = make(chan int)\ngo P { r := 1; r = c }", 2, 20, "'c' is a channel, not an integer"),
    (
        "send-int",
        "var cc = make(chan chan int, 1)\ngo P { cc <- 1 }",
        2,
        14,
        "cannot use an integer as chan int in send on 'cc'",
    ),
    (
        "wrong-elem",
        "go P { c := make(chan int); d := make(chan chan struct{}, 1); d <- c }",
        1,
        68,
        "cannot use c (chan int) as chan struct{}",
    ),
    (
        "len-int",
        "go P { x := 1; n := len(x) }",
        1,
        25,
        "invalid argument: an integer for built-in len: it takes a channel",
    ),
    ("len-nil", "go P { n := cap(nil) }", 1, 17, "invalid argument: nil for built-in cap"),
    ("nil-nil", "go P { if nil == nil { r = 1 } }", 1, 11, "invalid operation: nil == nil"),
    ("int-nil", "go P { r := 1; if r == nil { r = 2 } }", 1, 19, "cannot compare an integer with nil"),
    ("negative", "go P { c := make(chan int, -1) }", 1, 28, "negative buffer argument in make(chan int, -1)"),
    ("local-type", "go P { var c chan float }", 1, 12, "unsupported local type 'chan float'"),
    (
        "return-int",
        "func f() chan int { return 1 }\ngo P { f() }",
        1,
        28,
        "cannot use an integer as chan int in return value of 'f'",
    ),
    (
        "cond",
        "go P { c := make(chan int) }\nexists (P:c == 0)",
        2,
        9,
        "'P:c' is a chan int: a condition reads integers",
    ),
    (
        "recv-int-into-chan",
        "var c = make(chan int, 1)\ngo P { d := make(chan int); d = <-c }",
        2,
        29,
        "cannot receive an integer from 'c' into 'd'",
    ),
    ("atomic", "go P { c := make(chan int, 1); atomic.Add(&c, 1) }", 1, 44, "atomic.Add needs an integer variable"),
]


@pytest.mark.parametrize("name,body,line,col,message", BAD, ids=[b[0] for b in BAD])
def test_a_misused_channel_value_is_one_located_error(name, body, line, col, message):
    at_line, at_col, got = located_error(body)
    assert message in got and (at_line, at_col) == (line, col), got
