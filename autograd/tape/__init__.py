"""Compiled tapes: ``trace`` records a graph once; ``codegen`` writes its float replay as
Python source; ``batched`` replays it over NumPy arrays."""

from .trace import Tape, trace

__all__ = ["Tape", "trace"]
