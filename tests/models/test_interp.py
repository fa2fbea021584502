"""The cat interpreter's bit-matrix algebra against its definitions on pairs,
and its closure against networkx's, on random relations (with cycles and
without, forward-only as an interleaving's, and not)."""

from __future__ import annotations

import networkx as nx
from hypothesis import given
from hypothesis import strategies as st

from hbcheck.hb.relations import pairs_of, rows_of
from hbcheck.models.interp import DiagV, closure, compose, transpose

N = 9
pairs = st.frozensets(st.tuples(st.integers(0, N - 1), st.integers(0, N - 1)), max_size=30)


def _forward(p: frozenset) -> frozenset:
    return frozenset((a, b) for a, b in p if a < b)


@given(pairs, st.booleans())
def test_closure_is_networkx_transitive_closure(p, forward):
    p = _forward(p) if forward else p
    graph = nx.DiGraph()
    graph.add_nodes_from(range(N))
    graph.add_edges_from(p)
    expected = set(nx.transitive_closure(graph, reflexive=False).edges)
    assert pairs_of(tuple(closure(rows_of(p, N)))) == expected


@given(pairs, pairs, st.frozensets(st.integers(0, N - 1)))
def test_compose_and_transpose_follow_their_definitions(p, q, s):
    r, t = rows_of(p, N), rows_of(q, N)
    assert pairs_of(tuple(compose(r, t))) == {(a, c) for a, b in p for b2, c in q if b == b2}
    assert pairs_of(tuple(transpose(r))) == {(b, a) for a, b in p}
    diag = DiagV(rows_of({(i, i) for i in s}, N))
    assert pairs_of(tuple(compose(r, diag))) == {(a, b) for a, b in p if b in s}
    assert pairs_of(tuple(compose(diag, r))) == {(a, b) for a, b in p if a in s}
