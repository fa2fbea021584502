"""Solver stage: the program unrolled into z3 constraints, the model compiled
over symbolic relations (DESIGN.md §6). Exact for racy programs."""
