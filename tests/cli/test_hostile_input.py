"""Broken and hostile input: a defect met while checking one test is that
test's internal error (the other tests still run and report, and the run
exits 3, the most severe status); texts from the user's files are printed as
they are."""

from __future__ import annotations

import json
import os

import pytest
from helpers import ROOT, lit
from typer.testing import CliRunner

import hbcheck.cli.common as common
from hbcheck.cli.app import app
from hbcheck.language.check import MAX_INT_CHAN_CAP
from hbcheck.machine.hchan import HChan, Item
from hbcheck.nesting import MAX_NESTING, TOO_DEEP

FILES = [lit("mp-buffered.lit"), lit("mp-racy.lit"), lit("fifo.lit")]


def _crash_on(monkeypatch, name: str, crash) -> None:
    real = common.check_file

    def check_file(path, *args, **kwargs):
        if path.name == name:
            crash()
        return real(path, *args, **kwargs)

    monkeypatch.setattr(common, "check_file", check_file)


def _deep() -> None:
    raise RecursionError("maximum recursion depth exceeded")


def _run(tmp_path, *extra: str):
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["run", "--quiet", "--json", str(out), *extra, *map(str, FILES)])
    return result, json.loads(out.read_text())


def test_an_unexpected_error_is_its_test_s_and_the_others_finish(monkeypatch, tmp_path):
    _crash_on(monkeypatch, "mp-racy.lit", _deep)
    result, doc = _run(tmp_path)
    assert result.exit_code == 3
    assert [t["name"] for t in doc["tests"]] == ["MP+buffered", "FIFO+cap3"]
    (error,) = doc["errors"]
    assert error["file"] == str(FILES[1])
    assert error["message"].startswith("internal error: RecursionError: maximum recursion depth exceeded (at ")
    assert f"{FILES[1]}: internal error: RecursionError" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    # the summary is printed, the crash counted as hbcheck's, not the file's
    assert "Total: 3 tests, 2 passed, 0 failed, 1 internal error" in result.stdout
    assert "bad input" not in result.stdout


def test_in_worker_processes_too(monkeypatch, tmp_path):
    _crash_on(monkeypatch, "mp-racy.lit", _deep)
    result, doc = _run(tmp_path, "-j", "2")
    assert result.exit_code == 3 and [t["name"] for t in doc["tests"]] == ["MP+buffered", "FIFO+cap3"]
    assert doc["errors"][0]["message"].startswith("internal error: RecursionError")


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="-j 2 runs in this process on one core")
def test_a_worker_that_dies_is_an_internal_error_not_a_lost_run(monkeypatch, tmp_path):
    _crash_on(monkeypatch, "fifo.lit", lambda: os._exit(9))
    result, doc = _run(tmp_path, "-j", "2")
    assert result.exit_code == 3
    died = [e for e in doc["errors"] if "its worker process died" in e["message"]]
    assert str(FILES[2]) in {e["file"] for e in died}
    assert {t["name"] for t in doc["tests"]} | {e["file"] for e in doc["errors"]} >= {"MP+buffered", str(FILES[2])}
    assert "Traceback" not in result.stderr + result.stdout


def test_source_lines_in_errors_and_texts_in_tables_are_printed_verbatim(tmp_path):
    # rich read ":x:" as an emoji code: a model line "root:x:0" was shown as "root❌0"
    cat = tmp_path / "bad.cat"
    cat.write_text("let a = root:x:0 [bold]red[/bold]\n")
    result = CliRunner().invoke(app, ["run", "-m", str(cat), str(lit("mp-buffered.lit"))])
    assert result.exit_code == 2
    assert "    let a = root:x:0 [bold]red[/bold]\n" in result.stderr
    test = tmp_path / "p.lit"
    test.write_text('litmus X\ngo P0 { panic(":x: [bold]y[/bold]") }\n')
    result = CliRunner().invoke(app, ["run", str(test)])
    assert "panic: :x: [bold]y[/bold] (P0, line 2)" in result.stdout


@pytest.mark.parametrize("name", ["/etc/passwd", "../../../etc/passwd", "/bin/ls", "sub/go.cat", ".hidden.cat"])
def test_an_include_names_a_model_file_and_nothing_else(tmp_path, name):
    # include "/etc/passwd" read the file and printed its first line in the error
    model = tmp_path / "m.cat"
    model.write_text(f'"m"\ninclude "{name}"\n')
    result = CliRunner().invoke(app, ["run", "--model", str(model), str(lit("mutex.lit"))])
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        f"{model}:2:1: cannot include '{name}': an include names a .cat file beside the model or in models/, no path"
    )
    assert "root:x:0" not in result.stderr and "Traceback" not in result.stderr


def test_a_model_beside_the_includer_or_shipped_is_included(tmp_path):
    (tmp_path / "extra.cat").write_text('"extra"\nlet mine = po\n')
    model = tmp_path / "m.cat"
    model.write_text('"m"\ninclude "go"\ninclude "extra.cat"\ndeclare drf-sc\n')
    result = CliRunner().invoke(app, ["run", "--model", str(model), str(lit("mutex.lit"))])
    assert result.exit_code == 0, result.stderr


def test_a_model_that_is_not_utf8_is_located_and_not_shown(tmp_path):
    model = tmp_path / "m.cat"
    model.write_bytes(b'"m"\nlet a = \xe9\n')
    result = CliRunner().invoke(app, ["run", "--model", str(model), str(lit("mutex.lit"))])
    assert result.exit_code == 2 and result.stderr == f"{model}:2:9: not a model: not UTF-8 text\n"
    # the same for a file it includes (one beside it, named .cat)
    (tmp_path / "bin.cat").write_bytes(b"\x7fELF\x02\x01\x01\xff\n")
    model.write_text('"m"\ninclude "bin.cat"\n')
    result = CliRunner().invoke(app, ["run", "--model", str(model), str(lit("mutex.lit"))])
    assert result.exit_code == 2 and result.stderr == f"{tmp_path / 'bin.cat'}:1:8: not a model: not UTF-8 text\n"


def test_a_test_that_is_not_utf8_is_located_a_bom_is_accepted_a_fifo_refused(tmp_path):
    bad = tmp_path / "u.lit"
    bad.write_bytes(b'litmus U\n"caf\xe9"\ngo P0 { r = 1 }\n')
    result = CliRunner().invoke(app, ["run", str(bad)])
    assert result.exit_code == 2 and result.stderr.splitlines()[0] == f"{bad}:2:5: not a test: not UTF-8 text"
    bom = tmp_path / "b.lit"
    bom.write_bytes(b"\xef\xbb\xbflitmus B\ngo P0 { r = 1 }\nexpect no race\n")
    assert CliRunner().invoke(app, ["run", "--quiet", str(bom)]).exit_code == 0
    folder = tmp_path / "folder"
    folder.mkdir()
    os.mkfifo(folder / "x.lit")  # reading it would block for ever
    result = CliRunner().invoke(app, ["run", "--quiet", str(folder)])
    assert result.exit_code == 2
    assert result.stderr == f"error: cannot read {folder / 'x.lit'}: not a regular file\n"


@pytest.mark.parametrize("name", ["trueval", "nilx", "structure", "atomicity", "falsey"])
def test_a_name_that_starts_with_a_keyword_is_a_name(tmp_path, name):
    test = tmp_path / "k.lit"
    test.write_text(f"litmus K\nvar {name} int\ngo P0 {{ {name} = 1 }}\nexists ({name} == 1)\nexpect always\n")
    result = CliRunner().invoke(app, ["run", "--quiet", str(test)])
    assert result.exit_code == 0, result.stderr


def _refused(tmp_path, body: str):
    """Run a test of ``body``, which must be refused as bad input (exit 2)."""
    test = tmp_path / "t.lit"
    test.write_text(f"litmus T\n{body}\n")
    result = CliRunner().invoke(app, ["run", str(test)])
    assert result.exit_code == 2, result.stdout
    return test, result.stderr


@pytest.mark.parametrize(
    "body,error",
    [
        ("go init { r = 1 }", "2:4: 'init' names the initial writes: call the goroutine otherwise"),
        ("func init { r = 1 }\ngo P0 { go init() }", "3:9: 'init' names the initial writes: start a function"),
        ("var x int\ngo P0 { x = 9223372036854775808 }", "3:13: constant 9223372036854775808 overflows int (int64)"),
        ("var x int\ngo P0 { x = 1" + "0" * 5000 + " }", "3:13: constant 100000000000...000000 (5001 digits)"),
        ('go P0 { panic("bad \\x escape") }', "2:20: unknown escape sequence \\x"),
        ('go P0 { panic("\\N{BULLET}") }', "2:16: unknown escape sequence \\N"),
        ('go P0 { panic("\\ud800") }', "2:16: escape sequence \\ud800 is an invalid Unicode code point"),
        ('go P0 { panic("\\xe9") }', "2:16: escape sequence \\xe9 is a byte past ASCII: write the character"),
        ('"bad \\q"\ngo P0 { r = 1 }', "2:6: unknown escape sequence \\q"),
    ],
)
def test_bad_literals_and_reserved_names_are_located_errors(tmp_path, body, error):
    # each was a traceback (a unicodeescape or int-conversion error), a
    # disagreement between the engines (a literal past int64), or a goroutine
    # that collided with the initial writes
    test, stderr = _refused(tmp_path, body)
    assert stderr.startswith(f"{test}:{error}"), stderr


def test_literals_at_the_ends_of_int64_and_go_s_escapes_are_read(tmp_path):
    test = tmp_path / "t.lit"
    test.write_text(
        "litmus T\nvar x int\ngo P0 { x = -9223372036854775808; r = 9223372036854775807 }\n"
        "exists (x == -9223372036854775808 && P0:r == 9223372036854775807)\nexpect always\n"
    )
    result = CliRunner().invoke(app, ["run", "--engine", "both", str(test)])
    assert result.exit_code == 0, result.stdout
    test.write_text('litmus T\ngo P0 { panic("\\u00e9 \\x41\\101\\t\\"\\\\") }\nexpect panic "é AA\t\\"\\\\"\n')
    result = CliRunner().invoke(app, ["run", str(test)])
    assert result.exit_code == 0, result.stdout


def test_jobs_are_no_more_than_files_and_cores(monkeypatch, tmp_path):
    # -j 100000 forked 100,000 workers up front
    import hbcheck.cli.run as run_module

    asked = []
    real = run_module.ProcessPoolExecutor

    def pool(workers, **kwargs):
        asked.append(workers)
        return real(workers, **kwargs)

    monkeypatch.setattr(run_module, "ProcessPoolExecutor", pool)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    result = CliRunner().invoke(app, ["run", "-q", "-j", "100000", *map(str, FILES)])
    assert result.exit_code == 0 and asked == [2]
    result = CliRunner().invoke(app, ["run", "-q", "-j", "100000", str(FILES[0])])
    assert result.exit_code == 0 and asked == [2]  # one file: no pool at all


def test_go_output_folder_errors_are_clear(tmp_path):
    file = str(lit("mp-buffered.lit"))
    existing = tmp_path / "existing"
    existing.write_text("")
    for target, message in [
        (existing, f"cannot write {existing}: it is a file, not a folder"),
        (tmp_path / "no" / "such", f"cannot write {tmp_path / 'no' / 'such'}: no folder {tmp_path / 'no'}"),
    ]:
        result = CliRunner().invoke(app, ["go", file, "-o", str(target)])
        assert result.exit_code == 2 and result.stderr == f"error: {message}\n"
    assert not (tmp_path / "no").exists()


def test_graph_output_errors_are_clear_before_the_search(tmp_path):
    # a missing folder reached dot after the search ("dot failed: Could not open"); /proc/self got
    # "cannot write ''"
    file = str(lit("mp-racy.lit"))
    for target, message in [
        (tmp_path / "no" / "g.svg", f"cannot write {tmp_path / 'no' / 'g.svg'}: no folder {tmp_path / 'no'}"),
        (tmp_path / "g.jpg", f"cannot write {tmp_path / 'g.jpg'}: name it .dot, .svg, .png or .pdf"),
        (tmp_path, f"cannot write {tmp_path}: name it .dot, .svg, .png or .pdf"),
    ]:
        result = CliRunner().invoke(app, ["graph", file, "--race", "-o", str(target)])
        assert (result.exit_code, result.stderr) == (2, f"error: {message}\n")
    assert not (tmp_path / "no").exists()


def test_a_solver_timeout_z3_cannot_take_is_refused():
    result = CliRunner().invoke(app, ["run", "--solver-timeout", "inf", str(FILES[0])])
    assert result.exit_code == 2 and "--solver-timeout" in result.stderr and "Traceback" not in result.stderr


def _nest(n: int, head: str, tail: str, inner: str) -> str:
    return head * n + inner + tail * n


@pytest.mark.parametrize(
    "body,where",
    [
        ("go P0 {\n" + _nest(243, "if r == 0 {\n", "}\n", "r = 1\n") + "}", "112:1"),
        ("go P0 {\n" + _nest(243, "for i := 0; i < 1; i++ {\n", "}\n", "r = 1\n") + "}", "112:1"),
        ("go P0 { r = " + _nest(240, "(", ")", "1") + " }", "2:121"),
        ("go P0 { r = " + " + ".join(["1"] * 973) + " }", "2:3513"),
        (
            "var c = make(chan int, 1)\ngo P0 {\n" + _nest(60, "select {\ncase c <- 1:\n", "}\n", "r = 1\n") + "}",
            "103:1",
        ),
    ],
    ids=["ifs", "fors", "parentheses", "sum", "selects"],
)
def test_input_nested_past_the_limit_is_a_located_error(tmp_path, body, where):
    # each overflowed Python's stack in the parser or a later stage (a traceback, or exit 3)
    test, stderr = _refused(tmp_path, body)
    assert stderr.startswith(f"{test}:{where}: {TOO_DEEP}"), stderr


def test_input_nested_to_the_limit_runs_in_every_stage(tmp_path):
    # every stage recurses on the program: the deepest input the parser takes
    # goes through both engines, the Go and the Promela emitters
    bodies = [
        "go P0 {\n" + _nest(MAX_NESTING - 5, "if x == 0 {\n", "}\n", "r = 1\n") + "}",
        "go P0 { r = " + _nest(MAX_NESTING, "(", ")", "x") + " }",
        "go P0 { r = " + " + ".join(["x"] * (MAX_NESTING - 5)) + " }",
    ]
    for body in bodies:
        test = tmp_path / "t.lit"
        test.write_text(f"litmus T\nvar x int\n{body}\nexists (P0:r == 1)\n")
        for args in (
            ["run", "--engine", "both"],
            ["go", "-o", str(tmp_path / "go")],
            ["promela", "-o", str(tmp_path / "t.pml")],
        ):
            result = CliRunner().invoke(app, [*args, str(test)])
            assert result.exit_code == 0, (args, result.stdout, result.stderr)


@pytest.mark.parametrize(
    "exp,where",
    [("po" + "+" * 1000, "1:9"), (" | ".join(["po"] * 500), "1:1919"), (" ; ".join(["po"] * 500), "1:1919")],
    ids=["postfix", "union", "sequence"],
)
def test_a_model_nested_past_the_limit_is_a_located_error(tmp_path, exp, where):
    model = tmp_path / "deep.cat"
    model.write_text(f"let r = {exp}\nacyclic r as c\n")
    result = CliRunner().invoke(app, ["run", "--model", str(model), str(FILES[0])])
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith(f"{model}:{where}: {TOO_DEEP}"), result.stderr


def test_a_channel_capacity_go_refuses_is_located_and_a_large_legal_one_allocates_nothing(tmp_path):
    # 10**8 allocated a 2.4 GB ring up front, int64's max ran out of memory
    test = tmp_path / "t.lit"
    test.write_text(f"litmus T\nvar c = make(chan int, {MAX_INT_CHAN_CAP + 1})\ngo P0 {{ c <- 1 }}\n")
    result = CliRunner().invoke(app, ["run", str(test)])
    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{test}:2:5: make(chan int, {MAX_INT_CHAN_CAP + 1}) panics in Go: makechan: size out of range"
    )
    for cap in (MAX_INT_CHAN_CAP, 10**8):
        test.write_text(
            f"litmus T\nvar c = make(chan int, {cap})\nvar d = make(chan struct{{}}, 9223372036854775807)\n"
            "go P0 { c <- 1; c <- 2; r = <-c; d <- struct{}{} }\nexists (P0:r == 1)\nexpect always\n"
        )
        result = CliRunner().invoke(app, ["run", "--engine", "both", str(test)])
        assert result.exit_code == 0, result.stdout
    c = HChan("c", 10**8)  # the ring holds what is buffered, shown oldest first
    for v in (1, 2, 3):
        c.enqueue(Item(v, 0))
    c.dequeue()
    assert (len(c.buf), c.ring(), c.copy().ring()) == (2, [2, 3], [2, 3])


def _traced(tmp_path):
    """A test and a trace of its race saved by ``hbcheck trace --save``."""
    test, trace = tmp_path / "t.lit", tmp_path / "t.json"
    test.write_text(lit("mp-racy.lit").read_text())
    assert CliRunner().invoke(app, ["trace", str(test), "--race", "--save", str(trace)]).exit_code == 0
    return test, trace, json.loads(trace.read_text())


def _mangled(doc: dict, **fields) -> str:
    return json.dumps({**doc, **fields})


@pytest.mark.parametrize(
    "mangle,error",
    [
        (lambda d: _mangled(d, events=[e[:2] for e in d["events"]]), "'] is too short"),
        (lambda d: _mangled(d, version=True), ": not an hbcheck trace: at version: 1 was expected"),
        (lambda d: _mangled(d, version=2), ": an hbcheck trace of version 2; this hbcheck reads version 1"),
        (lambda d: _mangled(d, schedule=[["P0", [1]]]), ": not an hbcheck trace: at schedule/0/1: [1] is not of type"),
        (lambda d: _mangled(d, final={"registers": 5}), ": not an hbcheck trace: at final: 'variables' is a required"),
        (lambda d: _mangled(d, schedule=[["P0", 10**30]]), " is greater than the maximum of 1000000"),
        (lambda d: _mangled(d, sha256="x"), ": not an hbcheck trace: at sha256: 'x' does not match"),
        (lambda d: _mangled(d).replace('"schedule": [', '"schedule": [["P0", ' + "9" * 5000 + "], "), "limit (4300"),
        (lambda d: "[" * 100_000 + "]" * 100_000, ": not an hbcheck trace: JSON nested too deep"),
        (lambda d: _mangled(d, test="Other"), " was saved from the test 'Other', not from "),
    ],
)
def test_a_malformed_or_foreign_trace_is_refused_before_its_replay(tmp_path, mangle, error):
    # each was a traceback (IndexError, ValueError, RecursionError) or a replay of the wrong test
    test, trace, doc = _traced(tmp_path)
    trace.write_text(mangle(doc))
    result = CliRunner().invoke(app, ["replay", str(test), str(trace)])
    assert result.exit_code == 2, result.stdout
    assert error in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_a_trace_that_is_not_utf8_is_located_and_an_edited_test_is_noted_then_replayed(tmp_path):
    test, trace, doc = _traced(tmp_path)
    trace.write_bytes(b'{"schema": "\xe9"}')
    result = CliRunner().invoke(app, ["replay", str(test), str(trace)])
    assert (result.exit_code, result.stderr) == (2, f"{trace}:1:13: not an hbcheck trace: not UTF-8 text\n")
    trace.write_text(json.dumps(doc))
    test.write_text(test.read_text() + "\n")  # the same test, another text: replayed, with a note
    result = CliRunner().invoke(app, ["replay", str(test), str(trace)])
    assert result.exit_code == 0 and "same final state" in result.stdout
    assert result.stderr == f"note: {test} has changed since {trace} was saved; replaying it on the new text\n"


@pytest.mark.parametrize(
    "mangle,error",
    [
        (lambda t: t[0].update(findings=5), "at tests/0/findings: 5 is not of type 'array'"),
        (lambda t: t[0].update(states=[{"x": "a"}]), "at tests/0/states/0/x: 'a' is not of type 'integer'"),
        (lambda t: t[1].pop("observation"), "at tests/1: 'observation' is a required property"),
        (lambda t: t[0]["findings"].append({"kind": "race"}), "at tests/0/findings/0: 'text' is a required property"),
    ],
)
def test_a_baseline_is_checked_against_the_results_schema_before_use(tmp_path, mangle, error):
    # wrongly typed fields were TypeError and KeyError tracebacks
    base = tmp_path / "base.json"
    assert CliRunner().invoke(app, ["run", "-q", "--json", str(base), *map(str, FILES)]).exit_code == 0
    doc = json.loads(base.read_text())
    mangle(doc["tests"])
    base.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["run", "--baseline", str(base), *map(str, FILES)])
    assert (result.exit_code, result.stderr) == (2, f"error: {base}: not an hbcheck results file: {error}\n")
    base.write_text('{"schema": "hbcheck-results", "version": 1, "tests": ' + "[" * 50_000 + "]" * 50_000 + "}")
    result = CliRunner().invoke(app, ["run", "--baseline", str(base), *map(str, FILES)])
    assert result.stderr == f"error: {base}: not an hbcheck results file: JSON nested too deep\n"


def test_a_state_asked_of_trace_past_int64_is_refused(tmp_path):
    # 5,000 digits was a ValueError traceback (Python's int/str limit)
    for value, shown in [("9" * 5000, "999999999999...999999 (5000 digits)"), ("-9223372036854775809", None)]:
        result = CliRunner().invoke(app, ["trace", str(lit("fifo.lit")), "--state", f"P1:a={value}"])
        assert (result.exit_code, result.stderr) == (
            2,
            f"error: P1:a={shown or value}: past int (int64), no state holds it\n",
        )
    edge = CliRunner().invoke(app, ["trace", str(lit("fifo.lit")), "--state", "P1:a=-9223372036854775808"])
    assert edge.stderr == "error: no execution ends in the state P1:a=-9223372036854775808\n"


def test_flags_of_one_name_are_one_flag_in_both_engines(tmp_path):
    # a second data-race flag before go-races.cat: the explorer kept the first's pairs where the
    # second did not fire, z3 only the last flag's, and the explorer counted an event racing itself
    model = tmp_path / "two-flags.cat"
    shipped = (ROOT / "models" / "go.cat").read_text()
    model.write_text(
        shipped.replace(
            'include "go-races.cat"', 'flag ~empty ([W]; loc; [W]) \\ po as data-race\ninclude "go-races.cat"'
        )
    )
    for name in ("go-sync.cat", "go-visibility.cat", "go-races.cat"):
        (tmp_path / name).write_text((ROOT / "models" / name).read_text())
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        app, ["run", "--engine", "both", "-m", str(model), "--json", str(out), str(lit("mutex.lit"))]
    )
    assert result.exit_code == 0, result.stderr
    assert [f["description"] for f in json.loads(out.read_text())["tests"][0]["findings"]] == [
        "race on x: P0 line 7 (write) vs P1 line 8 (write)",
        "race on x: init line 0 (write) vs P0 line 7 (write)",
        "race on x: init line 0 (write) vs P1 line 8 (write)",
    ]
