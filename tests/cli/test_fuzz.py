"""Fuzzing: mutants of the shipped tests and models, corrupted traces and
baselines. Whatever the input, hbcheck answers or refuses it: exit 0, 1 or
2, never a traceback, never an internal error (exit 3: the engines
disagree, or a defect), and a refused test or model is located
(``file:line:col``).

CI runs a fixed sample; ``HBCHECK_STRESS=N`` (or ``bench/stress.py --file
tests/cli/test_fuzz.py --test mutants_of``) draws N inputs per kind."""

from __future__ import annotations

import atexit
import json
import re
import shutil
import tempfile
from functools import cache
from pathlib import Path

from helpers import LITMUS, ROOT, STRESS, lit, suite_files
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from hbcheck.cli.app import app

SETTINGS = {
    "deadline": None,
    "derandomize": not STRESS,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}
# every bound small, so that a mutant's search ends fast: the answer may be Unknown, never wrong
BOUNDS = ["--max-executions", "200", "--max-steps", "400", "--unroll", "3", "--solver-timeout", "5"]
BOUNDS += ["--time-budget", "8", "--allow-unknown"]

LIT_TOKENS = (
    "{", "}", "(", ")", ";", "\n", "go ", "func ", "select {", "case ", "default:", "<-", "chan ",
    "make(chan int, 1)", "make(chan int)", "close(", "for ", "for i := 0; i < 3; i++ {", "if ", "else ",
    "break", "continue", "var ", "int", "=", ":=", "==", "!=", "<", "&&", "||", "!", "-", "+", "*", "/",
    "%", "0", "1", "-1", "9223372036854775807", "9223372036854775808", "1" + "0" * 30, '"', '"\\x"',
    '"\\ud800"', "\\", "é", "\x00", "\ufeff", "#", ":", "P0", "P1:r", "x", "r", "exists ", "forall ",
    "~exists ", "expect ", "always", "never", "sometimes", "race", "deadlock", "leak", "no ", 'panic("p")',
    "assert ", "mu.Lock()", "mu.Unlock()", "wg.Add(1)", "wg.Done()", "wg.Wait()", "atomic.Add(&x, 1)",
    "atomic.Load(&x)", "once.Do(f)", "frame 3", "/*", "*/", "//", "litmus ", "init", "main", "nil",
    "struct{}{}", "\t", "   ", "go main {", "f()", "range ", "make(chan chan int, 1)", "len(", "cap(",
    "var c chan int", "c := make(chan int, 2)", "c = nil", "chan chan ", "d := <-c", "go func() { c <- 1 }()",
)  # fmt: skip
CAT_TOKENS = (
    "let ", "rec ", "and ", "acyclic ", "irreflexive ", "empty ", "flag ", "~", "as ", "show ", "declare ",
    'include "go-sync.cat"', 'include "/etc/passwd"', 'include "go.cat"', "(", ")", "|", ";", "&", "\\",
    "+", "*", "?", "^-1", "[", "]", "po", "rf", "co", "fr", "hb", "sw", "W", "R", "M", "0", "_",
    "data-race", "drf-sc", "\n", "(*", "*)", "=", '"', "é", "\x00",
)  # fmt: skip

LITS = [p for p in suite_files() if p.stat().st_size < 2000]
CATS = sorted((ROOT / "models").glob("*.cat"))


@st.composite
def mutant(draw, sources: list[Path], tokens: tuple[str, ...]) -> str:
    """A source with one to three edits: a token inserted, a span deleted or
    doubled, the text cut short, or (edits that keep most mutants well
    formed, so that the engines see them) two lines swapped, a number or a
    name replaced by another of the file's."""
    text = draw(st.sampled_from(sources)).read_text()
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(text)))
        j = min(len(text), i + draw(st.integers(0, 40)))
        edit = draw(st.sampled_from(["insert", "delete", "double", "cut", "swap", "swap", "number", "name", "name"]))
        words = [m for m in re.finditer(r"[0-9]+" if edit == "number" else r"[A-Za-z_]\w*", text)]
        if edit == "insert":
            text = text[:i] + draw(st.sampled_from(tokens)) + text[i:]
        elif edit == "delete":
            text = text[:i] + text[j:]
        elif edit == "double":
            text = text[:j] + text[i:j] + text[j:]
        elif edit == "cut":
            text = text[:i]
        elif edit == "swap":
            lines = text.split("\n")
            a, b = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            lines[a], lines[b] = lines[b], lines[a]
            text = "\n".join(lines)
        elif words:
            m = draw(st.sampled_from(words))
            other = (
                draw(st.sampled_from(["0", "1", "2", "3", "64", "9223372036854775807"]))
                if edit == "number"
                else draw(st.sampled_from(words)).group()
            )
            text = text[: m.start()] + other + text[m.end() :]
    return text


def _answered_or_refused(result, path: Path, located: bool = True) -> None:
    output = result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), output
    assert result.exit_code in (0, 1, 2), output
    assert "Traceback" not in output and "internal error" not in output, output
    if result.exit_code == 2 and located:
        assert re.search(rf"^{re.escape(str(path))}:\d+:\d+: ", result.stderr, re.M), result.stderr


@settings(max_examples=STRESS or 60, **SETTINGS)
@given(mutant(LITS, LIT_TOKENS))
def test_mutants_of_the_shipped_tests(tmp_path, text):
    path = tmp_path / "mutant.lit"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    result = CliRunner().invoke(app, ["run", "--engine", "both", *BOUNDS, str(path)])
    _answered_or_refused(result, path)


@settings(max_examples=STRESS or 40, **SETTINGS)
@given(
    mutant(CATS, CAT_TOKENS), st.sampled_from(["mp-buffered.lit", "mp-racy.lit", "mutex.lit", "close-broadcast.lit"])
)
def test_mutants_of_the_shipped_models(tmp_path, text, test):
    model = tmp_path / "mutant.cat"
    model.write_text(text)
    for name in ("go-sync.cat", "go-races.cat", "go-visibility.cat"):  # what the models include
        (tmp_path / name).write_text((ROOT / "models" / name).read_text())
    result = CliRunner().invoke(app, ["run", "--engine", "both", *BOUNDS, "--model", str(model), str(lit(test))])
    _answered_or_refused(result, model, located=not result.stderr.startswith(f"{lit(test)}:"))
    assert "root:" not in result.stderr  # an include of /etc/passwd echoes none of it


HUGE = "<an integer of 5,000 digits>"  # written into the text: hypothesis cannot show such an int
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.just(HUGE) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def corrupted(draw, doc: object) -> str:
    """``doc`` with one value replaced or removed somewhere, or its text cut or
    a byte changed."""
    doc = json.loads(json.dumps(doc))
    node: dict | list = doc  # type: ignore[assignment]
    key = draw(st.sampled_from(sorted(doc)))  # type: ignore[arg-type]
    while isinstance(node[key], (dict, list)) and node[key] and draw(st.booleans()):  # go deeper
        node = node[key]
        key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
    if draw(st.booleans()) or isinstance(node, list):
        node[key] = draw(JSON_VALUES)
    else:
        del node[key]
    text = json.dumps(doc).replace(json.dumps(HUGE), "9" * 5000)
    return text if not draw(st.booleans()) else _damaged(text, draw)


def _damaged(text: str, draw) -> str:
    """Byte-level damage: cut short, a byte changed, or nesting past any parser."""
    how = draw(st.sampled_from(["cut", "byte", "deep"]))
    i = draw(st.integers(0, len(text)))
    if how == "cut":
        return text[:i]
    if how == "byte":
        return text[:i] + draw(st.sampled_from(['"', "{", "]", ",", "\x00", "é", "\\"])) + text[i + 1 :]
    return text[:i] + "[" * 100_000 + text[i:]


@cache
def _saved() -> tuple[Path, dict, dict]:
    """A test, its race's trace and its results, made once: every example
    corrupts the same documents (their text, times included, must not vary
    from one example to the next, or hypothesis cannot replay a draw)."""
    folder = Path(tempfile.mkdtemp(prefix="hbcheck-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    test, trace, base = folder / "t.lit", folder / "t.json", folder / "base.json"
    test.write_text(lit("mp-racy.lit").read_text())
    CliRunner().invoke(app, ["trace", str(test), "--race", "--save", str(trace)])
    CliRunner().invoke(app, ["run", "-q", "--json", str(base), str(test)])
    return test, json.loads(trace.read_text()), json.loads(base.read_text())


@settings(max_examples=STRESS or 40, **SETTINGS)
@given(st.data())
def test_corrupted_traces_and_baselines(tmp_path, data):
    test, trace_doc, base_doc = _saved()
    trace, base = tmp_path / "bad-trace.json", tmp_path / "bad-base.json"
    trace.write_bytes(data.draw(corrupted(trace_doc)).encode("utf-8", "surrogatepass"))
    replayed = CliRunner().invoke(app, ["replay", str(test), str(trace)])
    _answered_or_refused(replayed, trace, located=False)
    base.write_bytes(data.draw(corrupted(base_doc)).encode("utf-8", "surrogatepass"))
    compared = CliRunner().invoke(app, ["run", "-q", "--baseline", str(base), str(test)])
    _answered_or_refused(compared, base, located=False)


def test_the_mutation_sources_are_the_suite_and_the_models():
    assert len(LITS) >= 60 and {p.name for p in CATS} >= {"go.cat", "sc.cat", "go-races.cat"}
    assert all(p.is_relative_to(LITMUS) for p in LITS)
