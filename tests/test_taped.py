"""Tests for nn.taped: training from compiled tapes matches eager training."""

from __future__ import annotations

import math
import sys
from typing import Any

import pytest

import nn
from autograd import grad, total
from nn import datasets

pytest.importorskip("numpy")


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return a == b or math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


def moons(n: int = 40):
    X, y = datasets.make_moons(n, noise=0.1, seed=0)
    return X, [2 * t - 1 for t in y]


def test_taped_gradients_equal_eager_ones_on_an_mlp():
    X, y = moons(25)
    model = nn.MLP(2, [8, 8, 1], seed=3)
    params = model.parameters()
    eager_loss = nn.hinge_loss([model(x) for x in X], y)
    eager = grad(eager_loss, params)
    taped = nn.TapedLoss(model, nn.hinge_loss)
    loss, preds = taped.backward(X, y)
    assert close(loss, eager_loss.data)
    # Per-example gradients are the eager ones; summing them over the batch (and dividing
    # once rather than per example) rounds differently, within a few ulps of the terms.
    for p, g in zip(params, eager, strict=True):
        assert math.isclose(p.grad, g, rel_tol=1e-12, abs_tol=1e-15), (p.grad, g)
    # The 8-8 layer (64 weights) runs as a matrix product (autograd.tape.layers), which
    # sums in BLAS's order, not fsum's: the predictions agree to rounding, not bits.
    for p, x in zip(preds, X, strict=True):
        assert math.isclose(p.data, model(x).data, rel_tol=1e-12, abs_tol=1e-15)


def test_fit_with_tape_trains_like_eager_fit():
    X, y = moons()
    eager_model, taped_model = nn.MLP(2, [8, 1], seed=1), nn.MLP(2, [8, 1], seed=1)
    common: dict[str, Any] = dict(epochs=6, batch_size=9, seed=4, progress=False)
    eager = nn.fit(
        eager_model, X, y, nn.hinge_loss, nn.SGD(eager_model.parameters(), lr=0.1), **common
    )
    taped = nn.fit(
        taped_model,
        X,
        y,
        nn.hinge_loss,
        nn.SGD(taped_model.parameters(), lr=0.1),
        tape=True,
        **common,
    )
    assert all(close(a, b, 1e-9) for a, b in zip(eager["loss"], taped["loss"], strict=True))
    assert eager["accuracy"] == taped["accuracy"]
    for a, b in zip(eager_model.parameters(), taped_model.parameters(), strict=True):
        assert close(a.data, b.data, 1e-9)


def test_fit_with_tape_and_cross_entropy_over_three_classes():
    X, y = datasets.make_blobs(30, noise=0.3, centers=3, seed=2)
    eager_model, taped_model = nn.MLP(2, [6, 3], seed=0), nn.MLP(2, [6, 3], seed=0)
    common: dict[str, Any] = dict(epochs=4, batch_size=None, progress=False)
    eager = nn.fit(
        eager_model,
        X,
        y,
        nn.cross_entropy_loss,
        nn.Adam(eager_model.parameters(), lr=0.05),
        **common,
    )
    taped = nn.fit(
        taped_model, X, y, nn.cross_entropy_loss, nn.Adam(taped_model.parameters(), lr=0.05),
        tape=True, **common,
    )  # fmt: skip
    assert all(close(a, b, 1e-9) for a, b in zip(eager["loss"], taped["loss"], strict=True))
    assert eager["accuracy"] == taped["accuracy"]


def test_regression_targets_are_refused():
    X = [[i / 100] for i in range(100)]
    y = [3 * x[0] + 1 for x in X]  # 100 distinct targets: 100 tapes
    model = nn.MLP(1, [1], seed=0)
    with pytest.raises(ValueError, match=r"distinct targets.*tape=False"):
        nn.fit(model, X, y, nn.mse_loss, nn.SGD(model.parameters(), lr=0.1), epochs=1,
               progress=False, tape=True)  # fmt: skip


def test_a_model_without_parameters_is_refused_with_a_message():
    model = nn.MLP(1, [1], seed=0)

    def plain_function(x):  # callable, but a tape cannot find its parameters
        return model(x)

    with pytest.raises(TypeError, match=r"parameters\(\).*function.*tape=False"):
        nn.fit(plain_function, [[0.5]], [1], nn.hinge_loss, nn.SGD(model.parameters(), lr=0.1),
               epochs=1, progress=False, tape=True)  # fmt: skip


def test_a_loss_that_is_not_a_mean_of_examples_is_caught_on_the_first_batch():
    def squared_sum(preds, targets):
        return total(p * t for p, t in zip(preds, targets, strict=True)) ** 2

    X, y = moons(10)
    model = nn.MLP(2, [4, 1], seed=0)
    with pytest.raises(ValueError, match=r"is neither the mean .* nor the sum .* of its 10 "):
        nn.TapedLoss(model, squared_sum).backward(X, y)


def test_fit_with_tape_without_numpy_names_the_extra(monkeypatch):
    X, y = moons(10)
    model = nn.MLP(2, [4, 1], seed=0)
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r"chainrule\[fast\]"):
        nn.fit(model, X, y, nn.hinge_loss, nn.SGD(model.parameters(), lr=0.1), epochs=1,
               progress=False, tape=True)  # fmt: skip


def half_sse(predictions, targets):
    """Notebook 3's loss: half the sum of squared errors over the batch."""
    return 0.5 * nn.mse_loss(predictions, targets, reduction="sum")


@pytest.mark.parametrize("batch_size", [None, 3])
def test_fit_with_tape_trains_a_sum_reduced_loss_as_eager_fit_does(batch_size):
    X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
    Y = [0.0, 1.0, 1.0, 0.0]
    runs = []
    for tape in (False, True):
        model = nn.MLP(2, [3, 1], activation="tanh", output_activation="sigmoid", seed=1)
        history = nn.fit(model, X, Y, half_sse, nn.SGD(model.parameters(), lr=0.5),
                         epochs=30, batch_size=batch_size, seed=0, progress=False,
                         tape=tape)  # fmt: skip
        runs.append((history["loss"], [p.data for p in model.parameters()]))
    (eager_loss, eager_params), (taped_loss, taped_params) = runs
    assert eager_loss[-1] < eager_loss[0]  # it trains
    assert all(math.isclose(a, b, rel_tol=1e-9) for a, b in zip(eager_loss, taped_loss))
    assert all(math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
               for a, b in zip(eager_params, taped_params))  # fmt: skip


def test_the_reduction_is_read_from_the_first_batch_of_more_than_one():
    X, y = moons(6)
    model = nn.MLP(2, [4, 1], seed=0)
    summed = nn.TapedLoss(model, lambda p, t: nn.mse_loss(p, t, reduction="sum"))
    summed.backward(X[:1], y[:1])  # one example: the mean and the sum agree
    assert summed.reduction is None
    loss, _ = summed.backward(X, y)
    assert summed.reduction == "sum"
    eager = nn.mse_loss([model(x) for x in X], y, reduction="sum").data
    assert math.isclose(loss, eager, rel_tol=1e-12)
    averaged = nn.TapedLoss(model, nn.mse_loss)
    averaged.backward(X, y)
    assert averaged.reduction == "mean"


def test_a_first_batch_of_zero_losses_leaves_the_reduction_to_the_next_batch():
    model = nn.MLP(2, [1], activation="linear", seed=0)
    X = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    y = [model(x).data for x in X]  # the model is already exact: every loss is 0
    taped = nn.TapedLoss(model, lambda p, t: nn.mse_loss(p, t, reduction="sum"))
    assert taped.backward(X, y)[0] == 0.0
    assert taped.reduction is None
