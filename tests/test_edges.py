"""Exact answers at the edges of the ops' domains, each against its closed form.

Each case was wrong once (see issue 10): a derivative rule that compared a Value with
``== 0``, an infinite slope that became a disconnected constant, a nan passed through
relu's inactive side, and a second backward() that did not give exactly twice the first.
"""

import math

import pytest
from hypothesis import given, settings
from strategies import expressions

from autograd import Value, grad

# --- x ** y with a Value exponent at a zero base -------------------------------------------


@pytest.mark.parametrize("create_graph", [False, True])
def test_zero_base_to_a_value_power_has_zero_exponent_slope(create_graph):
    # d/dy 0 ** y = 0 ** y * log 0 -> 0 (the limit), with or without a graph of the gradient.
    x, y = Value(0.0), Value(2.0)
    dx, dy = grad(x**y, [x, y], create_graph=create_graph)
    assert float(dy) == 0.0 and float(dx) == 0.0  # d/dx = y * x ** (y - 1) = 2 * 0


@pytest.mark.parametrize("create_graph", [False, True])
def test_zero_to_the_zero_has_zero_gradients(create_graph):
    # x ** 0 is 1 for every x and 0 ** y is 0 for y > 0: both slopes are 0, as PyTorch says.
    x, y = Value(0.0), Value(0.0)
    out = x**y
    assert out.data == 1.0
    dx, dy = grad(out, [x, y], create_graph=create_graph)
    assert (float(dx), float(dy)) == (0.0, 0.0)


def test_value_exponent_mixed_second_derivative_at_zero_exponent():
    # f = x ** y; d2f/dx dy = x ** (y-1) (1 + y log x): at x = 2, y = 0 it is 1/2.
    x, y = Value(2.0), Value(0.0)
    dx, _ = grad(x**y, [x, y], create_graph=True)
    (dxdy,) = grad(dx, [y])
    assert dxdy == pytest.approx(0.5, rel=1e-15)


# --- infinite slopes stay in the graph -----------------------------------------------------


@pytest.mark.parametrize(
    ("f", "second"),
    [
        (lambda x: x.sqrt(), -math.inf),  # d2/dx2 sqrt x = -x**-1.5 / 4
        (lambda x: x**0.5, -math.inf),
        (lambda x: x**0.25, -math.inf),  # -3/16 x ** -1.75
        (lambda x: x**1.5, math.inf),  # 3/4 x ** -0.5
    ],
)
def test_second_derivative_at_zero_is_infinite_and_connected(f, second):
    x = Value(0.0)
    (d1,) = grad(f(x), [x], create_graph=True)
    assert d1.parents, "the first derivative must stay a node of the graph"
    (d2,) = grad(d1, [x])
    assert d2 == second


# --- relu, leaky_relu and abs pass exactly 0 on their inactive side ------------------------

MASKED = [
    ("relu", lambda x: x.relu(), -1.0),
    ("relu at 0", lambda x: x.relu(), 0.0),
    ("abs at 0", abs, 0.0),
    ("leaky_relu(0) slope", lambda x: x.leaky_relu(0.0), -2.0),
]


@pytest.mark.parametrize(("name", "op", "at"), MASKED, ids=[m[0] for m in MASKED])
@pytest.mark.parametrize("upstream", ["sqrt", "inf"])
def test_inactive_side_passes_exactly_zero(name, op, at, upstream):
    # sqrt'(0) = inf arrives at the inactive op: 0 * inf would be nan; PyTorch gives 0.
    def f(x):
        y = op(x)
        return y.sqrt() if upstream == "sqrt" else y * Value(math.inf)

    x = Value(at)
    f(x).backward()
    assert x.grad == 0.0 and not math.copysign(1.0, x.grad) < 0
    assert grad(f(Value(at)), [Value(at)], allow_unused=True) == (0.0,)
    x = Value(at)
    assert grad(f(x), [x]) == (0.0,)
    x = Value(at)
    (g,) = grad(f(x), [x], create_graph=True)
    assert g.data == 0.0


def test_masking_leaves_every_other_gradient_as_the_fast_sweep_gives_it():
    # The masked sweep runs only when a non-finite gradient reaches a leaf; where it runs,
    # the other leaves get what the fast sweep would have given them.
    a, b = Value(-1.0), Value(3.0)
    out = a.relu().sqrt() + b * b
    out.backward()
    assert (a.grad, b.grad) == (0.0, 6.0)


def test_active_side_still_passes_nan():
    # Only the inactive side is masked: relu passes its incoming gradient on at x > 0.
    x = Value(2.0)
    (x.relu() * Value(math.nan)).backward()
    assert math.isnan(x.grad)


# --- twice backward() is exactly twice the gradient -----------------------------------------


def test_two_backward_calls_double_a_leaf_with_many_edges_bit_for_bit():
    # Three edges into x: accumulating edge by edge onto the first call's total rounds
    # differently from 2 * (first call's total). These numbers hit such a case.
    x = Value(0.1)
    y = x * 0.7 + x * 0.3 + x * 1.1
    y.backward()
    first = x.grad
    y.backward()
    assert x.grad == 2 * first


@settings(max_examples=120, deadline=None)
@given(expressions(max_inputs=3, max_ops=12))
def test_two_backward_calls_double_every_leaf_bit_for_bit(expr):
    leaves = [Value(v) for v in expr.inputs]
    out = expr(*leaves)
    out.backward()
    first = [leaf.grad for leaf in leaves]
    out.backward()
    second = [leaf.grad for leaf in leaves]
    for a, b in zip(first, second, strict=True):
        assert b == 2 * a or (math.isnan(a) and math.isnan(b))
