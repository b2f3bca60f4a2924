"""Loss functions of ``Value``s: MSE, binary cross-entropy (on probabilities and on
logits), hinge, cross-entropy, and ``softmax``.

Each loss takes predictions and targets (one of each, or equal-length sequences) and
returns a single ``Value``: the mean over samples by default, or the sum with
``reduction="sum"``. Targets are plain numbers (ints for class indices).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from autograd import Rule, Value, primitive, total
from autograd._numbers import is_number

__all__ = [
    "bce_loss",
    "bce_with_logits_loss",
    "cross_entropy_loss",
    "hinge_loss",
    "mse_loss",
    "softmax",
]

Scalar = Value | float
# PyTorch's binary_cross_entropy clamps each log at -100 so that p = 0 or 1 gives a
# finite loss instead of inf, and divides its gradient by max(p (1 - p), 1e-12).
_LOG_FLOOR = -100.0
_BCE_EPSILON = 1e-12


def _as_value(x: Any, where: str) -> Value:
    if isinstance(x, Value):
        return x
    if is_number(x):
        return Value(float(x))
    raise TypeError(f"{where} must be a Value or a number, got {type(x).__name__}: {x!r}")


def _as_float(x: Any, where: str) -> float:
    """A target as a float: a number, or a Value's data (no gradient flows to targets)."""
    if isinstance(x, Value):
        return x.data
    if is_number(x):
        return float(x)
    raise TypeError(f"{where} must be a number, got {type(x).__name__}: {x!r}")


def _pairs(op: str, pred: Any, target: Any) -> list[tuple[Value, Any]]:
    """Pair predictions with targets; a lone prediction pairs with a lone target."""
    scalar_pred = isinstance(pred, Value) or is_number(pred)
    scalar_target = isinstance(target, Value) or is_number(target)
    if scalar_pred and scalar_target:
        return [(_as_value(pred, f"{op}: prediction"), target)]
    if scalar_pred or scalar_target or not isinstance(pred, Sequence):
        raise TypeError(
            f"{op}: expected a prediction and a target, or two sequences of equal length; "
            f"got {type(pred).__name__} and {type(target).__name__}"
        )
    if not isinstance(target, Sequence) or len(pred) != len(target):
        got = len(target) if isinstance(target, Sequence) else type(target).__name__
        raise ValueError(f"{op}: got {len(pred)} predictions but {got} targets")
    if not pred:
        raise ValueError(f"{op}: got no predictions (an empty batch has no mean)")
    return [
        (_as_value(p, f"{op}: prediction {i}"), t)
        for i, (p, t) in enumerate(zip(pred, target, strict=True))
    ]


def _reduce(op: str, terms: list[Value], reduction: str) -> Value:
    # One many-input node (exactly rounded), not a chain of len(terms) - 1 additions.
    summed = total(terms)
    if reduction == "sum":
        return summed
    if reduction == "mean":
        return summed if len(terms) == 1 else summed / len(terms)
    raise ValueError(f"{op}: unknown reduction {reduction!r}; expected 'mean' or 'sum'")


def _clamped_log(x: float) -> float:
    # log(0) is -inf, so below e**-100 the log is the constant -100 (PyTorch's clamp).
    return max(math.log(x), _LOG_FLOOR) if x > 0 else _LOG_FLOOR


def _at_least(x: Value | float, floor: float) -> Value | float:
    # max(x, floor) for a float or a Value (compared by its data): the derivative of
    # the result is 1 above the floor and 0 below it, as max's is.
    return x if x >= floor else floor


@lru_cache(maxsize=64)
def _bce_rule(y: float) -> Rule:
    """The op p -> -(y log p + (1 - y) log(1 - p)) for one constant label ``y``, as PyTorch.

    The forward clamps each log at -100. The derivative is not that of the clamped logs
    (zero wherever a log is clamped, so a saturated p = 0 or 1 could never learn) but
    PyTorch's (p - y) / max(p (1 - p), 1e-12): one expression that also works on Values,
    so second derivatives work. One rule per distinct label, shared by every node with
    that label (labels are nearly always 0 or 1): no closure stored per node.
    """
    return primitive(
        "bce",
        # PyTorch's form: (y - 1) * log(1 - p) - y * log(p).
        lambda p: (y - 1.0) * _clamped_log(1.0 - p) - y * _clamped_log(p),
        lambda out, p: ((p - y) / _at_least(p * (1.0 - p), _BCE_EPSILON),),
    )


def mse_loss(pred: Scalar | Sequence[Scalar], target: Any, reduction: str = "mean") -> Value:
    """Mean squared error: mean of (pred - target)**2.

    Args:
        pred: a prediction or a sequence of predictions (Values or numbers).
        target: a number or a sequence of numbers of the same length.
        reduction: ``"mean"`` or ``"sum"``.

    Returns:
        The loss as a ``Value``.

    Example:
        >>> mse_loss([Value(1.0), Value(3.0)], [0.0, 1.0]).data  # (1 + 4) / 2
        2.5
    """
    terms: list[Value] = []
    for i, (p, t) in enumerate(_pairs("mse_loss", pred, target)):
        d = p - _as_float(t, f"mse_loss: target {i}")
        terms.append(d * d)
    return _reduce("mse_loss", terms, reduction)


def bce_loss(prob: Scalar | Sequence[Scalar], target: Any, reduction: str = "mean") -> Value:
    """Binary cross-entropy on probabilities: -(t log p + (1 - t) log(1 - p)).

    As ``torch.nn.functional.binary_cross_entropy``: each log is clamped at -100, so
    p = 0 or 1 gives a finite loss, and the gradient is (p - t) / max(p (1 - p), 1e-12)
    per sample, so a saturated prediction (p = 0 with t = 1, say) still learns.
    Prefer ``bce_with_logits_loss`` on raw scores: it is exact where this one clamps.

    Args:
        prob: probabilities in [0, 1] (e.g. sigmoid outputs).
        target: labels in [0, 1] (usually 0 or 1).
        reduction: ``"mean"`` or ``"sum"``.

    Returns:
        The loss as a ``Value``.

    Example:
        >>> round(bce_loss(Value(0.8), 1).data, 6)  # -log(0.8)
        0.223144
        >>> p = Value(0.0)
        >>> loss = bce_loss(p, 1)  # log(0) clamped at -100
        >>> loss.backward()
        >>> loss.data, p.grad  # (0 - 1) / 1e-12
        (100.0, -1000000000000.0)
    """
    terms: list[Value] = []
    for i, (p, t) in enumerate(_pairs("bce_loss", prob, target)):
        t = _as_float(t, f"bce_loss: target {i}")
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(
                f"bce_loss: prediction {i} is {p.data!r}; expected a probability in [0, 1] "
                "(apply .sigmoid(), or use bce_with_logits_loss on raw scores)"
            )
        if not 0.0 <= t <= 1.0:
            raise ValueError(f"bce_loss: target {i} is {t!r}; expected a label in [0, 1]")
        terms.append(_bce_rule(t)(p))
    return _reduce("bce_loss", terms, reduction)


def bce_with_logits_loss(
    logit: Scalar | Sequence[Scalar], target: Any, reduction: str = "mean"
) -> Value:
    """Binary cross-entropy on raw scores z: bce(sigmoid(z), t), computed stably.

    Uses softplus(z) - t * z, which equals -(t log sigmoid(z) + (1 - t) log(1 - sigmoid(z)))
    and never overflows (``Value.softplus`` is stable for any finite z).

    Args:
        logit: raw scores (any real numbers).
        target: labels in [0, 1].
        reduction: ``"mean"`` or ``"sum"``.

    Returns:
        The loss as a ``Value``.

    Example:
        >>> round(bce_with_logits_loss(Value(0.0), 1).data, 6)  # log 2
        0.693147
        >>> bce_with_logits_loss(Value(-1000.0), 1).data  # no overflow
        1000.0
    """
    terms: list[Value] = []
    for i, (z, t) in enumerate(_pairs("bce_with_logits_loss", logit, target)):
        t = _as_float(t, f"bce_with_logits_loss: target {i}")
        if not 0.0 <= t <= 1.0:
            raise ValueError(
                f"bce_with_logits_loss: target {i} is {t!r}; expected a label in [0, 1]"
            )
        terms.append(z.softplus() - t * z)
    return _reduce("bce_with_logits_loss", terms, reduction)


def hinge_loss(score: Scalar | Sequence[Scalar], label: Any, reduction: str = "mean") -> Value:
    """Hinge (max-margin) loss with margin 1: relu(1 - label * score), micrograd's demo loss.

    Args:
        score: raw scores.
        label: +1 or -1 for each score.
        reduction: ``"mean"`` or ``"sum"``.

    Returns:
        The loss as a ``Value``.

    Example:
        >>> hinge_loss([Value(2.0), Value(0.5)], [1, 1]).data  # (0 + 0.5) / 2
        0.25
    """
    terms: list[Value] = []
    for i, (s, y) in enumerate(_pairs("hinge_loss", score, label)):
        y = _as_float(y, f"hinge_loss: label {i}")
        if y not in (1.0, -1.0):
            raise ValueError(f"hinge_loss: label {i} is {y!r}; expected +1 or -1")
        terms.append((1.0 - y * s).relu())
    return _reduce("hinge_loss", terms, reduction)


def _class_index(t: Any, k: int, where: str) -> int:
    if isinstance(t, bool) or not isinstance(t, numbers.Integral):
        raise TypeError(f"{where} must be an int class index, got {type(t).__name__}: {t!r}")
    index = int(t)
    if not 0 <= index < k:
        raise ValueError(f"{where} is {t!r}; expected a class index in [0, {k})")
    return index


def _logits(z: Any, where: str) -> list[Value]:
    if isinstance(z, (Value, numbers.Real, str)) or not isinstance(z, Sequence) or not z:
        raise TypeError(f"{where} must be a non-empty sequence of logits, got {z!r}")
    return [_as_value(zi, f"{where}[{j}]") for j, zi in enumerate(z)]


def cross_entropy_loss(logits: Sequence[Any], target: Any, reduction: str = "mean") -> Value:
    """Cross-entropy of class scores: -log softmax(z)[target], with a stable log-sum-exp.

    Args:
        logits: one sample's logits (a sequence) with ``target`` an int, or a sequence of
            samples' logits with ``target`` a sequence of ints.
        target: the correct class index (or one per sample), in [0, number of classes).
        reduction: ``"mean"`` or ``"sum"``.

    Returns:
        The loss as a ``Value``.

    Example:
        >>> round(cross_entropy_loss([Value(2.0), Value(0.0)], 0).data, 6)  # log(1 + e**-2)
        0.126928
        >>> cross_entropy_loss([[1000.0, 0.0]], [0]).data  # no overflow
        0.0
    """
    samples: Sequence[Any]
    targets: Sequence[Any]
    # bool first: mypy does not know that bool is an Integral, and it is one.
    if not isinstance(target, bool) and isinstance(target, numbers.Integral):
        samples, targets = [logits], [target]
    else:
        if not isinstance(logits, Sequence) or not isinstance(target, Sequence):
            raise TypeError(
                "cross_entropy_loss: expected one sample's logits and an int class, or a list "
                f"of samples' logits and a list of ints; got {type(logits).__name__} and "
                f"{type(target).__name__}"
            )
        if len(logits) != len(target):
            raise ValueError(
                f"cross_entropy_loss: got {len(logits)} samples but {len(target)} targets"
            )
        if not logits:
            raise ValueError("cross_entropy_loss: got no samples (an empty batch has no mean)")
        samples, targets = logits, target
    terms: list[Value] = []
    classes: int | None = None
    for i, (z, t) in enumerate(zip(samples, targets, strict=True)):
        z = _logits(z, f"cross_entropy_loss: logits of sample {i}")
        if classes is None:
            classes = len(z)
        elif len(z) != classes:
            raise ValueError(
                f"cross_entropy_loss: sample {i} has {len(z)} logits but sample 0 has "
                f"{classes}; expected one logit per class for every sample"
            )
        t = _class_index(t, len(z), f"cross_entropy_loss: target of sample {i}")
        # log sum exp(z) - z[t], shifted by the largest logit so no exp overflows; the
        # shift is a constant, so the gradient (softmax - one_hot) is unchanged.
        m = max(zi.data for zi in z)
        shifted = [zi - m for zi in z]
        exps = [s.exp() for s in shifted]
        terms.append(total(exps).log() - shifted[t])
    return _reduce("cross_entropy_loss", terms, reduction)


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """exp(z_i) / sum_j exp(z_j), shifted by the largest logit so nothing overflows.

    Args:
        logits: a non-empty sequence of Values or numbers.

    Returns:
        A list of ``Value`` probabilities (differentiable), summing to 1.

    Example:
        >>> [round(p.data, 4) for p in softmax([1.0, 2.0, 3.0])]
        [0.09, 0.2447, 0.6652]
    """
    z = _logits(logits, "softmax: logits")
    m = max(zi.data for zi in z)
    exps = [(zi - m).exp() for zi in z]
    denominator = total(exps)
    return [e / denominator for e in exps]
