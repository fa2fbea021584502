"""WaitGroup misuse (issue 20, defect 6), as sync/waitgroup.go (Go 1.19) shows it:
the race detector's report of an Add from 0 (its read of the wait group)
against the first Wait to park (its write) when happens-before leaves them
unordered, and the runtime's two misuse panics. Only wait groups whose Waits
and positive Adds are not all one goroutine's get the two-step operations;
the others keep their counts."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import program

from hbcheck.explore import ExploreConfig, explore
from hbcheck.language import load
from hbcheck.models import load_model
from hbcheck.verdict import judge
from hbcheck.verdict.engines import check_program

ROOT = Path(__file__).resolve().parents[2]
MISUSE = "sync: WaitGroup misuse: Add called concurrently with Wait"
REUSED = "sync: WaitGroup is reused before previous Wait has returned"

ADD_IN_WORKER = """
    litmus WG+add-in-worker
    var wg sync.WaitGroup
    func worker {
        wg.Add(1)
        wg.Done()
    }
    go main {
        go worker()
        wg.Wait()
    }
"""

ADD_BEFORE_GO = """
    litmus WG+add-before-go
    var wg sync.WaitGroup
    func worker {
        wg.Done()
    }
    go main {
        wg.Add(1)
        go worker()
        wg.Wait()
    }
"""

ADD_THEN_SIGNAL = """
    litmus WG+add-then-signal
    var c = make(chan int)
    var wg sync.WaitGroup
    func worker {
        wg.Add(1)
        c <- 1
        wg.Done()
    }
    go main {
        go worker()
        <-c
        wg.Wait()
    }
"""

REUSE = """
    litmus WG+reused
    var wg sync.WaitGroup
    func worker {
        wg.Done()
        wg.Add(1)
        wg.Done()
    }
    go main {
        wg.Add(1)
        go worker()
        wg.Wait()
    }
"""

ADD_IN_WINDOW = """
    litmus WG+add-during-release
    var wg sync.WaitGroup
    func done {
        wg.Done()
    }
    func adder {
        wg.Add(1)
    }
    go main {
        wg.Add(1)
        go done()
        go adder()
        wg.Wait()
    }
"""


def _findings(text: str, por: str = "dpor") -> list[str]:
    p = program(text)
    return sorted(f.describe() for f in judge(p, explore(p, ExploreConfig(por=por))).findings)


def test_add_in_the_worker_races_with_wait():
    """The classic bug: the Add (line 4, a read) and the parking Wait (line 9, a write)."""
    assert _findings(ADD_IN_WORKER) == ["race on wg: worker line 4 (read) vs main line 9 (write)"]


@pytest.mark.parametrize("text", [ADD_BEFORE_GO, ADD_THEN_SIGNAL], ids=["add-before-go", "add-then-signal"])
def test_an_add_that_happens_before_the_wait_does_not_race(text):
    assert _findings(text) == []


def test_add_after_the_release_panics_the_returning_wait():
    assert _findings(REUSE) == [
        f"panic: {REUSED} (main, line 11)",
        "race on wg: worker line 5 (read) vs main line 11 (write)",
    ]


def test_add_in_the_release_window_panics():
    """The adder's Add (line 7) in the window panics; so does the releasing
    Done's own check (line 4), when it comes first; after the window, main's
    Wait panics (reused) or, before main's Wait, never returns."""
    assert _findings(ADD_IN_WINDOW) == [
        "all goroutines are asleep - deadlock! (main [sync.WaitGroup.Wait wg] line 13)",
        f"panic: {REUSED} (main, line 13)",
        f"panic: {MISUSE} (adder, line 7)",
        f"panic: {MISUSE} (done, line 4)",
        "race on wg: adder line 7 (read) vs main line 13 (write)",
    ]


@pytest.mark.parametrize("text", [ADD_IN_WORKER, ADD_THEN_SIGNAL, REUSE, ADD_IN_WINDOW])
def test_the_reduced_search_agrees_with_the_naive_one(text):
    p = program(text)
    reduced = explore(p)
    naive = explore(p, ExploreConfig(por="none"))
    assert {x.key for x in reduced.executions} == {x.key for x in naive.executions}
    assert reduced.interleavings == len(reduced.executions)
    r, n = judge(p, reduced), judge(p, naive)
    assert (r.states, r.executions, sorted(f.describe() for f in r.findings)) == (
        n.states,
        n.executions,
        sorted(f.describe() for f in n.findings),
    )


@pytest.mark.parametrize(
    ("path", "executions"),
    [
        ("litmus/sync/waitgroup.lit", 4),
        ("litmus/sync/waitgroup-plain.lit", 2),
        ("litmus/sync/waitgroup-loop.lit", 57),
        ("litmus/racy/waitgroup-racy.lit", 2),
        ("litmus/deadlocks/waitgroup-short.lit", 1),
        ("litmus/panics/waitgroup-negative.lit", 1),
    ],
)
def test_wait_groups_that_cannot_show_misuse_keep_their_counts(path, executions):
    p = load(ROOT / path)
    assert p.shared_waitgroups() == frozenset()
    assert len(explore(p).executions) == executions


def test_shipped_misuse_tests_pass():
    for name in ("racy/waitgroup-add-in-worker", "racy/waitgroup-reused", "racy/waitgroup-add-during-release"):
        r = judge(p := load(ROOT / f"litmus/{name}.lit"), explore(p))
        assert [e.status for e in r.expectations] == ["pass"] * len(r.expectations), name


def test_trace_names_the_sema_accesses():
    p = program(ADD_IN_WORKER)
    x = next(x for x in explore(p).executions if any(e.op == "sema-write" for e in x.events))
    labels = [e.label() for e in x.events if e.kind.startswith("wg")]
    assert labels == [
        "wg-add wg [sema-read]",
        "wg-wait wg (begin) [sema-write]",
        "wg-done wg",
        "wg-done wg (end)",
        "wg-wait wg (end)",
    ]


def test_a_wait_group_race_leaves_the_answers_about_memory_exact():
    # the misuse race is on the runtime's own accesses, which read no value:
    # it does not make the program's outcomes weak (z3 steps aside for it)
    text = """
        litmus WG+race+exact
        var x int
        var wg sync.WaitGroup
        func worker {
            wg.Add(1)
            x = 1
            wg.Done()
        }
        go main {
            go worker()
            wg.Wait()
            r = 1
        }
        exists (main:r == 1)
        expect always
        expect race
        expect no panic
        """
    r = check_program(program(text), ExploreConfig(), load_model("go"), "auto")
    assert r.engines == ["explicit"] and r.exact and r.observation == "Always"
    assert {f.describe() for f in r.findings} == {"race on wg: worker line 5 (read) vs main line 11 (write)"}
    assert [e.status for e in r.expectations] == ["pass", "pass", "pass"]
