"""The console script: Ctrl-C handled before anything else is imported.

Ctrl-C anywhere, loading z3 included, ends the command with exit 130 and no
traceback (``run`` first reports the tests that finished). The handler is
installed here, not in ``app``, so that importing hbcheck as a library
leaves a program's own SIGINT handling alone.
"""

from __future__ import annotations

import signal
import sys

from hbcheck.errors import Interrupted


def _ctrl_c(signum: int, frame: object) -> None:
    raise Interrupted


def main() -> None:
    signal.signal(signal.SIGINT, _ctrl_c)
    try:
        from hbcheck.cli.app import app

        app()
    except Interrupted:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
