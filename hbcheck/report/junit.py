"""JUnit XML: one testcase per .lit file, one failure per unmet expectation.

The layout Jenkins and GitLab read: ``testsuites/testsuite/testcase`` with
``failure`` (message + text), ``error`` for a file that could not be read or
parsed, and ``skipped`` for an Unknown that the run tolerates.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hbcheck.explore.execution import Finding
from hbcheck.report.summary import BadInput, engine_names, verdict_of
from hbcheck.verdict.outcome import FAIL, UNKNOWN, TestResult


def junit_xml(results: list[TestResult | BadInput], allow_unknown: bool, suite: str = "hbcheck") -> str:
    cases = []
    failures = errors = skipped = 0
    total_time = 0.0
    for r in results:
        if isinstance(r, BadInput):
            case = ET.Element("testcase", classname=r.file, name=r.file, time="0")
            err = ET.SubElement(case, "error", message=r.message, type="bad-input")
            where = f"{r.file}:{r.line}:{r.col}: " if r.line else f"{r.file}: "
            err.text = where + r.message
            errors += 1
            cases.append(case)
            continue
        total_time += r.seconds
        case = ET.Element("testcase", classname=r.program.test.file, name=r.name, time=f"{r.seconds:.3f}")
        for e in r.expectations:
            if e.status == FAIL or (e.status == UNKNOWN and not allow_unknown):
                what = "failure" if e.status == FAIL else "unknown"
                fail = ET.SubElement(case, "failure", message=f"{e.text}: {e.reason}", type=what)
                lines = [f"{r.program.test.file}:{e.expect.loc.line}: {e.text}: {e.reason}"]
                found = sorted(r.findings, key=Finding.describe)
                lines += [f"  {f.describe()} (in {r.count_text(f)} execution(s))" for f in found]
                fail.text = "\n".join(lines)
        if not case.findall("failure") and verdict_of(r, allow_unknown).startswith("UNKNOWN"):
            ET.SubElement(case, "skipped", message="Unknown, tolerated: " + "; ".join(r.limits))
            skipped += 1
        failures += 1 if case.findall("failure") else 0
        out = ET.SubElement(case, "system-out")
        obs = f"Observation {r.name} {r.observation} {r.positive} {r.negative}\n" if r.program.condition else ""
        out.text = obs + f"Engines {r.name} {engine_names(r)}"
        cases.append(case)
    root = ET.Element(
        "testsuites",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        time=f"{total_time:.3f}",
    )
    ts = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        time=f"{total_time:.3f}",
    )
    ts.extend(cases)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
