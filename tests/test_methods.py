"""Value's op methods, written as source from the rules (autograd/methods.py).

The methods must make exactly the node the rule's own functions make (same output, same
local derivatives, bit for bit, same errors), and the plain and checked twins must be
swapped in and out as mode blocks open and close, in every thread.
"""

from __future__ import annotations

import math
import threading
import traceback

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograd import Value, detect_anomaly, grad_mode, methods, no_grad, rules

# Every table rule that Value has a method for, by method name and arity.
UNARY = {
    "__neg__": rules.NEG, "__abs__": rules.ABS, "exp": rules.EXP, "log": rules.LOG,
    "sqrt": rules.SQRT, "tanh": rules.TANH, "sigmoid": rules.SIGMOID, "relu": rules.RELU,
    "softplus": rules.SOFTPLUS, "sin": rules.SIN, "cos": rules.COS,
}  # fmt: skip
BINARY = {"__add__": rules.ADD, "__sub__": rules.SUB, "__mul__": rules.MUL,
          "__truediv__": rules.DIV}  # fmt: skip
REFLECTED = {"__radd__": rules.ADD, "__rsub__": rules.SUB, "__rmul__": rules.MUL,
             "__rtruediv__": rules.DIV}  # fmt: skip

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


def same(a: float, b: float) -> bool:
    """Equal bit for bit (nan equals nan; 0.0 and -0.0 differ)."""
    return math.copysign(1.0, a) == math.copysign(1.0, b) and (a == b or (a != a and b != b))


def expected(rule: rules.Rule, *xs: float) -> tuple[float, tuple[float, ...]] | type:
    """What the rule's own functions give at ``xs``, or the type of error it raises."""
    violated = rule.violated(*xs)
    if violated is not None:
        return violated.error
    out = rule.forward(*xs)
    return out, tuple(rule.derivative(out, *xs))


def made(method, *args) -> tuple[float, tuple[float, ...]] | type:
    try:
        node = method(*args)
    except (ValueError, ZeroDivisionError) as error:
        return type(error)
    return node.data, node.local_grads


def check(got, want) -> None:
    if isinstance(want, type):
        assert got is want
        return
    (out, local), (want_out, want_local) = got, want
    assert same(out, want_out), (out, want_out)
    assert len(local) == len(want_local)
    assert all(same(a, b) for a, b in zip(local, want_local)), (local, want_local)


@pytest.mark.parametrize("name", sorted(UNARY))
@given(x=floats)
@example(x=0.0)
@example(x=-0.0)
@example(x=-1.0)
def test_each_unary_method_makes_the_rules_node_bit_for_bit(name, x):
    check(made(getattr(Value, name), Value(x)), expected(UNARY[name], x))
    if not isinstance(expected(UNARY[name], x), type):
        assert getattr(Value(x), name)().rule is UNARY[name]


@pytest.mark.parametrize("name", sorted(BINARY))
@given(x=floats, y=floats)
@example(x=1.0, y=0.0)
@example(x=0.0, y=-0.0)
def test_each_binary_method_makes_the_rules_node_bit_for_bit(name, x, y):
    rule = BINARY[name]
    check(made(getattr(Value, name), Value(x), Value(y)), expected(rule, x, y))
    check(made(getattr(Value, name), Value(x), y), expected(rule, x, y))  # a number operand
    reflected = "__r" + name[2:]
    check(made(getattr(Value, reflected), Value(y), x), expected(REFLECTED[reflected], x, y))


@given(x=floats, k=st.sampled_from([0, 1, 2, 2.0, 3, -1, -2.5, 0.5, 0.25, 7, math.inf]))
@example(x=0.0, k=-1)
@example(x=-2.0, k=0.5)
def test_powers_make_the_rules_node_whether_written_out_or_made_by_the_rule(x, k):
    check(made(Value.__pow__, Value(x), k), expected(rules.power(k), x))
    rules.clear_caches()  # a miss: the rule and its maker are made again
    check(made(Value.__pow__, Value(x), k), expected(rules.power(k), x))


@given(x=floats, slope=st.sampled_from([0.01, 0.1, -0.5, 2.0]))
def test_leaky_relu_makes_its_rules_node(x, slope):
    check(made(Value.leaky_relu, Value(x), slope), expected(rules.leaky_relu(slope), x))


def test_the_square_is_written_out_and_other_exponents_use_their_rules_maker():
    assert 2.0 in rules.INLINE_POWERS
    x = Value(3.0)
    assert (x**2).rule == rules.power(2.0) and (x**2).local_grads == (6.0,)
    (x**3).data  # noqa: B018 (makes the rule's maker)
    assert rules.power(3.0).maker is not None and rules.power(2.0).maker is None


def test_mode_blocks_swap_the_checked_methods_in_and_back_out():
    plain_add, plain_pow = Value.__add__, Value.__pow__
    with no_grad():
        assert Value.__add__ is not plain_add and Value.__pow__ is not plain_pow
        with no_grad():
            assert Value.__add__ is not plain_add
        assert Value.__add__ is not plain_add  # one block is still open
        x = Value(2.0)
        made_inside = [x + 1, 1 + x, x * x, x**2, x**3, x.relu(), x.leaky_relu(), -x]
    assert all(node.parents == () for node in made_inside)
    assert Value.__add__ is plain_add and Value.__pow__ is plain_pow
    assert grad_mode.open_blocks == 0
    assert (Value(2.0) + 1).parents != ()
    assert Value.__add__.__qualname__ == "Value.__add__"


def test_anomaly_blocks_use_the_checked_methods_too():
    with detect_anomaly(), pytest.raises(FloatingPointError):
        Value(1e308) * 10  # inf made by *: the detector sees the node
    with detect_anomaly(), pytest.raises(FloatingPointError):
        Value(1e200) ** 2  # the written-out square checks too


def test_a_block_in_one_thread_leaves_other_threads_recording():
    inside, outside = threading.Event(), threading.Event()
    seen = []

    def blocked():
        with no_grad():
            inside.set()
            outside.wait(10)
            seen.append((Value(1.0) + 1).parents)

    thread = threading.Thread(target=blocked)
    thread.start()
    inside.wait(10)
    recorded = Value(1.0) * 2  # while the other thread's block is open
    outside.set()
    thread.join(10)
    assert len(recorded.parents) == 2 and seen == [()]


def test_a_domain_error_traceback_shows_the_generated_line():
    try:
        Value(1.0) / Value(0.0)
    except ZeroDivisionError as error:
        text = "".join(traceback.format_exception(error))
    assert "generated method" in text and "raise domain_error(RULE, 0, (self, other))" in text
    assert "division by zero: 1.0 / 0.0" in text


def test_a_formula_naming_something_unknown_is_refused():
    bad = rules.Rule("bad", lambda x: x, "x + mystery", inline="x")
    with pytest.raises(ValueError, match=r"'bad'.*mystery"):
        methods.unary_method(bad, "bad")


def test_labels_live_with_the_rule_and_any_node_can_take_one():
    x = Value(2.0, label="x")
    y = x * 3
    assert (x.label, x.rule, y.label, y.rule) == ("x", None, "", rules.MUL)
    y.label = "y"
    assert (y.label, y.rule, y.op) == ("y", rules.MUL, "*")
    y.backward()
    assert x.grad == 3.0 and y.local_grads == (3.0, 2.0)
    y.label = ""
    assert y.label == "" and y.rule is rules.MUL
    with pytest.raises(TypeError, match="label must be a str, got int"):
        y.label = 3  # type: ignore[assignment]
    assert "label='x'" in repr(x) and "op='*'" in repr(Value(1.0) * 2)
