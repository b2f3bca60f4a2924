"""Seeing a graph: DOT text (``dot``), rendering it (``render``), ``draw``, ``explain`` and
the step-by-step page ``walkthrough``; and the graph as a SymPy formula (``to_sympy``)."""

from .dot import GraphTooLargeError, to_dot
from .draw import Graph, draw
from .explain import Explanation, explain
from .symbolic import to_sympy
from .walkthrough import Walkthrough, walkthrough

__all__ = [
    "Explanation",
    "Graph",
    "GraphTooLargeError",
    "Walkthrough",
    "draw",
    "explain",
    "to_dot",
    "to_sympy",
    "walkthrough",
]
