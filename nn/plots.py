"""Pictures of training with matplotlib: the loss curve and a 2-D decision boundary.

Figures are made with matplotlib's object API on the Agg canvas, never through
``pyplot``, so nothing here changes the caller's matplotlib backend or global state.
matplotlib is the ``plot`` extra; it is imported inside the functions that need it.
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from autograd._files import write_atomic

from .train import History

__all__ = ["decision_boundary_figure", "history_figure", "require_matplotlib", "save_figure"]

# Points and regions of class k share a colour (matplotlib's "tab10" qualitative colours).
_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
)  # fmt: skip


def require_matplotlib(what: str = "plotting") -> None:
    """Raise ImportError naming the ``plot`` extra if matplotlib is not installed.

    Args:
        what: what needs matplotlib, for the message.

    Example:
        >>> require_matplotlib("this example")  # matplotlib is installed here
    """
    try:
        import matplotlib  # noqa: F401 (only checking that it imports)
    except ImportError:
        raise ImportError(f"{what} needs matplotlib: pip install 'chainrule[plot]'") from None


def _figure(width: float, height: float) -> Any:
    require_matplotlib("nn.plots")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def history_figure(history: History | Mapping[str, Sequence[float]], title: str = "") -> Any:
    """The loss per epoch, and the accuracy beside it when the history has one.

    Args:
        history: what ``nn.fit`` returns: ``"loss"`` and optionally ``"accuracy"`` lists.
        title: the figure's title.

    Returns:
        A ``matplotlib.figure.Figure`` (save it with ``save_figure``).

    Example:
        >>> figure = history_figure({"loss": [1.0, 0.5, 0.2], "accuracy": [0.5, 0.8, 1.0]})
        >>> [axes.get_ylabel() for axes in figure.axes]
        ['loss', 'accuracy']
    """
    losses = list(history["loss"])
    accuracy = history.get("accuracy")
    figure = _figure(9.0 if accuracy is not None else 5.0, 3.5)
    panels = figure.subplots(1, 2 if accuracy is not None else 1, squeeze=False)[0]
    epochs = range(1, len(losses) + 1)
    ax = panels[0]
    ax.plot(epochs, losses, color=_COLORS[0])
    # A loss that spans decades reads better on a log axis; it needs positive values.
    finite = [v for v in losses if math.isfinite(v)]
    if finite and min(finite) > 0 and max(finite) / min(finite) > 100:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    if accuracy is not None:
        ax = panels[1]
        ax.plot(epochs, list(accuracy), color=_COLORS[2])
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("epoch")
        ax.set_ylabel("accuracy")
        ax.grid(alpha=0.3)
    if title:
        figure.suptitle(title)
    return figure


def decision_boundary_figure(
    scores: Callable[[list[list[float]]], Sequence[float] | Sequence[Sequence[float]]],
    X: Sequence[Sequence[float]],
    y: Sequence[int],
    title: str = "",
    resolution: int = 80,
) -> Any:
    """The data points over the regions where a model picks each class.

    A model's score is one number for two classes (class 1 where it is positive, as for
    a hinge or logistic output) or one number per class (the largest wins). Each region
    is drawn where its class's margin over the others is positive, with the margins
    interpolated between grid points, so boundaries are smooth lines, not staircases.

    Args:
        scores: maps a list of points ``[[x1, x2], ...]`` (the ``resolution**2`` points
            of a grid, in one call, so that it can batch them) to one score per point,
            each a float or a list of class scores.
        X: the points, pairs of numbers.
        y: their class indices (0, 1, ...).
        title: the axes' title.
        resolution: grid points along each axis (at least 2).

    Returns:
        A ``matplotlib.figure.Figure``.

    Example:
        >>> X, y = [[-1.0, 0.0], [1.0, 0.0]], [0, 1]
        >>> def scores(points):  # class 1 right of x1 = 0
        ...     return [x1 for x1, x2 in points]
        >>> figure = decision_boundary_figure(scores, X, y, resolution=5)
        >>> len(figure.axes[0].collections) > 0
        True
    """
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(
            f"decision_boundary_figure: invalid resolution {resolution!r}; expected an int >= 2"
        )
    if not X or len(X) != len(y):
        raise ValueError(f"decision_boundary_figure: got {len(X)} points and {len(y)} labels")
    xs = [float(p[0]) for p in X]
    ys = [float(p[1]) for p in X]
    gx = _axis(min(xs), max(xs), resolution)
    gy = _axis(min(ys), max(ys), resolution)
    flat = list(scores([[a, b] for b in gy for a in gx]))
    if len(flat) != resolution * resolution:
        raise ValueError(
            f"decision_boundary_figure: scores returned {len(flat)} scores for "
            f"{resolution * resolution} points"
        )
    grid = [flat[i * resolution : (i + 1) * resolution] for i in range(resolution)]
    margins = _margins(grid)
    n_classes = max(len(margins), max(y) + 1)
    colors = [_COLORS[k % len(_COLORS)] for k in range(n_classes)]

    width = gx[-1] - gx[0]
    height = gy[-1] - gy[0]
    figure = _figure(6.0, min(max(6.0 * height / width, 3.0), 8.0) + 0.6)
    ax = figure.subplots()
    for k, margin in enumerate(margins):
        ax.contourf(gx, gy, margin, levels=[0.0, math.inf], colors=[colors[k]], alpha=0.25)
        ax.contour(gx, gy, margin, levels=[0.0], colors="#444444", linewidths=0.8)
    ax.scatter(xs, ys, c=[colors[k] for k in y], s=22, edgecolors="black", linewidths=0.5)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_aspect("equal", adjustable="box")
    if title:
        ax.set_title(title)
    return figure


def _margins(grid: list[list[Any]]) -> list[list[list[float]]]:
    """Per class, its score minus the best other score at each grid point (> 0: it wins)."""
    if not isinstance(grid[0][0], (list, tuple)):
        # One score s: class 1 wins where s > 0, class 0 where -s > 0.
        return [[[-s for s in row] for row in grid], [[float(s) for s in row] for row in grid]]
    n = len(grid[0][0])
    margins: list[list[list[float]]] = [[] for _ in range(n)]
    for row in grid:
        rows: list[list[float]] = [[] for _ in range(n)]
        for scores in row:
            for k in range(n):
                rows[k].append(scores[k] - max(s for j, s in enumerate(scores) if j != k))
        for k in range(n):
            margins[k].append(rows[k])
    return margins


def _axis(low: float, high: float, n: int) -> list[float]:
    margin = 0.25 * (high - low) or 1.0  # a single point still gets a visible square
    low, high = low - margin, high + margin
    return [low + (high - low) * i / (n - 1) for i in range(n)]


def save_figure(figure: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``figure`` as a PNG at ``path``, atomically (a temporary file, then a rename).

    Args:
        figure: a ``matplotlib.figure.Figure``.
        path: the file to write.

    Returns:
        The path written.

    Example:
        >>> import pathlib, tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> figure = history_figure({"loss": [1.0, 0.5]})
        >>> path = save_figure(figure, pathlib.Path(folder.name) / "loss.png")
        >>> path.read_bytes()[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
        True
        >>> folder.cleanup()
    """
    buffer = io.BytesIO()
    # Rendered in memory first: a plotting error leaves no file behind.
    figure.savefig(buffer, format="png")
    path = Path(path)
    write_atomic(path, buffer.getvalue())
    return path
