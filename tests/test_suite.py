"""The starter suite: exact states, counts and findings, worked out by hand.

Counting rule (README, "Counting executions"): an execution is a class of
interleavings that agree on every goroutine's steps and, per object, on the
order of steps that conflict there (all operations on one channel, mutex,
once or wait group; a write against any access of its variable). A step that
parks is a step. Below, P/Q name the two goroutines' operations on the one
channel that matters; a "merge" is an order of them the channel allows.
"""

from __future__ import annotations

import pytest
from conftest import lit, run_file, suite_files

from hbcheck.explore.execution import Finding

DEADLOCK = "all goroutines are asleep - deadlock!"

# file: (states as {location: value} dicts, Positive, Negative, executions, findings)
EXPECTED = {
    # send/recv on c in either order (recv first parks and is handed the value): 2.
    "mp-unbuffered.lit": ([{"P1:r1": 1}], 0, 2, 2, set()),
    "mp-buffered.lit": ([{"P1:r1": 1}], 0, 2, 2, set()),
    # c: main's send and f's receive in either order; a's write precedes both its reads: 2.
    "hello-unbuffered.lit": ([{"main:r": 1}], 2, 0, 2, set()),
    # sem: S0 first, then S1 (parks, woken by R0) or R0 then S1: 2; same with P1 first: 4.
    "semaphore.lit": ([{"x": 2}], 4, 0, 4, set()),
    # close and the two receives on done in any of 3! orders (receives before it park): 6.
    "close-broadcast.lit": ([{"P1:ok1": 0, "P1:r1": 1, "P2:ok2": 0, "P2:r2": 1}], 0, 6, 6, set()),
    # 3 sends + close against 4 receives, capacity 2: counted state by state in the
    # notes of test_range_count_by_hand: 41.
    "range.lit": ([{"Consumer:sum": 123}], 41, 0, 41, set()),
    # select before the send takes default; after it, must take the case: 2.
    "select-default.lit": ([{"P1:got": 0}, {"P1:got": 1}], 1, 1, 2, set()),
    # one goroutine, both cases ready: one execution per case.
    "select-choice.lit": ([{"P0:r": 1}, {"P0:r": 2}], 1, 1, 2, set()),
    # select (parked on c only) vs send in either order: 2.
    "select-nil.lit": ([{"P0:r": 7}], 2, 0, 2, set()),
    # either close is first; the other panics.
    "double-close.lit": (
        [],
        0,
        0,
        2,
        {Finding("panic", "close of closed channel", "P0", 6), Finding("panic", "close of closed channel", "P1", 7)},
    ),
    # done's send/recv in either order; c's close always precedes the send: 2.
    "send-after-close.lit": ([], 0, 0, 2, {Finding("panic", "send on closed channel", "P1", 13)}),
    "close-nil.lit": ([], 0, 0, 1, {Finding("panic", "close of nil channel", "P0", 6)}),
    # the two parking receives touch different channels: one class.
    "deadlock.lit": (
        [],
        0,
        0,
        1,
        {Finding("deadlock", DEADLOCK, blocked=(("P0", "chan receive", 7), ("P1", "chan receive", 8)))},
    ),
    # main returns before the worker runs (no leak), or after it parked (leak): 2.
    "leak.lit": ([{}], 0, 2, 2, {Finding("leak", "chan send", "worker", 7)}),
    # whose critical section comes first: 2.
    "mutex.lit": ([{"x": 2}], 2, 0, 2, set()),
    # who runs setup: 2 (the other Do waits, then only reads the once).
    "once.lit": ([{"P0:r0": 1, "P1:r1": 1, "x": 1}], 2, 0, 2, set()),
    # the workers' Adds on n in 2 orders, their Dones on wg in 2 orders, independently: 4.
    "waitgroup.lit": ([{"main:r": 2}], 4, 0, 4, set()),
    # who swaps first: 2.
    "cas.lit": ([{"P0:ok": 0, "P1:ok": 1}, {"P0:ok": 1, "P1:ok": 0}], 0, 2, 2, set()),
    "nil-recv.lit": ([], 0, 0, 1, {Finding("deadlock", DEADLOCK, blocked=(("P0", "chan receive (nil chan)", 6),))}),
    # 3 sends vs 3 receives, capacity 3: +1/-1 walks from 0 to 0 that never go below
    # -1 (a receive parks on empty and the next step must be a send): C(6,3) - 6 = 14.
    "fifo.lit": ([{"P1:a": 1, "P1:b": 2, "P1:d": 3}], 14, 0, 14, set()),
    # as mp-unbuffered: 2.
    "stack-split.lit": ([{"P1:r": 10}], 2, 0, 2, set()),
    # case taken (1); default, then the failing assert before or after P0's send (2).
    "assert.lit": ([{}], 0, 1, 3, {Finding("assert", "assertion failed", "P1", 14)}),
    # send/recv in either order, then the division panics: 2.
    "div-zero.lit": ([], 0, 0, 2, {Finding("panic", "runtime error: integer divide by zero", "P1", 9)}),
    # as assert.lit: 3 executions, 2 of them panic.
    "explicit-panic.lit": ([{}], 0, 1, 3, {Finding("panic", "nothing ready", "P1", 11)}),
    # 3 sends + close vs 4 receives, capacity 4 (only the receiver parks): walks from 0 to 0
    # of length 8 never below -1, C(8,4) - C(8,2) = 42; then flag's Store (after the close)
    # and Load (after the last receive) in either order: 2 x 42.
    "control.lit": ([{"P1:sum": 8}], 84, 0, 84, set()),
    # 3 sends vs 3 receives, capacity 1: walks from 0 to 0 within [-1, 2]: 13
    # (transfer counts 1; 1,1; 2,1; 2,3; 5,3; 5,8; 13).
    "loop.lit": ([{"P0:n": 3, "P1:s": 3}], 13, 0, 13, set()),
}


# The happens-before tests: final states and observation as `hbcheck run` gives them (both engines).
HB_EXPECTED = {
    "hello-buffered.lit": ([{"main:r": 1}], "Always"),
    "hello-close.lit": ([{"main:r": 1}], "Always"),
    "hello-unbuffered-cap1.lit": ([{"main:r": 0}, {"main:r": 1}], "Sometimes"),
    "limit.lit": ([{"running": 0}], None),
    "cap1-kth.lit": ([{"S:r": 1}], "Never"),
    "cap2-kth.lit": ([{"S:r": 1}], "Never"),
    "cap1-noncumulative.lit": ([{"G2:r": 0}, {"G2:r": 1}], "Sometimes"),
    "mutex-racy.lit": ([{"x": 1}, {"x": 2}], "Sometimes"),
    "once-racy.lit": ([{"P1:r": 0}, {"P1:r": 1}], "Sometimes"),
    "waitgroup-plain.lit": ([{"main:r": 3}], "Always"),
    "waitgroup-racy.lit": ([{"main:r": 0}, {"main:r": 1}], "Sometimes"),
    "atomic-mp.lit": ([{"P1:r": 1}], "Never"),
    "mp-racy.lit": (
        [{"P1:r1": 0, "P1:r2": 0}, {"P1:r1": 0, "P1:r2": 1}, {"P1:r1": 1, "P1:r2": 0}, {"P1:r1": 1, "P1:r2": 1}],
        "Sometimes",
    ),
    "send-close-racy.lit": ([{}], None),
    "send-close-ordered.lit": ([{}], None),
    "select-hb.lit": ([{"P1:r": 1}], "Never"),
}


DL = "all goroutines are asleep - deadlock!"
# The themed additions: observation (None without a condition) and every finding, by hand from the source.
THEMED = {
    "stack-overflow.lit": (None, {"panic: stack overflow (P0, line 5)"}),
    "stack-spawn.lit": ("Always", set()),
    "stack-pingpong.lit": ("Always", set()),
    "main-blocked.lit": (None, {f"{DL} (main [chan receive] line 12)"}),
    "relock.lit": (None, {f"{DL} (P0 [sync.Mutex.Lock mu] line 8)"}),
    "waitgroup-short.lit": (None, {f"{DL} (main [sync.WaitGroup.Wait wg] line 13)"}),
    "select-all-nil.lit": (None, {f"{DL} (P0 [select] line 8)"}),
    "once-reentrant.lit": (None, {f"{DL} (P0 [sync.Once.Do o] line 7)"}),
    "leak-range.lit": (None, {"consumer leaked: chan receive at line 7"}),
    "no-leak-close.lit": (None, set()),
    "unlock-unlocked.lit": (None, {"panic: sync: unlock of unlocked mutex (P0, line 6)"}),
    "waitgroup-negative.lit": (None, {"panic: sync: negative WaitGroup counter (P0, line 9)"}),
    "select-send-closed.lit": ("Always", {"panic: send on closed channel (P0, line 10)"}),
    "select-closed.lit": ("Always", set()),
    "select-both.lit": ("Sometimes", {f"{DL} (P0 [select] line 8)"}),
    "select-fanin.lit": ("Always", set()),
    "atomic-counter.lit": ("Always", set()),
    "mutex-handoff.lit": ("Sometimes", set()),
    "once-three.lit": ("Always", set()),
    "sb-racy.lit": (
        "Sometimes",
        {"race on x: P0 line 7 (write) vs P1 line 8 (read)", "race on y: P0 line 7 (read) vs P1 line 8 (write)"},
    ),
    "lb-racy.lit": (
        "Sometimes",
        {"race on x: P0 line 7 (read) vs P1 line 8 (write)", "race on y: P0 line 7 (write) vs P1 line 8 (read)"},
    ),
    "corr-racy.lit": ("Sometimes", {"race on x: P0 line 6 (write) vs P1 line 7 (read)"}),
    "cap1-noncumulative-struct.lit": ("Sometimes", {"race on x: G1 line 8 (write) vs G2 line 13 (read)"}),
    "iriw-racy.lit": (
        "Sometimes",
        {
            "race on x: P0 line 7 (write) vs P2 line 9 (read)",
            "race on x: P0 line 7 (write) vs P3 line 10 (read)",
            "race on y: P1 line 8 (write) vs P2 line 9 (read)",
            "race on y: P1 line 8 (write) vs P3 line 10 (read)",
        },
    ),
    "lb-oota.lit": (
        "Never",
        {"race on x: P0 line 7 (read) vs P1 line 8 (write)", "race on y: P0 line 7 (write) vs P1 line 8 (read)"},
    ),
    "lb-ctrl.lit": ("Never", set()),
    "2plus2w-racy.lit": (
        "Sometimes",
        {"race on x: P0 line 7 (write) vs P1 line 8 (write)", "race on y: P0 line 7 (write) vs P1 line 8 (write)"},
    ),
}


def test_every_suite_file_is_pinned():
    assert sorted(p.name for p in suite_files()) == sorted([*EXPECTED, *HB_EXPECTED, *THEMED])
    assert len(suite_files()) >= 60
    themes = {p.parent.name for p in suite_files()}
    assert themes == {"mp", "semaphores", "close", "select", "sync", "racy", "panics", "deadlocks", "stack"}
    assert all(p.read_text().splitlines()[1].startswith('"') for p in suite_files())  # a one-line description


@pytest.mark.parametrize("name", sorted(THEMED))
def test_themed_suite_observations_and_findings(name):
    observation, findings = THEMED[name]
    r = run_file(lit(name), engine="both")
    assert (r.observation if r.program.condition else None) == observation
    assert {f.describe() for f in r.findings} == findings
    assert r.status == "pass", [e.reason for e in r.expectations if e.status != "pass"]


@pytest.mark.parametrize("name", sorted(HB_EXPECTED))
def test_hb_suite_states_and_observations(name):
    states, observation = HB_EXPECTED[name]
    r = run_file(lit(name), engine="both")
    shown = [{f"{a}:{b}" if b else a: v for (a, b), v in zip(r.locations, s)} for s in r.states]
    assert sorted(shown, key=sorted_items) == sorted(states, key=sorted_items)
    if observation is not None:
        assert r.observation == observation
    assert r.status == "pass", [e.reason for e in r.expectations if e.status != "pass"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_suite_outcomes_counts_and_findings(name):
    states, positive, negative, executions, findings = EXPECTED[name]
    r = run_file(lit(name))
    shown = [{f"{a}:{b}" if b else a: v for (a, b), v in zip(r.locations, s)} for s in r.states]
    assert sorted(shown, key=sorted_items) == sorted(states, key=sorted_items)
    assert (r.positive, r.negative, r.executions) == (positive, negative, executions)
    assert set(r.findings) == findings
    assert r.exact
    assert r.status == "pass", [e.reason for e in r.expectations if e.status != "pass"]


def sorted_items(d):
    return sorted(d.items())


def test_range_count_by_hand():
    """N(i, j, b, park): producer ops done i (3 sends then close), consumer
    receives done j (3 values then the closed one), b buffered, who is parked.
    N(3,4,R)=N(4,3)=N(4,2,1)=N(4,1,2)=1; N(3,3,0)=2; N(3,2,1)=3; N(2,2,0)=5;
    N(3,1,2)=4; N(2,1,1)=9; N(1,1,0)=14; N(2,0,2)=13; N(1,0,1)=27; N(0,0,0)=27+14."""
    assert run_file(lit("range.lit")).executions == 27 + 14
