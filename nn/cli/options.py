"""What the ``chainrule`` subcommands share: the usage error and argument types.

Each argument type turns one command-line string into a value or raises
``argparse.ArgumentTypeError`` with a message that names what was expected; argparse
then reports it as ``argument --epochs: expected an int >= 1, got '-3'``.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any, Protocol

__all__ = [
    "MAX_LAYERS",
    "MAX_WIDTH",
    "Subcommands",
    "UsageError",
    "folder",
    "int_at_least",
    "layer_widths",
    "positive_float",
    "real_at_least",
]


class Subcommands(Protocol):
    """What each command's ``add_parser`` needs of ``ArgumentParser.add_subparsers()``'s
    result (argparse keeps that class private)."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


class UsageError(ValueError):
    """Options that are fine one by one but not together (reported like argparse's errors)."""


def int_at_least(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """An argument type for ints >= ``minimum`` (and <= ``maximum``, if given).

    Args:
        minimum: the smallest int accepted.
        maximum: the largest int accepted, or None for no bound.

    Returns:
        A function from the argument's text to the int (argparse's ``type=``).

    Example:
        >>> int_at_least(1)("16")
        16
    """

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            bound = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum:,}"
            raise argparse.ArgumentTypeError(f"expected an int {bound}, got {text!r}")
        return value

    parse.__name__ = f"int >= {minimum}"
    return parse


def _parse_finite(text: str) -> float | None:
    """The finite number ``text`` spells, or None (not a number, inf or nan)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def real_at_least(minimum: float) -> Callable[[str], float]:
    """An argument type for finite numbers >= ``minimum``.

    Args:
        minimum: the smallest number accepted.

    Returns:
        A function from the argument's text to the float (argparse's ``type=``).

    Example:
        >>> real_at_least(0.0)("1e-4")
        0.0001
    """

    def parse(text: str) -> float:
        value = _parse_finite(text)
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"expected a number >= {minimum:g}, got {text!r}")
        return value

    parse.__name__ = f"number >= {minimum:g}"
    return parse


def positive_float(text: str) -> float:
    """An argument type for finite numbers > 0 (learning rates).

    Args:
        text: the argument as typed.

    Returns:
        The number.

    Example:
        >>> positive_float("0.05")
        0.05
    """
    value = _parse_finite(text)
    if value is None or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number > 0, got {text!r}")
    return value


MAX_WIDTH = 1_000  # a wider layer of scalar Values is beyond what this engine is for
MAX_LAYERS = 20


def layer_widths(text: str) -> list[int]:
    """An argument type for hidden layer widths: ``"16,16"``; ``""`` for none.

    At most MAX_LAYERS layers of at most MAX_WIDTH each.

    Args:
        text: the argument as typed.

    Returns:
        The widths, in order.

    Example:
        >>> layer_widths("16, 8"), layer_widths("")
        ([16, 8], [])
    """
    if not text.strip():
        return []
    widths = []
    parts = text.split(",")
    for part in parts[: MAX_LAYERS + 1]:
        part = part.strip()
        if not part.isdigit() or not 1 <= int(part) <= MAX_WIDTH or len(parts) > MAX_LAYERS:
            raise argparse.ArgumentTypeError(
                f"expected up to {MAX_LAYERS} comma-separated layer widths from 1 to "
                f"{MAX_WIDTH:,}, such as 16,16; got {text[:60]!r}"
            )
        widths.append(int(part))
    return widths


def folder(text: str) -> str:
    """An argument type for an output folder: any path but an empty one.

    Args:
        text: the argument as typed.

    Returns:
        The path, unchanged.

    Example:
        >>> folder("runs/demo")
        'runs/demo'
    """
    if not text.strip():
        # Path("") is the current directory: a typo like --out "$UNSET" would scatter files.
        raise argparse.ArgumentTypeError("expected a folder, got an empty path (use . for here)")
    return text
