"""The derivative rules: one line per primitive.

A ``Rule`` pairs a forward function on floats with a derivative written in operations
that work on floats *and* on ``Value`` nodes. The forward pass calls the derivative on
floats and stores the local derivatives in the node (so first-order backward is one
tight loop); ``grad(..., create_graph=True)`` calls the very same lambda on ``Value``s,
which records the derivative itself as a graph and makes higher orders work.

``derivative(out, *inputs)`` receives the op's output first because several rules are
cheapest in terms of it (exp' is exp itself, tanh' is 1 - tanh**2).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["Rule"]

inf = math.inf
nan = math.nan


class Rule:
    """A differentiable primitive: its name, forward function and derivative rule.

    Args:
        name: how the op is shown in graphs and error messages.
        forward: maps the input floats to the output float.
        derivative: ``derivative(out, *inputs)`` returns one local derivative per input.
            It must use only operations that work on floats and on ``Value`` nodes.

    Example:
        >>> cube = Rule("cube", lambda x: x**3, lambda out, x: (3 * x * x,))
        >>> cube.forward(2.0), cube.derivative(8.0, 2.0)
        (8.0, (12.0,))
    """

    __slots__ = ("derivative", "forward", "name")

    def __init__(self, name: str, forward: Callable[..., float], derivative: Callable[..., tuple]):
        self.name = name
        self.forward = forward
        self.derivative = derivative

    def __repr__(self) -> str:
        return f"Rule({self.name!r})"


# ---------------------------------------------------------------------------------------
# Functions the rules use that must work on floats and on Values. A Value has methods
# (x.exp()); a float goes through IEEE-style float code, which returns inf or nan where
# Python's math module would raise (math.exp(1000) raises OverflowError; IEEE says inf).


def _is_float(x: Any) -> bool:
    return type(x) is float or type(x) is int


def exp_(x):
    if not _is_float(x):
        return x.exp()
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log_(x):
    return math.log(x) if _is_float(x) else x.log()


def sigmoid_(x):
    if not _is_float(x):
        return x.sigmoid()
    # Two branches so that exp never overflows: sigmoid(-1000) is 0.0, not an error.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sin_(x):
    if not _is_float(x):
        return x.sin()
    return math.sin(x) if math.isfinite(x) else nan


def cos_(x):
    if not _is_float(x):
        return x.cos()
    return math.cos(x) if math.isfinite(x) else nan


def pow_(x, k):
    """x ** k for a number k, with IEEE results where Python raises.

    0 ** (negative) is +inf (or -inf for an odd integer power of -0.0), a huge result is
    inf instead of OverflowError. Used inside derivatives, where an infinite slope is the
    honest answer (sqrt'(0) = +inf); the forward pass rejects 0 ** negative itself.
    """
    if not _is_float(x):
        if x.data == 0 and k < 0:
            return _pow_zero(x.data, k)
        return x**k
    if x == 0 and k < 0:
        return _pow_zero(x, k)
    try:
        return x**k
    except OverflowError:
        return inf if x > 0 or float(k).is_integer() and k % 2 == 0 else -inf


def _pow_zero(x: float, k) -> float:
    k = float(k)  # k may be a Value exponent (x ** y) when building higher-order graphs
    odd = k.is_integer() and k % 2 == 1
    return math.copysign(inf, x) if odd else inf


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows, exact for large |x|.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _pow_forward(x: float, y: float) -> float:
    try:
        return x**y
    except OverflowError:
        return inf if x > 0 or float(y).is_integer() and y % 2 == 0 else -inf


def _log_of_base(x, out):
    """d(x**y)/dy = x**y * log(x); at x = 0 the limit is 0, for x < 0 it is undefined."""
    if (x.data if not _is_float(x) else x) > 0:
        return out * log_(x)
    return 0.0 if out == 0 else nan


def _sign(x):
    # abs'(0) = 0: the subgradient in the middle, as PyTorch and JAX do.
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


# ---------------------------------------------------------------------------------------
# The table. Every op in chainrule is one of these lines.

ADD = Rule("+", lambda x, y: x + y, lambda out, x, y: (1.0, 1.0))
SUB = Rule("-", lambda x, y: x - y, lambda out, x, y: (1.0, -1.0))
MUL = Rule("*", lambda x, y: x * y, lambda out, x, y: (y, x))
DIV = Rule("/", lambda x, y: x / y, lambda out, x, y: (1.0 / y, -out / y))
NEG = Rule("neg", lambda x: -x, lambda out, x: (-1.0,))
POW = Rule("**", _pow_forward, lambda out, x, y: (y * pow_(x, y - 1), _log_of_base(x, out)))
EXP = Rule("exp", exp_, lambda out, x: (out,))
LOG = Rule("log", math.log, lambda out, x: (1.0 / x,))
SQRT = Rule("sqrt", math.sqrt, lambda out, x: (0.5 * pow_(out, -1),))
TANH = Rule("tanh", math.tanh, lambda out, x: (1.0 - out * out,))
SIGMOID = Rule("sigmoid", sigmoid_, lambda out, x: (out * (1.0 - out),))
RELU = Rule("relu", lambda x: 0.0 if x <= 0 else x, lambda out, x: (1.0 if x > 0 else 0.0,))
SOFTPLUS = Rule("softplus", _softplus, lambda out, x: (sigmoid_(x),))
SIN = Rule("sin", sin_, lambda out, x: (cos_(x),))
COS = Rule("cos", cos_, lambda out, x: (-sin_(x),))
ABS = Rule("abs", abs, lambda out, x: (_sign(x),))


# Ops with a constant parameter get one rule per distinct constant, shared by every node
# that uses it (a cache, not a closure per node): `x ** 2` and `x ** 3` are two rules.
@lru_cache(maxsize=1024)
def power(k: float) -> Rule:
    """The rule for ``x ** k`` with a constant exponent ``k``."""
    if k == 0:
        return Rule("**0", lambda x: 1.0, lambda out, x: (0.0,))
    name = f"**{k:g}"
    return Rule(name, lambda x: _pow_forward(x, k), lambda out, x: (k * pow_(x, k - 1),))


@lru_cache(maxsize=64)
def leaky_relu(slope: float) -> Rule:
    """The rule for ``leaky_relu`` with negative-side ``slope`` (its derivative at 0)."""
    return Rule(
        "leaky_relu",
        lambda x: x if x > 0 else slope * x,
        lambda out, x: (1.0 if x > 0 else slope,),
    )
