"""Scaling benchmark: naive search vs the reduced search (dpor) vs SPIN, per family and N.

    python bench/scaling.py [--budget SECONDS] [--max-n N] [--families a,b] [--no-spin]

Prints one table per family: executions run by the naive search (every
interleaving), by the reduced search (``--por dpor``), the equivalence classes, wall time
and peak memory of each (each cell in its own process), the states the
reduced search explored, and SPIN's states
stored, transitions and wall time (spin -a, gcc and ./pan together) on the
`hbcheck promela` model. A cell that exceeds the budget shows `>budget` and
ends that column for the family. The engines' time on the suite: bench/suite.py.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def independent(n: int) -> str:
    decls = "".join(f"var c{i} = make(chan int, 1)\n" for i in range(n))
    gs = "".join(f"go P{i} {{ c{i} <- 1; <-c{i} }}\n" for i in range(n))
    return f"litmus Independent{n}\n{decls}{gs}"


def prodcons(n: int) -> str:
    gs = "".join(f"go P{i} {{ c <- {i} }}\ngo C{i} {{ r = <-c }}\n" for i in range(n))
    return f"litmus ProdCons{n}\nvar c = make(chan int, 2)\n{gs}"


def pipeline(n: int) -> str:
    decls = "".join(f"var c{i} = make(chan int)\n" for i in range(n + 1))
    stages = "".join(f"go S{i} {{ v = <-c{i}; c{i + 1} <- v + 1 }}\n" for i in range(n))
    return f"litmus Pipeline{n}\n{decls}go Src {{ c0 <- 0 }}\n{stages}go Sink {{ r = <-c{n} }}\n"


def fanin(n: int) -> str:
    decls = "".join(f"var c{i} = make(chan int)\n" for i in range(n))
    prods = "".join(f"go P{i} {{ c{i} <- {i} }}\n" for i in range(n))
    cases = "; ".join(f"case v = <-c{i}: s = s + v" for i in range(n))
    return f"litmus FanIn{n}\n{decls}{prods}go C {{ for k := 0; k < {n}; k++ {{ select {{ {cases} }} }} }}\n"


def philosophers(n: int) -> str:
    decls = "".join(f"var f{i} = make(chan int, 1)\n" for i in range(n))
    ps = "".join(f"go P{i} {{ f{i} <- 1; f{(i + 1) % n} <- 1; <-f{i}; <-f{(i + 1) % n} }}\n" for i in range(n))
    return f"litmus Philosophers{n}\n{decls}{ps}"


FAMILIES = {
    "independent": independent,
    "prodcons": prodcons,
    "pipeline": pipeline,
    "fanin": fanin,
    "philosophers": philosophers,
}


def _explore(text: str, por: str, budget: float, out) -> None:
    from hbcheck.explore import ExploreConfig, explore
    from hbcheck.language import check, parse

    start = time.perf_counter()
    x = explore(check(parse(text)), ExploreConfig(por=por, time_budget=budget, max_executions=10**9))
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.send((x.interleavings, len(x.executions), seconds, peak, bool(x.bounds), x.nodes))


def explore_cell(text: str, por: str, budget: float):
    a, b = mp.Pipe()
    proc = mp.Process(target=_explore, args=(text, por, budget, b))
    proc.start()
    proc.join(budget * 2 + 30)
    if proc.is_alive():
        proc.kill()
        return None
    return a.recv() if a.poll() else None


def spin_cell(text: str, budget: float):
    from hbcheck.language import check, parse
    from hbcheck.spin.promela import emit_promela
    from hbcheck.spin.runner import spin_check

    with tempfile.TemporaryDirectory() as d:
        start = time.perf_counter()
        try:
            r = spin_check(emit_promela(check(parse(text)), "bench.lit"), Path(d))
        except Exception as exc:
            return ("error", str(exc)[:40])
        if time.perf_counter() - start > budget:
            return None
        return (r.states, r.transitions, r.seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=float, default=60.0, help="seconds per cell (default 60)")
    ap.add_argument("--max-n", type=int, default=12)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--no-spin", action="store_true")
    args = ap.parse_args()
    console = Console(width=160)
    have_spin = shutil.which("spin") is not None and not args.no_spin
    if not have_spin and not args.no_spin:
        console.print("spin is not installed (Debian: apt-get install spin): SPIN columns left empty")
    for fam in args.families.split(","):
        table = Table(title=f"{fam} (budget {args.budget:g} s per cell)", title_justify="left")
        for col in (
            "N",
            "naive runs",
            "naive s",
            "naive MiB",
            "reduced runs",
            "classes",
            "states",
            "reduced s",
            "reduced MiB",
            "ratio",
            "SPIN states",
            "SPIN transitions",
            "SPIN s",
            "hbcheck/SPIN",
        ):
            table.add_column(col, justify="right")
        alive = {"naive": True, "dpor": True, "spin": have_spin}
        for n in range(2, args.max_n + 1):
            text = FAMILIES[fam](n)
            row = [str(n)]
            cells = {}
            for por in ("none", "dpor"):
                key = "naive" if por == "none" else "dpor"
                cells[key] = explore_cell(text, por, args.budget) if alive[key] else None
                if cells[key] is None or cells[key][4]:
                    alive[key] = False
            nv, tr = cells["naive"], cells["dpor"]
            row += [
                f"{nv[0]}" if nv and not nv[4] else ">budget",
                f"{nv[2]:.2f}" if nv else "",
                f"{nv[3]:.0f}" if nv else "",
            ]
            row += [
                f"{tr[0]}" if tr and not tr[4] else ">budget",
                f"{tr[1]}" if tr else "",
                f"{tr[5]}" if tr else "",
                f"{tr[2]:.2f}" if tr else "",
                f"{tr[3]:.0f}" if tr else "",
            ]
            done = tr is not None and not tr[4]  # a cell that hit the budget has no ratio
            row.append(f"{tr[0] / tr[1]:.2f}" if done and tr[1] else "")
            sp = spin_cell(text, args.budget) if alive["spin"] else None
            if sp is None or sp[0] == "error":
                alive["spin"] = False
                row += ["" if sp is None else sp[1], "", "", ""]
            else:
                row += [str(sp[0]), str(sp[1]), f"{sp[2]:.2f}", f"{tr[2] / sp[2]:.3f}" if done else ""]
            table.add_row(*row)
            if not any(alive.values()):
                break
        console.print(table)


if __name__ == "__main__":
    main()
