"""Maps in the language: what parses, and what is rejected with the line and
column of the fault (shared maps of ints and bools only, so far)."""

from __future__ import annotations

import pytest
from helpers import located_error, program

from hbcheck.errors import HbError


def test_a_map_is_a_shared_variable_of_its_own_kind():
    p = program(
        "litmus Maps\nvar m = make(map[int]int, 4)\nvar b map[int]bool\n"
        "go P {\n    m[1] = 2\n    v, ok := m[1]\n    delete(m, 1)\n    for k, v := range m { r = k + v + ok }\n}\n"
    )
    assert (p.shared["m"].kind, p.shared["m"].cap, p.shared["m"].elem) == ("map", 1, "map[int]int")
    assert (p.shared["b"].kind, p.shared["b"].cap, p.shared["b"].elem) == ("map", None, "map[int]bool")
    assert p.registers["P"] == frozenset({"v", "ok", "k", "r"})


BAD = [
    (
        "key-type",
        "var m = make(map[string]int)\ngo P { r = 1 }",
        1,
        5,
        "unsupported map type 'map[string]int' (map[int]int or map[int]bool)",
    ),
    (
        "typed-make",
        "var m map[int]bool = make(map[int]int)\ngo P { r = 1 }",
        1,
        5,
        "cannot initialise 'm' of type map[int]bool with make(map[int]int)",
    ),
    (
        "negative-hint",
        "var m = make(map[int]int, -1)\ngo P { r = 1 }",
        1,
        5,
        "invalid argument: negative size argument in make(map[int]int, -1)",
    ),
    (
        "make-as-int",
        "go P { r := make(map[int]int) + 1 }",
        1,
        13,
        "make(map[int]int) is a map, not an integer",
    ),
    (
        "cap",
        "var m = make(map[int]int)\ngo P { r = cap(m) }",
        2,
        16,
        "invalid argument: m (map[int]int) for built-in cap",
    ),
    ("assign", "var m = make(map[int]int)\ngo P { m = nil }", 2, 8, "cannot assign to 'm': it is a map"),
    ("as-int", "var m = make(map[int]int)\ngo P { r = m + 1 }", 2, 12, "'m' is a map, not an integer"),
    (
        "delete-chan",
        "var c = make(chan int)\ngo P { delete(c, 1) }",
        2,
        15,
        "'c' is not a map: delete needs a map ('c := make(map[int]int)')",
    ),
    (
        "delete-arity",
        "var m = make(map[int]int)\ngo P { delete(m) }",
        2,
        8,
        "delete takes exactly 2 arguments (a map and a key), got 1",
    ),
    (
        "lookup-array",
        "var a [2]int\ngo P { v, ok := a[1] }",
        2,
        8,
        "'a' is not a map: 'v, ok := m[k]' needs a map ('a := make(map[int]int)')",
    ),
    (
        "range-chan-two",
        "var c = make(chan int)\ngo P { for k, v := range c { r = k } }",
        2,
        8,
        "range over a channel permits only one iteration variable",
    ),
    (
        "cond",
        "var m = make(map[int]int)\ngo P { m[1] = 1 }\nexists (m[1] == 1)",
        3,
        9,
        "a condition cannot read the map 'm': read it into a register",
    ),
    (
        "pass",
        "var m = make(map[int]int)\nfunc f(n int) { }\ngo P { f(m) }",
        3,
        10,
        "cannot use m (a map) as int in argument 'n' of 'f'",
    ),
    (
        "send",
        "var m = make(map[int]int)\nvar c = make(chan int, 1)\ngo P { c <- m }",
        3,
        13,
        "'m' is a map, not an integer",
    ),
    ("redeclare-delete", "var delete int\ngo P { r = 1 }", 1, 5, "'delete' is predeclared and cannot be redeclared"),
    (
        "undeclared-lookup",
        "go P { v, ok := q[1] }",
        1,
        8,
        "'q' is undeclared: 'v, ok := m[k]' needs a map ('q := make(map[int]int)')",
    ),
    (
        "init-int",
        "var m map[int]int = 1\ngo P { r = 1 }",
        1,
        5,
        "cannot initialise 'm' of type map[int]int with an integer",
    ),
    (
        "local-wrong-type",
        "go P { m := make(map[int]int)\nvar b map[int]bool\nb = m }",
        3,
        5,
        "cannot use m (map[int]int) as map[int]bool in assignment to 'b'",
    ),
    (
        "compare-maps",
        "go P { m := make(map[int]int)\nt := m\nif m == t { r = 1 } }",
        3,
        4,
        "invalid operation: map[int]int can only be compared to nil",
    ),
    (
        "cap-local",
        "go P { m := make(map[int]int)\nr = cap(m) }",
        2,
        9,
        "invalid argument: m (map[int]int) for built-in cap",
    ),
    (
        "local-unsupported-type",
        "go P { m := make(map[int]string) }",
        1,
        13,
        "unsupported map type 'map[int]string' (map[int]int or map[int]bool)",
    ),
    ("map-as-chan", "go P { m := make(map[int]int)\nm <- 1 }", 2, 1, "'m' is a map[int]int, not a channel"),
]


@pytest.mark.parametrize("name,body,line,col,message", BAD, ids=[b[0] for b in BAD])
def test_a_misused_map_is_one_located_error(name, body, line, col, message):
    assert located_error(body) == (line, col, message)


def test_a_range_over_a_map_in_a_recursive_function_without_a_signature_is_refused():
    text = """litmus Rec
var m = make(map[int]int)
var d int
func walk {
    for k := range m {
        if d < 1 {
            d = d + 1
            walk()
        }
    }
}
func main() {
    walk()
}
"""
    with pytest.raises(HbError) as err:
        program(text)
    assert err.value.message.startswith("a range over 'm' in 'walk', a function without a signature that may call")
    assert (err.value.loc.line, err.value.loc.col) == (5, 5)
    program(text.replace("func walk {", "func walk() {"))  # a frame of its own: its own loop


def test_a_map_or_slice_made_as_a_channel_is_refused():
    for typ in ("map[int]int", "[]int"):
        with pytest.raises(HbError) as err:
            program(f"litmus Bad\nvar m {typ} = make(chan int)\ngo P {{ r = 1 }}\n")
        assert err.value.message == f"cannot initialise 'm' of type {typ} with make(chan int)"


def test_maps_are_values_of_bodies_parameters_and_results():
    p = program(
        "litmus Values\nfunc f(m map[int]int) map[int]bool {\n    b := make(map[int]bool, len(m))\n"
        "    for k := range m { b[k] = true }\n    return b\n}\n"
        "go P {\n    var m map[int]int\n    m = make(map[int]int)\n    b := f(m)\n    v, ok := b[1]\n}\n"
    )
    assert p.chan_types["P"] == {"m": "map[int]int", "b": "map[int]bool"}
    assert p.chan_types["f"] == {"b": "map[int]bool", "m": "map[int]int"}
    assert (p.map_at.line, p.map_values) == (2, True)
