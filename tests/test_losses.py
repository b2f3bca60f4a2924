import math

import pytest

import nn
from autograd import Value, grad, trace


def values(*xs):
    return [Value(x) for x in xs]


def test_mse_value_and_gradient():
    p = values(1.0, 3.0, -2.0)
    t = [0.0, 1.0, -2.5]
    loss = nn.mse_loss(p, t)
    assert loss.data == pytest.approx((1 + 4 + 0.25) / 3, abs=1e-15)
    loss.backward()
    for pi, ti in zip(p, t, strict=True):
        assert pi.grad == pytest.approx(2 * (pi.data - ti) / 3, abs=1e-15)
    assert nn.mse_loss(values(1.0, 3.0, -2.0), t, reduction="sum").data == 5.25


def test_scalar_prediction_and_target():
    assert nn.mse_loss(Value(3.0), 1.0).data == 4.0
    assert nn.mse_loss(3.0, 1).data == 4.0  # numbers become constant Values
    assert isinstance(nn.mse_loss(3.0, 1), Value)


def test_bce_value_gradient_and_pytorch_clamp():
    p = values(0.9, 0.2)
    loss = nn.bce_loss(p, [1, 0])
    assert loss.data == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2, abs=1e-15)
    loss.backward()
    assert p[0].grad == pytest.approx(-1 / 0.9 / 2, abs=1e-15)
    assert p[1].grad == pytest.approx(1 / 0.8 / 2, abs=1e-15)
    # log(0) is clamped at -100, as in torch.nn.functional.binary_cross_entropy.
    assert nn.bce_loss(Value(0.0), 1).data == 100.0
    assert nn.bce_loss(Value(1.0), 0).data == 100.0
    assert nn.bce_loss(Value(1.0), 1).data == 0.0
    assert nn.bce_loss(Value(0.5), 0.5).data == pytest.approx(math.log(2), abs=1e-15)


@pytest.mark.parametrize(
    ("p", "y", "loss", "grad"),
    [
        (0.0, 0, 0.0, 0.0),
        (0.0, 1, 100.0, -1e12),  # saturated and wrong: PyTorch's (p - y) / 1e-12
        (1.0, 0, 100.0, 1e12),
        (1.0, 1, 0.0, 0.0),
    ],
)
def test_bce_at_the_clamp_points_has_pytorchs_gradient(p, y, loss, grad):
    x = Value(p)
    out = nn.bce_loss(x, y)
    out.backward()
    assert out.data == loss
    assert x.grad == pytest.approx(grad, rel=1e-15, abs=0.0)


def test_bce_clamp_gradients_are_divided_by_the_batch_size():
    p = values(0.0, 1.0, 0.5)
    nn.bce_loss(p, [1, 0, 1]).backward()
    assert [x.grad for x in p] == pytest.approx([-1e12 / 3, 1e12 / 3, -2 / 3], rel=1e-15)
    q = values(0.0, 1.0)
    nn.bce_loss(q, [1, 0], reduction="sum").backward()
    assert [x.grad for x in q] == pytest.approx([-1e12, 1e12], rel=1e-15)


@pytest.mark.parametrize("p", [1e-6, 0.01, 0.3, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("y", [0.0, 1.0, 0.25])
def test_bce_inside_the_clamps_is_the_closed_form(p, y):
    x = Value(p)
    out = nn.bce_loss(x, y)
    assert out.data == pytest.approx(-(y * math.log(p) + (1 - y) * math.log(1 - p)), rel=1e-14)
    (dx,) = grad(out, [x], create_graph=True)
    assert dx.data == pytest.approx(-y / p + (1 - y) / (1 - p), rel=1e-12)
    # The derivative is itself differentiable: d2/dp2 = y / p**2 + (1 - y) / (1 - p)**2.
    assert grad(dx, [x])[0] == pytest.approx(y / p**2 + (1 - y) / (1 - p) ** 2, rel=1e-9)


def test_bce_rejects_out_of_range_probabilities_and_labels():
    with pytest.raises(ValueError, match=r"prediction 1 is 1\.5"):
        nn.bce_loss(values(0.5, 1.5), [1, 0])
    with pytest.raises(ValueError, match=r"target 0 is 2\.0"):
        nn.bce_loss(Value(0.5), 2)


@pytest.mark.parametrize("z", [-12.0, -1.5, 0.0, 0.3, 7.0])
@pytest.mark.parametrize("t", [0.0, 1.0, 0.25])
def test_bce_with_logits_equals_bce_of_sigmoid(z, t):
    a, b = Value(z), Value(z)
    with_logits = nn.bce_with_logits_loss(a, t)
    plain = nn.bce_loss(b.sigmoid(), t)
    assert with_logits.data == pytest.approx(plain.data, rel=1e-9, abs=1e-12)
    with_logits.backward()
    plain.backward()
    assert a.grad == pytest.approx(b.grad, rel=1e-9, abs=1e-12)
    s = 1 / (1 + math.exp(-z))
    assert a.grad == pytest.approx(s - t, abs=1e-12)  # the known closed form


def test_bce_with_logits_is_stable_for_huge_logits():
    assert nn.bce_with_logits_loss(Value(1000.0), 0).data == 1000.0
    assert nn.bce_with_logits_loss(Value(-1000.0), 1).data == 1000.0
    assert nn.bce_with_logits_loss(Value(1000.0), 1).data == 0.0
    z = Value(-1000.0)
    nn.bce_with_logits_loss(z, 1).backward()
    assert z.grad == -1.0


def test_hinge_is_micrographs_loss():
    scores = values(2.0, 0.5, -0.3, 0.1)
    labels = [1, 1, -1, -1]
    loss = nn.hinge_loss(scores, labels)
    expected = sum(max(0.0, 1 - y * s.data) for s, y in zip(scores, labels, strict=True)) / 4
    assert loss.data == pytest.approx(expected, abs=1e-15)
    loss.backward()
    assert [s.grad for s in scores] == [0.0, -0.25, 0.25, 0.25]
    with pytest.raises(ValueError, match=r"label 1 is 0\.0; expected"):
        nn.hinge_loss(values(1.0, 2.0), [1, 0])


def test_cross_entropy_value_and_gradient_is_softmax_minus_one_hot():
    z = values(1.0, 2.0, 0.5)
    loss = nn.cross_entropy_loss(z, 1)
    log_sum = math.log(sum(math.exp(v.data) for v in z))
    assert loss.data == pytest.approx(log_sum - 2.0, abs=1e-15)
    loss.backward()
    soft = [math.exp(v.data - log_sum) for v in z]
    for i, v in enumerate(z):
        assert v.grad == pytest.approx(soft[i] - (i == 1), abs=1e-15)


def test_cross_entropy_batch_mean_and_sum():
    logits = [[1.0, 0.0], [0.0, 3.0]]
    losses = [math.log(1 + math.exp(-1.0)), math.log(1 + math.exp(3.0))]
    assert nn.cross_entropy_loss(logits, [0, 0]).data == pytest.approx(sum(losses) / 2, abs=1e-15)
    assert nn.cross_entropy_loss(logits, [0, 0], reduction="sum").data == pytest.approx(
        sum(losses), abs=1e-15
    )


def test_cross_entropy_is_stable_for_huge_logits():
    assert nn.cross_entropy_loss([1000.0, -1000.0], 0).data == 0.0
    assert nn.cross_entropy_loss([1000.0, 0.0], 1).data == 1000.0


def test_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"is 3; expected a class index in \[0, 3\)"):
        nn.cross_entropy_loss([1.0, 2.0, 3.0], 3)
    with pytest.raises(ValueError, match="is -1"):
        nn.cross_entropy_loss([[1.0, 2.0]], [-1])
    with pytest.raises(TypeError, match="int class index"):
        nn.cross_entropy_loss([[1.0, 2.0]], [1.0])
    with pytest.raises(ValueError, match="2 samples but 1 targets"):
        nn.cross_entropy_loss([[1.0, 2.0], [0.0, 1.0]], [1])
    with pytest.raises(TypeError, match="non-empty sequence"):
        nn.cross_entropy_loss([[]], [0])


def test_softmax():
    probs = nn.softmax(values(1.0, 2.0, 3.0))
    assert sum(p.data for p in probs) == pytest.approx(1.0, abs=1e-15)
    e = [math.exp(v) for v in (1.0, 2.0, 3.0)]
    for p, ei in zip(probs, e, strict=True):
        assert p.data == pytest.approx(ei / sum(e), abs=1e-15)
    big = nn.softmax([1000.0, 1000.0])
    assert [p.data for p in big] == [0.5, 0.5]


def test_mismatched_lengths_and_bad_reduction():
    with pytest.raises(ValueError, match="2 predictions but 3 targets"):
        nn.mse_loss(values(1.0, 2.0), [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="two sequences"):
        nn.mse_loss(values(1.0, 2.0), 1.0)
    with pytest.raises(ValueError, match="no predictions"):
        nn.mse_loss([], [])
    with pytest.raises(ValueError, match="'avg'"):
        nn.hinge_loss(values(1.0), [1], reduction="avg")
    with pytest.raises(TypeError, match="target 0 must be a number"):
        nn.mse_loss(values(1.0), ["a"])


def test_cross_entropy_needs_the_same_number_of_logits_in_every_sample():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    with pytest.raises(ValueError, match="sample 1 has 1 logits but sample 0 has 2"):
        nn.cross_entropy_loss([[a, b], [c]], [0, 0])


def test_bce_clamp_is_replayed_by_a_tape():
    # The clamp lives inside the op, so a tape traced at p = 0.5 still clamps at 0 and 1.
    tape = trace(lambda p: nn.bce_loss(p, 1), 0.5)
    value, (slope,) = tape.value_and_grad(0.0)
    assert value == 100.0 and slope == pytest.approx(-1e12, rel=1e-15)
    assert tape.value_and_grad(1.0) == (0.0, (0.0,))
