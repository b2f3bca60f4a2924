"""Turning DOT text into SVG or PNG with a Graphviz program.

Graphviz's own ``dot`` is used when it is on PATH; otherwise ``graphviz-pure`` (a
pip-installable build of Graphviz with the same flags, installed by the ``viz`` extra as
a ``graphviz-pure`` program next to the Python interpreter; it has no Python API).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

__all__ = ["TIMEOUT", "find_renderer", "layout", "render"]

FORMATS = ("svg", "png")

# Seconds a layout may take. graphviz-pure can take minutes on a few hundred nodes when
# one value feeds many ops; better a clear error than a program that seems to hang.
TIMEOUT = 60.0

NO_RENDERER = (
    "{what} needs a Graphviz program to lay out the graph, and none was found. Either "
    "pip install 'chainrule[viz]' (installs graphviz-pure, no system packages needed), or "
    "install Graphviz so that `dot` is on PATH (apt install graphviz, brew install graphviz, "
    "https://graphviz.org/download/). to_dot(...) gives the DOT text without either."
)


def find_renderer() -> str | None:
    """The path of the Graphviz program to run: ``dot`` if on PATH, else ``graphviz-pure``.

    Returns:
        The program's path, or None if neither is installed.

    Example:
        >>> find_renderer() is None or os.path.isfile(find_renderer())
        True
    """
    dot = shutil.which("dot")
    if dot:
        return dot
    found = shutil.which("graphviz-pure")
    if found:
        return found
    # A venv that is not activated (a Jupyter kernel, `.venv/bin/python script.py`) does not
    # have its scripts directory on PATH, but that is where pip put graphviz-pure.
    for folder in (sysconfig.get_path("scripts"), os.path.dirname(sys.executable)):
        found = shutil.which("graphviz-pure", path=folder)
        if found:
            return found
    return None


def render(
    source: str, format: str = "svg", what: str = "render", timeout: float | None = None
) -> bytes:
    """Lay out DOT ``source`` and return the picture.

    Args:
        source: DOT text, e.g. from ``to_dot``.
        format: "svg" or "png".
        what: how to name the caller in error messages.
        timeout: seconds to wait for the layout; None means ``render.TIMEOUT`` (60),
            which you can set for every drawing: ``autograd.render.TIMEOUT = 300``.

    Returns:
        The SVG (UTF-8 text) or PNG bytes.

    Raises:
        ImportError: no Graphviz program is installed (the message says how to get one).
        RuntimeError: the program failed (its error output is in the message).
        TimeoutError: the layout took longer than ``timeout`` seconds.

    Example:
        >>> svg = render("digraph { a -> b }")  # doctest: +SKIP
        >>> svg.startswith(b"<?xml")  # doctest: +SKIP
        True
    """
    if format not in FORMATS:
        raise ValueError(
            f"{what}: format must be one of {', '.join(FORMATS)}, got {format!r} (other formats "
            "need Graphviz's own dot and the graphviz package: pip install 'chainrule[viz]')"
        )
    program = find_renderer()
    if program is None:
        raise ImportError(NO_RENDERER.format(what=what))
    return _run(program, f"-T{format}", source, what, timeout)


def layout(source: str, what: str = "layout", timeout: float | None = None) -> str:
    """Lay out DOT ``source`` with Graphviz's own ``dot``: the same graph with positions.

    Graphviz renders such a graph without laying it out again (``neato -n2``), so a caller
    that must hand the drawing to another program (the ``graphviz`` package) spends the
    slow part here, under ``TIMEOUT``.

    Args:
        source: DOT text.
        what: how to name the caller in error messages.
        timeout: seconds to wait; None means ``render.TIMEOUT``.

    Returns:
        DOT text with ``pos`` on every node and edge.

    Raises:
        ImportError: ``dot`` is not on PATH.
        RuntimeError, TimeoutError: as for ``render``.

    Example:
        >>> "pos=" in layout("digraph { a -> b }")  # doctest: +SKIP
        True
    """
    program = shutil.which("dot")
    if program is None:
        raise ImportError(f"{what} needs Graphviz's own dot on PATH (apt install graphviz)")
    return _run(program, "-Tdot", source, what, timeout).decode("utf-8")


def _run(program: str, flag: str, source: str, what: str, timeout: float | None) -> bytes:
    """Run ``program flag`` on ``source`` within the time limit; its output, or a clear error."""
    limit = TIMEOUT if timeout is None else timeout
    try:
        done = subprocess.run(
            [program, flag],
            input=source.encode("utf-8"),
            capture_output=True,
            check=False,
            timeout=limit,
        )
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"{what}: {os.path.basename(program)} took longer than {limit:g} s to lay out the "
            "graph. Draw less of it (depth=..., or collapse=True for a model), install "
            "Graphviz's own dot (much faster on graphs where one value feeds many ops), or "
            "allow more time: autograd.render.TIMEOUT = 300"
        ) from None
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode("utf-8", "replace").strip()
        raise RuntimeError(
            f"{what}: {os.path.basename(program)} {flag} failed "
            f"(exit {done.returncode}): {message}"
        )
    return done.stdout
