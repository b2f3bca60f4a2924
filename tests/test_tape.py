"""Tests for autograd.tape: traced replays equal the eager engine, on floats and batches."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import Expression, expressions, reals

import autograd
from autograd import Tape, Value, grad, no_grad, trace

np = pytest.importorskip("numpy")

# --- random expression graphs ------------------------------------------------------------
# Smooth graphs come from the shared strategy (tests/strategies.py). It leaves out kinks
# (relu, abs: no central differences across them) and many-input nodes, which a tape must
# replay too, so a small generator here adds those; its graphs use only ops whose NumPy
# replay rounds exactly like Python floats. A graph is data, so the same graph can be
# built eagerly at any inputs (no branch on .data inside it).

EXACT_OPS = {
    "add": lambda a, b, c: a + b,
    "sub": lambda a, b, c: a - b,
    "mul": lambda a, b, c: a * b,
    "div": lambda a, b, c: a / (1 + b * b),
    "neg": lambda a, b, c: -a,
    "cadd": lambda a, b, c: a + c,
    "rsub": lambda a, b, c: c - a,
    "rdiv": lambda a, b, c: c / (a * a + 1),
    "square": lambda a, b, c: a**2,
    "cube": lambda a, b, c: a**3,
    "relu": lambda a, b, c: a.relu(),
    "abs": lambda a, b, c: abs(a),
    "leaky": lambda a, b, c: a.leaky_relu(0.1),
    "sqrt": lambda a, b, c: (a * a + 1).sqrt(),
    # Many-input nodes (math.fsum in the engine; a compensated sum in batched replay).
    "total": lambda a, b, c: autograd.total([a, b, c, a]),
    "dot": lambda a, b, c: autograd.dot([a, b, c], [b, a, 1.0]),
}

numbers = reals(-2.0, 2.0)


@st.composite
def kinked_graphs(draw):
    """(inputs count, params count, steps): each step (op, i, j, c) over earlier nodes."""
    n_inputs = draw(st.integers(1, 3))
    n_params = draw(st.integers(0, 2))
    step = st.tuples(
        st.sampled_from(sorted(EXACT_OPS)), st.integers(0, 99), st.integers(0, 99), numbers
    )
    return n_inputs, n_params, draw(st.lists(step, min_size=1, max_size=25))


def build(graph, xs, ps):
    """The kinked graph's output node, built eagerly from input and parameter leaves."""
    pool = [*xs, *ps]
    for op, i, j, c in graph[2]:
        pool.append(EXACT_OPS[op](pool[-1 - i % len(pool)], pool[-1 - j % len(pool)], c))
    return pool[-1]


def eager(f, x_numbers, params):
    """Value and gradients (inputs then params) of ``f(*inputs)`` from the eager engine."""
    xs = [Value(x) for x in x_numbers]
    out = f(*xs)
    return out.data, grad(out, [*xs, *params], allow_unused=True)


def split(expr: Expression, n_params: int):
    """An expression as f(inputs) with its last ``n_params`` inputs made parameters."""
    n_in = len(expr.inputs) - n_params
    params = [Value(x) for x in expr.inputs[n_in:]]
    return (lambda *xs: expr.build([*xs, *params])), list(expr.inputs[:n_in]), params


def close(a: float, b: float, rel: float = 1e-12) -> bool:
    return a == b or abs(a - b) <= rel * max(abs(a), abs(b))


def finite(*xs) -> bool:
    return all(math.isfinite(x) for x in xs)


def check_float_replay(f, x0, x1, params):
    ref_value, ref_grads = eager(f, x1, params)
    assume(finite(ref_value, *ref_grads) and finite(eager(f, x0, params)[0]))
    tape = trace(f, *x0, params=params)
    value, grads = tape.value_and_grad(*x1)
    # Same operations in the same order: equal to the last bit.
    assert value == ref_value
    assert grads == ref_grads
    assert tape(*x1) == ref_value


# --- float replay ------------------------------------------------------------------------


@given(expressions(max_inputs=4, max_ops=12), st.data())
def test_float_replay_equals_eager_on_random_graphs(expr, data):
    n_params = data.draw(st.integers(0, len(expr.inputs) - 1))
    f, x0, params = split(expr, n_params)
    x1 = [data.draw(numbers) for _ in x0]
    check_float_replay(f, x0, x1, params)


@given(kinked_graphs(), st.data())
def test_float_replay_equals_eager_on_kinked_and_many_input_graphs(graph, data):
    params = [Value(data.draw(numbers)) for _ in range(graph[1])]
    x0 = [data.draw(numbers) for _ in range(graph[0])]
    x1 = [data.draw(numbers) for _ in range(graph[0])]
    check_float_replay(lambda *xs: build(graph, xs, params), x0, x1, params)


def test_params_are_read_on_every_call():
    w = Value(3.0)
    tape = trace(lambda x: w * x + 1, 2.0, params=[w])
    assert tape.value_and_grad(2.0) == (7.0, (3.0, 2.0))
    w.data = -1.0
    assert tape.value_and_grad(5.0) == (-4.0, (-1.0, 5.0))


def test_numbers_and_outside_values_are_baked_in_as_constants():
    c = Value(10.0)  # not declared as a parameter: a constant
    tape = trace(lambda x: (1 + x) * c, 1.0)
    c.data = 0.0
    assert tape(2.0) == 30.0
    assert tape.value_and_grad(2.0) == (30.0, (10.0,))
    assert "10.0" in tape.source()


def test_backward_accumulates_parameter_grads():
    w, b = Value(2.0), Value(1.0)
    tape = trace(lambda x: w * x + b, 0.0, params=[w, b])
    assert tape.backward(3.0) == 7.0
    assert (w.grad, b.grad) == (3.0, 1.0)
    tape.backward(4.0)
    assert (w.grad, b.grad) == (7.0, 2.0)


def test_several_outputs():
    tape = trace(lambda x, y: [x * y, x - y, 2.0], 1.0, 1.0)
    assert tape(3.0, 4.0) == (12.0, -1.0, 2.0)
    with pytest.raises(ValueError, match="3 outputs"):
        tape.value_and_grad(3.0, 4.0)


def test_output_that_is_an_input_or_a_constant():
    assert trace(lambda x, y: y, 1.0, 2.0).value_and_grad(5.0, 6.0) == (6.0, (0.0, 1.0))
    assert trace(lambda x: 4.0, 1.0).value_and_grad(5.0) == (4.0, (0.0,))
    # A subgraph of constants only is folded into one constant.
    tape = trace(lambda x: x + Value(2.0) * Value(3.0), 1.0)
    assert len(tape) == 1 and tape.value_and_grad(1.0) == (7.0, (1.0,))


def test_wrong_number_of_inputs_names_both_counts():
    tape = trace(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(ValueError, match=r"traced with 2 input.*got 3"):
        tape.value_and_grad(1.0, 2.0, 3.0)
    with pytest.raises(ValueError, match=r"traced with 2 input.*got 1"):
        tape(1.0)
    with pytest.raises(ValueError, match=r"traced with 2 input.*got 1"):
        tape.batch(np.ones(3))


def test_bad_arguments_are_type_errors():
    tape = trace(lambda x: x * x, 1.0)
    with pytest.raises(TypeError, match="input 0 must be a number, got str"):
        tape("1.0")  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match="params must be a list of Values"):
        trace(lambda x: x, 1.0, params=Value(1.0))  # type: ignore[arg-type]  # on purpose
    with pytest.raises(TypeError, match=r"params\[0\] must be a Value"):
        trace(lambda x: x, 1.0, params=[1.0])  # type: ignore[list-item]  # on purpose
    with pytest.raises(ValueError, match=r"params\[0\] was computed by op '\*'"):
        trace(lambda x: x, 1.0, params=[Value(1.0) * 2])
    with pytest.raises(TypeError, match="f's result is a str; expected a Value"):
        trace(lambda x: "x", 1.0)


def test_trace_inside_no_grad_is_an_error():
    with no_grad(), pytest.raises(RuntimeError, match="no_grad"):
        trace(lambda x: x * x, 1.0)


def test_check_catches_frozen_control_flow():
    def f(x):
        return x * x if x.data > 0 else -x

    tape = trace(f, 1.0)
    tape.check(3.0)  # same branch: fine
    # The replay silently keeps the traced branch ...
    assert tape(-2.0) == 4.0
    # ... which check detects.
    with pytest.raises(ValueError, match=r"control flow on \.data"):
        tape.check(-2.0)
    # A constant taken from .data is caught too.
    tape = trace(lambda x: x * x.data, 1.0)
    with pytest.raises(ValueError, match="different graph"):
        tape.check(2.0)


def test_relu_and_abs_branches_are_replayed_not_frozen():
    tape = trace(lambda x: x.relu() + abs(x) + x.leaky_relu(0.5), 1.0)
    assert tape.value_and_grad(-2.0) == (1.0, (-0.5,))
    assert tape.value_and_grad(2.0) == (6.0, (3.0,))


def test_overflow_gives_the_engines_inf_not_an_exception():
    tape = trace(lambda x: x.exp() + x**3, 1.0)
    value, (g,) = tape.value_and_grad(1000.0)
    assert value == math.inf and g == math.inf
    assert trace(lambda x: x.sin(), 0.0)(math.inf) != trace(lambda x: x.sin(), 0.0)(math.inf)


def test_division_by_zero_raises_as_in_the_engine():
    tape = trace(lambda x, y: x / y, 1.0, 2.0)
    with pytest.raises(ZeroDivisionError):
        tape(1.0, 0.0)


# A custom primitive: no formulas, so the tape calls its functions.
cube = autograd.primitive("cube", lambda x: x**3, lambda out, x: (3 * x * x,))


def calls_derivative_function(source: str) -> bool:
    """Whether generated source calls a rule's derivative function (the fallback)."""
    return re.search(r"\bD\d+\(", source) is not None


def test_custom_rule_without_template_is_called():
    tape = trace(lambda x: cube(x) + x, 2.0)
    assert re.search(r"\bF\d+\(", tape.source()) and calls_derivative_function(tape.source())
    assert tape.value_and_grad(3.0) == (30.0, (28.0,))
    values, (dx,) = tape.batch_value_and_grad(np.array([1.0, 3.0]))
    assert values.tolist() == [2.0, 30.0] and dx.tolist() == [4.0, 28.0]


def test_constant_powers_and_leaky_relu_use_templates():
    tape = trace(lambda x: x**2 + x**-1.5 + x.leaky_relu(0.25) + x**0, 2.0)
    assert not calls_derivative_function(tape.source())
    x = Value(1.7)
    y = x**2 + x**-1.5 + x.leaky_relu(0.25) + x**0
    y.backward()
    value, (g,) = tape.value_and_grad(1.7)
    assert close(value, y.data) and close(g, x.grad)


def test_a_look_alike_rule_is_not_mistaken_for_power():
    fake = autograd.primitive("**2", lambda x: x + 1, lambda out, x: (1.0,))
    tape = trace(lambda x: fake(x), 1.0)
    assert tape.value_and_grad(5.0) == (6.0, (1.0,))


def test_repr_len_and_exports():
    tape = trace(lambda x, y: x * y + x, 1.0, 2.0)
    assert len(tape) == 2 and isinstance(tape, Tape)
    assert repr(tape) == "Tape(2 ops, 2 inputs, 0 params, 1 output)"
    assert "trace" in autograd.__all__ and "Tape" in autograd.__all__


def test_source_is_generated_from_our_templates_not_user_text():
    # A label or a custom rule name never reaches the source.
    evil = autograd.primitive("x); import os; (", lambda x: x, lambda out, x: (1.0,))
    x_label = Value(1.0, label="__import__('os')")
    tape = trace(lambda x: evil(x) * x_label, 1.0)
    assert "import" not in tape.source() and "os" not in tape.source()


# --- batched replay ----------------------------------------------------------------------


def check_batched_replay(f, x_batch, params, rel):
    """Batched replay against the eager engine run example by example."""
    n_in, size = len(x_batch), len(x_batch[0])
    per_example = [eager(f, [float(a[k]) for a in x_batch], params) for k in range(size)]
    for v, g in per_example:
        assume(finite(v, *g) and all(abs(t) < 1e6 for t in (v, *g)))
    tape = trace(f, *[float(a[0]) for a in x_batch], params=params)
    values, grads = tape.batch_value_and_grad(*x_batch)
    assert values.shape == (size,)
    for k, (v, g) in enumerate(per_example):
        assert close(values[k], v, rel), (k, values[k], v)
        for i in range(n_in):
            assert close(grads[i][k], g[i], rel), (k, i, grads[i][k], g[i])
    for j in range(len(params)):
        terms = [g[n_in + j] for _, g in per_example]
        # Summed in NumPy's order: equal up to rounding of the sum itself.
        assert abs(grads[n_in + j] - math.fsum(terms)) <= rel * sum(map(abs, terms)) + 1e-300
        assert type(grads[n_in + j]) is float


@given(kinked_graphs(), st.data())
def test_batched_replay_equals_eager_for_ieee_exact_ops(graph, data):
    params = [Value(data.draw(numbers)) for _ in range(graph[1])]
    size = data.draw(st.integers(1, 5))
    x_batch = [np.array([data.draw(numbers) for _ in range(size)]) for _ in range(graph[0])]
    check_batched_replay(lambda *xs: build(graph, xs, params), x_batch, params, rel=1e-12)


@given(expressions(max_inputs=4, max_ops=12), st.data())
def test_batched_replay_agrees_with_eager_to_rounding_on_random_graphs(expr, data):
    # exp, tanh, log... come from NumPy, which may round their last bit differently from
    # math; cancellation can magnify that, so this checks agreement to 1e-6 only.
    f, _, params = split(expr, data.draw(st.integers(0, len(expr.inputs) - 1)))
    n_in = len(expr.inputs) - len(params)
    x_batch = [np.array([data.draw(numbers) for _ in range(3)]) for _ in range(n_in)]
    check_batched_replay(f, x_batch, params, rel=1e-6)


def test_batched_replay_of_a_relu_unit_exactly():
    w, b = Value(0.5), Value(-0.25)
    tape = trace(lambda x, y: (w * x + b - y).relu() ** 2, 1.0, 0.0, params=[w, b])
    x = np.array([-1.0, 0.0, 1.0, 2.0])
    y = np.array([0.0, -1.0, 0.0, 0.5])
    values, (dx, dy, dw, db) = tape.batch_value_and_grad(x, y)
    r = np.maximum(0.5 * x - 0.25 - y, 0.0)
    assert values.tolist() == (r**2).tolist()
    assert dx.tolist() == (2 * r * 0.5).tolist() and dy.tolist() == (-2 * r).tolist()
    assert dw == float(np.sum(2 * r * x)) and db == float(np.sum(2 * r))


def test_batch_forward_and_broadcast_outputs():
    w = Value(2.0)
    tape = trace(lambda x: [x * w, w * w, 7], 1.0, params=[w])
    a, b, c = tape.batch(np.array([1.0, 2.0]))
    assert a.tolist() == [2.0, 4.0] and b.tolist() == [4.0, 4.0] and c.tolist() == [7.0, 7.0]
    # An output that ignores the inputs: its parameter gradient counts every example.
    values, (dx, dw) = trace(lambda x: w * w, 1.0, params=[w]).batch_value_and_grad([1.0, 2.0, 3.0])
    assert values.tolist() == [4.0] * 3 and dx.tolist() == [0.0] * 3 and dw == 12.0


def test_batch_shape_errors():
    tape = trace(lambda x, y: x * y, 1.0, 2.0)
    with pytest.raises(ValueError, match=r"input 1 has 2 examples, input 0 has 3"):
        tape.batch(np.ones(3), np.ones(2))
    with pytest.raises(ValueError, match=r"must be 1-D.*\(3, 1\)"):
        tape.batch(np.ones((3, 1)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="no inputs"):
        trace(lambda: Value(1.0) * 2).batch()


def eager_error(f, *inputs):
    """The error the eager engine raises for ``f`` at ``inputs`` (labelled as trace does)."""
    with pytest.raises((ArithmeticError, ValueError)) as info:
        f(*[Value(x, label=f"x{i}") for i, x in enumerate(inputs)])
    return info.value


# (f, inputs to trace at, inputs outside the domain, the error type the engine raises)
DOMAIN_ERRORS = [
    (lambda x: x**0.5, (1.0,), (-4.0,), ValueError),
    (lambda x: x ** (1 / 3), (8.0,), (-8.0,), ValueError),
    (lambda x: (x * 1.0) ** -1.5, (1.0,), (-1.0,), ValueError),
    (lambda x, y: x**y, (2.0, 2.0), (-2.0, 0.5), ValueError),
    (lambda y: 2.0 ** (y - 3.0) + (-2.0) ** y, (2.0,), (0.5,), ValueError),
    (lambda x: x.log(), (1.0,), (-1.0,), ValueError),
    (lambda x: x.log(), (1.0,), (0.0,), ValueError),
    (lambda x: x.sqrt() * 2.0, (1.0,), (-1.0,), ValueError),
    (lambda x: 1 / x, (1.0,), (0.0,), ZeroDivisionError),
    (lambda x: x**-1.0, (1.0,), (0.0,), ZeroDivisionError),
    (lambda x: x**-2.5, (1.0,), (0.0,), ZeroDivisionError),
    (lambda x, y: x**y, (2.0, 2.0), (0.0, -1.0), ZeroDivisionError),
]


@pytest.mark.parametrize(("f", "at", "outside", "error"), DOMAIN_ERRORS)
def test_float_replay_raises_the_engines_own_domain_errors(f, at, outside, error):
    tape = trace(f, *at)
    expected = eager_error(f, *outside)
    assert type(expected) is error
    for replay in (tape, tape.value_and_grad):
        with pytest.raises(error) as info:
            replay(*outside)  # never a complex number, never a bare "math domain error"
        assert str(info.value) == str(expected)  # names the op, the value and the label
        assert info.value.__cause__ is not None  # the replay's own error, chained


def test_float_replay_error_notes_the_eager_rerun():
    tape = trace(lambda x: x.log(), 1.0)
    with pytest.raises(ValueError, match=r"^log: got -1\.0 \(label 'x0'\); expected") as info:
        tape(-1.0)
    # The replay's own error: the rule's message, without the label it cannot know.
    assert str(info.value.__cause__) == "log: got -1.0; expected a positive number"
    if sys.version_info >= (3, 11):
        assert "running the traced function eagerly" in info.value.__notes__[0]


def test_float_replay_error_is_kept_when_the_eager_run_does_not_raise():
    mode = {"log": True}
    tape = trace(lambda x: x.log() if mode["log"] else x, 1.0)
    mode["log"] = False  # f has changed since the trace: the eager run succeeds
    with pytest.raises(ValueError, match=r"^log: got -1\.0; expected a positive number$"):
        tape(-1.0)


def test_powers_of_a_base_out_of_the_reals_still_equal_the_engine_inside_it():
    cases: list[tuple[Callable[..., Value], tuple[float, ...]]] = [
        (lambda x: x**0.5 + x ** (1 / 3) + (x + 1.0) ** -1.5, (0.7,)),
        (lambda x: x**0.5, (0.0,)),  # sqrt'(0) = inf, as in the engine
        (lambda x, y: x**y, (1.5, 2.5)),
        (lambda x, y: x**y, (-2.0, 3.0)),  # integer exponent: real, d/dy is nan
        (lambda x, y: x**y, (0.0, 2.0)),
        (lambda x: x**1.5, (1e300,)),  # overflow: inf, as in the engine
    ]
    for f, inputs in cases:
        value, grads = trace(f, *[1.0] * len(inputs)).value_and_grad(*inputs)
        ref_value, ref_grads = eager(f, inputs, [])
        assert type(value) is float and all(type(g) is float for g in grads)
        assert value.hex() == ref_value.hex()
        assert [g.hex() for g in grads] == [g.hex() for g in ref_grads]


def test_only_ops_with_a_domain_test_it():
    # The benchmark DAG's ops (+, *, relu, **2) and integer powers >= 0 test nothing.
    forward = trace(lambda x, y: ((x * y + x).relu() ** 2) ** 3, 1.0, 1.0).source(grad=False)
    assert "    if " not in forward and "R" not in forward  # (relu is written inline: "... if")
    assert "    if v0 < 0: R" in trace(lambda x: x**0.5, 1.0).source()
    assert "    if v0 == 0: R" in trace(lambda x: x**-1, 1.0).source()
    assert "    if v1 == 0: R" in trace(lambda x, y: x / y, 1.0, 1.0).source()


@pytest.mark.parametrize(("f", "at", "outside", "error"), DOMAIN_ERRORS)
def test_batched_replay_raises_naming_the_op_index_and_value(f, at, outside, error):
    tape = trace(f, *at)
    # Two good examples first, then the bad one, so the index is 2.
    batch = [np.array([a, a, x]) for a, x in zip(at, outside, strict=True)]
    for replay in (tape.batch, tape.batch_value_and_grad):
        with pytest.raises(error, match=r"at batch index 2\b") as info:
            replay(*batch)
        message = str(info.value)
        assert message.split(":")[0] == str(eager_error(f, *outside)).split(":")[0]  # the op
        assert all(repr(x) in message for x in outside)  # the offending numbers


def test_batched_replay_reports_the_first_offending_example():
    tape = trace(lambda x: x.log() + (x + 2.0).sqrt(), 1.0)
    with pytest.raises(ValueError, match=r"^log: got -3\.0 at batch index 1;"):
        tape.batch([1.0, -3.0, -0.5])  # ops fail in the engine's order: log first
    tape = trace(lambda x, y: x**y, 2.0, 2.0)
    with pytest.raises(ValueError, match=r"^\*\*: a negative base -2\.0 at batch index 1 "):
        tape.batch([1.0, -2.0, 0.0], [1.0, 0.5, -1.0])  # before the 0 ** -1 at index 2
    w = Value(1.0)
    tape = trace(lambda x: x / w, 1.0, params=[w])
    w.data = 0.0  # a parameter divisor: every example divides by zero
    with pytest.raises(ZeroDivisionError, match=r"^/: division by zero: 3\.0 / 0\.0 at batch"):
        tape.batch([3.0, 4.0])


def test_batched_replay_inside_the_domain_and_nan_are_unchanged():
    tape = trace(lambda x: (x * 1.0).log() + x**0.5 + 1.0 / x, 1.0)
    values, (dx,) = tape.batch_value_and_grad(np.array([1.0, 4.0, math.nan]))
    assert values[:2].tolist() == [2.0, math.log(4.0) + 2.0 + 0.25]
    assert math.isnan(values[2]) and math.isnan(dx[2])  # the engine gives nan there too


def test_batched_replay_without_numpy_names_the_extra(monkeypatch):
    tape = trace(lambda x: x * x, 1.0)
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r"chainrule\[fast\]"):
        tape.batch([1.0])


def test_batch_backward_is_the_mean_losses_backward():
    w, b = Value(0.5), Value(0.1)
    tape = trace(lambda x, y: (w * x + b - y) ** 2, 0.0, 0.0, params=[w, b])
    xs, ys = [1.0, 2.0, -1.0], [0.0, 1.0, 2.0]
    values = tape.batch_backward(xs, ys, scale=1 / 3)
    grads = (w.grad, b.grad)
    w.grad = b.grad = 0.0
    loss = autograd.total((w * x + b - y) ** 2 for x, y in zip(xs, ys, strict=True)) * (1 / 3)
    loss.backward()
    assert close(sum(values) / 3, loss.data)
    assert close(grads[0], w.grad) and close(grads[1], b.grad)


def test_batched_unused_input_gets_zero_gradient():
    w = Value(3.0)
    tape = trace(lambda x, y: w * y, 1.0, 1.0, params=[w])
    values, (dx, dy, dw) = tape.batch_value_and_grad([1.0, 2.0], [4.0, 5.0])
    assert values.tolist() == [12.0, 15.0]
    assert dx.tolist() == [0.0, 0.0] and dy.tolist() == [3.0, 3.0] and dw == 9.0
    # An output that is an input, and one that is a parameter.
    _, (dx, dy, dw) = trace(lambda x, y: x, 1.0, 1.0, params=[w]).batch_value_and_grad([1.0], [2.0])
    assert (dx.tolist(), dy.tolist(), dw) == ([1.0], [0.0], 0.0)
    _, (dx, dy, dw) = trace(lambda x, y: w, 1.0, 1.0, params=[w]).batch_value_and_grad([1.0], [2.0])
    assert (dx.tolist(), dy.tolist(), dw) == ([0.0], [0.0], 1.0)


def test_has_aux_returns_the_aux_outputs_alongside():
    w = Value(2.0)

    def f(x, y):
        pred = w * x
        return (pred - y) ** 2, pred

    tape = trace(f, 1.0, 1.0, params=[w], has_aux=True)
    assert tape.value_and_grad(3.0, 5.0) == ((1.0, 6.0), (4.0, -2.0, 6.0))
    assert tape(3.0, 5.0) == (1.0, 6.0)
    (losses, preds), (_, _, dw) = tape.batch_value_and_grad([3.0, 1.0], [5.0, 0.0])
    assert losses.tolist() == [1.0, 4.0] and preds.tolist() == [6.0, 2.0] and dw == 10.0
    several = trace(lambda x: (x * x, [x, 2 * x]), 1.0, has_aux=True)
    assert several.value_and_grad(3.0) == ((9.0, [3.0, 6.0]), (6.0,))
    assert several.backward(3.0) == (9.0, [3.0, 6.0])
    with pytest.raises(TypeError, match=r"pair \(output, aux\)"):
        trace(lambda x: x, 1.0, has_aux=True)
    with pytest.raises(TypeError, match="one Value"):
        trace(lambda x: ([x, x], x), 1.0, has_aux=True)
    with pytest.raises(ValueError, match="has_aux=True"):
        trace(lambda x: [x, x], 1.0).value_and_grad(1.0)


def test_aux_outputs_do_not_leak_into_the_gradient():
    # The aux ops are replayed too; their (unset) gradients must not reach x's.
    tape = trace(lambda x: (x * x, [x * 3.0 + 1.0, (x * 1000.0).exp()]), 3.0, has_aux=True)
    (losses, aux), (dx,) = tape.batch_value_and_grad([4.0, 1.0])
    assert dx.tolist() == [8.0, 2.0] and losses.tolist() == [16.0, 1.0]
    assert aux[0].tolist() == [13.0, 4.0] and aux[1].tolist() == [math.inf, math.inf]
    assert tape.value_and_grad(4.0) == ((16.0, [13.0, math.inf]), (8.0,))
