import sys

import pytest

import nn
from autograd import Value
from nn import datasets


def plain_loop(model, X, y, loss, optimizer, epochs, batch_size, seed):
    """The loop fit() promises to be, written by hand."""
    import random

    rng = random.Random(seed)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for xb, yb in datasets.batches(X, y, batch_size, shuffle=True, seed=rng):
            preds = [model(x) for x in xb]
            batch_loss = loss(preds, yb)
            optimizer.zero_grad()
            batch_loss.backward()
            optimizer.step()
            total += batch_loss.data * len(xb)
        losses.append(total / len(X))
    return losses


def test_fit_is_exactly_the_plain_optimizer_loop():
    X, y = datasets.make_moons(30, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    a = nn.MLP(2, [8, 1], seed=1)
    b = nn.MLP(2, [8, 1], seed=1)
    history = nn.fit(
        a, X, y, nn.hinge_loss, nn.Adam(a.parameters(), lr=0.05), epochs=5,
        batch_size=7, seed=3, progress=False,
    )  # fmt: skip
    losses = plain_loop(b, X, y, nn.hinge_loss, nn.Adam(b.parameters(), lr=0.05), 5, 7, 3)
    assert history["loss"] == losses
    assert a.state_dict() == b.state_dict()


def test_fit_pauses_the_collector_for_each_eager_step_and_only_then():
    import gc

    X, y = datasets.make_moons(12, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    model = nn.MLP(2, [4, 1], seed=1)
    seen = []

    def watched(x):
        seen.append(gc.isenabled())
        return model(x)

    assert gc.isenabled()
    nn.fit(
        watched, X, y, nn.hinge_loss, nn.SGD(model.parameters(), lr=0.1), epochs=2,
        batch_size=4, progress=False, accuracy=None,
    )  # fmt: skip
    assert seen and not any(seen)  # forward (and backward) ran with it paused
    assert gc.isenabled()  # and it is back on after the step


def test_fit_learns_moons_with_hinge_loss_and_reports_accuracy():
    X, y = datasets.make_moons(60, noise=0.05, seed=0)
    y = [2 * t - 1 for t in y]
    model = nn.MLP(2, [16, 16, 1], seed=0)
    history = nn.fit(
        model, X, y, nn.hinge_loss, nn.SGD(model.parameters(), lr=0.1, momentum=0.9),
        epochs=40, batch_size=10, seed=0, progress=False,
    )  # fmt: skip
    assert set(history) == {"loss", "accuracy", "lr"}
    assert len(history["loss"]) == len(history["accuracy"]) == 40
    assert history["loss"][-1] < history["loss"][0] / 4
    assert history["accuracy"][-1] >= 0.95
    assert nn.evaluate(model, X, y, nn.hinge_loss)["accuracy"] >= 0.95


def test_cross_entropy_accuracy_uses_argmax():
    X, y = datasets.make_blobs(30, noise=0.3, centers=3, seed=2)
    model = nn.MLP(2, [8, 3], seed=0)
    history = nn.fit(
        model, X, y, nn.cross_entropy_loss, nn.Adam(model.parameters(), lr=0.05),
        epochs=30, batch_size=10, seed=0, progress=False,
    )  # fmt: skip
    assert history["accuracy"][-1] == 1.0
    result = nn.evaluate(model, X, y, nn.cross_entropy_loss)
    manual = 0
    for x, t in zip(X, y, strict=True):
        scores = [v.data for v in model(x)]
        manual += scores.index(max(scores)) == t
    assert result["accuracy"] == manual / 30


def test_regression_has_no_accuracy_and_custom_accuracy_works():
    X = [[0.0], [1.0], [2.0]]
    y = [1.0, 3.0, 5.0]
    model = nn.MLP(1, [1], seed=0)
    history = nn.fit(model, X, y, nn.mse_loss, nn.SGD(model.parameters(), lr=0.1), epochs=3,
                     progress=False)  # fmt: skip
    assert set(history) == {"loss", "lr"}
    history = nn.fit(
        model, X, y, nn.mse_loss, nn.SGD(model.parameters(), lr=0.1), epochs=2,
        accuracy=lambda p, t: abs(p.data - t) < 100, progress=False,
    )  # fmt: skip
    assert history["accuracy"] == [1.0, 1.0]


def test_scheduler_and_callback():
    model = nn.MLP(1, [1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.4)
    seen = []
    history = nn.fit(
        model, [[1.0]], [2.0], nn.mse_loss, opt, epochs=4,
        scheduler=nn.StepLR(opt, step_size=1, gamma=0.5),
        callback=lambda epoch, h: seen.append((epoch, len(h["loss"]))), progress=False,
    )  # fmt: skip
    assert history["lr"] == [0.4, 0.2, 0.1, 0.05]
    assert seen == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_fit_accepts_value_inputs_and_rejects_bad_arguments():
    model = nn.MLP(2, [1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    nn.fit(model, [[Value(1.0), 2.0]], [0.0], nn.mse_loss, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="2 samples but 1 targets"):
        nn.fit(model, [[1, 2], [3, 4]], [0.0], nn.mse_loss, opt, epochs=1, progress=False)
    with pytest.raises(ValueError, match="epochs -1"):
        nn.fit(model, [[1, 2]], [0.0], nn.mse_loss, opt, epochs=-1, progress=False)
    with pytest.raises(ValueError, match="accuracy"):
        nn.fit(model, [[1, 2]], [0.0], nn.mse_loss, opt, epochs=1, accuracy="yes")


def test_progress_bar_shows_and_can_be_turned_off(capsys):
    model = nn.MLP(1, [1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    nn.fit(model, [[1.0]], [2.0], nn.mse_loss, opt, epochs=3, progress=True)
    assert "3/3" in capsys.readouterr().err
    nn.fit(model, [[1.0]], [2.0], nn.mse_loss, opt, epochs=3, progress=False)
    assert capsys.readouterr().err == ""


def test_progress_without_tqdm_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    model = nn.MLP(1, [1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ImportError, match=r"chainrule\[progress\]"):
        nn.fit(model, [[1.0]], [2.0], nn.mse_loss, opt, epochs=1, progress=True)
    # The default (progress=None) trains without a bar when tqdm is missing.
    history = nn.fit(model, [[1.0]], [2.0], nn.mse_loss, opt, epochs=2)
    assert len(history["loss"]) == 2


def test_optimizer_only_needs_zero_grad_and_step():
    class HandWritten:
        def __init__(self, params, lr):
            self.params, self.lr = params, lr

        def zero_grad(self):
            for p in self.params:
                p.grad = 0.0

        def step(self):
            for p in self.params:
                p.data -= self.lr * p.grad

    a, b = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=0)
    X, y = [[0.5, 1.0], [-1.0, 0.2]], [1.0, -1.0]
    nn.fit(a, X, y, nn.mse_loss, HandWritten(a.parameters(), 0.1), epochs=3, progress=False)
    nn.fit(b, X, y, nn.mse_loss, nn.SGD(b.parameters(), lr=0.1), epochs=3, progress=False)
    assert a.state_dict() == b.state_dict()
