"""gradcheck and gradgradcheck: they pass right derivatives, and name the wrong ones."""

import math
import random

import pytest

from autograd import (
    GradcheckError,
    Value,
    dot,
    gradcheck,
    gradgradcheck,
    no_grad,
    primitive,
    total,
)


# Doubling, with a derivative off by `delta`: the error is known exactly.
def doubling(delta):
    return primitive("double", lambda x: 2 * x, lambda out, x: (2.0 + delta,))


def wrong_row(error):
    """The one table line marked wrong."""
    (line,) = [line for line in str(error).splitlines() if line.endswith("<- wrong")]
    return line


def test_passes_and_returns_true_for_right_derivatives():
    def f(a, b, c):
        return (a * b).tanh() + c.exp() / (1 + b * b) - abs(a) ** 1.5 + dot([a, b], [c, c])

    assert gradcheck(f, [0.3, -1.2, 0.7]) is True
    assert gradgradcheck(f, [0.3, -1.2, 0.7]) is True


def test_several_outputs_are_each_checked():
    f = lambda x, y: [x * y, x.sin(), total([x, y, x])]  # noqa: E731 (a one-line f)
    assert gradcheck(f, [0.5, 2.0])
    assert gradgradcheck(f, [0.5, 2.0])


def test_a_wrong_derivative_raises_with_a_table_naming_output_and_input():
    # d/dy of this "hypot" is wrong (x / out instead of y / out); d/dx is right.
    bad = primitive("hypot", math.hypot, lambda out, x, y: (x / out, x / out))
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x, y: [x * 1.0, bad(x, y)], [Value(3.0, label="x"), 4.0])
    message = str(info.value)
    assert message.startswith("gradcheck: 1 of 4 derivatives differ")
    assert "atol=1e-05, rtol=0.001" in message
    header = message.splitlines()[1].split()
    assert header == ["output", "input", "numeric", "analytic", "abs", "error", "allowed"]
    # The wrong row: output 1, input 1 (unlabelled), numeric 0.8, analytic 0.6.
    assert wrong_row(info.value).split()[:4] == ["out[1]", "x[1]", "0.8", "0.6"]
    # The right rows are shown too, with the input's label.
    assert "out[1]  x[0] 'x'  0.6" in message
    entries = info.value.entries
    assert [(e.output, e.input, e.ok) for e in entries] == [
        ("out[0]", "x[0] 'x'", True),
        ("out[0]", "x[1]", True),
        ("out[1]", "x[0] 'x'", True),
        ("out[1]", "x[1]", False),
    ]
    wrong = entries[3]
    assert wrong.numeric == pytest.approx(0.8, abs=1e-8)
    assert wrong.analytic == 0.6
    assert wrong.error == pytest.approx(0.2, abs=1e-8)
    assert wrong.allowed == pytest.approx(1e-5 + 1e-3 * 0.8)


def test_gradcheck_error_is_an_assertion_error_so_test_runners_report_a_failure():
    assert issubclass(GradcheckError, AssertionError)


def test_raise_exception_false_returns_false():
    assert gradcheck(doubling(0.1), [1.0], raise_exception=False) is False
    assert gradcheck(doubling(0.0), [1.0], raise_exception=False) is True


def test_tolerance_is_atol_plus_rtol_times_numeric():
    # Numeric 2 (exact for a line, up to rounding ~1e-10), analytic 2 + 1e-4.
    off = doubling(1e-4)
    assert not gradcheck(off, [1.0], atol=5e-5, rtol=0.0, raise_exception=False)
    assert gradcheck(off, [1.0], atol=2e-4, rtol=0.0)
    # rtol * |numeric| = 1e-4 * 2 covers it; half of that does not.
    assert gradcheck(off, [1.0], atol=0.0, rtol=1e-4)
    assert not gradcheck(off, [1.0], atol=0.0, rtol=2e-5, raise_exception=False)


def test_default_tolerance_catches_a_small_relative_error():
    # 1% off is far outside rtol=1e-3.
    assert not gradcheck(doubling(0.02), [3.0], raise_exception=False)


def test_nan_derivatives_fail():
    nan_slope = primitive("flat", lambda x: x, lambda out, x: (math.nan,))
    with pytest.raises(GradcheckError) as info:
        gradcheck(nan_slope, [1.0])
    assert "nan" in wrong_row(info.value)


def test_long_tables_show_only_the_failing_rows():
    bad = doubling(1.0)
    f = lambda *xs: [x * 2 for x in xs] + [bad(xs[3])]  # noqa: E731
    with pytest.raises(GradcheckError) as info:
        gradcheck(f, [0.5] * 5)  # 6 outputs x 5 inputs = 30 rows
    message = str(info.value)
    assert "(1 failing rows shown of 30)" in message
    assert wrong_row(info.value).split()[:2] == ["out[5]", "x[3]"]
    assert len(info.value.entries) == 30


def test_a_random_f_is_reported_as_not_deterministic():
    rng = random.Random(0)
    with pytest.raises(GradcheckError, match="not deterministic"):
        gradcheck(lambda x: x * rng.random(), [1.0])


def test_inputs_given_as_values_lend_their_labels_and_are_not_touched():
    a = Value(2.0, label="a")
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda x: doubling(1.0)(x), [a])
    assert "x[0] 'a'" in wrong_row(info.value)
    assert a.grad == 0.0 and a.data == 2.0


def test_a_point_at_the_edge_of_the_domain_says_so():
    with pytest.raises(ValueError, match=r"f fails at x\[0\] = .*log") as info:
        gradcheck(lambda x: x.log(), [1e-7])
    assert isinstance(info.value.__cause__, ValueError)


def test_bad_arguments_are_rejected_by_name():
    f = lambda x: x * x  # noqa: E731
    with pytest.raises(TypeError, match=r"inputs must be a list .* gradcheck\(f, \[x\]\)"):
        gradcheck(f, 1.0)  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match=r"inputs must be a list"):
        gradcheck(f, Value(1.0))  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(ValueError, match="inputs is empty"):
        gradcheck(f, [])
    with pytest.raises(TypeError, match=r"inputs\[1\] must be a number or a Value, got str"):
        gradcheck(lambda x, y: x, [1.0, "2"])  # type: ignore[list-item]  # wrong on purpose: checks the error
    with pytest.raises(ValueError, match=r"inputs\[0\] is nan"):
        gradcheck(f, [math.nan])
    with pytest.raises(ValueError, match="eps must be a positive finite number, got 0"):
        gradcheck(f, [1.0], eps=0)
    with pytest.raises(ValueError, match="atol must be a non-negative"):
        gradcheck(f, [1.0], atol=-1.0)
    with pytest.raises(ValueError, match="rtol must be a non-negative"):
        gradgradcheck(f, [1.0], rtol=math.inf)
    with pytest.raises(TypeError, match="f must return a Value or a list of Values, got float"):
        gradcheck(lambda x: 1.0, [1.0])
    with pytest.raises(ValueError, match="f returned no outputs"):
        gradcheck(lambda x: [], [1.0])


def test_f_must_return_as_many_outputs_everywhere():
    f = lambda x: [x] * (2 if x.data == 1.0 else 1)  # noqa: E731
    with pytest.raises(ValueError, match=r"f returned 1 outputs .* but 2 at the inputs"):
        gradcheck(f, [1.0])


def test_inside_no_grad_is_an_error_not_a_false_pass():
    with no_grad(), pytest.raises(RuntimeError, match="inside no_grad"):
        gradcheck(lambda x: x * x, [1.0])


def test_an_unused_input_has_derivative_zero():
    assert gradcheck(lambda x, y: x * 3, [1.0, 2.0])
    assert gradcheck(lambda x: Value(5.0), [1.0])
    assert gradgradcheck(lambda x, y: x * 3, [1.0, 2.0])


def test_gradgradcheck_catches_a_derivative_that_is_right_only_to_first_order():
    # math.cos turns a Value into a float, so create_graph sees a constant slope:
    # the first derivative is right, the second is 0 instead of -sin(x).
    first_order_only = primitive("sin", math.sin, lambda out, x: (math.cos(x),))
    assert gradcheck(first_order_only, [0.5])
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(first_order_only, [0.5])
    message = str(info.value)
    assert message.startswith("gradgradcheck: 1 of 1 derivatives differ")
    row = wrong_row(info.value).split()
    assert row[:5] == ["d", "out[0]/d", "x[0]", "x[0]", f"{-math.sin(0.5):.8g}"]
    assert row[5] == "0"
    assert "a first derivative of f" in message


def test_gradgradcheck_names_both_inputs_of_a_wrong_hessian_entry():
    # f = x * y * y. The derivative rule is right on floats, but float(y) makes y a
    # constant in the graph create_graph builds: d/dy (d out/d y) comes out 0, not 2x.
    bad = primitive("xyy", lambda x, y: x * y * y, lambda out, x, y: (y * y, 2 * x * float(y)))
    assert gradcheck(bad, [1.5, 0.5])
    with pytest.raises(GradcheckError) as info:
        gradgradcheck(bad, [1.5, 0.5])
    wrong = [(e.output, e.input, e.analytic) for e in info.value.entries if not e.ok]
    assert wrong == [("d out[0]/d x[1]", "x[1]", 0.0)]
    assert [e.output for e in info.value.entries] == ["d out[0]/d x[0]"] * 2 + [
        "d out[0]/d x[1]"
    ] * 2


def test_gradgradcheck_of_a_wrong_first_derivative_is_gradchecks_job():
    # gradgradcheck differentiates the engine's own first derivatives, so a first
    # derivative that is wrong but consistently so passes it; gradcheck catches it.
    bad = primitive("xyy", lambda x, y: x * y * y, lambda out, x, y: (y * y, 2 * x * x))
    assert gradgradcheck(bad, [1.5, 0.5])
    assert not gradcheck(bad, [1.5, 0.5], raise_exception=False)
