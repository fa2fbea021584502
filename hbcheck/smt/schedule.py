"""From a z3 execution to a schedule the reference machine can run.

An execution is SC-realisable when program order, reads-from, the write
orders, from-reads and the critical-section order have no cycle; then any
linear extension of them is an interleaving that produces it. The machine
replays that interleaving and must reach the same values, which checks the
symbolic encoding against the machine on every such execution rather than
trusting it. Executions with a cycle are the weak ones (racy programs under
a non-SC model): they have no schedule.
"""

from __future__ import annotations

import itertools

import networkx as nx
import z3

from hbcheck.language.check import Program
from hbcheck.machine import Machine, MachineConfig
from hbcheck.machine.machine import Choice
from hbcheck.smt.unfold import SEvent


class WitnessMismatch(Exception):
    """The machine, replaying a z3 execution's schedule, saw something else."""


def sc_order(
    m: z3.ModelRef, events: list[SEvent], relations: list[dict[tuple[int, int], z3.BoolRef]]
) -> list[SEvent] | None:
    """The active events in an order extending every relation, or None if they have a cycle."""

    def holds(b: z3.BoolRef) -> bool:
        return z3.is_true(m.eval(b, model_completion=True))

    active = {e.id: e for e in events if e.kind not in ("IW", "ST") and holds(e.act)}
    # an RMW is one step: its write half is the node of its read half
    node = {i: (e.rmw_of if e.rmw_of is not None else i) for i, e in active.items()}
    graph = nx.DiGraph()
    graph.add_nodes_from(set(node.values()))
    by_g: dict[str, list[int]] = {}
    for e in active.values():
        by_g.setdefault(e.g, []).append(node[e.id])
    for ids in by_g.values():
        graph.add_edges_from((a, b) for a, b in itertools.pairwise(ids) if a != b)
    # the total order of synchronising events, where it matters: per object, save two atomic loads
    by_obj: dict[str, list[tuple[int, int]]] = {}
    for i, e in active.items():
        if e.time is not None:
            by_obj.setdefault(e.loc, []).append((m.eval(e.time, model_completion=True).as_long(), i))
    for timed in by_obj.values():
        for (ta, a), (tb, b) in itertools.combinations(sorted(timed), 2):
            pure_reads = active[a].kind == active[b].kind == "A" and not active[a].writes and not active[b].writes
            if ta < tb and node[a] != node[b] and not pure_reads:
                graph.add_edge(node[a], node[b])
    for rel in relations:
        for (a, b), cond in rel.items():
            if a in active and b in active and node[a] != node[b] and holds(cond):
                graph.add_edge(node[a], node[b])
    if not nx.is_directed_acyclic_graph(graph):
        return None
    return [active[i] for i in nx.lexicographical_topological_sort(graph)]


def replay(
    program: Program, unroll: int, order: list[SEvent], m: z3.ModelRef, regs: dict[str, dict[str, z3.BitVecRef]]
) -> list[str]:
    """Run ``order`` (one machine step per event, an RMW's two halves one
    step) and compare each value read and every final register with the z3
    execution. Returns the schedule; raises ``WitnessMismatch``."""

    def value(b: z3.BitVecRef) -> int:
        return m.eval(b, model_completion=True).as_signed_long()

    machine = Machine(program, MachineConfig(unroll=unroll))
    st = machine.initial()
    schedule: list[str] = []
    for e in order:
        if Choice(e.g) not in machine.enabled(st):
            raise WitnessMismatch(f"step {len(schedule) + 1} ({e.g}, line {e.line}) is not enabled on the machine")
        before = len(st.events)
        st = machine.step(st, Choice(e.g))
        schedule.append(e.g)
        if e.kind == "R":
            seen = next((x.value for x in st.events[before:] if x.kind == "R"), None)
            if seen is None:
                raise WitnessMismatch(f"{e.g} line {e.line} reads in z3, but its machine step is no read")
            if seen != value(e.val):
                raise WitnessMismatch(f"{e.g} line {e.line} reads {seen} on the machine, {value(e.val)} in z3")
    if machine.enabled(st):
        raise WitnessMismatch(f"the machine can still run {machine.enabled(st)} after the z3 execution's last step")
    for g, gregs in regs.items():
        got = st.gs[g].user_regs()
        for reg, v in gregs.items():
            if got.get(reg, 0) != value(v):
                raise WitnessMismatch(f"{g}:{reg} is {got.get(reg, 0)} on the machine, {value(v)} in z3")
    return schedule
