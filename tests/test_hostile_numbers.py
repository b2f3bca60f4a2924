"""Issue 13: numbers at the edges of float: huge ints become inf, inf - inf sums to nan."""

from __future__ import annotations

import math

import pytest

from autograd import Value, dot, total, trace
from autograd._numbers import to_float

HUGE = 10**400  # an int no float can hold


def test_to_float_overflows_to_inf_by_sign():
    assert to_float(HUGE) == math.inf and to_float(-HUGE) == -math.inf
    assert to_float(3) == 3.0 and type(to_float(3)) is float


@pytest.mark.parametrize("sign", [1, -1])
def test_huge_ints_become_inf_as_the_readme_promises(sign):
    big = sign * HUGE
    assert Value(big).data == sign * math.inf
    assert (Value(1.0) + big).data == sign * math.inf
    assert (big - Value(1.0)).data == sign * math.inf
    assert total([Value(1.0), big]).data == sign * math.inf
    tape = trace(lambda x: x * 2, 1.0)
    assert tape(big) == sign * math.inf


def test_backward_seed_may_be_a_huge_int():
    x = Value(2.0)
    (x * 3).backward(HUGE)
    assert x.grad == math.inf


def test_total_of_opposite_infinities_is_nan_as_with_plus():
    a, b = Value(math.inf), Value(-math.inf)
    assert math.isnan((a + b).data)
    s = total([a, b])
    assert math.isnan(s.data)
    s.backward()
    assert a.grad == 1.0 and b.grad == 1.0


def test_total_of_huge_finite_terms_overflows_to_inf_as_with_plus():
    big = [Value(1.7e308), Value(1.7e308)]
    assert (big[0] + big[1]).data == math.inf
    assert total(big).data == math.inf
    assert total([Value(-1.7e308)] * 2).data == -math.inf


def test_dot_with_opposite_infinite_products_is_nan():
    y = dot([Value(math.inf), Value(1.0)], [Value(1.0), Value(-math.inf)])
    assert math.isnan(y.data)
    assert dot([Value(1e308), Value(1e308)], [Value(10.0), Value(10.0)]).data == math.inf


def test_a_taped_sum_of_inf_and_minus_inf_is_nan_as_eager():
    # The rule's forward itself gives what + gives where fsum refuses, so float replay
    # (which calls the same function) agrees with the eager engine.
    tape = trace(lambda x, y: total([x, y]) + dot([x], [y]), 1.0, 2.0)
    assert math.isnan(tape(math.inf, -math.inf))
    assert math.isnan(total([Value(math.inf), Value(-math.inf)]).data)


def test_a_400_digit_number_in_a_typed_expression_is_inf():
    from autograd import parse_expression

    assert parse_expression("x * " + "9" * 400, {"x": 2.0}).output.data == math.inf
    assert parse_expression("x + 1", {"x": 10**400}).output.data == math.inf


def test_a_huge_int_exponent_or_slope_is_inf_not_overflow_error():
    assert (Value(2.0) ** (10**400)).data == math.inf
    assert (Value(0.5) ** (10**400)).data == 0.0
    assert Value(-2.0).leaky_relu(10**400).data == -math.inf
