"""Activation functions by name: relu, tanh, sigmoid, leaky_relu and linear.

A module stores the activation's name (for ``repr`` and checkpoints) and the function it
calls on each neuron's output. Any callable that maps a ``Value`` to a ``Value`` works too.
"""

from __future__ import annotations

from collections.abc import Callable

from autograd import Value

__all__ = ["ACTIVATIONS", "Activation", "linear", "resolve_activation"]

Activation = Callable[[Value], Value]


def linear(x: Value) -> Value:
    """The identity: a neuron with this activation outputs its weighted sum unchanged.

    Example:
        >>> linear(Value(-2.0)).data
        -2.0
    """
    return x


# Unbound methods are plain functions of one Value: no wrapper call per neuron output.
ACTIVATIONS: dict[str, Activation] = {
    "leaky_relu": Value.leaky_relu,
    "linear": linear,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
}


def resolve_activation(activation: str | Activation | None) -> tuple[str, Activation]:
    """Turn an activation given by name, callable or None into ``(name, function)``.

    Args:
        activation: one of the names in ``ACTIVATIONS``, a callable on a ``Value``, or
            None (meaning ``"linear"``).

    Returns:
        The name (a callable's ``__name__``) and the function to apply.

    Example:
        >>> name, f = resolve_activation("tanh")
        >>> name, round(f(Value(1.0)).data, 4)
        ('tanh', 0.7616)
    """
    if activation is None:
        return "linear", linear
    if isinstance(activation, str):
        try:
            return activation, ACTIVATIONS[activation]
        except KeyError:
            raise ValueError(
                f"unknown activation {activation!r}; expected one of {sorted(ACTIVATIONS)} "
                "or a callable that maps a Value to a Value"
            ) from None
    if callable(activation):
        return getattr(activation, "__name__", type(activation).__name__), activation
    raise TypeError(
        f"activation must be a name, a callable or None, got {type(activation).__name__}: "
        f"{activation!r}"
    )
