"""Function literals and the Go version line in the language: what parses,
how a literal is lifted (its name, what it captures and how), and what is
rejected, with the line and column of the fault."""

from __future__ import annotations

import pytest
from helpers import program

from hbcheck.errors import HbError
from hbcheck.language import ast


def test_a_literal_becomes_a_function_of_its_own_taking_what_it_captures():
    text = """litmus Lift
go 1.21
var x int
var wg sync.WaitGroup
func worker(id int, c chan int, wg *sync.WaitGroup) {
    n := 0
    go func(k int) {
        n = n + k + id
        c <- x
        wg.Done()
        local = 1
    }(2)
}
go main {
    defer func() {
        recover()
    }()
}
"""
    p = program(text)
    assert p.test.go_version == (1, 21)
    lit = p.funcs["worker_func1"]
    assert lit.closure_of == "worker"
    # its own parameter, then the captured ones by name: ints by pointer, objects as themselves
    assert [(q.name, q.type) for q in lit.params or ()] == [
        ("k", "int"),
        ("c", "chan int"),
        ("id", "*int"),
        ("n", "*int"),
        ("wg", "*sync.WaitGroup"),
    ]
    # a shared variable is not captured; a name only the literal uses is its own register
    assert p.funcs["worker"].escapes == frozenset({"id", "n"})
    go = next(s for s in p.funcs["worker"].body if isinstance(s, ast.GoStmt))
    assert (go.func, [getattr(a, "name", None) for a in go.args]) == ("worker_func1", [None, "c", "id", "n", "wg"])
    deferred = p.goroutines[0].body[0]
    assert isinstance(deferred, ast.Defer) and deferred.call.name == "main_func1"  # type: ignore[union-attr]
    assert p.funcs["main_func1"].params == () and p.goroutines[0].escapes == frozenset()


def test_nested_literals_pass_the_outer_variable_on_and_names_do_not_clash():
    text = """litmus Nested
func main_func1() { }
go main {
    n := 0
    go func() {
        go func() {
            n = 1
        }()
    }()
}
"""
    p = program(text)
    outer, inner = p.funcs["main_func2"], p.funcs["main_func2_func1"]
    assert [(q.name, q.type) for q in outer.params or ()] == [("n", "*int")]
    assert [(q.name, q.type) for q in inner.params or ()] == [("n", "*int")]
    assert p.goroutines[0].escapes == frozenset({"n"}) and outer.escapes == frozenset()


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        (
            "litmus B\nfunc f {\n    go func() { }()\n}\ngo P { f() }\n",
            "a function literal needs a function with a Go signature around it",
            3,
        ),
        ("litmus B\nfunc f(p *int) { }\ngo P { }\n", "syntax error", 2),  # pointers: to sync objects only
        ("litmus B\nvar x int\ngo 1.21\ngo P { }\n", "the Go version ('go 1.N') comes before the declarations", 3),
        ("litmus B\ngo 1.21\ngo 1.22\ngo P { }\n", "a test declares its Go version once", 3),
        ("litmus B\ngo 2.0\ngo P { }\n", "unknown Go version 2.0", 2),
        ("litmus B\ngo P {\n    go func() { break }()\n}\n", "break is not in a loop or select", 3),
        ("litmus B\ngo P {\n    go func(a int) { }()\n}\n", "not enough arguments in call to 'P_func1'", 3),
        ("litmus B\ngo P {\n    go func() { return 1 }()\n}\n", "too many return values", 3),
    ],
)
def test_bad_literals_and_versions_are_errors_with_locations(text: str, message: str, line: int):
    with pytest.raises(HbError) as err:
        program(text)
    assert message in str(err.value) and err.value.loc is not None and err.value.loc.line == line
