"""Which engine answers: ``--engine auto`` (the default) asks z3 only where
its answer changes the result, ``declare drf-sc`` is what lets the explorer
answer alone, and ``--stop-early`` ends a search once every expectation is
decided (issue 20, defects 7 and 8)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
from helpers import BOUNDED, ROOT, STRESS, differential_config, goker_files, lit, program, suite_files, z3_seeded
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st
from programs import memory_text, program_text, shaped_text
from typer.testing import CliRunner

import hbcheck.verdict.engines as engines
from hbcheck.cli.app import app
from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig
from hbcheck.language import load
from hbcheck.models import load_model
from hbcheck.report.herd import herd_block
from hbcheck.report.results import SCHEMA_PATH
from hbcheck.verdict.engines import check_program

runner = CliRunner()
SCHEMA = json.loads(SCHEMA_PATH.read_text())
GO = load_model("go")

# A racy loop whose only question is the race: the first execution races, and
# the whole search runs 420 executions.
RACY_LOOP = """litmus Racy+loop
var x int
var c = make(chan int, 3)
go P0 {
    for i := 0; i < 3; i++ {
        x = i
        c <- i
    }
}
go P1 {
    for i := 0; i < 3; i++ {
        r = <-c
        x = r
    }
}
go P2 {
    for i := 0; i < 3; i++ {
        s = x
    }
}
expect race
"""


def _run(*args: str):
    return runner.invoke(app, list(args))


def _no_z3(monkeypatch) -> list[str]:
    """Make any z3 call fail the test; returns the programs z3 was asked about."""
    asked: list[str] = []

    def solve(p, *a, **k):
        asked.append(p.name)
        raise AssertionError(f"z3 asked about {p.name}")

    monkeypatch.setattr(engines, "solve", solve)
    return asked


def _undeclared(tmp_path: Path, name: str = "go") -> Path:
    """A copy of a shipped model without its ``declare drf-sc`` line."""
    for piece in ("go-sync.cat", "go-races.cat", "go-visibility.cat"):
        shutil.copy(ROOT / "models" / piece, tmp_path / piece)
    text = (ROOT / "models" / f"{name}.cat").read_text()
    assert "\ndeclare drf-sc\n" in text
    out = tmp_path / f"{name}-undeclared.cat"
    out.write_text(text.replace("\ndeclare drf-sc\n", "\n"))
    return out


def test_the_shipped_models_declare_drf_sc_and_the_pieces_do_not():
    for name in ("go", "go-nocap", "go-coherent", "sc"):
        assert load_model(name).declared == frozenset({"drf-sc"}) and load_model(name).drf_sc, name
    assert not load_model("go-sync").drf_sc


def test_auto_skips_z3_on_a_race_free_test(monkeypatch):
    asked = _no_z3(monkeypatch)
    r = check_program(load(lit("mp-buffered.lit")), ExploreConfig(), GO, "auto")
    assert asked == [] and r.engines == ["explicit"]
    assert r.notes.as_json() == {"auto": "z3 not run: the explorer's answer is exact"}
    assert (r.exact, r.observation, r.states, r.positive, r.negative) == (True, "Never", [(1,)], 0, 1)
    assert [e.status for e in r.expectations] == ["pass", "pass"]


def test_auto_asks_z3_on_a_racy_test_with_a_condition():
    r = check_program(load(lit("mp-racy.lit")), ExploreConfig(), GO, "auto")
    assert r.engines == ["explicit", "smt"] and r.exact
    assert r.notes.auto == (
        "z3 asked: racy under a weak model, and the condition's states depend on executions beyond SC"
    )
    # the weak outcome r1=1, r2=0 that no interleaving gives
    assert (r.observation, r.states, r.positive, r.negative) == ("Sometimes", [(0, 0), (0, 1), (1, 0), (1, 1)], 1, 3)
    assert [e.status for e in r.expectations] == ["pass", "pass"]


def test_auto_leaves_a_racy_test_without_a_condition_to_the_explorer(monkeypatch):
    asked = _no_z3(monkeypatch)
    r = check_program(program(RACY_LOOP), ExploreConfig(), GO, "auto")
    assert asked == [] and r.engines == ["explicit"] and r.executions == 420
    assert r.notes.auto == "z3 not run: racy, with no condition, and every expectation decided on SC executions"
    assert [(e.status, e.reason) for e in r.expectations] == [("pass", "race in 420 execution(s)")]


def test_auto_asks_z3_where_a_racy_expectation_is_undecided():
    text = RACY_LOOP.replace("expect race\n", "expect race\nexpect no panic\n")
    r = check_program(program(text), ExploreConfig(), GO, "auto")
    assert r.engines == ["explicit", "smt"] and r.exact
    assert r.notes.auto == "z3 asked: racy under a weak model, and expect no panic depends on executions beyond SC"
    assert [e.status for e in r.expectations] == ["pass", "pass"]


def test_auto_asks_z3_past_an_explorer_bound_and_z3_lifts_it():
    p = program(BOUNDED)
    explicit = check_program(p, ExploreConfig(max_executions=2), GO, "explicit")
    assert (explicit.bounds, explicit.observation) == (["max-executions 2"], "Unknown")
    r = check_program(p, ExploreConfig(max_executions=2), GO, "auto")
    assert r.engines == ["explicit", "smt"] and r.notes.auto == "z3 asked: the explorer stopped at max-executions 2"
    assert (r.exact, r.bounds, r.notes.explicit_bounds, r.observation) == (
        True,
        [],
        ("max-executions 2",),
        "Sometimes",
    )
    assert [e.status for e in r.expectations] == ["pass", "pass", "pass"]


def test_without_the_declaration_explicit_is_unknown_and_auto_gets_z3s_answer(tmp_path):
    model = load_model(str(_undeclared(tmp_path)))
    assert not model.drf_sc and model.declared == frozenset()
    p = load(lit("mp-buffered.lit"))
    why = "model Go does not declare drf-sc: outcomes beyond SC need the symbolic engine"
    alone = check_program(p, ExploreConfig(), model, "explicit")
    assert (alone.exact, alone.limits, alone.observation, alone.possible) == (
        False,
        [why],
        "Unknown",
        ("Never", "Sometimes"),
    )
    assert [(e.status, e.reason) for e in alone.expectations] == [
        ("unknown", f"observation could be Never or Sometimes: {why}"),
        ("unknown", f"no panic found, but {why}"),
    ]
    auto = check_program(p, ExploreConfig(), model, "auto")
    assert auto.engines == ["explicit", "smt"] and auto.notes.auto == f"z3 asked: {why}"
    assert (auto.exact, auto.observation, auto.states, auto.positive, auto.negative) == (True, "Never", [(1,)], 0, 1)
    assert [e.status for e in auto.expectations] == ["pass", "pass"]


def test_an_undeclared_model_decides_no_race_expectation_on_sc_runs_alone(tmp_path):
    model = load_model(str(_undeclared(tmp_path)))
    r = check_program(load(lit("lb-ctrl.lit")), ExploreConfig(), model, "explicit")  # expect no race
    assert [e.status for e in r.expectations] == ["unknown", "unknown"]
    assert check_program(load(lit("lb-ctrl.lit")), ExploreConfig(), GO, "explicit").exact


def test_an_empty_model_no_longer_makes_the_explorer_claim_never(tmp_path):
    empty = tmp_path / "empty.cat"
    empty.write_text("")
    model = load_model(str(empty))
    p = load(lit("mp-buffered.lit"))
    alone = check_program(p, ExploreConfig(), model, "explicit")
    assert alone.observation == "Unknown" and alone.possible == ("Never", "Sometimes")
    # the empty model allows every execution: the receiver may read the old x
    auto = check_program(p, ExploreConfig(), model, "auto")
    assert (auto.engines, auto.observation, auto.states, auto.exact) == (
        ["explicit", "smt"],
        "Sometimes",
        [(0,), (1,)],
        True,
    )
    out = _run("run", "--engine", "explicit", "-m", str(empty), str(lit("mp-buffered.lit")))
    assert out.exit_code == 1 and "Observation MP+buffered Unknown 0 1" in out.stdout
    assert "model empty does not declare drf-sc" in out.stderr


def test_where_z3_steps_aside_auto_answers_unknown_with_both_reasons(tmp_path):
    model = load_model(str(_undeclared(tmp_path)))
    r = check_program(load(lit("stack-overflow.lit")), ExploreConfig(), model, "auto")
    assert r.engines == ["explicit"]
    assert r.notes.smt == "calls nested deeper than 16 (recursion) are not encoded"
    assert r.limits == ["model Go does not declare drf-sc: outcomes beyond SC need the symbolic engine"]
    assert r.status == "unknown"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('"M"\ndeclare\n', "2:8: model syntax error: unexpected end of file"),
        ('"M"\ninclude "go.cat"\ndeclare drf\n', "3:9: unknown declaration 'drf' (known: drf-sc)"),
        ('"M"\ndeclare drf-sc\nacyclic po as sc\n', "2:9: declare drf-sc needs a 'flag ... as data-race' check"),
        ('"M"\ndeclare 7\n', "2:9: model syntax error: unexpected character '7'"),
    ],
)
def test_a_malformed_declaration_is_a_located_error_and_exit_2(tmp_path, text, message):
    shutil.copytree(ROOT / "models", tmp_path, dirs_exist_ok=True)
    bad = tmp_path / "bad.cat"
    bad.write_text(text)
    with pytest.raises(HbError):
        load_model(str(bad))
    out = _run("run", "--quiet", "-m", str(bad), str(lit("mp-buffered.lit")))
    assert out.exit_code == 2 and f"{bad}:{message}" in out.stderr, out.stderr
    assert out.exception is None or isinstance(out.exception, SystemExit)


def test_an_included_declaration_is_not_inherited(tmp_path):
    shutil.copytree(ROOT / "models", tmp_path, dirs_exist_ok=True)
    wrapper = tmp_path / "wrapper.cat"
    wrapper.write_text('"Wrapper"\ninclude "go.cat"\n')
    assert not load_model(str(wrapper)).drf_sc


def _small_kernels() -> list[Path]:
    """The race-free GoKer kernels of at most 300 executions (as the baseline
    records). z3 counts executions one model at a time, and a racy kernel's
    weak executions are many more than the explorer's: kubernetes 70892 (260
    sequentially consistent executions) keeps it busy for minutes."""
    baseline = json.loads((ROOT / "litmus" / "baseline.json").read_text())
    racy = {t["file"] for t in baseline["tests"] if any(f["kind"] == "race" for f in t["findings"])}
    small = {t["file"] for t in baseline["tests"] if t["executions"] <= 300} - racy
    # 12 executions, yet z3's encoding of its loops takes over 100 s: checked by hand, left to #25
    small.discard("litmus/goker/kubernetes_70892_fixed.lit")
    return [p for p in goker_files() if str(p.relative_to(ROOT)) in small]


@pytest.mark.parametrize("path", [*suite_files(), *_small_kernels()], ids=lambda p: p.name)
def test_auto_and_both_agree_on_every_test_of_the_shipped_suite(path):
    p = load(path)
    auto = check_program(p, ExploreConfig(), GO, "auto")
    both = check_program(p, ExploreConfig(), GO, "both")
    if p.condition is not None:  # without one, auto asks z3 nothing of a racy test's outcomes
        assert (auto.observation, auto.possible, auto.states, auto.positive, auto.negative) == (
            both.observation,
            both.possible,
            both.states,
            both.positive,
            both.negative,
        )
    assert dict(auto.findings) == dict(both.findings)
    assert [(e.text, e.status) for e in auto.expectations] == [(e.text, e.status) for e in both.expectations]


def test_smt_is_z3_alone():
    p = load(lit("mp-racy.lit"))
    r = check_program(p, ExploreConfig(), GO, "smt")
    assert r.engines == ["smt"] and r.executions == 4 and r.judged == []
    assert (r.observation, r.states) == ("Sometimes", [(0, 0), (0, 1), (1, 0), (1, 1)])
    assert [e.status for e in r.expectations] == ["pass", "pass"] and r.counts_at_least
    stack = check_program(load(lit("stack-overflow.lit")), ExploreConfig(), GO, "smt")
    assert stack.engines == [] and stack.observation == "Unknown"
    reason = "z3 stepped aside (calls nested deeper than 16 (recursion) are not encoded); "
    assert {e.reason for e in stack.expectations} == {reason + "--engine smt runs no explorer"}
    deadlock = check_program(load(lit("deadlock.lit")), ExploreConfig(), GO, "smt")
    assert [(e.text, e.status) for e in deadlock.expectations] == [
        ("expect always deadlock", "unknown"),  # z3 does not prove "every execution"
        ("expect no panic", "pass"),
    ]


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown engine 'z3'"):
        check_program(load(lit("mp-buffered.lit")), ExploreConfig(), GO, "z3")
    out = _run("run", "--engine", "z3", str(lit("mp-buffered.lit")))
    assert out.exit_code == 2 and "'z3' is not one of" in out.output


def test_reports_say_which_engines_answered(tmp_path):
    files = [str(lit("mp-buffered.lit")), str(lit("mp-racy.lit"))]
    out = _run("run", "--format", "herd", "--no-time", *files)
    assert out.exit_code == 0
    assert "Observation MP+buffered Never 0 1\nEngines MP+buffered explicit\n" in out.stdout
    assert "Observation MP+plain Sometimes 1 3\nEngines MP+plain explicit+z3\n" in out.stdout
    doc = json.loads(_run("run", "--json", "-", *files).stdout)
    jsonschema.validate(doc, SCHEMA)
    assert [t["engines"] for t in doc["tests"]] == [["explicit"], ["explicit", "smt"]]
    assert doc["config"]["engine"] == "auto" and doc["config"]["stop_early"] is False
    table = _run("run", "--quiet", *files).stdout
    assert "Engines" in table and "explicit+z3" in table and "z3 answered 1 of 2" in table


def test_stop_early_ends_a_racy_loop_at_its_first_race(tmp_path):
    p = program(RACY_LOOP)
    r = check_program(p, ExploreConfig(), GO, "auto", stop_early=True)
    assert r.executions == 1 and r.bounds == ["stop-early"] and r.engines == ["explicit"]
    assert r.notes.as_json() == {
        "counted": False,
        "auto": "z3 not run: the search stopped early, every expectation decided",
    }
    assert r.counts_at_least and [e.status for e in r.expectations] == ["pass"]
    assert {r.count_text(f) for f in r.findings} == {"≥1"} and len(r.findings) == 3
    assert "Counts Racy+loop lower bounds: the search stopped early\n" in herd_block(r)
    f = tmp_path / "racy-loop.lit"
    f.write_text(RACY_LOOP)
    out = _run("run", "--stop-early", "--json", "-", str(f))
    assert out.exit_code == 0
    doc = json.loads(out.stdout)
    jsonschema.validate(doc, SCHEMA)
    (t,) = doc["tests"]
    assert (t["executions"], t["bounds"], t["exact"], t["extra"]["counted"]) == (1, ["stop-early"], False, False)
    table = _run("run", "--quiet", "--stop-early", str(f))
    assert "×≥1" in table.stdout and "stop-early" in table.stdout
    assert "stopped early, every expectation decided" in table.stderr


SB3 = """litmus SB+3
var x int
var y int
go P0 {
    x = 1
    r0 = y
}
go P1 {
    y = 1
    r1 = x
}
go P2 {
    x = 2
    y = 2
}
~exists (P0:r0 == 0 && P1:r1 == 0)
expect never
expect race
"""


def test_stop_early_does_not_stop_an_expectation_that_needs_every_execution():
    sc = load_model("sc")  # SC interleavings are exact under it, racy or not
    full = check_program(program(SB3), ExploreConfig(), sc, "auto")
    early = check_program(program(SB3), ExploreConfig(), sc, "auto", stop_early=True)
    # the race is found at once, but "never" holds only once all 22 executions are seen
    for r in (full, early):
        assert (r.executions, r.bounds, r.exact, r.observation) == (22, [], True, "Never")
        assert (r.positive, r.negative) == (0, 22)
        assert [e.status for e in r.expectations] == ["pass", "pass"] and r.notes.counted
    limit = check_program(load(lit("limit.lit")), ExploreConfig(), GO, "explicit", stop_early=True)  # expect no ...
    assert (limit.executions, limit.bounds, [e.status for e in limit.expectations]) == (360, [], ["pass"] * 3)


def test_stop_early_ends_a_failing_never_at_its_first_counterexample():
    text = SB3.replace("(P0:r0 == 0 && P1:r1 == 0)", "(P0:r0 == 1 && P1:r1 == 1)")
    sc = load_model("sc")
    full = check_program(program(text), ExploreConfig(), sc, "auto")
    early = check_program(program(text), ExploreConfig(), sc, "auto", stop_early=True)
    assert (full.executions, full.positive, full.negative, full.bounds) == (22, 3, 19, [])
    assert (early.executions, early.positive, early.negative, early.bounds) == (4, 1, 3, ["stop-early"])
    assert early.observation == full.observation == "Sometimes"
    assert [e.status for e in early.expectations] == [e.status for e in full.expectations] == ["fail", "pass"]
    block = herd_block(early)
    assert "\nLoop No\n" in block and "Positive: 3 Negative: 1" in block  # swapped for ~exists, as herd does
    assert "Counts SB+3 lower bounds: the search stopped early\n" in block


def test_stop_early_decides_sometimes_by_both_sides():
    p = load(lit("select-choice.lit"))  # exists, expect sometimes: one execution each side
    r = check_program(p, ExploreConfig(), GO, "explicit", stop_early=True)
    assert (r.positive, r.negative, r.observation) == (1, 1, "Sometimes")
    assert [e.status for e in r.expectations] == ["pass"] * len(r.expectations)


# what a test may ask, drawn onto random programs: auto's choice depends on them
EXPECTS = (
    "expect sometimes",
    "expect never",
    "expect always",
    "expect race",
    "expect no race",
    "expect deadlock",
    "expect no deadlock",
    "expect always deadlock",
    "expect panic",
    "expect no panic",
    "expect no leak",
)


@st.composite
def _expecting(draw, texts) -> str:
    lines = draw(st.lists(st.sampled_from(EXPECTS), min_size=1, max_size=3, unique=True))
    return draw(texts) + "\n".join(lines) + "\n"


@settings(
    max_examples=STRESS or 100, derandomize=not STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(_expecting(st.one_of(program_text(max_goroutines=3, max_statements=5, rich=True), memory_text(), shaped_text())))
def test_auto_gives_every_verdict_both_gives_on_random_programs(text):
    """No new Unknown, no other verdict: every expectation and the observation
    as ``both`` decides them, and where z3 was not asked, the same findings
    (a racy program's weak executions may add findings nobody asked about)."""
    try:
        p = program(text)
    except HbError:
        reject()  # "expect no leak" without main
    z3_seeded(text)
    config = differential_config()
    auto = check_program(p, config, GO, "auto")
    both = check_program(p, config, GO, "both")
    if any(b.startswith("time-budget") for b in auto.bounds + both.bounds):
        event("not compared: a time budget")  # each stopped where its clock ran out
        return
    assert [(e.text, e.status) for e in auto.expectations] == [(e.text, e.status) for e in both.expectations]
    assert (auto.observation, auto.possible) == (both.observation, both.possible)
    if auto.engines == both.engines or not both.notes.weak:
        assert auto.states == both.states
        assert set(auto.findings) == set(both.findings)
    event(f"auto: {'+'.join(auto.engines)}")
