"""jvp, value_and_grad, jacobian, hessian and hvp: closed forms, central differences, the
two modes against each other, higher order by nesting, errors, and parity with PyTorch."""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import pytest
from hypothesis import assume, given
from strategies import expressions

import autograd.functional as functional
from autograd import Value, grad, hessian, hvp, jacobian, jvp, no_grad, total, value_and_grad

# --- functions that run on Values and on torch tensors alike ---------------------------


def poly(x, y):
    return x**3 * y - 2 * x * y**2 + y**4 / 3


def comp(x, y, z):
    return (x * y).tanh() * z.exp() + (x + z * z).log() - (x * z).sin() * y


def rosenbrock(x, y):
    return (1 - x) ** 2 + 10 * (y - x**2) ** 2


def several(x, y):
    return [x.sin() * y, (x * y).tanh(), (x + y * y).exp(), (x * x + 1).log() / y]


SCALAR = [(poly, [1.3, -0.7]), (comp, [0.4, 1.1, -0.6]), (rosenbrock, [-1.2, 0.8])]
VECTOR = [(several, [0.3, 1.7]), *SCALAR]


def close(a, b, rel=1e-12):
    """Nested lists of floats equal to ``rel`` relative (exact zeros compared absolutely)."""
    if isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), (a, b)
        return all(close(x, y, rel) for x, y in zip(a, b))
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-300 if a == 0 or b == 0 else 0.0)


def as_list(result):
    return result if isinstance(result, list) else [result]


def numbers(f, point):
    return [y.data for y in as_list(f(*[Value(p) for p in point]))]


def central_jacobian(f, point, h=1e-6):
    columns = []
    for j in range(len(point)):
        up, down = list(point), list(point)
        up[j] += h
        down[j] -= h
        columns.append([(a - b) / (2 * h) for a, b in zip(numbers(f, up), numbers(f, down))])
    return [list(row) for row in zip(*columns)]


# --- closed forms ------------------------------------------------------------------------


def test_jvp_of_a_product_is_the_directional_derivative():
    value, derivative = jvp(lambda x, y: x * y, [3.0, 4.0], [2.0, -1.0])
    assert (value, derivative) == (12.0, 4.0 * 2.0 + 3.0 * -1.0)


def test_jvp_of_several_outputs_gives_a_list_of_tangents():
    values, tangents = jvp(lambda x: [x**2, x.exp(), x.sin()], [0.5], [1.0])
    assert values == [0.25, math.exp(0.5), math.sin(0.5)]
    assert tangents == [1.0, math.exp(0.5), math.cos(0.5)]


def test_jvp_is_one_sweep_whatever_the_number_of_outputs(monkeypatch):
    # Each output's graph shares the chain below it; one sweep visits every node once.
    sweeps = []
    push = functional._push

    def counted(order, *args):
        sweeps.append(order)
        return push(order, *args)

    monkeypatch.setattr(functional, "_push", counted)

    def chain(x):
        outs, y = [], x
        for _ in range(50):
            y = (y * 0.9).tanh()
            outs.append(y)
        return outs

    _, tangents = jvp(chain, [0.7], [1.0])
    # x, then per step the constant 0.9, the product and the tanh
    assert len(sweeps) == 1 and len(sweeps[0]) == len(set(sweeps[0])) == 1 + 3 * 50
    # (the products along the chain are taken in the other order: equal up to rounding)
    assert close(tangents, [row[0] for row in jacobian(chain, [0.7], mode="reverse")])
    assert all(isinstance(t, float) for t in tangents)


def test_the_sweep_order_puts_parents_first_and_every_node_once():
    x = Value(0.5)
    base = (x * x).tanh()
    outputs = [base * 2, base.exp(), x, base * 2 + base]
    order = functional._order(outputs)
    where = {node: k for k, node in enumerate(order)}
    assert len(where) == len(order)
    assert all(where[p] < where[n] for n in order for p in n.parents)
    assert set(outputs) <= set(order) and x in order


def test_jacobian_closed_form():
    x, y = 3.0, -2.0
    J = jacobian(lambda a, b: [a * b, a + b, a**2 * b, b.exp()], [x, y])
    assert [[y, x], [1.0, 1.0], [2 * x * y, x**2], [0.0, math.exp(y)]] == J


def test_jacobian_of_one_output_is_one_row():
    assert jacobian(lambda a, b: a * b * b, [3.0, 2.0]) == [[4.0, 12.0]]


def test_hessian_closed_form_of_rosenbrock():
    x, y = -1.0, 2.0
    assert hessian(rosenbrock, [x, y]) == [[2 - 40 * y + 120 * x**2, -40 * x], [-40 * x, 20.0]]


def test_hvp_is_the_hessian_times_the_vector():
    x, y, v = -1.0, 2.0, [0.5, -3.0]
    H = [[2 - 40 * y + 120 * x**2, -40 * x], [-40 * x, 20.0]]
    assert hvp(rosenbrock, [x, y], v) == [
        H[0][0] * v[0] + H[0][1] * v[1],
        H[1][0] * v[0] + H[1][1] * v[1],
    ]


def test_value_and_grad_closed_form():
    value, gradients = value_and_grad(poly)(2.0, 3.0)
    assert value == 2.0**3 * 3 - 2 * 2 * 9 + 81 / 3
    assert gradients == (3 * 4.0 * 3 - 2 * 9, 8.0 - 4 * 2 * 3 + 4 * 27 / 3)


def test_an_input_f_ignores_gets_zero_derivatives():
    assert jacobian(lambda a, b: [a * a], [3.0, 5.0], mode="forward") == [[6.0, 0.0]]
    assert jacobian(lambda a, b: [a * a], [3.0, 5.0], mode="reverse") == [[6.0, 0.0]]
    assert hessian(lambda a, b: a**3, [2.0, 5.0]) == [[12.0, 0.0], [0.0, 0.0]]
    assert value_and_grad(lambda a, b: a * 2)(1.0, 1.0) == (2.0, (2.0, 0.0))
    assert jvp(lambda a, b: a * 2, [1.0, 1.0], [0.0, 1.0]) == (2.0, 0.0)


def test_an_output_that_is_an_input_has_derivative_one():
    assert jacobian(lambda a, b: [b, a], [1.0, 2.0], mode="forward") == [[0.0, 1.0], [1.0, 0.0]]
    assert jacobian(lambda a, b: [b, a], [1.0, 2.0], mode="reverse") == [[0.0, 1.0], [1.0, 0.0]]


def test_relus_inactive_side_passes_exactly_zero_as_grad_does():
    # sqrt'(0) is inf; relu at -0.0 is inactive, so the tangent is 0, not 0 * inf = nan.
    def f(x):
        return (-x.sqrt()).relu() + x

    assert jvp(f, [0.0], [1.0])[1] == 1.0
    assert value_and_grad(f)(0.0)[1] == (1.0,)


# --- against central differences and each other -----------------------------------------


@pytest.mark.parametrize(("f", "point"), VECTOR, ids=lambda p: getattr(p, "__name__", ""))
def test_jacobian_matches_central_differences(f, point):
    assert close(jacobian(f, point), central_jacobian(f, point), rel=1e-6)


@pytest.mark.parametrize(("f", "point"), SCALAR, ids=lambda p: getattr(p, "__name__", ""))
def test_hessian_matches_central_differences_of_the_gradient(f, point):
    def gradient(*xs):
        return list(grad(f(*xs), list(xs), create_graph=True))

    numeric = central_jacobian(gradient, point, h=1e-5)
    assert close(hessian(f, point), numeric, rel=1e-6)


@pytest.mark.parametrize(("f", "point"), VECTOR, ids=lambda p: getattr(p, "__name__", ""))
def test_forward_and_reverse_jacobians_agree_and_jvp_is_the_jacobian_times_v(f, point):
    forward = jacobian(f, point, mode="forward")
    assert close(forward, jacobian(f, point, mode="reverse"))
    v = [0.5 - k for k in range(len(point))]
    _, tangent = jvp(f, point, v)
    assert close(as_list(tangent), [sum(r * vi for r, vi in zip(row, v)) for row in forward])


@pytest.mark.parametrize(("f", "point"), SCALAR, ids=lambda p: getattr(p, "__name__", ""))
def test_hvp_is_the_hessian_times_v_and_the_hessian_is_symmetric(f, point):
    H = hessian(f, point)
    v = [1.5 - k for k in range(len(point))]
    assert close(hvp(f, point, v), [sum(h * vi for h, vi in zip(row, v)) for row in H])
    assert close(H, [list(col) for col in zip(*H)])


def test_auto_mode_takes_the_mode_with_fewer_sweeps(monkeypatch):
    wide = lambda *xs: total(list(xs))  # noqa: E731  (1 output, 3 inputs: reverse)
    tall = lambda x: [x, x * 2, x * 3]  # noqa: E731  (3 outputs, 1 input: forward)

    def refuse(*args, **kwargs):
        raise AssertionError("the wrong mode ran")

    monkeypatch.setattr(functional, "grad", refuse)
    assert jacobian(tall, [1.0]) == [[1.0], [2.0], [3.0]]
    monkeypatch.undo()
    monkeypatch.setattr(functional, "_forward_columns", refuse)
    assert jacobian(wide, [1.0, 2.0, 3.0]) == [[1.0, 1.0, 1.0]]


def finite(*numbers):
    return all(math.isfinite(x) for x in numbers)


def loose(a, b):
    """Two ways of computing one derivative: equal up to the rounding of their orders."""
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@given(expressions(max_inputs=3, max_ops=10))
def test_on_random_graphs_forward_mode_agrees_with_reverse_mode(expr):
    forward = jacobian(expr, list(expr.inputs), mode="forward")[0]
    reverse = jacobian(expr, list(expr.inputs), mode="reverse")[0]
    assume(finite(*forward, *reverse))
    assert all(loose(a, b) for a, b in zip(forward, reverse, strict=True))
    v = [1.0 - 0.7 * k for k in range(len(expr.inputs))]
    _, tangent = jvp(expr, list(expr.inputs), v)
    assert loose(tangent, sum(a * b for a, b in zip(reverse, v)))


@given(expressions(max_inputs=3, max_ops=8))
def test_on_random_graphs_second_order_agrees_every_way(expr):
    point = list(expr.inputs)
    H = hessian(expr, point)  # forward over reverse
    xs = [Value(p) for p in point]
    first = grad(expr(*xs), xs, create_graph=True, allow_unused=True)
    by_reverse = [list(grad(g, xs, allow_unused=True)) for g in first]  # reverse over reverse
    v = [0.5 + k for k in range(len(point))]

    def directional(*ys):
        return jvp(expr, list(ys), v, create_graph=True)[1]

    _, vHv = jvp(directional, point, v)  # forward over forward
    assume(finite(*[h for row in H + by_reverse for h in row], vHv))
    assert all(loose(a, b) for r1, r2 in zip(H, by_reverse) for a, b in zip(r1, r2))
    quadratic = sum(v[i] * H[i][j] * v[j] for i in range(len(v)) for j in range(len(v)))
    assert math.isclose(vHv, quadratic, rel_tol=1e-8, abs_tol=1e-8)
    Hv = hvp(expr, point, v)
    assert all(loose(a, sum(h * vj for h, vj in zip(row, v))) for a, row in zip(Hv, H))


# --- higher order ------------------------------------------------------------------------


def test_jvp_of_a_jvp_is_the_second_derivative():
    def first(x):
        return jvp(lambda t: t.sin() * t, [x], [1.0], create_graph=True)[1]

    x = 0.7
    value, second = jvp(first, [x], [1.0])
    assert close(value, math.cos(x) * x + math.sin(x))
    assert close(second, 2 * math.cos(x) - x * math.sin(x))


def test_three_nested_jvps_give_tanhs_third_derivative():
    def d1(x):
        return jvp(lambda t: t.tanh(), [x], [1.0], create_graph=True)[1]

    def d2(x):
        return jvp(d1, [x], [1.0], create_graph=True)[1]

    t = math.tanh(0.4)
    assert close(jvp(d2, [0.4], [1.0])[1], (1 - t**2) * (6 * t**2 - 2))


def test_jvp_inside_grad_and_grad_inside_jvp():
    x = Value(0.3)
    _, tangent = jvp(lambda a: a.exp() * a * a, [x], [1.0], create_graph=True)
    assert isinstance(tangent, Value)
    e = math.exp(0.3)
    assert close(grad(tangent, [x])[0], e * (0.09 + 4 * 0.3 + 2))  # (x**2 e**x)''

    _, second = jvp(lambda a: grad(a.exp() * a * a, [a], create_graph=True)[0], [0.3], [1.0])
    assert close(second, e * (0.09 + 4 * 0.3 + 2))


def test_create_graph_tangents_may_be_values_and_results_are_values():
    x, v = Value(2.0), Value(3.0)
    value, tangent = jvp(lambda a: a**3, [x], [v], create_graph=True)
    assert value.data == 8.0 and tangent.data == 36.0  # 3 x**2 v
    assert grad(tangent, [x, v]) == (36.0, 12.0)  # 6 x v, 3 x**2
    # A constant output still comes back as a Value, as grad(create_graph=True) does.
    _, zero = jvp(lambda a: Value(1.0) * 2, [x], [1.0], create_graph=True)
    assert isinstance(zero, Value) and zero.data == 0.0


# --- errors ------------------------------------------------------------------------------


# The calls pass wrong types on purpose: the functions check them, so mypy must not.
F: Any = functional

ERRORS = [
    (
        lambda: F.jacobian(poly, 1.0),
        TypeError,
        "jacobian: inputs must be a list of numbers, got float; "
        "for one input write jacobian(f, [x]",
    ),
    (
        lambda: F.jacobian(poly, [1.0, "2"]),
        TypeError,
        "jacobian: inputs[1] must be a number, got str",
    ),
    (lambda: F.jacobian(3, [1.0]), TypeError, "jacobian: f must be a function, got int"),
    (
        lambda: F.jacobian(poly, [1.0, 2.0], mode="sideways"),
        ValueError,
        "jacobian: mode must be 'auto', 'forward' or 'reverse'",
    ),
    (
        lambda: F.jacobian(lambda x: 2.0, [1.0]),
        TypeError,
        "jacobian: f must return a Value or a list of Values, got float",
    ),
    (
        lambda: F.jacobian(lambda x: [x, 2.0], [1.0]),
        TypeError,
        "jacobian: f returned a float as output 1",
    ),
    (lambda: F.jacobian(lambda x: [], [1.0]), ValueError, "jacobian: f returned an empty list"),
    (
        lambda: F.hessian(several, [1.0, 2.0]),
        ValueError,
        "hessian: f returned 4 outputs in a list; it must return one Value "
        "(reduce them to a scalar with autograd.total, or use jacobian)",
    ),
    (lambda: F.hessian(lambda x: [x], [1.0]), ValueError, "hessian: f returned 1 output in a list"),
    (
        lambda: F.value_and_grad(several)(1.0, 2.0),
        ValueError,
        "value_and_grad: f returned 4 outputs",
    ),
    (
        lambda: F.value_and_grad(poly)(Value(1.0), 2.0),
        TypeError,
        "value_and_grad: inputs[0] must be a number, got Value",
    ),
    (
        lambda: F.hvp(poly, [1.0, 2.0], [1.0]),
        ValueError,
        "hvp: v has 1 entries for 2 inputs; expected one per input",
    ),
    (
        lambda: F.hvp(poly, [1.0, 2.0], 1.0),
        TypeError,
        "hvp: v must be a list with one number per input, got float",
    ),
    (
        lambda: F.hvp(poly, [1.0, 2.0], [1.0, None]),
        TypeError,
        "hvp: v[1] must be a number, got NoneType",
    ),
    (
        lambda: F.jvp(poly, [1.0, 2.0], [1.0]),
        ValueError,
        "jvp: got 2 inputs but 1 tangents; expected one tangent per input",
    ),
    (
        lambda: F.jvp(poly, [1.0, 2.0], 1.0),
        TypeError,
        "jvp: tangents must be a list with one number per input, got float",
    ),
    (
        lambda: F.jvp(poly, [1.0, 2.0], [1.0, Value(1.0)]),
        TypeError,
        "jvp: tangents[1] must be a number, got Value",
    ),
    (
        lambda: F.jvp(poly, [1.0, object()], [1.0, 1.0]),
        TypeError,
        "jvp: inputs[1] must be a number or a Value, got object",
    ),
]


@pytest.mark.parametrize(("call", "error", "message"), ERRORS)
def test_errors_say_what_was_expected(call, error, message):
    with pytest.raises(error) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    "call",
    [
        lambda: jvp(poly, [1.0, 2.0], [1.0, 0.0]),
        lambda: value_and_grad(poly)(1.0, 2.0),
        lambda: jacobian(poly, [1.0, 2.0]),
        lambda: hessian(poly, [1.0, 2.0]),
        lambda: hvp(poly, [1.0, 2.0], [1.0, 0.0]),
    ],
)
def test_inside_no_grad_is_an_error_not_silent_zeros(call):
    with no_grad(), pytest.raises(RuntimeError, match=r"^\w+: called inside no_grad\(\)"):
        call()
    call()  # and outside it works


def test_the_same_value_twice_as_inputs_is_refused():
    # One node cannot carry two tangents: d(a * b) along (1, 1) at a = b = x is 2x, but
    # seeding x once with 1 + 1 would give 4x.
    x = Value(3.0)
    with pytest.raises(ValueError, match=r"inputs\[0\] and inputs\[1\] are the same Value"):
        jvp(lambda a, b: a * b, [x, x], [1.0, 1.0])


# --- parity with PyTorch -----------------------------------------------------------------

SKIP_MESSAGE = "pip install torch to run the PyTorch parity tests"


def import_torch():
    """torch, or a skip; on CI (the CI environment variable set) a missing torch fails."""
    try:
        import torch
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but torch is not installed: {SKIP_MESSAGE}")
        pytest.skip(SKIP_MESSAGE)
    return torch


def test_a_missing_torch_skips_locally_and_fails_on_ci(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=SKIP_MESSAGE):
        import_torch()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        import_torch()


@pytest.fixture(scope="module")
def torch():
    return import_torch()


def tensors(torch, point):
    return tuple(torch.tensor(p, dtype=torch.float64) for p in point)


def floats(t):
    """torch's tensors, or tuples of them, as floats and nested lists."""
    if isinstance(t, (tuple, list)):
        return [floats(x) for x in t]
    return t.item()


def torch_function(f):
    def g(*xs):
        out = f(*xs)
        return tuple(out) if isinstance(out, list) else out

    return g


IDS = lambda p: getattr(p, "__name__", "")  # noqa: E731


@pytest.mark.parametrize(("f", "point"), VECTOR, ids=IDS)
def test_jvp_matches_torch(torch, f, point):
    v = [0.3 * k - 0.8 for k in range(len(point))]
    theirs = torch.autograd.functional.jvp(
        torch_function(f), tensors(torch, point), tensors(torch, v)
    )
    value, tangent = jvp(f, point, v)
    assert close(value, floats(theirs[0])) and close(tangent, floats(theirs[1]))


@pytest.mark.parametrize(("f", "point"), VECTOR, ids=IDS)
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_matches_torch(torch, f, point, mode):
    theirs = floats(torch.autograd.functional.jacobian(torch_function(f), tensors(torch, point)))
    if not isinstance(f(*[Value(p) for p in point]), list):
        theirs = [theirs]  # torch gives one row per output only for several outputs
    assert close(jacobian(f, point, mode=mode), theirs)


@pytest.mark.parametrize(("f", "point"), SCALAR, ids=IDS)
def test_hessian_matches_torch(torch, f, point):
    theirs = floats(torch.autograd.functional.hessian(f, tensors(torch, point)))
    assert close(hessian(f, point), theirs)


@pytest.mark.parametrize(("f", "point"), SCALAR, ids=IDS)
def test_hvp_matches_torch(torch, f, point):
    v = [1.0 - 0.4 * k for k in range(len(point))]
    _, theirs = torch.autograd.functional.hvp(f, tensors(torch, point), tensors(torch, v))
    assert close(hvp(f, point, v), floats(theirs))


@pytest.mark.parametrize(("f", "point"), SCALAR, ids=IDS)
def test_value_and_grad_matches_torch_autograd_grad(torch, f, point):
    xs = [x.requires_grad_() for x in tensors(torch, point)]
    out = f(*xs)
    theirs = torch.autograd.grad(out, xs)
    value, gradients = value_and_grad(f)(*point)
    assert close(value, out.item()) and close(list(gradients), floats(theirs))
