"""Finding where the first nan or inf came from: ``detect_anomaly``.

While a ``detect_anomaly()`` block is open in a thread or task, every node made there is
checked as it is made (via ``grad_mode.adjust_new_node``, the hook every node passes
through while a mode block is open) and the line of user code that made it is recorded;
``backward`` and ``grad`` first run a checked sweep over the gradients flowing back.
Outside the block nothing is checked or recorded, and ops take their usual fast path.
"""

from __future__ import annotations

import math
import sys
from contextvars import Token
from types import FrameType
from typing import TYPE_CHECKING, Any

from . import grad_mode

if TYPE_CHECKING:
    from .value import Value

__all__ = ["detect_anomaly"]

_isfinite = math.isfinite


def _here() -> None:
    """Only its code object matters: it tells which directory this package lives in."""


# Frames whose file is in this directory belong to the engine, not to the user. Taken from
# a code object so that it is spelled exactly as the other modules' co_filename are.
_PACKAGE_DIR = _here.__code__.co_filename.rpartition("anomaly.py")[0]

# Where a node was made: (file, line, function) of the innermost frame outside autograd.
Site = tuple[str, int, str]


def _user_site(frame: FrameType | None) -> Site | None:
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return None
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


class _Detector:
    """The state of one detect_anomaly() block: where each node made inside it came from.

    ``sites`` holds a strong reference to every recording node made in the block (nodes
    have no ``__weakref__`` slot, on purpose: it would cost 8 bytes a node everywhere),
    so it is cleared when the outermost block exits. Keep the block around one step, not
    a whole training run.
    """

    __slots__ = ("sites",)

    def __init__(self) -> None:
        self.sites: dict[Value, Site | None] = {}

    def check_new_node(self, node: Value, recording: bool) -> None:
        """Raise FloatingPointError if ``node.data`` is nan or inf; else record its site."""
        # Frames: 0 this method, 1 adjust_new_node; the walk skips the rest of autograd.
        site = _user_site(sys._getframe(2))
        if not _isfinite(node.data):
            raise FloatingPointError(
                f"detect_anomaly: {_describe(node)} produced {node.data!r} in the forward "
                f"pass from {_inputs(node)}; {_where(site)}"
            )
        if recording:  # a node made inside no_grad has no edges for backward to follow
            self.sites[node] = site

    def check_backward(self, order: list[Value]) -> None:
        """Sweep the gradients of ``order`` (root last) and raise at the first nan or inf.

        The sweep keeps its own gradients (no ``.grad`` changes): ``backward`` and
        ``grad`` do their usual work afterwards, only if nothing was found.
        """
        grads: dict[Value, float] = {order[-1]: 1.0}
        for node in reversed(order):
            g = grads.pop(node, 0.0)
            if not _isfinite(g):
                # Every product was finite when it arrived, so their sum overflowed.
                raise FloatingPointError(
                    f"detect_anomaly: in backward, the gradient reaching {_describe(node)} "
                    f"summed to {g!r} from finite contributions of the nodes made from it; "
                    f"{_where(self.sites.get(node))}"
                )
            masks = node.rule is not None and node.rule.masks
            for i, (parent, local) in enumerate(zip(node.parents, node.local_grads, strict=True)):
                if masks and local == 0.0:
                    continue  # relu's inactive side passes exactly 0 (backward.py)
                product = local * g
                if not _isfinite(product):
                    raise FloatingPointError(
                        f"detect_anomaly: in backward, {_describe(node)} passed {product!r} "
                        f"to its input {i}: local derivative {local!r} times incoming "
                        f"gradient {g!r}; its inputs were {_inputs(node)}; "
                        f"{_where(self.sites.get(node))}"
                    )
                grads[parent] = grads.get(parent, 0.0) + product


def _describe(node: Value) -> str:
    label = f"node label {node.label!r}" if node.label else "node has no label"
    what = f"op {node.op!r}" if node.rule is not None else "a leaf"
    return f"{what} ({label})"


def _inputs(node: Value) -> str:
    shown = [f"{p.data!r} (label {p.label!r})" if p.label else repr(p.data) for p in node.parents]
    return "(" + ", ".join(shown) + ")"


def _where(site: Site | None) -> str:
    if site is None:
        return "the node was made outside detect_anomaly(), so where is not known"
    file, line, function = site
    return f"node made at {file}:{line} in {function}"


def active_detector() -> _Detector | None:
    """The detector of the current thread/task, or None (cheap while no block is open)."""
    return grad_mode.anomaly_detector.get() if grad_mode.open_blocks else None


class detect_anomaly:
    """Context manager: raise ``FloatingPointError`` at the first nan or inf, saying where.

    Inside the block, an op whose result is nan or inf raises at once, and ``backward``
    / ``grad`` raise at the first nan or inf gradient flowing back (a local derivative
    times the incoming gradient). The message names the op, its input values, the node's
    label and the file:line of your code that made the node. Only the current thread or
    asyncio task is affected; outside the block nothing is checked or recorded. Checking
    makes ops several times slower, so use it to hunt a nan down, then remove it.

    Example:
        >>> from autograd import Value
        >>> x = Value(1000.0, label="x")
        >>> with detect_anomaly():
        ...     y = x.exp()
        Traceback (most recent call last):
        ...
        FloatingPointError: detect_anomaly: op 'exp' (node has no label) produced inf in the forward pass from (1000.0 (label 'x')); node made at <doctest ...>:2 in <module>
        >>> z = Value(0.0, label="z")
        >>> with detect_anomaly():
        ...     r = z.sqrt()  # fine: sqrt(0) is 0 ...
        ...     r.backward()  # ... but its slope there is inf
        Traceback (most recent call last):
        ...
        FloatingPointError: detect_anomaly: in backward, op 'sqrt' (node has no label) passed inf to its input 0: local derivative inf times incoming gradient 1.0; its inputs were (0.0 (label 'z')); node made at <doctest ...>:2 in <module>
    """  # noqa: E501 (a doctest's expected output is one line, however long)

    def __init__(self) -> None:
        self._tokens: list[Token[Any]] = []

    def __enter__(self) -> detect_anomaly:
        outer = grad_mode.anomaly_detector.get()
        # A nested block shares the outer one's record, so sites made outside it are known.
        detector = outer if outer is not None else _Detector()
        self._tokens.append(grad_mode.anomaly_detector.set(detector))
        grad_mode.open_block()
        return self

    def __exit__(self, *exc_info: object) -> None:
        token = self._tokens.pop()
        detector = grad_mode.anomaly_detector.get()
        grad_mode.anomaly_detector.reset(token)
        grad_mode.close_block()
        if token.old_value is not detector:  # the outermost block: its record goes
            detector.sites.clear()
