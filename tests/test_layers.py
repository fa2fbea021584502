"""The packages follow the pipeline: a module imports only its own layer and
those before it (docs/architecture.md), so no two packages import each other."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "hbcheck"
# in pipeline order; the modules at the package's top (errors, source, budget,
# nesting) come before all, and realgo and spin share a layer
LAYERS = ["language", "machine", "explore", "hb", "models", "smt", "verdict", "report", "realgo spin", "cli"]
RANK = {package: i + 1 for i, names in enumerate(LAYERS) for package in names.split()}


def layer(module: str) -> int | None:
    """A module's layer, None outside hbcheck."""
    parts = module.split(".")
    if parts[0] != "hbcheck":
        return None
    return RANK.get(parts[1], 0) if len(parts) > 1 else 0


def imports(path: Path) -> list[tuple[int, str]]:
    """Every absolute import of the file, at any depth (function-level ones too)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: a relative import"
            out.append((node.lineno, node.module or ""))
    return out


def test_every_import_goes_down_the_pipeline():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        module = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts).removesuffix(".__init__")
        own = layer(module)
        assert own is not None
        wrong += [
            f"{path.relative_to(ROOT.parent)}:{line}: {module} imports {name}"
            for line, name in imports(path)
            if (theirs := layer(name)) is not None and theirs > own
        ]
    assert not wrong, "\n".join(wrong)


def test_the_check_sees_an_import_up_the_pipeline(tmp_path):
    """The check itself: a function-level import of a later layer is found."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from hbcheck.verdict.outcome import judge\n")
    assert [(line, name) for line, name in imports(bad)] == [(2, "hbcheck.verdict.outcome")]
    assert layer("hbcheck.verdict.outcome") > layer("hbcheck.smt.engine") > layer("hbcheck.errors")
    assert sorted(p.name for p in ROOT.iterdir() if p.is_dir() and p.name in RANK) == sorted(RANK)
