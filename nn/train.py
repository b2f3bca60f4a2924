"""Training loop: ``fit`` (with an optional tqdm progress bar) and ``evaluate``.

``fit`` is the plain loop you would write by hand, once per batch::

    preds = [model(x) for x in X_batch]
    loss = loss_fn(preds, y_batch)
    optimizer.zero_grad(); loss.backward(); optimizer.step()

so a model trained with ``fit`` ends exactly where that loop ends. The optimizer is any
object with ``zero_grad()`` and ``step()``; a schedule is stepped once per epoch. With
``tape=True`` each batch's loss and gradients come from compiled tapes instead
(``nn.taped``): the same loop, equal to it up to rounding.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypedDict

from autograd import Value, collector_paused, no_grad

from .datasets import batches
from .init import make_rng
from .losses import bce_loss, bce_with_logits_loss, cross_entropy_loss, hinge_loss
from .taped import Model, TapedLoss

__all__ = ["History", "evaluate", "fit"]

Accuracy = Callable[[Any, Any], bool]
Loss = Callable[..., Value]


class _Required(TypedDict):
    loss: list[float]
    lr: list[float | None]  # None for an optimizer without an ``lr`` attribute


class History(_Required, total=False):
    """What ``fit`` returns: one entry per epoch in each list (``accuracy`` when one applies)."""

    accuracy: list[float]


def _argmax(pred: Sequence[Value]) -> int:
    return max(range(len(pred)), key=lambda i: pred[i].data)


# How each classification loss turns a prediction into a class, for the accuracy column.
_DECISIONS: dict[Loss, Accuracy] = {
    hinge_loss: lambda p, t: (p.data > 0) == (t > 0),
    bce_loss: lambda p, t: (p.data > 0.5) == (t > 0.5),
    bce_with_logits_loss: lambda p, t: (p.data > 0) == (t > 0.5),
    cross_entropy_loss: lambda p, t: _argmax(p) == t,
}


def _accuracy_function(accuracy: str | Accuracy | None, loss: Loss) -> Accuracy | None:
    if accuracy == "auto":
        return _DECISIONS.get(loss)
    if accuracy is None or callable(accuracy):
        return accuracy
    raise ValueError(f"accuracy must be 'auto', None or a callable, got {accuracy!r}")


def _as_inputs(X: Sequence[Any]) -> list[Any]:
    # Wrap each sample's numbers as Value leaves once, not once per epoch and neuron.
    return [
        [xi if isinstance(xi, Value) else Value(float(xi)) for xi in x]
        if isinstance(x, (list, tuple))
        else x
        for x in X
    ]


def _progress_bar(progress: bool | None, epochs: int) -> Any:
    if progress is False:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        if progress is None:  # the default: show a bar only when tqdm is installed
            return None
        raise ImportError(
            "fit(progress=True) needs tqdm: pip install 'chainrule[progress]'"
        ) from None
    return tqdm(total=epochs, unit="epoch")


def fit(
    model: Callable[[Any], Any],
    X: Sequence[Any],
    y: Sequence[Any],
    loss: Loss,
    optimizer: Any,
    epochs: int,
    batch_size: int | None = None,
    shuffle: bool = True,
    seed: int | random.Random | None = None,
    scheduler: Any = None,
    accuracy: str | Accuracy | None = "auto",
    progress: bool | None = None,
    callback: Callable[[int, History], Any] | None = None,
    tape: bool = False,
) -> History:
    """Train ``model`` on ``(X, y)`` with mini-batch gradient descent.

    Args:
        model: maps one sample to a prediction (e.g. an ``MLP``).
        X: the samples (lists of numbers or Values).
        y: the targets, one per sample.
        loss: ``loss(predictions, targets) -> Value``, e.g. ``nn.mse_loss``.
        optimizer: e.g. ``nn.SGD(model.parameters(), lr=0.1)``.
        epochs: passes over the data.
        batch_size: samples per step; None for full batch (one step per epoch).
        shuffle: visit the samples in a new random order each epoch (ignored for full batch).
        seed: int or ``random.Random`` for the shuffling order.
        scheduler: optional schedule (e.g. ``nn.StepLR``), stepped after each epoch.
        accuracy: ``"auto"`` (chosen from the loss: hinge -> sign, bce -> 0.5 threshold,
            bce_with_logits -> sign, cross_entropy -> argmax; none for other losses), a
            callable ``(prediction, target) -> bool``, or None.
        progress: show a tqdm bar: True (needs the ``progress`` extra), False, or None
            (the default: show one if tqdm is installed).
        callback: called as ``callback(epoch, history)`` after each epoch.
        tape: replay compiled tapes of the per-example loss on each batch with NumPy
            (``nn.TapedLoss``, the ``fast`` extra) instead of building graphs: the same
            training, many times faster. Needs a loss that is the mean or the sum of
            per-example losses (``reduction="mean"`` or ``"sum"``: which one is read
            from the first batch) and few distinct targets (a classification); the
            first batch is checked against the eager loss.

    Returns:
        The history: ``{"loss": [...], "lr": [...]}`` with one entry per epoch, plus
        ``"accuracy"`` when an accuracy function applies. The loss is the mean over the
        epoch's batches weighted by batch size; the accuracy is measured on the
        predictions made during the epoch (before each batch's update), as Keras does.

    Example:
        >>> from nn import MLP, SGD, mse_loss
        >>> model = MLP(1, [1], seed=0)
        >>> X, y = [[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0]  # y = 2x + 1
        >>> history = fit(model, X, y, mse_loss, SGD(model.parameters(), lr=0.1),
        ...               epochs=200, progress=False)
        >>> round(history["loss"][-1], 6), round(model([3.0]).data, 3)
        (0.0, 7.0)
    """
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: invalid epochs {epochs!r}; expected an int >= 0")
    if len(X) != len(y):
        raise ValueError(f"fit: got {len(X)} samples but {len(y)} targets")
    if not X:
        raise ValueError("fit: got no samples")
    is_correct = _accuracy_function(accuracy, loss)
    # Shuffling a single full batch would only reorder the loss's sum.
    rng = make_rng(seed) if shuffle and batch_size is not None and batch_size < len(X) else None
    inputs = _as_inputs(X)
    targets = list(y)
    history: History = {"loss": [], "lr": []}
    if is_correct is not None:
        history["accuracy"] = []
    step = _Step(model, loss, optimizer, _taped_loss(model, loss) if tape else None)
    bar = _progress_bar(progress, epochs)
    try:
        for epoch in range(epochs):
            lr = getattr(optimizer, "lr", None)
            epoch_batches = batches(inputs, targets, batch_size, shuffle=rng is not None, seed=rng)
            total, correct = step.epoch(epoch_batches, is_correct)
            history["loss"].append(total / len(inputs))
            history["lr"].append(lr)
            if is_correct is not None:
                history["accuracy"].append(correct / len(inputs))
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                _show_epoch(bar, history)
            if callback is not None:
                callback(epoch, history)
    finally:
        if bar is not None:
            bar.close()
    return history


def _taped_loss(model: Callable[[Any], Any], loss: Loss) -> TapedLoss:
    if not isinstance(model, Model):
        raise TypeError(
            f"fit(tape=True): the model must have a parameters() method (an nn.Module), "
            f"got {type(model).__name__}; use tape=False"
        )
    return TapedLoss(model, loss)


class _Step:
    """One optimizer step per batch: eager (a graph per batch) or from compiled tapes."""

    def __init__(
        self, model: Callable[[Any], Any], loss: Loss, optimizer: Any, taped: TapedLoss | None
    ) -> None:
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.taped = taped

    def epoch(
        self, epoch_batches: Iterable[tuple[list[Any], list[Any]]], is_correct: Accuracy | None
    ) -> tuple[float, int]:
        """Step on each batch; returns the loss summed over samples and the number correct."""
        total = 0.0
        correct = 0
        for xb, yb in epoch_batches:
            batch_loss, preds = self.batch(xb, yb)
            total += batch_loss * len(xb)
            if is_correct is not None:
                correct += sum(map(is_correct, preds, yb))
        return total, correct

    def batch(self, xb: list[Any], yb: list[Any]) -> tuple[float, list[Any]]:
        """One step on one batch; returns its mean loss and the predictions made."""
        self.optimizer.zero_grad()
        if self.taped is not None:
            batch_loss, preds = self.taped.backward(xb, yb)
        else:
            # A graph has no reference cycles, so the collector finds nothing in it; left
            # running, it would scan the growing graph again and again (at 10,000 samples
            # of 2-16-16-1, half the step: benchmarks/scaling.py).
            with collector_paused():
                preds = [self.model(x) for x in xb]
                loss_node = self.loss(preds, yb)
                loss_node.backward()
            batch_loss = loss_node.data
        self.optimizer.step()
        return batch_loss, preds


def _show_epoch(bar: Any, history: History) -> None:
    shown = {"loss": f"{history['loss'][-1]:.4g}"}
    if "accuracy" in history:
        shown["acc"] = f"{history['accuracy'][-1]:.3f}"
    bar.set_postfix(shown, refresh=False)
    bar.update(1)


@no_grad()
def evaluate(
    model: Callable[[Any], Any],
    X: Sequence[Any],
    y: Sequence[Any],
    loss: Loss,
    accuracy: str | Accuracy | None = "auto",
) -> dict[str, float]:
    """The loss (and accuracy) of ``model`` on ``(X, y)``, without recording a graph.

    Args:
        model, X, y, loss, accuracy: as for ``fit``.

    Returns:
        ``{"loss": float}``, plus ``"accuracy"`` when an accuracy function applies.

    Example:
        >>> from nn import MLP, hinge_loss
        >>> model = MLP(2, [1], seed=0)
        >>> sorted(evaluate(model, [[1, 2], [3, 4]], [1, -1], hinge_loss))
        ['accuracy', 'loss']
    """
    if len(X) != len(y):
        raise ValueError(f"evaluate: got {len(X)} samples but {len(y)} targets")
    is_correct = _accuracy_function(accuracy, loss)
    preds = [model(x) for x in X]
    result = {"loss": loss(preds, list(y)).data}
    if is_correct is not None:
        result["accuracy"] = sum(map(is_correct, preds, y)) / len(preds)
    return result
