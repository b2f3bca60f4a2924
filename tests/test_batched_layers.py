"""Tests for autograd.tape.layers: neuron layers fused into matrix products in batched
replay give the unfused replay's numbers to rounding (1e-12 relative), on the path
they claim to take."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from typing import Any

import pytest

import nn
from autograd import Value, dot, grad, primitive, trace
from autograd.tape import batched_source, layers
from autograd.tape.batched import Plan

np = pytest.importorskip("numpy")

REL = 1e-12


Net = tuple[Callable[..., Value], list[Value]]  # the function of the inputs, its parameters


def chain_mlp(sizes: list[int], activation: str, seed: int) -> Net:
    """micrograd's MLP: each neuron the chain b + w0 * x0 + w1 * x1 + ..."""
    rng = random.Random(seed)
    act = nn.ACTIVATIONS[activation]
    def neuron(n_in: int) -> tuple[list[Value], Value]:
        return [Value(rng.uniform(-1, 1)) for _ in range(n_in)], Value(rng.uniform(-1, 1))

    net = [[neuron(a) for _ in range(b)] for a, b in itertools.pairwise(sizes)]

    def f(*x: Value) -> Value:
        h: list[Value] = list(x)
        for depth, layer in enumerate(net):
            h = [sum((wi * xi for wi, xi in zip(w, h, strict=True)), b) for w, b in layer]
            if depth < len(net) - 1:
                h = [act(z) for z in h]
        return sum(h, Value(0.0)) if len(h) > 1 else h[0]

    return f, [p for layer in net for w, b in layer for p in (*w, b)]


def dot_mlp(sizes: list[int], activation: str, seed: int) -> Net:
    """nn.MLP: each neuron dot(w, x) + b; several outputs summed."""
    model = nn.MLP(sizes[0], sizes[1:], activation=activation, seed=seed)

    def f(*x: Value) -> Value:
        out = model(list(x))
        return sum(out, Value(0.0)) if isinstance(out, list) else out

    return f, model.parameters()


def batch(n_in: int, size: int, seed: int) -> list[Any]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2.0, 2.0, size) for _ in range(n_in)]


def both(f: Callable[..., Value], params: list[Value], xs: list[Any], grad_: bool = True):
    """(fused plan, its result, the unfused plan's result) for ``f`` on the batch ``xs``."""
    tape = trace(f, *[float(x[0]) for x in xs], params=params)
    fused, plain = Plan(tape.program), Plan(tape.program, fuse=False)
    data = [p.data for p in params]
    with np.errstate(all="ignore"):
        return fused, fused.run(xs, data, grad_), plain.run(xs, data, grad_)


def assert_close(a: Any, b: Any, rel: float = REL) -> None:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    near = np.abs(a - b) <= rel * np.maximum(np.abs(a), np.abs(b))
    assert (same | near).all(), (a[~(same | near)], b[~(same | near)])


def assert_same_result(fused_result: Any, plain_result: Any) -> None:
    (outputs, grads), (plain_outputs, plain_grads) = fused_result, plain_result
    for a, b in zip(outputs, plain_outputs, strict=True):
        assert_close(a, b)
    assert len(grads) == len(plain_grads)
    for a, b in zip(grads, plain_grads, strict=True):
        assert_close(a, b)


SHAPES = [[2, 16, 16, 1], [3, 8, 8, 2], [1, 20, 1], [4, 16], [5, 4, 16, 1]]
ACTIVATIONS = ["relu", "tanh", "sigmoid", "leaky_relu", "linear"]


@pytest.mark.parametrize("build", [chain_mlp, dot_mlp])
@pytest.mark.parametrize("sizes", SHAPES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_fused_mlps_equal_the_unfused_replay(build, sizes, activation):
    f, params = build(sizes, activation, seed=len(sizes) + sum(sizes))
    xs = batch(sizes[0], 37, seed=sum(sizes))
    plan, fused, plain = both(f, params, xs)
    # Every layer of at least MIN_TERMS weights is one matrix product.
    expected = sum(a * b >= layers.MIN_TERMS for a, b in itertools.pairwise(sizes))
    assert plan.fused == expected > 0
    assert_same_result(fused, plain)


@pytest.mark.parametrize("build", [chain_mlp, dot_mlp])
def test_fused_forward_only_equals_unfused(build):
    f, params = build([3, 16, 16, 1], "tanh", seed=5)
    plan, fused, plain = both(f, params, batch(3, 11, seed=2), grad_=False)
    assert plan.fused == 3
    assert_close(fused[0], plain[0])


@pytest.mark.parametrize("build", [chain_mlp, dot_mlp])
def test_fused_gradients_equal_the_eager_engine(build):
    f, params = build([2, 16, 16, 1], "relu", seed=9)
    xs = batch(2, 5, seed=4)
    tape = trace(f, 0.0, 0.0, params=params)
    values, grads = tape.batch_value_and_grad(*xs)
    assert tape._batch_plan().fused == 3
    per_example = []
    for k in range(5):
        leaves = [Value(float(x[k])) for x in xs]
        out = f(*leaves)
        per_example.append((out.data, grad(out, [*leaves, *params])))
        assert math.isclose(values[k], out.data, rel_tol=REL)
        for i in range(2):
            assert math.isclose(grads[i][k], per_example[k][1][i], rel_tol=REL, abs_tol=1e-300)
    for j in range(len(params)):
        terms = [g[2 + j] for _, g in per_example]
        # Summed over the batch in another order: to rounding of the terms' magnitudes.
        assert abs(grads[2 + j] - math.fsum(terms)) <= REL * sum(map(abs, terms)) + 1e-300


def test_small_affine_pieces_stay_unfused_and_exact():
    w, b = Value(0.5), Value(-0.25)
    f = lambda x, y: (w * x + b - y).relu() ** 2  # noqa: E731
    plan, fused, plain = both(f, [w, b], batch(2, 6, seed=1))
    assert plan.fused == 0
    assert [a.tolist() for a in fused[0]] == [a.tolist() for a in plain[0]]
    assert [np.asarray(g).tolist() for g in fused[1]] == [np.asarray(g).tolist() for g in plain[1]]


def test_nothing_fusible_is_the_unfused_plan():
    p = Value(1.5)
    f = lambda x, y: (x * y + p).tanh() * x + (y * y).relu()  # noqa: E731
    plan, fused, plain = both(f, [p], batch(2, 8, seed=3))
    assert plan.fused == 0
    assert len(plan.groups) == len(Plan(plan.program, fuse=False).groups)
    assert [a.tolist() for a in fused[0]] == [a.tolist() for a in plain[0]]


def neurons(n_out: int, n_in: int, seed: int) -> list[list[Value]]:
    rng = random.Random(seed)
    return [[Value(rng.uniform(-1, 1)) for _ in range(n_in)] for _ in range(n_out)]


def test_mixed_graph_fuses_only_the_layer():
    W = neurons(8, 3, seed=1)
    params = [p for row in W for p in row]
    q = Value(0.7)
    params.append(q)

    def f(a: Value, b: Value, c: Value) -> Value:
        x = [a * q, (b + c).tanh(), c.relu()]  # not affine in the inputs: plain groups
        h = [dot(w, x).sigmoid() for w in W]  # a layer of 24 weights, no bias
        return (sum(h, Value(0.0)) * a).log() + h[0] * h[1]  # a log with its domain check

    xs = [np.abs(x) + 0.1 for x in batch(3, 9, seed=5)]
    plan, fused, plain = both(f, params, xs)
    assert plan.fused == 1
    assert_same_result(fused, plain)


def test_a_partial_sum_used_elsewhere_is_not_absorbed():
    W = neurons(16, 2, seed=2)
    params = [p for row in W for p in row]

    def f(a: Value, b: Value) -> Value:
        firsts = [w[0] * a for w in W]  # also used below: the chains cannot absorb them
        z = [p + w[1] * b for p, w in zip(firsts, W, strict=True)]
        return sum((zi.relu() for zi in z), Value(0.0)) + sum(firsts, Value(0.0)) * 0.5

    plan, fused, plain = both(f, params, batch(2, 7, seed=6))
    # What is left are the two columns of products (16 weights each on one input); each
    # z adds two rows, so no chain is read through them.
    found = layers.find_layers(plan.program, [True] * len(plan.program.ops))
    assert plan.fused == 2 and [len(layer.inputs) for layer in found] == [1, 1]
    assert all(layer.interior == () for layer in found)
    assert_same_result(fused, plain)


def test_tied_and_constant_weights_and_constant_biases():
    shared = Value(0.3)
    W = neurons(16, 2, seed=3)
    for w in W[::2]:
        w[0] = shared  # one parameter in 8 places: its gradient adds them all
    params = [shared, *{id(p): p for row in W for p in row if p is not shared}.values()]

    def f(a: Value, b: Value) -> Value:
        z = [wi[0] * a + wi[1] * b + 0.25 for wi in W]  # constant bias
        z += [dot([0.5, -1.5, w[1]], [a, b, a]) for w in W]  # constant weights too
        return sum((zi.tanh() for zi in z), Value(0.0))

    plan, fused, plain = both(f, params, batch(2, 10, seed=7))
    assert plan.fused == 2
    assert_same_result(fused, plain)


def test_nan_and_inf_pass_through_a_fused_layer_as_unfused():
    f, params = chain_mlp([2, 16, 16, 1], "relu", seed=4)
    xs = batch(2, 6, seed=8)
    xs[0][1], xs[1][2], xs[0][3], xs[1][3] = math.nan, math.inf, -math.inf, 1e308
    plan, fused, plain = both(f, params, xs)
    assert plan.fused == 3
    assert_same_result(fused, plain)


def test_relu_after_a_fused_layer_passes_exactly_zero():
    W = neurons(16, 2, seed=5)
    params = [p for row in W for p in row]
    f = lambda a, b: sum((dot(w, [a, b]).relu() for w in W), Value(0.0))  # noqa: E731
    xs = [np.zeros(3), np.zeros(3)]
    plan, fused, _ = both(f, params, xs)
    assert plan.fused == 1
    for g in fused[1][2:]:  # every relu sees 0: its gradient is 0.0, not -0.0
        assert math.copysign(1.0, g) == 1.0 and g == 0.0


def test_domain_error_after_a_fused_layer_names_the_batch_index():
    f, params = dot_mlp([2, 16, 1], "relu", seed=6)
    xs = batch(2, 50, seed=9)
    net = trace(f, 0.0, 0.0, params=params)
    outputs = Plan(net.program, fuse=False).run(xs, [p.data for p in params], False)[0]
    shift = -float(np.median(outputs))  # log is defined for half of the examples
    good, bad = int(np.argmax(outputs + shift > 0)), int(np.argmax(outputs + shift <= 0))
    tape = trace(lambda a, b: (f(a, b) + shift).log(), xs[0][good], xs[1][good], params=params)
    with pytest.raises(ValueError, match=f"at batch index {bad}\\b"):
        tape.batch(*xs)
    assert tape._batch_plan().fused == 2


def test_a_user_primitive_after_a_fused_layer_runs_per_example():
    cube = primitive("cube_act", lambda x: x * x * x, lambda out, x: (3 * x * x,))
    W = neurons(16, 2, seed=7)
    params = [p for row in W for p in row]
    f = lambda a, b: sum((cube(dot(w, [a, b])) for w in W), Value(0.0))  # noqa: E731
    plan, fused, plain = both(f, params, batch(2, 4, seed=10))
    assert plan.fused == 1
    assert_same_result(fused, plain)


def test_layers_only_in_aux_outputs_run_forward_only():
    loss_w, aux_w = neurons(16, 2, seed=8), neurons(16, 2, seed=9)
    params = [p for row in (*loss_w, *aux_w) for p in row]

    def f(a: Value, b: Value) -> tuple[Value, list[Value]]:
        loss = sum((dot(w, [a, b]).tanh() for w in loss_w), Value(0.0))
        return loss, [dot(w, [a, b]) for w in aux_w]  # no gradient flows through these

    tape = trace(f, 0.0, 0.0, params=params, has_aux=True)
    xs = batch(2, 5, seed=11)
    (values, aux), grads = tape.batch_value_and_grad(*xs)
    assert tape._batch_plan().fused == 2
    plain = Plan(tape.program, fuse=False).run(xs, [p.data for p in params], True)
    assert_close(values, plain[0][0])
    for a, b in zip(aux, plain[0][1:], strict=True):
        assert_close(a, b)
    for a, b in zip(grads, plain[1], strict=True):
        assert_close(a, b)
    assert all(g == 0.0 for g in grads[2 + 32 :])  # the aux layer's weights


def test_find_layers_reads_both_neuron_spellings():
    W = neurons(4, 4, seed=1)
    b = [Value(0.1 * j) for j in range(4)]

    def chain(*x: Value) -> list[Value]:
        return [sum((wi * xi for wi, xi in zip(w, x, strict=True)), bj) for w, bj in zip(W, b)]

    def dotted(*x: Value) -> list[Value]:
        return [dot(w, list(x)) + bj for w, bj in zip(W, b, strict=True)]

    params = [*(p for row in W for p in row), *b]
    for f in (chain, dotted):
        program = trace(f, 0.0, 0.0, 0.0, 0.0, params=params).program
        (layer,) = layers.find_layers(program, [True] * len(program.ops))
        assert layer.inputs == (0, 1, 2, 3) and len(layer.roots) == 4
        assert layer.weights[1] == tuple(4 + 4 * 1 + k for k in range(4))  # W[1]'s slots
        assert layer.biases == tuple(4 + 16 + j for j in range(4))


def test_layer_module_exports():
    assert set(layers.__all__) == {"MIN_TERMS", "Fused", "Layer", "find_layers"}


def test_weights_out_of_order_are_gathered_not_viewed():
    f, params = dot_mlp([3, 16, 1], "tanh", seed=12)
    shuffled = params[:]
    random.Random(0).shuffle(shuffled)  # S no longer holds each neuron's weights in a row
    plan, fused, plain = both(f, shuffled, batch(3, 8, seed=12))
    found = [g for g in plan.groups if isinstance(g, layers.Fused)]
    assert len(found) == 2 and all(g.weights_view is None for g in found)
    assert all(g.exclusive is False for g in found)
    assert_same_result(fused, plain)


def test_a_fused_plan_replays_matrix_products():
    f, params = dot_mlp([2, 16, 16, 1], "relu", seed=13)
    plan, _, _ = both(f, params, batch(2, 3, seed=13))
    text = batched_source.source(plan)
    # Forward W @ X per layer, then per layer W.T @ G and G @ X.T.
    assert text.count("matmul(") == 3 * 3
    assert all(g.exclusive for g in plan.groups if isinstance(g, layers.Fused))
    unfused = batched_source.source(Plan(plan.program, fuse=False))
    assert "matmul(" not in unfused


def test_weights_also_used_outside_their_layer_add_up_both_gradients():
    f, params = dot_mlp([2, 16, 16, 1], "relu", seed=14)
    with_l2 = lambda a, b: f(a, b) + 1e-2 * dot(params, params)  # noqa: E731 (micrograd's L2)
    plan, fused, plain = both(with_l2, params, batch(2, 6, seed=14))
    assert plan.fused == 3
    assert not any(g.exclusive for g in plan.groups if isinstance(g, layers.Fused))
    assert_same_result(fused, plain)


def test_relu_passes_exactly_zero_for_an_infinite_gradient_as_eager_does():
    w = Value(math.inf)
    tape = trace(lambda x: w * x.relu(), 1.0, params=[w])
    xs = np.array([-1.0, 0.0, -0.0, 2.0])
    _, (dx, _) = tape.batch_value_and_grad(xs)
    for k, x in enumerate(xs.tolist()):
        leaf = Value(x)
        (expected,) = grad(w * leaf.relu(), [leaf])
        assert dx[k] == expected and math.copysign(1.0, dx[k]) == math.copysign(1.0, expected)
    assert dx.tolist() == [0.0, 0.0, 0.0, math.inf]  # the inactive side: 0.0, not nan
