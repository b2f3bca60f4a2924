"""Batched replay of a tape with NumPy: one array operation per node for a whole batch.

Each traced input becomes a 1-D array of examples; parameters stay scalars. A slot that
depends on some input holds one number per example; a slot computed from parameters and
constants only holds a plain float, computed once (with the float templates). Gradients of
per-example slots are arrays; where one flows into a parameter-only slot it is summed over
the batch on the spot (the chain rule is linear, so summing early or late is the same), so
parameter gradients come out already summed, as a sum loss needs.

The source is generated from the closed template table below (keyed by the engine's own
rules; see ``autograd.tape_codegen``); a rule without a template is applied example by
example through its own ``forward`` and ``derivative`` functions. NumPy's ``exp``, ``log``
and ``tanh`` may differ from the ``math`` module's in the last bit, so batched results
agree with the eager engine to rounding, not bit for bit; domain errors give nan or inf
per example instead of raising.

NumPy is the ``fast`` extra: ``pip install 'chainrule[fast]'``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import rules as r
from . import tape_codegen as cg
from .tape_codegen import Template, literal

if TYPE_CHECKING:
    from .tape import Tape

__all__ = ["NUMPY_TEMPLATES", "backend", "namespace", "run"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "batched tape replay needs numpy: pip install 'chainrule[fast]'"
        ) from None
    return numpy


NUMPY_TEMPLATES: dict[r.Rule, Template] = {
    r.ADD: Template("{0} + {1}", ("1.0", "1.0")),
    r.SUB: Template("{0} - {1}", ("1.0", "-1.0")),
    r.MUL: Template("{0} * {1}", ("{1}", "{0}")),
    r.DIV: Template("{0} / {1}", ("1.0 / {1}", "-{o} / {1}")),
    r.NEG: Template("-{0}", ("-1.0",)),
    r.EXP: Template("np.exp({0})", ("{o}",)),
    r.LOG: Template("np.log({0})", ("1.0 / {0}",)),
    r.SQRT: Template("np.sqrt({0})", ("0.5 * (1.0 / {o})",)),
    r.TANH: Template("np.tanh({0})", ("1.0 - {o} * {o}",)),
    r.SIGMOID: Template("sigmoid({0})", ("{o} * (1.0 - {o})",)),
    r.RELU: Template("np.maximum({0}, 0.0)", ("{0} > 0",)),
    r.SOFTPLUS: Template("softplus({0})", ("sigmoid({0})",)),
    r.SIN: Template("np.sin({0})", ("np.cos({0})",)),
    r.COS: Template("np.cos({0})", ("-np.sin({0})",)),
    r.ABS: Template("np.abs({0})", ("np.sign({0})",)),
}


def _template(rule: r.Rule, batched: bool) -> Template | None:
    if not batched:
        return cg.float_template(rule)  # parameter-only slots are plain floats
    found = NUMPY_TEMPLATES.get(rule)
    if found is not None:
        return found
    k = cg.constant_exponent(rule)
    if k is not None:
        if k == 0:
            return Template("np.ones_like({0})", ("0.0",))
        return Template(f"{{0}} ** {literal(k)}", (f"{literal(k)} * {{0}} ** {literal(k - 1)}",))
    s = cg.leaky_slope(rule)
    if s is not None:
        return Template(
            f"np.where({{0}} > 0, {{0}}, {literal(s)} * {{0}})",
            (f"np.where({{0}} > 0, 1.0, {literal(s)})",),
        )
    return None


def _add(target: str, g: str, local: str, first: bool, reduce: bool, local_batched: bool) -> str:
    """Add ``g * local`` to ``target``; never in place, since gradient arrays are shared
    (an add passes its gradient array on to both parents unchanged)."""
    if reduce:
        # A per-example gradient reaching a parameter-only slot: sum it over the batch.
        if local_batched:
            term = f"dot({g}, {local})"
        elif local in ("1.0", "-1.0"):
            term = f"{'-' if local == '-1.0' else ''}total({g})"
        else:
            term = f"({local}) * total({g})"
    elif local == "1.0":
        term = g
    elif local == "-1.0":
        term = f"-{g}"
    else:
        term = f"{g} * ({local})"
    return f"{target} = {term}" if first else f"{target} = {target} + {term}"


def backend(program: cg.Program) -> cg.Backend:
    """The batched backend for ``program``: which slots are per-example, and how to add."""
    first_const = program.n_inputs + program.n_params
    first_op = first_const + len(program.constants)
    batched = [i < program.n_inputs for i in range(first_op)]
    for _, parents in program.ops:
        batched.append(any(batched[p] for p in parents))
    return cg.Backend(
        template=_template,
        call=lambda fname, args, b: f"each({fname}, _n, {args})" if b else f"{fname}({args})",
        batched=batched.__getitem__,
        add=_add,
        seed=lambda b: "np.ones(_n)" if b else "float(_n)",
        zero=lambda slot: "np.zeros(_n)" if slot < program.n_inputs else "0.0",
    )


def _each(fn: Callable, n: int, *args: Any) -> Any:
    """Apply a float function example by example (for rules without a NumPy template).

    Returns an array, or a tuple of arrays when ``fn`` returns tuples (a derivative).
    """
    np = _numpy()
    columns = [a.tolist() if isinstance(a, np.ndarray) else [a] * n for a in args]
    results = [fn(*row) for row in zip(*columns, strict=True)]
    if results and isinstance(results[0], tuple):
        return tuple(np.array([float(x) for x in col]) for col in zip(*results, strict=True))
    return np.array([float(x) for x in results])


def namespace() -> dict[str, Any]:
    """The names batched templates use (NumPy and a few stable helpers)."""
    np = _numpy()

    def sigmoid(x: Any) -> Any:
        # The eager rule's two branches at once: exp never overflows.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def softplus(x: Any) -> Any:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))

    return {
        **cg.float_namespace(),
        "np": np,
        "dot": np.dot,
        "total": np.add.reduce,
        "each": _each,
        "sigmoid": sigmoid,
        "softplus": softplus,
    }


def _arrays(where: str, expected: int, given: Sequence[Any]) -> tuple[list[Any], int]:
    np = _numpy()
    if len(given) != expected:
        raise ValueError(
            f"{where}: the tape was traced with {expected} input(s), got {len(given)}; "
            "trace again to change the number of inputs"
        )
    if expected == 0:
        raise ValueError(f"{where}: the tape has no inputs to batch over; use the float replay")
    arrays = []
    for i, x in enumerate(given):
        a = np.asarray(x, dtype=np.float64)
        if a.ndim != 1:
            raise ValueError(
                f"{where}: input {i} must be 1-D (one number per example), got shape {a.shape}"
            )
        if a.shape != arrays[0].shape if arrays else False:
            raise ValueError(
                f"{where}: input {i} has {a.shape[0]} examples, input 0 has {arrays[0].shape[0]}"
            )
        arrays.append(a)
    return arrays, arrays[0].shape[0]


def run(tape: Tape, inputs: Sequence[Any], grad: bool) -> Any:
    """Replay ``tape`` on a batch (``Tape.batch`` and ``Tape.batch_value_and_grad``)."""
    np = _numpy()
    where = "batch_value_and_grad" if grad else "batch"
    arrays, n = _arrays(where, tape.num_inputs, inputs)
    fn = tape._function(grad, True)
    params = tuple([p.data for p in tape.params])
    with np.errstate(all="ignore"):
        result = fn(*arrays, params, n)
    if grad:
        value, grads = result
        k = tape.num_inputs
        return _per_example(np, value, n), (*grads[:k], *[float(g) for g in grads[k:]])
    outs = tuple(_per_example(np, v, n) for v in result)
    return outs if tape.multi_output else outs[0]


def _per_example(np: Any, value: Any, n: int) -> Any:
    # An output that depends on no input is one number: give it to every example.
    return value if isinstance(value, np.ndarray) else np.full(n, float(value))
