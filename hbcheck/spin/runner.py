"""Run SPIN on a Promela model: spin -a, gcc, ./pan; read what it found."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from hbcheck.errors import HbError


@dataclass(frozen=True, slots=True)
class SpinResult:
    error: str | None  # "assertion violated ...", "invalid end state", or None
    states: int
    transitions: int
    seconds: float  # spin -a, gcc and pan together


def spin_check(model: str, workdir: Path, max_depth: int = 1_000_000) -> SpinResult:
    for tool in ("spin", "gcc"):
        if shutil.which(tool) is None:
            raise HbError(f"'{tool}' is not installed (Debian: apt-get install {'spin' if tool == 'spin' else 'gcc'})")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "model.pml").write_text(model)
    start = time.perf_counter()
    steps = [
        ["spin", "-a", "model.pml"],
        ["gcc", "-O2", "-DSAFETY", "-DNOFAIR", "-o", "pan", "pan.c"],
        ["./pan", f"-m{max_depth}"],
    ]
    out = ""
    for cmd in steps:
        done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False)
        out = done.stdout + done.stderr
        if cmd[0] != "./pan" and (done.returncode != 0 or "rror" in done.stdout):
            raise HbError(f"{' '.join(cmd)} failed: {out.strip()[:500]}")
    seconds = time.perf_counter() - start
    err = re.search(r"pan:1: (.+?)(?: \(at depth \d+\))?$", out, re.MULTILINE)
    states = re.search(r"(\d+) states, stored", out)
    trans = re.search(r"(\d+) transitions", out)
    return SpinResult(
        err.group(1).strip() if err else None,
        int(states.group(1)) if states else 0,
        int(trans.group(1)) if trans else 0,
        seconds,
    )
