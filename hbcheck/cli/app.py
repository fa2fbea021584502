"""The ``hbcheck`` command line (typer); rich for tables and errors.

Exit status: 0 when every expectation holds, 1 when one fails (or is
Unknown and unknowns are not tolerated, or a baseline differs), 2 on bad
input or usage, 130 when interrupted.
"""

from __future__ import annotations

from typing import Annotated

import typer

from hbcheck import __version__
from hbcheck.cli.common import check_file, collect
from hbcheck.cli.compare import compare_cmd
from hbcheck.cli.golang import go_cmd, promela_cmd, validate_cmd
from hbcheck.cli.run import run
from hbcheck.cli.trace import graph_cmd, replay_cmd, trace_cmd

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="A memory-model checker for Go-style concurrency.",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hbcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """hbcheck: explore every execution of .lit litmus tests."""


app.command()(run)
app.command("compare")(compare_cmd)
app.command("trace")(trace_cmd)
app.command("replay")(replay_cmd)
app.command("graph")(graph_cmd)
app.command("go")(go_cmd)
app.command("validate")(validate_cmd)
app.command("promela")(promela_cmd)


__all__ = ["app", "check_file", "collect"]
