"""Compare what the real Go runtime showed with what the model allows.

- An observed final state the model forbids is MODEL UNSOUND, when the model's
  answer is exact (no bound hit; for a racy program, only under a model that
  declares itself SC). Otherwise it is UNDECIDED.
- A panic text (or fatal error) the model never finds is MODEL UNSOUND too.
- A race the detector reports: confirmed when the model has a race on those
  lines; RACE-DETECTOR DISAGREES when the model proves the program race-free;
  model races the detector never reported are "not observed" (they may need a
  rarer schedule), not errors.
- States the model allows that never showed up are listed, as litmus7's
  "never seen".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hbcheck.names import RACES
from hbcheck.realgo.runner import Observed
from hbcheck.report.herd import format_state
from hbcheck.verdict.outcome import TestResult

OK, UNSOUND, UNDECIDED = "ok", "MODEL UNSOUND", "UNDECIDED"


@dataclass
class Audit:
    test: str
    file: str
    observed: Observed
    verdict: str = OK
    unsound: list[str] = field(default_factory=list)
    undecided: list[str] = field(default_factory=list)
    never_seen: list[str] = field(default_factory=list)
    races_confirmed: list[str] = field(default_factory=list)
    races_not_observed: list[str] = field(default_factory=list)
    detector_disagrees: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def audit(result: TestResult, obs: Observed) -> Audit:
    a = Audit(result.name, result.program.test.file, obs)
    model_states = {format_state(result, s) for s in result.states}
    states_exact = not result.bounds and (not result.racy_weak)
    for state, n in sorted(obs.states.items()):
        if state not in model_states:
            what = f"state {state} seen {n} time(s), which the model does not allow"
            (a.unsound if states_exact else a.undecided).append(what)
    a.never_seen = sorted(model_states - set(obs.states))
    panic_texts = {f.text for f in result.findings if f.kind == "panic"}
    for text, n in sorted(obs.panics.items()):
        if text not in panic_texts:
            a.unsound.append(f'panic "{text}" seen {n} time(s); the model finds no such panic')
    if obs.fatal is not None and obs.fatal not in panic_texts and f"sync: {obs.fatal}" not in panic_texts:
        a.unsound.append(f'fatal error "{obs.fatal}"; the model finds no such panic')
    assert_lines = {f.line for f in result.findings if f.kind == "assert"}
    for line, n in sorted(obs.asserts.items()):
        if line not in assert_lines:
            a.unsound.append(f"assertion at line {line} failed {n} time(s); the model finds no such failure")
    if obs.deadlocks and not any(f.kind == "deadlock" for f in result.findings):
        a.warnings.append(
            f"{obs.deadlocks} iteration(s) timed out, and the model finds no deadlock (a slow machine? raise --timeout)"
        )
    leaked = {f.g for f in result.findings if f.kind == "leak"}
    for g, n in sorted(obs.leaks.items()):
        if g not in leaked:
            a.warnings.append(
                f"{g} still running {n} time(s) after main returned; the model finds no such leak (raise --grace?)"
            )
    model_races = {}
    for f in result.findings:
        if f.kind in RACES and f.pair:
            model_races.setdefault(tuple(sorted((f.pair[0][1], f.pair[1][1]))), f.describe())
    reported = set()
    for r in obs.races:
        lines = tuple(sorted(r.lines))
        reported.add(lines)
        if lines in model_races:
            a.races_confirmed.append(model_races[lines])
        elif not result.bounds:
            a.detector_disagrees.append(
                f"the race detector reports lines {lines[0]} ({r.accesses[0][1]}) and {lines[1]} "
                f"({r.accesses[1][1]}); the model orders them by happens-before in every execution"
            )
        else:
            a.undecided.append(f"race on lines {lines[0]} and {lines[1]} reported; the model hit a bound")
    a.races_confirmed = sorted(set(a.races_confirmed))
    a.detector_disagrees = sorted(set(a.detector_disagrees))
    a.races_not_observed = sorted(d for lines, d in model_races.items() if lines not in reported)
    if obs.harness_races:
        a.warnings.append(f"{obs.harness_races} race report(s) outside the test's code (a harness bug)")
    if obs.recovery_races:
        a.warnings.append(
            f"{obs.recovery_races} race report(s) in the harness's recovery of a panic, not the test's "
            "(a WaitGroup misuse panic leaves the race detector blind to the goroutine's synchronisation)"
        )
    a.verdict = UNSOUND if a.unsound else UNDECIDED if a.undecided else OK
    return a
