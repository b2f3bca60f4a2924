"""Neuron layers in a traced program, replayed on a batch as one matrix product each.

A layer is ``n_out`` nodes that are each an affine form of one shared vector of rows
``x`` (the tape's inputs or ops, ``n_in`` of them), with scalar coefficients (parameters
or constants): ``z[j] = sum_k w[j][k] * x[k] + b[j]``. ``nn.Neuron`` builds a neuron as
``dot(w, x) + b``; micrograd's (and ``sum(w * x for ..., b)``) as the chain
``b + w0 * x0 + w1 * x1 + ...``: both are recognised, and so is any chain of ``+``
over products and ``dot``s of a scalar and a row, with at most one scalar bias. The
products and partial sums of a chain are absorbed into the layer when nothing else uses
them (no other op, no output), so they never get a row of the value matrix.

The batched replay (``batched.Plan``) then runs the layer as ``Z = W @ X + b`` over the
block of ``n_out`` rows (rows are nodes, columns examples), and its reverse sweep as the
transposes: ``W.T @ G`` into the inputs, ``G @ X.T`` (already summed over the batch)
into the weights, and ``G`` summed over the batch into the biases. Where each bias
follows its neuron's weights among the parameters (``nn``'s and micrograd's order), the
bias rides in the products: ``[W | b] @ [X; 1]`` and ``G @ [X; 1].T``. Weights and
biases are read as views of the scalars where they lie in order, and their gradients
written into views when nothing else adds to them (``batched_source`` writes the code).
The activations that follow a layer are one group of the plan already: one array
operation on the whole block.

Rounding: a matrix product sums in BLAS's order (blocked, perhaps with fused
multiply-adds), not in the chain's order nor correctly rounded like ``dot``'s
``math.fsum``. So a fused layer agrees with the unfused replay, and with the eager
engine, to rounding (about ``n_in`` units in the last place of the sum of the terms'
magnitudes; tested to 1e-12 relative on random networks), not to the last bit. Small
affine pieces (fewer than ``MIN_TERMS`` weights in all), such as a hand-written
``w * x + b``, are left to the unfused replay and keep its exact rounding: there a
matrix product saves little. ``Plan(program, fuse=False)`` never fuses.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, NamedTuple

from .. import rules as r
from . import codegen as cg

__all__ = ["MIN_TERMS", "Fused", "Layer", "find_layers"]

# A layer is fused when it has at least this many weights (n_out * n_in): micrograd's
# 16-input output neuron has 16. Below it the unfused groups cost about as much, and keep
# their exact rounding.
MIN_TERMS = 16


class Layer(NamedTuple):
    """Nodes of a program that form one affine layer (slots and op indices)."""

    roots: tuple[int, ...]  # op indices of the layer's outputs, one per neuron, in order
    inputs: tuple[int, ...]  # slots of the shared vector x (rows)
    weights: tuple[tuple[int, ...], ...]  # per neuron, the coefficient slot of each input
    biases: tuple[int, ...] | None  # per neuron, the bias slot; None: no bias
    interior: tuple[int, ...]  # op indices absorbed: products, dots and partial sums


class _Form:
    """An affine form being read off a chain: coefficients, rows, bias, absorbed ops."""

    __slots__ = ("bias", "coefficients", "interior", "rows")

    def __init__(self, coefficients: list[int], rows: list[int]) -> None:
        self.coefficients = coefficients
        self.rows = rows
        self.bias: int | None = None
        self.interior: list[int] = []


class _Reader:
    """Reads the affine forms of a program's ops, in topological order."""

    def __init__(self, program: cg.Program) -> None:
        self.first_const = program.n_inputs + program.n_params
        self.n_inputs = program.n_inputs
        self.first_op = self.first_const + len(program.constants)
        self.uses = Counter(p for _, parents in program.ops for p in parents)
        self.uses.update(program.outputs)
        self.forms: dict[int, _Form] = {}  # op index -> the form it is the root of, so far

    def scalar(self, slot: int) -> bool:
        return self.n_inputs <= slot < self.first_op

    def read(self, i: int, rule: r.Rule, parents: tuple[int, ...]) -> None:
        form = self._extended(parents) if rule == r.ADD else self._started(rule, parents)
        if form is not None:
            self.forms[i] = form

    def _started(self, rule: r.Rule, parents: tuple[int, ...]) -> _Form | None:
        """A product of a scalar and a row, or a dot of scalars with rows: one form."""
        if rule == r.MUL or rule == r.DOT:
            half = len(parents) // 2
            left, right = list(parents[:half]), list(parents[half:])
            if all(map(self.scalar, left)) and not any(map(self.scalar, right)):
                return _Form(left, right)
            if all(map(self.scalar, right)) and not any(map(self.scalar, left)):
                return _Form(right, left)
        return None

    def _extended(self, parents: tuple[int, ...]) -> _Form | None:
        """``a + b`` where each side is a scalar (the bias) or a form used only here."""
        parts: list[tuple[int, _Form]] = []
        biases = []
        for p in parents:
            op = p - self.first_op
            if self.scalar(p):
                biases.append(p)
            elif op in self.forms and self.uses[p] == 1:
                parts.append((op, self.forms[op]))
            else:
                return None  # a row that is no form (an input, a residual): not affine here
        biases += [f.bias for _, f in parts if f.bias is not None]
        if not parts or len(biases) > 1:
            return None
        (first, form), *rest = parts
        for op, other in rest:  # the right side's terms follow the left's, as summed
            form.coefficients += other.coefficients
            form.rows += other.rows
            form.interior += [*other.interior, op]
            del self.forms[op]
        form.interior.append(first)
        del self.forms[first]
        form.bias = biases[0] if biases else None
        return form


def find_layers(program: cg.Program, wanted: list[bool], min_terms: int = MIN_TERMS) -> list[Layer]:
    """The program's layers of at least ``min_terms`` weights: roots of affine forms with
    the same inputs (and bias or not, gradient wanted or not), in the order of their
    first root.

    Args:
        program: the traced program.
        wanted: per op, whether the first output's gradient flows through it (a layer's
            reverse sweep mixes its neurons, so wanted and unwanted ones are kept apart).
        min_terms: the fewest weights (neurons times inputs) worth a matrix product.

    Example:
        >>> from autograd import Value, dot, trace
        >>> w = [[Value(0.5), Value(-1.0)] for _ in range(8)]
        >>> tape = trace(lambda a, b: [dot(wj, [a, b]) + 1.0 for wj in w], 0.0, 0.0,
        ...              params=[p for wj in w for p in wj])
        >>> [(len(l.roots), len(l.inputs)) for l in find_layers(tape.program, [True] * 16)]
        [(8, 2)]
    """
    reader = _Reader(program)
    for i, (rule, parents) in enumerate(program.ops):
        reader.read(i, rule, parents)
    by_inputs: dict[tuple[Any, ...], list[int]] = {}
    for i, form in reader.forms.items():
        key = (tuple(form.rows), form.bias is None, wanted[i])
        by_inputs.setdefault(key, []).append(i)
    layers = []
    for (rows, no_bias, _), roots in by_inputs.items():
        if len(roots) * len(rows) < min_terms:
            continue
        forms = [reader.forms[i] for i in roots]
        layers.append(
            Layer(
                roots=tuple(roots),
                inputs=rows,
                weights=tuple(tuple(f.coefficients) for f in forms),
                biases=None if no_bias else tuple(f.bias for f in forms if f.bias is not None),
                interior=tuple(op for f in forms for op in f.interior),
            )
        )
    return layers


class Fused:
    """A layer placed in a plan: rows ``start:stop`` of the value matrix, its inputs'
    rows, its weights' and biases' positions in the vector of scalars ``S``, and where
    its reverse sweep writes (``edges``: its first edge row, one per input; None when no
    gradient flows through it). ``batched_source`` writes its code.

    ``weights_view`` is ``(offset, stride)`` when weight ``[j][k]`` sits at ``offset +
    stride * j + k`` (``nn``'s and micrograd's order: each neuron's weights, then its
    bias), so that ``W`` is a view of ``S``, not a gather; ``biases_view`` likewise for
    bias ``j`` at ``offset + stride * j``; ``augmented`` when each bias follows its
    neuron's weights. ``exclusive`` (set by the plan): its weights
    and biases are distinct parameters that get no gradient from anywhere else, so their
    gradients can be written straight into views of the gradient vector.

    Example:
        >>> import numpy as np
        >>> layer = Fused(np, 2, 4, slice(0, 2), np.array([[0, 1], [3, 4]]), None, 0, 5)
        >>> layer.n_out, layer.n_in, layer.weights_view, layer.biases_view, layer.augmented
        (2, 2, (0, 3), None, False)
    """

    def __init__(
        self,
        np: Any,
        start: int,
        stop: int,
        rows: Any,
        weights: Any,
        biases: Any,
        edges: int | None,
        n_params: int,
    ) -> None:
        self.np, self.start, self.stop = np, start, stop
        self.rows, self.weights, self.biases, self.edges = rows, weights, biases, edges
        self.n_out, self.n_in = weights.shape
        self.weights_view = _strided(weights.tolist())
        self.biases_view = None if biases is None else _strided([[b] for b in biases.tolist()])
        if self.n_out == 1 and self.weights_view is not None and self.biases_view is not None:
            # One neuron: any stride reads its row; take the one that reaches its bias.
            offset = self.weights_view[0]
            if self.biases_view[0] == offset + self.n_in:
                self.weights_view = (offset, self.n_in + 1)
                self.biases_view = (offset + self.n_in, self.n_in + 1)
        self.weight_grads = _destinations(np, weights.ravel(), n_params)
        self.bias_grads = None if biases is None else _destinations(np, biases, n_params)
        # Each neuron's bias right after its weights (nn's and micrograd's order): S holds
        # [W | b], so one product with [X; 1] adds the biases, and one G @ [X; 1].T gives
        # the weights' and the biases' gradients together.
        self.augmented = (
            self.weights_view is not None
            and self.weights_view[1] == self.n_in + 1
            and self.biases_view == (self.weights_view[0] + self.n_in, self.n_in + 1)
        )
        self.exclusive = False

    def extent(self) -> int:
        """One past the last position of ``S`` that the views of its scalars span."""
        ends = [0]
        if self.weights_view is not None:
            offset, stride = self.weights_view
            ends.append(offset + stride * self.n_out)  # whole rows, reshaped (see _view)
        if self.biases_view is not None:
            offset, stride = self.biases_view
            ends.append(offset + stride * (self.n_out - 1) + 1)
        return max(ends)

    def add_weight_grads(self, GP: Any, grads: Any) -> None:
        """Add the weights' gradients (``n_out`` by ``n_in``) to the parameters'."""
        if self.weight_grads is not None:
            _add(self.np, GP, self.weight_grads, grads.ravel())

    def add_bias_grads(self, GP: Any, grads: Any) -> None:
        """Add the biases' gradients to the parameters'."""
        if self.bias_grads is not None:
            _add(self.np, GP, self.bias_grads, grads)


def _strided(index: list[list[int]]) -> tuple[int, int] | None:
    """``(offset, stride)`` if ``index[j][k] == offset + stride * j + k`` for all j, k,
    with rows that do not overlap (``stride`` at least the row's length)."""
    offset, width = index[0][0], len(index[0])
    stride = index[1][0] - offset if len(index) > 1 else width
    if stride < width:
        return None
    for j, row in enumerate(index):
        if row != list(range(offset + stride * j, offset + stride * j + width)):
            return None
    return offset, stride


class _Destinations(NamedTuple):
    params: Any  # the parameters' indices
    taken: Any  # which entries of the gradient go there (None: all, in order)
    unique: bool  # no parameter twice (a plain indexed add; else np.add.at)


def _destinations(np: Any, scalars: Any, n_params: int) -> _Destinations | None:
    """Where the gradients of the scalars at ``scalars`` go: parameters only (constants
    get none); None when there are no parameters among them."""
    taken = np.flatnonzero(scalars < n_params)
    if taken.size == 0:
        return None
    params = scalars[taken]
    unique = len(set(params.tolist())) == params.size
    return _Destinations(params, None if taken.size == scalars.size else taken, unique)


def _add(np: Any, GP: Any, to: _Destinations, grads: Any) -> None:
    if to.taken is not None:
        grads = grads[to.taken]
    if to.unique:
        GP[to.params] += grads
    else:
        np.add.at(GP, to.params, grads)  # a parameter tied to several weights
