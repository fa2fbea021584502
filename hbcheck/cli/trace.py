"""``hbcheck trace``, ``replay`` and ``graph``: read a witness, step by step or as a picture."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer

from hbcheck import names
from hbcheck.cli.common import MaxExecutions, MaxSteps, ModelName, Unroll, fail, model_named, stderr, stdout
from hbcheck.cli.run import writable, write_out
from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig, explore
from hbcheck.explore.execution import Execution
from hbcheck.hb import execution_graph
from hbcheck.language import load
from hbcheck.machine import Machine
from hbcheck.machine import events as ev
from hbcheck.models import evaluate
from hbcheck.names import FLAG_OF, RACES, FindingKind
from hbcheck.report.dot import picture_format, render, to_dot
from hbcheck.report.trace import (
    parse_state,
    pick_witness,
    replay,
    trace_json,
    trace_table,
    weak_table,
)
from hbcheck.smt.engine import solve
from hbcheck.smt.schedule import WitnessMismatch
from hbcheck.source import digest_of, read_json
from hbcheck.verdict import TestResult, judge

Race = Annotated[bool, typer.Option("--race", help="Witness of a data race.")]
SendClose = Annotated[bool, typer.Option("--send-close-race", help="Witness of a send/close race.")]
Panic = Annotated[bool, typer.Option("--panic", help="Witness of a panic.")]
Deadlock = Annotated[bool, typer.Option("--deadlock", help="Witness of a global deadlock.")]
Leak = Annotated[bool, typer.Option("--leak", help="Witness of a leaked goroutine.")]
Assert = Annotated[bool, typer.Option("--assert", help="Witness of a failed assertion.")]
StateOpt = Annotated[str | None, typer.Option("--state", help="Witness ending in this state, e.g. 'P1:r1=0; x=1'.")]


def _selected(
    race: bool, send_close: bool, panic: bool, deadlock: bool, leak: bool, assert_: bool, state: str | None
) -> str | None:
    kinds = [
        k
        for k, on in (
            ("race", race),
            ("send-close-race", send_close),
            ("panic", panic),
            ("deadlock", deadlock),
            ("leak", leak),
            ("assert", assert_),
        )
        if on
    ]
    if len(kinds) + (state is not None) > 1:
        raise fail(HbError("ask for one witness at a time"))
    return kinds[0] if kinds else None


def witness(
    file: Path, kind: str | None, state: str | None, model: str, config: ExploreConfig
) -> tuple[TestResult, Execution, str]:
    try:
        program = load(file)
        wanted = parse_state(state, program) if state is not None else None
        model_ = model_named(model)
    except HbError as exc:
        raise fail(exc) from None
    exploration = explore(program, config)
    result = judge(program, exploration, model_)
    executions = exploration.executions
    if result.racy_weak:  # the machine runs only SC executions: ask z3 for the weak ones too
        try:
            answer = solve(program, model_, config.unroll, keep_runs=True)
        except WitnessMismatch as exc:  # a checker bug, said as ``hbcheck run`` says it
            stderr().print(f"internal error: the engines disagree on {program.name}: {exc}", markup=False)
            raise typer.Exit(3) from None
        if not answer.answered:
            stderr().print(f"Warning: z3 cannot look beyond SC here ({answer.reason}).", markup=False)
        else:
            executions = executions + [x for x in answer.runs if not x.schedule]
            result = dataclasses.replace(
                result,
                positive_witness=result.positive_witness or answer.witness,
                negative_witness=result.negative_witness or answer.counter,
            )
    try:
        x, what = pick_witness(result, executions, kind, wanted)
    except HbError as exc:  # nothing to show: a verdict, not bad input
        raise fail(exc, 1) from None
    if not exploration.exact:
        stderr().print(f"Warning: {', '.join(exploration.bounds)} hit: a shorter witness may exist.", markup=False)
    return result, x, what


def trace_cmd(
    file: Annotated[Path, typer.Argument(help="A .lit file.", exists=True, dir_okay=False)],
    race: Race = False,
    send_close_race: SendClose = False,
    panic: Panic = False,
    deadlock: Deadlock = False,
    leak: Leak = False,
    assert_: Assert = False,
    state: StateOpt = None,
    save: Annotated[
        str | None, typer.Option(metavar="FILE.json", help="Save the witness for `hbcheck replay`.")
    ] = None,
    model: ModelName = "go",
    unroll: Unroll = 8,
    max_steps: MaxSteps = 10_000,
    max_executions: MaxExecutions = 100_000,
) -> None:
    """Show the shortest schedule of a witness, goroutine by goroutine, with the channels after each step."""
    kind = _selected(race, send_close_race, panic, deadlock, leak, assert_, state)
    config = ExploreConfig(unroll=unroll, max_steps=max_steps, max_executions=max_executions)
    result, x, what = witness(file, kind, state, model, config)
    if not x.schedule:
        title = f"{result.name}: {what} (a weak execution: {result.model} allows it, no interleaving produces it)"
        stdout().print(weak_table(x, title))
        if save:
            raise fail(HbError("a weak execution has no schedule to save for `hbcheck replay`"), 1)
        return
    machine = Machine(result.program)
    _st, steps = replay(machine, list(x.schedule))
    stdout().print(trace_table(steps, f"{result.name}: {what} ({len(x.schedule)} steps)"))
    if save:
        write_out(save, json.dumps(trace_json(result.program, result.model, what, x), indent=2) + "\n")


def replay_cmd(
    file: Annotated[Path, typer.Argument(help="The .lit file the trace was taken from.", exists=True, dir_okay=False)],
    trace: Annotated[
        Path, typer.Argument(help="A trace saved by `hbcheck trace --save`.", exists=True, dir_okay=False)
    ],
) -> None:
    """Re-run a saved witness on the reference machine; exit 1 if it no longer reaches the same events and state."""
    try:
        doc = read_json(trace, "an hbcheck trace", "trace.schema.json")
        program = load(file)
    except HbError as exc:
        raise fail(exc) from None
    if doc["test"] != program.name:
        raise fail(HbError(f"{trace} was saved from the test {doc['test']!r}, not from {file}'s {program.name!r}"))
    schedule = [(g, alt) for g, alt in doc["schedule"]]
    recorded, recorded_final = doc["events"], doc["final"]
    if doc["sha256"] != digest_of(program.test.source):
        stderr().print(f"note: {file} has changed since {trace} was saved; replaying it on the new text", markup=False)
    out = stdout()
    try:
        st, _steps = replay(Machine(program), schedule)
    except HbError as exc:
        out.print(f"REPLAY FAILED: {exc.message}", markup=False)
        raise typer.Exit(1) from None
    got = [[e.g, e.label(), e.line] for e in st.events]
    for i, (a, b) in enumerate(zip(recorded, got, strict=False)):
        if a != b:
            out.print(
                f"REPLAY FAILED: event {i} was {a[1]!r} ({a[0]}, line {a[2]}), now {b[1]!r} ({b[0]}, line {b[2]})",
                markup=False,
            )
            raise typer.Exit(1)
    if len(got) != len(recorded):
        out.print(f"REPLAY FAILED: {len(recorded)} events were recorded, the replay has {len(got)}", markup=False)
        raise typer.Exit(1)
    final = {"registers": {n: g.user_regs(st.vars) for n, g in st.gs.items()}, "variables": dict(st.vars)}
    if final != recorded_final:
        out.print("REPLAY FAILED: the final state differs", markup=False)
        raise typer.Exit(1)
    out.print(
        f"replayed {len(schedule)} steps of {doc.get('test', file.name)} ({doc.get('witness', 'witness')}): "
        f"same {len(got)} events, same final state",
        markup=False,
    )


def graph_cmd(
    file: Annotated[Path, typer.Argument(help="A .lit file.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="OUT.svg, OUT.png, OUT.pdf or OUT.dot.")],
    race: Race = False,
    send_close_race: SendClose = False,
    panic: Panic = False,
    deadlock: Deadlock = False,
    leak: Leak = False,
    assert_: Assert = False,
    state: StateOpt = None,
    model: ModelName = "go",
    unroll: Unroll = 8,
    max_steps: MaxSteps = 10_000,
    max_executions: MaxExecutions = 100_000,
) -> None:
    """Draw the happens-before graph of a witness, highlighting what it shows."""
    try:
        picture_format(output)
    except HbError as exc:
        raise fail(exc) from None
    writable(str(output))  # before the search, not after it
    kind = _selected(race, send_close_race, panic, deadlock, leak, assert_, state)
    config = ExploreConfig(unroll=unroll, max_steps=max_steps, max_executions=max_executions)
    result, x, what = witness(file, kind, state, model, config)
    caps = result.program.caps
    highlight, pair = _highlight(result, x, kind, caps)
    dot = to_dot(execution_graph(x, caps), f"{result.name}: {what}", highlight, pair)
    try:
        render(dot, output)
    except HbError as exc:
        raise fail(exc) from None
    stdout().print(f"wrote {output}", markup=False)


def _highlight(
    result: TestResult, x: Execution, kind: str | None, caps: dict[str, int]
) -> tuple[list[int], str | None]:
    if kind in RACES:
        flag = FLAG_OF[FindingKind(kind)]
        pairs = sorted(evaluate(model_named(result.model_path), x, caps).flags.get(flag, ()))
        if pairs:
            a, b = pairs[0]
            return [a, b], "race" if kind == "race" else "send/close race"
    if kind == "panic":
        p = next(e for e in x.events if e.kind == ev.PANIC)
        closes = [e.id for e in x.events if e.kind == ev.CLOSE and e.phase == ev.BEGIN]
        return ([*closes[-1:], p.id] if p.text == names.CLOSE_OF_CLOSED else [p.id]), None
    if kind == "assert":
        return [e.id for e in x.events if e.kind == ev.ASSERT], None
    if kind in ("deadlock", "leak"):
        stuck = {g for f in x.findings for g in ([b[0] for b in f.blocked] or [f.g])}
        last: dict[str, int] = {}
        for e in x.events:
            last[e.g] = e.id
        return [last[g] for g in sorted(stuck) if g in last], None
    return [], None
