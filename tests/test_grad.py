"""The functional grad(): first order, higher orders, unused inputs, bad arguments."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given, settings
from strategies import close

from autograd import Value, grad, gradcheck, gradgradcheck
from autograd.testing import Expression, expressions, reals


def test_grad_leaves_every_grad_untouched():
    x, y = Value(2.0), Value(3.0)
    z = x * y + x
    assert grad(z, [x, y]) == (4.0, 2.0)
    assert x.grad == 0.0 and y.grad == 0.0 and z.grad == 0.0


def test_grad_of_the_output_itself_and_of_an_interior_node():
    x = Value(2.0)
    y = x * x
    z = y * 3.0
    assert grad(z, [z, y, x]) == (1.0, 3.0, 12.0)


def test_unused_input_is_an_error_unless_allowed():
    x, u = Value(1.0), Value(2.0, label="u")
    y = x * 2
    with pytest.raises(ValueError, match=r"inputs\[1\] \(label 'u'\).*allow_unused=True"):
        grad(y, [x, u])
    assert grad(y, [x, u], allow_unused=True) == (2.0, 0.0)
    second = grad(y, [x, u], create_graph=True, allow_unused=True)
    assert [g.data for g in second] == [2.0, 0.0]


def test_bad_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="output must be a Value"):
        grad(1.0, [x])  # type: ignore[call-overload]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match=r"grad\(y, \[x\]\)"):
        grad(x * x, x)  # type: ignore[call-overload]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a Value, got float"):
        grad(x * x, [1.0])  # type: ignore[list-item]  # wrong on purpose: checks the error


def test_first_order_with_create_graph_is_bitwise_the_same():
    x, y = Value(0.7), Value(-1.3)
    z = (x * y).tanh() * x.exp() / (1 + y * y) + (x**y.sigmoid() if x > 0 else x)
    plain = grad(z, [x, y])
    graphed = grad(z, [x, y], create_graph=True)
    assert plain == tuple(g.data for g in graphed)


# Second and third derivatives against closed forms: (op, d2, d3) at a point x.
HIGHER = {
    "exp": (Value.exp, math.exp, math.exp),
    "log": (Value.log, lambda x: -1 / x**2, lambda x: 2 / x**3),
    "sin": (Value.sin, lambda x: -math.sin(x), lambda x: -math.cos(x)),
    "cos": (Value.cos, lambda x: -math.cos(x), math.sin),
    "tanh": (
        Value.tanh,
        lambda x: -2 * math.tanh(x) * (1 - math.tanh(x) ** 2),
        lambda x: (1 - math.tanh(x) ** 2) * (6 * math.tanh(x) ** 2 - 2),
    ),
    "sigmoid": (
        Value.sigmoid,
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 6 * s + 6 * s * s),
    ),
    "softplus": (
        Value.softplus,
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s),
        lambda x: (s := 1 / (1 + math.exp(-x))) * (1 - s) * (1 - 2 * s),
    ),
    "sqrt": (Value.sqrt, lambda x: -0.25 * x**-1.5, lambda x: 0.375 * x**-2.5),
    "cube": (lambda v: v**3, lambda x: 6 * x, lambda x: 6.0),
    "pow2.5": (lambda v: v**2.5, lambda x: 3.75 * x**0.5, lambda x: 1.875 * x**-0.5),
    "reciprocal": (lambda v: 1 / v, lambda x: 2 / x**3, lambda x: -6 / x**4),
    "2**x": (lambda v: 2**v, lambda x: 2**x * math.log(2) ** 2, lambda x: 2**x * math.log(2) ** 3),
}


@pytest.mark.parametrize("name", sorted(HIGHER))
@given(x=reals(0.2, 3.0))
@example(x=1.0)
def test_second_and_third_derivatives_closed_forms(name, x):
    op, d2, d3 = HIGHER[name]
    v = Value(x)
    (first,) = grad(op(v), [v], create_graph=True)
    (second,) = grad(first, [v], create_graph=True)
    (third,) = grad(second, [v])
    assert close(second.data, d2(x), rtol=1e-10, atol=1e-12)
    assert close(third, d3(x), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(HIGHER))
@given(x=reals(0.2, 3.0))
def test_second_derivative_matches_differences_of_the_first(name, x):
    assert gradgradcheck(HIGHER[name][0], [x], rtol=1e-5, atol=1e-6)


def test_mixed_partials_of_a_product():
    x, y = Value(1.5), Value(-2.0)
    z = x * x * y
    dx, dy = grad(z, [x, y], create_graph=True)
    assert grad(dx, [x, y]) == (2 * y.data, 2 * x.data)  # d2z/dx2 = 2y, d2z/dxdy = 2x
    assert grad(dy, [x, y], allow_unused=True) == (2 * x.data, 0.0)


def test_kinked_ops_have_zero_second_derivative():
    x = Value(1.5)
    for op in (Value.relu, abs, lambda v: v.leaky_relu(0.2)):
        (first,) = grad(op(x), [x], create_graph=True)
        assert grad(first, [x], allow_unused=True) == (0.0,)


@settings(max_examples=200)
@given(expressions())
def test_random_expression_graphs_against_central_differences(expr: Expression):
    scale = max(1.0, abs(expr.evaluate(expr.inputs)))
    assert gradcheck(expr, expr.inputs, rtol=1e-4, atol=1e-5 * scale)


@settings(max_examples=100)
@given(expressions(max_inputs=2, max_ops=6))
def test_random_expression_graphs_second_order(expr: Expression):
    # gradgradcheck one first derivative at a time, each with a tolerance scaled to it.
    xs = [Value(x) for x in expr.inputs]
    for i, g in enumerate(grad(expr(*xs), xs, allow_unused=True)):

        def first(*vs, i=i):
            return grad(expr(*vs), vs, create_graph=True, allow_unused=True)[i]

        assert gradcheck(first, expr.inputs, rtol=1e-4, atol=1e-4 * max(1.0, abs(g)))
