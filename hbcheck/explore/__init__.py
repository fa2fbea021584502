"""Exploration stage: every execution of the machine, one per class."""

from hbcheck.explore.execution import Execution, Finding
from hbcheck.explore.explorer import Exploration, ExploreConfig, explore

__all__ = ["Execution", "Exploration", "ExploreConfig", "Finding", "explore"]
