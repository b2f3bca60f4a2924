"""Seeing a graph: DOT text (``dot``), rendering it (``render``), ``draw`` and ``explain``."""

from .dot import GraphTooLargeError, to_dot
from .draw import Graph, draw
from .explain import Explanation, explain

__all__ = ["Explanation", "Graph", "GraphTooLargeError", "draw", "explain", "to_dot"]
