"""The benchmark scripts: the suite timing measures each engine on the test it
names and fails cleanly; the stress runner counts examples from the logs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

from hbcheck.explore import ExploreConfig
from hbcheck.models import load_model

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "bench" / "suite.py"


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_suite_benchmark_times_both_engines_or_says_why_z3_stepped_aside():
    suite, model = _bench("suite"), load_model("go")
    mp = suite.time_test(ROOT / "litmus/racy/mp-racy.lit", model, ExploreConfig())
    # three SC interleavings of MP's two writes and two reads that differ in what the reads see
    assert (mp.test, mp.executions, mp.answer) == ("MP+plain", 3, "exact")
    assert mp.answered and mp.smt > 0 and mp.explicit > 0
    stack = suite.time_test(ROOT / "litmus/stack/stack-overflow.lit", model, ExploreConfig())
    assert not stack.answered and stack.answer == "calls nested deeper than 16 (recursion) are not encoded"


def test_the_suite_benchmark_rejects_bad_input_without_a_traceback(tmp_path):
    for args in (["--model", "nosuch"], [str(tmp_path / "missing.lit")], [str(tmp_path)]):
        run = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 2 and run.stderr.startswith("error: ") and "Traceback" not in run.stderr, args


def test_the_stress_runner_counts_finished_examples_and_failures_from_a_log(tmp_path):
    stress = _bench("stress")
    log = tmp_path / "shard.log"
    example = "Trying example: test_engines_agree_on_random_channel_programs(\n    text='litmus {}',\n)\n"
    # two programs, the first repeated; a line still being written is not read
    log.write_text(example.format("R") * 2 + example.format("S") + "Trying exam")
    shard = stress.Shard(seed=1, examples=5, log=log)
    shard.poll(now=1.0)
    # a running shard's latest example is in progress: two have finished
    assert (shard.started, shard.completed, shard.failures()) == (3, 2, [])
    assert shard.programs() == ["litmus R"] * 2  # the third, in progress, is not counted yet
    with log.open("a") as f:
        f.write("ple: test(\n)\nFalsifying example: test(\n)\n")
        f.write("E           hbcheck.verdict.engines.EngineDisagreement: Random: ...\n")
    shard.poll(now=3.0)
    assert (shard.started, shard.completed) == (4, 3)
    assert shard.failures() == ["Falsifying example: test(", "hbcheck.verdict.engines.EngineDisagreement: Random: ..."]
    assert shard.durations == [2.0]
    assert shard.programs() == ["litmus R", "litmus R", "litmus S"]


def test_the_stress_runner_refuses_a_missing_test_file(tmp_path):
    script = ROOT / "bench" / "stress.py"
    args = ["--examples", "1", "--file", "tests/nosuch.py", "--logs", str(tmp_path)]
    run = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 2 and run.stderr.startswith("error: no test file tests/nosuch.py")


def test_z3_coverage_draws_the_same_programs_for_a_seed_and_folds_the_reasons_lines():
    cov = _bench("z3_coverage")
    texts = cov.draw(cov.GENERATORS["slices"], 3, 7)
    assert len(texts) == 3 and texts == cov.draw(cov.GENERATORS["slices"], 3, 7)
    assert {cov.reason(t, 30) for t in texts} == {"a slice (line N) is not encoded in z3 yet"}
    assert cov.reason((ROOT / "litmus/racy/mp-racy.lit").read_text(), 30) == ""
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "z3_coverage.py"), "nosuch"], capture_output=True, text=True, cwd=ROOT
    )
    assert run.returncode == 2 and "no generator 'nosuch'" in run.stderr and "Traceback" not in run.stderr
