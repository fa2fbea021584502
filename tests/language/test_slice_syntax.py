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


SHARED_ONLY = (
    "a shared slice is assigned make([]int, n), nil or an append to itself ('s = append(s, v)'): "
    "slices are shared variables so far"
)
BAD = [
    ("elem-type", "var s []bool\ngo P { r = 1 }", 1, 5, "unsupported slice type '[]bool' (slices of int)"),
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
        "local-make",
        "go P { t := make([]int, 2) }",
        1,
        13,
        "make([]int, ...) is a slice: assign it to a shared slice ('s = make([]int, n)'); "
        "a local slice is not supported yet",
    ),
    (
        "append-other",
        "var s []int\nvar t []int\ngo P { s = append(t, 1) }",
        3,
        12,
        SHARED_ONLY,
    ),
    (
        "append-expr",
        "var s []int\ngo P { r = len(append(s, 1)) }",
        2,
        16,
        "append's result is assigned back to the slice it appends to: 's = append(s, v)'",
    ),
    (
        "assign-int",
        "var s []int\ngo P { s = 1 }",
        2,
        12,
        SHARED_ONLY,
    ),
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
        "'s' is not a map: delete needs a shared map ('var s = make(map[int]int)')",
    ),
    (
        "lookup",
        "var s []int\ngo P { v, ok := s[0] }",
        2,
        8,
        "'s' is not a map: 'v, ok := m[k]' needs a shared map ('var s = make(map[int]int)')",
    ),
    ("make-chan-elem", "var s []int\ngo P { s = make([]chan, 1) }", 2, 12, "cannot assign make([]chan) to 's' ([]int)"),
    ("append-str", 'var s []int\ngo P { s = append(s, "a") }', 2, 22, "append to 's' takes integers"),
    (
        "pass",
        "var s []int\nfunc f(n int) { }\ngo P { f(s) }",
        3,
        10,
        "cannot use s (a slice) as int in argument 'n' of 'f'",
    ),
    ("redeclare-append", "var append int\ngo P { r = 1 }", 1, 5, "'append' is predeclared and cannot be redeclared"),
]


@pytest.mark.parametrize("name,body,line,col,message", BAD, ids=[b[0] for b in BAD])
def test_a_misused_slice_is_one_located_error(name, body, line, col, message):
    assert located_error(body) == (line, col, message)
