"""The machine's bounds and the runtime constants it follows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MachineConfig:
    """Defaults follow linux/amd64 Go (runtime/stack.go): 2 KiB initial
    stacks, a 928-byte guard, a 1e9-byte maximum; 64-byte frames unless a
    function declares ``frame N``."""

    unroll: int = 8
    initial_stack: int = 2048
    stack_guard: int = 928
    max_stack: int = 1_000_000_000
    default_frame: int = 64
    max_local_steps: int = 1_000_000
