"""backward(): known answers, accumulation, depth, and graphs freed without the collector."""

from __future__ import annotations

import gc
import sys

from hypothesis import given
from hypothesis import strategies as st

from autograd import Value, grad, topological_order


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


def test_many_parent_nodes_keep_order_and_duplicates():
    from autograd import dot, total

    a, b = Value(2.0), Value(3.0)
    s = total([a, b, a, 1.5])
    assert s.parents[:3] == (a, b, a) and s.parents[3].data == 1.5
    assert s.local_grads == (1.0, 1.0, 1.0, 1.0)
    d = dot([a, b, a], [b, a, a])
    assert d.parents == (a, b, a, b, a, a) and d.local_grads == (3.0, 2.0, 2.0, 2.0, 3.0, 2.0)
    d.backward()
    assert (a.grad, b.grad) == (2 * 3.0 + 2 * 2.0, 2 * 2.0)  # d = 2ab + a**2


programs = st.lists(
    st.tuples(st.integers(0, 3), st.lists(st.integers(0, 10_000), min_size=1, max_size=5)),
    min_size=1,
    max_size=60,
)


@given(programs)
def test_topological_order_on_graphs_of_every_arity(program):
    from autograd import total

    nodes = [Value(float(i)) for i in range(3)]
    for kind, picks in program:
        operands = [nodes[p % len(nodes)] for p in picks]
        if kind == 0:
            nodes.append(operands[0].tanh())
        elif kind == 1:
            nodes.append(operands[0] * operands[-1])
        else:
            nodes.append(total(operands))
    root = nodes[-1]
    order = topological_order(root)
    position = {node: i for i, node in enumerate(order)}
    assert len(position) == len(order) and order[-1] is root
    for node in order:
        for parent in node.parents:
            assert position[parent] < position[node]
    # every node reached by walking parents is in the order, and nothing else
    reached, stack = {root}, [root]
    while stack:
        for parent in stack.pop().parents:
            if parent not in reached:
                reached.add(parent)
                stack.append(parent)
    assert reached == set(order)
    # backward agrees with grad() on every leaf
    leaves = [n for n in order if not n.parents]
    expected = grad(root, leaves)
    for leaf in leaves:
        leaf.grad = 0.0
    root.backward()
    assert tuple(leaf.grad for leaf in leaves) == expected
