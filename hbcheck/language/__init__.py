"""Language stage: .lit text to a checked program."""

from hbcheck.language.check import Program, check
from hbcheck.language.parser import load, parse, parse_file

__all__ = ["Program", "check", "load", "parse", "parse_file"]
