"""An execution as a networkx DiGraph: events as nodes, edges by kind."""

from __future__ import annotations

from itertools import pairwise

import networkx as nx

from hbcheck.explore.execution import Execution
from hbcheck.hb.relations import sync_edges
from hbcheck.machine import events as ev
from hbcheck.names import HB_EDGES

EDGE_KINDS = ("po", *HB_EDGES)


def execution_graph(x: Execution, caps: dict[str, int]) -> nx.MultiDiGraph:
    """Nodes carry goroutine, kind, phase, object, value, ring slot and line;
    each edge a ``kind`` from ``EDGE_KINDS``, also its key: two events may be
    linked by several kinds (an atomic store and the load that reads it, by
    ``sc`` and ``rf``). ``po`` edges are immediate (the initial writes precede
    each top-level goroutine's start), so the graph stays drawable; a model's
    ``hb`` is a closure over these."""
    g = nx.MultiDiGraph()
    for e in x.events:
        g.add_node(
            e.id, g=e.g, kind=e.kind, phase=e.phase, obj=e.obj, value=e.value, slot=e.slot, line=e.line, label=e.label()
        )
    by_g: dict[str, list[int]] = {}
    for e in x.events:
        if e.kind != ev.INIT_WRITE:
            by_g.setdefault(e.g, []).append(e.id)
    inits = [e.id for e in x.events if e.kind == ev.INIT_WRITE]
    starts = [e.id for e in x.events if e.kind == ev.START and e.src is None]
    for ids in by_g.values():
        g.add_edges_from(((a, b, "po") for a, b in pairwise(ids)), kind="po")
    g.add_edges_from(((a, b, "po") for a, b in pairwise(inits)), kind="po")
    if inits:
        g.add_edges_from(((inits[-1], s, "po") for s in starts), kind="po")
    for kind, pairs in sync_edges(x, caps).items():
        g.add_edges_from(((a, b, kind) for a, b in pairs), kind=kind)
    return g


def edges_of(g: nx.MultiDiGraph, kind: str) -> set[tuple[int, int]]:
    return {(a, b) for a, b, k in g.edges(data="kind") if k == kind}
