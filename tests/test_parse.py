"""parse_expression: the allowed constructs build the right graph; everything else is refused."""

from __future__ import annotations

import math

import pytest

from autograd import Value, grad
from autograd.parse import ExpressionError, parse_expression


def test_builds_the_expression_with_labelled_leaves():
    p = parse_expression("tanh(x*w + b)", {"x": 0.5, "w": -1.2, "b": 0.3})
    assert list(p.inputs) == ["x", "w", "b"]
    assert all(v.label == name and v.parents == () for name, v in p.inputs.items())
    x, w, b = p.inputs.values()
    expected = (x * w + b).tanh()
    assert p.output.data == expected.data
    assert grad(p.output, [x, w, b]) == grad(expected, [x, w, b])
    assert p.output.op == "tanh"


def test_operators_constants_unary_minus_and_functions():
    p = parse_expression("-x**2 / 4 + 2**x - (3 - x) * +x + leaky_relu(-x, slope=0.5)", {"x": 2.0})
    assert p.output.data == -(2.0**2) / 4 + 2**2.0 - (3 - 2.0) * 2.0 + 0.5 * -2.0
    for name in ("exp", "log", "sqrt", "sigmoid", "relu", "softplus", "sin", "cos", "abs"):
        out = parse_expression(f"{name}(x)", {"x": 0.7}).output
        assert out.data == pytest.approx(getattr(Value(0.7), name)().data if name != "abs" else 0.7)
    assert parse_expression("leaky_relu(x, 0.2)", {"x": -1.0}).output.data == -0.2


def test_constant_only_expression_still_draws_its_op():
    p = parse_expression("2 * 3", {})
    assert p.output.data == 6.0 and p.output.op == "*"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x.__class__", "attribute access"),
        ("x[0]", "subscripts"),
        ("(lambda: 1)()", "only the engine's functions"),
        ("lambda: 1", "lambda"),
        ("__import__('os')", "unknown function '__import__'"),
        ("import os", "not a valid expression"),
        ("x if x else 1", "conditional"),
        ("x < 1", "comparisons"),
        ("x // 2", "operator //"),
        ("x % 2", "operator %"),
        ("'a' + x", "only numbers"),
        ("foo(x)", "unknown function 'foo'"),
        ("exp(x, x)", "exactly one argument"),
        ("exp(x=1)", "exactly one argument"),
        ("y + x", "no value for variable 'y'"),
        ("exp + x", "'exp' is a function"),
        ("leaky_relu(x, x)", "slope must be a number"),
        ("True + x", "only numbers"),
        ("[x]", "lists"),
        ("(x := 2)", "assignment"),
    ],
)
def test_rejected_with_a_message_naming_what(text, message):
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, {"x": 1.0})


def test_bad_values_and_math_errors():
    with pytest.raises(ExpressionError, match="must be a number"):
        parse_expression("x", {"x": "1"})  # type: ignore[dict-item]  # wrong on purpose: checks the error
    with pytest.raises(ExpressionError, match="names not in the expression: z"):
        parse_expression("x", {"x": 1.0, "z": 2.0})
    with pytest.raises(ExpressionError, match=r"cannot compute 'log\(x\)': log: got -1.0"):
        parse_expression("log(x)", {"x": -1.0})
    with pytest.raises(ExpressionError, match="division by zero"):
        parse_expression("1 / x", {"x": 0.0})
    with pytest.raises(ExpressionError, match="not a valid expression"):
        parse_expression("x +", {"x": 1.0})


def test_deep_nesting_is_built_without_recursion_or_refused_clearly():
    text = "x" + " + x" * 2000
    assert parse_expression(text, {"x": 1.0}).output.data == 2001.0
    with pytest.raises(ExpressionError):
        parse_expression("(" * 5000 + "x" + ")" * 5000, {"x": 1.0})
    assert math.isfinite(parse_expression("-" * 50 + "x", {"x": 1.0}).output.data)


def test_pi_and_e_are_constants_when_no_value_is_given():
    p = parse_expression("pi * r**2 + e", {"r": 2.0})
    assert p.output.data == math.pi * 4.0 + math.e
    assert sorted(p.inputs) == ["r"]  # constants are not inputs: no gradient is asked of them
    p.output.backward()
    assert p.inputs["r"].grad == 4.0 * math.pi


def test_a_value_given_for_pi_or_e_wins_over_the_constant():
    p = parse_expression("pi * e", {"pi": 3.0, "e": 2.0})
    assert p.output.data == 6.0
    p.output.backward()
    assert (p.inputs["pi"].grad, p.inputs["e"].grad) == (2.0, 3.0)


def test_other_names_still_need_values_next_to_the_constants():
    with pytest.raises(ExpressionError, match="no value for variable 'tau'"):
        parse_expression("tau * pi", {})
