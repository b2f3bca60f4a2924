"""Toy 2-D datasets in pure Python, and a batching iterator.

Each ``make_*`` returns ``(X, y)``: ``X`` a list of ``[x1, x2]`` float pairs, ``y`` a list
of int labels (0/1 for the two-class sets; use ``[2 * t - 1 for t in y]`` for the hinge
loss's +-1). The same ``seed`` gives the same data: everything is drawn from one
``random.Random(seed)`` and ``noise`` is the standard deviation of Gaussian noise added to
each coordinate. No scikit-learn, no downloads; ``make_moons`` and ``make_circles`` follow
scikit-learn's geometry.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from typing import Any

from autograd._numbers import is_number

from .init import make_rng

__all__ = ["batches", "make_blobs", "make_circles", "make_moons", "make_spirals", "make_xor"]

Data = tuple[list[list[float]], list[int]]


def _check(op: str, n_samples: Any, noise: Any) -> None:
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"{op}: invalid n_samples {n_samples!r}; expected an int >= 1")
    if not is_number(noise) or not noise >= 0:
        raise ValueError(f"{op}: invalid noise {noise!r}; expected a number >= 0")


def _finish(points: list[list[float]], labels: list[int], noise: float, rng: random.Random) -> Data:
    """Shuffle, then add noise: the sample order and the noise both come from ``rng``."""
    order = list(range(len(points)))
    rng.shuffle(order)
    X, y = [], []
    for i in order:
        x1, x2 = points[i]
        if noise:
            x1 += rng.gauss(0.0, noise)
            x2 += rng.gauss(0.0, noise)
        X.append([x1, x2])
        y.append(labels[i])
    return X, y


def _linspace(start: float, stop: float, n: int, endpoint: bool = True) -> list[float]:
    if n == 1:
        return [start]
    steps = n - 1 if endpoint else n
    return [start + (stop - start) * i / steps for i in range(n)]


def make_moons(n_samples: int = 100, noise: float = 0.0, seed: int | None = None) -> Data:
    """Two interleaving half circles (label 0 on top, label 1 below), scikit-learn's shape.

    Args:
        n_samples: total number of points (the top moon gets ``n_samples // 2``).
        noise: standard deviation of the Gaussian noise on each coordinate.
        seed: int for reproducible data, or None.

    Returns:
        ``(X, y)``: lists of ``[x1, x2]`` points and of 0/1 labels.

    Example:
        >>> X, y = make_moons(100, noise=0.1, seed=0)
        >>> len(X), sorted(set(y)), X == make_moons(100, noise=0.1, seed=0)[0]
        (100, [0, 1], True)
    """
    _check("make_moons", n_samples, noise)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    points = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, math.pi, n_out)]
    points += [[1 - math.cos(t), 1 - math.sin(t) - 0.5] for t in _linspace(0.0, math.pi, n_in)]
    return _finish(points, [0] * n_out + [1] * n_in, noise, make_rng(seed))


def make_circles(
    n_samples: int = 100, noise: float = 0.0, factor: float = 0.8, seed: int | None = None
) -> Data:
    """A circle of radius 1 (label 0) around a smaller one of radius ``factor`` (label 1).

    Args:
        n_samples: total number of points (the outer circle gets ``n_samples // 2``).
        noise: standard deviation of the Gaussian noise on each coordinate.
        factor: the inner radius, in [0, 1).
        seed: int for reproducible data, or None.

    Returns:
        ``(X, y)``: lists of ``[x1, x2]`` points and of 0/1 labels.

    Example:
        >>> X, y = make_circles(8, factor=0.5, seed=0)
        >>> sorted({round(math.hypot(*x), 6) for x in X})
        [0.5, 1.0]
    """
    _check("make_circles", n_samples, noise)
    if not is_number(factor) or not 0 <= factor < 1:
        raise ValueError(f"make_circles: invalid factor {factor!r}; expected 0 <= factor < 1")
    n_out = n_samples // 2
    n_in = n_samples - n_out
    tau = 2 * math.pi
    points = [[math.cos(t), math.sin(t)] for t in _linspace(0.0, tau, n_out, endpoint=False)]
    points += [
        [factor * math.cos(t), factor * math.sin(t)]
        for t in _linspace(0.0, tau, n_in, endpoint=False)
    ]
    return _finish(points, [0] * n_out + [1] * n_in, noise, make_rng(seed))


def make_xor(n_samples: int = 100, noise: float = 0.0, seed: int | None = None) -> Data:
    """Points uniform in the square [-1, 1]^2, labelled 1 where x1 and x2 differ in sign.

    Noise is added after labelling, so with ``noise > 0`` some points cross the axes.

    Args:
        n_samples: number of points.
        noise: standard deviation of the Gaussian noise on each coordinate.
        seed: int for reproducible data, or None.

    Returns:
        ``(X, y)``: lists of ``[x1, x2]`` points and of 0/1 labels.

    Example:
        >>> X, y = make_xor(50, seed=0)
        >>> all(label == int(x1 * x2 < 0) for (x1, x2), label in zip(X, y))
        True
    """
    _check("make_xor", n_samples, noise)
    rng = make_rng(seed)
    points = [[rng.uniform(-1.0, 1.0), rng.uniform(-1.0, 1.0)] for _ in range(n_samples)]
    labels = [int((x1 > 0) != (x2 > 0)) for x1, x2 in points]
    return _finish(points, labels, noise, rng)


def make_spirals(
    n_samples: int = 100, noise: float = 0.0, n_classes: int = 2, seed: int | None = None
) -> Data:
    """Interleaved spiral arms, one per class, each turning 1.5 times out from the centre.

    Args:
        n_samples: total number of points, split as evenly as possible between arms.
        noise: standard deviation of the Gaussian noise on each coordinate.
        n_classes: number of arms (labels 0 .. n_classes - 1).
        seed: int for reproducible data, or None.

    Returns:
        ``(X, y)``: lists of ``[x1, x2]`` points and of int labels.

    Example:
        >>> X, y = make_spirals(90, n_classes=3, seed=0)
        >>> [y.count(k) for k in range(3)]
        [30, 30, 30]
    """
    _check("make_spirals", n_samples, noise)
    if isinstance(n_classes, bool) or not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"make_spirals: invalid n_classes {n_classes!r}; expected an int >= 2")
    points, labels = [], []
    for k in range(n_classes):
        n = n_samples // n_classes + (k < n_samples % n_classes)
        for r in _linspace(0.0, 1.0, n):
            angle = 2 * math.pi * k / n_classes + 3 * math.pi * r
            points.append([r * math.cos(angle), r * math.sin(angle)])
            labels.append(k)
    return _finish(points, labels, noise, make_rng(seed))


def make_blobs(
    n_samples: int = 100,
    noise: float = 1.0,
    centers: int | Sequence[Sequence[float]] = 3,
    seed: int | None = None,
) -> Data:
    """Gaussian blobs around centres; the label is the centre's index.

    Args:
        n_samples: total number of points, split as evenly as possible between centres.
        noise: each blob's standard deviation (scikit-learn's ``cluster_std``).
        centers: how many centres to draw uniformly from [-10, 10]^2, or a list of
            ``[x1, x2]`` centres.
        seed: int for reproducible data, or None.

    Returns:
        ``(X, y)``: lists of ``[x1, x2]`` points and of int labels.

    Example:
        >>> X, y = make_blobs(6, noise=0.0, centers=[[0, 0], [5, 5]], seed=0)
        >>> sorted(map(tuple, X))
        [(0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (5.0, 5.0), (5.0, 5.0), (5.0, 5.0)]
    """
    _check("make_blobs", n_samples, noise)
    rng = make_rng(seed)
    if isinstance(centers, int) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"make_blobs: invalid centers {centers!r}; expected an int >= 1")
        centres = [[rng.uniform(-10.0, 10.0), rng.uniform(-10.0, 10.0)] for _ in range(centers)]
    else:
        centres = _check_centres(centers)
    k = len(centres)
    points, labels = [], []
    for c, (cx, cy) in enumerate(centres):
        n = n_samples // k + (c < n_samples % k)
        points += [[cx, cy]] * n
        labels += [c] * n
    return _finish(points, labels, noise, rng)


def _check_centres(centers: Any) -> list[list[float]]:
    ok = isinstance(centers, Sequence) and not isinstance(centers, str) and len(centers) > 0
    if ok:
        for c in centers:
            ok = ok and isinstance(c, Sequence) and len(c) == 2
            ok = ok and all(is_number(v) for v in c)
    if not ok:
        raise ValueError(
            f"make_blobs: invalid centers {centers!r}; expected a count or a list of [x1, x2]"
        )
    return [[float(c[0]), float(c[1])] for c in centers]


def batches(
    X: Sequence[Any],
    y: Sequence[Any],
    batch_size: int | None = None,
    shuffle: bool = False,
    seed: int | random.Random | None = None,
) -> Iterator[tuple[list[Any], list[Any]]]:
    """Iterate over ``(X_batch, y_batch)`` pairs covering the data once.

    Args:
        X: the samples.
        y: the targets, one per sample.
        batch_size: samples per batch (the last batch may be smaller); None for one batch.
        shuffle: visit the samples in a random order.
        seed: int or ``random.Random`` for the order (pass one ``random.Random`` across
            epochs to get a different, reproducible order each epoch).

    Returns:
        An iterator of pairs of lists.

    Example:
        >>> list(batches([1, 2, 3], ["a", "b", "c"], batch_size=2))
        [([1, 2], ['a', 'b']), ([3], ['c'])]
    """
    if len(X) != len(y):
        raise ValueError(f"batches: got {len(X)} samples but {len(y)} targets")
    n = len(X)
    if batch_size is None:
        batch_size = max(n, 1)
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batches: invalid batch_size {batch_size!r}; expected a positive int")
    order = list(range(n))
    if shuffle:
        make_rng(seed).shuffle(order)
    return _batches(X, y, order, batch_size)


def _batches(
    X: Sequence[Any], y: Sequence[Any], order: list[int], batch_size: int
) -> Iterator[tuple[list[Any], list[Any]]]:
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        yield [X[i] for i in chunk], [y[i] for i in chunk]
