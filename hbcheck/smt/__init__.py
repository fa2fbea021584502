"""Solver stage: the program unrolled into z3 constraints, the model compiled
over symbolic relations (docs/engines.md). Exact for racy programs."""
