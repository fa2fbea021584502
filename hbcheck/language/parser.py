"""Parse .lit text into the AST of ``hbcheck.language.ast``.

lark's LALR parser with positions; every lark error becomes one ``HbError``
with its line and column at this boundary.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from hbcheck.errors import HbError, Loc
from hbcheck.language import ast
from hbcheck.language.closures import lift
from hbcheck.language.desugar import desugar
from hbcheck.names import EXPECTABLE
from hbcheck.nesting import check_ast, check_tree
from hbcheck.source import read_source

OBSERVATIONS = ("never", "sometimes", "always")

_TOKEN_NAMES = {
    "NAME": "a name",
    "INT": "an integer",
    "STRING": "a string",
    "_SEP": "a newline or ';'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LPAR": "'('",
    "RPAR": "')'",
    "COLON": "':'",
    "COMMA": "','",
    "EQUAL": "'='",
    "$END": "end of file",
    "TESTNAME": "a test name",
    "COND_KIND": "'exists', '~exists' or 'forall'",
    "EWORD": "an expectation word",
    "PROCREG": "'P:r'",
    "NIL": "'nil'",
    "TRUE": "'true'",
    "FALSE": "'false'",
}


@cache
def _parser() -> Lark:
    return Lark.open("litmus.lark", rel_to=__file__, parser="lalr", propagate_positions=True)


def _describe(token_type: str) -> str:
    if token_type in _TOKEN_NAMES:
        return _TOKEN_NAMES[token_type]
    pattern = _parser().get_terminal(token_type).pattern
    return f"'{pattern.value}'" if pattern.type == "str" else token_type.lower()


class _ToAst(Transformer):
    """Bottom-up, one method per rule; nodes keep their spans."""

    def __init__(self, file: str):
        super().__init__()
        self.file = file

    def _loc(self, meta_or_tok: object) -> Loc:
        if isinstance(meta_or_tok, Token):
            return Loc(
                self.file, meta_or_tok.line, meta_or_tok.column, meta_or_tok.end_line or 0, meta_or_tok.end_column or 0
            )
        m = meta_or_tok
        return Loc(self.file, m.line, m.column, m.end_line, m.end_column)  # type: ignore[attr-defined]

    # ---- expressions
    @v_args(meta=True)
    def or_chain(self, meta, items):
        return self._chain("||", items)

    @v_args(meta=True)
    def and_chain(self, meta, items):
        return self._chain("&&", items)

    def _chain(self, op: str, items: list) -> ast.Expr:
        out = items[0]
        for item in items[1:]:
            out = ast.Binary(op, out, item, out.loc)
        return out

    def cmp_expr(self, items):
        left, op, right = items
        return ast.Binary(op, left, right, left.loc)

    def sum_expr(self, items):
        return self._binary_chain(items)

    def prod_expr(self, items):
        return self._binary_chain(items)

    def _binary_chain(self, items: list) -> ast.Expr:
        out = items[0]
        for op, operand in zip(items[1::2], items[2::2], strict=True):
            out = ast.Binary(op, out, operand, out.loc)
        return out

    def assign_op(self, items):
        return str(items[0])

    cmp_op = add_op = mul_op = assign_op

    @v_args(meta=True)
    def not_op(self, meta, items):
        return ast.Unary("!", items[0], self._loc(meta))

    @v_args(meta=True)
    def neg_op(self, meta, items):
        if isinstance(items[0], ast.IntLit) and items[0].value == INT_MIN_MAGNITUDE:
            return ast.IntLit(-INT_MIN_MAGNITUDE, self._loc(meta))  # -9223372036854775808 is an int
        return ast.Unary("-", items[0], self._loc(meta))

    def int_atom(self, items):
        return ast.IntLit(_int(items[0], self._loc(items[0])), self._loc(items[0]))

    def true_atom(self, items):
        return ast.IntLit(1, self._loc(items[0]))

    def false_atom(self, items):
        return ast.IntLit(0, self._loc(items[0]))

    def name_atom(self, items):
        return ast.Name(str(items[0]), self._loc(items[0]))

    def index_atom(self, items):
        return ast.Index(str(items[0]), items[1], self._loc(items[0]))

    def index_assign(self, items):
        name, index, value = items
        return ast.IndexAssign(str(name), index, value, self._loc(name))

    def unit_atom(self, items):
        return ast.UnitLit(self._loc(items[0]))

    def elem_type(self, items):
        if not isinstance(items[0], Token):  # chan T, T itself an element type
            return f"chan {items[0]}"
        return "struct{}" if items[0].type == "STRUCT" else str(items[0])

    @v_args(meta=True)
    def make_atom(self, meta, items):
        return ast.MakeChan(items[0], items[1] if len(items) > 1 else None, self._loc(meta))

    @v_args(meta=True)
    def make_map_atom(self, meta, items):
        return ast.MakeMap(f"map[{items[0]}]{items[1]}", items[2] if len(items) > 2 else None, self._loc(meta))

    @v_args(meta=True)
    def make_slice_atom(self, meta, items):
        return ast.MakeSlice(str(items[0]), items[1], items[2] if len(items) > 2 else None, self._loc(meta))

    def map_lookup(self, items):
        value, ok, op, name, key = items
        return ast.MapLookup(_target(value), _target(ok), str(name), key, self._loc(value), op == ":=")

    def nil_atom(self, items):
        return ast.Name("nil", self._loc(items[0]))

    def procreg_atom(self, items):
        proc, reg = str(items[0]).split(":")
        return ast.ProcReg(proc, reg, self._loc(items[0]))

    def int_lit(self, items):
        value = _int(items[-1], self._loc(items[-1]))
        if len(items) == 2:
            return -value
        if value == INT_MIN_MAGNITUDE:
            raise HbError(f"constant {value} overflows int (int64)", self._loc(items[-1]))
        return value

    def call_atom(self, items):
        name = items[0]
        return ast.CallExpr(str(name), items[1] if len(items) > 1 else (), self._loc(name))

    def str_arg(self, items):
        return ast.StrArg(_unquote(items[0], self._loc(items[0])), self._loc(items[0]))

    def addr_arg(self, items):
        return ast.AddrArg(str(items[0]), self._loc(items[0]))

    def args(self, items):
        return tuple(items)

    def chan_ref(self, items):
        tok = items[0]
        return ast.ChanRef(None if tok.type == "NIL" else str(tok), self._loc(tok))

    # ---- statements
    def block(self, items):
        return tuple(items)

    def assign(self, items):
        name, op, value = items
        decl = op == ":="
        # the statement forms of a receive and an atomic keep their own nodes
        if isinstance(value, ast.RecvExpr):
            return ast.Recv(_target(name), None, value.chan, self._loc(name), decl)
        if isinstance(value, ast.AtomicExpr):
            return ast.AtomicCall(str(name), value.op, value.args, self._loc(name))
        if isinstance(value, ast.MethodExpr):
            return ast.MethodValue(_target(name), value.obj, value.method, value.args, value.loc)
        return ast.Assign(str(name), value, self._loc(name), decl)

    def local_var(self, items):
        name, rest = items[0], items[1:]
        loc = self._loc(name)
        typ = rest[0] if isinstance(rest[0], str) else None  # a type is text, a value a node
        if rest[-1] is not typ:
            value = rest[-1]
        elif typ.startswith(("chan ", "[]", "map[")):
            value = ast.Name("nil", loc)
        else:
            value = ast.IntLit(0, loc)  # int and bool: 0 is false
        return ast.Assign(str(name), value, loc, True, typ)

    def recv_assign(self, items):
        value, ok, op, chan = items
        return ast.Recv(_target(value), _target(ok), chan, self._loc(value), op == ":=")

    @v_args(meta=True)
    def recv_atom(self, meta, items):
        return ast.RecvExpr(items[0], self._loc(meta))

    def method_atom(self, items):
        obj, method = items[0], items[1]
        return ast.MethodExpr(str(obj), str(method), items[2] if len(items) > 2 else (), self._loc(obj))

    def atomic_atom(self, items):
        tok, op = items[0], items[1]
        return ast.AtomicExpr(str(op), items[2] if len(items) > 2 else (), self._loc(tok))

    @v_args(meta=True)
    def recv_bare(self, meta, items):
        return ast.Recv(None, None, items[0], self._loc(meta))

    def send(self, items):
        chan, value = items
        return ast.Send(chan, value, chan.loc)

    def call(self, items):
        name = items[0]
        return ast.Call(str(name), items[1] if len(items) > 1 else (), self._loc(name))

    @v_args(meta=True)
    def defer_stmt(self, meta, items):
        return ast.Defer(items[0], self._loc(meta))

    @v_args(meta=True)
    def go_stmt(self, meta, items):
        return ast.GoStmt(str(items[0]), items[1] if len(items) > 1 else (), self._loc(meta))

    @v_args(meta=True)
    def go_lit(self, meta, items):
        return ast.GoLit(items[0], items[1] if len(items) > 1 else (), self._loc(meta))

    @v_args(meta=True)
    def func_lit(self, meta, items):
        params = next((x for x in items[:-1] if isinstance(x, tuple)), ())
        result = next((x for x in items[:-1] if isinstance(x, str)), None)
        return ast.FuncLit(params, items[-1], self._loc(meta), result)

    def func_assign(self, items):
        name, _op, lit = items
        return ast.FuncValue(str(name), lit, self._loc(name))

    @v_args(meta=True)
    def lit_call(self, meta, items):
        return ast.LitCall(items[0], items[1] if len(items) > 1 else (), self._loc(meta))

    def go_version(self, items):
        tok = items[0]
        major, minor = (int(x) for x in str(tok).split("."))
        if major != 1 or not 0 <= minor <= 99:
            raise HbError(f"unknown Go version {tok} (write go 1.N, as in go.mod)", self._loc(tok))
        return ("go", (major, minor), self._loc(tok))

    def method_call(self, items):
        obj, method = items[0], items[1]
        args = items[2] if len(items) > 2 else ()
        if (str(obj), str(method)) == ("rand", "Intn"):  # as a statement: a choice whose value is dropped
            return ast.MethodValue(None, "rand", str(method), args, self._loc(obj))
        return ast.MethodCall(str(obj), str(method), args, self._loc(obj))

    def atomic_stmt(self, items):
        tok, op = items[0], items[1]
        return ast.AtomicCall(None, str(op), items[2] if len(items) > 2 else (), self._loc(tok))

    @v_args(meta=True)
    def if_stmt(self, meta, items):
        cond, then = items[0], items[1]
        orelse: tuple = ()
        if len(items) > 2:
            orelse = items[2] if isinstance(items[2], tuple) else (items[2],)
        return ast.If(cond, then, orelse, self._loc(meta))

    @v_args(meta=True)
    def for_const(self, meta, items):
        var, op, start, var2, cmp, stop, var3, body = items
        loc = self._loc(meta)
        if op != ":=" and op != "=":  # pragma: no cover - grammar allows only these
            raise HbError("expected ':='", loc)
        if str(var2) != str(var) or str(var3) != str(var):
            raise HbError(f"a counted loop must test and increment its own variable '{var}'", self._loc(var2))
        if cmp != "<":
            raise HbError(f"a counted loop is written 'for {var} := A; {var} < B; {var}++'", self._loc(var2))
        return ast.ForConst(str(var), start, stop, body, loc, op == ":=")

    @v_args(meta=True)
    def for_range(self, meta, items):
        var, *value, op, chan, body = items
        second = _target(value[0]) if value else None
        return ast.ForRange(_target(var) or "_", chan, body, self._loc(meta), op == ":=", second)

    @v_args(meta=True)
    def for_range_bare(self, meta, items):  # for range c { ... }: as for _ = range c
        chan, body = items
        return ast.ForRange("_", chan, body, self._loc(meta), False, None)

    @v_args(meta=True)
    def for_cond(self, meta, items):
        return ast.ForCond(items[0], items[1], self._loc(meta))

    @v_args(meta=True)
    def for_ever(self, meta, items):
        return ast.ForCond(None, items[0], self._loc(meta))

    @v_args(meta=True)
    def break_stmt(self, meta, items):
        return ast.Break(self._loc(meta))

    @v_args(meta=True)
    def continue_stmt(self, meta, items):
        return ast.Continue(self._loc(meta))

    @v_args(meta=True)
    def assert_stmt(self, meta, items):
        return ast.Assert(items[0], self._loc(meta))

    @v_args(meta=True)
    def return_stmt(self, meta, items):
        return ast.Return(items[0] if items else None, self._loc(meta))

    @v_args(meta=True)
    def select_stmt(self, meta, items):
        loc = self._loc(meta)
        defaults = [c for c in items if isinstance(c, ast.DefaultCase)]
        if len(defaults) > 1:
            raise HbError("multiple defaults in select", defaults[1].loc)
        return ast.Select(tuple(items), loc)

    @v_args(meta=True)
    def case_clause(self, meta, items):
        comm, body = items[0], tuple(items[1:])
        kind, payload = comm
        loc = self._loc(meta)
        if kind == "send":
            chan, value = payload
            return ast.SendCase(chan, value, body, loc)
        value, ok, chan, decl = payload
        return ast.RecvCase(value, ok, chan, body, loc, decl)

    @v_args(meta=True)
    def default_clause(self, meta, items):
        return ast.DefaultCase(tuple(items), self._loc(meta))

    def comm_recv_assign(self, items):
        if len(items) == 4:
            value, ok, op, chan = items
        else:
            (value, op, chan), ok = items, None
        return ("recv", (_target(value), _target(ok), chan, op == ":="))

    def comm_recv(self, items):
        return ("recv", (None, None, items[0], False))

    def comm_send(self, items):
        return ("send", (items[0], items[1]))

    # ---- declarations
    def plain_type(self, items):
        return str(items[0])

    def array_type(self, items):
        return f"[{int(items[0])}]{items[1]}"

    def map_type(self, items):
        return f"map[{items[0]}]{items[1]}"

    def slice_type(self, items):
        return f"[]{items[0]}"

    def init_make_slice(self, items):
        return ("slice", f"[]{items[0]}", items[1], items[2] if len(items) > 2 else None)

    def init_make_map(self, items):
        return ("map", f"map[{items[0]}]{items[1]}", items[2] if len(items) > 2 else 0)

    def chan_type(self, items):
        return f"chan {items[0]}"

    def sync_type(self, items):
        return f"{items[0]}.{items[1]}"

    def init_int(self, items):
        return ("int", items[0])

    def init_make(self, items):
        return ("make", items[0], items[1] if len(items) > 1 else 0)

    def var_decl(self, items):
        name = items[0]
        typ = next((i for i in items[1:] if isinstance(i, str)), None)
        init = next((i for i in items[1:] if isinstance(i, tuple)), None)
        value = init[1] if init and init[0] == "int" else None
        elem, cap = (init[1], init[2]) if init and init[0] == "make" else (None, None)
        if init and init[0] == "slice":  # make([]T, len[, cap]): ``make_elem`` is the slice's type
            cap = init[3] if init[3] is not None else init[2]
            return ast.VarDecl(str(name), typ, None, init[1], cap, self._loc(name), made=True, make_len=init[2])
        if init and init[0] == "map":  # make(map[K]V[, hint]): ``make_elem`` is the map's type
            return ast.VarDecl(str(name), typ, None, init[1], init[2], self._loc(name), made=True)
        return ast.VarDecl(str(name), typ, value, elem, cap, self._loc(name))

    def func_decl(self, items):
        name = items[0]
        frame = int(items[1]) if len(items) == 3 else None
        return ast.FuncDecl(str(name), frame, items[-1], self._loc(name))

    def func_sig_decl(self, items):
        name = items[0]
        params: tuple = ()
        result = None
        frame = None
        for item in items[1:-1]:
            if isinstance(item, tuple):
                params = item
            elif isinstance(item, Token) and item.type == "INT":
                frame = int(item)
            else:
                result = item
        return ast.FuncDecl(str(name), frame, items[-1], self._loc(name), params, result)

    def params(self, items):
        return tuple(items)

    def param(self, items):
        name, typ = items
        return ast.Param(str(name), typ, self._loc(name))

    def param_plain(self, items):
        return str(items[0])

    def param_chan(self, items):
        return f"chan {items[0]}"

    def param_slice(self, items):
        return f"[]{items[0]}"

    def param_map(self, items):
        return f"map[{items[0]}]{items[1]}"

    def param_ptr(self, items):
        return f"*{items[0]}.{items[1]}"

    def result_type(self, items):
        return str(items[0])

    def result_chan(self, items):
        return f"chan {items[0]}"

    def result_slice(self, items):
        return f"[]{items[0]}"

    def result_map(self, items):
        return f"map[{items[0]}]{items[1]}"

    def go_decl(self, items):
        name, body = items
        return ast.GoDecl(str(name), body, self._loc(name))

    def description(self, items):
        return ast.Description(_unquote(items[0], self._loc(items[0])), self._loc(items[0]))

    def condition(self, items):
        kind, expr = items
        return (str(kind), expr, self._loc(kind))

    @v_args(meta=True)
    def expect(self, meta, items):
        loc = self._loc(meta)
        words = [t for t in items if t.type == "EWORD"]
        text_tok = next((t for t in items if t.type == "STRING"), None)
        return _expect(words, text_tok, loc, self)

    def start(self, items):
        return items


def _expect(words: list[Token], text_tok: Token | None, loc: Loc, tr: _ToAst) -> ast.Expect:
    source = " ".join(str(w) for w in words) + (f" {text_tok}" if text_tok else "")
    first = str(words[0])
    if len(words) == 1 and first in OBSERVATIONS and text_tok is None:
        return ast.Expect(first, None, None, source, loc)
    quant = "some"
    rest = words
    if first in ("no", "always") and len(words) > 1:
        quant, rest = first, words[1:]
    if len(rest) != 1:
        raise HbError(
            f"expected 'expect [no|always] FINDING', got 'expect {source}'",
            tr._loc(rest[1] if len(rest) > 1 else words[0]),
        )
    finding = str(rest[0])
    if finding not in EXPECTABLE:
        known = ", ".join(OBSERVATIONS + EXPECTABLE)
        raise HbError(f"unknown expectation '{finding}' (known: {known})", tr._loc(rest[0]))
    text = None
    if text_tok is not None:
        if finding != "panic":
            raise HbError(f"only 'panic' takes a text, not '{finding}'", tr._loc(text_tok))
        text = _unquote(text_tok, tr._loc(text_tok))
    return ast.Expect(quant, finding, text, source, loc)


def _target(tok: Token | None) -> str | None:
    if tok is None or str(tok) == "_":
        return None
    return str(tok)


# Integers are Go's int on 64-bit platforms: int64. A literal is at most
# 2**63 - 1, or 2**63 right after a minus sign.
INT_MIN_MAGNITUDE = 2**63


def _int(tok: Token, loc: Loc) -> int:
    digits = str(tok)
    if len(digits.lstrip("0")) > 19 or int(digits) > INT_MIN_MAGNITUDE:
        raise HbError(f"constant {show_digits(digits)} overflows int (int64)", loc)
    return int(digits)


def show_digits(digits: str) -> str:
    """A long run of digits, shortened for a message."""
    return digits if len(digits) <= 30 else f"{digits[:12]}...{digits[-6:]} ({len(digits)} digits)"


# Go's escapes in a string literal; a \x or octal byte must be ASCII (the
# texts are Unicode strings, a byte past 0x7f would not be Go's byte)
_ESCAPE = re.compile(r"\\(?:([abfnrtv\\\"])|x([0-9A-Fa-f]{2})|([0-7]{3})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.?))")
_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\", '"': '"'}


def _unquote(tok: Token, loc: Loc | None = None) -> str:
    """A string literal's text, with Go's escapes; any other is an error at its column."""
    body = str(tok)[1:-1]

    def one(m: re.Match) -> str:
        simple, hex2, octal, u4, u8, bad = m.groups()
        if simple is not None:
            return _SIMPLE[simple]
        where = None if loc is None else Loc(loc.file, loc.line, loc.col + 1 + m.start())
        if bad is not None:
            raise HbError(f"unknown escape sequence {m.group(0)}", where)
        code = int(hex2 or octal or u4 or u8, 16 if (hex2 or u4 or u8) else 8)
        if (hex2 or octal) and code > 0x7F:
            raise HbError(f"escape sequence {m.group(0)} is a byte past ASCII: write the character", where)
        if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
            raise HbError(f"escape sequence {m.group(0)} is an invalid Unicode code point", where)
        return chr(code)

    return _ESCAPE.sub(one, body) if "\\" in body else body


def _main_goroutine(decl: ast.Decl) -> ast.Decl:
    """``func main() { ... }``, as Go writes it, is the main goroutine (``go main { ... }``)."""
    if not (isinstance(decl, ast.FuncDecl) and decl.name == "main" and decl.go_sig):
        return decl
    if decl.params or decl.result is not None or decl.frame is not None:
        raise HbError("func main must have no arguments and no return values (nor a frame size)", decl.loc)
    return ast.GoDecl("main", decl.body, decl.loc)


def _assemble(file: str, source: str, items: list, first: Loc) -> ast.Test:
    name_tok = items[0]
    description = None
    decls: list[ast.Decl] = []
    condition = None
    expects: list[ast.Expect] = []
    go_version: tuple[int, int] | None = None
    for index, item in enumerate(items[1:]):
        if isinstance(item, ast.Description):
            if index != 0:
                raise HbError("the description string must directly follow the 'litmus' line", item.loc)
            description = item.text
        elif isinstance(item, ast.VarDecl | ast.FuncDecl | ast.GoDecl):
            if condition is not None or expects:
                raise HbError("declarations must come before the condition and the expect lines", item.loc)
            decls.append(_main_goroutine(item))
        elif isinstance(item, tuple) and item[0] == "go":
            _, version, loc = item
            if go_version is not None:
                raise HbError("a test declares its Go version once", loc)
            if decls or condition is not None or expects:
                raise HbError("the Go version ('go 1.N') comes before the declarations", loc)
            go_version = version
        elif isinstance(item, tuple):
            kind, expr, loc = item
            if condition is not None:
                raise HbError("a test has at most one condition", loc)
            if expects:
                raise HbError("the condition must come before the expect lines", loc)
            text = source.splitlines()[loc.line - 1][loc.col - 1 :].split("//")[0].strip()
            if expr.loc.line != loc.line:
                text = f"{kind} (...)"
            condition = ast.Condition(kind, expr, text, loc)
        else:
            expects.append(item)
    return ast.Test(str(name_tok), description, tuple(decls), condition, tuple(expects), file, source, go_version)


def parse(source: str, file: str = "<input>") -> ast.Test:
    """Parse one .lit text; raise ``HbError`` with a position on bad input."""
    try:
        tree = _parser().parse(source)
    except UnexpectedInput as exc:
        raise _syntax_error(exc, file, source) from None
    check_tree(tree, file, source)  # a block or a parenthesis is two levels of lark's tree
    try:
        items = _ToAst(file).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, HbError):
            err = exc.orig_exc
            raise HbError(err.message, err.loc, source) from None
        raise
    except HbError as err:  # pragma: no cover - raised inside callbacks arrive wrapped
        raise HbError(err.message, err.loc, source) from None
    check_ast(items, source)
    try:
        return desugar(lift(_assemble(file, source, items, Loc(file, 1, 1))))
    except HbError as err:
        raise HbError(err.message, err.loc, source) from None


def _syntax_error(exc: UnexpectedInput, file: str, source: str) -> HbError:
    loc = Loc(file, exc.line if exc.line > 0 else 1, exc.column if exc.column > 0 else 1)
    if isinstance(exc, UnexpectedCharacters):
        char = source[exc.pos_in_stream] if exc.pos_in_stream < len(source) else "?"
        message = f"unexpected character '{char}'"
    elif isinstance(exc, UnexpectedEOF):
        message = "unexpected end of file"
    elif isinstance(exc, UnexpectedToken):
        tok = exc.token
        shown = "end of file" if tok.type == "$END" else ("end of line" if tok.type == "_SEP" else f"'{tok}'")
        expected = sorted({_describe(t) for t in exc.expected if not t.startswith("__")})
        if tok.type == "$END":
            lines = source.splitlines() or [""]
            loc = Loc(file, len(lines), len(lines[-1]) + 1)
        message = f"unexpected {shown}"
        if expected and len(expected) <= 6:
            message += f"; expected {', '.join(expected)}"
        wordlike = tok.type in ("NAME", "TESTNAME", "_SEP", "$END")
        if wordlike and {"LPAR", "DOT", "COMMA"} <= set(exc.expected):
            # a statement that starts with a name the grammar cannot continue: `return`, `switch x`
            line_text = source.splitlines()[loc.line - 1] if tok.type != "$END" else ""
            m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)\s*$", line_text[: loc.col - 1])
            if m:
                loc = Loc(file, loc.line, m.start(1) + 1)
                message = f"unknown statement '{m.group(1)}'"
        elif tok.type in ("NAME", "TESTNAME") and "_SEP" in exc.expected:
            message = f"unexpected '{tok}': a newline or ';' must end the statement before it"
    else:  # pragma: no cover - lark raises only the kinds above
        message = str(exc)
    return HbError(f"syntax error: {message}", loc, source)


def parse_file(path: str | Path) -> ast.Test:
    """Read and parse a .lit file (an unreadable file is an ``HbError``)."""
    return parse(read_source(Path(path), "a test"), str(path))


def load(path: str | Path):
    """Parse and check a .lit file: the language stage in one call."""
    from hbcheck.language.check import check

    return check(parse_file(path))


__all__ = ["OBSERVATIONS", "Tree", "load", "parse", "parse_file"]
