"""Counterexample traces: pick a witness, replay its schedule step by step.

A witness is an execution; its schedule replays on the reference machine,
which is deterministic, so every step can show what each goroutine did and
what the channels look like afterwards (ring slots, indices, queues).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from rich.table import Table
from rich.text import Text

from hbcheck.errors import HbError
from hbcheck.explore.execution import Execution
from hbcheck.language.check import Program
from hbcheck.language.locations import Location, show_location
from hbcheck.language.parser import INT_MIN_MAGNITUDE, show_digits
from hbcheck.machine import Choice, Event, Machine, State
from hbcheck.machine import events as ev
from hbcheck.names import EXPECTABLE
from hbcheck.source import digest_of
from hbcheck.verdict.condition import value_of
from hbcheck.verdict.outcome import TestResult

WITNESS_KINDS: tuple[str, ...] = EXPECTABLE
TRACE_SCHEMA = "hbcheck-trace"
TRACE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Step:
    choice: Choice
    events: tuple[Event, ...]
    chans: dict[str, dict]


def parse_state(text: str, program: Program) -> dict[Location, int]:
    """``'P1:r1=0; x=1'`` as herd prints a state."""
    out: dict[Location, int] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        m = re.fullmatch(
            r"([A-Za-z_][A-Za-z0-9_]*(?:#[0-9]+|\[[0-9]+\])?)(?::([A-Za-z_][A-Za-z0-9_]*))?\s*=\s*(-?[0-9]+)", part
        )
        if not m:
            raise HbError(f"cannot read '{part}' as LOCATION=VALUE (for instance P1:r1=0 or x=1)")
        name, reg, digits = m.group(1), m.group(2), m.group(3)
        if len(digits.lstrip("-0")) > 19 or not -INT_MIN_MAGNITUDE <= int(digits) < INT_MIN_MAGNITUDE:
            where = name if reg is None else f"{name}:{reg}"
            raise HbError(f"{where}={show_digits(digits)}: past int (int64), no state holds it")
        value = int(digits)
        if reg is None and not program.is_int(name) and not program.is_element(name):
            raise HbError(f"'{name}' is not a shared integer variable or an array's element")
        if reg is not None and program.base_of(name) is None:
            raise HbError(f"no goroutine named '{name}'")
        out[(name, reg)] = value
    if not out:
        raise HbError("--state needs at least one LOCATION=VALUE")
    return out


def pick_witness(
    result: TestResult, executions: list[Execution], kind: str | None, state: dict[Location, int] | None
) -> tuple[Execution, str]:
    """The shortest execution showing what was asked, and a line saying what it shows."""
    if state is not None:
        want = "; ".join(f"{show_location(k)}={v}" for k, v in state.items())
        found = [x for x in executions if x.end == "ok" and all(value_of(x.final, k) == v for k, v in state.items())]
        if not found:
            raise HbError(_none(result, f"ends in the state {want}"))
        return min(found, key=_shortest), f"final state {want}"
    if kind is not None:
        chosen = [(f, x) for f, x in result.witnesses.items() if f.kind == kind]
        if not chosen:
            raise HbError(_none(result, f"has a {kind}"))
        finding, x = min(chosen, key=lambda fx: (_shortest(fx[1]), fx[0].describe()))
        return x, finding.describe()
    cond = result.program.condition
    if cond is None:
        raise HbError("the test has no condition: ask for a finding (--race, --panic, ...) or a --state")
    if cond.kind == "exists":
        x, what = result.positive_witness, f"a witness of {cond.text}"
    elif cond.kind == "~exists":
        x, what = result.positive_witness, f"a counterexample to {cond.text}"
    else:
        x, what = result.negative_witness, f"a counterexample to {cond.text}"
    if x is None:
        raise HbError(_none(result, f"gives {what}") + f" (observation {result.observation})")
    return x, what


def _none(result: TestResult, what: str) -> str:
    """ "No execution ...", unless the exploration stopped at a bound: then it
    is only none of those the explorer ran (witnesses come from its runs)."""
    if not result.bounds:
        return f"no execution {what}"
    return f"no execution the explorer ran {what}; it stopped at {', '.join(result.bounds)}"


def _shortest(x: Execution) -> tuple[bool, int]:
    """Shortest schedule first; a weak execution (no schedule) last."""
    return (not x.schedule, len(x.schedule))


def replay(machine: Machine, schedule: list[tuple[str, int | None]]) -> tuple[State, list[Step]]:
    """Run a schedule on the machine, checking each choice is enabled."""
    st = machine.initial()
    steps = [Step(Choice("init", None), tuple(st.events), {n: c.snapshot() for n, c in st.chans.items()})]
    for i, (g, alt) in enumerate(schedule, 1):
        choice = Choice(g, alt)
        if choice not in machine.enabled(st):
            raise HbError(f"step {i}: {g}{'' if alt is None else f' (alternative {alt})'} cannot run here")
        before = len(st.events)
        st = machine.step(st, choice)
        steps.append(Step(choice, tuple(st.events[before:]), {n: c.snapshot() for n, c in st.chans.items()}))
    return st, steps


def _chan_text(name: str, snap: dict) -> str:
    buf = ",".join("_" if v is None else str(v) for v in snap["buf"])
    text = f"{name}: [{buf}] sendx={snap['sendx']} recvx={snap['recvx']} qcount={snap['qcount']}"
    if snap["recvq"]:
        text += f" recvq={snap['recvq']}"
    if snap["sendq"]:
        text += " sendq=[" + ", ".join(f"{g}:{v}" for g, v in snap["sendq"]) + "]"
    if snap["closed"]:
        text += " closed"
    return text


def trace_table(steps: list[Step], title: str) -> Table:
    goroutines: list[str] = []
    for s in steps:
        for e in s.events:
            if e.g not in goroutines and e.g != "init":
                goroutines.append(e.g)
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("#", justify="right")
    for g in goroutines:
        table.add_column(g, overflow="fold")
    table.add_column("channels after the step", overflow="fold")
    prev: dict[str, dict] = {}
    for i, s in enumerate(steps):
        cells = []
        for g in goroutines:
            lines = [f"{e.label()}  (line {e.line})" if e.line else e.label() for e in s.events if e.g == g]
            text = Text("\n".join(lines))
            if s.choice.g == g:
                text.stylize("bold")
            cells.append(text)
        changed = [_chan_text(n, snap) for n, snap in s.chans.items() if prev.get(n) != snap or i == 0]
        prev = s.chans
        table.add_row(str(i) if i else "init", *cells, Text("\n".join(changed)))
    return table


def weak_table(x: Execution, title: str) -> Table:
    """A weak execution, which no schedule produces: each goroutine's events
    in program order, each read with the write it reads from."""
    goroutines = list(dict.fromkeys(e.g for e in x.events if e.g != "init"))
    table = Table(title=title, title_justify="left", show_lines=True)
    for g in goroutines:
        table.add_column(g, overflow="fold")
    by_id = {e.id: e for e in x.events}
    columns: dict[str, list[str]] = {g: [] for g in goroutines}
    for e in x.events:
        if e.g == "init" or e.kind in (ev.START, ev.EXIT):
            continue
        text = f"{e.label()}  (line {e.line})"
        if e.kind in (ev.READ, ev.ATOMIC) and e.src is not None:
            w = by_id[e.src]
            text += "\n  reads the initial value" if w.g == "init" else f"\n  reads {w.g}'s write, line {w.line}"
        columns[e.g].append(text)
    for row in itertools.zip_longest(*columns.values(), fillvalue=""):
        table.add_row(*row)
    return table


def trace_json(program: Program, model: str, what: str, x: Execution) -> dict[str, Any]:
    test = program.test
    return {
        "schema": TRACE_SCHEMA,
        "version": TRACE_VERSION,
        "test": test.name,
        "file": test.file,
        "sha256": digest_of(test.source),
        "model": model,
        "witness": what,
        "schedule": [[g, alt] for g, alt in x.schedule],
        "events": [[e.g, e.label(), e.line] for e in x.events],
        "final": {"registers": x.final.regs, "variables": x.final.vars},
    }
