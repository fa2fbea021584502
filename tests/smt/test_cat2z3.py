"""The cat model compiled to z3: the clock-carried closure of ``hb`` must
be exactly Warshall's in every execution that keeps it acyclic."""

from __future__ import annotations

import z3
from hypothesis import given, settings
from hypothesis import strategies as st

from hbcheck.models.cat import Check, Let, Model, Op, Var
from hbcheck.smt.cat2z3 import Compiler, and2

LOC = None
# let hb = (po | chan-send)+  acyclic hb
HB_MODEL = Model(
    "hb",
    "",
    (
        Let((("hb", Op("+", (Op("|", (Var("po", LOC), Var("chan-send", LOC)), LOC),), LOC), LOC),), False, LOC),
        Check("acyclic", False, False, Var("hb", LOC), "causality", LOC),
    ),
    "",
)


@st.composite
def executions(draw):
    """Goroutines of 1-5 events (some conditional), 0-2 initial writes before
    everything, and guarded cross edges in any direction, cycles included."""
    lengths = draw(st.lists(st.integers(1, 5), min_size=1, max_size=4))
    inits = draw(st.integers(0, 2))
    n = inits + sum(lengths)
    chains, at = [], inits
    for k in lengths:
        chains.append(list(range(at, at + k)))
        at += k
    conditional = draw(st.sets(st.integers(inits, n - 1)))
    edges = draw(st.lists(st.tuples(st.integers(inits, n - 1), st.integers(inits, n - 1)), max_size=12))
    return n, inits, chains, conditional, edges


@settings(max_examples=300, deadline=None, derandomize=True)
@given(executions())
def test_clocked_hb_is_warshalls_closure(x):
    n, inits, chains, conditional, edges = x
    act = {e: z3.Bool(f"act{e}") if e in conditional else z3.BoolVal(True) for e in range(n)}
    po = {}
    for chain in chains:
        for i, a in enumerate(chain):
            for b in chain[i + 1 :]:
                po[(a, b)] = and2(act[a], act[b])
    for i in range(inits):
        for e in range(inits, n):
            po[(i, e)] = act[e]
    sync = {}
    for k, (a, b) in enumerate(edges):
        sync[(a, b)] = z3.And(z3.Bool(f"edge{k}"), act[a], act[b])
    base = {"po": po, "chan-send": sync, "_": act}
    clocked = Compiler(base, n, chains)
    clocked.compile(HB_MODEL)
    plain = Compiler(base, n)
    plain.compile(HB_MODEL)
    hb, reference = clocked.env["hb"], plain.env["hb"]
    chain_of = {e: c for c, chain in enumerate(chains) for e in chain}
    if any(chain_of[a] != chain_of[b] for a, b in edges):  # clocks, not Warshall, carried them
        assert any(str(c).startswith("clk") for c in clocked.constraints)
    s = z3.Solver()
    s.add(*clocked.constraints, *plain.constraints)
    false = z3.BoolVal(False)
    keys = set(hb) | set(reference)
    s.add(z3.Or([hb.get(k, false) != reference.get(k, false) for k in keys] or [false]))
    assert s.check() == z3.unsat, [k for k in keys if s.model().eval(hb.get(k, false) != reference.get(k, false))]
