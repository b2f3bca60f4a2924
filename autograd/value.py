"""The ``Value`` node: a float that remembers how it was computed.

A node stores its parents (in argument order, duplicates kept: ``a + a`` has two edges),
the local derivatives d(node)/d(parent) as floats, and the shared ``Rule`` that produced
it. It holds no closure and no reference back to its children, so graphs have no
reference cycles and are freed by reference counting the moment the last output is
dropped.

Layout. Nearly every op has one or two inputs, so a node keeps its parents in two slots,
``_p0`` and ``_p1`` (None when absent), and their local derivatives in ``_d0`` and
``_d1``. Two tuples per node instead would cost two more allocations and 112 bytes, and
made forward plus backward about a fifth slower (measured: benchmarks/engine.py). A node
with more than two parents (``dot``, ``total``, a many-input primitive) has ``_p0`` set
to the marker ``MANY`` and keeps tuples: its parents in ``_p1``, its local derivatives in
``_d1``. ``parents`` and ``local_grads`` always give tuples.
"""

from __future__ import annotations

import math
from typing import Any

from . import grad_mode
from . import rules as r
from ._numbers import is_number as _is_number

__all__ = ["Value"]

_new = object.__new__


class _Many:
    """The marker in ``_p0`` of a node with more than two parents."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MANY"


MANY = _Many()


def _node(data: float, parents: tuple, local: tuple, rule: r.Rule) -> Value:
    """Make an interior node from tuples (bypassing __init__'s input checks)."""
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    n = len(parents)
    if n == 1:
        v._p0 = parents[0]
        v._p1 = None
        v._d0 = local[0]
    elif n == 2:
        v._p0, v._p1 = parents
        v._d0, v._d1 = local
    else:
        v._p0 = MANY
        v._p1 = parents
        v._d1 = local
    v._rule = rule
    if grad_mode.open_blocks:
        grad_mode.adjust_new_node(v)
    return v


def _show(node: Value) -> str:
    """How error messages name an operand: its value, and its label if it has one."""
    return f"{node.data!r} (label {node.label!r})" if node.label else repr(node.data)


class Value:
    """A scalar node in a computation graph.

    Args:
        data: the number (int or float; stored as float).
        label: an optional name, shown in graphs and error messages.

    Attributes:
        data: the float value.
        grad: d(output)/d(self) after ``output.backward()``; 0.0 before. Leaves (nodes
            with no parents) accumulate across backward calls; interior nodes are
            overwritten by each call.
        label: the name given at creation ("" if none).

    Example:
        >>> a = Value(-4.0, label="a")
        >>> b = Value(2.0, label="b")
        >>> c = a * b + b**3
        >>> c.backward()
        >>> c.data, a.grad, b.grad
        (0.0, 2.0, 8.0)
    """

    __slots__ = ("_d0", "_d1", "_p0", "_p1", "_rule", "data", "grad", "label")

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            if not _is_number(data):
                hint = " (use .detach() to copy a Value)" if isinstance(data, Value) else ""
                raise TypeError(
                    f"Value() takes an int or a float, got {type(data).__name__}: {data!r}{hint}"
                )
            data = float(data)
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._p0 = self._p1 = None
        self._rule = None

    # --- what the node records ---------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in argument order (``()`` for a leaf)."""
        p0 = self._p0
        if p0 is None:
            return ()
        if p0 is MANY:
            return self._p1
        p1 = self._p1
        return (p0,) if p1 is None else (p0, p1)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, computed in the forward pass."""
        p0 = self._p0
        if p0 is None:
            return ()
        if p0 is MANY:
            return self._d1
        return (self._d0,) if self._p1 is None else (self._d0, self._d1)

    @property
    def op(self) -> str:
        """The name of the op that made this node ("" for a leaf)."""
        return self._rule.name if self._rule is not None else ""

    @property
    def rule(self) -> r.Rule | None:
        """The ``Rule`` that made this node (None for a leaf)."""
        return self._rule

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self._rule is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label}{op})"

    def __float__(self) -> float:
        return self.data

    # Ordering compares data, so max(), min() and sorted() work. Equality and hashing stay
    # by identity (nodes are dict keys throughout the engine), so __eq__ is not defined.
    def __lt__(self, other: Value | float) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other: Value | float) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other: Value | float) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)

    # --- backpropagation (implemented in backward.py) ----------------------------------

    def backward(self) -> None:
        """Set ``.grad`` of every node this one depends on to d(self)/d(node).

        Leaves accumulate (``+=``) across calls, as parameters do in PyTorch; interior
        nodes hold the gradient from this call only. Iterative: any depth works.

        Example:
            >>> x = Value(3.0)
            >>> y = x * x
            >>> y.backward(); x.grad
            6.0
            >>> y.backward(); x.grad
            12.0
        """
        from .backward import backward

        backward(self)

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this node's graph.

        Example:
            >>> x = Value(2.0)
            >>> (x * x).detach().parents
            ()
        """
        return Value(self.data, self.label)

    # --- ops ---------------------------------------------------------------------------
    # Most methods are made by _binary_method / _unary_method (end of this file) from a rule
    # in rules.py: one Python call per op fewer than a shared helper method, which is a
    # quarter of an op's cost. The explicit methods below add a domain check first.
    # Every node is made in one of three places (_node and the two factories), each
    # ending with the same hook for no_grad (and any other mode that is open).

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            if not _is_number(other):
                return NotImplemented
            other = Value(other)
        if other.data == 0:
            raise ZeroDivisionError(f"/: division by zero: {_show(self)} / {_show(other)}")
        return _div(self, other)

    def __rtruediv__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other) / self

    def __pow__(self, other: Value | float) -> Value:
        """x ** k for a number k, or x ** y for a Value y (then d/dy = x**y * log(x)).

        A negative base needs an integer exponent. With a Value exponent, d/dy at a
        negative base is nan (log of a negative number is not real) and at a zero base
        it is 0 (the limit); the forward value is exact either way.
        """
        if type(other) is Value:
            if self.data <= 0:
                _check_power(self, other.data)
            return _pow(self, other)
        t = type(other)
        method = _power_methods.get(other) if t is float or t is int else None
        if method is None:
            if not _is_number(other):
                return NotImplemented
            method = _power_method(other)
        if self.data <= 0:
            _check_power(self, other)
        return method(self)

    def __rpow__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other) ** self

    def log(self) -> Value:
        """Natural logarithm. Raises ValueError for x <= 0."""
        if self.data <= 0:
            raise ValueError(f"log: got {_show(self)}; expected a positive number")
        return _log(self)

    def sqrt(self) -> Value:
        """Square root. Raises ValueError for x < 0; sqrt'(0) = +inf."""
        if self.data < 0:
            raise ValueError(f"sqrt: got {_show(self)}; expected a number >= 0")
        return _sqrt(self)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x; its derivative at 0 is ``slope``."""
        if not _is_number(slope):
            raise TypeError(f"leaky_relu: slope must be a number, got {type(slope).__name__}")
        rule = r.leaky_relu(float(slope))
        x = self.data
        out = rule.forward(x)
        return _node(out, (self,), rule.derivative(out, x), rule)


def _check_power(base: Value, k: float) -> None:
    x = base.data
    if x == 0 and k < 0:
        raise ZeroDivisionError(
            f"**: 0 cannot be raised to a negative power ({k!r}): base {_show(base)}"
        )
    if x < 0 and math.isfinite(k) and not float(k).is_integer():
        raise ValueError(
            f"**: a negative base {_show(base)} to the non-integer power {k!r} is not a real "
            "number; expected an integer exponent or a base >= 0"
        )


def _binary_method(rule: r.Rule, doc: str):
    """Make ``Value.__add__`` and friends: lift a number operand, apply ``rule``."""

    forward = rule.forward
    derivative = rule.derivative

    def method(self: Value, other: Value | float) -> Value:
        if type(other) is not Value:
            if not _is_number(other):
                return NotImplemented
            other = Value(other)
        x = self.data
        y = other.data
        out = forward(x, y)
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v.label = ""
        v._p0 = self
        v._p1 = other
        v._d0, v._d1 = derivative(out, x, y)
        v._rule = rule
        if grad_mode.open_blocks:
            grad_mode.adjust_new_node(v)
        return v

    method.__doc__ = doc
    return method


def _reflected_method(rule: r.Rule, doc: str):
    """Make ``Value.__radd__`` and friends: ``2 - x`` is SUB applied to (2, x)."""
    forward = _binary_method(rule, doc)

    def method(self: Value, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return forward(Value(other), self)

    method.__doc__ = doc
    return method


def _unary_method(rule: r.Rule, doc: str):
    """Make ``Value.exp`` and friends: apply a one-input ``rule``."""

    forward = rule.forward
    derivative = rule.derivative

    def method(self: Value) -> Value:
        x = self.data
        out = forward(x)
        v = _new(Value)
        v.data = out
        v.grad = 0.0
        v.label = ""
        v._p0 = self
        v._p1 = None
        (v._d0,) = derivative(out, x)
        v._rule = rule
        if grad_mode.open_blocks:
            grad_mode.adjust_new_node(v)
        return v

    method.__doc__ = doc
    return method


# x ** k for a constant k: one method per exponent, made on first use.
_power_methods: dict[float, Any] = {}


def _power_method(k: float):
    if len(_power_methods) >= 1024:  # a program sweeping exponents must not grow this forever
        _power_methods.clear()
    method = _power_methods[k] = _unary_method(r.power(k), f"x ** {k}")
    return method


# Written out one per line (not a loop) so readers, grep and type checkers can see them.
Value.__add__ = _binary_method(r.ADD, "x + y")
Value.__radd__ = _reflected_method(r.ADD, "number + x")
Value.__sub__ = _binary_method(r.SUB, "x - y")
Value.__rsub__ = _reflected_method(r.SUB, "number - x")
Value.__mul__ = _binary_method(r.MUL, "x * y")
Value.__rmul__ = _reflected_method(r.MUL, "number * x")
Value.__neg__ = _unary_method(r.NEG, "-x")
Value.__abs__ = _unary_method(r.ABS, "|x|, with derivative sign(x) and abs'(0) = 0.")
Value.exp = _unary_method(r.EXP, "e**x. Overflows to inf (not OverflowError) past x = 709.78.")
Value.tanh = _unary_method(r.TANH, "Hyperbolic tangent; finite value and slope for any finite x.")
Value.sigmoid = _unary_method(r.SIGMOID, "1 / (1 + e**-x), no overflow: sigmoid(-1000) is 0.0.")
Value.relu = _unary_method(r.RELU, "max(x, 0), with relu'(0) = 0.")
Value.softplus = _unary_method(r.SOFTPLUS, "log(1 + e**x), stable: softplus(1000) is 1000.0.")
Value.sin = _unary_method(r.SIN, "Sine (nan for an infinite input, as IEEE says).")
Value.cos = _unary_method(r.COS, "Cosine (nan for an infinite input, as IEEE says).")
_div = _binary_method(r.DIV, "x / y (the divisor is checked by Value.__truediv__)")
_pow = _binary_method(r.POW, "x ** y (the domain is checked by Value.__pow__)")
_log = _unary_method(r.LOG, "log(x) (the domain is checked by Value.log)")
_sqrt = _unary_method(r.SQRT, "sqrt(x) (the domain is checked by Value.sqrt)")
