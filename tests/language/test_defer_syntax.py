"""``defer`` and ``recover()`` in the language: what parses, what the
checker rejects, with the line and column of the fault."""

from __future__ import annotations

import pytest
from helpers import program

from hbcheck.errors import HbError
from hbcheck.language import ast


def test_defer_takes_calls_of_functions_methods_and_builtins():
    text = """litmus Ok
var mu sync.Mutex
var wg sync.WaitGroup
var c = make(chan int)
func f(k int) { }
func g { }
go P {
    defer f(1)
    defer g()
    defer mu.Unlock()
    defer wg.Add(2)
    defer close(c)
    defer panic("x")
    defer recover()
    recover()
    if recover() == nil { r = 1 }
}
"""
    body = program(text).goroutines[0].body
    calls = [s.call for s in body if isinstance(s, ast.Defer)]
    assert [(type(c).__name__, getattr(c, "name", None) or c.method) for c in calls] == [
        ("Call", "f"),
        ("Call", "g"),
        ("MethodCall", "Unlock"),
        ("MethodCall", "Add"),
        ("Call", "close"),
        ("Call", "panic"),
        ("Call", "recover"),
    ]
    assert [s.loc.line for s in body if isinstance(s, ast.Defer)] == [8, 9, 10, 11, 12, 13, 14]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("r = recover()", "recover()'s value can only be compared with nil"),
        ("if recover() == 1 { }", "recover() is compared only with nil"),
        ("recover(1)", "too many arguments to recover"),
        ("defer x", "syntax error"),
        ("defer g()", "undefined function 'g'"),
        ("defer mu.Lock()", "undeclared"),
        ("defer close(x)", "'x' is an integer variable, not a channel"),
        ("defer r = 1", "syntax error"),
        ("defer rand.Intn(2)", "defer rand.Intn(...) chooses a value nobody sees"),
    ],
)
def test_bad_defer_and_recover_are_errors_with_locations(body: str, message: str):
    text = f"litmus Bad\nvar x int\ngo P {{\n    {body}\n}}\n"
    with pytest.raises(HbError) as err:
        program(text)
    assert message in str(err.value) and err.value.loc is not None and err.value.loc.line == 4
