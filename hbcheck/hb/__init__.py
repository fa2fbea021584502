"""Happens-before stage: an execution's base relations and its graph.

Which edges make up happens-before is the memory model's business
(``models/*.cat``); this stage only names the edges the Go memory model
talks about (docs/models.md) so that a model can combine them.
"""

from hbcheck.hb.graph import EDGE_KINDS, execution_graph
from hbcheck.hb.relations import BASE_RELATIONS, BASE_SETS, base_relations, event_sets, send_sites

__all__ = ["BASE_RELATIONS", "BASE_SETS", "EDGE_KINDS", "base_relations", "event_sets", "execution_graph", "send_sites"]
