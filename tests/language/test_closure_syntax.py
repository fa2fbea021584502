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


def test_a_function_value_is_lifted_and_each_call_passes_what_it_captures():
    text = """litmus Values
var o sync.Once
go main {
    k := 1
    add := func(v int) int { return v + k }
    f := func() { r = add(2) }
    g := func() { }
    go f()
    defer f()
    s := add(3) * 2
    o.Do(g)
}
"""
    p = program(text)
    add, f = p.funcs["main_func1"], p.funcs["main_func2"]
    assert (add.result, [(q.name, q.type) for q in add.params or ()]) == ("int", [("v", "int"), ("k", "*int")])
    # f calls add, so it captures what add captures, and passes it on
    assert [(q.name, q.type) for q in f.params or ()] == [("k", "*int")]
    body = p.goroutines[0].body
    assert not any(isinstance(n, ast.FuncValue) for n in ast.nodes(body))  # the definitions are gone
    calls = [
        (n.func, len(n.args)) if isinstance(n, ast.GoStmt) else (n.name, len(n.args))
        for n in ast.nodes(body)
        if isinstance(n, ast.GoStmt | ast.Call | ast.CallExpr)
    ]
    assert ("main_func2", 1) in calls and ("main_func1", 2) in calls
    once = next(n for n in ast.nodes(body) if isinstance(n, ast.MethodCall) and n.method == "Do")
    assert once.args[0].name == "main_func3"  # type: ignore[union-attr]
    assert p.goroutines[0].escapes == frozenset({"k"})


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
        (
            "litmus B\nfunc f {\n    atomic.Add(&n, 1)\n}\ngo P { f() }\n",
            "'n' is a register of 'f', which runs on its caller's registers",
            3,
        ),
        (
            "litmus B\nvar d = make(chan int)\nfunc f(c chan int) {\n    atomic.Add(&c, 1)\n}\ngo P { f(d) }\n",
            "atomic.Add needs an integer variable; 'c' is a parameter of type chan int",
            4,
        ),
        ("litmus B\ngo P {\n    f := func() { }\n    g := f\n}\n", "'f' is a function value: it can be called", 4),
        ("litmus B\ngo P {\n    f := func() { }\n    f := func() { }\n}\n", "'f' is already a function value", 4),
        ("litmus B\ngo P {\n    f := func() { f() }\n}\n", "undefined function 'f'", 3),
        (
            "litmus B\nvar o sync.Once\ngo P {\n    n := 1\n    f := func() { n = 2 }\n    o.Do(f)\n}\n",
            "'f' is a function value",
            6,
        ),
    ],
)
def test_bad_literals_and_versions_are_errors_with_locations(text: str, message: str, line: int):
    with pytest.raises(HbError) as err:
        program(text)
    assert message in str(err.value) and err.value.loc is not None and err.value.loc.line == line


def test_func_main_as_go_writes_it_is_the_main_goroutine():
    text = "litmus M\nvar x int\nfunc main() {\n    go func() { x = 1 }()\n    r = x\n}\nexists (main:r == 1)\n"
    p = program(text)
    assert [g.name for g in p.goroutines] == ["main"] and "main" not in p.funcs and p.has_main
    assert p.funcs["main_func1"].closure_of == "main"
    for bad, message in [
        ("func main(n int) { }", "func main must have no arguments and no return values"),
        ("func main() int { return 1 }", "func main must have no arguments and no return values"),
        ("func main { }", "declare the main goroutine as 'func main() { ... }' or 'go main { ... }'"),
    ]:
        with pytest.raises(HbError) as err:
            program(f"litmus B\n{bad}\n")
        assert message in str(err.value) and err.value.loc is not None and err.value.loc.line == 2
