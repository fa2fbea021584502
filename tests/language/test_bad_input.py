"""Malformed .lit files: one clear error each, file:line:col, caret, exit 2."""

from __future__ import annotations

from textwrap import dedent

import pytest
from typer.testing import CliRunner

from hbcheck.cli.app import app

HEAD = "litmus Bad\n"

# (name, body after the litmus line, line, col, message)
CASES = [
    ("undeclared-channel", "go P { c <- 1 }\n", 2, 8, "undeclared channel 'c'"),
    ("undeclared-function", "go P { f() }\n", 2, 8, "undefined function 'f'"),
    ("go-undeclared", "go P { go g() }\n", 2, 8, "undefined function 'g'"),
    ("break-outside-loop", "go P {\n  x := 1\n  break\n}\n", 4, 3, "break is not in a loop or select"),
    ("continue-outside-loop", "go P { continue }\n", 2, 8, "continue is not in a loop"),
    ("main-never-declared", "go P { r = 1 }\nexists (main:r == 1)\n", 3, 9, "no goroutine named 'main'"),
    ("unknown-goroutine", "go P { r = 1 }\nexists (Q:r == 1)\n", 3, 9, "no goroutine named 'Q'"),
    ("unknown-register", "go P { r = 1 }\nexists (P:s == 1)\n", 3, 9, "goroutine 'P' has no register 's'"),
    ("close-non-channel", "var x int\ngo P { close(x) }\n", 3, 14, "'x' is an integer variable, not a channel"),
    ("close-arity", "var c = make(chan int)\ngo P { close(c, c) }\n", 3, 8, "close takes exactly 1 argument, got 2"),
    ("wg-add-arity", "var wg sync.WaitGroup\ngo P { wg.Add() }\n", 3, 8, "wg.Add takes 1 argument, got 0"),
    ("lock-arity", "var mu sync.Mutex\ngo P { mu.Lock(1) }\n", 3, 8, "mu.Lock takes 0 arguments, got 1"),
    ("call-with-args", "func f { }\ngo P { f(1) }\n", 3, 10, "'f' takes no arguments (a function without parentheses"),
    ("atomic-arity", "var x int\ngo P { atomic.Store(&x) }\n", 3, 8, "atomic.Store takes 2 arguments, got 1"),
    ("unknown-statement", "go P {\n  x++\n}\n", 3, 4, "syntax error: unexpected '++'"),
    ("unknown-keyword", "go P {\n  goto x\n}\n", 3, 3, "unknown statement 'goto'"),
    ("unknown-switch", "go P {\n  switch x { }\n}\n", 3, 3, "unknown statement 'switch'"),
    ("missing-separator", "go P {\n  r = 1 r = 2\n}\n", 3, 9, "a newline or ';' must end the statement"),
    (
        "struct-chan-int-send",
        "var c = make(chan struct{}, 1)\ngo P { c <- 1 }\n",
        3,
        13,
        "'c' is a chan struct{}: send struct{}{}",
    ),
    ("struct-chan-value", "var c = make(chan struct{})\ngo P { v = <-c }\n", 3, 8, "its values cannot be stored"),
    ("unit-elsewhere", "go P { r = struct{}{} }\n", 2, 12, "struct{}{} is only sent on a chan struct{}"),
    ("unknown-method", "var mu sync.Mutex\ngo P { mu.RLock() }\n", 3, 8, "sync.Mutex has no method 'RLock'"),
    ("unknown-type", "var s string\ngo P { }\n", 2, 5, "unknown type 'string'"),
    ("channel-as-integer", "var c = make(chan int)\ngo P { r = c + 1 }\n", 3, 12, "'c' is a channel, not an integer"),
    ("unknown-expectation", "go P { }\nexpect racy\n", 3, 8, "unknown expectation 'racy'"),
    ("observation-without-condition", "go P { }\nexpect never\n", 3, 1, "needs a condition"),
    ("duplicate", "var x int\nvar x int\ngo P { }\n", 3, 5, "'x' redeclared (first declared at line 2)"),
    ("no-goroutine", "var x int\n", 1, 1, "the test declares no goroutine"),
    (
        "condition-after-expect",
        "go P { r = 1 }\nexpect no panic\nexists (P:r == 1)\n",
        4,
        1,
        "the condition must come before the expect lines",
    ),
    ("unterminated-block", "go P {\n  r = 1\n", 3, 8, "syntax error: unexpected end of file"),
    ("bad-character", "go P { r = 1 $ }\n", 2, 14, "syntax error: unexpected character '$'"),
    ("negative-capacity", "var c = make(chan int, -1)\ngo P { }\n", 2, 5, "negative buffer argument"),
    (
        "register-in-condition-without-goroutine",
        "go P { r = 1 }\nexists (r == 1)\n",
        3,
        9,
        "'r' is not a shared variable",
    ),
    ("text-on-deadlock", 'go P { }\nexpect deadlock "x"\n', 3, 17, "only 'panic' takes a text"),
    # functions as in Go: signatures, arguments, results
    ("sig-arity", "func f(a int, b int) { }\ngo P { f(1) }\n", 3, 8, "not enough arguments in call to 'f'"),
    ("sig-too-many", "func f(a int) { }\ngo P { go f(1, 2) }\n", 3, 8, "too many arguments in call to 'f'"),
    (
        "sig-chan-for-int",
        "var c = make(chan int)\nfunc f(a int) { }\ngo P { f(c) }\n",
        4,
        10,
        "cannot use c (a channel) as int in argument 'a' of 'f'",
    ),
    (
        "sig-int-for-chan",
        "func f(c chan int) { }\ngo P { f(1 + 2) }\n",
        3,
        10,
        "as chan int in argument 'c' of 'f': pass a channel or nil",
    ),
    (
        "sig-wrong-pointer",
        "var mu sync.Mutex\nfunc f(wg *sync.WaitGroup) { wg.Done() }\ngo P { f(&mu) }\n",
        4,
        11,
        "cannot use &mu (a pointer to a sync.Mutex) as *sync.WaitGroup",
    ),
    ("sig-bool-for-int", "func f(a int) { }\ngo P { f(r == 1) }\n", 3, 10, "cannot use bool as int"),
    ("sig-missing-value", "func f() int {\n  return\n}\ngo P { }\n", 3, 3, "not enough return values: 'f' returns int"),
    ("sig-extra-value", "func f() {\n  return 1\n}\ngo P { }\n", 3, 10, "too many return values: 'f' has no result"),
    ("sig-goroutine-value", "go P {\n  return 1\n}\n", 3, 10, "too many return values"),
    ("sig-missing-return", "func f(a int) int {\n  if a > 0 { return 1 }\n}\ngo P { }\n", 2, 6, "missing return"),
    ("sig-no-result-as-value", "func f() { }\ngo P { r = f() + 1 }\n", 3, 12, "'f()' has no result"),
    ("sig-undeclared-in-expr", "go P { r = g(1) + 1 }\n", 2, 12, "undefined function 'g'"),
    ("sig-unknown-param-type", "func f(s string) { }\ngo P { }\n", 2, 8, "unsupported parameter type 'string'"),
    ("sig-assign-chan-param", "func f(c chan int) {\n  c = 1\n}\ngo P { }\n", 3, 3, "cannot assign to 'c'"),
    ("sig-bad-param-syntax", "func f(a) { }\ngo P { }\n", 2, 9, "syntax error: unexpected ')'"),
    ("once-do-goroutine", "var o sync.Once\ngo P { o.Do(P) }\n", 3, 13, "'P' is a goroutine"),
    ("array-local-elem", "go P {\n  var a [3]bool\n}\n", 3, 7, "unsupported array element type 'bool'"),
    ("array-local-too-long", "go P {\n  var a [100]int\n}\n", 3, 7, "an array of 100 elements: hbcheck keeps"),
    ("array-local-shadows", "var a int\ngo P {\n  var a [3]int\n}\n", 4, 7, "the local array 'a' shadows the shared"),
    (
        "array-local-captured",
        "go P {\n  var a [3]int\n  go func() { a[1] = 2 }()\n}\n",
        3,
        7,
        "the local array 'a' is captured by a function literal, which is not supported yet",
    ),
    ("array-local-whole", "go P {\n  var a [3]int\n  a = 3\n}\n", 4, 3, "cannot assign to the array 'a' as a whole"),
    ("array-local-as-int", "go P {\n  var a [3]int\n  r = a + 1\n}\n", 4, 7, "'a' is an array ([3]int)"),
    ("array-local-const-index", "go P {\n  var a [3]int\n  a[5] = 1\n}\n", 4, 5, "index 5 out of bounds [0:3]"),
    (
        "array-local-redeclared",
        "go P {\n  var a [3]int\n  if true { var a [2]int }\n}\n",
        4,
        17,
        "'a' redeclared with another type in this body",
    ),
    (
        "array-local-in-condition",
        "go P {\n  var a [3]int\n  a[1] = 2\n}\nexists (a[1] == 2)\n",
        6,
        9,
        "a condition cannot read the local array 'a'",
    ),
]


@pytest.mark.parametrize("name,body,line,col,message", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_located_error_with_exit_2(tmp_path, name, body, line, col, message):
    path = tmp_path / f"{name}.lit"
    path.write_text(HEAD + body)
    result = CliRunner().invoke(app, ["run", str(path)])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert "Traceback" not in err + result.output
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:{line}:{col}: "), first
    assert message in first
    lines = err.splitlines()
    caret = lines[2]
    assert caret.strip() == "^" and len(caret) - 1 - 4 == col - 1  # four spaces of indent


def test_at_least_fifteen_error_classes():
    assert len(CASES) >= 15


def test_a_bad_file_does_not_stop_the_others(tmp_path):
    bad = tmp_path / "bad.lit"
    bad.write_text("litmus Bad\ngo P { c <- 1 }\n")
    good = tmp_path / "good.lit"
    good.write_text(
        dedent("""\
        litmus Good
        go P { r = 1 }
        forall (P:r == 1)
        expect always
    """)
    )
    result = CliRunner().invoke(app, ["run", str(bad), str(good)])
    assert result.exit_code == 2
    assert "Test Good Required" in result.stdout
    assert "Observation Good Always 1 0" in result.stdout


def test_missing_file_and_empty_folder_are_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["run", str(tmp_path / "nope.lit"), str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.lit'}: error: no such file" in result.stderr
    assert "no .lit files in this folder" in result.stderr
