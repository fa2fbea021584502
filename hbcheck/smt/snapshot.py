"""Every value the engine reads from one z3 model, by one evaluation.

Enumerating executions reads hundreds of terms from each model (which events
happen, each relation's pairs, times, values, the choices to block), and a
``model.eval`` per term costs more through the Python API than z3's check
itself. The terms are packed once into a single bit-vector (a bit per
Boolean, 64 bits per integer or value), so each model costs one evaluation
and some shifts. A term never registered is evaluated on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

import z3


class Reader:
    def __init__(self, terms: Iterable[z3.ExprRef]):
        # by the Python object (the engine reads the very terms it registered; kept
        # alive in ``self.terms``, so no other object can take their ids)
        self.terms = list(terms)
        self.layout: dict[int, tuple[int, int, str]] = {}  # id(term) -> (offset, width, kind)
        parts: list[z3.BitVecRef] = []
        offset = 0
        placed: dict[int, tuple[int, int, str]] = {}  # z3's term id -> its place
        for t in reversed(self.terms):  # Concat puts its first argument highest
            key = t.get_id()
            if key in placed:
                self.layout[id(t)] = placed[key]
                continue
            if z3.is_bool(t):
                part, kind = z3.If(t, z3.BitVecVal(1, 1), z3.BitVecVal(0, 1)), "bool"
            elif z3.is_bv(t):
                part, kind = t, "bv"
            elif z3.is_int(t):
                part, kind = z3.Int2BV(t, 64), "int"
            else:  # pragma: no cover - the engine reads Booleans, integers and bit-vectors only
                continue
            width = part.size()
            self.layout[id(t)] = placed[key] = (offset, width, kind)
            parts.append(part)
            offset += width
        parts.reverse()
        self.packed = z3.Concat(*parts) if len(parts) > 1 else parts[0] if parts else None

    def read(self, m: z3.ModelRef) -> Snapshot:
        # through binary digits: a decimal string of thousands of digits passes
        # Python's int/str conversion limit (a goroutine with 223 registers does)
        bits = 0 if self.packed is None else int(m.eval(self.packed, model_completion=True).as_binary_string(), 2)
        return Snapshot(m, self.layout, bits)


class Snapshot:
    """One model's values: ``true`` for Booleans, ``num`` for integers and
    bit-vectors (signed), ``value`` for the z3 constant (blocking clauses)."""

    def __init__(self, m: z3.ModelRef, layout: dict[int, tuple[int, int, str]], bits: int):
        self.m, self.layout, self.bits = m, layout, bits

    def _raw(self, t: z3.ExprRef) -> int | None:
        where = self.layout.get(id(t))
        if where is None:
            return None
        offset, width, _kind = where
        v = (self.bits >> offset) & ((1 << width) - 1)
        return v - (1 << width) if width > 1 and v >> (width - 1) else v

    def true(self, b: z3.BoolRef) -> bool:
        v = self._raw(b)
        if v is None:
            return z3.is_true(self.m.eval(b, model_completion=True))
        return v == 1

    def num(self, t: z3.ExprRef) -> int:
        v = self._raw(t)
        if v is not None:
            return v
        got = self.m.eval(t, model_completion=True)
        return got.as_signed_long() if z3.is_bv(got) else got.as_long()

    def value(self, t: z3.ExprRef) -> z3.ExprRef:
        if self._raw(t) is None:
            return self.m.eval(t, model_completion=True)
        if z3.is_bool(t):
            return z3.BoolVal(self.true(t))
        if z3.is_bv(t):
            return z3.BitVecVal(self.num(t), t.size())
        return z3.IntVal(self.num(t))

    def other_than(self, terms: list[z3.ExprRef]) -> z3.BoolRef:
        """Some term takes another value (a blocking clause), built through the
        C API: thousands of models each block a few hundred choices."""
        if not terms:
            return z3.BoolVal(False)
        ctx = terms[0].ctx
        ref = ctx.ref()
        lits = []  # each wrapped, so z3 counts a reference to it until the Or holds one
        for t in terms:
            if z3.is_bool(t):
                lits.append(z3.BoolRef(z3.Z3_mk_not(ref, t.as_ast()), ctx) if self.true(t) else t)
            else:
                same = z3.BoolRef(z3.Z3_mk_eq(ref, t.as_ast(), self.value(t).as_ast()), ctx)
                lits.append(z3.BoolRef(z3.Z3_mk_not(ref, same.as_ast()), ctx))
        args = (z3.Ast * len(lits))(*[lit.as_ast() for lit in lits])
        return z3.BoolRef(z3.Z3_mk_or(ref, len(lits), args), ctx)


def snapshot(m: z3.ModelRef) -> Snapshot:
    """A model read term by term (nothing registered): for one-off reads."""
    return Snapshot(m, {}, 0)
