"""Reading the user's files: their UTF-8 text, or a located error.

A file that is not UTF-8 is refused at the line and column of its first bad
byte, and none of it is shown (it may not be a test or a model at all); a
UTF-8 byte order mark is accepted; only regular files are read (a FIFO
named ``x.lit`` would block the run for ever).
"""

from __future__ import annotations

from pathlib import Path

from hbcheck.errors import HbError, Loc


def read_source(path: Path, what: str) -> str:
    """The text of ``path``; ``what`` names the kind of file in errors ("a test", "a model")."""
    if not path.is_file():
        raise HbError(f"cannot read {path}: {'no such file' if not path.exists() else 'not a regular file'}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HbError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise HbError(f"not {what}: not UTF-8 text", Loc(str(path), line, col)) from None
