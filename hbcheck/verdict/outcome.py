"""Judge a test from its executions: states, counts, observation, findings
and every ``expect`` line, soundly when bounds were hit.

Counts follow herd: Positive/Negative are the complete, normally ending
executions that satisfy / violate the condition's proposition (swapped in
the printed ``Witnesses`` for ``~exists``); the observation is Never when
P = 0, Always when N = 0 < P, Sometimes otherwise. When exploration was
incomplete the observation is the set of values still possible, and a claim
about every execution is Unknown, never a guess.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from hbcheck.explore.execution import CUT, OK, Execution, Finding
from hbcheck.explore.explorer import Exploration
from hbcheck.language import ast
from hbcheck.language.check import Program
from hbcheck.verdict.condition import Location, locations, predicate, value_of

NEVER, SOMETIMES, ALWAYS = "Never", "Sometimes", "Always"
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
UNSUPPORTED_FINDINGS = {"race", "send-close-race"}


@dataclass(frozen=True, slots=True)
class ExpectResult:
    expect: ast.Expect
    status: str  # PASS, FAIL or UNKNOWN
    reason: str

    @property
    def text(self) -> str:
        return f"expect {self.expect.source}"


@dataclass
class TestResult:
    program: Program
    locations: list[Location]
    states: list[tuple[int, ...]]
    positive: int
    negative: int
    possible: tuple[str, ...]  # observations still possible (one when exact)
    findings: Counter[Finding]  # distinct findings, with how many executions show each
    expectations: list[ExpectResult]
    executions: int
    incomplete: int  # executions a bound cut short
    bounds: list[str]
    seconds: float = 0.0
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.program.name

    @property
    def exact(self) -> bool:
        return not self.bounds

    @property
    def observation(self) -> str:
        """Never / Sometimes / Always, or Unknown when a bound leaves several open."""
        return self.possible[0] if len(self.possible) == 1 else "Unknown"

    @property
    def flags(self) -> list[str]:
        return sorted({f.kind for f in self.findings})

    @property
    def status(self) -> str:
        statuses = {e.status for e in self.expectations}
        if FAIL in statuses:
            return FAIL
        if UNKNOWN in statuses:
            return UNKNOWN
        return PASS


def _possible(p: int, n: int, exact: bool) -> tuple[str, ...]:
    observed = NEVER if p == 0 else ALWAYS if n == 0 else SOMETIMES
    if exact:
        return (observed,)
    # unexplored executions may add positives and negatives
    out = (
        [SOMETIMES]
        if (p and n)
        else [o for o in (NEVER, SOMETIMES, ALWAYS) if (o != NEVER or p == 0) and (o != ALWAYS or n == 0)]
    )
    return tuple(out)


def judge(program: Program, exploration: Exploration, seconds: float = 0.0) -> TestResult:
    """Everything ``hbcheck run`` reports about one test."""
    execs = exploration.executions
    exact = exploration.exact
    holds = predicate(program)
    locs = locations(program)
    normal = [x for x in execs if x.end == OK]
    states = sorted({tuple(value_of(x.final, loc) for loc in locs) for x in normal})
    p = sum(1 for x in normal if holds is not None and holds(x.final))
    n = len(normal) - p
    findings: Counter[Finding] = Counter()
    for x in execs:
        findings.update(set(x.findings))
    result = TestResult(
        program,
        locs,
        states,
        p,
        n,
        _possible(p, n, exact),
        findings,
        [],
        len(execs),
        sum(1 for x in execs if x.end == CUT),
        list(exploration.bounds),
        seconds,
    )
    result.expectations = [_expect(e, result, execs) for e in program.expects]
    return result


def _matches(f: Finding, e: ast.Expect) -> bool:
    return f.kind == e.finding and (e.text is None or f.text == e.text)


def _expect(e: ast.Expect, r: TestResult, execs: list[Execution]) -> ExpectResult:
    bound = ", ".join(r.bounds)
    if e.finding is None:
        want = e.quantifier.capitalize()
        if r.possible == (want,):
            return ExpectResult(e, PASS, f"observation {want}")
        if want not in r.possible:
            return ExpectResult(e, FAIL, f"observation is {r.observation}, expected {want}")
        return ExpectResult(e, UNKNOWN, f"observation could be {' or '.join(r.possible)}: bound hit ({bound})")
    if e.finding in UNSUPPORTED_FINDINGS:
        return ExpectResult(e, FAIL, f"'{e.finding}' needs the happens-before engine, not built yet")
    what = e.finding + (f' "{e.text}"' if e.text else "")
    witnesses = sum(1 for x in execs if any(_matches(f, e) for f in x.findings))
    complete = [x for x in execs if x.end != CUT]
    if e.quantifier == "some":
        if witnesses:
            return ExpectResult(e, PASS, f"{what} in {witnesses} execution(s)")
        if r.exact:
            return ExpectResult(e, FAIL, f"no execution has {what}")
        return ExpectResult(e, UNKNOWN, f"no {what} found, but a bound was hit ({bound})")
    if e.quantifier == "no":
        if witnesses:
            return ExpectResult(e, FAIL, f"{what} in {witnesses} execution(s)")
        if r.exact:
            return ExpectResult(e, PASS, f"no execution has {what}")
        return ExpectResult(e, UNKNOWN, f"no {what} found, but a bound was hit ({bound})")
    missing = sum(1 for x in complete if not any(_matches(f, e) for f in x.findings))
    if missing:
        return ExpectResult(e, FAIL, f"{missing} execution(s) without {what}")
    if r.exact:
        return ExpectResult(e, PASS, f"every execution has {what}")
    return ExpectResult(e, UNKNOWN, f"every complete execution has {what}, but a bound was hit ({bound})")
