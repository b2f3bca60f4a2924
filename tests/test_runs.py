"""autograd.tape.runs: dots over runs of parameters, and the sliced float source made from
them, which must give the very numbers of the one-name-per-operand source."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import autograd
from autograd import Value, dot, trace
from autograd import rules as r
from autograd.tape import codegen as cg
from autograd.tape.runs import MIN_OPERANDS, MIN_RUN, Run, find_runs


def program(ops, n_inputs=2, n_params=4, constants=(), outputs=None):
    first_op = n_inputs + n_params + len(constants)
    outputs = outputs or (first_op + len(ops) - 1,)
    return cg.Program(n_inputs, n_params, tuple(constants), tuple(ops), outputs)


def test_a_dot_of_consecutive_unshared_parameters_is_a_run_on_either_side():
    # slots: x0 x1 | p0 p1 p2 p3
    ops = [(r.DOT, (2, 3, 0, 1)), (r.DOT, (0, 1, 4, 5))]
    assert find_runs(program(ops), min_run=2, min_operands=0) == {
        0: Run(True, 0, 2, (0, 1)),
        1: Run(False, 2, 4, (0, 1)),
    }


def tangled(x: Value, y: Value, w: list[Value], tangle: bool) -> Value:
    """A chain ``b + w0 * x + w1 * o``, then ``* x``; with ``tangle``, ``o`` is computed
    from ``x * 3`` (an op the reverse sweep meets between the chain's two products)."""
    o = (x * 3.0 if tangle else y).tanh()
    return (w[2] + w[0] * x + w[1] * o) * x


def test_a_chain_is_not_fused_where_that_would_reorder_a_sum():
    for tangle in (False, True):
        w = [Value(0.5), Value(-2.0), Value(0.25)]
        tape = trace(lambda x, y, w=w, t=tangle: tangled(x, y, w, t), 1.0, 2.0, params=w)
        runs = find_runs(tape.program, min_run=1, min_operands=0)
        assert [run.base is not None for run in runs.values()] == ([] if tangle else [True])
        P = (0.5, -2.0, 0.25)
        sliced = compiled(tape, True, sliced=not tangle)(1.5, 0.5, P)
        assert bits(sliced) == bits(compiled(tape, True, sliced=False)(1.5, 0.5, P))


def test_no_run_when_parameters_are_shared_out_of_order_short_or_the_program_small():
    shared = [(r.DOT, (2, 3, 0, 1)), (r.MUL, (2, 6))]  # p0 read again
    assert find_runs(program(shared), min_run=2, min_operands=0) == {}
    assert find_runs(program([(r.DOT, (3, 2, 0, 1))]), min_run=2, min_operands=0) == {}
    assert find_runs(program([(r.DOT, (2, 3, 0, 1))]), min_run=3, min_operands=0) == {}
    assert find_runs(program([(r.DOT, (2, 3, 0, 1))]), min_run=2, min_operands=5) == {}
    assert find_runs(program([(r.MUL, (2, 0))]), min_run=1, min_operands=0) == {}


def compiled(tape, grad: bool, sliced: bool) -> Any:
    bounds = {"min_run": 1, "min_operands": 0} if sliced else {"min_run": 10**9}
    name = "value_and_grad" if grad else "forward"
    source, names = cg.generate(tape.program, grad, name, **bounds)
    assert ("P[" in source) == sliced
    return cg.compile_program(source, {**cg.float_namespace(), **names}, name)


def bits(result: Any) -> Any:
    """Floats as their bits (so 0.0 and -0.0 differ), in the same nesting."""
    if isinstance(result, (tuple, list)):
        return [bits(x) for x in result]
    return float(result).hex()


@st.composite
def traced(draw):
    """A small network of dots, traced with all its parameters, and inputs to replay at.

    Neurons are dots, or chains ``b + w0 * x0 + ...`` as micrograd writes them. In the
    shapes the slicing must get right: parameters on either side of the products,
    layers whose neurons share their operands, an operand twice or a constant operand
    (no accumulator then), an operand also read by another op (a skip connection), a
    weight read twice (no run), a head that also reads the last layer through a sum,
    and an aux output whose parameters do not reach the loss (their gradients are 0).
    """
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    n_inputs = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    flags = draw(st.lists(st.booleans(), min_size=7, max_size=7))
    right, twice, constant, skip, shared, aux, chains = flags

    def numbers(n: int) -> list[Value]:
        return [Value(rng.uniform(-1.5, 1.5)) for _ in range(n)]

    layers, n_in = [], n_inputs
    for width in widths:
        layers.append([numbers(n_in + twice + constant + 1) for _ in range(width)])
        n_in = width
    head, side = numbers(n_in), numbers(n_in)
    params = [w for layer in layers for ws in layer for w in ws] + head + side

    def neuron(ws: list[Value], operands: list[Value]) -> Value:
        *ws, b = ws
        if chains:  # micrograd's neuron: a `*` and a `+` per weight
            return sum((o * w if right else w * o for w, o in zip(ws, operands)), b)
        return (dot(operands, ws) if right else dot(ws, operands)) + b

    def f(*xs: Value) -> Any:
        h = list(xs)
        for layer in layers:
            operands = h + [h[0]] * twice + [Value(0.5)] * constant
            outs = [neuron(ws, operands) for ws in layer]
            h = [o.relu() if k % 2 else o.tanh() for k, o in enumerate(outs)]
        out = autograd.total(h) + dot(head, h)
        if skip:
            out = out + xs[0] * h[0]
        if shared:
            out = out * params[0]
        return (out, [dot(side, h)]) if aux else out

    tape = trace(f, *[rng.uniform(-2.0, 2.0) for _ in range(n_inputs)], params=params, has_aux=aux)
    return tape, [rng.uniform(-2.0, 2.0) for _ in range(n_inputs)]


@given(traced())
def test_sliced_source_gives_the_one_name_sources_numbers_bit_for_bit(case):
    tape, inputs = case
    P = tuple(p.data for p in tape.params)
    for grad in (False, True):
        one_name = compiled(tape, grad, sliced=False)(*inputs, P)
        assert bits(compiled(tape, grad, sliced=True)(*inputs, P)) == bits(one_name)


def test_a_big_network_is_sliced_and_equals_the_eager_engine():
    import nn

    width = MIN_OPERANDS // (2 * MIN_RUN) + 1  # enough operands for slices
    model = nn.MLP(2, [MIN_RUN, width, 1], seed=0)
    params = model.parameters()
    tape = trace(lambda a, b: nn.hinge_loss([model([a, b])], [1]), 0.3, -0.7, params=params)
    assert "P[" in tape.source()
    value, grads = tape.value_and_grad(0.4, 0.1)
    x = [Value(0.4), Value(0.1)]
    loss = nn.hinge_loss([model(x)], [1])
    eager = autograd.grad(loss, [*x, *params], allow_unused=True)
    assert value == loss.data
    assert bits(grads) == bits([0.0 if g is None else g for g in eager])


def test_a_parameter_that_is_also_an_output_is_not_sliced():
    w = [Value(0.5), Value(-2.0)]
    tape = trace(lambda a, b: (w[0], [dot(w, [a, b])]), 1.0, 2.0, params=w, has_aux=True)
    assert find_runs(tape.program, min_run=1, min_operands=0) == {}
    assert tape.value_and_grad(3.0, 4.0) == ((0.5, [-6.5]), (0.0, 0.0, 1.0, 0.0))


def squares(n: int, kind: str) -> Any:
    """An L2 term over ``n`` parameters: micrograd's ``sum(p * p ...)`` (a chain from the
    constant 0), the chain from a parameter or an input, or ``dot(params, params)``."""
    params = [Value(0.1 * k - 1.0) for k in range(n)]
    if kind == "dot":
        return trace(lambda: 1e-4 * dot(params, params), params=params), []
    if kind == "sum":
        return trace(lambda: 1e-4 * sum(p * p for p in params), params=params), []
    bias = Value(0.5)
    if kind == "from param":
        return trace(lambda: sum((p * p for p in params), bias), params=[bias, *params]), []
    tape = trace(lambda x: x * sum((p * p for p in params), x), 2.0, params=params)
    return tape, [2.0]


def test_a_sum_of_squares_of_parameters_is_a_loop_in_a_program_of_any_size():
    for kind in ("sum", "dot", "from param", "from input"):
        tape, _ = squares(MIN_RUN, kind)
        (run,) = find_runs(tape.program).values()  # the default, small-program bounds
        assert run.squares and run.stop - run.start == MIN_RUN
        assert "P[" in tape.source()
        if kind != "dot":
            assert "for p in P[" in tape.source()
    assert find_runs(squares(MIN_RUN - 1, "sum")[0].program) == {}  # too short


def test_squares_of_shared_parameters_or_of_inputs_are_no_run():
    w = [Value(0.5), Value(-2.0)]
    shared = trace(lambda: sum(p * p for p in w) * w[0], params=w)
    of_inputs = trace(lambda a, b: sum(x * x for x in (a, b)), 1.0, 2.0)
    mixed = trace(lambda: sum([w[0] * w[0], w[1] * w[0]]), params=w)
    for tape in (shared, of_inputs, mixed):
        assert find_runs(tape.program, min_run=2, min_operands=0) == {}


edge_floats = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.sampled_from([0.0, -0.0, 5e-324, -5e-324, 1e-160, 1e154, 1e200, float("inf")]),
)


@given(
    st.sampled_from(["sum", "dot", "from param", "from input"]),
    st.lists(edge_floats, min_size=1, max_size=12),
    st.floats(allow_nan=False, width=64),
)
def test_a_loop_over_squares_gives_the_one_name_sources_and_the_eager_numbers(kind, data, x):
    tape, inputs = squares(len(data), kind)
    for p, d in zip(tape.params[-len(data) :], data, strict=True):
        p.data = d
    inputs = [x] * len(inputs)
    P = tuple(p.data for p in tape.params)
    for grad in (False, True):
        one_name = compiled(tape, grad, sliced=False)(*inputs, P)
        assert bits(compiled(tape, grad, sliced=True)(*inputs, P)) == bits(one_name)
    leaves = [Value(v) for v in inputs]
    out = tape.f(*leaves)
    eager = autograd.grad(out, [*leaves, *tape.params], allow_unused=True)
    value, grads = compiled(tape, True, sliced=True)(*inputs, P)
    assert bits(value) == bits([out.data])
    assert bits(grads) == bits([0.0 if g is None else g for g in eager])
