"""Reading the user's files: their UTF-8 text, or a located error.

A file that is not UTF-8 is refused at the line and column of its first bad
byte, and none of it is shown (it may not be a test or a model at all); a
UTF-8 byte order mark is accepted; only regular files are read (a FIFO
named ``x.lit`` would block the run for ever). JSON handed back to us
(baselines, saved traces) is checked against its schema before any field is
used, so a wrongly typed field is an error naming it, not a crash later.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema

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


def read_json(path: Path, what: str, schema: str) -> Any:
    """The JSON document in ``path``, valid against the shipped schema ``schema``
    (a file name in ``hbcheck/report``); ``what`` names it in errors."""
    text = read_source(path, what)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise HbError(f"not {what}: not JSON: {exc.msg}", Loc(str(path), exc.lineno, exc.colno)) from None
    except RecursionError:
        raise HbError(f"{path}: not {what}: JSON nested too deep") from None
    except ValueError as exc:  # an integer past Python's 4,300-digit conversion limit
        raise HbError(f"{path}: not {what}: {str(exc).split(':')[0].lower()}") from None
    validator = _validator(schema)
    fixed = validator.schema["properties"]
    kind, version = fixed["schema"]["const"], fixed["version"]["const"]
    if isinstance(doc, dict) and doc.get("schema") == kind and doc.get("version") != version:
        shown = json.dumps(doc.get("version"))[:40]
        raise HbError(f"{path}: {what} of version {shown}; this hbcheck reads version {version}")
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc))
    if error is not None:
        where = "/".join(str(k) for k in error.absolute_path) or "the document"
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        raise HbError(f"{path}: not {what}: at {where}: {message}")
    return doc


@cache
def _validator(schema: str) -> jsonschema.Draft202012Validator:
    doc = json.loads(resources.files("hbcheck.report").joinpath(schema).read_text())
    return jsonschema.Draft202012Validator(doc)


def digest_of(text: str) -> str:
    """The sha256 recorded for a test's source in results and traces."""
    return hashlib.sha256(text.encode()).hexdigest()
