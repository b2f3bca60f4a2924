"""Switching graph recording off: ``no_grad``.

The state lives in a ``ContextVar``, so a ``no_grad`` block in one thread or asyncio task
never affects another. Reading a ContextVar on every op would cost about a fifth of an
op's time, so ops first read a plain counter of the blocks open anywhere: while it is 0
(the usual case) nothing else is consulted.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, TypeVar

__all__ = ["adjust_new_node", "is_recording", "no_grad"]

F = TypeVar("F", bound=Callable[..., Any])

_recording: ContextVar[bool] = ContextVar("chainrule_recording", default=True)
_lock = threading.Lock()
# How many no_grad blocks are open in any thread or task. Ops read it on their fast path:
# while it is 0, no node needs adjust_new_node.
open_blocks = 0


def is_recording() -> bool:
    """Whether ops in the current thread/task record their parents (False inside no_grad).

    Example:
        >>> with no_grad():
        ...     is_recording()
        False
        >>> is_recording()
        True
    """
    return open_blocks == 0 or _recording.get()


def adjust_new_node(node: Any) -> None:
    """Called for each new node while some block is open: inside no_grad, cut its edges."""
    if not _recording.get():
        node._parents = node._local = ()
        node._rule = None


class no_grad:
    """Context manager and decorator: ops inside record no parents.

    Results computed inside are leaves: cheaper, and ``backward()`` stops at them. Use it
    for evaluation, and for updating parameters by hand.

    Example:
        >>> from autograd import Value
        >>> x = Value(2.0)
        >>> with no_grad():
        ...     y = x * x
        >>> y.data, y.parents
        (4.0, ())
        >>> @no_grad()
        ... def predict(v):
        ...     return v * 3
        >>> predict(x).parents
        ()
    """

    def __init__(self) -> None:
        self._tokens: list[Token[bool]] = []

    def __enter__(self) -> no_grad:
        global open_blocks
        with _lock:
            open_blocks += 1
        self._tokens.append(_recording.set(False))
        return self

    def __exit__(self, *exc_info: object) -> None:
        global open_blocks
        _recording.reset(self._tokens.pop())
        with _lock:
            open_blocks -= 1

    def __call__(self, func: F) -> F:
        # A fresh block per call, so one decorated function is safe to run concurrently.
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with no_grad():
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
