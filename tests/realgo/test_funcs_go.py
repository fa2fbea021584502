"""hbcheck go on functions with Go signatures: the emitted program keeps the
function shape (parameters, results, return), builds with the installed Go,
and the real runtime shows only states the model allows."""

from __future__ import annotations

import json

from helpers import emitted_build_failures, lit, needs_go, program
from programs import FUNCTION_PROGRAMS
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.realgo.emit import emit_go


@needs_go
def test_function_programs_are_gofmt_clean_and_build(tmp_path):
    assert emitted_build_failures(tmp_path, FUNCTION_PROGRAMS) == []


def test_the_go_program_keeps_the_function_shape():
    text = emit_go(program(FUNCTION_PROGRAMS["workers"], "workers.lit"), "workers.lit")
    assert (
        "func (e *env) f_worker(g *regs, a_id int64, pc_jobs chan int64, ps_wg *sync.WaitGroup, ps_m *sync.Mutex) {"
        in text
    )
    assert "\tg.r_id = a_id\n" in text and "ps_m.Lock()" in text and "ps_wg.Done()" in text
    assert 'e.spawn("worker", func(g *regs) { e.f_worker(g, t1, e.c_a, &e.s_wg, &e.s_mu) })' in text
    fib = emit_go(program(FUNCTION_PROGRAMS["recursion"], "fib.lit"), "fib.lit")
    assert "func (e *env) f_fib(g *regs, a_n int64) int64 {" in fib
    assert "/*line fib.lit:5:1*/ return add(t2, t3)" in fib


def test_reads_and_calls_are_forced_left_to_right_in_go():
    # Go may read x after calling f in `x + f()`; the emitted program reads it first
    text = emit_go(program(FUNCTION_PROGRAMS["left-to-right"], "order.lit"), "order.lit")
    assert "t1 := e.v_x\n" in text and "t2 := e.f_f(&regs{})\n" in text and "g.r_r = add(t1, t2)" in text
    assert "t3 := e.f_f(&regs{})\n" in text and "t4 := e.v_x\n" in text and "g.r_s = add(t3, t4)" in text


@needs_go
def test_validate_confirms_the_function_suite_tests(tmp_path):
    out = tmp_path / "audit.json"
    files = [str(lit(n)) for n in ("worker-pool.lit", "early-return-keeps-lock.lit", "recursive-spawn.lit")]
    result = CliRunner().invoke(app, ["validate", "--runs", "100", "--race", "--json", str(out), *files])
    assert result.exit_code == 0, result.stdout
    tests = {t["test"]: t for t in json.loads(out.read_text())["tests"]}
    assert sorted(tests) == ["Early+return+keeps+lock", "Recursive+spawn", "Worker+pool"]
    assert all(t["verdict"] == "ok" for t in tests.values())
