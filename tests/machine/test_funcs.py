"""Functions with Go signatures on the machine: parameters, results, frames
of registers of their own, ``return`` anywhere, calls inside expressions and
``go f(args)`` with its arguments evaluated by the spawner."""

from __future__ import annotations

import pytest
from helpers import STRESS, program, run_text
from hypothesis import given, settings
from programs import FUNCTION_PROGRAMS, function_text

from hbcheck.explore import ExploreConfig, explore
from hbcheck.machine import Machine
from hbcheck.verdict import judge


def _answer(text: str) -> tuple[set[tuple[int, ...]], int, dict[str, int]]:
    res = run_text(text)
    return set(res.states), res.executions, {f.kind: n for f, n in res.findings.items()}


def test_a_recursive_function_returns_its_result():
    text = """
    litmus Fib
    func fib(n int) int {
      if n < 2 { return n }
      return fib(n - 1) + fib(n - 2)
    }
    go P { r = fib(7) }
    exists (P:r == 13)
    """
    assert _answer(text) == ({(13,)}, 1, {})


def test_each_frame_has_its_own_registers():
    text = """
    litmus Frames
    func down(n int) int {
      r = n * 10
      if n > 0 { s = down(n - 1) }
      return r + s
    }
    go P { r = 7; t = down(3) }
    exists (P:r == 7 && P:t == 60)
    """
    assert _answer(text) == ({(7, 60)}, 1, {})
    assert program(text).registers["P"] == {"r", "t"}  # down's r and s are its frames' own


def test_the_paren_less_form_still_shares_its_goroutine_s_registers():
    text = """
    litmus Shared
    func F { r = 1 }
    func G() { r = 2 }
    go P { r = 3; G(); s = r; F() }
    exists (P:r == 1 && P:s == 3)
    """
    assert _answer(text) == ({(1, 3)}, 1, {})


def test_return_inside_a_loop():
    text = """
    litmus Loop
    var c = make(chan int, 3)
    func first(c chan int) int {
      for i := 0; i < 3; i++ {
        v = <-c
        if v >= 2 { return v }
      }
      return -1
    }
    go P { c <- 1; c <- 2; c <- 3 }
    go Q { r = first(c) }
    exists (Q:r == 2)
    """
    assert _answer(text) == ({(2,)}, 1, {})


def test_return_inside_a_select_case():
    text = """
    litmus Sel
    var a = make(chan int, 1)
    var b = make(chan int, 1)
    func pick(a chan int, b chan int) int {
      select {
      case v = <-a:
        return v
      case v = <-b:
        return v + 10
      }
    }
    go P { a <- 1 }
    go Q { b <- 2 }
    go R { r = pick(a, b) }
    exists (R:r == 1)
    """
    assert _answer(text) == ({(1,), (12,)}, 2, {})


def test_return_in_a_goroutine_body_and_a_paren_less_function():
    text = """
    litmus Early
    var x int
    func F {
      r = 1
      return
    }
    go P { F(); if r == 1 { return }; x = 1 }
    exists (x == 0)
    expect always
    """
    assert _answer(text) == ({(0,)}, 1, {})


def test_go_evaluates_its_arguments_in_the_spawner():
    # x and s are read before the go statement's step; the later writes do not
    # reach the new goroutine, and x is never read by it: no race
    text = """
    litmus GoArgs
    var x = 1
    func w(v int) { r = v }
    go P { s = 5; go w(x + s); x = 2; s = 6 }
    exists (w:r == 6)
    expect always
    expect no race
    """
    assert _answer(text) == ({(6,)}, 1, {})
    racy = text.replace("func w(v int) { r = v }", "func w(v int) { r = x + v }").replace("w:r == 6", "w:r == 11")
    states, executions, findings = _answer(racy.replace("expect always\n", "").replace("expect no race\n", ""))
    assert states == {(7,), (8,)} and executions == 2 and findings == {"race": 2}


def test_calls_in_expressions_run_left_to_right():
    text = """
    litmus Order
    var x = 0
    func f() int { x = 5; return 1 }
    go P { r = x + f(); s = f() + x; if f() == 1 && x == 5 { t = 1 } }
    exists (P:r == 1 && P:s == 6 && P:t == 1)
    """
    assert _answer(text) == ({(1, 6, 1)}, 1, {})


def test_channel_and_sync_parameters_bind_the_objects_passed():
    text = """
    litmus Workers
    var a = make(chan int)
    var b = make(chan int)
    var wg sync.WaitGroup
    var mu sync.Mutex
    var total int
    func worker(id int, jobs chan int, wg *sync.WaitGroup, m *sync.Mutex) {
      v = <-jobs
      m.Lock()
      total = total + v * id
      m.Unlock()
      wg.Done()
    }
    go main {
      wg.Add(2)
      go worker(1, a, &wg, &mu)
      go worker(10, b, &wg, &mu)
      b <- 2
      a <- 3
      wg.Wait()
    }
    exists (total == 23 && worker:v == 3 && worker#2:v == 2)
    expect always
    expect no race
    """
    states, executions, findings = _answer(text)
    assert states == {(3, 2, 23)} and findings == {}  # locations in sorted order
    assert executions == 4  # the critical sections in either order, then the Dones in either order
    m = Machine(program(text))
    assert {"worker[a,wg,mu]", "worker[b,wg,mu]"} <= set(m.codes)


def test_a_nil_channel_argument_blocks_for_ever():
    text = """
    litmus NilArg
    func get(c chan int) int {
      v = <-c
      return v
    }
    go P { r = get(nil) }
    expect deadlock
    """
    _states, executions, findings = _answer(text)
    assert executions == 1 and findings == {"deadlock": 1}


def test_deep_recursion_splits_the_stack_and_overflow_still_panics():
    text = """
    litmus Deep
    func down(n int) int frame 1024 {
      if n == 0 { return 0 }
      return down(n - 1) + 1
    }
    go P { r = down(12) }
    exists (P:r == 12)
    """
    p = program(text)
    x = explore(p).executions
    assert len(x) == 1
    splits = [e.split[:2] for e in x[0].events if e.kind == "split"]
    assert splits == [(2048, 4096), (4096, 8192), (8192, 16384)]
    assert _answer(text)[0] == {(12,)}
    overflow = text.replace("frame 1024", "frame 100000").replace("down(12)", "down(20000)")
    assert _answer(overflow.replace("exists (P:r == 12)", ""))[2] == {"panic": 1}


@settings(max_examples=STRESS or 20, derandomize=not STRESS, deadline=None)
@given(function_text())
def test_the_reduced_search_agrees_with_every_interleaving_on_functions(text):
    """The footprints follow a call into the code its channel and sync
    arguments chose, and a close of a channel parameter may close any channel."""
    p = program(text)

    def answer(por: str) -> tuple:
        r = judge(p, explore(p, ExploreConfig(por=por)))
        return sorted(r.states), r.positive, r.negative, set(r.findings)

    assert answer("dpor") == answer("none")


@pytest.mark.parametrize("name", sorted(FUNCTION_PROGRAMS))
def test_the_reduced_search_agrees_on_the_function_programs(name):
    p = program(FUNCTION_PROGRAMS[name])
    full, reduced = (judge(p, explore(p, ExploreConfig(por=por))) for por in ("none", "dpor"))
    assert sorted(full.states) == sorted(reduced.states) and set(full.findings) == set(reduced.findings)
