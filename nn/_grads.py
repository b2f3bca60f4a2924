"""Resetting gradients, shared by ``Module.zero_grad`` and ``Optimizer.zero_grad``."""

from __future__ import annotations

from collections.abc import Iterable

from autograd import Value


def zero_grads(params: Iterable[Value], set_to_none: bool, owner: str) -> None:
    """Set each parameter's ``.grad`` to 0.0, after checking ``set_to_none`` is a bool."""
    if not isinstance(set_to_none, bool):
        raise TypeError(
            f"{owner}.zero_grad: set_to_none must be True or False, got {set_to_none!r}"
        )
    # set_to_none=True sets 0.0 too: backward() adds into .grad and needs a number there.
    for p in params:
        p.grad = 0.0
