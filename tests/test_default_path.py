"""Real programs on the default path (both engines): the reproducers of the
shapes the random generators once missed, each with its exact answer."""

from __future__ import annotations

from conftest import program

from hbcheck.explore import ExploreConfig
from hbcheck.explore.execution import DEADLOCK_TEXT, Finding
from hbcheck.models import load_model
from hbcheck.report.baseline import compare
from hbcheck.verdict.engines import check_program


def both(text: str, model: str = "go"):
    return check_program(program(text), ExploreConfig(), load_model(model), "both")


def test_a_deadlock_is_the_same_finding_whatever_order_its_goroutines_are_listed_in():
    # the engines listed the blocked goroutines in different orders: a disagreement
    r = both(
        """
        litmus Deadlock+order
        var c = make(chan int)
        var mu sync.Mutex
        func a { <-c }
        func s { go a() }
        func b {
            mu.Lock()
            mu.Lock()
        }
        go T {
            go s()
            go b()
        }
        expect always deadlock
        """
    )
    assert r.engines == ["explicit", "smt"]
    blocked = (("a", "chan receive", 4), ("b", "sync.Mutex.Lock mu", 8))
    assert dict(r.findings) == {Finding("deadlock", DEADLOCK_TEXT, blocked=blocked): 1}
    swapped = Finding("deadlock", DEADLOCK_TEXT, blocked=blocked[::-1])
    assert swapped == Finding("deadlock", DEADLOCK_TEXT, blocked=blocked)
    assert [e.status for e in r.expectations] == ["pass"]


def test_a_baseline_matches_findings_as_values_not_as_text():
    def doc(blocked: list[tuple[str, str, int]]) -> dict:
        finding = {
            "kind": "deadlock",
            "text": DEADLOCK_TEXT,
            "goroutine": None,
            "line": None,
            "description": "as printed: " + ", ".join(g for g, _w, _ln in blocked),
            "blocked": [{"goroutine": g, "waits": w, "line": ln} for g, w, ln in blocked],
        }
        test = {"name": "T", "file": "t.lit", "observation": None, "states": [], "positive": 0, "negative": 0}
        return {"tests": [test | {"executions": 1, "findings": [finding]}]}

    one, two = ("a", "chan receive", 4), ("b", "sync.Mutex.Lock mu", 8)
    assert compare(doc([one, two]), doc([two, one])) == []
    assert [d.kind for d in compare(doc([one, two]), doc([one]))] == ["new finding", "finding gone"]


def test_z3_reads_a_model_wider_than_python_s_decimal_limit():
    # 223 registers pack past 4,300 decimal digits; reading them once raised ValueError
    body = "\n".join(f"    q{i} = {i}" for i in range(1, 224))
    r = both(f"litmus Wide\ngo P0 {{\n{body}\n}}\nexists (P0:q223 == 223)\nexpect always\n")
    assert r.engines == ["explicit", "smt"]
    assert (r.observation, r.states, r.positive, r.negative) == ("Always", [(223,)], 1, 0)
