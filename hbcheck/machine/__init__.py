"""Machine stage: the executable reference semantics (docs/architecture.md)."""

from hbcheck.machine.config import MachineConfig
from hbcheck.machine.events import Event
from hbcheck.machine.machine import Choice, Machine
from hbcheck.machine.state import State

__all__ = ["Choice", "Event", "Machine", "MachineConfig", "State"]
