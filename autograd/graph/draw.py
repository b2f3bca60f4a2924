"""``draw``: a computation graph as a picture that shows itself in Jupyter and saves to a file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .._files import write_atomic
from ..value import Value
from .dot import to_dot
from .render import render

__all__ = ["Graph", "draw"]

_SUFFIXES = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}


class Graph:
    """A drawn graph: DOT source, rendered to SVG or PNG on first use.

    Args:
        source: the DOT text (see ``to_dot``).

    Attributes:
        source: the DOT text.

    Example:
        >>> g = Graph("digraph { a -> b }")
        >>> g.source
        'digraph { a -> b }'
    """

    def __init__(self, source: str) -> None:
        if not isinstance(source, str):
            raise TypeError(f"Graph: source must be DOT text (str), got {type(source).__name__}")
        self.source = source
        self._svg: str | None = None

    @property
    def svg(self) -> str:
        """The SVG text (rendered once, then cached)."""
        if self._svg is None:
            self._svg = render(self.source, "svg", what="draw").decode("utf-8")
        return self._svg

    def _repr_svg_(self) -> str:
        # Jupyter calls this to show the graph inline.
        return self.svg

    def __repr__(self) -> str:
        return f"<Graph: {self.source.count(' -> ')} edges; .svg, .source, .save(path)>"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the graph to ``path``; the suffix picks the format (.svg, .png, .dot).

        The file is written to a temporary name in the same folder and then renamed, so a
        failure never leaves a half-written file or clobbers an existing one.

        Args:
            path: where to write; ``.svg``, ``.png``, ``.dot`` or ``.gv``.

        Returns:
            The path written.

        Example:
            >>> import tempfile, pathlib
            >>> folder = pathlib.Path(tempfile.mkdtemp())
            >>> Graph("digraph { a -> b }").save(folder / "g.dot").read_text()
            'digraph { a -> b }'
        """
        path = Path(path)
        fmt = _SUFFIXES.get(path.suffix.lower())
        if fmt is None:
            raise ValueError(
                f"Graph.save: cannot tell the format from {path.name!r}; "
                f"use a name ending in {', '.join(_SUFFIXES)}"
            )
        if fmt == "dot":
            data = self.source.encode("utf-8")
        elif fmt == "svg":
            data = self.svg.encode("utf-8")
        else:
            data = render(self.source, fmt, what="Graph.save")
        write_atomic(path, data)
        return path


def draw(root: Value, **options: Any) -> Graph:
    """Draw the graph that computed ``root``.

    Takes the same keyword options as ``to_dot`` (``params``, ``rankdir``, ``show_grad``,
    ``digits``, ``grad_colors``, ``depth``, ``max_nodes``, ``cluster``, ``collapse``). The
    DOT text is made at once (so a too-large graph fails here); the SVG is rendered when
    first asked for, by Graphviz's ``dot`` or else by ``graphviz-pure``.

    Args:
        root: the output to draw.
        **options: see ``to_dot``.

    Returns:
        A ``Graph``: shows inline in Jupyter, has ``.svg``, ``.source`` and ``.save(path)``.

    Example:
        >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
        >>> loss = a * b + a
        >>> loss.backward()
        >>> g = draw(loss, rankdir="TB")
        >>> g.source.count("class=\\"op\\"")
        2
    """
    return Graph(to_dot(root, **options))
