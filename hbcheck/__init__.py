"""hbcheck: a memory-model checker for Go-style concurrency."""

__version__ = "0.1.0"
