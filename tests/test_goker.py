"""GoBench's GoKer kernels (``litmus/goker/``, docs/goker.md): real bugs from Docker,
Kubernetes, etcd, gRPC, CockroachDB, Istio, Knative and Syncthing, each with
its fix. With default options hbcheck must find every bug and pass every fix,
with the exact outcomes the baseline records."""

from __future__ import annotations

import json
import re

import pytest
from helpers import GOKER, LITMUS, ROOT, goker_files
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.language import load

SLOW = ROOT / "bench" / "goker"  # kernels not decided fast (#25's benchmarks), not in the gate
KERNELS = goker_files()
BUGS = [p for p in KERNELS if not p.stem.endswith("_fixed")]
# the kernel's own test leaves a goroutine behind once the bug is fixed (docs/goker.md)
FIX_KEEPS = {"moby_17176_fixed": {"leak"}}


def test_every_kernel_comes_with_its_fix_and_is_documented():
    assert len(BUGS) >= 35
    doc = (ROOT / "docs" / "goker.md").read_text()
    for folder in (GOKER, SLOW):
        names = {p.stem for p in folder.glob("*.lit")}
        bugs = {n for n in names if not n.endswith("_fixed")}
        assert names == bugs | {f"{n}_fixed" for n in bugs}, folder
        for name in bugs:
            number = name.rsplit("_", 1)[1]
            assert re.search(rf"\| {number} \|", doc), f"{name} is not in docs/goker.md's table"
    for path in [*KERNELS, *SLOW.glob("*.lit")]:
        assert "gobench/goker/" in path.read_text().splitlines()[1], f"{path.name}: the description cites GoBench"


@pytest.mark.parametrize("path", BUGS, ids=lambda p: p.stem)
def test_a_bug_expects_what_it_does_and_its_fix_expects_it_gone(path):
    bug = load(path).expects
    fix = load(path.with_name(f"{path.stem}_fixed.lit")).expects
    found = {e.finding for e in bug if e.quantifier in ("some", "always") and e.finding}
    assert found, f"{path.name} expects no finding"
    kept = {e.finding for e in fix if e.quantifier in ("some", "always")}
    assert kept == FIX_KEEPS.get(f"{path.stem}_fixed", set())
    assert found - FIX_KEEPS.get(f"{path.stem}_fixed", set()) <= {e.finding for e in fix if e.quantifier == "no"}


def test_default_options_find_every_bug_and_pass_every_fix():
    """Their exact outcomes are in litmus/baseline.json, which the whole suite's
    run is held to (tests/report/test_reports.py and CI)."""
    result = CliRunner().invoke(app, ["run", "--quiet", str(GOKER)])
    assert result.exit_code == 0, result.stdout
    assert f"Total: {len(KERNELS)} tests, {len(KERNELS)} passed, 0 failed" in result.stdout
    recorded = {t["file"] for t in json.loads((LITMUS / "baseline.json").read_text())["tests"]}
    assert {str(p.relative_to(ROOT)) for p in KERNELS} <= recorded
