"""``defer`` and ``recover()`` in Go: the emitted program defers the same
calls, and the real runtime shows no state, panic or race the model rules
out, on the suite's defer tests and on generated ones."""

from __future__ import annotations

import json

from helpers import drawn, emitted_build_failures, lit, needs_go, program, validate_verdicts
from programs import defer_text
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.realgo.emit import emit_go

DEFER_SUITE = sorted(lit("lifo.lit").parent.glob("*.lit"))


def test_the_go_program_defers_the_same_calls():
    text = emit_go(program(lit("recover-double-close.lit").read_text(), "r.lit"), "r.lit")
    assert "defer e.f_handler(&regs{})" in text
    assert "t2 := b2i(rec(recover()) != nil)" in text  # called by handler itself
    workers = emit_go(program(lit("unlock-on-every-path.lit").read_text(), "u.lit"), "u.lit")
    assert "defer e.s_wg.Done()" in workers and "defer e.s_mu.Unlock()" in workers


@needs_go
def test_validate_confirms_the_defer_suite_and_generated_programs(tmp_path):
    assert set(validate_verdicts(tmp_path, DEFER_SUITE, drawn(defer_text(), 12), "Defers")) == {"ok"}


ASSERT_IN_A_DEFERRED_SCOPE = """litmus Assert+not+recovered
var x int
func h() { if recover() != nil { x = 5 } }
go main { defer h(); assert x == 1 }
expect always assert
"""


@needs_go
def test_a_recover_of_the_test_s_does_not_stop_a_failed_assert_in_go(tmp_path):
    """The emitted Go fails an assert by panicking; the test's recover() goes
    through the harness's rec, which lets that panic on, as the model ends
    the program at a failed assert."""
    f = tmp_path / "assert.lit"
    f.write_text(ASSERT_IN_A_DEFERRED_SCOPE)
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(app, ["validate", "--runs", "50", "--json", str(out), str(f)])
    assert result.exit_code == 0, result.stdout
    assert [t["verdict"] for t in json.loads(out.read_text())["tests"]] == ["ok"]


@needs_go
def test_generated_defer_programs_build(tmp_path):
    assert emitted_build_failures(tmp_path, drawn(defer_text(), 30)) == []
