"""Arrays in Go: the emitted program declares a shared array as a Go array
of int64 (its elements separate addresses for the race detector), a local
one as a Go array in the goroutine's registers, writes
the index before the value, and the real runtime shows no state, panic or
race the model rules out, on the suite's array tests and generated ones."""

from __future__ import annotations

import re

from helpers import drawn, emitted_build_failures, lit, needs_go, program, validate_verdicts
from programs import array_text

from hbcheck.realgo.emit import emit_go

ARRAY_SUITE = sorted(lit("elements-per-worker.lit").parent.glob("*.lit"))


def test_an_array_is_a_go_array_and_an_indexed_write_fixes_its_index_first():
    text = lit("same-element-racy.lit").read_text()
    go = emit_go(program(text, "s.lit"), "s.lit")
    assert "v_results [2]int64" in go
    # the index is fixed in a temp first, and the write goes through it
    (temp,) = re.findall(r"(t[0-9]+) := g\.r_k\n", go)
    assert f"e.v_results[{temp}] = add(e.v_results[g.r_k], int64(1))" in go
    # the condition's element is read as it is
    assert "l0 := e.v_results[1]" in go


def test_a_local_array_is_a_go_array_of_the_goroutine_zeroed_where_it_is_declared():
    text = """
    litmus Local
    go main {
        var b [3]int
        i := 2
        b[i] = 7
        for k, v := range b { r = r + k * v }
        t = len(b)
    }
    """
    go = emit_go(program(text, "l.lit"), "l.lit")
    assert "a3_b [3]int64" in go
    assert "g.a3_b = [3]int64{}" in go
    (temp,) = re.findall(r"(t[0-9]+) := g\.r_i\n", go)
    assert f"g.a3_b[{temp}] = int64(7)" in go
    assert re.search(r"for t[0-9]+, t[0-9]+ := range g\.a3_b \{", go)
    assert "int64(len(g.a3_b))" in go


@needs_go
def test_validate_confirms_the_array_suite_and_generated_programs(tmp_path):
    assert set(validate_verdicts(tmp_path, ARRAY_SUITE, drawn(array_text(), 12), "Arrays")) == {"ok"}


@needs_go
def test_generated_array_programs_build(tmp_path):
    assert emitted_build_failures(tmp_path, drawn(array_text(), 30)) == []
