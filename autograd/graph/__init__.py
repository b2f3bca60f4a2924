"""Seeing a graph: DOT text (``dot``), rendering it (``render``), ``draw``, ``explain`` and
the step-by-step page ``walkthrough``."""

from .dot import GraphTooLargeError, to_dot
from .draw import Graph, draw
from .explain import Explanation, explain
from .walkthrough import Walkthrough, walkthrough

__all__ = [
    "Explanation",
    "Graph",
    "GraphTooLargeError",
    "Walkthrough",
    "draw",
    "explain",
    "to_dot",
    "walkthrough",
]
