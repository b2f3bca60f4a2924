"""primitive(): user-defined ops, made exactly the way the built-in ones are."""

import math

import pytest

from autograd import (
    GradcheckError,
    Rule,
    Value,
    grad,
    gradcheck,
    gradgradcheck,
    no_grad,
    primitive,
)
from autograd import rules as r

# softsign(x) = x / (1 + |x|); d/dx = 1 / (1 + |x|)**2, written with float-and-Value ops.
softsign = primitive(
    "softsign", lambda x: x / (1 + abs(x)), lambda out, x: (1 / ((1 + abs(x)) * (1 + abs(x))),)
)
hypot = primitive("hypot", math.hypot, lambda out, x, y: (x / out, y / out))


def test_a_primitive_is_a_rule_and_makes_nodes_named_after_it():
    assert isinstance(softsign, Rule)
    x = Value(3.0, label="x")
    y = softsign(x)
    assert (y.data, y.op, y.rule, y.parents) == (0.75, "softsign", softsign, (x,))
    assert y.local_grads == (1 / 16,)
    y.backward()
    assert x.grad == 1 / 16


@pytest.mark.parametrize("point", [-2.5, -0.3, 0.4, 7.0])
def test_a_correct_primitive_passes_gradcheck_and_gradgradcheck(point):
    assert gradcheck(softsign, [point])
    assert gradgradcheck(softsign, [point])
    assert gradcheck(hypot, [point, 1.5])
    assert gradgradcheck(hypot, [point, 1.5])
    # ... also inside bigger expressions.
    f = lambda x, y: hypot(softsign(x) * y, x) ** 2  # noqa: E731 (a one-line f)
    assert gradgradcheck(f, [point, 1.5])


@pytest.mark.parametrize("point", [-2.5, 0.4])
def test_a_primitive_differentiates_to_any_order(point):
    # softsign' = (1 + |x|)**-2, '' = -2 sign(x) (1 + |x|)**-3, ''' = 6 (1 + |x|)**-4.
    x = Value(point)
    (d1,) = grad(softsign(x), [x], create_graph=True)
    (d2,) = grad(d1, [x], create_graph=True)
    (d3,) = grad(d2, [x])
    a = abs(point)
    assert d1.data == pytest.approx((1 + a) ** -2, rel=1e-12)
    assert d2.data == pytest.approx(-2 * math.copysign(1, point) * (1 + a) ** -3, rel=1e-12)
    assert d3 == pytest.approx(6 * (1 + a) ** -4, rel=1e-12)


def test_a_wrong_primitive_fails_gradcheck_naming_that_input():
    wrong = primitive("hypot", math.hypot, lambda out, x, y: (x / out, x / out))
    with pytest.raises(GradcheckError) as info:
        gradcheck(wrong, [3.0, Value(4.0, label="y")])
    (line,) = [ln for ln in str(info.value).splitlines() if ln.endswith("<- wrong")]
    assert line.split()[:3] == ["out[0]", "x[1]", "'y'"]
    assert [e.input for e in info.value.entries if not e.ok] == ["x[1] 'y'"]


def test_numbers_are_lifted_to_leaves():
    h = hypot(3, 4.0)
    assert h.data == 5.0
    assert [type(p) for p in h.parents] == [Value, Value]
    assert [p.data for p in h.parents] == [3.0, 4.0]


def test_int_results_become_floats():
    step = primitive("step", lambda x: 1 if x > 0 else 0, lambda out, x: (0,))
    y = step(2.0)
    assert type(y.data) is float and y.data == 1.0
    assert y.local_grads == (0.0,) and type(y.local_grads[0]) is float


def test_the_derivative_must_give_one_entry_per_input():
    two_for_one = primitive("twice", lambda x: 2 * x, lambda out, x: (2.0, 0.0))
    with pytest.raises(ValueError, match=r"twice: derivative returned 2 local derivatives for 1"):
        two_for_one(1.0)
    one_for_two = primitive("plus", lambda x, y: x + y, lambda out, x, y: (1.0,))
    with pytest.raises(ValueError, match=r"plus: derivative returned 1 .* for 2 inputs"):
        one_for_two(1.0, 2.0)
    # wrong on purpose: checks the error
    bare = primitive("triple", lambda x: 3 * x, lambda out, x: 3.0)  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match=r"triple: derivative must return a tuple .* got float"):
        bare(1.0)


def test_bad_results_and_inputs_are_rejected_by_name():
    # wrong on purpose: checks the error
    text = primitive("text", lambda x: "one", lambda out, x: (0.0,))  # type: ignore[arg-type, return-value]
    with pytest.raises(TypeError, match="text: forward must return a number, got str"):
        text(1.0)
    leaky = primitive("leaky", lambda x: x, lambda out, x: (Value(1.0),))
    with pytest.raises(TypeError, match="leaky: derivative entry 0 must be a number"):
        leaky(1.0)
    with pytest.raises(TypeError, match="softsign: input 0 must be a Value or a number, got str"):
        softsign("1")  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match="softsign: expected at least one input"):
        softsign()


def test_primitive_arguments_are_checked():
    with pytest.raises(TypeError, match="name must be a str, got int"):
        primitive(3, math.exp, lambda out, x: (out,))  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(ValueError, match="name must not be empty"):
        primitive("", math.exp, lambda out, x: (out,))
    with pytest.raises(TypeError, match="'e': forward must be callable, got float"):
        primitive("e", 2.718, lambda out, x: (out,))  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match="'e': derivative must be callable"):
        primitive("e", math.exp, None)  # type: ignore[arg-type]  # wrong on purpose: checks the error


def test_no_grad_applies_to_primitives_too():
    with no_grad():
        y = softsign(Value(1.0))
    assert (y.data, y.parents, y.op) == (0.5, (), "")


# Every built-in rule is a primitive: calling it makes the node its method makes.
UNARY = [
    (r.NEG, Value.__neg__), (r.ABS, abs), (r.EXP, Value.exp), (r.LOG, Value.log),
    (r.SQRT, Value.sqrt), (r.TANH, Value.tanh), (r.SIGMOID, Value.sigmoid),
    (r.RELU, Value.relu), (r.SOFTPLUS, Value.softplus), (r.SIN, Value.sin), (r.COS, Value.cos),
]  # fmt: skip
BINARY = [
    (r.ADD, Value.__add__), (r.SUB, Value.__sub__), (r.MUL, Value.__mul__),
    (r.DIV, Value.__truediv__), (r.POW, Value.__pow__),
]  # fmt: skip


@pytest.mark.parametrize(("rule", "method"), UNARY, ids=[u[0].name for u in UNARY])
def test_calling_a_builtin_unary_rule_is_the_op(rule, method):
    x = Value(0.7)
    by_rule, by_method = rule(x), method(x)
    assert by_rule.rule is by_method.rule is rule
    assert (by_rule.data, by_rule.local_grads) == (by_method.data, by_method.local_grads)
    assert gradgradcheck(rule, [0.7])


@pytest.mark.parametrize(("rule", "method"), BINARY, ids=[b[0].name for b in BINARY])
def test_calling_a_builtin_binary_rule_is_the_op(rule, method):
    x, y = Value(0.7), Value(-1.3)
    by_rule, by_method = rule(x, y), method(x, y)
    assert by_rule.rule is by_method.rule is rule
    assert (by_rule.data, by_rule.local_grads) == (by_method.data, by_method.local_grads)
    if rule is not r.POW:  # a negative base: d/dy is undefined
        assert gradgradcheck(rule, [0.7, -1.3])
    assert gradgradcheck(rule, [0.7, 1.3])


def test_builtin_constant_parameter_rules_are_primitives_too():
    assert r.power(3)(2.0).data == 8.0
    assert r.leaky_relu(0.1)(-2.0).local_grads == (0.1,)
    assert gradgradcheck(r.power(-1.5), [0.8])
    assert gradcheck(r.TOTAL, [1.0, 2.0, 3.0])
    assert gradgradcheck(r.DOT, [1.0, 2.0, 3.0, 4.0])
