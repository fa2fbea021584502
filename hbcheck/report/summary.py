"""The rich summary table printed after every test's block."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hbcheck.explore.execution import Finding
from hbcheck.verdict.outcome import FAIL, PASS, UNKNOWN, TestResult

_MARK = {PASS: ("✓", "green"), FAIL: ("✗", "red"), UNKNOWN: ("?", "yellow")}


@dataclass(frozen=True, slots=True)
class BadInput:
    """A file that could not be checked, and the one-line reason."""

    file: str
    message: str
    line: int | None = None
    col: int | None = None
    internal: bool = False  # hbcheck's own fault (exit 3), not the file's


def verdict_of(result: TestResult, allow_unknown: bool) -> str:
    if not result.expectations:
        return "—"
    status = result.status
    if status == UNKNOWN:
        return "UNKNOWN (tolerated)" if allow_unknown else "UNKNOWN"
    return "PASS" if status == PASS else "FAIL"


def engine_names(result: TestResult) -> str:
    """The engines that answered, as the reports name them (z3 for smt)."""
    return "+".join({"smt": "z3"}.get(e, e) for e in result.engines) or "none"


def engines_cell(result: TestResult) -> Text:
    """The engines that answered, and why z3 did not where it was asked."""
    cell = Text(engine_names(result))
    if result.notes.smt and "smt" not in result.engines:
        cell.append(f"\nz3: {result.notes.smt}", style="dim")
    return cell


def summary_table(results: list[TestResult | BadInput], allow_unknown: bool) -> Table:
    table = Table(title="hbcheck", title_justify="left", show_lines=False)
    for col in ("Test", "Observation", "Findings", "Expectations", "Result", "Engines", "Time"):
        table.add_column(col, overflow="fold")
    for r in results:
        if isinstance(r, BadInput):
            table.add_row(Text(r.file), "", "", Text(r.message), Text("ERROR", style="bold red"), "", "")
            continue
        obs = r.observation if r.program.condition else "—"
        if not r.exact:
            obs += f" ({', '.join(r.limits)})"
        if r.program.condition and not r.notes.counted:
            obs += f"\nP≥{r.positive} N≥{r.negative}"  # lower bounds
        findings = Text()
        for f in sorted(r.findings, key=Finding.describe):
            findings.append(f"{f.describe()} ×{r.count_text(f)}\n")
        expects = Text()
        for e in r.expectations:
            mark, style = _MARK[e.status]
            expects.append(f"{mark} ", style=style)
            expects.append(f"{e.text}")
            if e.status != PASS:
                expects.append(f": {e.reason}", style="dim")
            expects.append("\n")
        findings.rstrip()
        expects.rstrip()
        verdict = verdict_of(r, allow_unknown)
        style = {"PASS": "green", "FAIL": "bold red", "UNKNOWN": "yellow"}.get(verdict, "")
        table.add_row(
            Text(r.name),
            Text(obs),
            findings or Text("—"),
            expects or Text("—"),
            Text(verdict, style=style),
            engines_cell(r),
            f"{r.seconds:.2f}s",
        )
    return table


def totals(results: list[TestResult | BadInput], allow_unknown: bool) -> str:
    counts = {"PASS": 0, "FAIL": 0, "UNKNOWN": 0, "ERROR": 0, "INTERNAL": 0, "—": 0}
    for r in results:
        if isinstance(r, BadInput):
            counts["INTERNAL" if r.internal else "ERROR"] += 1
        else:
            counts[verdict_of(r, allow_unknown).split(" ")[0]] += 1
    plural = "" if len(results) == 1 else "s"
    parts = [f"{len(results)} test{plural}", f"{counts['PASS']} passed", f"{counts['FAIL']} failed"]
    if counts["UNKNOWN"]:
        parts.append(f"{counts['UNKNOWN']} unknown" + (" (tolerated)" if allow_unknown else ""))
    if counts["ERROR"]:
        parts.append(f"{counts['ERROR']} bad input")
    if counts["INTERNAL"]:
        parts.append(f"{counts['INTERNAL']} internal error" + ("" if counts["INTERNAL"] == 1 else "s"))
    if counts["—"]:
        parts.append(f"{counts['—']} without expectations")
    checked = [r for r in results if isinstance(r, TestResult)]
    asked = sum(1 for r in checked if "smt" in r.engines)
    if checked and asked < len(checked):  # say when z3 answered only some
        parts.append(f"z3 answered {asked} of {len(checked)}")
    return "Total: " + ", ".join(parts)


def print_summary(console: Console, results: list[TestResult | BadInput], allow_unknown: bool) -> None:
    console.print(summary_table(results, allow_unknown))
    console.print(totals(results, allow_unknown), markup=False, highlight=False)
