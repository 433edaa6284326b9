"""The mod: its variables, controls, queries and benchmarks, loaded from plain files."""

from rootwatch.mod.loader import find_mod_location, load_mod
from rootwatch.mod.model import Benchmark, Control, ControlNode, Mod, Query, Variable

__all__ = [
    "Benchmark",
    "Control",
    "ControlNode",
    "Mod",
    "Query",
    "Variable",
    "find_mod_location",
    "load_mod",
]
