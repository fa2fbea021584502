"""Slices in the language: shared slices of int, and what is rejected with
the line and column of the fault."""

from __future__ import annotations

import pytest
from helpers import located_error, program


def test_a_slice_is_a_shared_variable_holding_a_header():
    p = program(
        "litmus Slices\nvar s []int\nvar t = make([]int, 2, 4)\nvar u []int = make([]int, 1)\n"
        "go P {\n    s = append(s, 1, 2)\n    s = make([]int, r + 1)\n    s[0] = t[1] + len(s) + cap(t)\n"
        "    for i, v := range t { r = i + v }\n    s = nil\n}\n"
    )
    assert [(v.kind, v.init, v.cap) for v in (p.shared["s"], p.shared["t"], p.shared["u"])] == [
        ("slice", 0, None),
        ("slice", 2, 4),
        ("slice", 1, 1),
    ]
    assert p.registers["P"] == frozenset({"r", "i", "v"})
    assert (p.slice_at.line, p.slice_aliases) == (2, False)  # each slice's arrays are its own


BAD = [
    (
        "elem-type",
        "var s []bool\ngo P { r = 1 }",
        1,
        5,
        "unsupported slice type '[]bool' (slices of int or of a channel type)",
    ),
    (
        "make-swapped",
        "var s = make([]int, 3, 2)\ngo P { r = 1 }",
        1,
        5,
        "invalid argument: length and capacity swapped in make([]int, 3, 2)",
    ),
    (
        "make-negative",
        "var s = make([]int, -1)\ngo P { r = 1 }",
        1,
        5,
        "invalid argument: negative size in make([]int, -1, -1)",
    ),
    (
        "local-make-int",
        "go P { r := make([]int, 2) + 1 }",
        1,
        13,
        "make([]int, ...) is a slice, not an integer",
    ),
    (
        "append-other-type",
        "var s []int\nvar u []chan int\ngo P { s = append(u, 1) }",
        3,
        19,
        "cannot use u ([]chan int) as []int in assignment to 's'",
    ),
    (
        "append-expr",
        "var s []int\ngo P { r = len(append(s, 1)) }",
        2,
        16,
        "len of a slice expression: assign the slice to a variable first",
    ),
    ("assign-int", "var s []int\ngo P { s = 1 }", 2, 12, "cannot use an integer as []int in assignment to 's'"),
    ("as-int", "var s []int\ngo P { r = s + 1 }", 2, 12, "'s' is a slice, not an integer"),
    (
        "cond",
        "var s []int\ngo P { s = append(s, 1) }\nexists (s[0] == 1)",
        3,
        9,
        "a condition cannot read the slice 's': read it into a register",
    ),
    (
        "delete",
        "var s []int\ngo P { delete(s, 0) }",
        2,
        15,
        "'s' is not a map: delete needs a map ('s := make(map[int]int)')",
    ),
    (
        "lookup",
        "var s []int\ngo P { v, ok := s[0] }",
        2,
        8,
        "'s' is not a map: 'v, ok := m[k]' needs a map ('s := make(map[int]int)')",
    ),
    (
        "make-chan-elem",
        "var s []int\ngo P { s = make([]chan int, 1) }",
        2,
        12,
        "cannot use make([]chan int) as []int in assignment to 's'",
    ),
    (
        "append-str",
        'var s []int\ngo P { s = append(s, "a") }',
        2,
        22,
        "cannot use a string as int in append to a []int",
    ),
    (
        "pass",
        "var s []int\nfunc f(n int) { }\ngo P { f(s) }",
        3,
        10,
        "cannot use s (a slice) as int in argument 'n' of 'f'",
    ),
    ("redeclare-append", "var append int\ngo P { r = 1 }", 1, 5, "'append' is predeclared and cannot be redeclared"),
    (
        "local-as-int-arg",
        "func f(n int) { }\ngo P { s := make([]int, 1)\nf(s) }",
        3,
        3,
        "cannot use s (a []int) as int in argument 'n' of 'f'",
    ),
    ("local-send", "go P { s := make([]int, 1)\ns <- 1 }", 2, 1, "'s' is a []int, not a channel"),
    (
        "compare-slices",
        "go P { s := make([]int, 1)\nt := s\nif s == t { r = 2 } }",
        3,
        4,
        "invalid operation: []int can only be compared to nil",
    ),
    (
        "chan-element-int",
        "go P { chans := make([]chan int, 1)\nchans[0] = 1 }",
        2,
        12,
        "cannot use an integer as chan int in assignment to an element of 'chans': pass a channel or nil",
    ),
    (
        "chan-element-as-int",
        "go P { chans := make([]chan int, 1)\nr = chans[0] }",
        2,
        5,
        "'chans[...]' is a chan int, not an integer",
    ),
    (
        "return-int",
        "func f() []int {\nreturn 1\n}\ngo P { f() }",
        2,
        8,
        "cannot use an integer as []int in return value of 'f'",
    ),
    (
        "append-nil",
        "go P { s := append(nil, 1) }",
        1,
        20,
        "first argument to append must be a typed slice; have untyped nil",
    ),
    (
        "cond-register",
        "go P { s := make([]int, 1) }\nexists (P:s == 0)",
        2,
        9,
        "'P:s' is a []int: a condition reads integers",
    ),
    (
        "local-make-negative",
        "go P { s := make([]int, -1) }",
        1,
        13,
        "invalid argument: negative size in make([]int, ...)",
    ),
    (
        "append-chan-to-ints",
        "go P { var s []int\ns = append(s, make(chan int)) }",
        2,
        15,
        "cannot use make(chan int) as int in append to a []int",
    ),
    (
        "slice-to-chan",
        "go P { c := make(chan int)\ns := make([]int, 1)\nc = s }",
        3,
        5,
        "cannot use s ([]int) as chan int in assignment to 'c'",
    ),
]


def test_slices_are_values_of_bodies_parameters_and_results():
    p = program(
        "litmus Values\nfunc f(s []int, cs []chan int) []int {\n    c := cs[0]\n    c <- 1\n"
        "    return append(s, 1)\n}\n"
        "go P {\n    s := make([]int, 0, 2)\n    var cs []chan int\n    cs = append(cs, make(chan int, 1))\n"
        "    t := f(s, cs)\n    for i, c := range cs { <-c\n r = i }\n    n = len(t)\n}\n"
    )
    assert p.chan_types["P"] == {"s": "[]int", "cs": "[]chan int", "t": "[]int", "c": "chan int"}
    assert p.chan_types["f"] == {"c": "chan int", "s": "[]int", "cs": "[]chan int"}
    assert p.registers["P"] >= {"s", "cs", "t", "r", "n", "i"} and p.frame_regs["f"] >= {"s", "cs", "c"}
    assert (p.slice_at.line, p.slice_aliases) == (2, True)


@pytest.mark.parametrize("name,body,line,col,message", BAD, ids=[b[0] for b in BAD])
def test_a_misused_slice_is_one_located_error(name, body, line, col, message):
    assert located_error(body) == (line, col, message)
