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
from collections.abc import Callable, Generator
from contextvars import ContextVar
from typing import Any, TypeVar, overload

__all__ = [
    "adjust_new_node",
    "anomaly_detector",
    "close_block",
    "is_recording",
    "no_grad",
    "on_first_and_last",
    "open_block",
]

F = TypeVar("F", bound=Callable[..., Any])

# How many no_grad blocks are open in this thread/task (0: ops record). A depth rather than
# ContextVar tokens kept on the block: one no_grad object may then be entered by several
# threads or tasks at once, each entry counted in its own context and undone there.
_no_grad_depth: ContextVar[int] = ContextVar("chainrule_no_grad_depth", default=0)
# The anomaly detector of this thread/task while detect_anomaly() is active, else None.
# It is an anomaly._Detector; this module only calls its check_new_node(node).
anomaly_detector: ContextVar[Any] = ContextVar("chainrule_anomaly_detector", default=None)
_lock = threading.Lock()
# How many no_grad and detect_anomaly blocks are open in any thread or task. While it is
# 0, no node needs adjust_new_node: the ops that read it test it on their fast path, and
# the generated ops of methods.py do not test it at all (see ``on_first_and_last``).
open_blocks = 0
_listeners: list[Callable[[bool], None]] = []


def on_first_and_last(listener: Callable[[bool], None]) -> None:
    """Call ``listener(True)`` when a first block opens anywhere (the count leaves 0) and
    ``listener(False)`` when the last one closes; called under the lock that counts."""
    _listeners.append(listener)


def open_block() -> None:
    """Count a mode block opened in some thread or task (see ``open_blocks``)."""
    global open_blocks
    with _lock:
        open_blocks += 1
        if open_blocks == 1:
            for listener in _listeners:
                listener(True)


def close_block() -> None:
    """Count a mode block closed."""
    global open_blocks
    with _lock:
        open_blocks -= 1
        if open_blocks == 0:
            for listener in _listeners:
                listener(False)


def is_recording() -> bool:
    """Whether ops in the current thread/task record their parents (False inside no_grad).

    Example:
        >>> with no_grad():
        ...     is_recording()
        False
        >>> is_recording()
        True
    """
    return open_blocks == 0 or _no_grad_depth.get() == 0


def adjust_new_node(node: Any) -> None:
    """Called for each new node while some block is open anywhere.

    Inside detect_anomaly, the detector checks the node (before no_grad cuts its edges,
    so that the message can still name the op and its inputs); inside no_grad, the
    node's edges are cut.
    """
    recording = _no_grad_depth.get() == 0
    detector = anomaly_detector.get()
    if detector is not None:
        detector.check_new_node(node, recording)
    if not recording:
        node._p0 = node._p1 = None
        node._meta = None  # (a node just made has no label)


class no_grad:
    """Context manager and decorator: ops inside record no parents.

    Results computed inside are leaves: cheaper, and ``backward()`` stops at them. Use it
    for evaluation, and for updating parameters by hand. One object may be entered by
    several threads or asyncio tasks at once: each entry applies to its own thread/task.
    On a generator function, it applies while the generator runs (each ``next()``), not
    to the caller's code between them.

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

    @overload
    def __new__(cls, func: None = None) -> no_grad: ...

    # Bare ``@no_grad`` passes the function itself and gets it back wrapped: a __new__
    # that returns something other than an instance, which mypy flags by principle.
    @overload
    def __new__(cls, func: F) -> F: ...  # type: ignore[misc]

    def __new__(cls, func: F | None = None) -> Any:
        block = super().__new__(cls)
        return block if func is None else block(func)

    def __enter__(self) -> no_grad:
        open_block()
        _no_grad_depth.set(_no_grad_depth.get() + 1)
        return self

    def __exit__(self, *exc_info: object) -> None:
        depth = _no_grad_depth.get()
        if depth == 0:  # nothing open here to close: the entry stays counted where it is
            raise RuntimeError(
                "no_grad: exited in a thread or asyncio task where it was not entered; "
                "enter and exit each block in the same thread/task (a with statement does)"
            )
        _no_grad_depth.set(depth - 1)
        close_block()

    def __call__(self, func: F) -> F:
        # A fresh block per call, so one decorated function is safe to run concurrently.
        # wraps() keeps the signature, which type checkers cannot see: hence the ignores.
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                with no_grad():
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        if inspect.isgeneratorfunction(func):

            @functools.wraps(func)
            def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
                return (yield from _without_grad(func(*args, **kwargs)))

            return generator_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with no_grad():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _without_grad(gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
    """Run ``gen`` inside no_grad at each resumption, and outside it in between.

    No block is left open across a ``yield``: the caller's code between two ``next()``
    records as usual, and an abandoned generator leaves nothing behind.
    """
    try:
        with no_grad():
            response = gen.send(None)
        while True:
            try:
                request = yield response
            except GeneratorExit:
                with no_grad():
                    gen.close()
                raise
            except BaseException as e:  # thrown in by the caller: pass it on to gen
                with no_grad():
                    response = gen.throw(e)
            else:
                with no_grad():
                    response = gen.send(request)
    except StopIteration as stop:
        return stop.value
