"""What every command shares: reading files, loading models, printing errors."""

from __future__ import annotations

import dataclasses
import sys
import time
import traceback
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from hbcheck.errors import HbError
from hbcheck.explore import ExploreConfig
from hbcheck.language import Program, load
from hbcheck.models import Model, load_model
from hbcheck.report.summary import BadInput
from hbcheck.verdict import TestResult
from hbcheck.verdict.engines import EngineDisagreement, check_program

# Options every exploring command takes (typer reads them from the signatures).
Unroll = Annotated[int, typer.Option(min=0, help="Iterations of each general loop before an execution is cut.")]
MaxSteps = Annotated[int, typer.Option(min=1, help="Visible steps one execution may take before it is cut.")]
MaxExecutions = Annotated[int, typer.Option(min=1, help="Executions to explore per test before stopping.")]
TimeBudget = Annotated[
    float | None,
    typer.Option(min=0.0, help="Seconds per test: exploring, judging and z3 together; past it, Unknown."),
]
MemoryLimit = Annotated[
    int | None,
    typer.Option(min=1, metavar="MIB", help="Resident memory (MiB) of the process checking a test; past it, Unknown."),
]
ModelName = Annotated[
    str, typer.Option("--model", "-m", help="Memory model: a name in models/ (go, sc, go-nocap) or a .cat path.")
]


# Neither console reads markup or emoji codes into what it prints: a source
# line "root:x:0" stays that, not "root❌0" (the texts come from the user's files).
def stderr() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)


def stdout() -> Console:
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 160, emoji=False)


def fail(exc: HbError, code: int = 2) -> typer.Exit:
    stderr().print(exc.render(), markup=False)
    return typer.Exit(code)


def collect(paths: list[Path]) -> list[Path | BadInput]:
    """Files to check, in order; a folder contributes its .lit files, recursively and sorted."""
    out: list[Path | BadInput] = []
    for p in paths:
        if p.is_dir():
            found = sorted(p.rglob("*.lit"))
            out.extend(found or [BadInput(str(p), "no .lit files in this folder")])
        elif p.exists():
            out.append(p)
        else:
            out.append(BadInput(str(p), "no such file"))
    return out


@cache
def model_named(name: str) -> Model:
    return load_model(name)


def check_file(
    path: Path,
    config: ExploreConfig,
    model: Model | None = None,
    engine: str = "explicit",
    solver_timeout: float = 60.0,
    stop_early: bool = False,
) -> TestResult:
    """Parse, check and judge one file (raises HbError on bad input)."""
    program = load(path)
    start = time.perf_counter()
    result = check_program(program, config, model or model_named("go"), engine, solver_timeout, stop_early)
    return dataclasses.replace(result, seconds=time.perf_counter() - start)


@dataclass(frozen=True, slots=True)
class InternalError:
    """An unexpected exception while checking one test: a defect of hbcheck,
    reported as that test's error while the other tests run on (a plain value,
    so a worker process can send it back whatever the exception was)."""

    file: str
    message: str

    @staticmethod
    def of(path: Path, exc: BaseException) -> InternalError:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "hbcheck" in f.filename]
        where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
        return InternalError(str(path), f"{type(exc).__name__}: {exc}"[:500] + where)


def check_or_bad(
    path: Path,
    config: ExploreConfig,
    model_name: str,
    engine: str = "auto",
    solver_timeout: float = 60.0,
    stop_early: bool = False,
) -> TestResult | HbError | EngineDisagreement | InternalError:
    """For worker processes: the result, the bad input, the engines'
    disagreement, or the internal error that stopped this test."""
    try:
        return check_file(path, config, model_named(model_name), engine, solver_timeout, stop_early)
    except (HbError, EngineDisagreement) as exc:
        return exc
    except Exception as exc:  # a defect: this test's error, not the run's end
        return InternalError.of(path, exc)


def load_all(files: list[Path]) -> tuple[list[tuple[Path, Program]], bool]:
    """Every readable, well-formed test among ``files``; errors go to stderr (the bool: were there any)."""
    out: list[tuple[Path, Program]] = []
    bad = False
    for path in collect(files):
        if isinstance(path, BadInput):
            stderr().print(f"{path.file}: error: {path.message}", markup=False)
            bad = True
            continue
        try:
            out.append((path, load(path)))
        except HbError as exc:
            stderr().print(exc.render(), markup=False)
            bad = True
    return out, bad


def bad_input(path: Path, exc: HbError) -> BadInput:
    loc = exc.loc
    return BadInput(str(path), exc.message, loc.line if loc else None, loc.col if loc else None)
