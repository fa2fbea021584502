"""Machine-readable results: one JSON document per run (schema
``results.schema.json`` beside this file, versioned by ``version``).

The same document is the baseline format (``--baseline`` / ``--update-baseline``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hbcheck import __version__
from hbcheck.explore.execution import Execution, Finding
from hbcheck.language.locations import show_location
from hbcheck.report.summary import BadInput, verdict_of
from hbcheck.source import digest_of
from hbcheck.verdict.outcome import TestResult

SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).with_name("results.schema.json")


def display_path(path: str) -> str:
    """Relative to the working directory when under it, so results files do not carry a machine's layout."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _schedule(x: Execution | None) -> list[list[Any]] | None:
    return None if x is None else [[g, alt] for g, alt in x.schedule]


def finding_json(f: Finding, count: int, witness: Execution | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": f.kind,
        "text": f.text,
        "description": f.describe(),
        "goroutine": f.g,
        "line": f.line,
        "executions": count,
        "witness": _schedule(witness),
    }
    if f.blocked:
        out["blocked"] = [{"goroutine": g, "waits": w, "line": ln} for g, w, ln in f.blocked]
    if f.pair:
        out["pair"] = [{"goroutine": g, "line": ln, "access": a} for g, ln, a in f.pair]
    return out


def test_json(r: TestResult, allow_unknown: bool) -> dict[str, Any]:
    test = r.program.test
    cond = test.condition
    verdict = verdict_of(r, allow_unknown)
    return {
        "name": r.name,
        "file": test.file,
        "sha256": digest_of(test.source),
        "description": test.description,
        "model": {"name": r.model, "path": display_path(r.model_path), "sha256": r.model_digest},
        "engines": list(r.engines),
        "kind": cond.kind if cond else None,
        "condition": cond.text if cond else None,
        "locations": [show_location(loc) for loc in r.locations],
        "states": [{show_location(loc): v for loc, v in zip(r.locations, s, strict=True)} for s in r.states],
        "positive": r.positive,
        "negative": r.negative,
        "observation": r.observation if cond else None,
        "possible": list(r.possible) if cond else None,
        "executions": r.executions,
        "incomplete": r.incomplete,
        "forbidden": r.forbidden,
        "exact": r.exact,
        "bounds": list(r.bounds),
        "limits": list(r.limits),
        "findings": [
            finding_json(f, n, r.witnesses.get(f))
            for f, n in sorted(r.findings.items(), key=lambda fn: fn[0].describe())
        ],
        "witnesses": {"positive": _schedule(r.positive_witness), "negative": _schedule(r.negative_witness)},
        "expectations": [
            {"expect": e.text, "line": e.expect.loc.line, "status": e.status, "reason": e.reason}
            for e in r.expectations
        ],
        "result": {"PASS": "pass", "FAIL": "fail", "—": "none"}.get(verdict.split(" ")[0], "unknown"),
        "seconds": round(r.seconds, 4),
        "extra": r.notes.as_json(),  # how the engines met: why z3 stepped aside, what it completed
    }


def results_json(
    results: list[TestResult | BadInput], config: dict[str, Any], allow_unknown: bool, model: dict[str, str]
) -> dict[str, Any]:
    tests = [test_json(r, allow_unknown) for r in results if isinstance(r, TestResult)]
    errors = [
        {"file": b.file, "message": b.message, "line": b.line, "col": b.col} for b in results if isinstance(b, BadInput)
    ]
    counts = {k: sum(1 for t in tests if t["result"] == k) for k in ("pass", "fail", "unknown", "none")}
    return {
        "schema": "hbcheck-results",
        "version": SCHEMA_VERSION,
        "hbcheck": __version__,
        "model": model,
        "config": config,
        "tests": tests,
        "errors": errors,
        "summary": {
            "tests": len(tests),
            "passed": counts["pass"],
            "failed": counts["fail"],
            "unknown": counts["unknown"],
            "without_expectations": counts["none"],
            "errors": len(errors),
        },
    }


def dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=False) + "\n"
