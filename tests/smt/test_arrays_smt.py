"""z3 encodes shared arrays whose indices the unfolding knows (a constant,
a counted loop's variable, a parameter of a function started in one): each
element a location of its own, an index out of bounds Go's panic with its
text. An index known only when the program runs (read from memory or a
channel) makes z3 step aside, with its line. The measure is agreement with
the explorer: states, counts and findings."""

from __future__ import annotations

from helpers import STRESS, answer, both_engines, differential_config, program, z3_seeded
from hypothesis import HealthCheck, event, given, settings
from programs import array_text

from hbcheck.explore import ExploreConfig
from hbcheck.models import load_model
from hbcheck.verdict.engines import check_program


def test_elements_are_locations_of_their_own_and_a_weak_outcome_reads_across_them():
    text = """
    litmus ArrMP
    var a [2]int
    go P0 { a[0] = 1; a[1] = 2 }
    go P1 { r = a[1]; s = a[0] }
    exists (P1:r == 2 && P1:s == 0)
    """
    # message passing over two elements without synchronisation: racy on each,
    # and Go's model allows the weak outcome r=2, s=0 that no interleaving shows
    r = both_engines(text)
    assert set(r.states) == {(0, 0), (0, 1), (2, 0), (2, 1)}
    assert {f.describe() for f in r.findings} == {
        "race on a[0]: P0 line 3 (write) vs P1 line 4 (read)",
        "race on a[1]: P0 line 3 (write) vs P1 line 4 (read)",
    }


def test_indices_from_a_loop_and_a_parameter_and_the_panic_past_the_end():
    text = """
    litmus ArrLoop
    var a [3]int
    var wg sync.WaitGroup
    func worker(id int) {
      defer wg.Done()
      a[id] = a[id] + id * 10
    }
    func main() {
      for i := 0; i < 3; i++ {
        wg.Add(1)
        go worker(i)
      }
      wg.Wait()
      for j := 0; j < 4; j++ {
        t = t + a[j]
      }
    }
    exists (a[2] == 20)
    """
    # every order of the three workers' Dones against main's Adds and Wait: 15
    # executions, each reading a[3] at j = 3: Go's index panic in each
    got = answer(both_engines(text))
    assert got == (set(), 0, 0, {("panic", "runtime error: index out of range [3] with length 3", "main", 15)})
    assert both_engines(text).executions == 15


def test_an_index_read_from_memory_is_a_step_per_element_it_may_be():
    text = """
    litmus ArrMem
    var a [2]int
    var x int
    go P0 { x = 1 }
    go P1 { k = x; a[k] = 5; r = a[k] + a[1 - k] }
    exists (a[0] == 5 && P1:r == 5)
    """
    # k is 0 or 1 (racing P0's write): each write and read is on the element k is
    got = answer(both_engines(text))
    assert got == ({(5, 5), (5, 0)}, 1, 1, {("race", "race on x", "P0", 4)})  # (P1:r, a[0])


def test_an_index_read_from_memory_that_may_be_out_of_range_steps_z3_aside_with_its_line():
    text = """
    litmus ArrOut
    var a [1]int
    var x int
    go P0 { x = 1 }
    go P1 { k = x; a[k] = 5 }
    """
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert r.engines == ["explicit"]
    assert r.notes.smt == "an array index computed while the program runs (line 5) may be out of range: not encoded"
    assert {f.text for f in r.findings} == {"race on x", "runtime error: index out of range [1] with length 1"}


def test_a_slice_made_in_a_body_or_a_parameter_steps_z3_aside_at_the_first():
    text = """
    litmus Local
    var x int
    func put(s []int) { s[0] = x }
    go P0 { x = 1 }
    go P1 { t := make([]int, 1); put(t); r = t[0] }
    exists (P1:r == 1)
    """
    r = check_program(program(text), ExploreConfig(), load_model("go"), "both")
    assert (r.engines, r.notes.smt) == (["explicit"], "a slice (line 3) is not encoded in z3 yet")
    assert (sorted(r.states), {f.text for f in r.findings}) == ([(0,), (1,)], {"race on x"})


@settings(
    max_examples=STRESS or 20, derandomize=not STRESS, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(array_text())
def test_engines_agree_on_random_array_programs(text):
    """array_text's programs: constant indices and indices computed from
    registers and memory; z3 compares those whose indices the unfolding
    knows and steps aside on the others."""
    z3_seeded(text)
    r = check_program(program(text), differential_config(), load_model("go"), "both")
    event("compared" if r.engines == ["explicit", "smt"] else f"not compared: {r.notes.smt}")
    if r.engines != ["explicit", "smt"]:
        why = r.notes.smt or ""
        assert "computed while the program runs" in why or why.startswith(("solver timeout", "time-budget")), why
