"""Races on the suite (exact pairs and lines), models as files, and splits."""

from __future__ import annotations

import json

import jsonschema
import pytest
from helpers import lit, program, run_file, suite_files
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.explore import explore
from hbcheck.hb import execution_graph
from hbcheck.report.results import SCHEMA_PATH

# Every racy test of the suite, with its racing accesses read off the source.
RACY = {
    # closures: a captured variable is a location of its own, named after the goroutine that declared it
    "loop-variable-go121.lit": {
        f"race on main.i: main line 9 (write) vs {g} line 13 (read)" for g in ("main_func1", "main_func1#2")
    },
    "shared-counter-racy.lit": {
        f"race on main.n: main_func1 line 12 ({a}) vs main_func1#2 line 12 ({b})"
        for a, b in (("write", "read"), ("read", "write"), ("write", "write"))
    },
    # a shared channel variable re-made while another goroutine sends on it
    "reassigned-done-racy.lit": {"race on done: P0 line 7 (write) vs P1 line 11 (read)"},
    # a slice's header is its variable; an append that grows copies the other's element
    # one backing array main made, written through two workers' parameters
    "buffer-passed-racy.lit": {"race on main.buf[0]: fill line 8 (write) vs fill#2 line 8 (write)"},
    "append-racy.lit": {
        "race on results: worker line 9 (read) vs worker#2 line 9 (write)",
        "race on results: worker line 9 (write) vs worker#2 line 9 (read)",
        "race on results: worker line 9 (write) vs worker#2 line 9 (write)",
        "race on worker#2.results[0]: worker line 9 (read) vs worker#2 line 9 (write)",
        "race on worker.results[0]: worker line 9 (write) vs worker#2 line 9 (read)",
    },
    # a map is one location: two writes of different keys race
    "writes-racy.lit": {"race on seen: main line 7 (write) vs record line 7 (write)"},
    "iterate-write.lit": {"race on cache: fill line 7 (write) vs main line 14 (read)"},
    "same-element-racy.lit": {
        f"race on results[1]: worker line 10 ({a}) vs worker#2 line 10 ({b})"
        for a, b in (("write", "read"), ("read", "write"), ("write", "write"))
    },
    "captured-atomic-flag-racy.lit": {"race on main.done: main_func1 line 7 (atomic write) vs main line 9 (read)"},
    "worker-parameters.lit": {
        "race on main.id: worker_func1 line 8 (read) vs main line 10 (write)",
        "race on main.id#2: worker_func1#2 line 8 (read) vs main line 10 (write)",
    },
    "atomic-plain-racy.lit": {"race on x: P0 line 7 (atomic write) vs P1 line 10 (read)"},
    # WaitGroup misuse: an Add from 0 against the first Wait to park
    "waitgroup-add-in-worker.lit": {"race on wg: worker line 8 (read) vs main line 21 (write)"},
    "waitgroup-reused.lit": {"race on wg: worker line 8 (read) vs main line 15 (write)"},
    "waitgroup-add-during-release.lit": {"race on wg: adder line 11 (read) vs main line 18 (write)"},
    "hello-unbuffered-cap1.lit": {"race on a: f line 8 (write) vs main line 15 (read)"},
    "cap1-noncumulative.lit": {"race on x: G1 line 8 (write) vs G2 line 13 (read)"},
    "cap1-noncumulative-struct.lit": {"race on x: G1 line 8 (write) vs G2 line 13 (read)"},
    "mutex-racy.lit": {
        "race on x: P0 line 7 (read) vs P1 line 8 (write)",
        "race on x: P0 line 7 (write) vs P1 line 8 (read)",
        "race on x: P0 line 7 (write) vs P1 line 8 (write)",
    },
    "once-racy.lit": {"race on x: P0 line 8 (write) vs P1 line 12 (read)"},
    "waitgroup-racy.lit": {"race on a: w line 8 (write) vs main line 15 (read)"},
    "mp-racy.lit": {
        "race on x: P0 line 8 (write) vs P1 line 13 (read)",
        "race on y: P0 line 9 (write) vs P1 line 12 (read)",
    },
    "send-close-racy.lit": {"send/close race on c: P0 line 6 (send) vs P1 line 7 (close)"},
    # the send's panic is recovered; the race with the close is still a race
    "recover-woken-sender.lit": {"send/close race on c: P line 16 (send) vs main line 25 (close)"},
    "select-send-close-racy.lit": {"send/close race on a: P0 line 8 (send) vs P1 line 12 (close)"},
    "select-close-wakes-receive.lit": {"send/close race on a: main line 8 (close) vs P1 line 14 (send)"},
    "select-default-close-racy.lit": {"send/close race on a: P0 line 8 (send) vs P1 line 13 (close)"},
    "select-panic-close-racy.lit": {"send/close race on a: P0 line 8 (send) vs P1 line 12 (close)"},
    "select-polled-close-racy.lit": {
        "race on x: P0 line 13 (write) vs P1 line 16 (read)",
        "send/close race on a: P0 line 10 (send) vs P1 line 18 (close)",
    },
    "sb-racy.lit": {
        "race on x: P0 line 7 (write) vs P1 line 8 (read)",
        "race on y: P0 line 7 (read) vs P1 line 8 (write)",
    },
    "lb-racy.lit": {
        "race on x: P0 line 7 (read) vs P1 line 8 (write)",
        "race on y: P0 line 7 (write) vs P1 line 8 (read)",
    },
    "corr-racy.lit": {"race on x: P0 line 6 (write) vs P1 line 7 (read)"},
    "corr-locks-racy.lit": {
        "race on x: P0 line 7 (write) vs P2 line 9 (read)",
        "race on x: P1 line 8 (write) vs P2 line 9 (read)",
    },
    "iriw-racy.lit": {
        "race on x: P0 line 7 (write) vs P2 line 9 (read)",
        "race on x: P0 line 7 (write) vs P3 line 10 (read)",
        "race on y: P1 line 8 (write) vs P2 line 9 (read)",
        "race on y: P1 line 8 (write) vs P3 line 10 (read)",
    },
    "lb-oota.lit": {
        "race on x: P0 line 7 (read) vs P1 line 8 (write)",
        "race on y: P0 line 7 (write) vs P1 line 8 (read)",
    },
    "2plus2w-racy.lit": {
        "race on x: P0 line 7 (write) vs P1 line 8 (write)",
        "race on y: P0 line 7 (write) vs P1 line 8 (write)",
    },
}


def _races(r) -> set[str]:
    return {f.describe() for f in r.findings if f.kind in ("race", "send-close-race")}


@pytest.mark.parametrize("path", suite_files(), ids=lambda p: p.name)
def test_exact_race_pairs_on_the_suite(path):
    assert _races(run_file(path)) == RACY.get(path.name, set())


# Tests whose verdicts rest on the k-th / (k+C)-th rule: without it, the
# semaphore and the k-th receive no longer order the plain accesses.
CAPACITY_RULE = {"semaphore.lit", "cap1-kth.lit", "cap2-kth.lit"}


def _verdicts(r):
    return (r.observation, sorted(f.describe() for f in r.findings), [e.status for e in r.expectations])


def test_go_nocap_changes_exactly_the_capacity_rule_tests():
    changed = set()
    for path in suite_files():
        if _verdicts(run_file(path, model="go")) != _verdicts(run_file(path, model="go-nocap")):
            changed.add(path.name)
    assert changed == CAPACITY_RULE
    r = run_file(lit("cap1-kth.lit"), model="go-nocap")
    assert _races(r) == {"race on x: R line 8 (write) vs S line 14 (read)"}
    assert r.observation == "Unknown" and r.status == "fail"


def test_split_adds_no_edge_but_po_while_data_crosses_goroutines():
    p = program("""
        litmus SplitHolding
        var x int
        var c = make(chan int)
        func deep frame 1500 { n = n + 1; if n < 3 { deep() } }
        go P0 { x = 1; deep(); c <- 1 }
        go P1 { <-c; r = x }
        forall (P1:r == 1)
        expect always
        expect no race
    """)
    caps = p.caps
    xs = explore(p).executions
    assert xs
    for x in xs:
        g = execution_graph(x, caps)
        splits = [e.id for e in x.events if e.kind == "split"]
        assert len(splits) == 2  # 2048 -> 4096 at the 1st call (1500 > 1120), -> 8192 at the 3rd
        for s in splits:
            kinds = {k for _a, _b, k in g.in_edges(s, data="kind")} | {k for _a, _b, k in g.out_edges(s, data="kind")}
            assert kinds == {"po"}
    r = run_file_text(p)
    assert r.status == "pass"


def run_file_text(p):
    from hbcheck.models import load_model
    from hbcheck.verdict import judge

    return judge(p, explore(p), load_model("go"))


@pytest.mark.parametrize(
    "body,line,col,message",
    [
        ('"m"\nlet hb = (po | sw)+\n', 2, 16, "unbound name 'sw'"),
        ('"m"\nlet a = R | po\n', 2, 9, "'|' mixes a set and a relation"),
        ('"m"\nacyclic R as bad\n', 2, 1, "acyclic needs a relation, got a set"),
        ('"m"\nlet a = (po\n', 2, 12, "model syntax error"),
        ('"m"\ninclude "nowhere.cat"\n', 2, 1, "cannot include 'nowhere.cat'"),
    ],
)
def test_bad_model_is_rejected_with_its_position(tmp_path, body, line, col, message):
    model = tmp_path / "bad.cat"
    model.write_text(body)
    result = CliRunner().invoke(app, ["run", "--model", str(model), str(lit("mutex.lit"))])
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{model}:{line}:{col}: ") and message in first, first
    assert "Traceback" not in result.stderr


def test_unknown_model_name():
    result = CliRunner().invoke(app, ["run", "--model", "tso", str(lit("mutex.lit"))])
    assert (
        result.exit_code == 2
        and "unknown model 'tso' (known: go, go-coherent, go-nocap, go-races, go-sync, go-visibility, sc)"
        in result.stderr
    )


def test_a_model_s_own_flag_is_a_flag_finding_in_both_engines(tmp_path):
    # the explorer reported it as "panic: flag ww-race (None, line None)" (a kind
    # the JSON schema refused) and z3 as a send/close race on x
    model = tmp_path / "custom.cat"
    model.write_text(
        '"custom"\ninclude "go"\ndeclare drf-sc\n'
        "flag ~empty (([W] ; loc ; [W]) & ext) \\ (hb | hb^-1) as ww-race\n"
        "flag ~empty [W] ; po ; [W] as two-writes\n"
    )
    test = tmp_path / "c.lit"
    test.write_text("litmus C\nvar x int\ngo P0 { x = 1 }\ngo P1 { x = 2 }\nexists (x == 1)\n")
    out = tmp_path / "r.json"
    result = CliRunner().invoke(app, ["run", "-q", "--engine", "both", "-m", str(model), "--json", str(out), str(test)])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(out.read_text())
    jsonschema.validate(doc, json.loads(SCHEMA_PATH.read_text()))
    (t,) = doc["tests"]
    assert t["engines"] == ["explicit", "smt"]
    # the initial writes are po-before each goroutine's write
    assert sorted(f["description"] for f in t["findings"]) == [
        "flag two-writes",
        "flag ww-race",
        "race on x: P0 line 3 (write) vs P1 line 4 (write)",
    ]
