"""Read a cat model file into a small AST, resolving ``include`` and names.

Like herd's lib/parseModel.ml + lib/AST.mli, reduced to docs/models.md's
subset. Every node keeps its span; an unknown name, a syntax error or a
missing include is an ``HbError`` at file:line:col.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from hbcheck.errors import HbError, Loc
from hbcheck.hb.relations import BASE_RELATIONS, BASE_SETS
from hbcheck.nesting import check_ast, check_tree
from hbcheck.source import read_source


@dataclass(frozen=True, slots=True)
class Var:
    name: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Empty:
    loc: Loc


@dataclass(frozen=True, slots=True)
class Op:
    """``op`` is one of ``| ; \\ & + * ? ^-1 []``."""

    op: str
    args: tuple[Exp, ...]
    loc: Loc


Exp = Var | Empty | Op


@dataclass(frozen=True, slots=True)
class Let:
    bindings: tuple[tuple[str, Exp], ...]
    rec: bool
    loc: Loc


@dataclass(frozen=True, slots=True)
class Check:
    """``[flag] [~] acyclic|irreflexive|empty EXP [as NAME]``."""

    test: str
    negated: bool
    flag: bool
    exp: Exp
    name: str
    loc: Loc


@dataclass(frozen=True, slots=True)
class Show:
    names: tuple[str, ...]
    loc: Loc


Stmt = Let | Check | Show


# What ``declare NAME`` may promise. drf-sc: a program none of whose SC
# executions the model flags as a data race has no outcome or finding beyond
# its SC executions, and a program with a racy execution has a racy SC one;
# the explorer, which runs SC interleavings, is then exact without z3.
DECLARATIONS = ("drf-sc",)


@dataclass(frozen=True, slots=True)
class Model:
    name: str
    path: str
    stmts: tuple[Stmt, ...]
    text: str
    digest: str = ""  # sha256 of the file and everything it includes, in reading order
    # the model file's own ``declare`` lines (an included file's are not inherited)
    declared: frozenset[str] = frozenset()

    @property
    def checks(self) -> list[Check]:
        return [s for s in self.stmts if isinstance(s, Check) and not s.flag]

    @property
    def flags(self) -> list[Check]:
        return [s for s in self.stmts if isinstance(s, Check) and s.flag]

    @property
    def is_sc(self) -> bool:
        """An axiom named ``sc`` promises every allowed execution is
        sequentially consistent: SC interleavings then give every outcome,
        racy or not."""
        return any(c.name == "sc" for c in self.checks)

    @property
    def drf_sc(self) -> bool:
        """Does the model promise DRF-SC (``declare drf-sc``, or an ``sc``
        axiom, which promises more)? Only then do the explorer's SC
        interleavings give every outcome of a race-free program."""
        return "drf-sc" in self.declared or self.is_sc

    def names(self) -> set[str]:
        """Every name the model's expressions read (a base relation it never
        names need not be built)."""
        out: set[str] = set()
        todo: list[Exp] = [s.exp for s in self.stmts if isinstance(s, Check)]
        todo += [exp for s in self.stmts if isinstance(s, Let) for _name, exp, _loc in s.bindings]
        while todo:
            e = todo.pop()
            if isinstance(e, Var):
                out.add(e.name)
            elif isinstance(e, Op):
                todo.extend(e.args)
        return out


@cache
def _parser() -> Lark:
    return Lark.open("cat.lark", rel_to=__file__, parser="lalr", propagate_positions=True)


class _ToAst(Transformer):
    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _loc(self, m) -> Loc:
        if isinstance(m, Token):
            return Loc(self.file, m.line, m.column)
        return Loc(self.file, m.line, m.column)

    def var(self, items):
        return Var(str(items[0]), self._loc(items[0]))

    @v_args(meta=True)
    def empty(self, meta, items):
        return Empty(self._loc(meta))

    @v_args(meta=True)
    def to_id(self, meta, items):
        return Op("[]", (items[0],), self._loc(meta))

    def _bin(op):
        @v_args(meta=True)
        def method(self, meta, items):
            return Op(op, (items[0], items[1]), self._loc(meta))

        return method

    union = _bin("|")
    seq = _bin(";")
    diff = _bin("\\")
    inter = _bin("&")

    def _post(op):
        @v_args(meta=True)
        def method(self, meta, items):
            return Op(op, (items[0],), self._loc(meta))

        return method

    plus = _post("+")
    star = _post("*")
    opt = _post("?")
    inv = _post("^-1")

    def binding(self, items):
        return (str(items[0]), items[1], self._loc(items[0]))

    @v_args(meta=True)
    def let(self, meta, items):
        return Let(tuple(items), False, self._loc(meta))

    @v_args(meta=True)
    def letrec(self, meta, items):
        return Let(tuple(items), True, self._loc(meta))

    @v_args(meta=True)
    def include(self, meta, items):
        return ("include", str(items[0])[1:-1], self._loc(meta))

    @v_args(meta=True)
    def check(self, meta, items):
        flag = any(isinstance(t, Token) and t.type == "FLAG" for t in items)
        negated = any(isinstance(t, Token) and t.type == "NOT" for t in items)
        test = next(str(t) for t in items if isinstance(t, Token) and t.type == "TEST")
        exp = next(t for t in items if not isinstance(t, Token))
        names = [t for t in items if isinstance(t, Token) and t.type == "NAME"]
        name = str(names[0]) if names else test
        return Check(test, negated, flag, exp, name, self._loc(meta))

    @v_args(meta=True)
    def declare(self, meta, items):
        return ("declare", str(items[0]), self._loc(items[0]))

    @v_args(meta=True)
    def show(self, meta, items):
        return Show(tuple(str(t) for t in items), self._loc(meta))

    def header(self, items):
        return ("header", str(items[0]).strip('"'))

    def start(self, items):
        return items


def model_dirs() -> list[Path]:
    """Where ``--model NAME`` looks: the source tree's models/, then the installed copy."""
    here = Path(__file__).resolve().parents[2] / "models"
    return [here, Path(sys.prefix) / "share" / "hbcheck" / "models"]


def find_model(name_or_path: str) -> Path:
    p = Path(name_or_path)
    if p.suffix == ".cat" or "/" in name_or_path:
        if p.is_file():
            return p
        raise HbError(f"no model file {name_or_path}")
    for d in model_dirs():
        candidate = d / f"{name_or_path}.cat"
        if candidate.is_file():
            return candidate
    known = sorted({f.stem for d in model_dirs() if d.is_dir() for f in d.glob("*.cat")})
    raise HbError(f"unknown model '{name_or_path}' (known: {', '.join(known) or 'none'})")


def model_text(path: Path) -> str:
    return read_source(path, "a model")


def _included(path: Path, name: str, loc: Loc, text: str) -> Path:
    """An include names a .cat file beside the model or among the shipped
    models, and nothing else: no folder, no other file (a model must not be
    able to make hbcheck read, let alone print, any file it likes)."""
    file = name if name.endswith(".cat") else f"{name}.cat"
    if not re.fullmatch(r"[A-Za-z0-9_+-][A-Za-z0-9_.+-]*\.cat", file):
        what = f"cannot include '{name}': an include names a .cat file beside the model or in models/, no path"
        raise HbError(what, loc, text)
    for folder in (path.parent, *model_dirs()):
        if (folder / file).is_file():
            return folder / file
    raise HbError(f"cannot include '{name}': no such model file", loc, text)


def load_model(name_or_path: str) -> Model:
    """Parse a model by name (``go``, ``sc``...) or path; includes are resolved."""
    path = find_model(name_or_path)
    digest = hashlib.sha256()
    declared: dict[str, Loc] = {}
    stmts, header = _read(path, (), digest, declared)
    text = model_text(path)
    model = Model(header or path.stem, str(path), tuple(stmts), text, digest.hexdigest(), frozenset(declared))
    _resolve(model)
    if "drf-sc" in declared and not any(c.name == "data-race" for c in model.flags):
        # race-free is what the data-race flag says; without one every program would count as race-free
        what = "declare drf-sc needs a 'flag ... as data-race' check to say what a race is"
        raise HbError(what, declared["drf-sc"], text)
    return model


def _read(
    path: Path, seen: tuple[Path, ...], digest, declared: dict[str, Loc] | None = None
) -> tuple[list[Stmt], str | None]:
    """The statements of ``path`` with its includes spliced in; its own
    ``declare`` lines go to ``declared`` (None for an included file, whose
    declarations speak for that file alone and are not inherited)."""
    text = model_text(path)
    digest.update(text.encode())
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        loc = Loc(str(path), max(exc.line, 1), max(exc.column, 1))
        if isinstance(exc, UnexpectedCharacters):
            what = f"unexpected character '{text[exc.pos_in_stream]}'"
        elif isinstance(exc, UnexpectedToken) and exc.token.type != "$END":
            what = f"unexpected '{exc.token}'"
        else:
            what = "unexpected end of file"
            lines = text.rstrip("\n").splitlines() or [""]
            loc = Loc(str(path), len(lines), len(lines[-1]) + 1)
        raise HbError(f"model syntax error: {what}", loc, text) from None
    check_tree(tree, str(path), text, levels_per_nesting=1)  # r | r | ... nests one level per operator
    try:
        items = _ToAst(str(path)).transform(tree)
    except VisitError as exc:  # pragma: no cover - callbacks raise nothing of their own
        raise exc.orig_exc from None
    check_ast(items, text)
    header = None
    out: list[Stmt] = []
    for item in items:
        if isinstance(item, tuple) and item[0] == "header":
            header = item[1]
        elif isinstance(item, tuple) and item[0] == "declare":
            _tag, name, loc = item
            if name not in DECLARATIONS:
                raise HbError(f"unknown declaration '{name}' (known: {', '.join(DECLARATIONS)})", loc, text)
            if declared is not None:
                declared.setdefault(name, loc)
        elif isinstance(item, tuple) and item[0] == "include":
            _tag, name, loc = item
            target = _included(path, name, loc, text)
            if target.resolve() in seen:
                raise HbError(f"'{name}' includes itself", loc, text)
            sub, _ = _read(target, (*seen, path.resolve()), digest)
            out.extend(sub)
        else:
            out.append(item)
    return out, header


def _resolve(model: Model) -> None:
    """Every name must be a base relation or set, or bound before use, and
    every operator must get the kind (set or relation) it works on."""
    kinds: dict[str, str] = {n: "rel" for n in BASE_RELATIONS} | {n: "set" for n in BASE_SETS}
    for s in model.stmts:
        if isinstance(s, Let):
            if s.rec:
                kinds.update({n: "rel" for n, _e, _l in s.bindings})
            new = {n: _kind(exp, kinds, model) for n, exp, _l in s.bindings}
            kinds.update(new)
        elif isinstance(s, Check):
            kind = _kind(s.exp, kinds, model)
            if s.test != "empty" and kind == "set":
                raise HbError(f"{s.test} needs a relation, got a set", s.loc, _source(model, s.loc))
        else:
            for n in s.names:
                if n not in kinds:
                    raise HbError(f"unbound name '{n}' in show", s.loc, _source(model, s.loc))


def _kind(exp: Exp, kinds: dict[str, str], model: Model) -> str:
    """ "set", "rel" or "any" (the empty relation ``0`` fits either)."""
    if isinstance(exp, Var):
        if exp.name not in kinds:
            raise HbError(f"unbound name '{exp.name}'", exp.loc, _source(model, exp.loc))
        return kinds[exp.name]
    if isinstance(exp, Empty):
        return "any"
    args = [_kind(a, kinds, model) for a in exp.args]
    if exp.op == "[]":
        if args[0] == "rel":
            raise HbError("[...] needs a set of events, got a relation", exp.loc, _source(model, exp.loc))
        return "rel"
    if exp.op in ("|", "&", "\\"):
        a, b = args
        if "any" not in (a, b) and a != b:
            raise HbError(f"'{exp.op}' mixes a set and a relation", exp.loc, _source(model, exp.loc))
        return b if a == "any" else a
    if "set" in args:
        raise HbError(
            f"'{exp.op}' needs relations, got a set (write [S] for its identity relation)",
            exp.loc,
            _source(model, exp.loc),
        )
    return "rel"


def _source(model: Model, loc: Loc) -> str:
    return model_text(Path(loc.file)) if loc.file != model.path else model.text
