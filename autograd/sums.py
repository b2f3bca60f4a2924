"""Sums of many terms as single nodes: ``total`` and ``dot``.

``sum(values)`` works too, but builds a chain of n - 1 additions; these build one node
with n (or 2n) parents, which is several times faster to create and to backpropagate,
and draws as one op. A neuron is ``dot(w, x) + b``.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence

from . import rules as r
from ._numbers import is_number
from .value import Value, make_node

__all__ = ["dot", "total"]


_ONLY_VALUES = frozenset({Value})
_data = operator.attrgetter("data")


def _as_values(items: Iterable[Value | float], fn: str, arg: str) -> tuple[Value, ...]:
    items = tuple(items)
    # The common case, all Values, is checked at C speed: these ops take many inputs.
    if _ONLY_VALUES.issuperset(map(type, items)):
        return items  # type: ignore[return-value]  # just checked: every item is a Value
    out = []
    for i, v in enumerate(items):
        if not isinstance(v, Value):
            if not is_number(v):
                raise TypeError(
                    f"{fn}: {arg}[{i}] must be a Value or a number, got {type(v).__name__}"
                )
            v = Value(v)
        out.append(v)
    return tuple(out)


def total(values: Iterable[Value | float]) -> Value:
    """The sum of ``values`` as one node (its local derivatives are all 1).

    The result is the exactly rounded sum (``math.fsum``), independent of term order.

    Args:
        values: Values and/or numbers (numbers become constant leaves).

    Returns:
        A Value; ``Value(0.0)`` for no values.

    Example:
        >>> a, b = Value(1.5), Value(-4.0)
        >>> s = total([a, b, a])
        >>> s.backward()
        >>> s.data, a.grad, b.grad
        (-1.0, 2.0, 1.0)
    """
    parents = _as_values(values, "total", "values")
    if not parents:
        return Value(0.0)
    data = tuple(map(_data, parents))
    out = r.TOTAL.forward(*data)  # fsum, or where fsum refuses what + gives (rules.fsum_)
    return make_node(out, parents, tuple(r.TOTAL.derivative(out, *data)), r.TOTAL)


def dot(a: Sequence[Value | float], b: Sequence[Value | float]) -> Value:
    """The dot product sum(a[i] * b[i]) as one node.

    d/da[i] is b[i] and d/db[i] is a[i]. The products are summed exactly (``math.fsum``).

    Args:
        a: Values and/or numbers.
        b: as many Values and/or numbers.

    Returns:
        A Value; ``Value(0.0)`` for empty sequences.

    Raises:
        ValueError: if the lengths differ.

    Example:
        >>> w = [Value(0.5), Value(-1.0)]
        >>> x = [Value(2.0), Value(3.0)]
        >>> y = dot(w, x)
        >>> y.backward()
        >>> y.data, w[0].grad, x[1].grad
        (-2.0, 2.0, -1.0)
    """
    left = _as_values(a, "dot", "a")
    right = _as_values(b, "dot", "b")
    if len(left) != len(right):
        raise ValueError(f"dot: a has {len(left)} entries but b has {len(right)}; expected equal")
    if not left:
        return Value(0.0)
    parents = left + right
    data = tuple(map(_data, parents))
    out = r.DOT.forward(*data)
    return make_node(out, parents, tuple(r.DOT.derivative(out, *data)), r.DOT)
