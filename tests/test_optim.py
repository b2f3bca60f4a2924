"""Optimizer updates checked against hand-written float formulas over several steps.

Each test feeds the optimizer a fixed sequence of gradients (an optimizer only reads
``.grad``), or gradients from the engine for f(p) = p**3 - p (f' = 3p**2 - 1).
"""

import json
import math
import re

import pytest

import nn
from autograd import Value

GRADS = [0.5, -1.25, 2.0, 0.1, -0.4]
REL = 1e-12


def run(optimizer_class, start, grads, **kwargs):
    """Positions after each step when the gradient sequence is ``grads``."""
    p = Value(start)
    opt = optimizer_class([p], **kwargs)
    out = []
    for g in grads:
        opt.zero_grad()
        p.grad = g
        opt.step()
        assert p.grad == g  # step reads .grad and leaves it alone
        out.append(p.data)
    return out


def run_cubic(optimizer_class, start, steps, **kwargs):
    """Positions when the gradient comes from backward() on f(p) = p**3 - p."""
    p = Value(start)
    opt = optimizer_class([p], **kwargs)
    out = []
    for _ in range(steps):
        opt.zero_grad()
        (p**3 - p).backward()
        opt.step()
        out.append(p.data)
    return out


def close(actual, expected):
    assert actual == pytest.approx(expected, rel=REL, abs=1e-15)


# --- SGD -------------------------------------------------------------------------------


def test_sgd_plain():
    p, expected = 1.0, []
    for g in GRADS:
        p = p - 0.1 * g
        expected.append(p)
    close(run(nn.SGD, 1.0, GRADS, lr=0.1), expected)


def test_sgd_plain_with_engine_gradients():
    p, expected = 0.8, []
    for _ in range(5):
        p = p - 0.05 * (3 * p * p - 1)
        expected.append(p)
    close(run_cubic(nn.SGD, 0.8, 5, lr=0.05), expected)


def test_sgd_momentum_dampening_weight_decay():
    lr, mu, tau, wd = 0.1, 0.9, 0.3, 0.01
    p, buf, expected = 1.0, None, []
    for g in GRADS:
        d = g + wd * p
        buf = d if buf is None else mu * buf + (1 - tau) * d  # no dampening on the first step
        p = p - lr * buf
        expected.append(p)
    close(run(nn.SGD, 1.0, GRADS, lr=lr, momentum=mu, dampening=tau, weight_decay=wd), expected)


def test_sgd_nesterov_with_engine_gradients():
    lr, mu = 0.02, 0.8
    p, buf, expected = 0.8, None, []
    for _ in range(6):
        g = 3 * p * p - 1
        buf = g if buf is None else mu * buf + g
        p = p - lr * (g + mu * buf)
        expected.append(p)
    close(run_cubic(nn.SGD, 0.8, 6, lr=lr, momentum=mu, nesterov=True), expected)


def test_sgd_maximize_flips_the_gradient_before_weight_decay():
    lr, mu, wd = 0.1, 0.5, 0.2
    p, buf, expected = 1.0, None, []
    for g in GRADS:
        d = -g + wd * p
        buf = d if buf is None else mu * buf + d
        p = p - lr * buf
        expected.append(p)
    close(run(nn.SGD, 1.0, GRADS, lr=lr, momentum=mu, weight_decay=wd, maximize=True), expected)


# --- Adam / AdamW ----------------------------------------------------------------------


def adam_reference(grads, p, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False,
                   amsgrad=False):  # fmt: skip
    """Textbook Adam (Kingma & Ba) with bias correction, plus PyTorch's variants."""
    m = v = vmax = 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1**t)
        if amsgrad:
            vmax = max(vmax, v)
            v_hat = vmax / (1 - b2**t)
        else:
            v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(p)
    return out


def test_adam_defaults_with_bias_correction():
    close(run(nn.Adam, 1.0, GRADS), adam_reference(GRADS, 1.0))


def test_adam_first_step_moves_by_lr():
    # Bias correction makes step 1 exactly lr * g / (|g| + eps): about lr, whatever |g| is.
    assert run(nn.Adam, 1.0, [1e-3], lr=0.1)[0] == pytest.approx(0.9, abs=1e-6)


def test_adam_custom_betas_eps_and_coupled_weight_decay():
    kw = {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}
    expected = adam_reference(GRADS, 1.0, 0.05, 0.8, 0.95, 1e-6, wd=0.1)
    close(run(nn.Adam, 1.0, GRADS, **kw), expected)


def test_adam_amsgrad_uses_the_largest_second_moment():
    grads = [5.0, 0.1, 0.1, 0.1, -0.2]  # v shrinks after the first step, vmax does not
    kw = {"lr": 0.1, "betas": (0.5, 0.6)}
    with_ams = run(nn.Adam, 1.0, grads, amsgrad=True, **kw)
    close(with_ams, adam_reference(grads, 1.0, 0.1, 0.5, 0.6, amsgrad=True))
    assert with_ams != run(nn.Adam, 1.0, grads, **kw)


def test_adam_with_engine_gradients():
    p, expected = 0.8, []
    m = v = 0.0
    for t in range(1, 6):
        g = 3 * p * p - 1
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p = p - 0.01 * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
        expected.append(p)
    close(run_cubic(nn.Adam, 0.8, 5, lr=0.01), expected)


def test_adamw_decays_the_weight_not_the_gradient():
    kw = {"lr": 0.05, "weight_decay": 0.2}
    expected = adam_reference(GRADS, 1.0, 0.05, wd=0.2, decoupled=True)
    close(run(nn.AdamW, 1.0, GRADS, **kw), expected)
    assert run(nn.AdamW, 1.0, GRADS, **kw) != run(nn.Adam, 1.0, GRADS, **kw)


def test_adamw_default_weight_decay_is_pytorchs():
    assert nn.AdamW([Value(0.0)]).weight_decay == 0.01
    assert nn.Adam([Value(0.0)]).weight_decay == 0.0
    opt = nn.Adam([Value(0.0)])
    assert (opt.lr, opt.betas, opt.eps, opt.amsgrad) == (1e-3, (0.9, 0.999), 1e-8, False)


def test_sgd_defaults_are_pytorchs():
    opt = nn.SGD([Value(0.0)])
    assert opt.hyperparameters() == {
        "lr": 1e-3, "momentum": 0.0, "dampening": 0.0, "nesterov": False,
        "weight_decay": 0.0, "maximize": False,
    }  # fmt: skip


# --- common behaviour --------------------------------------------------------------------


def test_several_parameters_are_updated_independently():
    a, b = Value(1.0), Value(-2.0)
    opt = nn.SGD([a, b], lr=0.5, momentum=0.5)
    for ga, gb in [(1.0, 2.0), (0.5, -1.0)]:
        a.grad, b.grad = ga, gb
        opt.step()
    assert (a.data, b.data) == (1.0 - 0.5 - 0.5 * 1.0, -2.0 - 1.0 - 0.5 * 0.0)


def test_lr_is_settable_and_validated():
    p = Value(1.0)
    opt = nn.SGD([p], lr=0.1)
    opt.lr = 0.5
    p.grad = 1.0
    opt.step()
    assert p.data == 0.5
    with pytest.raises(ValueError, match=re.escape("-0.5")):
        opt.lr = -0.5
    assert opt.lr == 0.5


def test_zero_grad_resets_every_parameter():
    ps = [Value(1.0), Value(2.0)]
    for p in ps:
        p.grad = 3.0
    nn.Adam(ps).zero_grad()
    assert [p.grad for p in ps] == [0.0, 0.0]


@pytest.mark.parametrize(
    ("make", "bad"),
    [
        (lambda p: nn.SGD(p, lr=-0.1), "-0.1"),
        (lambda p: nn.SGD(p, lr=float("nan")), "nan"),
        (lambda p: nn.SGD(p, lr=0.1, momentum=-0.9), "-0.9"),
        (lambda p: nn.SGD(p, lr=0.1, weight_decay=-1.0), "-1.0"),
        (lambda p: nn.SGD(p, lr=0.1, nesterov=True), "momentum=0.0"),
        (lambda p: nn.SGD(p, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "0.1"),
        (lambda p: nn.Adam(p, lr=-1e-3), "-0.001"),
        (lambda p: nn.Adam(p, betas=(1.0, 0.999)), "1.0"),
        (lambda p: nn.Adam(p, betas=(0.9, -0.1)), "-0.1"),
        (lambda p: nn.Adam(p, betas=(0.9,)), "(0.9,)"),  # type: ignore[arg-type]  # wrong on purpose
        (lambda p: nn.Adam(p, eps=-1e-8), "-1e-08"),
        (lambda p: nn.AdamW(p, weight_decay=-0.01), "-0.01"),
    ],
)
def test_invalid_hyperparameters_raise_value_error_naming_the_value(make, bad):
    with pytest.raises(ValueError, match=re.escape(bad)):
        make([Value(1.0)])


def test_wrong_types_and_bad_parameter_lists():
    with pytest.raises(TypeError, match="lr must be a number"):
        nn.SGD([Value(1.0)], lr="0.1")  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        nn.SGD([Value(1.0)], lr=0.1, momentum=0.9, nesterov=1)  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(ValueError, match="empty parameter list"):
        nn.SGD([], lr=0.1)
    p = Value(1.0)
    with pytest.raises(ValueError, match="more than once"):
        nn.Adam([p, p])
    with pytest.raises(TypeError, match=r"params\[1\] must be a Value"):
        nn.Adam([p, 1.0])  # type: ignore[list-item]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match=r"model\.parameters"):
        nn.Adam(p)  # type: ignore[arg-type]  # wrong on purpose: checks the error


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (nn.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        (nn.Adam, {"lr": 0.1, "amsgrad": True}),
        (nn.AdamW, {"lr": 0.1}),
    ],
)
def test_state_dict_resumes_exactly(cls, kwargs):
    def grads(step):
        return [0.3 * step - 1.0, 0.5 - 0.2 * step]

    ps = [Value(1.0), Value(-1.0)]
    opt = cls(ps, **kwargs)
    for step in range(3):
        for p, g in zip(ps, grads(step), strict=True):
            p.grad = g
        opt.step()
    saved = json.loads(json.dumps(opt.state_dict()))  # JSON-ready
    copies = [Value(p.data) for p in ps]
    resumed = cls(copies, lr=0.5)  # other settings come from the state
    resumed.load_state_dict(saved)
    assert resumed.hyperparameters() == opt.hyperparameters()
    for step in range(3, 6):
        for p, q, g in zip(ps, copies, grads(step), strict=True):
            p.grad = q.grad = g
        opt.step()
        resumed.step()
    assert [p.data for p in copies] == [p.data for p in ps]


def test_load_state_dict_validates_before_changing_anything():
    opt = nn.SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
    opt.params[0].grad = opt.params[1].grad = 1.0
    opt.step()
    before = opt.state_dict()
    good = nn.SGD([Value(1.0), Value(2.0)], lr=0.3, momentum=0.5).state_dict()
    bad_length = {**good, "state": {"momentum_buffer": [0.1]}}
    with pytest.raises(ValueError, match="list of 2 numbers"):
        opt.load_state_dict(bad_length)
    bad_value = {**good, "state": {"momentum_buffer": [0.1, "x"]}}
    with pytest.raises(TypeError, match=r"momentum_buffer\[1\]"):
        opt.load_state_dict(bad_value)
    bad_hyper = {**good, "hyperparameters": {**good["hyperparameters"], "lr": -1.0}}
    with pytest.raises(ValueError, match=re.escape("-1.0")):
        opt.load_state_dict(bad_hyper)
    with pytest.raises(ValueError, match="'Adam'"):
        opt.load_state_dict({**good, "type": "Adam"})
    with pytest.raises(ValueError, match="expected keys"):
        opt.load_state_dict({"type": "SGD"})
    assert opt.state_dict() == before


# --- schedules ---------------------------------------------------------------------------


def test_step_lr_multiplies_every_step_size_epochs():
    opt = nn.SGD([Value(0.0)], lr=0.8)
    sched = nn.StepLR(opt, step_size=3, gamma=0.5)
    lrs = []
    for _ in range(7):
        sched.step()
        lrs.append(opt.lr)
    assert lrs == [0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2]
    assert sched.get_last_lr() == [0.2]


def test_linear_lr_matches_the_closed_form():
    opt = nn.Adam([Value(0.0)], lr=0.3)
    sched = nn.LinearLR(opt, start_factor=0.25, end_factor=1.0, total_iters=4)
    lrs = [opt.lr]
    for _ in range(6):
        sched.step()
        lrs.append(opt.lr)
    factors = [0.25 + 0.75 * min(e, 4) / 4 for e in range(7)]
    assert lrs == pytest.approx([0.3 * f for f in factors], rel=1e-12)


def test_schedule_validation():
    opt = nn.SGD([Value(0.0)], lr=0.1)
    with pytest.raises(ValueError, match="step_size 0"):
        nn.StepLR(opt, step_size=0)
    with pytest.raises(ValueError, match="start_factor 0"):
        nn.LinearLR(opt, start_factor=0)
    with pytest.raises(ValueError, match="total_iters -2"):
        nn.LinearLR(opt, total_iters=-2)
    with pytest.raises(TypeError):
        nn.StepLR("not an optimizer", step_size=1)  # type: ignore[arg-type]  # wrong on purpose: checks the error


@pytest.mark.parametrize("optimizer_class", [nn.SGD, nn.Adam, nn.AdamW])
@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_accepts_set_to_none_and_sets_zero(optimizer_class, set_to_none):
    p = Value(1.0)
    p.grad = 3.0
    optimizer_class([p]).zero_grad(set_to_none=set_to_none)
    assert type(p.grad) is float and p.grad == 0.0


def test_zero_grad_set_to_none_must_be_a_bool():
    p = Value(1.0)
    p.grad = 3.0
    with pytest.raises(TypeError, match=r"Adam.zero_grad: set_to_none must be True or False"):
        nn.Adam([p]).zero_grad(set_to_none=None)  # type: ignore[arg-type]  # wrong on purpose
    assert p.grad == 3.0
