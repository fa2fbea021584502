"""herd7's per-test block (herd/top_herd.ml's layout), so herd-log tools read it."""

from __future__ import annotations

from hbcheck.explore.explorer import STOP_EARLY
from hbcheck.language.locations import show_location
from hbcheck.names import FLAG_OF
from hbcheck.report.summary import engine_names
from hbcheck.verdict.outcome import TestResult

_KIND = {"exists": "Allowed", "~exists": "Forbidden", "forall": "Required"}


def format_state(result: TestResult, state: tuple[int, ...]) -> str:
    return " ".join(f"{show_location(loc)}={v};" for loc, v in zip(result.locations, state, strict=True))


def herd_block(result: TestResult, times: bool = True, engines: bool = False) -> str:
    """The block, lines ending in newlines, followed by a blank line.

    After herd's lines, lines of its ``KEY TEST ...`` shape (as herd7's own
    ``Candidates`` line), which herd's log readers skip: ``Engines`` names the
    engines that answered (``engines``: hbcheck run prints it), ``Counts``
    says the counts are lower bounds and why."""
    name = result.name
    cond = result.program.condition
    lines = [f"Test {name}" + (f" {_KIND[cond.kind]}" if cond else "")]
    lines.append(f"States {len(result.states)}")
    lines.extend(format_state(result, s) for s in result.states)
    p, n = result.positive, result.negative
    if cond is not None:
        ok = {"exists": p > 0, "~exists": p == 0, "forall": n == 0}[cond.kind]
        lines.append(("Loop " if result.bounds else "") + ("Ok" if ok else "No"))
        lines.append("Witnesses")
        wp, wn = (n, p) if cond.kind == "~exists" else (p, n)
        lines.append(f"Positive: {wp} Negative: {wn}")
    lines.extend(f"Flag {FLAG_OF.get(flag, flag)}" for flag in result.flags)
    if cond is not None:
        lines.append(f"Condition {cond.text}")
        lines.append(f"Observation {name} {result.observation} {p} {n}")
    if times:
        lines.append(f"Time {name} {result.seconds:0.2f}")
    if engines:
        lines.append(f"Engines {name} {engine_names(result)}")
    if not result.notes.counted:
        why = "the search stopped early" if STOP_EARLY in result.bounds else "z3 stopped counting past a bound"
        lines.append(f"Counts {name} lower bounds: {why}")
    return "\n".join(lines) + "\n\n"
