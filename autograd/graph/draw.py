"""``draw``: a computation graph as a picture that shows itself in Jupyter and saves to a file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, overload

from .._files import write_atomic
from ..value import Value
from .dot import to_dot
from .render import layout, render

__all__ = ["Graph", "draw"]

_SUFFIXES = {".svg": "svg", ".png": "png", ".dot": "dot", ".gv": "dot"}

# What Graph.render saves the DOT text as when no filename is given (graphviz.Source would
# say "Source.gv").
DEFAULT_FILENAME = "Graph.gv"

NO_PACKAGE = "{what} needs the graphviz Python package: pip install 'chainrule[viz]'"


def _graphviz_package(what: str) -> Any:
    """The ``graphviz`` module, or an ImportError that names the extra to install."""
    try:
        import graphviz  # type: ignore[import-untyped]  # graphviz ships no type information
    except ImportError:
        raise ImportError(NO_PACKAGE.format(what=what)) from None
    return graphviz


def _through_package() -> bool:
    """Whether pictures go through the graphviz package: it needs Graphviz's own ``dot``."""
    if shutil.which("dot") is None:
        return False
    try:
        _graphviz_package("draw")
    except ImportError:
        return False
    return True


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

    @property
    def graphviz(self) -> Any:
        """The DOT text as a ``graphviz.Source`` (format svg), for graphviz's own API.

        Its methods run Graphviz's ``dot`` directly, without ``autograd.render.TIMEOUT``;
        ``Graph.render``, ``.pipe`` and ``.view`` stop a layout that takes longer.

        Raises:
            ImportError: the graphviz package is not installed (the message names the extra).

        Example:
            >>> source = Graph("digraph { a -> b }").graphviz
            >>> type(source).__name__, source.format, source.source.strip()
            ('Source', 'svg', 'digraph { a -> b }')
        """
        package = _graphviz_package("Graph.graphviz")
        return package.Source(self.source, filename=DEFAULT_FILENAME, format="svg")

    def _picture(self, format: str, what: str, quiet: bool = False) -> bytes:
        """The picture in ``format``: through the graphviz package when ``dot`` is here."""
        if not _through_package():
            return render(self.source, format, what=what)
        # graphviz.Source cannot stop a slow layout, so the layout is done first, by dot under
        # autograd.render.TIMEOUT; the package then draws the laid-out graph without laying it
        # out again (neato -n2, Graphviz's mode for graphs that carry their positions).
        laid_out = layout(self.source, what=what)
        source = _graphviz_package(what).Source(laid_out, engine="neato")
        picture: bytes = source.pipe(format=format, neato_no_op=2, quiet=quiet)
        return picture

    @overload
    def pipe(
        self, format: str | None = None, quiet: bool = False, *, encoding: None = None
    ) -> bytes: ...
    @overload
    def pipe(self, format: str | None = None, quiet: bool = False, *, encoding: str) -> str: ...
    def pipe(
        self, format: str | None = None, quiet: bool = False, *, encoding: str | None = None
    ) -> bytes | str:
        """The picture, as ``graphviz.Source.pipe`` gives it: bytes, or text with ``encoding``.

        Goes through the graphviz package when Graphviz's ``dot`` is on PATH (any format
        Graphviz knows), else through ``graphviz-pure`` ("svg" or "png").

        Args:
            format: "svg" (the default), "png", or with ``dot`` "pdf" and the rest.
            quiet: do not show Graphviz's warnings.
            encoding: decode the bytes with this, e.g. "utf-8".

        Returns:
            The picture's bytes, or its text when ``encoding`` is given.

        Example:
            >>> svg = Graph("digraph { a -> b }").pipe(format="svg", encoding="utf-8")
            >>> "<svg" in svg and "</svg>" in svg
            True
        """
        picture = self._picture(format or "svg", "Graph.pipe", quiet)
        return picture if encoding is None else picture.decode(encoding)

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
    ) -> str:
        """Save the DOT text and the picture, as ``graphviz.Source.render`` does.

        ``render("out", format="svg")`` writes the DOT text to ``out`` and the picture to
        ``out.svg``; with ``outfile="out.png"`` the DOT text goes to ``out.gv``. Each file is
        written to a temporary name and renamed (see ``save``); missing folders are made.

        Args:
            filename: the DOT file's name (default "Graph.gv").
            directory: the folder for both files.
            view: open the picture afterwards (see ``view``).
            cleanup: keep no DOT file, only the picture.
            format: "svg" (the default), "png", or with ``dot`` any Graphviz format; taken
                from ``outfile``'s suffix when that is given.
            quiet: do not show Graphviz's warnings.
            quiet_view: do not show the viewer's error output (implies ``view``).
            outfile: the picture's path, instead of ``filename`` + "." + ``format``.

        Returns:
            The picture's path.

        Example:
            >>> import os, tempfile
            >>> folder = tempfile.mkdtemp()
            >>> path = Graph("digraph { a -> b }").render("out", folder, format="svg")
            >>> os.path.basename(path), sorted(os.listdir(folder))
            ('out.svg', ['out', 'out.svg'])
        """
        if outfile is not None:
            picture_path = Path(outfile)
            format = format or picture_path.suffix.lstrip(".").lower() or "svg"
            dot_path = Path(directory or "", filename or picture_path.with_suffix(".gv"))
        else:
            format = format or "svg"
            dot_path = Path(directory or "", filename or DEFAULT_FILENAME)
            picture_path = Path(f"{dot_path}.{format}")
        if picture_path.resolve() == dot_path.resolve():
            raise ValueError(f"Graph.render: {os.fspath(picture_path)!r} would be both files")
        picture = self._picture(format, "Graph.render", quiet)
        for folder in {dot_path.parent, picture_path.parent}:  # as graphviz does
            folder.mkdir(parents=True, exist_ok=True)
        if not cleanup:
            write_atomic(dot_path, self.source.encode("utf-8"))
        write_atomic(picture_path, picture)
        if view or quiet_view:
            _open(os.fspath(picture_path), quiet_view)
        return os.fspath(picture_path)

    def view(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        cleanup: bool = False,
        quiet: bool = False,
        quiet_view: bool = False,
    ) -> str:
        """Render to SVG (see ``render``) and open the picture in the system's viewer.

        Opening goes through the graphviz package (``xdg-open`` on Linux, ``open`` on
        macOS, the file's program on Windows), whichever program drew it.

        Returns:
            The picture's path.

        Raises:
            ImportError: the graphviz package is not installed (the message names the extra).
            RuntimeError: no viewer could be started (the message says what to install).
        """
        _graphviz_package("Graph.view")  # before drawing: say what is missing at once
        path = self.render(filename, directory, cleanup=cleanup, quiet=quiet)
        _open(path, quiet_view)
        return path

    def _repr_svg_(self) -> str:
        # Jupyter calls this to show the graph inline.
        return self.svg

    def _repr_html_(self) -> str:
        # For front ends that show HTML rather than SVG: the same picture, inline, without the
        # XML declaration and doctype that belong to a standalone file.
        svg = self.svg
        return svg[svg.find("<svg") :]

    def __repr__(self) -> str:
        edges = self.source.count(" -> ")
        return f"<Graph: {edges} edges; .svg, .source, .save(path), .render(), .pipe(), .view()>"

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
        A ``Graph``: shows inline in Jupyter, has ``.svg``, ``.source``, ``.save(path)``,
        graphviz's ``.render(...)``, ``.pipe(...)`` and ``.view()``, and ``.graphviz`` (the
        ``graphviz.Source``).

    Example:
        >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
        >>> loss = a * b + a
        >>> loss.backward()
        >>> g = draw(loss, rankdir="TB")
        >>> g.source.count("class=\\"op\\"")
        2
    """
    return Graph(to_dot(root, **options))


def _open(path: str, quiet: bool) -> None:
    """Open ``path`` in the system's viewer through the graphviz package, or say what is missing."""
    package = _graphviz_package("Graph.view")
    try:
        package.view(path, quiet=quiet)
    except (OSError, RuntimeError) as error:
        raise RuntimeError(
            f"Graph.view: could not start a viewer for {path} ({error}); install one (on Linux: "
            "apt install xdg-utils and an image viewer) or open the file yourself, it is written"
        ) from None
