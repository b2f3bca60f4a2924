"""Compiled tapes: trace a function of ``Value``s once, replay it on plain numbers.

An eager scalar engine spends most of its time creating node objects, and a training loop
rebuilds the same graph every step. ``trace(f, *example_inputs, params=...)`` runs ``f``
once on ``Value``s, records the graph's shape, and turns it into straight-line Python:
one statement per node, then the reverse sweep, compiled once with ``compile()``. Replays
then cost about what hand-written float code costs, with no ``Value`` created.

Why generating code is safe here: the source is derived from the rules' own formulas
(``autograd.tape.codegen``; each formula is checked to use only arithmetic, tests and
the table's functions), from names the generator makes and from numbers printed with
``repr``; labels, rule names and any other user text never reach ``compile``. A rule
without formulas (a user's custom primitive) is called through its own ``forward`` and
``derivative`` functions instead. The batched replay (``autograd.tape.batched``, NumPy)
evaluates the rules' array formulas over groups of nodes.

Float replay repeats the eager engine's float operations in the same order, with the
same functions, so its values and gradients are the eager engine's, bit for bit.

What the tape sees, like ``jax.jit``:

* The leaves made from ``example_inputs`` are the tape's inputs: pass new numbers on
  each call. The ``Value``s in ``params`` (model parameters) are read fresh (their
  ``.data``) on every call, so an optimizer's updates are seen. Every other leaf, such as
  the ``1`` in ``1 + x`` or a ``Value`` made outside ``f``, is baked in as a constant.
* Python control flow on ``.data`` (``if x.data > 0:``, ``max(x, y)``, ``float(x)``) is
  frozen at trace time: the tape replays the branch taken for the example inputs. Ops
  that branch inside their rule (``relu``, ``abs``, ``leaky_relu``) are fine, because the
  rule's branch is evaluated again at each replay. ``Tape.check(*inputs)`` traces again
  at new inputs and raises if the graph differs, which catches the frozen branch.
* Domain errors raise the eager engine's own errors. Float replay never returns a complex
  number (``x ** 0.5`` checks its base as ``Value.__pow__`` does); when a replay raises
  (``log`` of a negative number, ``1 / 0``), ``f`` is run eagerly once at the same inputs
  so that the engine raises its message, naming the op, the value and the input's label
  (chained to the replay's error). If the eager run does not raise (``f`` has changed
  since it was traced), the replay's error is raised as it is. Both replays test each
  op's domain (``Rule.domain``: ``log``, ``sqrt``, ``/``, powers that may leave the
  reals) before running it; batched replay raises the engine's error naming the op, the
  first offending batch index and the value.

Example:
    >>> from autograd import Value, trace
    >>> w = Value(3.0)
    >>> tape = trace(lambda x, y: w * x * x + y.tanh(), 2.0, 0.0, params=[w])
    >>> tape.value_and_grad(1.0, 0.0)  # d/dx, d/dy, then d/dw
    (3.0, (6.0, 1.0, 1.0))
    >>> w.data = 5.0  # parameters are read on every call
    >>> tape(2.0, 0.0)
    20.0
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .._collector import collector_paused
from .._numbers import to_float as _to_float
from ..anomaly import active_detector
from ..backward import grad as backward_grad
from ..backward import topological_order
from ..grad_mode import is_recording
from ..rules import Rule
from ..value import Value
from . import codegen as cg

__all__ = ["Tape", "trace"]


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_values(result: Any, what: str) -> list[Value]:
    """A Value, a number or a non-empty sequence of them, as a list of Values."""
    items = result if isinstance(result, (list, tuple)) else [result]
    if not items:
        raise TypeError(f"trace: {what} is an empty sequence; expected Values or numbers")
    values = []
    for i, item in enumerate(items):
        if not isinstance(item, Value) and not _is_real(item):
            where = f"item {i} of {what}" if isinstance(result, (list, tuple)) else what
            raise TypeError(
                f"trace: {where} is a {type(item).__name__}; expected a Value, a number, "
                "or a non-empty list of them"
            )
        values.append(item if isinstance(item, Value) else Value(item))
    return values


def _as_outputs(result: Any, has_aux: bool) -> tuple[list[Value], str]:
    """f's result as a list of Values, and how to hand replays back (see Tape._shape)."""
    if has_aux:
        if not isinstance(result, (list, tuple)) or len(result) != 2:
            raise TypeError(
                "trace: with has_aux=True, f must return a pair (output, aux), "
                f"got {type(result).__name__}"
            )
        output, aux = result
        if isinstance(output, (list, tuple)):
            raise TypeError("trace: with has_aux=True, the output must be one Value (a scalar)")
        kind = "auxes" if isinstance(aux, (list, tuple)) else "aux"
        return [*_as_values(output, "the output"), *_as_values(aux, "aux")], kind
    values = _as_values(result, "f's result")
    return values, ("several" if isinstance(result, (list, tuple)) else "one")


def _record(
    outputs: Sequence[Value], inputs: Sequence[Value], params: Sequence[Value]
) -> cg.Program:
    """The program computing ``outputs`` from the ``inputs`` and ``params`` leaves."""
    with collector_paused():
        return _record_graph(outputs, inputs, params)


def _record_graph(
    outputs: Sequence[Value], inputs: Sequence[Value], params: Sequence[Value]
) -> cg.Program:
    leaves = [*inputs, *params]
    seen: set[Value] = set(leaves)
    # A node that depends on no input or parameter is a constant: its value at trace time.
    varying: set[Value] = set(leaves)
    constants: list[Value] = []
    ops: list[tuple[Value, tuple[Value, ...]]] = []
    # One pass, with set operations rather than a loop per parent: a 2-256-256-1 MLP
    # written with + and * records 133,000 nodes, and tracing it is budgeted in seconds.
    for out in outputs:
        for node in topological_order(out):
            if node in seen:
                continue
            seen.add(node)
            parents = node.parents
            if varying.isdisjoint(parents):
                constants.append(node)
            else:
                varying.add(node)
                ops.append((node, parents))
    slot = {node: i for i, node in enumerate([*leaves, *constants, *(n for n, _ in ops)])}
    at = slot.__getitem__
    return cg.Program(
        n_inputs=len(inputs),
        n_params=len(params),
        constants=tuple(node.data for node in constants),
        ops=tuple((_rule_of(node), tuple(map(at, parents))) for node, parents in ops),
        outputs=tuple(slot[o] for o in outputs),
    )


def _rule_of(node: Value) -> Rule:
    rule = node.rule
    if rule is None:  # never: a node with parents was made by its rule
        raise TypeError(f"trace: node {node!r} has parents but no rule")
    return rule


def _same_program(a: cg.Program, b: cg.Program) -> bool:
    # Rules compare with == (by name and parameter): ``x ** 3`` made again after the
    # rules' cache was cleared is another object but the same op. Constants compare by
    # their bits, so nan equals nan and 0.0 differs from -0.0.
    return (
        len(a.ops) == len(b.ops)
        and all(ra == rb and pa == pb for (ra, pa), (rb, pb) in zip(a.ops, b.ops, strict=True))
        and a.outputs == b.outputs
        and [c.hex() for c in a.constants] == [c.hex() for c in b.constants]
    )


def _check_params(params: Iterable[Value]) -> tuple[Value, ...]:
    if isinstance(params, Value) or not isinstance(params, Iterable):
        raise TypeError(
            f"trace: params must be a list of Values, got {type(params).__name__}; "
            "for one parameter write params=[w]"
        )
    params = tuple(params)
    seen: set[Value] = set()
    for i, p in enumerate(params):
        if not isinstance(p, Value):
            raise TypeError(f"trace: params[{i}] must be a Value, got {type(p).__name__}")
        if p.parents:
            raise ValueError(
                f"trace: params[{i}] was computed by op {p.op!r}; expected a leaf Value "
                "(a parameter whose .data you set)"
            )
        if p in seen:
            raise ValueError(f"trace: params[{i}] appears twice in params")
        seen.add(p)
    return params


def _numbers(where: str, expected: int, given: Sequence[Any]) -> list[float]:
    """The replay inputs as floats, with a clear error for a wrong count or type."""
    if len(given) != expected:
        raise ValueError(
            f"{where}: the tape was traced with {expected} input(s), got {len(given)}; "
            "trace again to change the number of inputs"
        )
    out = []
    for i, x in enumerate(given):
        if type(x) is not float:
            if not _is_real(x):
                raise TypeError(f"{where}: input {i} must be a number, got {type(x).__name__}")
            x = _to_float(x)
        out.append(x)
    return out


def trace(
    f: Callable[..., Any],
    *example_inputs: float,
    params: Iterable[Value] = (),
    has_aux: bool = False,
) -> Tape:
    """Run ``f`` once on ``Value`` inputs and record its graph as a replayable ``Tape``.

    Args:
        f: a function of ``len(example_inputs)`` Values returning a Value (a scalar loss),
            a number, or a list of them (several outputs, forward replay only).
        *example_inputs: numbers to trace at; each becomes a fresh leaf passed to ``f``.
            Python branches on ``.data`` inside ``f`` take the path these inputs pick.
        params: leaf Values that ``f`` uses and whose ``.data`` may change between calls
            (model parameters). They are read on every replay and get gradients too.
        has_aux: ``f`` returns ``(output, aux)``: gradients are of ``output``, and ``aux``
            (a Value or a list of them, such as the predictions) rides along, as with
            ``jax.value_and_grad(..., has_aux=True)``.

    Returns:
        The ``Tape``. Tracing costs one eager evaluation; compiling happens on first use.

    Example:
        >>> from autograd import trace
        >>> tape = trace(lambda x: x * x + 1, 3.0)
        >>> tape.value_and_grad(4.0)
        (17.0, (8.0,))
        >>> tape = trace(lambda x: (x * x, [2 * x]), 3.0, has_aux=True)
        >>> tape.value_and_grad(4.0)
        ((16.0, [8.0]), (8.0,))
    """
    if not callable(f):
        raise TypeError(f"trace: f must be callable, got {type(f).__name__}")
    if not is_recording():
        raise RuntimeError("trace: called inside no_grad(), where ops record no graph")
    xs = [
        Value(x, label=f"x{i}")
        for i, x in enumerate(_numbers("trace", len(example_inputs), example_inputs))
    ]
    params = _check_params(params)
    outputs, shape = _as_outputs(f(*xs), has_aux)
    return Tape(f, _record(outputs, xs, params), params, shape)


class Tape:
    """A traced graph, replayable on new input numbers without building ``Value``s.

    Made by ``trace``. Calling it gives the output(s); ``value_and_grad`` also gives the
    gradients of the (scalar) output with respect to every input then every parameter.
    ``batch`` and ``batch_value_and_grad`` replay it on NumPy arrays of examples.

    Attributes:
        f: the traced function (``check`` traces it again).
        params: the parameters, read on every replay.
        program: what was recorded: constants, and each op's rule and operands.

    Example:
        >>> from autograd import trace
        >>> tape = trace(lambda x, y: [x * y, x + y], 2.0, 3.0)
        >>> tape(4.0, 5.0)
        (20.0, 9.0)
    """

    def __init__(
        self, f: Callable[..., Any], program: cg.Program, params: tuple[Value, ...], shape: str
    ):
        self.f = f
        self.program = program
        self.params = params
        # How the outputs are handed back: "one" value, "several", or an output with
        # "aux" (one Value) or "auxes" (a list).
        self._shape_kind = shape
        self._compiled: dict[bool, Callable[..., Any]] = {}
        self._plan: Any = None  # the batched replay's plan, made on first use

    def _shape(self, outputs: Sequence[Any]) -> Any:
        """The outputs arranged as ``f`` returned them."""
        kind = self._shape_kind
        if kind == "one":
            return outputs[0]
        if kind == "several":
            return tuple(outputs)
        return outputs[0], (outputs[1] if kind == "aux" else list(outputs[1:]))

    @property
    def num_inputs(self) -> int:
        """How many numbers each replay takes."""
        return self.program.n_inputs

    def __len__(self) -> int:
        """The number of ops replayed (constants and leaves not counted)."""
        return len(self.program.ops)

    def __repr__(self) -> str:
        return (
            f"Tape({len(self)} ops, {self.num_inputs} inputs, {len(self.params)} params, "
            f"{len(self.program.outputs)} output{'' if len(self.program.outputs) == 1 else 's'})"
        )

    # --- float replay ---------------------------------------------------------------------

    def source(self, grad: bool = True) -> str:
        """The generated Python source of the float replay, for reading and debugging.

        Args:
            grad: the forward and reverse sweep (True) or the forward pass only.

        Example:
            >>> from autograd import trace
            >>> print(trace(lambda x: x * x, 1.0).source(), end="")
            def value_and_grad(v0, P):
                v1 = v0 * v0
                g1 = 1.0
                g0 = g1 * v0
                g0 += g1 * v0
                return (v1, ), (g0, )
        """
        return self._generate(grad)[0]

    def _generate(self, grad: bool) -> tuple[str, dict[str, Any]]:
        name = "value_and_grad" if grad else "forward"
        source, names = cg.generate(self.program, grad, name)
        return source, {**cg.float_namespace(), **names}

    def _check_differentiable(self, where: str) -> None:
        if self._shape_kind == "several":
            raise ValueError(
                f"{where}: the tape has {len(self.program.outputs)} outputs; gradients need "
                "one scalar output: trace a function that reduces them (for example their "
                "sum), or return (output, others) with has_aux=True"
            )

    def _function(self, grad: bool) -> Callable[..., Any]:
        fn = self._compiled.get(grad)
        if fn is None:
            if grad:
                self._check_differentiable("value_and_grad")
            source, names = self._generate(grad)
            name = "value_and_grad" if grad else "forward"
            fn = self._compiled[grad] = cg.compile_program(source, names, name)
        return fn

    def _batch_plan(self) -> Any:
        if self._plan is None:
            from .batched import Plan

            self._plan = Plan(self.program)
        return self._plan

    def _replay(self, grad: bool, xs: list[float]) -> Any:
        params = tuple([p.data for p in self.params])
        if active_detector() is not None:
            self._run_eagerly(xs, grad)  # inside detect_anomaly: the engine's own checks
        try:
            return self._function(grad)(*xs, params)
        except (ArithmeticError, ValueError, TypeError) as error:
            # TypeError: a custom primitive's forward returned a non-number; the eager
            # engine's check says which op and what it returned.
            self._raise_eager_error(xs, error)
            raise

    def _run_eagerly(self, xs: list[float], grad: bool) -> None:
        """Run ``f`` eagerly at ``xs`` (and its backward pass, for a gradient replay), so
        that inside ``detect_anomaly()`` a replay raises where the eager engine does: the
        replay itself sees numbers only and would hand a nan back without a word."""
        leaves = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
        outputs, _ = _as_outputs(self.f(*leaves), self._shape_kind in ("aux", "auxes"))
        if grad:
            backward_grad(outputs[0], [*leaves, *self.params], allow_unused=True)

    def _raise_eager_error(self, xs: list[float], error: Exception) -> None:
        """Run ``f`` eagerly at ``xs`` and raise the engine's own error, if it raises one.

        The replay's error is the rule's, without labels (it sees numbers only), or one
        from Python itself (an intermediate overflow in ``fsum``); the engine's names the
        op, the value and the input's label (``x0``, ``x1``... as in ``trace``).
        Errors are the rare path, so running ``f`` once more costs nothing that matters.
        """
        try:
            self.f(*[Value(x, label=f"x{i}") for i, x in enumerate(xs)])
        except (ArithmeticError, ValueError, TypeError) as eager:
            if hasattr(eager, "add_note"):  # Python >= 3.11
                eager.add_note(
                    "(raised by running the traced function eagerly at these inputs, after "
                    f"the tape's replay failed with {type(error).__name__}: {error})"
                )
            raise eager from error

    def compile(self) -> Tape:
        """Generate and compile the float replay now rather than on first call; returns self."""
        self._function(False)
        if self._shape_kind != "several":
            self._function(True)
        return self

    # The results below are Any where their shape is f's: a float, a tuple of floats if f
    # returned several outputs, (output, aux) with has_aux; a union of all of those would
    # make every use an error for a type checker.
    def __call__(self, *inputs: float) -> Any:
        """The output for new input numbers (a tuple if ``f`` returned several).

        Example:
            >>> from autograd import trace
            >>> trace(lambda x: 2 * x, 1.0)(5.0)
            10.0
        """
        return self._shape(self._replay(False, _numbers("Tape", self.num_inputs, inputs)))

    def value_and_grad(self, *inputs: float) -> tuple[Any, tuple[float, ...]]:
        """The output and its gradients for new input numbers.

        Args:
            *inputs: one number per traced input.

        Returns:
            ``(value, grads)``: ``grads`` has d(value)/d(input) for each input, then
            d(value)/d(param) for each parameter, in the order given to ``trace``. They
            equal the eager engine's (same operations in the same order). With
            ``has_aux``, ``value`` is the pair ``(value, aux)``.

        Example:
            >>> from autograd import trace
            >>> tape = trace(lambda x, y: x / y, 1.0, 2.0)
            >>> tape.value_and_grad(3.0, 4.0)
            (0.75, (0.25, -0.1875))
        """
        outputs, grads = self._replay(True, _numbers("value_and_grad", self.num_inputs, inputs))
        return self._shape(outputs), grads

    def backward(self, *inputs: float) -> Any:
        """Replay at ``inputs`` and add the parameters' gradients to their ``.grad``.

        What ``loss.backward()`` does for the parameters in eager mode (inputs, having no
        ``Value``, get none). Returns the output (``(output, aux)`` with ``has_aux``).

        Example:
            >>> from autograd import Value, trace
            >>> w = Value(2.0)
            >>> tape = trace(lambda x: w * x, 1.0, params=[w])
            >>> tape.backward(3.0), w.grad
            (6.0, 3.0)
        """
        value, grads = self.value_and_grad(*inputs)
        for p, g in zip(self.params, grads[self.program.n_inputs :], strict=True):
            p.grad += g
        return value

    def check(self, *inputs: float) -> None:
        """Trace ``f`` again at ``inputs`` and raise if the graph differs from this tape.

        The graph differs when ``f`` branches on ``.data`` (or turns a ``Value`` into a
        number) and these inputs take another path: the tape would silently replay the
        old one. Use it in tests, or on a few examples before a long run.

        Raises:
            ValueError: naming what differs.

        Example:
            >>> from autograd import trace
            >>> tape = trace(lambda x: x * x if x.data > 0 else -x, 1.0)
            >>> tape.check(2.0)
            >>> tape.check(-2.0)
            Traceback (most recent call last):
            ...
            ValueError: check: f records a different graph at these inputs than at trace time ...
        """
        xs = [
            Value(x, label=f"x{i}")
            for i, x in enumerate(_numbers("check", self.num_inputs, inputs))
        ]
        outputs, shape = _as_outputs(self.f(*xs), self._shape_kind in ("aux", "auxes"))
        again = _record(outputs, xs, self.params)
        if shape != self._shape_kind or not _same_program(again, self.program):
            raise ValueError(
                "check: f records a different graph at these inputs than at trace time "
                f"({len(again.ops)} ops now, {len(self.program.ops)} traced): Python control "
                "flow on .data, or a number taken from a Value, is frozen into a tape; trace "
                "at these inputs, or write the branch with relu/abs/leaky_relu ops"
            )

    # --- batched replay (NumPy, the `fast` extra) ---------------------------------------

    def batch(self, *inputs: Any) -> Any:
        """The output(s) for a batch: each input a 1-D NumPy array of the same length.

        Returns an array of shape (batch,) per output (a tuple of them for several).

        Raises TypeError for inputs that are not real numbers (complex, bool, strings,
        Values), as the eager engine does, and RuntimeError inside ``detect_anomaly()``:
        a batch cannot say which node of which example made the first nan.

        Example:
            >>> import numpy as np
            >>> from autograd import trace
            >>> trace(lambda x: x * x, 1.0).batch(np.array([1.0, 2.0, 3.0]))
            array([1., 4., 9.])
        """
        from . import batched

        return batched.run(self, inputs, grad=False)

    def batch_value_and_grad(self, *inputs: Any) -> tuple[Any, tuple[Any, ...]]:
        """Outputs and gradients over a batch of examples.

        Args:
            *inputs: one 1-D array (or sequence of numbers) per traced input, all of one
                length ``batch``.

        Returns:
            ``(values, grads)``: ``values`` has shape (batch,); ``grads`` has, for each
            input, the per-example gradients (shape (batch,)), then for each parameter
            the gradient summed over the batch (a float: what a sum loss needs; divide by
            the batch size for a mean).

        Example:
            >>> import numpy as np
            >>> from autograd import Value, trace
            >>> w = Value(2.0)
            >>> tape = trace(lambda x: w * x * x, 1.0, params=[w])
            >>> values, (dx, dw) = tape.batch_value_and_grad(np.array([1.0, 3.0]))
            >>> values, dx, dw
            (array([ 2., 18.]), array([ 4., 12.]), 10.0)
        """
        from . import batched

        result: tuple[Any, tuple[Any, ...]] = batched.run(self, inputs, grad=True)
        return result

    def batch_backward(self, *inputs: Any, scale: float = 1.0) -> Any:
        """Replay on a batch and add ``scale`` times the summed parameter gradients to
        each parameter's ``.grad``; returns the per-example outputs (with ``has_aux``,
        ``(outputs, aux)`` as ``batch_value_and_grad`` gives them).

        With ``scale=1 / batch_size`` this is ``loss.backward()`` for the mean of the
        per-example losses, so an optimizer's ``step()`` can follow as in eager mode.

        Example:
            >>> from autograd import Value, trace
            >>> w = Value(2.0)
            >>> tape = trace(lambda x: (w * x - 1.0) ** 2, 0.0, params=[w])
            >>> tape.batch_backward([1.0, 2.0], scale=0.5)  # mean of the two losses
            array([1., 9.])
            >>> w.grad  # (2 * 1 * 1 + 2 * 3 * 2) / 2
            7.0
        """
        values, grads = self.batch_value_and_grad(*inputs)
        for p, g in zip(self.params, grads[self.num_inputs :], strict=True):
            p.grad += scale * g
        return values
