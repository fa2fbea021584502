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
    Interrupted.seen = True
    raise Interrupted


def _noted(signum: int, frame: object) -> None:
    Interrupted.seen = True


def _unraisable(unraisable: sys.UnraisableHookArgs) -> None:
    """After Ctrl-C, say nothing of an object that fails in ``__del__``: the
    interrupt may have cut its ``__init__`` short (a z3 term then has no
    context, and its ``__del__`` printed a traceback after "Interrupted.")."""
    if not Interrupted.seen:
        sys.__unraisablehook__(unraisable)


def main() -> None:
    sys.unraisablehook = _unraisable
    # While z3, lark and rich load, Ctrl-C is only noted: raised inside a
    # library's import it was swallowed (z3 has bare excepts), and the run went on.
    signal.signal(signal.SIGINT, _noted)
    try:
        from hbcheck.cli.app import app

        if Interrupted.seen:
            raise Interrupted
        signal.signal(signal.SIGINT, _ctrl_c)
        app()
    except Interrupted:
        sys.stderr.write("Interrupted.\n")
        sys.exit(130)
