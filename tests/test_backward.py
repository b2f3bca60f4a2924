"""backward(): known answers, accumulation, depth, and graphs freed without the collector."""

from __future__ import annotations

import gc
import sys

from autograd import Value, topological_order


def micrograd_readme_expression():
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return a, b, g


def test_micrograd_readme_example():
    a, b, g = micrograd_readme_expression()
    g.backward()
    assert round(g.data, 4) == 24.7041
    assert round(a.grad, 4) == 138.8338
    assert round(b.grad, 4) == 645.5773


def test_shared_operand_counts_every_edge():
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_two_backward_calls_double_leaf_gradients_only():
    a, b, g = micrograd_readme_expression()
    g.backward()
    once = (a.grad, b.grad)
    interior = g.parents[0].grad
    g.backward()
    assert (a.grad, b.grad) == (2 * once[0], 2 * once[1])
    assert g.parents[0].grad == interior  # interior nodes hold this call's gradient
    assert g.grad == 1.0


def test_backward_of_a_leaf():
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0


def test_interior_gradient_is_d_output_d_node():
    x = Value(2.0)
    y = x * x  # interior
    z = y * 3.0
    z.backward()
    assert y.grad == 3.0 and x.grad == 12.0


def test_topological_order_puts_parents_first_and_root_last():
    a, b, g = micrograd_readme_expression()
    order = topological_order(g)
    position = {node: i for i, node in enumerate(order)}
    assert order[-1] is g and len(position) == len(order)  # each node once
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]
    assert a in position and b in position


def test_deep_chain_at_default_recursion_limit():
    assert sys.getrecursionlimit() <= 10_000
    x = Value(1.0)
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_graph_is_freed_by_reference_counting_alone():
    gc.collect()
    gc.disable()
    try:
        x = Value(1.5)
        y = x
        for _ in range(1000):
            y = (y * x).tanh() + y.exp() * 0.0
        y.backward()
        del y
        # Nothing left for the cyclic collector: the graph held no reference cycles.
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_backward_restores_the_collector_state():
    y = Value(1.0) * 2
    gc.disable()
    try:
        y.backward()
        assert not gc.isenabled()
    finally:
        gc.enable()
    y.backward()
    assert gc.isenabled()
