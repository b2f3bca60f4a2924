import math
import random

import pytest

from nn import datasets

MAKERS = [
    datasets.make_moons,
    datasets.make_circles,
    datasets.make_xor,
    datasets.make_spirals,
    datasets.make_blobs,
]


@pytest.mark.parametrize("make", MAKERS)
def test_shape_types_and_reproducibility(make):
    X, y = make(n_samples=51, noise=0.1, seed=3)
    assert len(X) == len(y) == 51
    assert all(len(x) == 2 and all(type(v) is float for v in x) for x in X)
    assert all(type(label) is int for label in y)
    assert (X, y) == make(n_samples=51, noise=0.1, seed=3)
    other_seed = make(n_samples=51, noise=0.1, seed=4)[0]
    assert other_seed != X


@pytest.mark.parametrize("make", MAKERS)
def test_invalid_arguments(make):
    with pytest.raises(ValueError, match="n_samples 0"):
        make(n_samples=0)
    with pytest.raises(ValueError, match=r"noise -0\.5"):
        make(n_samples=10, noise=-0.5)


def test_moons_geometry_without_noise():
    X, y = datasets.make_moons(40, seed=0)
    assert y.count(0) == y.count(1) == 20
    for (a, b), label in zip(X, y, strict=True):
        if label == 0:  # upper moon: the upper half of the unit circle
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:  # lower moon: centred on (1, 0.5), opening upwards
            assert math.hypot(a - 1, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12
    assert sorted(map(tuple, X)) != [tuple(x) for x in X]  # shuffled


def test_circles_radii():
    X, y = datasets.make_circles(30, factor=0.3, seed=0)
    for x, label in zip(X, y, strict=True):
        assert math.hypot(*x) == pytest.approx(1.0 if label == 0 else 0.3)
    with pytest.raises(ValueError, match=r"factor 1\.5"):
        datasets.make_circles(10, factor=1.5)


def test_xor_labels_follow_the_quadrants():
    X, y = datasets.make_xor(200, seed=1)
    assert all(label == int((a > 0) != (b > 0)) for (a, b), label in zip(X, y, strict=True))
    assert 60 < sum(y) < 140


def test_spirals_classes_and_radius():
    X, y = datasets.make_spirals(100, n_classes=3, seed=0)
    assert [y.count(k) for k in range(3)] == [34, 33, 33]
    assert max(math.hypot(*x) for x in X) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n_classes 1"):
        datasets.make_spirals(10, n_classes=1)


def test_blobs_centres_and_spread():
    X, y = datasets.make_blobs(300, noise=0.5, centers=[[0, 0], [10, 0]], seed=0)
    for k, cx in enumerate([0.0, 10.0]):
        pts = [x for x, label in zip(X, y, strict=True) if label == k]
        assert len(pts) == 150
        assert sum(p[0] for p in pts) / 150 == pytest.approx(cx, abs=0.15)
    X, y = datasets.make_blobs(10, centers=4, seed=0)
    assert set(y) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="centers"):
        datasets.make_blobs(10, centers=[[1, 2, 3]])


def test_batches_cover_every_sample_once():
    X = list(range(10))
    y = [10 * v for v in X]
    got = list(datasets.batches(X, y, batch_size=4))
    assert [len(xb) for xb, _ in got] == [4, 4, 2]
    assert [v for xb, _ in got for v in xb] == X
    assert all(yb == [10 * v for v in xb] for xb, yb in got)
    assert list(datasets.batches(X, y)) == [(X, y)]  # None: one full batch


def test_batches_shuffle_is_reproducible_and_pairs_stay_together():
    X = list(range(20))
    y = [-v for v in X]
    a = list(datasets.batches(X, y, batch_size=6, shuffle=True, seed=5))
    b = list(datasets.batches(X, y, batch_size=6, shuffle=True, seed=5))
    assert a == b
    order = [v for xb, _ in a for v in xb]
    assert sorted(order) == X and order != X
    assert all(yb == [-v for v in xb] for xb, yb in a)
    rng = random.Random(0)  # one generator across epochs: a new order each epoch
    first = list(datasets.batches(X, y, 20, shuffle=True, seed=rng))
    second = list(datasets.batches(X, y, 20, shuffle=True, seed=rng))
    assert first != second


def test_batches_errors():
    with pytest.raises(ValueError, match="3 samples but 2 targets"):
        datasets.batches([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="batch_size 0"):
        datasets.batches([1], [1], batch_size=0)
