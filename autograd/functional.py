"""Forward mode, Jacobians and Hessians: derivatives of functions, not of graphs.

Reverse mode (``grad``) sweeps a graph once per *output* and gives d(output)/d(every
input). Forward mode sweeps it once per *input direction* and gives d(every output) in
that direction: a Jacobian-vector product, ``jvp``. So for one output and many inputs
reverse mode wins, and for one input and many outputs forward mode does.

Forward mode here uses the very rules reverse mode uses, with no second table: ``f`` runs
on ``Value``s once, and then one pass over the graph in topological order (parents
first) gives each node its tangent, the sum over its parents of
d(node)/d(parent) * tangent(parent). The local derivatives are the floats the forward
pass stored; with ``create_graph=True`` the rule's derivative is re-run on ``Value``s
instead, so the tangent is itself a graph and can be differentiated again (by ``jvp`` or
by ``grad``), to any order the rules allow.

Every function here takes ``f`` with one ``Value`` per input, as ``f(x, y)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

from ._numbers import is_number
from .backward import grad
from .grad_mode import is_recording
from .value import Value

__all__ = ["hessian", "hvp", "jacobian", "jvp", "value_and_grad"]

Function = Callable[..., Any]


def jvp(
    f: Function,
    inputs: Sequence[Value | float],
    tangents: Sequence[Value | float],
    create_graph: bool = False,
) -> tuple[Any, Any]:
    """f's value and its derivative in the direction ``tangents``, by forward mode.

    One run of ``f`` and one forward sweep, however many outputs ``f`` has.

    Args:
        f: takes one ``Value`` per input; returns a ``Value`` or a list of ``Value``s.
        inputs: the point, one number (or ``Value``) per argument of ``f``. A ``Value`` is
            passed to ``f`` as it is, so ``jvp`` can run inside ``grad`` or another ``jvp``.
        tangents: the direction, one number per input (``Value``s with ``create_graph``).
        create_graph: if False, the results are floats; if True, they are ``Value``s
            whose graph can be differentiated again (to any order): pass the inputs
            as ``Value``s to differentiate with respect to them.

    Returns:
        ``(value, derivative)``: floats, or lists of floats if ``f`` returns a list
        (``Value``s with ``create_graph=True``).

    Example:
        >>> jvp(lambda x, y: x * y, [3.0, 4.0], [1.0, 0.0])  # d(xy)/dx = y
        (12.0, 4.0)
        >>> jvp(lambda x: [x**2, x**3], [2.0], [1.0])
        ([4.0, 8.0], [4.0, 12.0])
        >>> # the second derivative of x**3 at 2 (6x): jvp of a jvp
        >>> jvp(lambda x: jvp(lambda t: t**3, [x], [1.0], create_graph=True)[1], [2.0], [1.0])
        (12.0, 12.0)
    """
    _check_function("jvp", f)
    xs = _as_inputs("jvp", inputs, allow_values=True)
    if isinstance(tangents, Value) or not isinstance(tangents, Sequence):
        raise TypeError(
            f"jvp: tangents must be a list with one number per input, got "
            f"{type(tangents).__name__}; for one input write jvp(f, [x], [t])"
        )
    if len(tangents) != len(xs):
        raise ValueError(
            f"jvp: got {len(xs)} inputs but {len(tangents)} tangents; "
            "expected one tangent per input"
        )
    for i, t in enumerate(tangents):
        if not is_number(t) and not (create_graph and isinstance(t, Value)):
            wanted = "a number or a Value" if create_graph else "a number"
            raise TypeError(f"jvp: tangents[{i}] must be {wanted}, got {type(t).__name__}")
    _check_recording("jvp")
    outputs, many = _outputs("jvp", f(*xs))
    seeds: dict[Value, Any] = {}
    for i, (x, t) in enumerate(zip(xs, tangents)):
        if x in seeds:
            # One node cannot carry two tangents: f(a, b) = a * b at a = b = x would
            # count each edge's tangent twice.
            first = next(k for k, y in enumerate(xs) if y is x)
            raise ValueError(
                f"jvp: inputs[{first}] and inputs[{i}] are the same Value; pass each Value "
                "once (or pass numbers)"
            )
        seeds[x] = t if create_graph else float(t)
    found = _push(_order(outputs), seeds, create_graph)
    derivative = [found.get(y, 0.0) for y in outputs]
    if create_graph:
        values: list[Any] = outputs
        derivative = [d if isinstance(d, Value) else Value(d) for d in derivative]
    else:
        values = [y.data for y in outputs]
    return (values, derivative) if many else (values[0], derivative[0])


def value_and_grad(f: Function) -> Callable[..., tuple[float, tuple[float, ...]]]:
    """A function of numbers giving f's value and its gradient, in one reverse sweep.

    Args:
        f: takes one ``Value`` per input and returns one ``Value``.

    Returns:
        A function taking the same arguments as ``f``, as numbers, and returning
        ``(value, gradients)``: a float and a tuple with one float per argument.

    Example:
        >>> loss_and_slopes = value_and_grad(lambda x, y: x * x * y)
        >>> loss_and_slopes(3.0, 2.0)
        (18.0, (12.0, 9.0))
    """
    _check_function("value_and_grad", f)

    def value_and_grad_of_f(*inputs: float) -> tuple[float, tuple[float, ...]]:
        xs = _as_inputs("value_and_grad", inputs)
        _check_recording("value_and_grad")
        out = _one_output("value_and_grad", f(*xs))
        return out.data, grad(out, xs, allow_unused=True)

    return value_and_grad_of_f


def jacobian(
    f: Function,
    inputs: Sequence[float],
    mode: Literal["auto", "forward", "reverse"] = "auto",
) -> list[list[float]]:
    """The matrix of first derivatives: row i, column j holds d output_i / d input_j.

    Args:
        f: takes one ``Value`` per input; returns a ``Value`` or a list of ``Value``s.
        inputs: the point, one number per argument of ``f``.
        mode: ``"forward"`` sweeps once per input (a ``jvp`` per column), ``"reverse"``
            once per output (a ``grad`` per row); ``"auto"`` takes whichever needs fewer
            sweeps (reverse mode on a tie). They give the same numbers up to rounding
            (the products along a path are taken in the other order).

    Returns:
        A list with one row per output, each a list of floats with one entry per input
        (one row if ``f`` returns a single ``Value``).

    Example:
        >>> jacobian(lambda x, y: [x * y, x + y, x**2], [3.0, 4.0])
        [[4.0, 3.0], [1.0, 1.0], [6.0, 0.0]]
    """
    _check_function("jacobian", f)
    if mode not in ("auto", "forward", "reverse"):
        raise ValueError(f"jacobian: mode must be 'auto', 'forward' or 'reverse', got {mode!r}")
    xs = _as_inputs("jacobian", inputs)
    _check_recording("jacobian")
    outputs, _ = _outputs("jacobian", f(*xs))
    if mode == "forward" or (mode == "auto" and len(xs) < len(outputs)):
        return _columns_to_rows(_forward_columns(outputs, xs))
    return [list(grad(y, xs, allow_unused=True)) for y in outputs]


def hessian(f: Function, inputs: Sequence[float]) -> list[list[float]]:
    """The matrix of second derivatives: row i, column j holds d2 f / d input_i d input_j.

    Forward over reverse: one reverse sweep builds the gradient as a graph
    (``create_graph=True``), then one forward sweep per input differentiates it.

    Args:
        f: takes one ``Value`` per input and returns one ``Value``.
        inputs: the point, one number per argument of ``f``.

    Returns:
        A list of rows, each a list of floats with one entry per input.

    Example:
        >>> hessian(lambda x, y: x**3 * y, [2.0, 5.0])  # [[6xy, 3x**2], [3x**2, 0]]
        [[60.0, 12.0], [12.0, 0.0]]
    """
    _check_function("hessian", f)
    xs = _as_inputs("hessian", inputs)
    _check_recording("hessian")
    out = _one_output("hessian", f(*xs))
    gradient = list(grad(out, xs, create_graph=True, allow_unused=True))
    return _columns_to_rows(_forward_columns(gradient, xs))


def hvp(f: Function, inputs: Sequence[float], v: Sequence[float]) -> list[float]:
    """The Hessian of ``f`` times the vector ``v``, without forming the Hessian.

    One reverse sweep builds the gradient as a graph, and one forward sweep takes its
    derivative in the direction ``v`` (a ``jvp`` of the gradient): the cost of about two
    gradients, however many inputs there are.

    Args:
        f: takes one ``Value`` per input and returns one ``Value``.
        inputs: the point, one number per argument of ``f``.
        v: the vector, one number per input.

    Returns:
        A list of floats, one per input: entry i is sum over j of H[i][j] * v[j].

    Example:
        >>> hvp(lambda x, y: x**3 * y, [2.0, 5.0], [1.0, 1.0])  # [60 + 12, 12 + 0]
        [72.0, 12.0]
    """
    _check_function("hvp", f)
    xs = _as_inputs("hvp", inputs)
    if isinstance(v, Value) or not isinstance(v, Sequence):
        raise TypeError(f"hvp: v must be a list with one number per input, got {type(v).__name__}")
    if len(v) != len(xs):
        raise ValueError(
            f"hvp: v has {len(v)} entries for {len(xs)} inputs; expected one per input"
        )
    for i, vi in enumerate(v):
        if not is_number(vi):
            raise TypeError(f"hvp: v[{i}] must be a number, got {type(vi).__name__}")
    _check_recording("hvp")
    out = _one_output("hvp", f(*xs))
    gradient = list(grad(out, xs, create_graph=True, allow_unused=True))
    found = _push(_order(gradient), {x: float(vi) for x, vi in zip(xs, v)}, False)
    return [float(found.get(g, 0.0)) for g in gradient]


# --- the forward sweep -------------------------------------------------------------------


def _push(order: list[Value], seeds: dict[Value, Any], create_graph: bool) -> dict[Value, Any]:
    """Every node's tangent, parents first: the chain rule in forward order.

    A node without a tangent (no path from a seeded input) is left out rather than given
    0, so the sweep does no work off the paths that matter. ``seeds`` keep their tangents
    even if they were computed from other nodes (an interior ``Value`` passed as input).
    """
    tangents = dict(seeds)
    for node in order:
        parents = node.parents
        if not parents or node in seeds:
            continue
        if not any(p in tangents for p in parents):
            continue
        rule = node.rule
        assert rule is not None  # a node with parents always has its rule
        local = rule.derivative(node, *parents) if create_graph else node.local_grads
        total: Any = None
        for parent, d in zip(parents, local, strict=True):
            t = tangents.get(parent)
            if t is None or (rule.masks and type(d) is float and d == 0.0):
                continue  # relu's inactive side passes exactly 0, even a nan (as grad does)
            total = d * t if total is None else total + d * t
        if total is not None:
            tangents[node] = total
    return tangents


def _order(outputs: Sequence[Value]) -> list[Value]:
    """Every node the outputs depend on, each once, parents before children.

    ``topological_order`` takes one root, and calling it once per output walks shared
    nodes again for each: on a chain whose every step is an output, that made forward
    mode quadratic (a chain of 100 tanh steps, all outputs: jvp took 4.3 ms that way,
    0.8 ms with this walk). So this walk takes all the outputs at once: depth-first,
    with an explicit stack, no recursion.
    """
    order: list[Value] = []
    seen: set[Value] = set()
    for root in outputs:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.parents))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in seen:
                    seen.add(parent)
                    stack.append((parent, iter(parent.parents)))
                    break
            else:
                order.append(node)
                stack.pop()
    return order


def _forward_columns(outputs: Sequence[Value], xs: Sequence[Value]) -> list[list[float]]:
    """One forward sweep per input: column j holds d output_i / d xs[j]."""
    order = _order(outputs)
    columns = []
    for x in xs:
        found = _push(order, {x: 1.0}, False)
        columns.append([float(found.get(y, 0.0)) for y in outputs])
    return columns


def _columns_to_rows(columns: list[list[float]]) -> list[list[float]]:
    return [list(row) for row in zip(*columns)] if columns else []


# --- checking what the user passed ------------------------------------------------------


def _check_function(fn: str, f: object) -> None:
    if not callable(f):
        raise TypeError(f"{fn}: f must be a function, got {type(f).__name__}: {f!r}")


def _check_recording(fn: str) -> None:
    # Inside no_grad, f's graph is not recorded and every derivative would be a silent 0.
    if not is_recording():
        raise RuntimeError(
            f"{fn}: called inside no_grad(), where f's graph is not recorded and every "
            "derivative would be 0; call it outside the no_grad block"
        )


def _as_inputs(fn: str, inputs: object, allow_values: bool = False) -> list[Value]:
    """The inputs as Values to pass to f: numbers become fresh leaves."""
    if isinstance(inputs, Value) or is_number(inputs) or not isinstance(inputs, Sequence):
        raise TypeError(
            f"{fn}: inputs must be a list of numbers, got {type(inputs).__name__}; "
            f"for one input write {fn}(f, [x], ...)"
        )
    xs = []
    for i, x in enumerate(inputs):
        if allow_values and isinstance(x, Value):
            xs.append(x)
        elif is_number(x):
            xs.append(Value(x))
        else:
            wanted = "a number or a Value" if allow_values else "a number"
            raise TypeError(f"{fn}: inputs[{i}] must be {wanted}, got {type(x).__name__}: {x!r}")
    return xs


def _outputs(fn: str, result: object) -> tuple[list[Value], bool]:
    """f's outputs as a list, and whether f returned a list (rather than one Value)."""
    if isinstance(result, Value):
        return [result], False
    if isinstance(result, (list, tuple)):
        if not result:
            raise ValueError(
                f"{fn}: f returned an empty {type(result).__name__}; "
                "expected a Value or a list of Values"
            )
        for i, y in enumerate(result):
            if not isinstance(y, Value):
                raise TypeError(
                    f"{fn}: f returned a {type(y).__name__} as output {i}; every output must "
                    "be a Value computed from f's arguments"
                )
        return list(result), True
    raise TypeError(f"{fn}: f must return a Value or a list of Values, got {type(result).__name__}")


def _one_output(fn: str, result: object) -> Value:
    outputs, many = _outputs(fn, result)
    if many:
        raise ValueError(
            f"{fn}: f returned {len(outputs)} output{'s' if len(outputs) != 1 else ''} in a "
            f"list; it must return one Value "
            "(reduce them to a scalar with autograd.total, or use jacobian)"
        )
    return outputs[0]
