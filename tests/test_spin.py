"""The Promela export, cross-checked with SPIN on the suite.

SPIN stops at its first error: an assertion (a panic, a failed assert, or the
condition's witness / counterexample) or an invalid end state (a deadlock).
It must find one exactly when hbcheck finds a panic, a failed assertion, a
deadlock or a witness of the condition (SC interleavings: SPIN's semantics).
"""

from __future__ import annotations

import shutil

import pytest
from conftest import lit, suite_files
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


def test_promela_shape():
    text = CliRunner().invoke(app, ["promela", str(lit("select-default.lit"))]).stdout
    assert "chan c_c = [1] of { int };" in text and "closed_c" not in text  # nobody closes c
    assert ":: (empty(c_c));" in text  # default: no case ready
    assert "    int r_got = 0;" in text and "atomic { P1_got = r_got }" in text  # locals, copied out at the end
    assert "assert(!(((P1_got) == (0))));" in text and "xr" not in text  # a select polls c
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
    p_body = text.split("proctype P_go() {")[1].split("}")[0]
    q_body = text.split("proctype Q_go() {")[1].split("}")[0]
    assert "xs c_a;" in p_body and "xs c_b" not in p_body and "c_u;" not in p_body.split("int tmp")[0]
    assert "xr c_a;" in q_body and "xr c_b;" in q_body and "xr c_u" not in q_body
