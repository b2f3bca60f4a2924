"""total() and dot(): many-input nodes."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, dot, grad, total
from autograd.testing import assert_gradients_match, reals

vectors = st.lists(reals(-10, 10), min_size=1, max_size=6)


@given(vectors)
def test_total_matches_an_exact_sum_and_has_unit_slopes(xs):
    vs = [Value(x) for x in xs]
    s = total(vs)
    assert s.data == math.fsum(xs)
    assert grad(s, vs) == (1.0,) * len(vs) or len(set(map(id, vs))) < len(vs)
    assert s.op == "sum" and s.parents == tuple(vs)


pair_lists = st.lists(st.tuples(reals(-10, 10), reals(-10, 10)), min_size=1, max_size=6)


@given(pair_lists)
def test_dot_against_central_differences(pairs):
    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    n = len(a)
    vs = [Value(x) for x in a + b]
    assert grad(dot(vs[:n], vs[n:]), vs) == tuple(b + a)

    def f(*values):
        return dot(values[:n], values[n:])

    scale = max(1, abs(f(*vs).data))
    assert_gradients_match(f, *a, *b, rtol=1e-5, atol=1e-6 * scale)  # second order too


def test_dot_of_a_vector_with_itself_counts_both_edges():
    w = [Value(3.0), Value(-2.0)]
    s = dot(w, w)
    s.backward()
    assert s.data == 13.0 and [v.grad for v in w] == [6.0, -4.0]


def test_higher_order_through_dot_and_total():
    x = Value(2.0)
    y = total([dot([x, x], [x, 1.0]), x])  # x**2 + x + x
    (d1,) = grad(y, [x], create_graph=True)
    assert d1.data == 6.0 and grad(d1, [x]) == (2.0,)


def test_numbers_are_lifted_and_empty_inputs_give_zero():
    x = Value(2.0)
    assert dot([x, 3], [4, x]).data == 14.0
    assert total([x, 1, 2.5]).data == 5.5
    assert total([]).data == 0.0 and dot([], []).data == 0.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="a has 2 entries but b has 1"):
        dot([Value(1.0), Value(2.0)], [Value(1.0)])
    with pytest.raises(TypeError, match=r"total: values\[1\] must be a Value or a number, got str"):
        total([Value(1.0), "x"])  # type: ignore[list-item]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match=r"dot: b\[0\]"):
        dot([1.0], [None])  # type: ignore[list-item]  # wrong on purpose: checks the error
