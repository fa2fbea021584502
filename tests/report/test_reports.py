"""CI-gate outputs: JSON (against its schema), JUnit, herd format, baselines,
model comparison, parallel runs, traces, replays and pictures."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from helpers import BOUNDED, GOKER, LITMUS, ROOT, lit, program, run_file, suite_files
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.explore import ExploreConfig
from hbcheck.machine import Machine
from hbcheck.models import evaluate, load_model
from hbcheck.report.baseline import compare
from hbcheck.report.results import SCHEMA_PATH
from hbcheck.report.summary import engines_cell
from hbcheck.report.trace import replay
from hbcheck.verdict.engines import check_program

runner = CliRunner()
SCHEMA = json.loads(SCHEMA_PATH.read_text())


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_json_results_validate_against_the_schema(tmp_path):
    out = tmp_path / "r.json"
    bad = tmp_path / "bad.lit"
    bad.write_text("litmus Bad\ngo P { c <- 1 }\n")
    suite = [str(p) for p in suite_files()]  # the GoKer kernels would only add minutes of z3
    result = _run("run", "--quiet", "--engine", "both", "--json", str(out), *suite, str(bad))
    assert result.exit_code == 2  # the bad file
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, SCHEMA)
    assert doc["errors"] == [{"file": str(bad), "message": "undeclared channel 'c'", "line": 2, "col": 8}]
    by_name = {t["name"]: t for t in doc["tests"]}
    mp = by_name["MP+buffered"]
    assert (mp["observation"], mp["positive"], mp["negative"], mp["states"]) == ("Never", 0, 1, [{"P1:r1": 1}])
    assert mp["model"]["name"] == "Go" and len(mp["model"]["sha256"]) == 64
    race = by_name["MP+plain"]  # racy: the symbolic engine makes it exact
    assert race["exact"] is True and race["engines"] == ["explicit", "smt"] and race["observation"] == "Sometimes"
    assert by_name["MP+buffered"]["engines"] == ["explicit", "smt"]  # channels: both engines, agreeing
    assert by_name["Stack+overflow"]["engines"] == ["explicit"]  # a stack overflow: explicit alone
    assert by_name["Stack+overflow"]["extra"]["smt"] == "calls nested deeper than 16 (recursion) are not encoded"
    assert race["extra"]["weak"] is True and "weak" not in mp["extra"] and mp["extra"]["smt_replayed"] == 1
    pair = next(f for f in race["findings"] if f["kind"] == "race" and "on y" in f["description"])
    assert pair["pair"] == [
        {"goroutine": "P0", "line": 9, "access": "write"},
        {"goroutine": "P1", "line": 12, "access": "read"},
    ]
    assert pair["witness"] and all(len(step) == 2 for step in pair["witness"])


def test_json_says_what_z3_completed_past_the_explorers_budget(tmp_path):
    f = tmp_path / "bounded.lit"
    f.write_text(BOUNDED)
    for engine, exact in (("explicit", False), ("both", True)):
        result = _run("run", "--max-executions", "2", "--engine", engine, "--json", "-", str(f))
        doc = json.loads(result.stdout)
        jsonschema.validate(doc, SCHEMA)
        (t,) = doc["tests"]
        want = (exact, "Sometimes" if exact else "Unknown", 0 if exact else 1)
        assert (t["exact"], t["observation"], result.exit_code) == want
        assert t["extra"].get("explicit_bounds") == (["max-executions 2"] if exact else None)
        assert t["bounds"] == ([] if exact else ["max-executions 2"])


def test_json_to_stdout_is_only_json():
    result = _run("run", "--json", "-", str(lit("mutex.lit")))
    assert result.exit_code == 0
    jsonschema.validate(json.loads(result.stdout), SCHEMA)


def test_the_table_says_why_z3_did_not_answer_where_it_was_asked():
    maps = program("litmus M\nvar m = make(map[int]int)\ngo P { m[1] = 1 }\ngo Q { r = m[1] }\n")
    stepped = check_program(maps, ExploreConfig(), load_model("go"), "both")
    assert engines_cell(stepped).plain == "explicit\nz3: a map (line 2) is not encoded in z3 yet"
    answered = check_program(program(lit("mutex.lit").read_text()), ExploreConfig(), load_model("go"), "both")
    assert engines_cell(answered).plain == "explicit+z3"
    alone = check_program(maps, ExploreConfig(), load_model("go"), "explicit")
    assert engines_cell(alone).plain == "explicit"


def test_junit_parses_back_with_one_case_per_file_and_a_failure_per_unmet_expectation(tmp_path):
    wrong = tmp_path / "wrong.lit"
    wrong.write_text(
        "litmus Wrong\nvar c = make(chan int)\ngo P { close(c); close(c) }\n"
        "expect no panic\nexpect deadlock\nexpect always panic\n"
    )
    out = tmp_path / "j.xml"
    result = _run("run", "--quiet", "--junit", str(out), str(lit("mutex.lit")), str(wrong))
    assert result.exit_code == 1
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"Mutex+counter", "Wrong"}
    assert cases["Mutex+counter"].findall("failure") == []
    failures = [f.get("message") for f in cases["Wrong"].findall("failure")]
    assert failures == ["expect no panic: panic in 1 execution(s)", "expect deadlock: no execution has deadlock"]
    assert "panic: close of closed channel (P, line 3)" in cases["Wrong"].find("failure").text


HERD_BY_HAND = """\
Test MP+buffered Allowed
States 1
P1:r1=1;
No
Witnesses
Positive: 0 Negative: 1
Condition exists (P1:r1 == 0)
Observation MP+buffered Never 0 1
Engines MP+buffered explicit

Test Close+close
States 0
Flag panic
Engines Close+close explicit

Test Select+choice Allowed
States 2
P0:r=1;
P0:r=2;
Ok
Witnesses
Positive: 1 Negative: 1
Condition exists (P0:r == 2)
Observation Select+choice Sometimes 1 1
Engines Select+choice explicit

"""


def test_format_herd_prints_herd_blocks_and_nothing_else():
    files = [str(lit(n)) for n in ("mp-buffered.lit", "double-close.lit", "select-choice.lit")]
    result = _run("run", "--format", "herd", "--no-time", *files)
    assert result.exit_code == 0
    assert result.stdout == HERD_BY_HAND


def test_parallel_output_is_byte_identical():
    themes = [str(d) for d in sorted(LITMUS.iterdir()) if d.is_dir() and d != GOKER]  # the starter suite
    one, two = (
        subprocess.run(
            [sys.executable, "-m", "hbcheck.cli", "run", "--format", "herd", "--no-time", "-j", jobs, *themes],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        for jobs in ("1", "2")
    )
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout and one.stdout.count("\nTest ") + 1 == len(suite_files())


def _edited_model(tmp_path: Path) -> Path:
    """go.cat with the capacity rule dropped from sw (a copy, with its includes)."""
    for name in ("go-sync.cat", "go-races.cat", "go-visibility.cat"):
        shutil.copy(ROOT / "models" / name, tmp_path / name)
    text = (ROOT / "models" / "go.cat").read_text()
    assert "let sw = sw-go | chan-cap" in text
    edited = tmp_path / "go-edited.cat"
    edited.write_text(text.replace("let sw = sw-go | chan-cap", "let sw = sw-go"))
    return edited


def test_baseline_catches_a_dropped_model_rule(tmp_path):
    base = tmp_path / "baseline.json"
    files = [str(lit(n)) for n in ("semaphore.lit", "mutex.lit")]
    assert _run("run", "--quiet", "--update-baseline", str(base), *files).exit_code == 0
    assert _run("run", "--quiet", "--baseline", str(base), *files).exit_code == 0
    result = _run(
        "run",
        "--quiet",
        "--model",
        str(_edited_model(tmp_path)),
        "--allow-unknown",
        "--baseline",
        str(base),
        "--json",
        str(tmp_path / "after.json"),
        *files,
    )
    assert result.exit_code == 1
    diffs = compare(json.loads(base.read_text()), json.loads((tmp_path / "after.json").read_text()))
    # racy now, and exact: the z3 engine finds the lost update (x=1) the capacity rule forbade. By hand: 2
    # FIFO orders (who sends first; its own receive is the first); per order the reads may each see the
    # initial x or the other's write but not both (thin air), 3 ways, times 2 write orders = 12; x == 2
    # exactly when the last writer read the other's write: 2 per order, so P=4 N=8
    assert {(d.test, d.kind, d.before, d.after) for d in diffs} == {
        ("Semaphore+cap1", "observation changed", "Always", "Sometimes"),
        ("Semaphore+cap1", "states changed", "x=2;", "x=1; | x=2;"),
        ("Semaphore+cap1", "count changed", "P=2 N=0 executions=2", "P=4 N=8 executions=12"),
        ("Semaphore+cap1", "new finding", "", "race on x: P0 line 7 (read) vs P1 line 8 (write)"),
        ("Semaphore+cap1", "new finding", "", "race on x: P0 line 7 (write) vs P1 line 8 (read)"),
        ("Semaphore+cap1", "new finding", "", "race on x: P0 line 7 (write) vs P1 line 8 (write)"),
    }
    assert "3 new finding" not in result.stdout and "observation changed" in result.stdout


def test_baseline_classifies_every_kind_of_change():
    def doc(*tests):
        return {"tests": list(tests)}

    def t(name, obs, p, n, findings=(), states=({"x": 1},), file="f.lit"):
        return {
            "name": name,
            "file": file,
            "observation": obs,
            "positive": p,
            "negative": n,
            "executions": p + n,
            "states": list(states),
            "findings": [
                {"kind": f.split(":")[0], "text": f, "goroutine": "P0", "line": 3, "description": f} for f in findings
            ],
        }

    old = doc(
        t("A", "Never", 0, 2), t("B", "Sometimes", 1, 1), t("C", "Always", 2, 0, ["panic: x"]), t("Gone", "Never", 0, 1)
    )
    new = doc(
        t("A", "Sometimes", 1, 2, states=({"x": 1}, {"x": 2})),
        t("B", "Never", 0, 2),
        t("C", "Always", 2, 0, ["leak"]),
        t("New", "Never", 0, 1),
    )
    kinds = [(d.test, d.kind) for d in compare(old, new)]
    assert kinds == [
        ("A", "newly allowed"),
        ("A", "states changed"),
        ("A", "count changed"),
        ("B", "newly forbidden"),
        ("B", "count changed"),
        ("C", "new finding"),
        ("C", "finding gone"),
        ("Gone", "test removed"),
        ("New", "test added"),
    ]


def test_shipped_baseline_matches_the_suite():
    result = _run("run", "--quiet", "--allow-unknown", "--baseline", str(LITMUS / "baseline.json"), str(LITMUS))
    assert result.exit_code == 0, result.stdout
    assert "no differences" in result.stdout


def test_bad_baseline_is_bad_input(tmp_path):
    junk = tmp_path / "junk.json"
    junk.write_text('{"tests": 3')
    result = _run("run", "--baseline", str(junk), str(lit("mutex.lit")))
    assert result.exit_code == 2 and "not JSON" in result.stderr


def test_compare_shows_the_tests_whose_verdicts_differ(tmp_path):
    out = tmp_path / "cmp.json"
    result = _run("compare", "-m", "go", "-m", "go-nocap", "--json", str(out), str(LITMUS))
    assert result.exit_code == 1
    rows = json.loads(out.read_text())["differences"]
    assert sorted(r["test"] for r in rows) == ["Cap1+kth", "Cap2+kth", "Semaphore+cap1"]
    same = _run("compare", "-m", "go", "-m", "go", str(lit("mutex.lit")))
    assert same.exit_code == 0
    assert _run("compare", "-m", "go", str(lit("mutex.lit"))).exit_code == 2


def test_every_witness_of_the_suite_replays_on_the_machine():
    """Explicit witnesses replay their schedules; the weak outcomes' witnesses
    come from z3 (as records the model allows) in exactly the racy tests whose
    condition only a weak execution satisfies."""
    replayed = expected = 0
    weak: set[str] = set()
    for path in suite_files():
        r = run_file(path, engine="both")
        machine = Machine(r.program)
        witnesses = [x for x in (*r.witnesses.values(), r.positive_witness, r.negative_witness) if x is not None]
        expected += len(witnesses)
        assert witnesses or not (r.findings or r.program.condition), path.name
        for x in witnesses:
            if not x.schedule:  # a weak execution from z3: the model must allow what no interleaving gives
                assert r.notes.weak and evaluate(load_model("go"), x, r.program.caps).allowed, path.name
                weak.add(path.name)
                expected -= 1
                continue
            st, _steps = replay(machine, list(x.schedule))
            assert [e.label() for e in st.events] == [e.label() for e in x.events]
            assert {n: g.user_regs(st.vars) for n, g in st.gs.items()} == x.final.regs and st.vars == x.final.vars
            replayed += 1
    assert replayed == expected > 0
    assert weak == {
        "2plus2w-racy.lit",
        "corr-racy.lit",
        "corr-locks-racy.lit",
        "iriw-racy.lit",
        "lb-racy.lit",
        "mp-racy.lit",
        "sb-racy.lit",
    }


def test_trace_shows_a_weak_outcome_from_z3_and_will_not_save_it(tmp_path):
    weak = _run("trace", str(lit("sb-racy.lit")), "--state", "P0:r0=0; P1:r1=0")
    words = " ".join(weak.stdout.split())  # rich wraps the title to the terminal
    assert weak.exit_code == 0 and "a weak execution: Go allows it, no interleaving produces it" in words
    assert weak.stdout.count("reads the initial value") == 2
    saved = _run("trace", str(lit("sb-racy.lit")), "--state", "P0:r0=0; P1:r1=0", "--save", str(tmp_path / "t.json"))
    assert saved.exit_code == 1 and "a weak execution has no schedule to save" in saved.stderr
    sc = _run("trace", str(lit("sb-racy.lit")), "-m", "sc", "--state", "P0:r0=0; P1:r1=0")
    assert sc.exit_code == 1 and "no execution ends in the state P0:r0=0; P1:r1=0" in sc.stderr


def test_trace_save_and_replay_then_edit_the_test(tmp_path):
    copy = tmp_path / "mp.lit"
    copy.write_text(lit("cap1-noncumulative.lit").read_text())
    saved = tmp_path / "t.json"
    shown = _run("trace", str(copy), "--race", "--save", str(saved))
    assert shown.exit_code == 0
    assert "sendq=[G2:2]" in shown.stdout and "race on x: G1 line 8 (write) vs G2 line 13 (read)" in shown.stdout
    ok = _run("replay", str(copy), str(saved))
    assert ok.exit_code == 0 and "same final state" in ok.stdout
    copy.write_text(copy.read_text().replace("    c <- 2\n", "    c <- 3\n"))
    changed = _run("replay", str(copy), str(saved))
    assert changed.exit_code == 1 and "REPLAY FAILED" in changed.stdout


def test_a_saved_trace_keeps_channel_values_by_name(tmp_path):
    """A variable holding a channel ends with the channel's name: the saved
    trace keeps it, and replay compares it."""
    saved = tmp_path / "t.json"
    shown = _run("trace", str(lit("reassigned-done-racy.lit")), "--race", "--save", str(saved))
    assert shown.exit_code == 0, shown.stderr
    assert json.loads(saved.read_text())["final"]["variables"]["done"] in ("done", "P0.chan")
    ok = _run("replay", str(lit("reassigned-done-racy.lit")), str(saved))
    assert ok.exit_code == 0 and "same final state" in ok.stdout


def test_trace_by_state_and_when_there_is_no_witness():
    by_state = _run("trace", str(lit("select-default.lit")), "--state", "P1:got=0")
    assert by_state.exit_code == 0 and "final state P1:got=0" in by_state.stdout
    none = _run("trace", str(lit("mp-buffered.lit")))
    assert none.exit_code == 1 and "no execution gives a witness of exists (P1:r1 == 0)" in none.stderr
    assert _run("trace", str(lit("mutex.lit")), "--state", "y=1").exit_code == 2


def test_trace_past_a_bound_does_not_claim_there_is_no_witness(tmp_path):
    """With one execution explored, "no execution has a panic" would be a
    claim about all of them: the message says how far the explorer went."""
    f = tmp_path / "bounded.lit"
    f.write_text(BOUNDED)
    panic = _run("trace", str(f), "--panic", "--max-executions", "1")
    assert panic.exit_code == 1
    assert "no execution the explorer ran has a panic; it stopped at max-executions 1" in panic.stderr
    state = _run("trace", str(f), "--state", "P2:r=2", "--max-executions", "1")
    assert "no execution the explorer ran ends in the state P2:r=2; it stopped at max-executions 1" in state.stderr
    assert _run("trace", str(f), "--panic").exit_code == 0  # there is one
    drawn = _run("graph", str(f), "--panic", "--max-executions", "1", "-o", str(tmp_path / "g.dot"))
    assert drawn.exit_code == 1 and "it stopped at max-executions 1" in drawn.stderr


def test_svg_highlights_the_racing_pair(tmp_path):
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is missing: .ci/run installs it (apt-get install graphviz)")
    out = tmp_path / "race.svg"
    result = _run("graph", str(lit("cap1-noncumulative.lit")), "--race", "-o", str(out))
    assert result.exit_code == 0
    svg = out.read_text()
    for role, label in (("witness_a", "W x=1"), ("witness_b", "R x=1")):
        start = svg.index(f'id="{role}"')
        group = svg[start : svg.index("</g>", start)]
        assert label in group and 'stroke="red"' in group
    assert 'id="witness_pair"' in svg


def test_without_dot_svg_says_so_and_dot_files_still_work(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot there
    result = _run("graph", str(lit("double-close.lit")), "--panic", "-o", str(tmp_path / "g.svg"))
    assert result.exit_code == 2 and "Graphviz's 'dot' is not installed" in result.stderr
    result = _run("graph", str(lit("double-close.lit")), "--panic", "-o", str(tmp_path / "g.dot"))
    assert result.exit_code == 0 and 'id="witness_' in (tmp_path / "g.dot").read_text()


def test_ctrl_c_prints_what_finished_and_exits_130(tmp_path):
    slow = tmp_path / "slow.lit"
    body = "".join(f"go P{i} {{ c <- {i}; <-c; c <- {i} }}\n" for i in range(7))
    slow.write_text(f"litmus Slow\nvar c = make(chan int, 2)\n{body}expect no panic\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hbcheck.cli", "run", str(lit("mutex.lit")), str(slow)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    # interrupt once the first file's answer is out (not after a fixed sleep,
    # which a loaded machine can outlast before the first file is done)
    assert proc.stdout is not None
    first = []
    for line in proc.stdout:
        first.append(line)
        if "Time Mutex+counter" in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Interrupted: 1 of 2 files checked." in err
    assert "Time Mutex+counter" in first[-1]
    assert "Mutex+counter" in out  # the summary of what finished


def test_a_z3_execution_the_machine_refutes_is_an_internal_error_not_a_traceback(monkeypatch):
    """trace asks z3 for weak outcomes; should its replay check fail (a checker
    bug), the user gets the engines' disagreement and exit 3, as from run."""
    import hbcheck.smt.engine as engine
    from hbcheck.smt.schedule import WitnessMismatch

    def refuted(*_args, **_kw):
        raise WitnessMismatch("P1 line 8 does read x=1 on the machine, read x=0 in z3")

    monkeypatch.setattr(engine, "weak_execution", refuted)
    out = _run("trace", str(lit("sb-racy.lit")), "--state", "P0:r0=0; P1:r1=0")
    assert out.exit_code == 3 and isinstance(out.exception, SystemExit), out.exception
    assert "internal error: the engines disagree on SB+plain: P1 line 8 does read x=1" in out.stderr


def test_engine_and_solver_timeout_reach_every_test(tmp_path, monkeypatch):
    """``--engine explicit`` runs the explorer alone: SB's weak outcome on
    plain variables stays Unknown, where both engines make it Sometimes;
    ``--solver-timeout`` is what each test's z3 queries get."""
    sb = str(lit("sb-racy.lit"))
    for engine, engines, observation in (
        ("explicit", ["explicit"], "Unknown"),
        ("both", ["explicit", "smt"], "Sometimes"),
    ):
        out = tmp_path / f"{engine}.json"
        _run("run", "--quiet", "--allow-unknown", "--engine", engine, "--json", str(out), sb)
        (test,) = json.loads(out.read_text())["tests"]
        assert (test["engines"], test["observation"]) == (engines, observation), engine
    import hbcheck.cli.common as common

    seen = []
    real = common.check_program
    monkeypatch.setattr(common, "check_program", lambda *a: seen.append(a[3:]) or real(*a))
    _run("run", "--quiet", "--engine", "smt", "--solver-timeout", "2.5", sb)
    assert seen == [("smt", 2.5, False)]  # engine, solver timeout, stop early
