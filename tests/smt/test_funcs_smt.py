"""z3 on functions with Go signatures: each call inlined in a frame of its own
(its registers renamed, its channel and sync parameters bound), ``return``
merged at the call, ``go f(args)`` evaluated by the spawner; the engines must
agree (``check_program`` raises ``EngineDisagreement`` when they do not)."""

from __future__ import annotations

import pytest
from helpers import STRESS, differential_config, program, z3_seeded
from hypothesis import HealthCheck, event, given, settings
from programs import FUNCTION_PROGRAMS as PROGRAMS
from programs import function_text

from hbcheck.explore import ExploreConfig
from hbcheck.models import load_model
from hbcheck.smt.unfold import Unsupported, unfold
from hbcheck.verdict.engines import check_program


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_the_engines_agree_on_functions(name):
    r = check_program(program(PROGRAMS[name]), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit", "smt"]


def test_z3_sees_the_left_to_right_order_and_the_spawner_s_arguments():
    r = check_program(program(PROGRAMS["go-args"]), ExploreConfig(), load_model("go"), "both")
    assert sorted(r.states) == [(7,), (8,)] and r.engines == ["explicit", "smt"]
    r = check_program(program(PROGRAMS["left-to-right"]), ExploreConfig(), load_model("go"), "both")
    assert (1, 6) in r.states and r.engines == ["explicit", "smt"]


def test_z3_steps_aside_from_a_call_on_the_right_of_and():
    text = """
    litmus Guarded
    var c = make(chan int)
    func get(c chan int) int {
      v = <-c
      return v
    }
    go P { if r == 1 && get(c) == 2 { s = 1 } }
    """
    with pytest.raises(Unsupported, match="a call on the right of &&"):
        unfold(program(text), 8)
    # the explorer still answers
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit"]


def test_z3_steps_aside_from_deep_recursion():
    text = """
    litmus Deep
    func down(n int) int {
      if n == 0 { return 0 }
      return down(n - 1) + 1
    }
    go P { r = down(40) }
    """
    with pytest.raises(Unsupported, match="recursion"):
        unfold(program(text), 8)


@settings(
    max_examples=STRESS or 30, derandomize=not STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(function_text())
def test_engines_agree_on_drawn_programs_with_functions(text):
    """Parameters bound to different channels, returns from an if, a loop or a
    select case, calls inside expressions, go with arguments: z3 inlines each
    call in a frame of its own and must find the machine's states and findings."""
    z3_seeded(text)
    r = check_program(program(text), differential_config(), load_model("go"), "both")
    event("compared" if r.engines == ["explicit", "smt"] and not r.bounds else f"not compared: {r.notes.smt}")
    assert not r.notes.smt_unconfirmed, "the replay search gave up on a z3 execution"


@pytest.mark.parametrize(
    "text",
    [
        """
        litmus ShadowedVar
        var x int
        func g { r = x }
        func f(x int) int { g(); return r }
        go P { s = f(5) }
        go Q { x = 1 }
        exists (P:s == 1)
        """,
        """
        litmus ShadowedChan
        var a = make(chan int, 1)
        var b = make(chan int, 1)
        func g { b <- 7 }
        func f(b chan int) int { g(); v = <-b; return v }
        go P { s = f(a) }
        go Q { a <- 3 }
        exists (P:s == 3)
        """,
    ],
    ids=["var", "chan"],
)
def test_a_paren_less_callee_does_not_see_its_caller_s_parameters(text):
    """It runs on its caller's registers, but a name its caller's parameter
    shadows (a shared variable, a channel bound at the call) is the declared
    one in its body: z3 inlined it in the caller's frame, parameters and all."""
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit", "smt"]
    assert r.states


def test_a_go_names_its_instance_after_the_calls_among_its_arguments():
    """``go w(mk())`` runs mk first: an instance mk starts is named before the
    one the go statement starts (z3 named the go's instance, then unfolded mk)."""
    text = """
    litmus SpawnInArgs
    func w(v int) { r = v }
    func mk() int { go w(7); return 5 }
    go P { go w(mk()) }
    exists (w:r == 7 && w#2:r == 5)
    """
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit", "smt"] and sorted(r.states) == [(7, 5)]


def test_z3_steps_aside_from_a_go_chain_its_constants_do_not_end():
    """``go f(n - 1)`` inside f, n read from memory: z3 unfolded one goroutine
    inside the other until Python's recursion limit (an internal error on the
    default path); past 16 it steps aside, and the explorer answers."""
    text = """
    litmus GoChain
    var x int
    func f(n int) { r = n; if n > 0 { go f(n - 1) } }
    go P { go f(x) }
    go Q { x = 2 }
    exists (f:r == 2 && f#3:r == 0)
    """
    with pytest.raises(Unsupported, match="goroutines started one by the other"):
        unfold(program(text), 8)
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit"] and (2, 0) in r.states
