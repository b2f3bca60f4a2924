"""Is my derivative right? ``gradcheck`` and ``gradgradcheck`` compare with finite differences.

The engine's gradient of every output with respect to every input (the analytic value)
is compared with the central difference  (f(x + eps) - f(x - eps)) / 2eps  (the numeric
value); an entry passes when  |analytic - numeric| <= atol + rtol * |numeric|.
``gradgradcheck`` does the same for the first derivatives themselves (made with
``create_graph=True``), which checks every second derivative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ._numbers import is_number as _is_number
from .backward import grad
from .grad_mode import is_recording
from .value import Value

__all__ = ["Entry", "GradcheckError", "gradcheck", "gradgradcheck"]

# A table longer than this shows only its failing rows.
_MAX_ROWS = 20


@dataclass(frozen=True)
class Entry:
    """One compared derivative: a row of the table in a ``GradcheckError``.

    Attributes:
        output: which output, e.g. ``out[0]`` (``d out[0]/d x[1]`` in gradgradcheck).
        input: which input, e.g. ``x[1] 'b'`` (index, then label if the input had one).
        numeric: the central difference.
        analytic: the engine's derivative.
        error: ``|analytic - numeric|``.
        allowed: ``atol + rtol * |numeric|``.
        ok: whether the entry passed.
    """

    output: str
    input: str
    numeric: float
    analytic: float
    error: float
    allowed: float
    ok: bool


class GradcheckError(AssertionError):
    """A derivative differs from its finite-difference estimate (or is not reproducible).

    An AssertionError, so that test runners report it as a failed check. The message is
    a table; ``entries`` holds its rows (every compared derivative) as ``Entry`` objects.
    """

    def __init__(self, message: str, entries: Sequence[Entry] = ()) -> None:
        super().__init__(message)
        self.entries = list(entries)


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check the engine's gradients of ``f`` against central differences.

    Args:
        f: takes one ``Value`` per input and returns a ``Value`` or a list of Values.
        inputs: the point to check at: numbers, or Values (their data and label are used;
            the Values themselves are not touched).
        eps: the finite-difference step.
        atol: the absolute tolerance.
        rtol: the tolerance relative to the numeric derivative.
        raise_exception: if True, a failure raises; if False, it returns False.

    Returns:
        True if every derivative passes (and two backward passes agree exactly).

    Raises:
        GradcheckError: on a failure, with a table naming the output and input of each
            derivative, its numeric and analytic values, the error and the error allowed.
        ValueError: if ``f`` cannot be evaluated at x +- eps (e.g. log near 0).

    Example:
        >>> gradcheck(lambda x, y: x * y.sin(), [2.0, 0.5])
        True
        >>> from autograd import primitive
        >>> wrong_sin = primitive("sin", lambda x: math.sin(x), lambda out, x: (-math.cos(x),))
        >>> gradcheck(lambda x: wrong_sin(x), [0.5])
        Traceback (most recent call last):
        ...
        autograd.gradcheck.GradcheckError: gradcheck: 1 of 1 derivatives differ from ...
        output  input  numeric     analytic     abs error  allowed
        out[0]  x[0]   0.87758256  -0.87758256  1.76       0.000888  <- wrong
        numeric: (f(x + eps) - f(x - eps)) / 2eps; analytic: from backward(), ...
    """
    return _check(f, inputs, eps, atol, rtol, raise_exception, "gradcheck")


def gradgradcheck(
    f: Callable[..., Any],
    inputs: Sequence[float | Value],
    *,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Check every second derivative of ``f`` against finite differences of its gradient.

    The first derivatives are taken with ``grad(..., create_graph=True)``; gradcheck then
    compares their gradients (the Hessian entries d2 out / dx_i dx_j) with central
    differences of them. A derivative rule written with ``math`` functions instead of
    float-and-Value operations passes ``gradcheck`` but fails here.

    Args:
        f: takes one ``Value`` per input and returns a ``Value`` or a list of Values.
        inputs: the point to check at (numbers, or Values whose data and label are used).
        eps: the finite-difference step.
        atol: the absolute tolerance.
        rtol: the tolerance relative to the numeric derivative.
        raise_exception: if True, a failure raises; if False, it returns False.

    Returns:
        True if every second derivative passes.

    Raises:
        GradcheckError: on a failure, with a table whose output column names the first
            derivative (``d out[0]/d x[1]``) and whose input column names the second.

    Example:
        >>> gradgradcheck(lambda x, y: x * x * y, [1.5, -2.0])
        True
    """
    inputs = _check_inputs(inputs, "gradgradcheck")
    n = len(inputs)

    def first_derivatives(*xs: Value) -> list[Value]:
        outs = _outputs(f(*xs), "gradgradcheck")
        return [d for out in outs for d in grad(out, xs, create_graph=True, allow_unused=True)]

    def name(row: int) -> str:
        return f"d out[{row // n}]/d x[{row % n}]"

    return _check(
        first_derivatives, inputs, eps, atol, rtol, raise_exception, "gradgradcheck", name
    )


# --- the check ---------------------------------------------------------------------------


def _check(
    f: Callable[..., Any],
    inputs: Sequence[float | Value],
    eps: float,
    atol: float,
    rtol: float,
    raise_exception: bool,
    fn: str,
    output_name: Callable[[int], str] = "out[{}]".format,
) -> bool:
    points, labels = _split(_check_inputs(inputs, fn))
    for arg, v in (("eps", eps), ("atol", atol), ("rtol", rtol)):
        if not _is_number(v) or not math.isfinite(v) or v < 0 or (arg == "eps" and v == 0):
            expected = "a positive" if arg == "eps" else "a non-negative"
            raise ValueError(f"{fn}: {arg} must be {expected} finite number, got {v!r}")
    if not is_recording():
        raise RuntimeError(f"{fn}: called inside no_grad(), where no gradient can be taken")
    input_names = [f"x[{i}] {label!r}" if label else f"x[{i}]" for i, label in enumerate(labels)]

    # Two independent passes, one through backward() and one through grad(): they must
    # agree exactly, or the numbers below mean nothing (f is random, or keeps state).
    values, analytic = _backward_pass(f, points, labels, fn)
    values_again, analytic_again = _grad_pass(f, points, labels, fn)
    differ = []
    for k, row in enumerate(analytic):
        for i, first in enumerate(row):
            second = analytic_again[k][i]
            if not _same(first, second) or not _same(values[k], values_again[k]):
                error = abs(first - second)
                differ.append(Entry(output_name(k), input_names[i], second, first, error, 0, False))
    if differ:
        message = (
            f"{fn}: two backward passes at the same inputs differ, so f is not deterministic "
            "(random numbers, or state kept between calls?); gradcheck needs the same f every "
            "call.\n" + _table(differ, ("second pass", "first pass"))
        )
        return _fail(message, differ, raise_exception)

    entries = []
    numeric = _central_differences(f, points, labels, eps, len(values), fn)
    for k, row in enumerate(analytic):
        for i, a in enumerate(row):
            num = numeric[i][k]
            error = abs(a - num)
            allowed = atol + rtol * abs(num)
            ok = error <= allowed or a == num  # a == num: equal infinities pass
            entries.append(Entry(output_name(k), input_names[i], num, a, error, allowed, ok))
    wrong = [e for e in entries if not e.ok]
    if not wrong:
        return True
    if fn == "gradcheck":
        legend = "numeric: (f(x + eps) - f(x - eps)) / 2eps; analytic: from backward()"
    else:
        legend = (
            "output: a first derivative of f, from grad(..., create_graph=True); numeric: its "
            "central difference; analytic: its gradient, from backward()"
        )
    message = (
        f"{fn}: {len(wrong)} of {len(entries)} derivatives differ from central differences "
        f"(eps={eps!r}; allowed error = atol + rtol * |numeric|, atol={atol!r}, rtol={rtol!r})\n"
        + _table(entries)
        + f"\n{legend}, that is from the ops' derivative rules."
    )
    return _fail(message, entries, raise_exception)


def _fail(message: str, entries: list[Entry], raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(message, entries)
    return False


def _check_inputs(inputs: Any, fn: str) -> list[float | Value]:
    if isinstance(inputs, Value) or _is_number(inputs) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"{fn}: inputs must be a list of numbers or Values, got {type(inputs).__name__}; "
            f"for one input write {fn}(f, [x])"
        )
    if not inputs:
        raise ValueError(f"{fn}: inputs is empty; expected at least one number to check at")
    for i, x in enumerate(inputs):
        if not (isinstance(x, Value) or _is_number(x)):
            raise TypeError(
                f"{fn}: inputs[{i}] must be a number or a Value, got {type(x).__name__}: {x!r}"
            )
        if not math.isfinite(float(x)):
            raise ValueError(f"{fn}: inputs[{i}] is {float(x)!r}; expected a finite number")
    return list(inputs)


def _split(inputs: list[float | Value]) -> tuple[list[float], list[str]]:
    points = [float(x) for x in inputs]
    labels = [x.label if isinstance(x, Value) else "" for x in inputs]
    return points, labels


def _outputs(result: Any, fn: str) -> list[Value]:
    outs = [result] if isinstance(result, Value) else result
    if not isinstance(outs, (list, tuple)) or not all(isinstance(o, Value) for o in outs):
        raise TypeError(
            f"{fn}: f must return a Value or a list of Values, got {type(result).__name__}: "
            f"{result!r}"
        )
    if not outs:
        raise ValueError(f"{fn}: f returned no outputs; expected at least one Value")
    return list(outs)


def _call(
    f: Callable[..., Any], points: list[float], labels: list[str], fn: str
) -> tuple[list[Value], list[Value]]:
    leaves = [Value(x, label) for x, label in zip(points, labels, strict=True)]
    return leaves, _outputs(f(*leaves), fn)


def _backward_pass(
    f: Callable[..., Any], points: list[float], labels: list[str], fn: str
) -> tuple[list[float], list[list[float]]]:
    leaves, outs = _call(f, points, labels, fn)
    rows = []
    for out in outs:
        for leaf in leaves:
            leaf.grad = 0.0
        out.backward()
        rows.append([leaf.grad for leaf in leaves])
    return [out.data for out in outs], rows


def _grad_pass(
    f: Callable[..., Any], points: list[float], labels: list[str], fn: str
) -> tuple[list[float], list[list[float]]]:
    leaves, outs = _call(f, points, labels, fn)
    rows = [list(grad(out, leaves, allow_unused=True)) for out in outs]
    return [out.data for out in outs], rows


def _central_differences(
    f: Callable[..., Any],
    points: list[float],
    labels: list[str],
    eps: float,
    n_outputs: int,
    fn: str,
) -> list[list[float]]:
    """numeric[i][k] = d out[k] / d x[i] by a central difference."""
    numeric = []
    for i, x in enumerate(points):
        up, down = x + eps, x - eps
        sides = []
        for moved in (up, down):
            shifted = [*points[:i], moved, *points[i + 1 :]]
            try:
                outs = _call(f, shifted, labels, fn)[1]
            except (ValueError, ZeroDivisionError, OverflowError) as e:
                raise ValueError(
                    f"{fn}: f fails at x[{i}] = {moved!r} (x[{i}] = {x!r} moved by eps = "
                    f"{eps!r}): {e}; check a point further from the edge of f's domain, "
                    "or use a smaller eps"
                ) from e
            if len(outs) != n_outputs:
                raise ValueError(
                    f"{fn}: f returned {len(outs)} outputs at x[{i}] = {moved!r} but "
                    f"{n_outputs} at the inputs given; expected the same number"
                )
            sides.append([out.data for out in outs])
        # The step actually taken, (x + eps) - (x - eps), is not always exactly 2 * eps.
        step = up - down
        numeric.append([(p - m) / step for p, m in zip(sides[0], sides[1], strict=True)])
    return numeric


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


# --- the table ---------------------------------------------------------------------------


def _table(
    entries: Sequence[Entry], value_names: tuple[str, str] = ("numeric", "analytic")
) -> str:
    shown = list(entries)
    note = ""
    if len(shown) > _MAX_ROWS:
        shown = [e for e in entries if not e.ok]
        note = f"\n({len(shown)} failing rows shown of {len(entries)})"
    header = ("output", "input", *value_names, "abs error", "allowed", "")
    rows = [
        (
            e.output,
            e.input,
            f"{e.numeric:.8g}",
            f"{e.analytic:.8g}",
            f"{e.error:.3g}",
            f"{e.allowed:.3g}" if e.allowed else "",
            "" if e.ok else "<- wrong",
        )
        for e in shown
    ]
    widths = [max(len(r[c]) for r in (header, *rows)) for c in range(len(header))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in (header, *rows))
    return "\n".join(line.rstrip() for line in lines) + note
