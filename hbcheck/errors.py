"""The one error type for bad input, carrying where it was found.

Like herd's ``Warn.user_error``: a user's mistake, printed once as
``file:line:col: message`` with the offending line and a caret, exit 2.
Tool bugs are ordinary exceptions and keep their tracebacks.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Loc:
    """A source span (1-based line and column)."""

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


class HbError(Exception):
    """Bad input: a message and, where known, its source location."""

    def __init__(self, message: str, loc: Loc | None = None, source: str | None = None):
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.source = source

    def render(self) -> str:
        """``file:line:col: message``, then the source line and a caret."""
        if self.loc is None:
            return f"error: {self.message}"
        head = f"{self.loc}: {self.message}"
        if self.source is None:
            return head
        lines = self.source.splitlines()
        if not 1 <= self.loc.line <= len(lines):
            return head
        text = lines[self.loc.line - 1].expandtabs(1)
        return f"{head}\n    {text}\n    {' ' * (self.loc.col - 1)}^"


class Interrupted(BaseException):
    """Ctrl-C, as hbcheck's own handler raises it: not KeyboardInterrupt, which
    click would turn into "Aborted!" and exit 1 (the exit status is 130).
    ``seen`` stays set once Ctrl-C came, for the places that check between
    steps: a library's bare ``except:`` can swallow the exception itself."""

    seen = False
