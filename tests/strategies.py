"""Hypothesis strategies for the engine's tests: inputs inside each op's domain, and
random expression graphs."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from hypothesis import strategies as st

from autograd import Value


def reals(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Finite floats in [lo, hi]."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from(points: Sequence[float], lo: float, hi: float, gap: float = 1e-3):
    """Floats in [lo, hi] at least `gap` from each point (kinks, poles)."""
    return reals(lo, hi).filter(lambda x: all(abs(x - p) >= gap for p in points))


# Where each one-input op is smooth and well conditioned for central differences.
unary_domains: dict[str, st.SearchStrategy[float]] = {
    "neg": reals(-100, 100),
    "abs": away_from([0.0], -100, 100),
    "exp": reals(-30, 30),
    "log": reals(1e-2, 1e3),
    "sqrt": reals(1e-2, 1e3),
    "tanh": reals(-20, 20),
    "sigmoid": reals(-30, 30),
    "relu": away_from([0.0], -100, 100),
    "leaky_relu": away_from([0.0], -100, 100),
    "softplus": reals(-30, 30),
    "sin": reals(-20, 20),
    "cos": reals(-20, 20),
}

unary_ops: dict[str, Callable[[Value], Value]] = {
    "neg": lambda x: -x,
    "abs": abs,
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "leaky_relu": lambda x: x.leaky_relu(0.1),
    "softplus": Value.softplus,
    "sin": Value.sin,
    "cos": Value.cos,
}

# Smooth ops that keep values bounded, for random expression graphs. Kinked ops (relu,
# abs) are left out there: a random point within a finite-difference step of a kink
# would give a wrong numeric derivative. Each has its own pinned tests instead.
GRAPH_UNARY: dict[str, Callable] = {
    "neg": lambda x: -x,
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "softplus": lambda x: x.softplus(),
    "exp": lambda x: x.tanh().exp(),
    "log": lambda x: (1 + x * x).log(),
    "sqrt": lambda x: (1 + x * x).sqrt(),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
}
GRAPH_BINARY: dict[str, Callable] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / (1 + y * y),
    "**": lambda x, y: (1 + x * x) ** y.tanh(),
    "const+": lambda x, y: 2.5 + x,
    "const*": lambda x, y: x * -1.5,
    "const/": lambda x, y: 1 / (2 + x.sigmoid()),
}


@dataclass(frozen=True)
class Expression:
    """A random expression graph: input values and ops over earlier nodes.

    ``ops[k] = (name, i, j)`` makes node ``n_inputs + k`` from nodes i and j (j unused by
    one-input ops); operands may repeat, so subexpressions are shared. The output is the
    last node.
    """

    inputs: tuple[float, ...]
    ops: tuple[tuple[str, int, int], ...]

    def build(self, values: Sequence[Value]) -> Value:
        nodes = list(values)
        for name, i, j in self.ops:
            if name in GRAPH_UNARY:
                nodes.append(GRAPH_UNARY[name](nodes[i]))
            else:
                nodes.append(GRAPH_BINARY[name](nodes[i], nodes[j]))
        return nodes[-1]

    def evaluate(self, xs: Sequence[float]) -> float:
        return self.build([Value(x) for x in xs]).data


@st.composite
def expressions(draw, max_inputs: int = 3, max_ops: int = 8) -> Expression:
    """Random expression graphs over 1..max_inputs inputs in [-2, 2]."""
    n = draw(st.integers(1, max_inputs))
    inputs = tuple(draw(st.lists(reals(-2, 2), min_size=n, max_size=n)))
    names = sorted(GRAPH_UNARY) + sorted(GRAPH_BINARY)
    ops = []
    for k in range(draw(st.integers(1, max_ops))):
        size = n + k
        # Favour recent nodes so graphs are deep, but allow any earlier one (sharing).
        i = draw(st.integers(0, size - 1))
        j = draw(st.integers(0, size - 1))
        ops.append((draw(st.sampled_from(names)), i, j))
    return Expression(inputs, tuple(ops))


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
