"""SARIF 2.1.0, the format GitHub code scanning and CI dashboards read.

One result per finding (a race with both accesses, a panic, an assertion, a
deadlock with every blocked goroutine, a leak) and one per expectation that
failed (or is Unknown where the run does not tolerate it). A finding's
witness execution becomes a code flow: one thread flow per goroutine, each
step at its ``.lit`` line, numbered by ``executionOrder`` across goroutines
when the execution is an interleaving (a weak execution, which none
produces, keeps only each goroutine's program order). Files that could not
be checked are the invocation's error notifications.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hbcheck import __version__
from hbcheck.explore.execution import Execution, Finding
from hbcheck.language import ast
from hbcheck.machine import events as ev
from hbcheck.names import FindingKind
from hbcheck.report.results import display_path
from hbcheck.report.summary import BadInput
from hbcheck.verdict.outcome import FAIL, PASS, UNKNOWN, ExpectResult, TestResult, matches

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

# rule id -> (short description, full description)
RULES: dict[str, tuple[str, str]] = {
    FindingKind.RACE: (
        "Data race",
        "Two accesses to one variable, at least one a write, not ordered by happens-before in some execution.",
    ),
    FindingKind.SEND_CLOSE_RACE: (
        "Send/close race",
        "A send and a close of one channel not ordered by happens-before: the send may panic.",
    ),
    FindingKind.PANIC: (
        "Panic",
        "Some execution panics (send on or close of a closed channel, nil channel, misuse, ...).",
    ),
    FindingKind.ASSERT: ("Assertion failure", "An assert statement fails in some execution."),
    FindingKind.DEADLOCK: ("Deadlock", "Every goroutine is blocked in some execution."),
    FindingKind.LEAK: ("Goroutine leak", "A goroutine stays blocked for ever after main returns, in some execution."),
    FindingKind.FLAG: (
        "Model flag",
        "A flag of the memory model (other than its race flags) is raised in some execution.",
    ),
    "expectation-failed": ("Expectation failed", "An expect line of the test does not hold."),
    "expectation-unknown": (
        "Expectation undecided",
        "An expect line could not be decided: a bound was hit, or an engine stepped aside.",
    ),
}
_RULE_INDEX = {rule: i for i, rule in enumerate(RULES)}


def _uri(file: str) -> str:
    path = Path(display_path(file))
    return path.as_uri() if path.is_absolute() else quote(path.as_posix())


def _location(file: str, line: int | None, message: str | None = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(file)}}
    if line:
        physical["region"] = {"startLine": line}
    out: dict[str, Any] = {"physicalLocation": physical}
    if message:
        out["message"] = {"text": message}
    return out


def _code_flow(x: Execution, file: str, what: str) -> dict[str, Any]:
    """The witness execution, one thread flow per goroutine."""
    ordered = bool(x.schedule)  # an interleaving; a weak execution has none
    flows: dict[str, list[dict[str, Any]]] = {}
    for order, e in enumerate(x.events):
        if e.g == "init" or e.kind in (ev.START, ev.EXIT):
            continue
        step: dict[str, Any] = {"location": _location(file, e.line, f"{e.g}: {e.label()}")}
        if ordered:
            step["executionOrder"] = order
        flows.setdefault(e.g, []).append(step)
    threads = [{"id": g, "locations": steps} for g, steps in flows.items()]
    return {"message": {"text": what}, "threadFlows": threads}


def _result(
    rule: str,
    level: str,
    text: str,
    file: str,
    where: list[dict[str, Any]],
    related: list[dict[str, Any]],
    identity: tuple[str, ...],
) -> dict[str, Any]:
    # what the result is, not where its lines are nor how often: a line added
    # above it, or another goroutine that multiplies the executions, keeps it
    key = "\0".join((_uri(file), rule, *identity))
    out: dict[str, Any] = {
        "ruleId": rule,
        "ruleIndex": _RULE_INDEX[rule],
        "level": level,
        "message": {"text": text},
        "locations": where,
        "partialFingerprints": {"hbcheck/v1": hashlib.sha256(key.encode()).hexdigest()},
    }
    if related:
        out["relatedLocations"] = [{"id": i, **loc} for i, loc in enumerate(related)]
    return out


def _finding(r: TestResult, f: Finding, expected: bool) -> dict[str, Any]:
    file = r.program.test.file
    if f.pair:
        (g1, l1, a1), (g2, l2, a2) = f.pair
        where = [_location(file, l1, f"{g1}: {a1}")]
        related = [_location(file, l2, f"{g2}: {a2}")]
    elif f.blocked:
        where = [_location(file, f.blocked[0][2], f"{f.blocked[0][0]} [{f.blocked[0][1]}]")]
        related = [_location(file, ln, f"{g} [{w}]") for g, w, ln in f.blocked]
    else:  # a model's own flag has no line: the test's first
        where, related = [_location(file, f.line or 1)], []
    text = f"{r.name}: {f.describe()} (in {r.count_text(f)} execution(s))"
    if related:  # code scanning shows related locations only where the message links them
        text += "; see " + ", ".join(f"[{loc['message']['text']}]({i})" for i, loc in enumerate(related))
    who = [f.g or ""] + [g for g, _w, _l in f.blocked] + [side[0] for side in f.pair or ()]
    identity = (r.name, f.kind, f.text, *sorted(set(who)))
    out = _result(f.kind, "note" if expected else "warning", text, file, where, related, identity)
    witness = r.witnesses.get(f)
    if witness is not None:
        out["codeFlows"] = [_code_flow(witness, file, f"an execution with {f.describe()}")]
    return out


def _counterexample(r: TestResult, e: ExpectResult) -> Execution | None:
    """An execution that shows why an expectation failed, where one exists."""
    expect: ast.Expect = e.expect
    if expect.finding is None:
        return {"always": r.negative_witness, "never": r.positive_witness}.get(expect.quantifier)
    if expect.quantifier == "no":
        return next((x for f, x in r.witnesses.items() if matches(f, expect)), None)
    return None


def _expectation(r: TestResult, e: ExpectResult) -> dict[str, Any]:
    file = r.program.test.file
    failed = e.status == FAIL
    rule = "expectation-failed" if failed else "expectation-unknown"
    text = f"{r.name}: {e.text}: {e.reason}"
    where = [_location(file, e.expect.loc.line)]
    out = _result(rule, "error" if failed else "warning", text, file, where, [], (r.name, e.text))
    x = _counterexample(r, e) if failed else None
    if x is not None:
        out["codeFlows"] = [_code_flow(x, file, f"a counterexample to {e.text}")]
    return out


def sarif_log(
    results: list[TestResult | BadInput], allow_unknown: bool, command: list[str], unchecked: int = 0
) -> dict[str, Any]:
    """``unchecked``: files an interrupted run did not check."""
    out: list[dict[str, Any]] = []
    notes: list[dict[str, Any]] = []
    if unchecked:
        notes.append({"level": "error", "message": {"text": f"interrupted: {unchecked} file(s) not checked"}})
    for r in results:
        if isinstance(r, BadInput):
            note: dict[str, Any] = {"level": "error", "message": {"text": r.message}}
            note["locations"] = [_location(r.file, r.line)]
            notes.append(note)
            continue
        # a finding an expectation asked for (and got) is a note, not an alert
        wanted = [e.expect for e in r.expectations if e.status == PASS and e.expect.quantifier != "no"]
        for f in sorted(r.findings, key=Finding.describe):
            out.append(_finding(r, f, any(matches(f, w) for w in wanted if w.finding is not None)))
        for e in r.expectations:
            if e.status == FAIL or (e.status == UNKNOWN and not allow_unknown):
                out.append(_expectation(r, e))
    rules = [
        {
            "id": rule,
            "name": short.title().replace(" ", "").replace("/", ""),
            "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "help": {"text": f"{full} See docs/ci.md for how hbcheck reports it."},
        }
        for rule, (short, full) in RULES.items()
    ]
    run = {
        "tool": {"driver": {"name": "hbcheck", "version": __version__, "rules": rules}},
        "invocations": [
            {
                "commandLine": shlex.join(command),
                "executionSuccessful": not notes,
                "toolExecutionNotifications": notes,
            }
        ],
        "results": out,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
