"""The ``Value`` node: a float that remembers how it was computed.

A node stores its parents (a tuple, in argument order, duplicates kept), the local
derivatives d(node)/d(parent) as floats, and the shared ``Rule`` that produced it. It
holds no closure and no reference back to its children, so graphs have no reference
cycles and are freed by reference counting the moment the last output is dropped.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from . import grad_mode
from . import rules as r

__all__ = ["Value"]

_new = object.__new__


def _node(data: float, parents: tuple, local: tuple, rule: r.Rule) -> Value:
    # The one place where interior nodes are made (bypasses __init__'s input checks).
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    v.label = ""
    if grad_mode.open_blocks and not grad_mode.is_recording():
        parents = local = ()
        rule = None
    v._parents = parents
    v._local = local
    v._rule = rule
    return v


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


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

    __slots__ = ("_local", "_parents", "_rule", "data", "grad", "label")

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
        self._parents = ()
        self._local = ()
        self._rule = None

    # --- what the node records ---------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in argument order (``()`` for a leaf)."""
        return self._parents

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, computed in the forward pass."""
        return self._local

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

    # --- binary ops ----------------------------------------------------------------------

    def _binary(self, rule: r.Rule, other: Value) -> Value:
        x = self.data
        y = other.data
        out = rule.forward(x, y)
        return _node(out, (self, other), rule.derivative(out, x, y), rule)

    def __add__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            if not _is_number(other):
                return NotImplemented
            other = Value(other)
        return self._binary(r.ADD, other)

    def __radd__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other)._binary(r.ADD, self)

    def __sub__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            if not _is_number(other):
                return NotImplemented
            other = Value(other)
        return self._binary(r.SUB, other)

    def __rsub__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other)._binary(r.SUB, self)

    def __mul__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            if not _is_number(other):
                return NotImplemented
            other = Value(other)
        return self._binary(r.MUL, other)

    def __rmul__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other)._binary(r.MUL, self)

    def __truediv__(self, other: Value | float) -> Value:
        if type(other) is not Value:
            if not _is_number(other):
                return NotImplemented
            other = Value(other)
        if other.data == 0:
            raise ZeroDivisionError(f"/: division by zero: {_show(self)} / {_show(other)}")
        return self._binary(r.DIV, other)

    def __rtruediv__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other) / self

    def __pow__(self, other: Value | float) -> Value:
        if type(other) is Value:
            _check_power(self, other.data)
            return self._binary(r.POW, other)
        if not _is_number(other):
            return NotImplemented
        _check_power(self, other)
        rule = r.power(float(other))
        x = self.data
        out = rule.forward(x)
        return _node(out, (self,), rule.derivative(out, x), rule)

    def __rpow__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other) ** self

    # --- unary ops -----------------------------------------------------------------------

    def _unary(self, rule: r.Rule) -> Value:
        x = self.data
        out = rule.forward(x)
        return _node(out, (self,), rule.derivative(out, x), rule)

    def __neg__(self) -> Value:
        return self._unary(r.NEG)

    def __abs__(self) -> Value:
        """|x|, with derivative sign(x) and abs'(0) = 0."""
        return self._unary(r.ABS)

    def exp(self) -> Value:
        """e**x. Overflows to inf (not OverflowError) past x = 709.78."""
        return self._unary(r.EXP)

    def log(self) -> Value:
        """Natural logarithm. Raises ValueError for x <= 0."""
        if self.data <= 0:
            raise ValueError(f"log: got {_show(self)}; expected a positive number")
        return self._unary(r.LOG)

    def sqrt(self) -> Value:
        """Square root. Raises ValueError for x < 0; sqrt'(0) = +inf."""
        if self.data < 0:
            raise ValueError(f"sqrt: got {_show(self)}; expected a number >= 0")
        return self._unary(r.SQRT)

    def tanh(self) -> Value:
        """Hyperbolic tangent; finite value and derivative for any finite input."""
        return self._unary(r.TANH)

    def sigmoid(self) -> Value:
        """1 / (1 + e**-x), computed without overflow (sigmoid(-1000) is 0.0)."""
        return self._unary(r.SIGMOID)

    def relu(self) -> Value:
        """max(x, 0), with relu'(0) = 0."""
        return self._unary(r.RELU)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x; its derivative at 0 is ``slope``."""
        if not _is_number(slope):
            raise TypeError(f"leaky_relu: slope must be a number, got {type(slope).__name__}")
        return self._unary(r.leaky_relu(float(slope)))

    def softplus(self) -> Value:
        """log(1 + e**x), stable for any finite x (softplus(1000) is 1000.0)."""
        return self._unary(r.SOFTPLUS)

    def sin(self) -> Value:
        """Sine (nan for an infinite input, as IEEE says)."""
        return self._unary(r.SIN)

    def cos(self) -> Value:
        """Cosine (nan for an infinite input, as IEEE says)."""
        return self._unary(r.COS)


def _check_power(base: Value, k: float) -> None:
    x = base.data
    if x == 0 and k < 0:
        raise ZeroDivisionError(f"**: 0 cannot be raised to a negative power ({k!r}): base {_show(base)}")
    if x < 0 and math.isfinite(k) and not float(k).is_integer():
        raise ValueError(
            f"**: a negative base {_show(base)} to the non-integer power {k!r} is not a real "
            "number; expected an integer exponent or a base >= 0"
        )
