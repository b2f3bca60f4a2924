"""Training steps replayed from compiled tapes: what ``fit(..., tape=True)`` runs.

nn's batch losses are the mean (or, with ``reduction="sum"``, the sum) of per-example
losses. So the model and the loss of one example are traced once (``autograd.trace``), the
example's numbers as the tape's inputs and the model's parameters as its parameters, and
replayed on a whole batch with NumPy (``Tape.batch_value_and_grad``): the parameter
gradients summed over the batch (divided by its size for a mean) are what
``loss.backward()`` gives in eager mode, without building a graph. Which of the two the
loss is, is read from the first batch of more than one example: its eager loss is
compared with the mean and the sum of its per-example losses (a sum-reduced loss is the
mean times n, such as notebook 3's half sum of squares).

nn's losses read a target as a number, so a target is a constant of the trace: one tape
is made per distinct target (two for hinge labels, k for k classes). Regression targets
are nearly all distinct, so a loss over them would need a tape per example; ``TapedLoss``
refuses that (use eager mode) rather than run slower than eager.

What a tape cannot see (see ``autograd.tape``): Python branches on ``.data`` are frozen
at trace time. nn's ``cross_entropy_loss`` shifts logits by their largest value read as a
number (the same loss in exact arithmetic, whatever the shift); ``bce_loss`` clamps inside
its own op, which every replay evaluates again. The first batch is checked against the
eager loss, and ``TapedLoss`` raises if they differ.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from autograd import Tape, Value, no_grad, trace

__all__ = ["Model", "TapedLoss"]

# More distinct targets than this means regression-like targets: eager mode is faster.
MAX_TAPES = 64
# How far the first batch's taped loss may be from the eager one (rounding only).
CHECK_RTOL = 1e-9


def _sample_floats(x: Any) -> list[float]:
    """One sample's inputs (a number, or a list or tuple of numbers) as a list of floats."""
    items = x if isinstance(x, (list, tuple)) else [x]
    return [float(v) for v in items]


def _key(target: Any) -> Any:
    # Targets are numbers (labels, class indices) or short sequences of them.
    if isinstance(target, (list, tuple)):
        return tuple(_key(t) for t in target)
    return float(target)


@runtime_checkable
class Model(Protocol):
    """What a tape needs of a model: it maps one sample to a prediction and lists its
    parameters (every ``nn.Module`` does)."""

    def __call__(self, x: Any) -> Any: ...

    def parameters(self) -> list[Value]: ...


class TapedLoss:
    """The loss of ``model`` over a batch, computed by replaying per-target tapes.

    Args:
        model: maps one sample (a list of numbers) to a prediction.
        loss: ``loss(predictions, targets) -> Value``, the mean or the sum of
            per-example losses (which one is read from the first batch; see
            ``reduction``).

    Example:
        >>> from nn import MLP, SGD, hinge_loss
        >>> model = MLP(2, [4, 1], seed=0)
        >>> optimizer = SGD(model.parameters(), lr=0.1)
        >>> taped = TapedLoss(model, hinge_loss)
        >>> X, y = [[0.5, 1.0], [-1.0, 2.0]], [1, -1]
        >>> optimizer.zero_grad()
        >>> loss, preds = taped.backward(X, y)  # the mean loss's gradients in .grad
        >>> optimizer.step()
        >>> len(preds), len(taped.tapes)  # one tape per distinct label
        (2, 2)
    """

    def __init__(self, model: Model, loss: Callable[..., Value]) -> None:
        self.model = model
        self.loss = loss
        self.params = list(model.parameters())
        self.tapes: dict[Any, Tape] = {}
        self.checked = False
        # "mean" or "sum", read from the first batch of more than one example (for one
        # example the two are the same); None until then.
        self.reduction: Literal["mean", "sum"] | None = None

    def _tape(self, sample: Any, target: Any) -> Tape:
        key = _key(target)
        tape = self.tapes.get(key)
        if tape is None:
            if len(self.tapes) >= MAX_TAPES:
                raise ValueError(
                    f"fit(tape=True): more than {MAX_TAPES} distinct targets; the loss reads "
                    "each target as a number, so every one needs its own tape: use tape=False"
                )
            scalar = not isinstance(sample, (list, tuple))

            def one_example(*xs: Value) -> tuple[Value, Any]:
                pred = self.model(xs[0] if scalar else list(xs))
                return self.loss([pred], [target]), pred

            tape = self.tapes[key] = trace(
                one_example, *_sample_floats(sample), params=self.params, has_aux=True
            )
        return tape

    def backward(self, X: Sequence[Any], y: Sequence[Any]) -> tuple[float, list[Any]]:
        """Add the batch loss's gradients to the parameters' ``.grad``.

        The first call also computes the loss eagerly and raises if the two differ; the
        first batch of more than one example also tells whether the loss is a mean or a
        sum of per-example losses.

        Args:
            X: the batch's samples (lists of numbers or Values).
            y: their targets.

        Returns:
            ``(loss, predictions)``: the batch loss (mean or sum, as the loss is), and
            each sample's prediction as a ``Value`` (or list of them), for accuracy.

        Raises:
            ValueError: the loss is neither the mean nor the sum of per-example losses,
                the taped loss is not the eager one (a model that branches on ``.data``),
                or there are too many distinct targets.
        """
        try:
            import numpy as np
        except ImportError:
            raise ImportError("fit(tape=True) needs numpy: pip install 'chainrule[fast]'") from None
        if len(X) != len(y) or not X:
            raise ValueError(f"TapedLoss: got {len(X)} samples and {len(y)} targets")

        eager = None
        if self.reduction is None and len(X) > 1:
            self.reduction, eager = self._reduction(X, y)
        by_target: dict[Any, list[int]] = {}
        for i, t in enumerate(y):
            by_target.setdefault(_key(t), []).append(i)
        scale = 1.0 if self.reduction == "sum" else 1.0 / len(X)
        total = 0.0
        preds: list[Any] = [None] * len(X)
        for rows in by_target.values():
            tape = self._tape(X[rows[0]], y[rows[0]])
            columns = np.array([_sample_floats(X[i]) for i in rows]).T
            losses, aux = tape.batch_backward(*columns, scale=scale)
            total += math.fsum(losses.tolist())
            if isinstance(aux, list):  # several outputs (class scores)
                per_row = np.array(aux).T.tolist()
                for i, scores in zip(rows, per_row, strict=True):
                    preds[i] = [Value(s) for s in scores]
            else:
                for i, p in zip(rows, aux.tolist(), strict=True):
                    preds[i] = Value(p)
        value = total * scale
        if not self.checked:
            self._check(X, y, value, eager)
        return value, preds

    def _reduction(
        self, X: Sequence[Any], y: Sequence[Any]
    ) -> tuple[Literal["mean", "sum"] | None, float]:
        """Whether the loss is the mean or the sum of per-example losses, from a batch of
        more than one example (None while a zero loss cannot tell); also returns the
        batch's eager loss."""
        with no_grad():
            preds = [self.model(x) for x in X]
            eager = self.loss(preds, list(y)).data
            each = math.fsum(self.loss([p], [t]).data for p, t in zip(preds, y, strict=True))
        n = len(X)
        if _close(eager, each / n) and _close(eager, each):
            return None, eager  # every example's loss is 0: ask the next batch
        if _close(eager, each / n):
            return "mean", eager
        if _close(eager, each):
            return "sum", eager
        raise ValueError(
            f"fit(tape=True): the loss of the first batch ({eager!r}) is neither the mean "
            f"({each / n!r}) nor the sum ({each!r}) of its {n} per-example losses; "
            "tape=True needs one of the two: use tape=False"
        )

    def _check(self, X: Sequence[Any], y: Sequence[Any], value: float, eager: float | None) -> None:
        if eager is None:
            with no_grad():
                eager = self.loss([self.model(x) for x in X], list(y)).data
        if not _close(value, eager):
            raise ValueError(
                f"fit(tape=True): the taped loss {value!r} differs from the eager loss "
                f"{eager!r} on the first batch: the model must not branch on .data; "
                "use tape=False"
            )
        self.checked = True


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=CHECK_RTOL, abs_tol=1e-12)
