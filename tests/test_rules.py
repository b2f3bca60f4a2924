"""One property per primitive: the engine's derivatives against central differences.

Built on the public kit (``autograd.testing``): ``assert_gradients_match`` checks first
and second derivatives, ``domain(op)`` draws points where the op is smooth. Pins
(@example) sit at kinks and domain edges; at a kink, where a central difference straddles
two slopes, the pin checks the documented convention instead.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograd import Value, grad, rules
from autograd.testing import UNARY_OPS, assert_gradients_match, domain, reals


def slope(op, x: float) -> float:
    """The engine's d op(x) / dx."""
    v = Value(x)
    op(v).backward()
    return v.grad


def check_smooth(op, *xs: float) -> None:
    """First and second derivatives of ``op`` at ``xs`` against central differences."""
    scale = max(1, abs(op(*(Value(x) for x in xs)).data))
    assert_gradients_match(op, *xs, rtol=1e-5, atol=1e-6 * scale)


@given(domain("neg"))
@example(0.0)
def test_neg(x):
    check_smooth(UNARY_OPS["neg"], x)


@given(domain("exp"))
@example(0.0)
@example(-30.0)
@example(30.0)
def test_exp(x):
    check_smooth(UNARY_OPS["exp"], x)
    assert slope(Value.exp, x) == math.exp(x)  # exp' is the output itself


@given(domain("log"))
@example(1e-2)  # near the edge of the domain, where the slope is steep
@example(1.0)
def test_log(x):
    check_smooth(UNARY_OPS["log"], x)


@given(domain("sqrt"))
@example(1e-2)
def test_sqrt(x):
    check_smooth(UNARY_OPS["sqrt"], x)


@given(domain("tanh"))
@example(0.0)
@example(20.0)
@example(-20.0)
def test_tanh(x):
    check_smooth(UNARY_OPS["tanh"], x)


@given(domain("sigmoid"))
@example(0.0)
@example(-30.0)
@example(30.0)
def test_sigmoid(x):
    check_smooth(UNARY_OPS["sigmoid"], x)


@given(domain("softplus"))
@example(0.0)
@example(-30.0)
@example(30.0)
def test_softplus(x):
    check_smooth(UNARY_OPS["softplus"], x)


@given(domain("sin"))
@example(0.0)
@example(math.pi / 2)
def test_sin(x):
    check_smooth(UNARY_OPS["sin"], x)


@given(domain("cos"))
@example(0.0)
@example(math.pi)
def test_cos(x):
    check_smooth(UNARY_OPS["cos"], x)


KINK_STEP = 1e-5  # within this of a kink a central difference straddles two slopes


@given(reals(-100, 100))
@example(0.0)
@example(-0.0)
@example(1e-300)
@example(-1e-300)
def test_relu(x):
    if abs(x) < KINK_STEP:
        assert slope(Value.relu, x) == (1.0 if x > 0 else 0.0)  # relu'(0) = 0
    else:
        check_smooth(UNARY_OPS["relu"], x)


@given(reals(-100, 100))
@example(0.0)
@example(-0.0)
@example(1e-300)
@example(-1e-300)
def test_abs(x):
    if abs(x) < KINK_STEP:
        assert slope(abs, x) == (1.0 if x > 0 else -1.0 if x < 0 else 0.0)  # abs'(0) = 0
    else:
        check_smooth(UNARY_OPS["abs"], x)


@given(reals(-100, 100))
@example(0.0)
@example(-0.0)
@example(1e-300)
def test_leaky_relu(x):
    if abs(x) < KINK_STEP:
        assert slope(UNARY_OPS["leaky_relu"], x) == (1.0 if x > 0 else 0.1)  # at 0: slope
    else:
        check_smooth(UNARY_OPS["leaky_relu"], x)


def test_kink_conventions():
    assert slope(Value.relu, 0.0) == 0.0
    assert slope(abs, 0.0) == 0.0
    assert slope(lambda v: v.leaky_relu(0.3), 0.0) == 0.3
    assert slope(Value.leaky_relu, 0.0) == 0.01  # the default slope
    assert slope(Value.sqrt, 0.0) == math.inf


# --- two-input primitives ---------------------------------------------------------------


def partials(op, x: float, y: float) -> tuple[float, float]:
    a, b = Value(x), Value(y)
    da, db = grad(op(a, b), [a, b])
    return da, db


pairs = st.tuples(reals(-100, 100), reals(-100, 100))


@given(pairs)
@example((0.0, 0.0))
def test_add(xy):
    check_smooth(lambda a, b: a + b, *xy)
    assert partials(lambda a, b: a + b, *xy) == (1.0, 1.0)


@given(pairs)
@example((0.0, 0.0))
def test_sub(xy):
    check_smooth(lambda a, b: a - b, *xy)
    assert partials(lambda a, b: a - b, *xy) == (1.0, -1.0)


@given(pairs)
@example((0.0, 0.0))
def test_mul(xy):
    check_smooth(lambda a, b: a * b, *xy)
    assert partials(lambda a, b: a * b, *xy) == (xy[1], xy[0])


@given(reals(-100, 100), reals(-100, 100).filter(lambda y: abs(y) > 1e-2))
@example(0.0, 1e-2)
@example(1.0, -1e-2)
def test_div(x, y):
    check_smooth(lambda a, b: a / b, x, y)


@given(reals(1e-2, 10), reals(-4, 4))
@example(1e-2, 2.0)
@example(1.0, 0.0)
def test_pow_value_exponent(x, y):
    check_smooth(lambda a, b: a**b, x, y)


@pytest.mark.parametrize("k", [-3, -1, -0.5, 0.5, 1, 1.5, 2, 3, 7])
@given(x=reals(1e-2, 10))
@example(x=1e-2)
def test_pow_constant_exponent(k, x):
    check_smooth(lambda v: v**k, x)


@pytest.mark.parametrize("k", [2, 3, -1, -2])
@given(x=reals(-10, -1e-2))
def test_pow_integer_exponent_negative_base(k, x):
    check_smooth(lambda v: v**k, x)


@given(reals(-10, 10))
@example(0.0)
def test_number_to_the_power_of_value(x):
    op = lambda v: 2.0**v  # noqa: E731
    check_smooth(op, x)
    assert slope(op, x) == 2.0**x * math.log(2.0)


def test_pow_edge_derivatives():
    assert slope(lambda v: v**0, 0.0) == 0.0  # x**0 is constant 1, even at 0
    assert slope(lambda v: v**0.5, 0.0) == math.inf  # like sqrt'(0)
    assert slope(lambda v: v**2, 0.0) == 0.0
    assert slope(lambda v: v**1, 0.0) == 1.0
    # d(x**y)/dy at x = 0 (y > 0) is the limit 0, not 0 * log(0) = nan
    base, exponent = Value(0.0), Value(2.0)
    assert grad(base**exponent, [base, exponent]) == (0.0, 0.0)
    # for a negative base the exponent's derivative does not exist in the reals
    base, exponent = Value(-2.0), Value(2.0)
    dx, dy = grad(base**exponent, [base, exponent])
    assert dx == -4.0 and math.isnan(dy)


def test_the_table_names_every_primitive():
    names = {rule.name for rule in vars(rules).values() if isinstance(rule, rules.Rule)}
    assert names >= {"+", "-", "*", "/", "neg", "**", "exp", "log", "sqrt", "tanh", "sigmoid",
                     "relu", "softplus", "sin", "cos", "abs", "sum", "dot"}
    assert rules.power(3).name == "**3"
    assert rules.power(3) is rules.power(3.0)  # one rule per constant, shared
    assert rules.leaky_relu(0.2) is rules.leaky_relu(0.2)
