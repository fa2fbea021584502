"""A test's condition as a z3 term over the final values."""

from __future__ import annotations

import z3

from hbcheck.language import ast
from hbcheck.smt.cat2z3 import and_, or_
from hbcheck.smt.unfold import Unsupported


def condition_z3(e: ast.Expr, env: dict[str, z3.BitVecRef]) -> z3.BoolRef:
    """True where the condition holds (a division by zero makes it false)."""

    def val(x) -> z3.BitVecRef:
        match x:
            case ast.IntLit(value=v):
                return z3.BitVecVal(v, 64)
            case ast.ProcReg(proc=p, reg=r):
                return env[f"{p}:{r}"]
            case ast.Name(name=n):
                return env[n]
            case ast.Index(name=n, index=ast.IntLit(value=k)):  # an element: a location of its own
                return env[f"{n}[{k}]"]
            case ast.Unary(op="!", operand=o):
                return z3.If(val(o) == 0, z3.BitVecVal(1, 64), z3.BitVecVal(0, 64))
            case ast.Unary(op="-", operand=o):
                return -val(o)
            case ast.Binary(op=op, left=a, right=b):
                x1, y1 = val(a), val(b)
                if op in ("&&", "||"):
                    c = and_(x1 != 0, y1 != 0) if op == "&&" else or_(x1 != 0, y1 != 0)
                else:
                    c = {
                        "==": x1 == y1,
                        "!=": x1 != y1,
                        "<": x1 < y1,
                        "<=": x1 <= y1,
                        ">": x1 > y1,
                        ">=": x1 >= y1,
                    }.get(op)
                    if c is None:
                        return {"+": x1 + y1, "-": x1 - y1, "*": x1 * y1, "/": x1 / y1, "%": z3.SRem(x1, y1)}[op]
                return z3.If(c, z3.BitVecVal(1, 64), z3.BitVecVal(0, 64))
        raise Unsupported(f"condition {x!r}")

    def safe(x) -> z3.BoolRef:
        """No division by zero is evaluated (&& and || stop early, as in Go)."""
        match x:
            case ast.Unary(operand=o):
                return safe(o)
            case ast.Binary(op="&&" | "||" as op, left=a, right=b):
                decided = val(a) == 0 if op == "&&" else val(a) != 0
                return and_(safe(a), or_(decided, safe(b)))
            case ast.Binary(op="/" | "%", left=a, right=b):
                return and_(safe(a), safe(b), val(b) != 0)
            case ast.Binary(left=a, right=b):
                return and_(safe(a), safe(b))
        return z3.BoolVal(True)

    # a condition that divides by zero is false there (the explorer's rule: Go would panic)
    return and_(safe(e), val(e) != 0)
