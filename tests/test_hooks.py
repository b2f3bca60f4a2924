"""Value.register_hook: when hooks run, what they may return, removal, and their cost."""

from __future__ import annotations

import gc
import importlib

import pytest

from autograd import Value, grad
from autograd import total as autograd_total
from autograd import value as value_module


@pytest.fixture(autouse=True)
def no_hooks_left_behind():
    yield
    leftover = dict(value_module.hooks)
    value_module.hooks.clear()
    assert not leftover, "a test left a hook registered"


def clip(limit):
    return lambda g: max(-limit, min(limit, g))


def test_a_hook_sees_the_gradient_and_none_keeps_it():
    x = Value(3.0)
    y = x * x
    seen: list[float] = []
    handle = y.register_hook(seen.append)  # list.append returns None
    (y * 5).backward()
    assert seen == [5.0]
    assert y.grad == 5.0
    assert x.grad == 30.0
    handle.remove()


def test_gradient_clipping_with_a_hook_on_each_parameter():
    w = [Value(2.0), Value(-3.0)]
    handles = [p.register_hook(clip(1.0)) for p in w]
    loss = (w[0] * 10.0 + w[1] * -0.5) ** 2  # d/dw0 = 2 * 21.5 * 10, d/dw1 = 2 * 21.5 * -0.5
    loss.backward()
    assert [p.grad for p in w] == [1.0, -1.0]
    for h in handles:
        h.remove()
    loss.backward()  # no hooks now: the unclipped gradients are added
    assert [p.grad for p in w] == [1.0 + 430.0, -1.0 - 21.5]


def test_a_returned_number_replaces_the_gradient_its_parents_receive():
    x = Value(3.0)
    y = x * x
    handle = y.register_hook(lambda g: 0.5)
    (y * 5).backward()
    assert y.grad == 0.5
    assert x.grad == 0.5 * 6.0
    handle.remove()


def test_a_hook_runs_once_its_node_has_every_childs_share():
    x = Value(2.0)
    y = x * 3.0
    a = y * 4.0  # y has two children: a and b
    b = y * 5.0
    seen = {}

    def record(name, g):
        seen[name] = g  # returns None: the gradient is kept

    ha = a.register_hook(lambda g: record("a", g))
    hy = y.register_hook(lambda g: record("y", (g, a.grad, b.grad, x.grad)))
    (a + b).backward()
    # y's hook saw both children's shares (4 + 5) and ran before x got anything
    assert seen == {"a": 1.0, "y": (9.0, 1.0, 1.0, 0.0)}
    assert list(seen) == ["a", "y"]
    ha.remove()
    hy.remove()


def test_hooks_on_one_node_chain_in_the_order_registered():
    x = Value(1.0)
    y = x * 1.0
    h1 = y.register_hook(lambda g: g + 1.0)
    h2 = y.register_hook(lambda g: g * 10.0)
    y.backward()
    assert y.grad == 20.0
    assert x.grad == 20.0
    h1.remove()
    h2.remove()


def test_a_leaf_hook_sees_this_calls_gradient_before_accumulation():
    x = Value(3.0)
    seen: list[float] = []
    handle = x.register_hook(seen.append)
    y = x * 2.0
    y.backward()
    y.backward()
    assert seen == [2.0, 2.0]
    assert x.grad == 4.0
    handle.remove()


def test_the_roots_hook_sees_the_seed():
    x = Value(3.0)
    y = x * 2.0
    seen: list[float] = []
    handle = y.register_hook(seen.append)
    y.backward(gradient=7.0)
    assert seen == [7.0]
    assert x.grad == 14.0
    handle.remove()


def test_remove_unregisters_and_twice_is_harmless():
    x = Value(3.0)
    y = x * x
    calls: list[object] = []
    handle = y.register_hook(calls.append)
    handle.remove()
    handle.remove()
    y.backward()
    assert calls == []
    assert value_module.hooks == {}


def test_removing_one_of_two_hooks_keeps_the_other():
    x = Value(3.0)
    y = x * 1.0
    calls: list[object] = []
    h1 = y.register_hook(lambda g: calls.append("first"))
    h2 = y.register_hook(lambda g: calls.append("second"))
    h1.remove()
    y.backward()
    assert calls == ["second"]
    h2.remove()


def test_a_handle_is_a_context_manager():
    x = Value(3.0)
    y = x * 1.0
    with y.register_hook(lambda g: 0.0):
        y.backward()
        assert x.grad == 0.0
    assert value_module.hooks == {}
    y.backward()
    assert x.grad == 1.0


def test_a_hook_can_remove_itself_while_running():
    x = Value(3.0)
    y = x * 1.0
    calls: list[object] = []

    def once(g):
        calls.append(g)
        handle.remove()

    handle = y.register_hook(once)
    y.backward()
    y.backward()
    assert calls == [1.0]


def test_a_hook_keeps_its_node_alive_until_removed():
    # Value has no __weakref__ slot (8 bytes a node): the hooks dict holds the node itself
    x = Value(3.0)
    y = x * x
    handle = y.register_hook(lambda g: None)
    del y
    gc.collect()
    (alive,) = value_module.hooks
    assert alive.data == 9.0
    assert alive.parents == (x, x)
    del alive
    handle.remove()
    assert value_module.hooks == {}


def test_grad_runs_hooks_and_reports_the_replaced_gradient():
    x = Value(3.0)
    y = x * x
    hx = x.register_hook(lambda g: g + 100.0)
    hy = y.register_hook(clip(1.0))
    assert grad(y * 5, [x, y]) == (1.0 * 6.0 + 100.0, 1.0)
    assert x.grad == 0.0  # grad() leaves .grad alone
    hx.remove()
    hy.remove()
    assert grad(y * 5, [x, y]) == (30.0, 5.0)


def test_with_create_graph_a_hook_gets_and_may_return_a_value():
    x = Value(3.0)
    y = x * x
    got: list[Value] = []

    def double(g):
        got.append(g)
        return g * 2.0

    handle = y.register_hook(double)
    (dx,) = grad(y * x, [x], create_graph=True)  # y*x = x**3; y's gradient is x
    assert all(type(g) is Value for g in got)
    assert [g.data for g in got] == [3.0]
    assert dx.data == 2.0 * 3.0 * 6.0 + 9.0  # 2x * (2 * x) + y
    handle.remove()
    (ddx,) = grad(dx, [x])  # the hook's doubling is part of dx's graph: d/dx (4x**2 + x**2)
    assert ddx == 10.0 * 3.0


def test_with_create_graph_a_float_gradient_reaches_the_hook_as_a_value():
    x = Value(3.0)
    got: list[Value] = []
    handle = x.register_hook(got.append)
    grad(x * 2.0, [x], create_graph=True)
    assert [type(g) for g in got] == [Value]
    assert got[0].data == 2.0
    handle.remove()


def test_a_hook_returning_something_else_is_refused_with_what_to_return():
    x = Value(3.0)
    y = x * 1.0
    handle = y.register_hook(lambda g: "big")
    with pytest.raises(TypeError, match="must return a number or None, got str"):
        y.backward()
    handle.remove()
    handle = y.register_hook(lambda g: Value(g))
    with pytest.raises(TypeError, match=r"got Value.*\.item\(\)"):
        y.backward()
    handle.remove()


def test_register_hook_refuses_a_non_callable():
    with pytest.raises(TypeError, match="hook must be callable, got int"):
        Value(1.0).register_hook(3)  # type: ignore[arg-type]  # on purpose


def test_hooks_and_relus_masked_side_pass_exactly_zero_for_nan():
    x = Value(-1.0)
    y = x.relu()
    handle = y.register_hook(lambda g: float("nan"))
    y.backward()
    assert x.grad == 0.0  # relu'(-1) = 0 passes 0, not 0 * nan
    handle.remove()


def test_without_hooks_the_dict_is_empty_so_backward_takes_its_plain_sweep(monkeypatch):
    backward_module = importlib.import_module("autograd.backward")  # (autograd.backward is
    # the function)

    def fail(order):
        raise AssertionError("the hooked sweep ran without hooks")

    monkeypatch.setattr(backward_module, "_hooked_sweep", fail)
    x = Value(2.0)
    (x * x).backward()
    assert x.grad == 4.0


def test_a_hook_elsewhere_changes_no_gradient_of_this_graph():
    def graph():
        xs = [Value(0.3 * i - 1.0) for i in range(6)]
        y = xs[0]
        for i, x in enumerate(xs[1:]):
            y = (y * x + x.relu()).tanh() if i % 2 else y + x * x - xs[0]
        return xs, y + autograd_total(xs)

    plain_xs, plain_y = graph()
    plain_y.backward()
    handle = Value(0.0).register_hook(lambda g: None)  # the hooked sweep now runs
    xs, y = graph()
    y.backward()
    handle.remove()
    assert [x.grad for x in xs] == [x.grad for x in plain_xs]
    assert any(x.grad for x in xs)


def test_the_hooked_sweep_passes_inf_through_relu_as_the_plain_one_does():
    results = []
    for hooked in (False, True):
        x = Value(-1.0)
        w = Value(2.0)
        y = (x.relu() + w) * 1e308 * 10.0  # overflows: the gradient reaching relu is inf
        handle = Value(0.0).register_hook(lambda g: None) if hooked else None
        y.backward()
        if handle is not None:
            handle.remove()
        results.append((x.grad, w.grad))
    assert results[0] == results[1] == (0.0, float("inf"))
