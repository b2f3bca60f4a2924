"""The derivative rules: one line per primitive.

A ``Rule`` pairs a forward function on floats with a derivative written in operations
that work on floats *and* on ``Value`` nodes. The forward pass calls the derivative on
floats and stores the local derivatives in the node (so first-order backward is one
tight loop); ``grad(..., create_graph=True)`` calls the very same lambda on ``Value``s,
which records the derivative itself as a graph and makes higher orders work.

``derivative(out, *inputs)`` receives the op's output first because several rules are
cheapest in terms of it (exp' is exp itself, tanh' is 1 - tanh**2).

A Rule is also the op itself: ``EXP(x)`` makes the node that ``x.exp()`` makes, and
``primitive(name, forward, derivative)`` is how users add ops of their own. (``Value``'s
methods apply the rules below inline rather than through ``Rule.__call__``: the same
work with fewer Python calls, and a domain check in front where the op needs one.)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import Any

__all__ = ["Rule", "primitive"]

inf = math.inf
nan = math.nan


class Rule:
    """A differentiable primitive: its name, forward function and derivative rule.

    Args:
        name: how the op is shown in graphs and error messages.
        forward: maps the input floats to the output float.
        derivative: ``derivative(out, *inputs)`` returns one local derivative per input.
            It must use only operations that work on floats and on ``Value`` nodes.

    Calling a rule applies it: numbers become leaf Values, ``forward`` and ``derivative``
    run on floats, and the result is a node whose op is ``name``.

    Example:
        >>> cube = Rule("cube", lambda x: x**3, lambda out, x: (3 * x * x,))
        >>> cube.forward(2.0), cube.derivative(8.0, 2.0)
        (8.0, (12.0,))
        >>> y = cube(2.0)
        >>> y.data, y.op, y.local_grads
        (8.0, 'cube', (12.0,))
    """

    __slots__ = ("derivative", "forward", "name")

    def __init__(self, name: str, forward: Callable[..., float], derivative: Callable[..., tuple]):
        self.name = name
        self.forward = forward
        self.derivative = derivative

    def __repr__(self) -> str:
        return f"Rule({self.name!r})"

    def __call__(self, *inputs: value.Value | float) -> value.Value:
        """Apply the op to Values and/or numbers; returns the new ``Value`` node."""
        if not inputs:
            raise TypeError(f"{self.name}: expected at least one input (a Value or a number)")
        parents = []
        for i, x in enumerate(inputs):
            if type(x) is not value.Value:
                if not value._is_number(x):
                    raise TypeError(
                        f"{self.name}: input {i} must be a Value or a number, "
                        f"got {type(x).__name__}: {x!r}"
                    )
                x = value.Value(x)
            parents.append(x)
        data = [p.data for p in parents]
        out = self.forward(*data)
        if type(out) is not float:
            if not value._is_number(out):
                raise TypeError(
                    f"{self.name}: forward must return a number, got {type(out).__name__}: "
                    f"{out!r} for inputs {tuple(data)}"
                )
            out = float(out)
        local = self.derivative(out, *data)
        if not isinstance(local, (tuple, list)):
            raise TypeError(
                f"{self.name}: derivative must return a tuple with one local derivative per "
                f"input, got {type(local).__name__} {local!r}; for one input write (d,)"
            )
        if len(local) != len(parents):
            raise ValueError(
                f"{self.name}: derivative returned {len(local)} local derivatives for "
                f"{len(parents)} inputs; expected one per input"
            )
        for i, d in enumerate(local):
            if type(d) is not float and not value._is_number(d):
                raise TypeError(
                    f"{self.name}: derivative entry {i} must be a number when the inputs "
                    f"are floats, got {type(d).__name__}: {d!r}"
                )
        return value._node(out, tuple(parents), tuple(map(float, local)), self)


def primitive(
    name: str, forward: Callable[..., float], derivative: Callable[..., tuple]
) -> Rule:
    """Define a new differentiable op from its forward function and its derivative.

    Every op in chainrule is written this way (see the table in ``autograd/rules.py``).

    Args:
        name: the op's name, shown in graphs and error messages.
        forward: maps the input floats to the output float.
        derivative: ``derivative(out, *inputs)`` returns a tuple with one local
            derivative d(out)/d(input) per input. ``out`` is the op's output (several
            derivatives are cheapest in terms of it). Write it with operations that work
            on floats and on ``Value``s (arithmetic, ``abs``, ``**``): first-order
            backward uses the floats computed in the forward pass, and
            ``grad(..., create_graph=True)`` calls it again on ``Value``s, which is what
            makes second and higher derivatives work. (``math.cos(x)`` would quietly
            turn a Value into a float and lose the higher orders; ``gradgradcheck``
            catches that.)

    Returns:
        The op: a ``Rule`` you call with Values and/or numbers, returning a ``Value``.

    Raises:
        TypeError: if ``name`` is not a str or ``forward`` / ``derivative`` are not
            callable. (Calling the op raises ValueError if ``derivative`` does not
            return one entry per input.)
        ValueError: if ``name`` is empty.

    Example:
        >>> from autograd import Value, grad
        >>> hypot = primitive(
        ...     "hypot", lambda x, y: (x * x + y * y) ** 0.5, lambda out, x, y: (x / out, y / out)
        ... )
        >>> a, b = Value(3.0), Value(4.0)
        >>> h = hypot(a, b)
        >>> h.data, h.op, grad(h, [a, b])
        (5.0, 'hypot', (0.6, 0.8))
        >>> (da, db) = grad(h, [a, b], create_graph=True)
        >>> grad(da, [a, b])  # second derivatives: y*y/out**3 and -x*y/out**3
        (0.128, -0.096)
    """
    if not isinstance(name, str):
        raise TypeError(f"primitive: name must be a str, got {type(name).__name__}: {name!r}")
    if not name:
        raise ValueError("primitive: name must not be empty (it names the op in graphs)")
    for arg, fn in (("forward", forward), ("derivative", derivative)):
        if not callable(fn):
            raise TypeError(
                f"primitive {name!r}: {arg} must be callable, got {type(fn).__name__}: {fn!r}"
            )
    return Rule(name, forward, derivative)


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
    if type(x) is float:
        if x == 0 and k < 0:
            return _pow_zero(x, k)
        try:
            return x**k
        except OverflowError:
            return _pow_forward(x, k)
    if not _is_float(x):
        if x.data == 0 and k < 0:
            return _pow_zero(x.data, k)
        return x**k
    return pow_(float(x), k)


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
        # Only |result| > max float gets here; its sign is negative for x < 0 and odd y.
        return -inf if x < 0 and float(y) % 2 == 1 else inf


def _log_of_base(x, out):
    """d(x**y)/dy = x**y * log(x); at x = 0 the limit is 0, for x < 0 it is undefined."""
    if (x.data if not _is_float(x) else x) > 0:
        return out * log_(x)
    return 0.0 if out == 0 else nan


def _sign(x):
    # abs'(0) = 0: the subgradient in the middle, as PyTorch and JAX do.
    return (1.0,) if x > 0 else (-1.0,) if x < 0 else (0.0,)


# ---------------------------------------------------------------------------------------
# The table. Every op in chainrule is one of these lines.

ADD = Rule("+", operator.add, lambda out, x, y: (1.0, 1.0))
SUB = Rule("-", operator.sub, lambda out, x, y: (1.0, -1.0))
MUL = Rule("*", operator.mul, lambda out, x, y: (y, x))
DIV = Rule("/", operator.truediv, lambda out, x, y: (1.0 / y, -out / y))
NEG = Rule("neg", operator.neg, lambda out, x: (-1.0,))
POW = Rule("**", _pow_forward, lambda out, x, y: (y * pow_(x, y - 1), _log_of_base(x, out)))
EXP = Rule("exp", exp_, lambda out, x: (out,))
LOG = Rule("log", math.log, lambda out, x: (1.0 / x,))
SQRT = Rule("sqrt", math.sqrt, lambda out, x: (0.5 * pow_(out, -1),))
TANH = Rule("tanh", math.tanh, lambda out, x: (1.0 - out * out,))
SIGMOID = Rule("sigmoid", sigmoid_, lambda out, x: (out * (1.0 - out),))
# Branches return whole tuples: constant tuples are built once, at compile time.
RELU = Rule("relu", lambda x: 0.0 if x <= 0 else x, lambda out, x: (1.0,) if x > 0 else (0.0,))
SOFTPLUS = Rule("softplus", _softplus, lambda out, x: (sigmoid_(x),))
SIN = Rule("sin", sin_, lambda out, x: (cos_(x),))
COS = Rule("cos", cos_, lambda out, x: (-sin_(x),))
ABS = Rule("abs", abs, lambda out, x: _sign(x))

# Many-input ops: one node instead of a chain of n - 1 binary ones. math.fsum rounds the
# exact sum once, so the result does not depend on the order of the terms (nor on the
# Python version: builtin sum() of floats changed its rounding in 3.12).
TOTAL = Rule("sum", lambda *v: math.fsum(v), lambda out, *v: (1.0,) * len(v))
# dot's inputs are (a_1 .. a_n, b_1 .. b_n); d/da_i = b_i and d/db_i = a_i.
DOT = Rule("dot", lambda *v: _dot(v), lambda out, *v: v[len(v) // 2 :] + v[: len(v) // 2])


def _dot(v: tuple) -> float:
    n = len(v) // 2
    return math.fsum(map(operator.mul, v[:n], v[n:]))


# Ops with a constant parameter get one rule per distinct constant, shared by every node
# that uses it (a cache, not a closure per node): `x ** 2` and `x ** 3` are two rules.
_powers: dict[float, Rule] = {}


def power(k: float) -> Rule:
    """The rule for ``x ** k`` with a constant exponent ``k`` (cached per ``k``)."""
    rule = _powers.get(k)
    if rule is None:
        if len(_powers) >= 1024:  # a program sweeping exponents must not grow this forever
            _powers.clear()
        rule = _powers[k] = _power_rule(float(k))
    return rule


def _power_rule(k: float) -> Rule:
    if k == 0:
        return Rule("**0", lambda x: 1.0, lambda out, x: (0.0,))
    if k == 2:
        # The most common power (squares in losses): x * x is correctly rounded, cannot
        # raise OverflowError, and 2 * x is exactly 2 * x ** 1.
        return Rule("**2", lambda x: x * x, lambda out, x: (2.0 * x,))
    km1 = k - 1

    def forward(x: float) -> float:
        try:
            return x**k
        except OverflowError:
            return _pow_forward(x, k)

    return Rule(f"**{k:g}", forward, lambda out, x: (k * pow_(x, km1),))


@lru_cache(maxsize=64)
def leaky_relu(slope: float) -> Rule:
    """The rule for ``leaky_relu`` with negative-side ``slope`` (its derivative at 0)."""
    return Rule(
        "leaky_relu",
        lambda x: x if x > 0 else slope * x,
        lambda out, x: (1.0,) if x > 0 else (slope,),
    )


# Last, because value.py imports this module: by now every Rule above exists, so the
# cycle is harmless, and Rule.__call__ reaches Value without an import on every call.
from . import value  # noqa: E402
