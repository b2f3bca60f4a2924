"""The Value node: construction, operators, conventions, stability and error messages."""

from __future__ import annotations

import math
import sys

import pytest

from autograd import Value
from autograd import rules as r


def test_construction_stores_floats():
    v = Value(3, label="x")
    assert v.data == 3.0 and type(v.data) is float
    assert v.grad == 0.0 and v.label == "x"
    assert v.parents == () and v.local_grads == () and v.op == "" and v.rule is None


@pytest.mark.parametrize("bad", ["1.0", None, [1.0], 1j, True])
def test_construction_rejects_non_numbers_naming_the_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


def test_construction_from_a_value_suggests_detach():
    with pytest.raises(TypeError, match="detach"):
        Value(Value(1.0))  # type: ignore[arg-type]  # wrong on purpose: checks the error


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label"):
        Value(1.0, label=3)  # type: ignore[arg-type]  # wrong on purpose: checks the error


def test_a_node_records_parents_in_order_with_duplicates():
    a, b = Value(2.0), Value(5.0)
    c = a - b
    assert c.parents == (a, b) and c.op == "-" and c.local_grads == (1.0, -1.0)
    d = a + a
    assert d.parents == (a, a)  # two edges, not one
    assert (b * a).parents == (b, a) and (b * a).local_grads == (2.0, 5.0)


def test_numbers_on_either_side():
    x = Value(2.0)
    assert (x + 1).data == 3.0 and (1 + x).data == 3.0
    assert (x - 1).data == 1.0 and (1 - x).data == -1.0
    assert (x * 3).data == 6.0 and (3 * x).data == 6.0
    assert (x / 4).data == 0.5 and (1 / x).data == 0.5
    assert (x**3).data == 8.0 and (2**x).data == 4.0
    assert (x ** Value(3.0)).data == 8.0
    assert (-x).data == -2.0 and abs(Value(-2.5)).data == 2.5
    # a number operand is a constant leaf, first where it was written first
    c = 1 - x
    assert c.parents[1] is x and c.parents[0].data == 1.0 and c.parents[0].parents == ()


def test_unsupported_operand_types_raise_type_error():
    with pytest.raises(TypeError):
        Value(1.0) + "a"  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError):
        [1] * Value(2.0)  # type: ignore[operator]  # wrong on purpose: checks the error


def test_methods_compute_the_right_values():
    x = Value(0.5)
    assert x.exp().data == math.exp(0.5)
    assert x.log().data == math.log(0.5)
    assert x.sqrt().data == math.sqrt(0.5)
    assert x.tanh().data == math.tanh(0.5)
    assert x.sigmoid().data == 1 / (1 + math.exp(-0.5))
    assert x.relu().data == 0.5 and Value(-1.0).relu().data == 0.0
    assert Value(-2.0).leaky_relu().data == -0.02
    assert Value(-2.0).leaky_relu(0.5).data == -1.0
    assert x.softplus().data == pytest.approx(math.log1p(math.exp(0.5)), rel=1e-15)
    assert x.sin().data == math.sin(0.5) and x.cos().data == math.cos(0.5)


def test_float_comparisons_sorting_and_identity():
    a, b, c = Value(3.0), Value(1.0), Value(2.0)
    assert float(a) == 3.0
    assert b < c < a and a > 2 and a >= 3 and b <= 1.0
    assert max([a, b, c]) is a and sorted([a, b, c]) == [b, c, a]
    same = Value(3.0)
    assert a != same and a == a  # equality is identity: nodes are dict keys
    assert len({a, same}) == 2


def test_builtin_sum_works():
    xs = [Value(1.0), Value(2.0), Value(3.5)]
    s = sum(xs)
    assert isinstance(s, Value)  # not the int 0 that sum() returns for no terms
    s.backward()
    assert s.data == 6.5 and [x.grad for x in xs] == [1.0, 1.0, 1.0]


def test_repr_shows_data_grad_label_and_op():
    x = Value(2.0, label="x")
    assert repr(x) == "Value(data=2.0, grad=0.0, label='x')"
    assert repr(x * x) == "Value(data=4.0, grad=0.0, op='*')"


def test_detach_makes_a_leaf_with_the_same_data():
    x = Value(2.0, label="x")
    y = (x * x).detach()
    assert y.data == 4.0 and y.parents == () and y.op == ""


def test_slots_no_dict():
    assert not hasattr(Value(1.0), "__dict__")
    # eight slots: the object with its GC header, and no tuples hanging off it
    assert sys.getsizeof(Value(1.0)) <= 96


# --- numerical stability -------------------------------------------------------------------


@pytest.mark.parametrize("x", [1e300, -1e300, 1000.0, -1000.0, 710.0, -745.0, 0.0])
def test_saturating_functions_are_finite_everywhere(x):
    for f in (Value.tanh, Value.sigmoid, Value.softplus):
        v = Value(x)
        y = f(v)
        y.backward()
        assert math.isfinite(y.data) and math.isfinite(v.grad)


def test_saturating_functions_known_values():
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    assert Value(1000.0).softplus().data == 1000.0
    assert Value(-1000.0).softplus().data == 0.0
    assert Value(1e300).softplus().data == 1e300
    assert Value(1e300).tanh().data == 1.0


def test_overflow_gives_inf_not_an_exception():
    assert Value(1000.0).exp().data == math.inf
    assert (Value(1e200) ** 2).data == math.inf
    assert (Value(10.0) ** 400).data == math.inf
    assert (Value(-10.0) ** 401).data == -math.inf


def test_non_finite_data_propagates():
    nan, inf = math.nan, math.inf
    assert math.isnan((Value(nan) + 1).data)
    assert math.isnan(Value(nan).log().data)
    assert math.isnan(Value(nan).sqrt().data)
    assert math.isnan(Value(nan).relu().data)
    assert math.isnan(Value(inf).sin().data) and math.isnan(Value(-inf).cos().data)
    assert Value(inf).exp().data == inf and Value(-inf).exp().data == 0.0
    assert Value(inf).tanh().data == 1.0


# --- error messages ----------------------------------------------------------------------


@pytest.mark.parametrize("x", [0.0, -1.0])
def test_log_of_non_positive(x):
    with pytest.raises(ValueError, match=rf"log: got {x!r} \(label 'w'\); expected a positive"):
        Value(x, label="w").log()


def test_sqrt_of_negative():
    with pytest.raises(ValueError, match=r"sqrt: got -4.0; expected a number >= 0"):
        Value(-4.0).sqrt()


def test_negative_base_to_non_integer_power():
    with pytest.raises(ValueError, match=r"negative base -8.0 \(label 'b'\).*non-integer power"):
        Value(-8.0, label="b") ** (1 / 3)
    with pytest.raises(ValueError, match=r"non-integer power 0\.5"):
        Value(-8.0) ** Value(0.5)
    with pytest.raises(ValueError, match="negative base"):
        (-8) ** Value(0.5)


def test_zero_to_a_negative_power():
    with pytest.raises(ZeroDivisionError, match=r"0 cannot be raised to a negative power \(-1"):
        Value(0.0, label="z") ** -1
    with pytest.raises(ZeroDivisionError, match="label 'z'"):
        Value(0.0, label="z") ** Value(-2.0)


def test_division_by_zero_names_both_operands():
    with pytest.raises(ZeroDivisionError, match=r"division by zero: 1.0 \(label 'n'\) / 0.0"):
        Value(1.0, label="n") / 0
    with pytest.raises(ZeroDivisionError, match="division by zero"):
        1 / Value(0.0)


def test_leaky_relu_slope_must_be_a_number():
    with pytest.raises(TypeError, match="slope"):
        Value(1.0).leaky_relu("0.1")  # type: ignore[arg-type]  # wrong on purpose: checks the error


def test_rules_are_shared_not_per_node():
    a, b = Value(1.0), Value(2.0)
    assert (a * b).rule is r.MUL and (b * a).rule is r.MUL
    assert (a**2).rule is (b**2).rule
