"""Hypothesis strategies for the engine's tests.

The strategies themselves are public API, in ``autograd.testing``: the project's tests
use the same kit its users get. This module re-exports them under the names the tests
use, and keeps two numeric helpers that are test-only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from autograd.testing import (
    DOMAINS,
    GRAPH_BINARY,
    GRAPH_UNARY,
    UNARY_OPS,
    Expression,
    away_from,
    domain,
    expressions,
    reals,
)

__all__ = [
    "GRAPH_BINARY",
    "GRAPH_UNARY",
    "Expression",
    "away_from",
    "central_difference",
    "close",
    "expressions",
    "reals",
    "unary_domains",
    "unary_ops",
]

unary_ops = UNARY_OPS
unary_domains = {name: domain(name) for name in DOMAINS}


def central_difference(f: Callable[[Sequence[float]], float], xs: Sequence[float], i: int):
    """(f(x + h e_i) - f(x - h e_i)) / 2h with a step scaled to x_i."""
    h = 1e-6 * max(1.0, abs(xs[i]))
    up = list(xs)
    down = list(xs)
    up[i] += h
    down[i] -= h
    return (f(up) - f(down)) / (up[i] - down[i])


def close(analytic: float, numeric: float, rtol: float = 1e-5, atol: float = 1e-6) -> bool:
    """Whether an analytic derivative matches a numeric one within tolerance."""
    return math.isclose(analytic, numeric, rel_tol=rtol, abs_tol=atol)
