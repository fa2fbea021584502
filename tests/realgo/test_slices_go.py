"""Slices in Go: a shared slice is a field of the env of type []int64 (made
in newEnv where the test makes it); an append reads the header before its
values, as the machine does; the real runtime (its race detector, its index
and makeslice panics) shows nothing the model rules out, on the suite's
slice tests and generated ones."""

from __future__ import annotations

from helpers import drawn, emitted_build_failures, lit, needs_go, program, validate_verdicts
from programs import slice_text, slice_value_text

from hbcheck.realgo.emit import emit_go

SLICE_SUITE = sorted(lit("append-racy.lit").parent.glob("*.lit"))


def test_slice_operations_keep_their_go_shape():
    go = emit_go(program(lit("append-locked.lit").read_text(), "a.lit"), "a.lit")
    assert "v_results []int64" in go
    assert "t6 := e.v_results\n" in go and "e.v_results = append(t6, g.r_v)" in go
    assert "int64(cap(e.v_results))" in go
    go = emit_go(program(lit("slots-per-worker.lit").read_text(), "s.lit"), "s.lit")
    assert "e.v_slots = make([]int64, 2, 2)" in go
    text = "litmus L\nvar s []int\ngo P {\n    s = make([]int, 3)\n    for i := range s { s[i] = i }\n    s = nil\n}\n"
    go = emit_go(program(text, "l.lit"), "l.lit")
    assert "e.v_s = make([]int64, int(int64(3)))" in go
    assert "e.v_s = nil" in go


@needs_go
def test_validate_confirms_the_slice_suite_and_generated_programs(tmp_path):
    # a racy program's states beyond SC are UNDECIDED: never unsound, never a race the model rules out
    verdicts = validate_verdicts(tmp_path, SLICE_SUITE, drawn(slice_text(), 12), "Slices")
    assert set(verdicts) <= {"ok", "UNDECIDED"}
    race_free = ["append-locked.lit", "append-shares-array.lit", "slots-per-worker.lit", "workers-by-channel-slice.lit"]
    assert [v for p, v in zip(SLICE_SUITE, verdicts, strict=False) if p.name in race_free] == ["ok"] * 4


@needs_go
def test_validate_confirms_generated_programs_with_slice_values(tmp_path):
    verdicts = validate_verdicts(tmp_path, [], drawn(slice_value_text(), 12), "SliceValues")
    assert set(verdicts) <= {"ok", "UNDECIDED"}


@needs_go
def test_generated_slice_programs_build(tmp_path):
    assert emitted_build_failures(tmp_path / "shared", drawn(slice_text(), 30)) == []
    assert emitted_build_failures(tmp_path / "values", drawn(slice_value_text(), 30)) == []


def test_slice_values_keep_their_go_shape():
    """A slice variable of a body is a register of its Go type, a slice
    parameter a Go parameter copied into one, a captured one a pointer."""
    text = (
        "litmus V\nfunc grow(t []int, v int) []int {\n    return append(t, v)\n}\n"
        "go P {\n    cs := make([]chan int, 1)\n    s := grow(nil, 1)\n    go func() { s[0] = 2 }()\n}\n"
    )
    go = emit_go(program(text, "v.lit"), "v.lit")
    assert "func (e *env) f_grow(g *regs, a_t []int64, a_v int64) []int64 {" in go
    assert "g.klci_cs = make([]chan int64, int(int64(1)))" in go
    assert "t1 := e.f_grow(&regs{}, nil, int64(1))" in go and "g.pli_s = ref(t1)" in go
