"""Compare a run with a recorded one (a results JSON) and classify each change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table

from hbcheck.source import read_json

ALLOWING = ("Sometimes", "Always")


@dataclass(frozen=True, slots=True)
class Difference:
    test: str
    kind: str  # newly allowed, newly forbidden, observation changed, states changed, new finding,
    # finding gone, count changed, test added, test removed
    before: str
    after: str


def load_results(path: Path) -> dict[str, Any]:
    """A results file (``--json``) as a baseline, valid against the results schema."""
    return read_json(path, "an hbcheck results file", "results.schema.json")


def _counts(t: dict[str, Any]) -> str:
    return f"P={t['positive']} N={t['negative']} executions={t['executions']}"


def _states(t: dict[str, Any]) -> str:
    return " | ".join(" ".join(f"{k}={v};" for k, v in s.items()) for s in t["states"]) or "(none)"


def finding_key(f: dict[str, Any]) -> tuple:
    """A recorded finding as a value: its kind, text, goroutine and line, the set
    of goroutines a deadlock blocks and the unordered pair of a race (a baseline
    written when these were listed in another order still matches)."""
    blocked = frozenset((b["goroutine"], b["waits"], b["line"]) for b in f.get("blocked", ()))
    pair = frozenset((p["goroutine"], p["line"], p["access"]) for p in f.get("pair", ()))
    return (f["kind"], f["text"], f["goroutine"], f["line"], blocked, pair)


def compare(old: dict[str, Any], new: dict[str, Any]) -> list[Difference]:
    """Every difference between two result documents, test by test (tests are keyed by name)."""
    before = {t["name"]: t for t in old["tests"]}
    after = {t["name"]: t for t in new["tests"]}
    out: list[Difference] = []
    for name in sorted(before.keys() | after.keys()):
        if name not in after:
            out.append(Difference(name, "test removed", before[name]["file"], ""))
            continue
        if name not in before:
            out.append(Difference(name, "test added", "", after[name]["file"]))
            continue
        a, b = before[name], after[name]
        oa, ob = a["observation"], b["observation"]
        if oa != ob:
            if oa == "Never" and ob in ALLOWING:
                kind = "newly allowed"
            elif oa in ALLOWING and ob == "Never":
                kind = "newly forbidden"
            else:
                kind = "observation changed"
            out.append(Difference(name, kind, str(oa), str(ob)))
        if a["states"] != b["states"]:
            out.append(Difference(name, "states changed", _states(a), _states(b)))
        fa = {finding_key(f): f["description"] for f in a["findings"]}
        fb = {finding_key(f): f["description"] for f in b["findings"]}
        out.extend(Difference(name, "new finding", "", fb[k]) for k in sorted(fb.keys() - fa.keys(), key=fb.get))
        out.extend(Difference(name, "finding gone", fa[k], "") for k in sorted(fa.keys() - fb.keys(), key=fa.get))
        if _counts(a) != _counts(b):
            out.append(Difference(name, "count changed", _counts(a), _counts(b)))
    return out


def differences_table(diffs: list[Difference], title: str = "Differences from the baseline") -> Table:
    table = Table(title=title, title_justify="left")
    for col in ("Test", "Change", "Before", "After"):
        table.add_column(col, overflow="fold")
    for d in diffs:
        table.add_row(d.test, d.kind, d.before, d.after)
    return table
