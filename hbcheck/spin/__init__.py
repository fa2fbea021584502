"""SPIN backend: a test as a Promela model, for cross-checks and benchmarks."""
