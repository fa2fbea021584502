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
from dataclasses import dataclass, field, replace

from hbcheck.budget import Budget
from hbcheck.explore.execution import CUT, OK, Execution, Finding
from hbcheck.explore.explorer import Exploration
from hbcheck.hb import send_sites
from hbcheck.language import ast
from hbcheck.language.check import Program
from hbcheck.language.locations import Location, locations
from hbcheck.machine import events as ev
from hbcheck.machine.events import Event
from hbcheck.models import Model, evaluate, load_model
from hbcheck.names import RACE_FLAGS, RACES, FindingKind
from hbcheck.smt.engine import SmtAnswer
from hbcheck.verdict.condition import predicate, value_of

NEVER, SOMETIMES, ALWAYS = "Never", "Sometimes", "Always"
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
RACY = "racy: outcomes beyond SC need the symbolic engine"


def not_drf_sc(model: str) -> str:
    """Why the explorer's SC runs may miss outcomes of any program under a model without ``declare drf-sc``."""
    return f"model {model} does not declare drf-sc: outcomes beyond SC need the symbolic engine"


@dataclass(frozen=True, slots=True)
class ExpectResult:
    expect: ast.Expect
    status: str  # PASS, FAIL or UNKNOWN
    reason: str

    @property
    def text(self) -> str:
        return f"expect {self.expect.source}"


@dataclass(frozen=True, slots=True)
class EngineNotes:
    """How the engines met on one test: the results JSON's ``extra``."""

    smt: str | None = None  # why z3 did not answer
    auto: str | None = None  # --engine auto: why z3 was asked, or why not
    smt_seconds: float | None = None
    smt_replayed: int | None = None  # z3 executions run on the machine
    smt_unconfirmed: int = 0  # z3 executions the replay search gave up on
    weak: bool = False  # z3's executions beyond SC completed the answer
    explicit_bounds: tuple[str, ...] = ()  # the explorer's bounds z3's exact answer lifted
    # False: the counts are lower bounds (z3 stopped counting past the
    # explorer's bounds, or --stop-early stopped the search)
    counted: bool = True

    def as_json(self) -> dict[str, object]:
        """Only what is said (results.schema.json's ``extra``)."""
        out: dict[str, object] = {}
        if self.smt is not None:
            out["smt"] = self.smt
        if self.auto is not None:
            out["auto"] = self.auto
        if self.smt_seconds is not None:
            out["smt_seconds"] = self.smt_seconds
        if self.smt_replayed is not None:
            out["smt_replayed"] = self.smt_replayed
        if self.smt_unconfirmed:
            out["smt_unconfirmed"] = self.smt_unconfirmed
        if self.weak:
            out["weak"] = True
        if self.explicit_bounds:
            out["explicit_bounds"] = list(self.explicit_bounds)
        if not self.counted:
            out["counted"] = False
        return out


@dataclass(frozen=True)
class TestResult:
    """One test's answer. A value: the engines and the reports derive new
    ones (``dataclasses.replace``), never patch one."""

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
    bounds: list[str]  # bounds that stopped executions or the search ("unroll 8", ...)
    seconds: float = 0.0
    model: str = "go"
    forbidden: int = 0  # executions the model rejects
    # the SC runs may miss outcomes: a data race under a model that allows non-SC
    # ones, or any program under a model that does not declare drf-sc
    racy_weak: bool = False
    model_path: str = ""
    model_digest: str = ""
    # the execution with the shortest schedule showing each finding, and each side of the condition
    witnesses: dict[Finding, Execution] = field(default_factory=dict)
    positive_witness: Execution | None = None
    negative_witness: Execution | None = None
    engines: list[str] = field(default_factory=lambda: ["explicit"])
    # every allowed execution of the explicit engine, with its findings (for "expect always ...")
    judged: list[tuple[Execution, list[Finding]]] = field(default_factory=list, repr=False)
    notes: EngineNotes = EngineNotes()
    weak_reason: str = RACY  # what ``racy_weak`` means here (RACY, or the model's missing declaration)

    @property
    def limits(self) -> list[str]:
        """Why the result is not exact: the bounds, and racy programs under a weak model."""
        return self.bounds + ([self.weak_reason] if self.racy_weak else [])

    @property
    def races_exact(self) -> bool:
        """Are race findings decided exactly? A racy program has a racy SC
        execution under a model that declares drf-sc, so the SC runs decide
        them when no bound stopped the search."""
        return not self.bounds and (not self.racy_weak or self.weak_reason == RACY)

    @property
    def name(self) -> str:
        return self.program.name

    @property
    def counts_at_least(self) -> bool:
        """Are finding counts only lower bounds? When z3 completed the answer (past
        the explorer's bounds, or with weak executions) they count the explorer's
        executions alone: z3 decides whether a finding occurs, not how often.
        So are they when the search stopped early (``notes.counted`` is
        false) and when z3 answered alone."""
        notes = self.notes
        return bool(notes.explicit_bounds) or notes.weak or not notes.counted or self.engines == ["smt"]

    def count_text(self, f: Finding) -> str:
        return ("≥" if self.counts_at_least else "") + str(self.findings[f])

    @property
    def exact(self) -> bool:
        return not self.limits

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


def possible_observations(p: int, n: int, exact: bool) -> tuple[str, ...]:
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


def from_smt(answer: SmtAnswer) -> TestResult:
    """z3's answer as a result (it answered: ``answer.reason`` is None)."""
    assert answer.answered, answer.reason
    model, p, n = answer.model, answer.positive, answer.negative
    result = TestResult(
        program=answer.program,
        locations=answer.locations,
        states=answer.states,
        positive=p,
        negative=n,
        possible=possible_observations(p, n, not answer.bounds),
        findings=answer.findings,
        expectations=[],
        executions=p + n,
        incomplete=0,
        bounds=list(answer.bounds),
        seconds=answer.seconds,
        model=model.name,
        model_path=model.path,
        model_digest=model.digest,
        positive_witness=answer.witness,
        negative_witness=answer.counter,
        engines=["smt"],
    )
    return result


def judge(
    program: Program,
    exploration: Exploration,
    model: Model | None = None,
    seconds: float = 0.0,
    budget: Budget | None = None,
) -> TestResult:
    """Everything ``hbcheck run`` reports about one test, under ``model`` (go.cat
    by default). Past ``budget``, the executions judged so far make the answer."""
    model = model or load_model("go")
    caps = program.caps
    judged: list[tuple[Execution, list[Finding]]] = []
    forbidden = 0
    bounds = list(exploration.bounds)
    for x in exploration.executions:
        if budget is not None and (spent := budget.spent()):
            bounds += [spent] if spent not in bounds else []
            break
        verdict = evaluate(model, x, caps)
        if not verdict.allowed:
            forbidden += 1
            continue
        findings = list(x.findings)
        for flag, pairs in verdict.flags.items():
            findings.extend(_race_findings(flag, pairs, x))
        judged.append((x, findings))
    # a race on a variable lets a weak model give more than SC; one on a wait
    # group (Go's misuse race, the runtime's own accesses) reads no value
    racy = any(f.kind == "race" and _on_memory(f, program) for _x, fs in judged for f in fs)
    racy_weak = not model.drf_sc or (racy and not model.is_sc)
    holds = predicate(program)
    locs = locations(program)
    normal = [x for x, _f in judged if x.end == OK]
    states = sorted({tuple(value_of(x.final, loc) for loc in locs) for x in normal})
    p = sum(1 for x in normal if holds is not None and holds(x.final))
    n = len(normal) - p
    counted: Counter[Finding] = Counter()
    for _x, fs in judged:
        counted.update(set(fs))
    exact = not bounds and not racy_weak
    witnesses: dict[Finding, Execution] = {}
    for x, fs in sorted(judged, key=lambda xf: len(xf[0].schedule)):
        for f in fs:
            witnesses.setdefault(f, x)
    by_length = sorted(normal, key=lambda x: len(x.schedule))
    sides: list[Execution | None] = [None, None]
    if holds is not None:
        sides = [next((x for x in by_length if holds(x.final) == side), None) for side in (True, False)]
    result = TestResult(
        program=program,
        locations=locs,
        states=states,
        positive=p,
        negative=n,
        possible=possible_observations(p, n, exact),
        findings=counted,
        expectations=[],
        executions=len(judged),
        incomplete=sum(1 for x, _f in judged if x.end == CUT),
        bounds=bounds,
        seconds=seconds,
        model=model.name,
        forbidden=forbidden,
        racy_weak=racy_weak,
        model_path=model.path,
        model_digest=model.digest,
        witnesses=witnesses,
        positive_witness=sides[0],
        negative_witness=sides[1],
        judged=judged,
        weak_reason=RACY if model.drf_sc else not_drf_sc(model.name),
    )
    return replace(result, expectations=[_expect(e, result, judged) for e in program.expects])


def _on_memory(f: Finding, program: Program) -> bool:
    """Is this race on a shared variable (an integer, a slice's header, or a
    channel variable some statement assigns), a map, an array's element or a
    captured one (not a wait group)?"""
    name = f.text.removeprefix("race on ")
    # a captured variable's location: G.NAME
    var = program.shared.get(name)
    on_value = var is not None and var.kind in ("map", "slice")
    return program.is_int(name) or on_value or name in program.dynamic or "." in name or "[" in name


def _access(e: Event) -> str:
    """The access as Go's race detector names it: a wait group's sema access
    is the Add's read or the Wait's write (sync/waitgroup.go, Go 1.19)."""
    if e.kind == ev.READ or e.op == ev.SEMA_READ:
        return "read"
    if e.kind in (ev.WRITE, ev.INIT_WRITE) or e.op == ev.SEMA_WRITE:
        return "write"
    if e.kind == ev.ATOMIC:
        return "atomic read" if e.op == "Load" or e.ok == 0 else "atomic write"
    if e.kind == ev.CLOSE:
        return "close"
    return "send"


def _race_findings(flag: str, pairs: frozenset, x: Execution) -> list[Finding]:
    """One finding per racing pair of source accesses, in a canonical order."""
    if flag not in RACE_FLAGS:
        return [Finding(FindingKind.FLAG, flag)]
    out = set()
    sites = send_sites(x) if RACE_FLAGS[flag] == FindingKind.SEND_CLOSE_RACE else {}
    for a, b in pairs:
        if a == b:  # a race is two accesses; a model's relation may hold an event with itself
            continue
        ea, eb = x.events[a], x.events[b]
        for obj, la, lb in _touches(sites.get(a, ((ea.obj, ea.line),)), sites.get(b, ((eb.obj, eb.line),))):
            out.add(Finding.race(flag, obj, (ea.g, la, _access(ea)), (eb.g, lb, _access(eb))))
    return sorted(out, key=lambda f: f.describe())


def _touches(xs: tuple, ys: tuple) -> list[tuple[str, int, int]]:
    """The (object, line, line) where two accesses meet: a select's begin
    touches each polled send case's channel at that case's line."""
    return [(o, la, lb) for o, la in xs for p, lb in ys if o == p]


def matches(f: Finding, e: ast.Expect) -> bool:
    """Does a finding answer an `expect` line (its kind, and its text when given)?"""
    return f.kind == e.finding and (e.text is None or f.text == e.text)


def expectations(r: TestResult, unrun: str = "", decided: tuple[str, ...] = ()) -> list[ExpectResult]:
    """Judge every ``expect`` line again, after the symbolic engine completed
    ``r``: its findings count as found. ``unrun`` names the executions the
    explicit engine did not run (z3's weak ones, or those past its bounds): a
    claim that every execution has a finding cannot rest on the ones it ran,
    nor can the absence of a finding z3 does not look for (not in ``decided``)."""
    out = []
    for e in r.program.expects:
        res = _expect(e, r, r.judged)
        if unrun and e.finding is not None:
            open_always = e.quantifier == "always" and res.status == PASS
            unlooked = e.finding not in decided and res.status == (PASS if e.quantifier == "no" else FAIL)
            if open_always:
                res = ExpectResult(e, UNKNOWN, f"every execution the explicit engine ran has it; {unrun}")
            elif unlooked and e.quantifier != "always":
                res = ExpectResult(e, UNKNOWN, f"z3 does not look for {e.finding}; {unrun}")
        out.append(res)
    return out


def _expect(e: ast.Expect, r: TestResult, judged: list[tuple[Execution, list[Finding]]]) -> ExpectResult:
    bound = ", ".join(r.limits)
    hit = f"a bound was hit ({bound})" if r.bounds else bound
    if e.finding is None:
        want = e.quantifier.capitalize()
        if r.possible == (want,):
            return ExpectResult(e, PASS, f"observation {want}")
        if want not in r.possible:
            return ExpectResult(e, FAIL, f"observation is {r.observation}, expected {want}")
        why = f"bound hit ({bound})" if r.bounds else bound
        return ExpectResult(e, UNKNOWN, f"observation could be {' or '.join(r.possible)}: {why}")
    what = e.finding + (f' "{e.text}"' if e.text else "")
    witnesses = sum(1 for _x, fs in judged if any(matches(f, e) for f in fs))
    symbolic = not witnesses and any(matches(f, e) for f in r.findings)  # found by z3 alone
    complete = [fs for x, fs in judged if x.end != CUT]
    # races are decided exactly on SC executions (a racy program has a racy SC execution)
    exact = r.exact or (r.races_exact and e.finding in RACES and e.quantifier != "always")
    if symbolic and e.quantifier in ("some", "no"):
        return ExpectResult(e, PASS if e.quantifier == "some" else FAIL, f"{what} in an execution z3 found")
    if e.quantifier == "some":
        if witnesses:
            return ExpectResult(e, PASS, f"{what} in {witnesses} execution(s)")
        if exact:
            return ExpectResult(e, FAIL, f"no execution has {what}")
        return ExpectResult(e, UNKNOWN, f"no {what} found, but {hit}")
    if e.quantifier == "no":
        if witnesses:
            return ExpectResult(e, FAIL, f"{what} in {witnesses} execution(s)")
        if exact:
            return ExpectResult(e, PASS, f"no execution has {what}")
        return ExpectResult(e, UNKNOWN, f"no {what} found, but {hit}")
    missing = sum(1 for fs in complete if not any(matches(f, e) for f in fs))
    if missing:
        return ExpectResult(e, FAIL, f"{missing} execution(s) without {what}")
    if exact:
        return ExpectResult(e, PASS, f"every execution has {what}")
    return ExpectResult(e, UNKNOWN, f"every complete execution has {what}, but {hit}")
