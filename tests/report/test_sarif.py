"""SARIF 2.1.0 output (``hbcheck run --sarif``), validated against the OASIS schema, and the
pre-commit hook other repositories use to run hbcheck on their tests."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

import jsonschema
import yaml
from helpers import LITMUS, ROOT
from typer.testing import CliRunner

from hbcheck.cli.app import app

SARIF_SCHEMA = json.loads((Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json").read_text())
runner = CliRunner()


def _sarif(tmp_path: Path, *args: str) -> tuple[int, dict]:
    out = tmp_path / "out.sarif"
    result = runner.invoke(app, ["run", "--quiet", "--sarif", str(out), *args])
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, SARIF_SCHEMA)
    return result.exit_code, doc


def _lines(location: dict) -> int:
    return location["physicalLocation"]["region"]["startLine"]


def test_the_shipped_suite_as_sarif_validates_and_names_every_finding(monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    code, doc = _sarif(tmp_path, "litmus")
    assert code == 0
    (run,) = doc["runs"]
    assert run["tool"]["driver"]["name"] == "hbcheck"
    assert run["invocations"][0]["executionSuccessful"] is True
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"]
        assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith("litmus/")
    # the suite's tests pass: no failed expectation, and every finding is one a test expects or not
    assert {r["ruleId"] for r in run["results"]} <= {"race", "send-close-race", "panic", "assert", "deadlock", "leak"}
    races = [r for r in run["results"] if r["message"]["text"].startswith("MP+plain: race on x")]
    (race,) = races
    assert race["level"] == "note"  # the test expects its race
    assert _lines(race["locations"][0]) == 8 and [_lines(x) for x in race["relatedLocations"]] == [13]
    # the witness: one thread flow per goroutine, steps numbered across them
    flows = race["codeFlows"][0]["threadFlows"]
    assert [f["id"] for f in flows] == ["P0", "P1"]
    steps = [(s["executionOrder"], f["id"], _lines(s["location"])) for f in flows for s in f["locations"]]
    assert [line for _o, _g, line in sorted(steps)] == [8, 9, 12, 13]


def test_a_deadlock_points_at_every_blocked_goroutine(tmp_path):
    _code, doc = _sarif(tmp_path, str(LITMUS / "deadlocks" / "deadlock-two-sets.lit"))
    (res,) = doc["runs"][0]["results"]
    assert res["ruleId"] == "deadlock" and res["level"] == "note"
    related = [(x["message"]["text"], _lines(x)) for x in res["relatedLocations"]]
    assert related == [("a [chan receive]", 7), ("b [sync.Mutex.Lock mu]", 11)]


def test_a_failed_expectation_is_an_error_with_its_counterexample(tmp_path):
    test = tmp_path / "fails.lit"
    test.write_text(
        "litmus Fails\nvar x int\nvar c = make(chan int, 1)\n"
        "go P0 {\n    x = 1\n    c <- 1\n}\n"
        "go P1 {\n    r = <-c\n    r = x\n}\n"
        "exists (P1:r == 1)\nexpect never\nexpect no race\n"
    )
    code, doc = _sarif(tmp_path, str(test))
    assert code == 1
    results = doc["runs"][0]["results"]
    (failed,) = [r for r in results if r["ruleId"] == "expectation-failed"]
    assert failed["level"] == "error" and _lines(failed["locations"][0]) == 13
    assert failed["message"]["text"] == "Fails: expect never: observation is Always, expected Never"
    flow = failed["codeFlows"][0]
    assert flow["message"]["text"] == "a counterexample to expect never"
    last = max((s for f in flow["threadFlows"] for s in f["locations"]), key=lambda s: s["executionOrder"])
    assert last["location"]["message"]["text"] == "P1: R x=1" and _lines(last["location"]) == 10
    # race-free: "expect no race" holds, so it is no result
    assert [r["ruleId"] for r in results] == ["expectation-failed"]


def test_an_unexpected_race_is_a_warning_and_a_bad_file_a_notification(tmp_path):
    racy = tmp_path / "racy.lit"
    racy.write_text("litmus Racy\nvar x int\ngo P0 { x = 1 }\ngo P1 { r = x }\n")
    bad = tmp_path / "bad.lit"
    bad.write_text("litmus Bad\ngo P { c <- 1 }\n")
    code, doc = _sarif(tmp_path, str(racy), str(bad))
    assert code == 2
    (run,) = doc["runs"]
    (res,) = run["results"]
    assert (res["ruleId"], res["level"]) == ("race", "warning")
    assert res["message"]["text"] == (
        "Racy: race on x: P0 line 3 (write) vs P1 line 4 (read) (in 2 execution(s)); see [P1: read](0)"
    )
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert (note["level"], note["message"]["text"], _lines(note["locations"][0])) == (
        "error",
        "undeclared channel 'c'",
        2,
    )


def test_only_one_output_may_take_stdout(tmp_path):
    result = runner.invoke(app, ["run", "--sarif", "-", "--json", "-", str(LITMUS / "mp" / "mp-buffered.lit")])
    assert result.exit_code == 2
    assert "only one of --json, --junit, --sarif and --update-baseline can write to stdout (-)" in result.stderr


def _hook_command(files: list[str]) -> list[str]:
    """What pre-commit runs for the hook: its entry, its args, then the staged files its pattern selects."""
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "hbcheck" and hook["language"] == "python"
    chosen = [f for f in files if re.search(hook["files"], f)]
    return [*shlex.split(hook["entry"]), *hook.get("args", []), *chosen]


def test_the_pre_commit_hook_passes_on_the_shipped_suite_and_fails_a_failing_test(tmp_path):
    staged = sorted(str(p.relative_to(ROOT)) for p in LITMUS.rglob("*") if p.is_file())
    command = _hook_command(staged)
    assert "litmus/baseline.json" not in command and "litmus/mp/mp-buffered.lit" in command
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-2000:]
    failing = tmp_path / "fails.lit"
    failing.write_text("litmus Fails\nvar x int\ngo P0 { x = 1 }\ngo P1 { r = x }\nexpect no race\n")
    run = subprocess.run(_hook_command([str(failing)]), cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 1 and "expect no race" in run.stdout


def test_a_fingerprint_names_what_was_found_not_its_lines_nor_its_count(tmp_path):
    racy = tmp_path / "racy.lit"

    def fingerprint(text: str) -> str:
        racy.write_text(text)
        _code, doc = _sarif(tmp_path, str(racy))
        (res,) = [r for r in doc["runs"][0]["results"] if "P0" in r["message"]["text"]]
        return res["partialFingerprints"]["hbcheck/v1"]

    one = fingerprint("litmus Racy\nvar x int\ngo P0 { x = 1 }\ngo P1 { r = x }\n")
    moved = fingerprint("litmus Racy\nvar y int\nvar x int\ngo P0 { x = 1 }\ngo P1 { r = x }\n")
    assert moved == one  # a line added above
    other = fingerprint("litmus Racy\nvar x int\ngo P0 { x = 1 }\ngo P1 { s = x }\n")
    assert other == one  # what the race is did not change
    assert fingerprint("litmus Racy\nvar x int\ngo P0 { x = 1 }\ngo P2 { r = x }\n") != one


def test_an_interrupted_run_and_a_lineless_finding_are_said(tmp_path):
    from hbcheck.report.sarif import sarif_log

    doc = sarif_log([], False, ["hbcheck", "run", "my dir/a.lit"], unchecked=3)
    jsonschema.validate(doc, SARIF_SCHEMA)
    (invocation,) = doc["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False and invocation["commandLine"] == "hbcheck run 'my dir/a.lit'"
    assert invocation["toolExecutionNotifications"][0]["message"]["text"] == "interrupted: 3 file(s) not checked"
    model = tmp_path / "m.cat"
    model.write_text('"m"\ninclude "go"\ndeclare drf-sc\nflag ~empty [W] as writes\n')
    test = tmp_path / "w.lit"
    test.write_text("litmus W\nvar x int\ngo P0 { x = 1 }\n")
    _code, doc = _sarif(tmp_path, "-m", str(model), str(test))
    (res,) = doc["runs"][0]["results"]
    assert (res["ruleId"], _lines(res["locations"][0])) == ("flag", 1)


def test_outputs_are_checked_before_the_run(tmp_path):
    test = str(LITMUS / "mp" / "mp-buffered.lit")
    out, nowhere = tmp_path / "r.json", tmp_path / "nowhere"
    result = runner.invoke(app, ["run", "--json", str(out), "--sarif", str(nowhere / "x.sarif"), test])
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr == f"error: cannot write {nowhere / 'x.sarif'}: no folder {nowhere}\n"
    result = runner.invoke(app, ["run", "--sarif", str(tmp_path), test])
    assert result.exit_code == 2 and result.stderr == f"error: cannot write {tmp_path}: it is a folder\n"
    result = runner.invoke(app, ["run", "--sarif", "-", "--update-baseline", "-", test])
    assert result.exit_code == 2 and "only one of" in result.stderr
