"""Models stage: memory models as cat files, and their interpreter."""

from hbcheck.models.cat import Model, load_model
from hbcheck.models.interp import Verdict, evaluate

__all__ = ["Model", "Verdict", "evaluate", "load_model"]
