"""Run the explicit engine, the symbolic one, or both, and make them agree.

On a race-free program both must give the same states, counts and findings;
on a racy one the symbolic outcome set must contain the explicit one (SC
interleavings are executions of every model). A disagreement is a checker
bug, reported loudly. Where the symbolic engine answers exactly, its answer
replaces the explicit engine's Unknown: for racy programs, and where the
explicit engine stopped at a bound (its executions must then be among z3's).

``auto`` (the command line's default) asks z3 only where its answer changes
what the user sees; ``both`` asks it on every test, as a cross-check;
``explicit`` never; ``smt`` asks z3 alone.
"""

from __future__ import annotations

import dataclasses

from hbcheck.explore import Exploration, ExploreConfig, explore
from hbcheck.explore.execution import CUT, Execution, Finding
from hbcheck.explore.explorer import STOP_EARLY
from hbcheck.language import ast
from hbcheck.language.check import Program
from hbcheck.models import Model
from hbcheck.names import COMPARED
from hbcheck.smt.engine import ENUMERATION_LIMIT, SmtAnswer, solve
from hbcheck.smt.schedule import WitnessMismatch
from hbcheck.verdict.outcome import (
    ALWAYS,
    NEVER,
    RACY,
    SOMETIMES,
    UNKNOWN,
    EngineNotes,
    ExpectResult,
    TestResult,
    expectations,
    from_smt,
    judge,
    matches,
)

ENGINES = ("auto", "both", "explicit", "smt")
SMT_ALONE = "--engine smt runs no explorer"
# Past the explorer's bounds z3 counts this many executions, then enumerates
# the states alone: counting a program with tens of thousands of executions
# one model each cost minutes, and the verdict needs no count.
COUNT_PAST_BOUND = 1_000


def count_limit(explicit: TestResult) -> int:
    """How many executions z3 counts after the explorer ran: all of them, up
    to its enumeration limit, unless the explorer stopped at a bound."""
    return COUNT_PAST_BOUND if explicit.bounds else ENUMERATION_LIMIT


class EngineDisagreement(Exception):
    """The two engines disagree: a bug in hbcheck, never in the test."""


def _findings(r: TestResult) -> set[Finding]:
    """The findings both engines look for, as values (never their rendered text)."""
    return {f for f in r.findings if f.kind in COMPARED}


def _shown(fs: set[Finding]) -> list[str]:
    return sorted(f.describe() for f in fs)


def check_program(
    program: Program,
    config: ExploreConfig,
    model: Model,
    engine: str = "both",
    solver_timeout: float = 60.0,
    stop_early: bool = False,
) -> TestResult:
    """One test's answer from ``engine`` (one of ``ENGINES``). ``stop_early``:
    the explorer stops once every expectation is decided (its counts are then
    lower bounds)."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (known: {', '.join(ENGINES)})")
    config = dataclasses.replace(config, budget=config.started())  # the whole check shares it
    if engine == "smt":
        return _smt_alone(program, config, model, solver_timeout)
    if stop_early and program.expects:
        config = dataclasses.replace(config, stop_when=EarlyAnswer(program, model))
    explicit = judge(program, explore(program, config), model, budget=config.budget)
    if STOP_EARLY in explicit.bounds:  # the states, counts and findings of the executions run so far
        explicit = _noted(explicit, counted=False)
    if engine == "explicit":
        return explicit
    if engine == "auto":
        ask, why = z3_needed(explicit)
        explicit = _noted(explicit, auto=("z3 asked: " if ask else "z3 not run: ") + why)
        if not ask:
            return explicit
    return _with_z3(program, config, model, explicit, solver_timeout)


def z3_needed(explicit: TestResult) -> tuple[bool, str]:
    """Would z3's answer change what the user sees of the explorer's result?
    Only where the explorer is not exact: a model that does not declare
    drf-sc, a bound z3 may lift, or a racy program under a weak model whose
    condition (its states and counts) or an undecided expectation depends on
    executions beyond SC. The race expectations are exact on SC runs."""
    if STOP_EARLY in explicit.bounds:
        return False, "the search stopped early, every expectation decided"
    if explicit.racy_weak and explicit.weak_reason != RACY:
        return True, explicit.weak_reason
    if explicit.bounds:
        return True, "the explorer stopped at " + ", ".join(explicit.bounds)
    if not explicit.racy_weak:
        return False, "the explorer's answer is exact"
    if explicit.program.condition is not None:
        return True, "racy under a weak model, and the condition's states depend on executions beyond SC"
    undecided = [e.text for e in explicit.expectations if e.status == UNKNOWN]
    if undecided:
        return True, f"racy under a weak model, and {', '.join(undecided)} depends on executions beyond SC"
    return False, "racy, with no condition, and every expectation decided on SC executions"


class EarlyAnswer:
    """``--stop-early``'s test, called on each execution the explorer finds:
    has every expectation been decided by an execution that shows it (a
    witness of a finding, an execution without one for ``expect always``,
    both sides of the condition)? Such answers hold however many executions
    remain; an expectation that needs every execution (``expect never`` that
    holds, ``expect no race`` that holds) keeps the search going. The final
    verdicts are judged afresh from the executions run, so this only chooses
    when to stop."""

    def __init__(self, program: Program, model: Model):
        self.program, self.model = program, model
        self.open = list(program.expects)
        self.positive = self.negative = 0

    def __call__(self, x: Execution) -> bool:
        one = judge(self.program, Exploration([x]), self.model)
        self.positive += one.positive
        self.negative += one.negative
        found = [f for _x, fs in one.judged for f in fs]
        complete = bool(one.judged) and x.end != CUT
        self.open = [e for e in self.open if not self._decided(e, found, complete)]
        return not self.open

    def _decided(self, e: ast.Expect, found: list[Finding], complete: bool) -> bool:
        p, n = self.positive, self.negative
        if e.finding is None:
            return {"never": p > 0, "always": n > 0}.get(e.quantifier, p > 0 and n > 0)
        has = any(matches(f, e) for f in found)
        return has if e.quantifier in ("some", "no") else complete and not has


def _smt_alone(program: Program, config: ExploreConfig, model: Model, solver_timeout: float) -> TestResult:
    """z3's answer with no explorer run: where z3 steps aside, every
    expectation is Unknown with its reason."""
    try:
        answer = solve(program, model, config.unroll, int(solver_timeout * 1000), budget=config.budget)
    except WitnessMismatch as exc:
        raise EngineDisagreement(f"{program.name}: a z3 execution replayed on the machine: {exc}") from exc
    if not answer.answered:
        why = f"z3 stepped aside ({answer.reason}); {SMT_ALONE}"
        return dataclasses.replace(
            judge(program, Exploration(), model),
            engines=[],
            possible=(NEVER, SOMETIMES, ALWAYS),
            racy_weak=True,
            weak_reason=f"z3 stepped aside: {answer.reason}",
            notes=EngineNotes(smt=answer.reason or ""),
            expectations=[ExpectResult(e, UNKNOWN, why) for e in program.expects],
        )
    s = _noted(from_smt(answer), **_z3_notes(answer), counted=answer.counted)
    return dataclasses.replace(
        s,
        expectations=[
            ExpectResult(e.expect, UNKNOWN, f"z3 does not prove {e.expect.finding} in every execution; {SMT_ALONE}")
            if e.status == UNKNOWN and e.expect.quantifier == "always" and e.expect.finding
            else e
            for e in expectations(s, SMT_ALONE, COMPARED)
        ],
    )


def _noted(r: TestResult, **notes) -> TestResult:
    """``r`` with more said of how the engines met."""
    return dataclasses.replace(r, notes=dataclasses.replace(r.notes, **notes))


def _z3_notes(answer: SmtAnswer) -> dict:
    """What JSON's ``extra`` says of z3's run."""
    return {
        "smt_seconds": round(answer.seconds, 4),
        "smt_replayed": answer.replayed,
        "smt_unconfirmed": answer.unconfirmed,
    }


def _with_z3(
    program: Program, config: ExploreConfig, model: Model, explicit: TestResult, solver_timeout: float
) -> TestResult:
    """Ask z3 too: check the two answers against each other, and let z3's
    exact answer complete the explorer's where it is not exact."""
    try:
        answer = solve(
            program,
            model,
            config.unroll,
            int(solver_timeout * 1000),
            count_limit=count_limit(explicit),
            budget=config.budget,
        )
    except WitnessMismatch as exc:
        raise EngineDisagreement(f"{program.name}: a z3 execution replayed on the machine: {exc}") from exc
    if not answer.answered:
        return _noted(explicit, smt=answer.reason)
    s = from_smt(answer)
    explicit = dataclasses.replace(_noted(explicit, **_z3_notes(answer)), engines=["explicit", "smt"])
    name = program.name
    if explicit.exact and s.exact:
        same = (explicit.states, explicit.positive, explicit.negative) == (s.states, s.positive, s.negative)
        if not same or _findings(explicit) != _findings(s):
            raise EngineDisagreement(
                f"{name}: explicit gives states {explicit.states}, P={explicit.positive} N={explicit.negative}, "
                f"findings {_shown(_findings(explicit))}; smt gives states {s.states}, P={s.positive} "
                f"N={s.negative}, findings {_shown(_findings(s))}"
            )
        return explicit
    if s.exact and (explicit.racy_weak or explicit.bounds):
        # The explicit engine ran some executions (SC ones, or as many as its
        # bounds let it): each is an execution z3 enumerated too.
        fewer = (
            answer.counted
            and not explicit.racy_weak
            and (explicit.positive > s.positive or explicit.negative > s.negative)
        )
        if fewer or not set(explicit.states) <= set(s.states) or not _findings(explicit) <= _findings(s):
            raise EngineDisagreement(
                f"{name}: the explicit engine's states {explicit.states}, P={explicit.positive} "
                f"N={explicit.negative} or findings {_shown(_findings(explicit))} are not among the symbolic "
                f"engine's {s.states}, P={s.positive} N={s.negative} / {_shown(_findings(s))}"
            )
        positive, negative = s.positive, s.negative
        if not answer.counted:  # two lower bounds: the better one
            positive, negative = max(positive, explicit.positive), max(negative, explicit.negative)
        merged = dataclasses.replace(
            explicit,
            states=s.states,
            positive=positive,
            negative=negative,
            possible=s.possible,
            executions=max(s.executions, explicit.executions) if not answer.counted else s.executions,
            racy_weak=False,
            bounds=[],
            incomplete=0,
            findings=explicit.findings + (s.findings - explicit.findings),
            positive_witness=explicit.positive_witness or s.positive_witness,
            negative_witness=explicit.negative_witness or s.negative_witness,
            # z3's own count replaces the explorer's stop-early
            notes=dataclasses.replace(
                explicit.notes,
                weak=explicit.racy_weak,
                explicit_bounds=tuple(explicit.bounds),  # what z3 completed
                counted=answer.counted,
            ),
        )
        unrun = "z3's weak executions are not run" if explicit.racy_weak else ""
        if explicit.bounds:
            unrun = "it stopped at " + ", ".join(explicit.bounds)
        return dataclasses.replace(merged, expectations=expectations(merged, unrun, COMPARED))
    return explicit
