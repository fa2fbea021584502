"""Function literals in Go: the emitted program writes a captured variable
as a pointer allocated where it is declared (per iteration, or per loop
with ``go 1.21``, whatever the toolchain's own loop semantics), and the real
runtime shows no state, panic or race the model rules out, on the suite's
closure tests and on generated ones."""

from __future__ import annotations

from helpers import drawn, emitted_build_failures, lit, needs_go, program, validate_verdicts
from programs import closure_text

from hbcheck.realgo.emit import emit_go

CLOSURE_SUITE = sorted(lit("loop-variable.lit").parent.glob("*.lit"))


def test_captured_loop_variables_are_pointers_declared_per_iteration_or_per_loop():
    latest = emit_go(program(lit("loop-variable.lit").read_text(), "l.lit"), "l.lit")
    assert "for g.p_i = alloc(0); *g.p_i < 2; g.p_i = alloc(*g.p_i + 1) {" in latest
    # the spawner passes its pointer, read before the go statement
    assert "t1 := g.p_i" in latest and "e.f_main_func1(g, t1)" in latest
    shared = emit_go(program(lit("loop-variable-go121.lit").read_text(), "s.lit"), "s.lit")
    assert "for g.p_i = alloc(0); *g.p_i < 2; *g.p_i++ {" in shared
    counter = emit_go(program(lit("shared-counter.lit").read_text(), "c.lit"), "c.lit")
    assert "g.p_n = alloc(0)" in counter and "(*g.p_n) = add((*g.p_n), g.r_step)" in counter


@needs_go
def test_validate_confirms_the_closure_suite_and_generated_programs(tmp_path):
    assert set(validate_verdicts(tmp_path, CLOSURE_SUITE, drawn(closure_text(), 12), "Closures")) == {"ok"}


@needs_go
def test_generated_closure_programs_build(tmp_path):
    assert emitted_build_failures(tmp_path, drawn(closure_text(), 30)) == []
