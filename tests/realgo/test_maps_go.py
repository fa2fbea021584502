"""Maps in Go: a shared map is a field of the env of type map[int64]int64
(made in newEnv, nil where the test declares it without make); lookups,
deletes and ranges keep their Go shape, and the real runtime (its race
detector, its fatal errors) shows nothing the model rules out, on the
suite's map tests and generated ones."""

from __future__ import annotations

from helpers import drawn, emitted_build_failures, lit, needs_go, program, validate_verdicts
from programs import map_text, map_value_text

from hbcheck.realgo.emit import emit_go

MAP_SUITE = sorted(lit("results-locked.lit").parent.glob("*.lit"))


def test_map_operations_keep_their_go_shape():
    go = emit_go(program(lit("results-locked.lit").read_text(), "r.lit"), "r.lit")
    assert "e.v_results = make(map[int64]int64)" in go
    assert "e.v_results[t5] = mul(g.r_id, int64(10))" in go  # the key in a temporary first, as the machine does
    assert "for t2, t3 := range e.v_results {" in go
    assert "int64(len(e.v_results))" in go
    text = "litmus L\nvar m map[int]bool\ngo P {\n    v, ok := m[1]\n    delete(m, v)\n}\n"
    go = emit_go(program(text, "l.lit"), "l.lit")
    assert "e.v_m = make" not in go  # a nil map stays nil
    assert "t2, t3 := e.v_m[t1]" in go
    assert "delete(e.v_m, g.r_v)" in go


@needs_go
def test_validate_confirms_the_map_suite_and_generated_programs(tmp_path):
    # a racy program's states beyond SC are UNDECIDED (the explorer's answer
    # is not exact there; an overlap Go's best-effort check misses can leave
    # anything in the map): never unsound, never a race the model rules out
    verdicts = validate_verdicts(tmp_path, MAP_SUITE, drawn(map_text(), 12), "Maps")
    assert set(verdicts) <= {"ok", "UNDECIDED"}
    race_free = ["merge-local-maps.lit", "nil-map-write.lit", "range-order.lit", "results-locked.lit"]
    assert [v for p, v in zip(MAP_SUITE, verdicts, strict=False) if p.name in race_free] == ["ok"] * 4


@needs_go
def test_generated_map_programs_build(tmp_path):
    assert emitted_build_failures(tmp_path / "shared", drawn(map_text(), 30)) == []
    assert emitted_build_failures(tmp_path / "values", drawn(map_value_text(), 30)) == []


@needs_go
def test_validate_confirms_generated_programs_with_map_values(tmp_path):
    verdicts = validate_verdicts(tmp_path, [], drawn(map_value_text(), 12), "MapValues")
    assert set(verdicts) <= {"ok", "UNDECIDED"}


def test_map_values_keep_their_go_shape():
    text = (
        "litmus V\nfunc fresh() map[int]int {\n    t := make(map[int]int, 2)\n    return t\n}\n"
        "go P {\n    m := fresh()\n    go func() { m[1] = 2 }()\n}\n"
    )
    go = emit_go(program(text, "v.lit"), "v.lit")
    assert "func (e *env) f_fresh(g *regs) map[int64]int64 {" in go
    assert "g.km_t = make(map[int64]int64, int(int64(2)))" in go
    assert "g.pm_m = ref(t1)" in go


SHAPES = {
    "blank": (
        "litmus ShapeBlank\nvar m = make(map[int]int)\nfunc main() {\n    m[1] = 7\n    v, _ := m[1]\n"
        "    _, _ = m[2]\n}\n"
    ),
    "defer": (
        "litmus ShapeDeferred\nvar m = make(map[int]int)\nvar x int\nfunc f() {\n    x = 1\n    defer delete(m, x)\n"
        "    x = 2\n    m[1] = 1\n    m[2] = 2\n}\nfunc main() {\n    f()\n    _, ok1 := m[1]\n    _, ok2 := m[2]\n}\n"
        "forall (main:ok1 == 0 && main:ok2 == 1)\n"
    ),
    "putback": (
        "litmus ShapePutBack\nvar m = make(map[int]int)\nfunc main() {\n    m[1] = 1\n    m[2] = 2\n    n := 0\n"
        "    for k := range m {\n        n = n + 1\n        if n == 1 {\n            delete(m, k)\n"
        "            delete(m, 3 - k)\n            m[3 - k] = 9\n        }\n    }\n}\nexists (main:n == 1)\n"
    ),
}


@needs_go
def test_blank_lookups_deferred_deletes_and_entries_put_back_in_go(tmp_path):
    # the runtime shows a range skipping an entry put back (n == 1), as the model does
    (tmp_path / "build").mkdir()
    assert emitted_build_failures(tmp_path / "build", SHAPES) == []
    assert set(validate_verdicts(tmp_path, [], list(SHAPES.values()), "Shape")) == {"ok"}
