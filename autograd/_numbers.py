"""What counts as a number, decided once for the engine, the tapes and ``nn``.

A number is a real that is not a bool: ``True + x`` is almost always a mistake, and
``numpy.float64`` or ``fractions.Fraction`` are as welcome as ``float``. This module is
private to chainrule; its names are shared by import rather than written again.
"""

from __future__ import annotations

import numbers
from typing import Any, TypeGuard

__all__ = ["is_number"]


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
