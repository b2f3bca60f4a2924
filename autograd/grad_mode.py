"""Modes that change how new nodes are made: ``no_grad`` here, ``detect_anomaly`` in anomaly.py.

The state lives in ``ContextVar``s, so a block in one thread or asyncio task never
affects another. Reading a ContextVar on every op would cost about a fifth of an op's
time, so ops first read a plain counter of the blocks (of either mode) open anywhere:
while it is 0 (the usual case) nothing else is consulted.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any, TypeVar, overload

__all__ = [
    "adjust_new_node",
    "anomaly_detector",
    "close_block",
    "is_recording",
    "no_grad",
    "open_block",
]

F = TypeVar("F", bound=Callable[..., Any])

_recording: ContextVar[bool] = ContextVar("chainrule_recording", default=True)
# The anomaly detector of this thread/task while detect_anomaly() is active, else None.
# It is an anomaly._Detector; this module only calls its check_new_node(node).
anomaly_detector: ContextVar[Any] = ContextVar("chainrule_anomaly_detector", default=None)
_lock = threading.Lock()
# How many no_grad and detect_anomaly blocks are open in any thread or task. Ops read it
# on their fast path: while it is 0, no node needs adjust_new_node.
open_blocks = 0


def open_block() -> None:
    """Count a mode block opened in some thread or task (see ``open_blocks``)."""
    global open_blocks
    with _lock:
        open_blocks += 1


def close_block() -> None:
    """Count a mode block closed."""
    global open_blocks
    with _lock:
        open_blocks -= 1


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
    """Called for each new node while some block is open anywhere.

    Inside detect_anomaly, the detector checks the node (before no_grad cuts its edges,
    so that the message can still name the op and its inputs); inside no_grad, the
    node's edges are cut.
    """
    recording = _recording.get()
    detector = anomaly_detector.get()
    if detector is not None:
        detector.check_new_node(node, recording)
    if not recording:
        node._p0 = node._p1 = None
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
        >>> @no_grad  # or @no_grad()
        ... def predict(v):
        ...     return v * 3
        >>> predict(x).parents
        ()
    """

    _tokens: list[Token[bool]]

    @overload
    def __new__(cls, func: None = None) -> no_grad: ...

    # Bare ``@no_grad`` passes the function itself and gets it back wrapped: a __new__
    # that returns something other than an instance, which mypy flags by principle.
    @overload
    def __new__(cls, func: F) -> F: ...  # type: ignore[misc]

    def __new__(cls, func: F | None = None) -> Any:
        block = super().__new__(cls)
        block._tokens = []
        return block if func is None else block(func)

    def __enter__(self) -> no_grad:
        open_block()
        self._tokens.append(_recording.set(False))
        return self

    def __exit__(self, *exc_info: object) -> None:
        _recording.reset(self._tokens.pop())
        close_block()

    def __call__(self, func: F) -> F:
        # A fresh block per call, so one decorated function is safe to run concurrently.
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with no_grad():
                    return await func(*args, **kwargs)

            # wraps() keeps the signature, which type checkers cannot see: hence the ignore.
            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # (as above)
