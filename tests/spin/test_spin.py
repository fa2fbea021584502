"""The Promela export, cross-checked with SPIN on the suite.

SPIN stops at its first error: an assertion (a panic, a failed assert, or the
condition's witness / counterexample) or an invalid end state (a deadlock).
It must find one exactly when hbcheck finds a panic, a failed assertion, a
deadlock or a witness of the condition (SC interleavings: SPIN's semantics).
"""

from __future__ import annotations

import shutil

import pytest
from helpers import lit, program, suite_files
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.errors import HbError
from hbcheck.explore import explore
from hbcheck.language import load
from hbcheck.spin.promela import emit_promela
from hbcheck.spin.runner import spin_check
from hbcheck.verdict import judge

needs_spin = pytest.mark.skipif(shutil.which("spin") is None, reason="needs spin (.ci/run installs it)")


def _hb_error_expected(path) -> bool:
    p = load(path)
    r = judge(p, explore(p))
    if any(f.kind in ("panic", "assert", "deadlock") for f in r.findings):
        return True
    cond = p.condition
    if cond is None or p.has_main:
        return False
    return (r.negative if cond.kind == "forall" else r.positive) > 0


@needs_spin
def test_spin_agrees_with_hbcheck_on_the_suite(tmp_path):
    checked = 0
    for path in suite_files():
        if path.name == "div-zero.lit":
            continue  # pan stops on a division by zero with its own runtime error
        try:
            model = emit_promela(load(path), path)
        except HbError as exc:
            # only recursion and WaitGroup misuse cannot be exported
            assert "recursive" in exc.message or "not written in Promela" in exc.message, path.name
            continue
        got = spin_check(model, tmp_path / path.stem)
        assert (got.error is not None) == _hb_error_expected(path), (path.name, got.error)
        checked += 1
    assert checked >= 60


def test_recursion_is_refused_clearly():
    result = CliRunner().invoke(app, ["promela", str(lit("stack-split.lit"))])
    assert result.exit_code == 2 and "down is recursive: Promela inlines cannot recurse" in result.stderr


def test_waitgroup_misuse_is_refused_clearly():
    result = CliRunner().invoke(app, ["promela", str(lit("waitgroup-reused.lit"))])
    assert result.exit_code == 2
    assert "waitgroup-reused.lit:4:5: WaitGroup wg is Added to and Waited on in different goroutines" in result.stderr


def test_maps_and_slices_are_refused_with_their_declaration(tmp_path):
    for decl, message in (
        ("var m = make(map[int]int)\ngo P0 { m[1] = 1 }", "a map: its entries and Go's concurrent-map fatal"),
        ("var s []int\ngo P0 { s = append(s, 1) }", "a slice: its backing arrays are made while the program"),
    ):
        f = tmp_path / "t.lit"
        f.write_text(f"litmus T\n{decl}\n")
        result = CliRunner().invoke(app, ["promela", str(f)])
        assert result.exit_code == 2 and f"t.lit:2:5: {message}" in result.stderr
    f.write_text("litmus T\ngo P0 {\n    t := make([]int, 1)\n    t[0] = 1\n}\n")  # a local slice: at its make
    result = CliRunner().invoke(app, ["promela", str(f)])
    assert result.exit_code == 2 and "t.lit:3:10: a slice: its backing arrays are made while" in result.stderr


def test_promela_shape():
    text = CliRunner().invoke(app, ["promela", str(lit("select-default.lit"))]).stdout
    assert "chan c_c = [1] of { int };" in text and "closed_c" not in text  # nobody closes c
    assert ":: (empty(c_c));" in text  # default: no case ready
    assert "    int r_got = 0;" in text and "atomic { q_P1_got = r_got }" in text  # locals, copied out at the end
    assert "assert(!(((q_P1_got) == (0))));" in text and "xr" not in text  # a select polls c
    text = CliRunner().invoke(app, ["promela", str(lit("range.lit"))]).stdout
    assert "bool closed_c = false;" in text and ":: atomic { closed_c && empty(c_c) }; break;" in text


def test_promela_declares_exclusive_channels_for_spins_reduction(tmp_path):
    """A buffered channel one goroutine alone receives from is ``xr`` there,
    one it alone sends on ``xs``; shared, rendezvous, polled or closed ones are not."""
    f = tmp_path / "x.lit"
    f.write_text(
        "litmus X\nvar a = make(chan int, 1)\nvar b = make(chan int, 1)\nvar u = make(chan int)\n"
        "go P { a <- 1; b <- 2; u <- 3 }\ngo Q { r = <-a; s = <-b; t = <-u }\ngo R { b <- 4 }\n"
    )
    text = CliRunner().invoke(app, ["promela", str(f)]).stdout
    p_body = text.split("proctype go_P() {")[1].split("}")[0]
    q_body = text.split("proctype go_Q() {")[1].split("}")[0]
    assert "xs c_a;" in p_body and "xs c_b" not in p_body and "c_u;" not in p_body.split("int tmp")[0]
    assert "xr c_a;" in q_body and "xr c_b;" in q_body and "xr c_u" not in q_body


def test_no_text_of_a_test_leaves_its_promela_comment(tmp_path):
    # the condition's source, comment and all, was copied into a /* */ comment:
    # its */ closed it, and the rest became Promela
    path = tmp_path / "cmt *.lit"
    path.write_text("litmus Cmt\nvar x int\ngo P0 { x = 1 }\nexists (x == 1 /* a */ && x == 1)\n")
    text = emit_promela(load(path), path)
    assert text.splitlines()[0] == "/* Generated by hbcheck promela from cmt *.lit: Cmt. */"
    assert "/* a violation: a final state where x == 1 /* a *\\/ && x == 1 */" in text
    # every comment closes where it opens: outside comments, no */ is left
    for line in text.splitlines():
        assert line.count("*/") <= 1 and (line.rstrip().endswith("*/") or "*/" not in line), line
    if shutil.which("spin"):
        got = spin_check(text, tmp_path / "cmt")
        assert got.error is not None  # x == 1 in every final state: SPIN finds the state


HOSTILE_NAMES = """litmus Names
var go_r int
var q_r_x int
var n_W int
var c = make(chan int)
func W { tmp = <-c; inst = tmp }
go r { x = 1; go_r = x }
go W_2 { a = 1; int32_overflow = 2 }
go P0 { go W(); go W(); c <- 1; c <- 2 }
exists (r:x == 1 && W_2:a == 1 && W:inst == 1 && W#2:inst == 2)
"""


@pytest.mark.parametrize(
    "text,error",
    [
        # a goroutine r's register x and r's local r_x, W_2 and the instance W#2, met in one
        # Promela name: spin -a failed, or a condition on W#2:r read a global never assigned
        (HOSTILE_NAMES, "assertion violated"),  # a witness: either W may take 1
        (HOSTILE_NAMES.replace("W#2:inst == 2", "W#2:inst == 3"), None),
        (HOSTILE_NAMES.replace("exists (", "forall ("), "assertion violated"),  # a counterexample
        # SPIN's int is 32 bits: Go's 2147483647 + 1 is not negative, and SPIN must not say it is
        ("litmus Ovf\nvar x = 2147483647\ngo P0 { r = x + 1 }\nexists (P0:r < 0)\n", "int32_overflow"),
        ("litmus Ovf\nvar x = -2147483647\ngo P0 { r = x - 1; r = r * 1 }\nexists (P0:r > 0)\n", None),
        ("litmus Ovf\nvar x = 65536\ngo P0 { r = x * x }\nexists (P0:r == 0)\n", "int32_overflow"),
        ("litmus Ovf\nvar x = 2147483647\ngo P0 { atomic.Add(&x, 1) }\nexists (x < 0)\n", "int32_overflow"),
        ("litmus Ovf\nvar x = 2147483647\ngo P0 { r = 1 }\nexists (x + P0:r < 0)\n", "int32_overflow"),
    ],
)
def test_promela_names_cannot_meet_and_int32_overflow_stops_spin(tmp_path, text, error):
    path = tmp_path / "t.lit"
    path.write_text(text)
    model = emit_promela(load(path), path)
    if error != "int32_overflow":  # hbcheck's verdict, which SPIN must share
        assert _hb_error_expected(path) == (error is not None)
    if shutil.which("spin"):
        got = spin_check(model, tmp_path / "spin")
        assert (got.error is None) if error is None else (error in got.error), got.error


def test_a_literal_past_spin_s_int_is_refused(tmp_path):
    path = tmp_path / "t.lit"
    for body, where in [("var x = 2147483648\ngo P0 { r = x }", "2:5"), ("go P0 { r = -2147483649 }", "2:14")]:
        path.write_text(f"litmus Big\n{body}\n")
        result = CliRunner().invoke(app, ["promela", str(path)])
        assert result.exit_code == 2
        assert result.stderr.startswith(f"{path}:{where}: ") and "does not fit SPIN's int (32 bits)" in result.stderr
    path.write_text("litmus Edge\nvar x = -2147483648\ngo P0 { r = x + 2147483647 }\n")
    assert CliRunner().invoke(app, ["promela", str(path)]).exit_code == 0


def test_a_function_with_a_go_signature_is_refused_clearly():
    result = CliRunner().invoke(app, ["promela", str(lit("worker-pool.lit"))])
    assert result.exit_code == 2
    assert "worker-pool.lit:8:6: 'worker' has a Go signature" in result.stderr
    assert "Promela's inlines have no frames or results" in result.stderr


@needs_spin
@pytest.mark.parametrize(("value", "found"), [(2, True), (3, False)])
def test_spin_agrees_on_rand_intn_and_receives_inside_expressions(tmp_path, value: int, found: bool):
    """SPIN's own nondeterministic choice for rand.Intn, and the temporaries
    of a receive inside an expression: a witness exactly when hbcheck has one."""
    text = f"""litmus Choice
var c = make(chan int, 1)
go P {{ c <- rand.Intn(3) }}
go Q {{ r = 1 + <-c - 1 }}
exists (Q:r == {value})
"""
    from helpers import program

    p = program(text)
    assert (judge(p, explore(p)).positive > 0) == found
    got = spin_check(emit_promela(p, "choice.lit"), tmp_path / "choice")
    assert (got.error is not None) == found, got.error


def test_a_local_an_atomic_addresses_is_refused_with_its_location():
    text = "litmus L\ngo main {\n    n := 5\n    atomic.Add(&n, 1)\n}\n"
    with pytest.raises(HbError) as err:
        emit_promela(program(text), "l.lit")
    assert "'n' is a local variable whose address is taken" in err.value.message and err.value.loc.line == 2
