"""How deep input may nest: every stage after parsing (checks, the machine's
compiler, the z3 unfolding, the emitters, the cat interpreter) recurses on
the program, so a deeper input is a located error here rather than Python's
stack overflow anywhere later."""

from __future__ import annotations

import dataclasses

from lark import Tree

from hbcheck.errors import HbError, Loc

# nested blocks, parentheses and operators (a chain a + b + c nests one level
# per operator, as its tree does)
MAX_NESTING = 100
TOO_DEEP = f"nested too deep: at most {MAX_NESTING} levels of blocks, parentheses and operators"


def check_tree(tree: Tree, file: str, source: str, levels_per_nesting: int = 2) -> None:
    """Refuse a lark tree deeper than lark's own transformer can take (it
    recurses): ``levels_per_nesting`` tree levels make one level of the text."""
    deep = _deeper_than(tree, levels_per_nesting * MAX_NESTING + 20)
    if deep is not None:
        raise HbError(TOO_DEEP, Loc(file, deep.meta.line, deep.meta.column), source)


def check_ast(items: object, source: str) -> None:
    """Refuse an AST (dataclasses with a ``loc``) deeper than ``MAX_NESTING``."""
    deep = _deeper_than(items, MAX_NESTING)
    if deep is not None:
        raise HbError(TOO_DEEP, deep.loc, source)  # type: ignore[attr-defined]


def _deeper_than(root: object, limit: int):
    """The first node (a lark tree with a position, or an AST node with a
    ``loc``) more than ``limit`` levels down, found without recursion; None if
    there is none."""
    stack: list[tuple[object, int]] = [(root, 0)]
    while stack:
        x, depth = stack.pop()
        if isinstance(x, Tree):
            if depth > limit and getattr(x.meta, "line", None) is not None:
                return x
            stack.extend((c, depth + 1) for c in x.children)
        elif isinstance(x, tuple | list):
            stack.extend((c, depth) for c in x)
        elif dataclasses.is_dataclass(x) and not isinstance(x, Loc):
            level = depth + 1 if hasattr(x, "loc") else depth
            if level > limit:
                return x
            stack.extend((getattr(x, f.name), level) for f in dataclasses.fields(x))
    return None
