"""The float meaning of every name a formula may call: the rules of the table by name (each
its float ``forward``) and the helpers of ``formula.HELPERS``.

The eager engine's generated methods (``methods.py``) and the float source of compiled
tapes (``tape/codegen.py``) both evaluate the table's formulas on floats through these
names, so they compute the same numbers as the derivative functions the rules compile,
bit for bit (those reach the same functions through ``rules.SCOPE``).
"""

from __future__ import annotations

import math
from typing import Any

from . import rules as r

__all__ = ["FLOAT_HELPERS", "float_functions"]


def _is_zero(x: float) -> bool:
    return x == 0


def _is_integer(x: float) -> bool:
    return float(x).is_integer()  # a parameter's .data may be an int


# The float meaning of each of formula.HELPERS (a test checks the two lists agree).
FLOAT_HELPERS: dict[str, Any] = {
    "pow": r.pow_,
    "is_zero": _is_zero,
    "isfinite": math.isfinite,
    "is_integer": _is_integer,
    "nan": r.nan,
    "inf": r.inf,
}


def float_functions() -> dict[str, Any]:
    """Each rule of the table by its name (its float forward), and the helpers.

    Example:
        >>> float_functions()["exp"](1000.0)  # the engine's exp: inf, not OverflowError
        inf
    """
    names: dict[str, Any] = {
        rule.name: rule.forward
        for rule in r.TABLE.values()
        if rule.name.isidentifier() and rule.arity is not None
    }
    names.update(FLOAT_HELPERS)
    return names
