"""litmus7 for Go: generated programs, the race-report reader, and the audit."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile

from helpers import ROOT, go_build_failures, goker_files, lit, needs_go, suite_files
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.language import load
from hbcheck.realgo.audit import audit
from hbcheck.realgo.emit import emit_go
from hbcheck.realgo.runner import Observed, parse_races

RACE_REPORT = """
==================
WARNING: DATA RACE
Read at 0x00c000014108 by goroutine 8:
  main.(*env).g_P1()
      mp-racy.lit:12 +0x84
  main.runOnce.func1()
      /tmp/x/main.go:140 +0xa4

Previous write at 0x00c000014108 by goroutine 7:
  main.(*env).g_P0()
      mp-racy.lit:9 +0x3c
  main.runOnce.func1()
      /tmp/x/main.go:140 +0xa4

Goroutine 8 (running) created at:
  main.runOnce()
      /tmp/x/main.go:135 +0x1c4
==================
==================
WARNING: DATA RACE
Write at 0x00c0000b4010 by goroutine 9:
  runtime.closechan()
      /usr/lib/go-1.19/src/runtime/chan.go:357 +0x0
  main.(*env).g_P1()
      send-close-racy.lit:7 +0x30

Previous read at 0x00c0000b4010 by goroutine 8:
  runtime.chansend()
      /usr/lib/go-1.19/src/runtime/chan.go:160 +0x0
  main.(*env).g_P0()
      send-close-racy.lit:6 +0x4a

Goroutine 9 (running) created at:
==================
==================
WARNING: DATA RACE
Write at 0x00c0000b4010 by goroutine 3:
  main.runOnce()
      /tmp/x/main.go:150 +0x1

Previous read at 0x00c0000b4010 by goroutine 4:
  main.observe()
      /tmp/x/main.go:160 +0x2
==================
"""


def test_race_reports_map_back_to_lit_lines():
    reports, harness = parse_races(RACE_REPORT)
    assert [r.accesses for r in reports] == [((9, "write"), (12, "read")), ((6, "read"), (7, "write"))]
    assert harness == 1


def test_audit_confirms_races_and_flags_a_forbidden_state():
    from helpers import run_file

    r = run_file(lit("mp-racy.lit"), model="sc")  # SC: exact, and (1, 0) is forbidden
    obs = Observed(runs=10, states={"P1:r1=0; P1:r2=0;": 9, "P1:r1=1; P1:r2=0;": 1})
    obs.races, _ = parse_races(RACE_REPORT)
    a = audit(r, obs)
    assert a.verdict == "MODEL UNSOUND"
    assert a.unsound == ["state P1:r1=1; P1:r2=0; seen 1 time(s), which the model does not allow"]
    assert a.never_seen == ["P1:r1=0; P1:r2=1;", "P1:r1=1; P1:r2=1;"]
    assert a.races_confirmed == ["race on y: P0 line 9 (write) vs P1 line 12 (read)"]
    assert a.races_not_observed == ["race on x: P0 line 8 (write) vs P1 line 13 (read)"]
    assert a.detector_disagrees == [
        "the race detector reports lines 6 (read) and 7 (write); "
        "the model orders them by happens-before in every execution"
    ]
    # under go.cat the same observation is only undecided: racy programs may show more than SC
    assert audit(run_file(lit("mp-racy.lit")), obs).verdict == "UNDECIDED"


def test_audit_flags_an_unknown_panic_and_accepts_a_known_one():
    from helpers import run_file

    r = run_file(lit("double-close.lit"))
    assert audit(r, Observed(runs=5, panics={"close of closed channel": 5})).verdict == "ok"
    bad = audit(r, Observed(runs=5, panics={"send on closed channel": 1}))
    assert bad.unsound == ['panic "send on closed channel" seen 1 time(s); the model finds no such panic']


@needs_go
def test_generated_go_for_every_suite_test_is_gofmt_clean_and_compiles(tmp_path):
    for path in [*suite_files(), *goker_files()]:
        d = tmp_path / path.stem
        d.mkdir()
        (d / "main.go").write_text(emit_go(load(path), path))
    assert go_build_failures(tmp_path) == []


@needs_go
def test_a_register_read_before_any_write_reads_0_in_go_too(tmp_path):
    """A register only ever read had no field in Go's regs struct: the program did not build."""
    path, out = tmp_path / "unwritten.lit", tmp_path / "audit.json"
    path.write_text("litmus Unwritten\nvar x int\ngo P {\n    r = q + 1\n    x = r\n}\nexists (x == 1)\n")
    result = CliRunner().invoke(app, ["validate", "--runs", "5", "--json", str(out), str(path)])
    assert result.exit_code == 0, result.stdout
    (test,) = json.loads(out.read_text())["tests"]
    assert test["verdict"] == "ok" and test["observed"]["states"] == {"x=1;": 5}


NO_MESSAGES = """"no-messages"
(* Deliberately wrong: rejects every execution in which a receive gets a sent value. *)
include "go-sync.cat"
let hb = (po | sw-go | chan-cap)+
empty chan-send as no-messages
include "go-races.cat"
"""


@needs_go
def test_validate_catches_a_wrong_model(tmp_path):
    for name in ("go-sync.cat", "go-races.cat"):
        shutil.copy(ROOT / "models" / name, tmp_path / name)
    model = tmp_path / "no-messages.cat"
    model.write_text(NO_MESSAGES)
    result = CliRunner().invoke(app, ["validate", "--runs", "20", "--model", str(model), str(lit("mp-unbuffered.lit"))])
    assert result.exit_code == 1, result.stdout
    assert "MODEL UNSOUND" in result.stdout and "state P1:r1=1; seen 20 time(s)" in result.stdout


@needs_go
def test_validate_agrees_with_the_model_on_races(tmp_path):
    files = [str(lit(n)) for n in ("cap1-noncumulative.lit", "send-close-racy.lit", "cap1-kth.lit")]
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(app, ["validate", "--runs", "50", "--race", "--json", str(out), *files])
    assert result.exit_code == 0, result.stdout

    tests = {t["test"]: t for t in json.loads(out.read_text())["tests"]}
    assert tests["Cap1+kth"]["races_confirmed"] == [] and tests["Cap1+kth"]["detector_disagrees"] == []
    assert tests["Send+close+racy"]["detector_disagrees"] == []
    assert all(t["verdict"] == "ok" for t in tests.values())


@needs_go
def test_validate_confirms_a_race_between_an_atomic_write_and_a_plain_read(tmp_path):
    # the atomic's frame was missing from the detector's stack (Go 1.19's ABI
    # wrapper pushes none): the report was filed as a harness bug
    test, stdout = _validate_one(tmp_path, "atomic-plain-racy.lit", runs=20)
    assert test["races_confirmed"] == ["race on x: P0 line 7 (atomic write) vs P1 line 10 (read)"]
    assert "harness bug" not in stdout


def _validate_one(tmp_path, name: str, runs: int) -> tuple[dict, str]:
    """``validate --race`` on one suite test: its audit as JSON, and what was printed."""

    out = tmp_path / "audit.json"
    result = CliRunner().invoke(app, ["validate", "--runs", str(runs), "--race", "--json", str(out), str(lit(name))])
    assert result.exit_code == 0, result.stdout
    (test,) = json.loads(out.read_text())["tests"]
    return test, result.stdout


def test_hbcheck_go_writes_a_program(tmp_path):
    result = CliRunner().invoke(app, ["go", str(lit("mp-buffered.lit")), "-o", str(tmp_path / "mp")])
    assert result.exit_code == 0
    text = (tmp_path / "mp" / "main.go").read_text()
    assert "/*line mp-buffered.lit:8:1*/ e.v_x = int64(1)" in text and "package main" in text


def test_validate_without_go_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    result = CliRunner().invoke(app, ["validate", str(lit("mp-buffered.lit"))])
    assert result.exit_code == 2 and "the 'go' toolchain is not installed" in result.stderr


def test_a_select_case_keeps_its_own_line_in_go():
    # the cases had no line directive: the race detector put the send case's
    # poll at the line the Go text happened to reach (16), and validate
    # reported the model's send/close race as a disagreement
    text = emit_go(load(lit("select-close-wakes-receive.lit")), "select-close-wakes-receive.lit")
    assert "select { /*line select-close-wakes-receive.lit:12:1*/\n\tcase t1, t2 := <-e.c_a:" in text
    assert "_ = t2 /*line select-close-wakes-receive.lit:13:1*/\n\tcase e.c_a <- int64(0):" in text


@needs_go
def test_validate_confirms_the_send_close_race_of_a_select_case(tmp_path):
    test, _ = _validate_one(tmp_path, "select-close-wakes-receive.lit", runs=50)
    assert test["races_confirmed"] == ["send/close race on a: main line 8 (close) vs P1 line 14 (send)"]
    assert test["detector_disagrees"] == []


HOSTILE = (
    "litmus Hostile\n"
    '"harmless\\n//go:generate touch PWNED\\nline two */ \\u2028 end"\n'
    "var c = make(chan int, 1)\n"
    "go P0 {\n"
    '    panic("nul \\x00 bom \\ufeff quote \\" back \\\\ */ done")\n'
    "}\n"
)


def test_no_text_of_a_test_leaves_its_string_or_comment_in_go(tmp_path):
    # the description's newlines became Go lines: a //go:generate directive ran
    # with go generate, and "line two" broke the build
    path = tmp_path / "we ird*\n.lit"
    path.write_text(HOSTILE)
    text = emit_go(load(path), path)
    assert [ln for ln in text.splitlines() if ln.startswith("//go:")] == ["//go:noinline"] * text.count("//go:noinline")
    assert "// Hostile: harmless\\n//go:generate touch PWNED\\nline two */ \\u2028 end" in text
    assert 'panic("nul \\x00 bom \\xef\\xbb\\xbf quote \\" back \\\\ */ done")' in text
    assert "/*line we_ird__.lit:5:1*/" in text  # the directives' file name cannot end the comment


@needs_go
def test_hostile_texts_build_and_keep_their_meaning(tmp_path, monkeypatch):
    path = tmp_path / "we ird*.lit"
    path.write_text(HOSTILE)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["go", str(path), "-o", "out"])
    assert result.exit_code == 0, result.stdout
    subprocess.run(["go", "mod", "init", "hostile"], cwd=tmp_path / "out", capture_output=True, check=True)
    vet = subprocess.run(["go", "vet", "."], cwd=tmp_path / "out", capture_output=True, text=True)
    assert vet.returncode == 0, vet.stderr
    subprocess.run(["go", "generate", "."], cwd=tmp_path / "out", capture_output=True)
    assert not (tmp_path / "out" / "PWNED").exists()
    # the real runtime panics with the very text the model names: validate says ok
    out = tmp_path / "audit.json"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = CliRunner().invoke(app, ["validate", "--runs", "3", "--json", str(out), str(path)])
    assert result.exit_code == 0, result.stdout
    (test,) = json.loads(out.read_text())["tests"]
    assert test["verdict"] == "ok"
    assert list(scratch.iterdir()) == []  # validate left its build folder behind


def test_the_stores_of_a_received_value_keep_the_receive_s_line(tmp_path):
    # they had no directive: the race detector put the write of x one or two
    # lines below the receive, and validate reported a disagreement
    path = tmp_path / "recv.lit"
    path.write_text(
        "litmus Recv\nvar b = make(chan int, 2)\nvar x int\ngo P0 {\n    b <- 1\n    b <- 2\n"
        "    x, ok = <-b\n    select {\n    case x = <-b:\n    }\n}\ngo P1 {\n    r = x\n}\n"
    )
    text = emit_go(load(path), path)
    assert "/*line recv.lit:7:1*/ e.v_x = t1" in text and "/*line recv.lit:7:1*/ g.r_ok = b2i(t2)" in text
    assert "/*line recv.lit:9:1*/ e.v_x = t3" in text and "/*line recv.lit:9:1*/ _ = t4" in text
