"""What counts as a number, decided once for the engine, the tapes and ``nn``.

A number is a real that is not a bool: ``True + x`` is almost always a mistake, and
``numpy.float64`` or ``fractions.Fraction`` are as welcome as ``float``. This module is
private to chainrule; its names are shared by import rather than written again.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, TypeGuard

__all__ = ["is_number", "to_float"]


def is_number(x: Any) -> TypeGuard[float]:
    """True for an int, float or other real number that is not a bool.

    (For a type checker, such a number is a float: every use converts it with float().)

    Example:
        >>> is_number(2), is_number(2.5), is_number(True), is_number("2")
        (True, True, False, False)
    """
    # int and float first: the ABC check behind numbers.Real costs ~100 ns.
    t = type(x)
    return t is float or t is int or (isinstance(x, numbers.Real) and t is not bool)


def to_float(x: float) -> float:
    """``float(x)`` for a number, but an int too big for a float is +-inf, not OverflowError.

    As float arithmetic overflows to inf, so does the conversion: ``Value(10**400)`` is
    ``Value(inf)``. Call it where ``float()`` would be called on a checked number.

    Example:
        >>> to_float(3), to_float(-(10**400))
        (3.0, -inf)
    """
    try:
        return float(x)
    except OverflowError:  # only an exact number (int, Fraction) too large for a float
        return math.inf if x > 0 else -math.inf
