"""The repository carries its own documentation: every relative Markdown link
and every ``*.md`` name in the sources points to a file of the repository,
the README stays short and keeps its two quick-start commands (the second
is the command ``.ci/run`` runs), and the documentation's litmus examples
are tests that pass."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from hbcheck.explore import ExploreConfig
from hbcheck.language import check, parse
from hbcheck.models import load_model
from hbcheck.verdict.engines import check_program

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 150
# The README's quick start: install and check the suite; install the test extras and run the tests.
QUICK_START = (
    "python -m pip install . && hbcheck run litmus/",
    "python -m pip install '.[test]' && python -m pytest",
)
# pip options that change only what pip prints, which .ci/run adds to the README's command
PIP_OUTPUT_OPTIONS = {"--quiet", "-q", "--disable-pip-version-check"}
MENTIONING = (".md", ".py", ".lark", ".cat")  # files whose text may name a .md file

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M)
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://\S+|\bmailto:\S+")
_EXTERNAL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_MD_PATH = re.compile(r"(?<![\w./-])((?:\.{1,2}/)*(?:[\w.-]+/)*[\w.-]*[\w-]\.md)\b(?![\w-])", re.I)


def repository_files(root: Path) -> set[str]:
    """The repository's files, as paths relative to ``root``: what git tracks
    or would track (ignored files such as caches and build output left out),
    or, outside a git checkout, every file outside hidden and build folders."""
    if (root / ".git").exists() and shutil.which("git"):
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return {p for p in out.split("\0") if p and (root / p).is_file()}
    skipped = {"__pycache__", "build", "dist", "node_modules"}
    files = set()
    for p in root.rglob("*"):
        parts = p.relative_to(root).parts
        if p.is_file() and not any(
            part in skipped or part.endswith(".egg-info") or (part.startswith(".") and part not in (".ci", ".github"))
            for part in parts[:-1]
        ):
            files.add(p.relative_to(root).as_posix())
    return files


def _prose(markdown: str) -> str:
    """The text of a Markdown file without its code blocks and code spans."""
    return _INLINE_CODE.sub("", _FENCE.sub("", markdown))


def slug(heading: str, seen: dict[str, int]) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces
    as hyphens, ``-1``, ``-2``, ... for repeats."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    base = re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")
    n = seen.get(base, 0)
    seen[base] = n + 1
    return base if n == 0 else f"{base}-{n}"


def anchors(markdown: str) -> set[str]:
    seen: dict[str, int] = {}
    return {slug(h, seen) for h in _HEADING.findall(_FENCE.sub("", markdown))}


def _resolve(root: Path, base: Path, target: str) -> str | None:
    """A link target as a path relative to ``root``, or None if it leaves the repository."""
    start = root if target.startswith("/") else base
    path = (start / target.lstrip("/")).resolve()
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def broken_links(root: Path, files: set[str]) -> list[str]:
    """Every relative link of every Markdown file that names no file or folder
    of the repository, or a heading its Markdown target does not have."""
    folders = {p.as_posix() for f in files for p in Path(f).parents}
    out = []
    for md in sorted(f for f in files if f.lower().endswith(".md")):
        text = (root / md).read_text(encoding="utf-8")
        prose = _prose(text)
        for target in _LINK.findall(prose) + _REFERENCE.findall(prose):
            if _EXTERNAL.match(target):
                continue  # a web page: fine
            path, _, fragment = unquote(target).partition("#")
            if not path:
                where = md
            else:
                where = _resolve(root, (root / md).parent, path)
                if where is None or (where not in files and where not in folders):
                    out.append(f"{md}: link to {target}: no such file in the repository")
                    continue
            heading = fragment and where.lower().endswith(".md") and where in files
            if heading and fragment not in anchors((root / where).read_text(encoding="utf-8")):
                out.append(f"{md}: link to {target}: {where} has no heading #{fragment}")
    return out


def missing_md_names(root: Path, files: set[str]) -> list[str]:
    """Every name of a ``.md`` file that a Markdown, Python, lark or cat file mentions
    (outside web addresses) and that is not a file of the repository: a path
    is looked up from the repository's root and from the mentioning file's
    folder, a bare name anywhere in the repository."""
    names = {Path(f).name.lower() for f in files}
    out = []
    for f in sorted(f for f in files if f.lower().endswith(MENTIONING)):
        text = _URL.sub(" ", (root / f).read_text(encoding="utf-8", errors="replace"))
        for lineno, line in enumerate(text.splitlines(), 1):
            for name in _MD_PATH.findall(line):
                if "/" not in name:
                    found = name.lower() in names
                else:
                    here = _resolve(root, (root / f).parent, name)
                    found = here in files or _resolve(root, root, name) in files
                if not found:
                    out.append(f"{f}:{lineno}: names {name}, which is not in the repository")
    return out


def test_every_relative_link_in_the_markdown_names_a_file_of_the_repository():
    assert broken_links(ROOT, repository_files(ROOT)) == []


def test_every_md_name_in_the_sources_is_a_file_of_the_repository():
    assert missing_md_names(ROOT, repository_files(ROOT)) == []


def test_the_checks_find_broken_links_and_missing_names(tmp_path):
    """The two checks above can fail: a link to a missing file, a link to a
    missing heading and a name of a missing .md file are each reported."""
    # the names are put together here, so that this file does not mention them itself
    guide, top, missing, code = ("guide" + ".md", "README" + ".md", "GONE" + ".md", "nowhere" + ".md")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / guide).write_text(
        f"# Guide\n\n## Two words\n\nSee [the top](../{top}), [a heading](#two-words),\n"
        f"[the web](https://example.org/{missing}), `[code]({code})` and [gone]({missing}).\n"
        f"[Bad anchor](../{top}#no-such-heading).\n"
    )
    (tmp_path / top).write_text(f"# Top\n\n[guide](docs/{guide}) [ref]\n\n[ref]: docs/{missing}\n")
    (tmp_path / "tool.py").write_text(f'"""Read docs/{guide} and {missing} (https://example.org/{missing})."""\n')
    files = repository_files(tmp_path)
    assert files == {f"docs/{guide}", top, "tool.py"}
    assert broken_links(tmp_path, files) == [
        f"{top}: link to docs/{missing}: no such file in the repository",
        f"docs/{guide}: link to {missing}: no such file in the repository",
        f"docs/{guide}: link to ../{top}#no-such-heading: {top} has no heading #no-such-heading",
    ]
    assert missing_md_names(tmp_path, files) == [
        f"{top}:5: names docs/{missing}, which is not in the repository",
        f"docs/{guide}:6: names {code}, which is not in the repository",
        f"docs/{guide}:6: names {missing}, which is not in the repository",
        f"tool.py:1: names {missing}, which is not in the repository",
    ]


def _words(command: str) -> list[str]:
    return [w for w in shlex.split(command) if w not in PIP_OUTPUT_OPTIONS]


def test_the_readme_is_short_and_keeps_the_quick_start_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES
    for command in QUICK_START:
        assert command in lines, f"the README lost its quick-start command: {command}"
    # .ci/run runs the README's test command (with pip told to be quiet)
    ci = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if "python -m pytest" in line and not line.lstrip().startswith("#")
    ]
    assert len(ci) == 1, ci
    assert _words(ci[0]) == _words(QUICK_START[1])


def _examples() -> list[tuple[str, str]]:
    out = []
    for md in sorted((ROOT / "docs").glob("*.md")):
        for block in re.findall(r"^```go\n(.*?)^```", md.read_text(encoding="utf-8"), re.M | re.S):
            if block.startswith("litmus "):
                out.append((f"{md.name}: {block.split()[1]}", block))
    return out


@pytest.mark.parametrize(("where", "text"), _examples(), ids=[w for w, _t in _examples()])
def test_the_documentation_s_litmus_examples_are_tests_that_pass(where, text):
    program = check(parse(text, where))
    result = check_program(program, ExploreConfig(), load_model("go"), "auto")
    assert result.status == "pass", [(e.text, e.status, e.reason) for e in result.expectations]
