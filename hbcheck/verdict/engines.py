"""Run the explicit engine, the symbolic one, or both, and make them agree.

On a race-free program both must give the same states, counts and findings;
on a racy one the symbolic outcome set must contain the explicit one (SC
interleavings are executions of every model). A disagreement is a checker
bug, reported loudly. Where the symbolic engine answers exactly, its answer
replaces the explicit engine's Unknown: for racy programs, and where the
explicit engine stopped at a bound (its executions must then be among z3's).
"""

from __future__ import annotations

import dataclasses

from hbcheck.explore import ExploreConfig, explore
from hbcheck.explore.execution import Finding
from hbcheck.language.check import Program
from hbcheck.models import Model
from hbcheck.smt.engine import ENUMERATION_LIMIT, solve
from hbcheck.smt.schedule import WitnessMismatch
from hbcheck.verdict.outcome import TestResult, expectations, judge

COMPARED_KINDS = ("panic", "assert", "race", "send-close-race", "deadlock")
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
    return {f for f in r.findings if f.kind in COMPARED_KINDS}


def _shown(fs: set[Finding]) -> list[str]:
    return sorted(f.describe() for f in fs)


def check_program(
    program: Program, config: ExploreConfig, model: Model, engine: str = "both", solver_timeout: float = 60.0
) -> TestResult:
    explicit = judge(program, explore(program, config), model)
    if engine == "explicit":
        return explicit
    try:
        answer = solve(program, model, config.unroll, int(solver_timeout * 1000), count_limit=count_limit(explicit))
    except WitnessMismatch as exc:
        raise EngineDisagreement(f"{program.name}: a z3 execution replayed on the machine: {exc}") from exc
    if answer.result is None:
        explicit.extra["smt"] = answer.reason
        return explicit
    s = answer.result
    explicit.extra["smt_seconds"] = round(answer.seconds, 4)
    explicit.extra["smt_replayed"] = answer.replayed
    if answer.unconfirmed:
        explicit.extra["smt_unconfirmed"] = answer.unconfirmed
    explicit.engines = ["explicit", "smt"]
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
        )
        merged.extra = dict(explicit.extra)
        if explicit.racy_weak:
            merged.extra["weak"] = True
        if explicit.bounds:
            merged.extra["explicit_bounds"] = list(explicit.bounds)  # what z3 completed
        if not answer.counted:
            merged.extra["counted"] = False
        unrun = "z3's weak executions are not run" if explicit.racy_weak else ""
        if explicit.bounds:
            unrun = "it stopped at " + ", ".join(explicit.bounds)
        merged.expectations = expectations(merged, unrun, COMPARED_KINDS)
        return merged
    return explicit
