"""The ``hbcheck`` command line (typer); rich for tables and errors.

Exit status: 0 when every expectation holds, 1 when one fails (or is
Unknown and unknowns are not tolerated, or a baseline differs), 2 on bad
input or usage, 130 when interrupted.
"""

from __future__ import annotations

import typer

from hbcheck.cli.common import check_file, collect
from hbcheck.cli.run import run

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="A memory-model checker for Go-style concurrency.",
)


@app.callback()
def _main() -> None:
    """hbcheck: explore every execution of .lit litmus tests."""


app.command()(run)


def main() -> None:
    app()


__all__ = ["app", "check_file", "collect", "main"]
