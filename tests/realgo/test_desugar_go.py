"""Receives and atomics inside expressions in Go: the emitted program takes
them in the checker's left-to-right order through temporaries, and the real
runtime shows only what the model allows."""

from __future__ import annotations

import json

from helpers import needs_go, program
from typer.testing import CliRunner

from hbcheck.cli.app import app
from hbcheck.realgo.emit import emit_go

ORDER = """litmus Order
var x int
var c = make(chan int)
go P { c <- 1; x = 5 }
go Q { r = x + <-c }
exists (Q:r == 6)
expect never
expect no race
"""

GUARD = """litmus Guard
var n int
var c = make(chan int, 1)
go P { atomic.Store(&n, 1); c <- 0 }
go Q {
    if atomic.Load(&n) > 0 && <-c == 0 { r = 2 }
    for atomic.Load(&n) == 0 { s = s + 1 }
}
exists (Q:r == 2)
expect sometimes
"""


def test_the_go_program_reads_left_to_right_through_temporaries():
    lines = [ln.split("*/ ")[1] for ln in emit_go(program(ORDER, "o.lit"), "o.lit").splitlines() if "o.lit:5:" in ln]
    assert lines == ["g.r_ʔe1 = e.v_x", "g.r_ʔe2 = <-e.c_c", "g.r_r = add(g.r_ʔe1, g.r_ʔe2)"]


@needs_go
def test_validate_confirms_receives_and_atomics_in_expressions(tmp_path):
    files = []
    for name, text in (("order", ORDER), ("guard", GUARD)):
        f = tmp_path / f"{name}.lit"
        f.write_text(text)
        files.append(str(f))
    out = tmp_path / "audit.json"
    result = CliRunner().invoke(app, ["validate", "--runs", "200", "--race", "--json", str(out), *files])
    assert result.exit_code == 0, result.stdout
    assert {t["test"]: t["verdict"] for t in json.loads(out.read_text())["tests"]} == {"Order": "ok", "Guard": "ok"}
