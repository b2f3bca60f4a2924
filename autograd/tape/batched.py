"""Batched replay of a tape with NumPy: whole groups of nodes per array operation.

Each traced input is a 1-D array of examples, and every node gets a row of a matrix
(one column per example). Nodes that apply the same rule at the same depth of the graph
(the 16 relus of a layer, the 16 additions that follow) do not depend on each other, so
each such group is one NumPy call on a block of rows. Parameters and constants stay
scalars (a vector, broadcast along the examples).

Neuron layers go further (``autograd.tape.layers``): the ``n_out`` nodes that are each
``w[j] . x + b[j]`` of one shared vector of rows, whether built as ``dot(w, x) + b``
(``nn.Neuron``) or as micrograd's chain ``b + w0 * x0 + ...``, run as one matrix
product ``W @ X + b`` over the batch, and their reverse sweep as ``W.T @ G`` and
``G @ X.T``. A matrix product does not round like the chain, nor like ``dot``'s
correctly rounded sum: fused layers give the unfused replay's numbers to rounding
(1e-12 relative, tested), not to the last bit. Layers of fewer than
``layers.MIN_TERMS`` weights are not fused and keep the exact rounding described below;
``Plan(program, fuse=False)`` fuses nothing.

The reverse sweep keeps one row per edge: a group writes ``g * local`` for each operand
position into a block of edge rows, and a node's gradient is the sum of its edge rows,
added one edge after another in the eager engine's order (so rounding is the same), once
every child at higher depths has written. An edge that is the only one into its node is
written straight into the node's row. Parameter gradients are the edge rows summed over
the batch, as a sum loss needs.

The plan is written out as straight-line Python and compiled once
(``autograd.tape.batched_source``): interpreting its groups cost more than their
arithmetic.

What each rule computes is derived from its ``Rule`` (``autograd/rules.py``): the forward
is the rule's ``array`` formula and the local derivatives its formulas
(``formula.to_arrays``: conditionals become ``where``), compiled with NumPy names
(``array_namespace``: ``np``, ``where``, ``pow``, the helpers, and each rule of the table
by name); ``sum`` and ``dot`` nodes (outside fused layers) use a correctly rounded sum.
Only a rule without formulas (a user's custom primitive) is applied example by example
through its own ``forward`` and ``derivative``. Arithmetic, comparisons, ``sqrt`` and
powers round as Python floats do, so those graphs give the eager engine's numbers;
NumPy's ``exp``, ``log``, ``tanh``, ``sin``... may differ from the ``math`` module's in
the last bit. Both branches of a
``where`` are evaluated, so kernels run with NumPy's warnings off (``run``).

Domain errors raise, as in the eager engine, rather than leaving nan in the batch: before
a group of a rule with a ``domain`` runs (``log``, ``sqrt``, ``/``, powers that may leave
the reals), its operands are tested with the rule's own formulas (one test and ``any``
per check, nothing for other ops), and the error is the rule's, naming the op, the first
offending batch index and the value. Overflow still gives inf, as it does in the eager
engine.

NumPy is the ``fast`` extra: ``pip install 'chainrule[fast]'``.
"""

from __future__ import annotations

import ast
import functools
import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import formula
from .. import rules as r
from .._numbers import is_number
from ..anomaly import active_detector
from ..value import Value
from . import codegen as cg
from .batched_source import compile_plan
from .layers import Fused, Layer, find_layers

if TYPE_CHECKING:
    from .trace import Tape

__all__ = ["Plan", "run"]


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "batched tape replay needs numpy: pip install 'chainrule[fast]'"
        ) from None
    return numpy


class Kernel(NamedTuple):
    """A rule as array code.

    ``forward(out, *operands)`` fills ``out``; ``local(out, *operands)`` returns
    d(out)/d(operand) per operand, each an array or a number. ``masks``: where a local
    derivative is 0 the edge passes exactly 0, whatever the incoming gradient.
    ``derived``: made from the rule's formulas (False: the rule's float functions,
    example by example, for a user's ``primitive``).
    """

    forward: Callable[..., None]
    local: Callable[..., tuple[Any, ...]]
    masks: bool = False
    derived: bool = True
    # For a masks rule made from formulas: ``edges(g, out, *operands)`` gives each
    # operand's ``g * local`` with the zero side exactly 0.0 (formula.times_gradient):
    # one ``where`` instead of the local derivative, a product and a mask.
    edges: Callable[..., tuple[Any, ...]] | None = None


def _exact(rule: r.Rule, text: str) -> str:
    """A formula with the rule's parameter written in, rewritten for arrays."""
    return formula.to_arrays(rule.exact(text))


def array_namespace(np: Any) -> dict[str, Any]:
    """The names array formulas use: NumPy, ``where``, ``pow``, the helpers on arrays,
    and each rule of the table by its name (its forward over arrays).

    Example:
        >>> import numpy as np
        >>> with np.errstate(all="ignore"):  # where() evaluates both branches
        ...     array_namespace(np)["sigmoid"](np.array([-1000.0, 0.0])).tolist()
        [0.0, 0.5]
    """
    names: dict[str, Any] = {
        "np": np,
        "where": np.where,
        "pow": np.power,
        "is_zero": lambda a: a == 0,
        "isfinite": np.isfinite,
        "is_integer": lambda a: np.isfinite(a) & (np.floor(a) == a),
        "nan": r.nan,
        "inf": r.inf,
    }
    for rule in r.TABLE.values():
        if rule.name.isidentifier() and rule.array is not None and rule.arity is not None:
            # The namespace is the function's globals, so rules may call each other.
            text = _exact(rule, rule.array)
            names[rule.name] = formula.compile_function(rule.operands, text, names, rule.name)
    return names


def _assign(fn: Callable[..., Any]) -> Callable[..., None]:
    def forward(out: Any, *xs: Any) -> None:
        out[...] = fn(*xs)

    return forward


def _derived(namespace: dict[str, Any], rule: r.Rule) -> Kernel:
    """The kernel made from a rule's array forward and local-derivative formulas."""
    assert rule.array is not None  # callers check: a rule without it is replayed per example
    params = rule.operands
    forward = formula.compile_function(params, _exact(rule, rule.array), namespace, rule.name)
    texts = [_exact(rule, t) for t in rule.texts()]
    local = formula.compile_function(("out", *params), texts, namespace, rule.name)
    edges = None
    if rule.masks:
        products = [formula.times_gradient(rule.exact(t), masks=True) for t in rule.texts()]
        scaled = [formula.to_arrays(t) for t in products]
        edges = formula.compile_function(("g", "out", *params), scaled, namespace, rule.name)
    return Kernel(_assign(forward), local, rule.masks, edges=edges)


def kernel(np: Any, rule: r.Rule, arity: int, stacked: bool = False) -> Kernel:
    """The kernel of ``rule`` with ``arity`` operands (``stacked``: ``sum`` and ``dot``
    with each side's terms in one array).

    Example:
        >>> import numpy as np
        >>> k = kernel(np, r.power(3.0), 1)
        >>> out = np.empty(2)
        >>> k.forward(out, np.array([2.0, -1.0])); out.tolist(), k.derived
        ([8.0, -1.0], True)
    """
    if rule == r.TOTAL:
        return _total(np, arity, stacked)
    if rule == r.DOT:
        return _dot(np, arity, stacked)
    if rule.local is None or rule.array is None:
        return Kernel(_each_forward(np, rule), _each_local(np, rule.derivative),
                      derived=False)  # fmt: skip
    return _derived(_namespace(np), rule)


_NAMESPACES: dict[int, dict[str, Any]] = {}


# Bounded: a program may use many powers x ** k, each a rule of its own.
@functools.lru_cache(maxsize=256)
def _table_kernel(
    np: Any, rule: r.Rule, arity: int, stacked: bool
) -> tuple[Kernel, tuple[Domain, ...]]:
    return kernel(np, rule, arity, stacked), domains(np, rule)


def _namespace(np: Any) -> dict[str, Any]:
    names = _NAMESPACES.get(id(np))
    if names is None:
        names = _NAMESPACES[id(np)] = array_namespace(np)
    return names


def _total(np: Any, arity: int, stacked: bool) -> Kernel:
    if stacked:
        # One operand: all terms stacked, shape (terms, nodes, examples or 1).
        return Kernel(lambda out, T: _accurate_sum(np, T, out), lambda o, T: (1.0,))

    def total(out: Any, *xs: Any) -> None:
        terms = np.empty((arity, *out.shape))
        for i, x in enumerate(xs):
            terms[i] = x
        _accurate_sum(np, terms, out)

    return Kernel(total, lambda o, *xs: (1.0,) * arity)


def _dot(np: Any, arity: int, stacked: bool) -> Kernel:
    if stacked:
        # Two operands, a and b stacked: shape (n, nodes, examples or 1) each.
        return Kernel(lambda out, A, B: _accurate_sum(np, A * B, out), lambda o, A, B: (B, A))
    n = arity // 2

    def dot(out: Any, *xs: Any) -> None:
        products = np.empty((n, *out.shape))
        for i in range(n):
            np.multiply(xs[i], xs[i + n], out=products[i])
        _accurate_sum(np, products, out)

    return Kernel(dot, lambda o, *xs: xs[n:] + xs[:n])


_U = 2.0**-53  # the unit roundoff of float64


def _two_sum(np: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """``a + b`` rounded, and its rounding error: their sum is ``a + b`` exactly."""
    s = a + b
    z = s - a
    return s, (a - (s - z)) + (b - z)


def _accurate_sum(np: Any, terms: Any, out: Any) -> None:
    """Sum ``terms`` along axis 0 into ``out``: ``math.fsum``'s result, correctly rounded.

    The engine sums ``total`` and ``dot`` with ``math.fsum``; NumPy has no such sum. Here
    pairs are added with their exact rounding errors kept (TwoSum), and the errors are
    added up plainly and added back. Adding up ``k`` errors is exact for ``k = 1`` and
    otherwise off by at most ``gamma = 2 (k - 1) u sum|error|``; where that could move the
    result across a rounding boundary (``|t| + gamma`` reaches half the gap between
    floats at the result, ``t`` being the last addition's exact rounding error: near a
    rounding tie, or after heavy cancellation), the column is summed again with
    ``math.fsum``, which is rare. So the result equals ``fsum`` wherever ``fsum``
    returns a number (tested against it). Where ``fsum`` raises (an intermediate
    overflow: the eager engine's ``total`` raises OverflowError there; ``inf - inf``) it
    is the plain IEEE sum instead, inf or nan, as the batched replay's other ops give.
    """
    error = np.zeros(terms.shape[1:])
    size = np.zeros(terms.shape[1:])  # the sum of |error|
    original, count = terms, terms.shape[0]
    while terms.shape[0] > 1:
        half = terms.shape[0] // 2
        s, e = _two_sum(np, terms[:half], terms[half : 2 * half])
        error += e.sum(axis=0)
        size += np.abs(e).sum(axis=0)
        terms = np.concatenate([s, terms[2 * half :]]) if terms.shape[0] % 2 else s
    # count - 1 errors, added up plainly: exact for one error, else off by gamma at most.
    gamma = 2.0 * max(count - 2, 0) * _U * size
    head = np.broadcast_to(terms[0], error.shape)
    result, t = _two_sum(np, head, error)  # result + t == head + error, exactly
    # The boundary is half the gap to the neighbouring float; the spacing just below
    # |result| is the narrower gap (half as wide below a power of two, else the same).
    limit = 0.5 * np.spacing(np.abs(result) * (1.0 - _U))
    doubtful = (gamma != 0.0) & ~(np.abs(t) + gamma < limit)
    doubtful |= ~np.isfinite(result)
    if doubtful.any():
        _fsum_columns(np, original, result, doubtful)
    out[...] = result


def _fsum_columns(np: Any, terms: Any, result: Any, doubtful: Any) -> None:
    """Set ``result`` to ``math.fsum`` of the ``terms`` at the ``doubtful`` positions;
    where fsum raises (an intermediate overflow, ``inf - inf``), to the plain IEEE sum."""
    columns = np.broadcast_to(terms, (terms.shape[0], *result.shape))[:, doubtful]
    sums = []
    for column in columns.T.tolist():
        try:
            sums.append(math.fsum(column))
        except (OverflowError, ValueError):
            sums.append(float(np.sum(column)))
    result[doubtful] = sums


def _each_forward(np: Any, rule: r.Rule) -> Callable[..., None]:
    """A formula-less rule's forward, applied example by example, its results checked
    as the eager engine checks them (``value.apply_rule``): numbers only."""
    fn = rule.forward

    def forward(out: Any, *xs: Any) -> None:
        cols = [np.broadcast_to(x, out.shape).ravel().tolist() for x in xs]
        results = []
        for row in zip(*cols, strict=True):
            y = fn(*row)
            if type(y) is not float and not is_number(y):
                raise TypeError(
                    f"{rule.name}: forward must return a number, got {type(y).__name__}: "
                    f"{y!r} for inputs {tuple(row)}"
                )
            results.append(float(y))
        out[...] = np.array(results).reshape(out.shape)

    return forward


def _each_local(np: Any, fn: Callable[..., Any]) -> Callable[..., tuple[Any, ...]]:
    """A formula-less rule's derivative, applied example by example."""

    def local(o: Any, *xs: Any) -> tuple[Any, ...]:
        cols = [o.ravel().tolist(), *(np.broadcast_to(x, o.shape).ravel().tolist() for x in xs)]
        rows = [fn(*row) for row in zip(*cols, strict=True)]
        return tuple(
            np.array([float(d) for d in col]).reshape(o.shape) for col in zip(*rows, strict=True)
        )

    return local


class Domain(NamedTuple):
    """One of a rule's domain checks over arrays."""

    bad: Callable[..., Any]  # operands -> boolean array, True outside the domain
    check: r.Domain  # the rule's check: its error and message
    # Which operand the message shows with "at batch index i": the first one the test
    # reads (the divisor of "/", the base of a power).
    marked: int


def _first_operand(rule: r.Rule, text: str) -> int:
    names = [n for n in ast.walk(formula.parse(text)) if isinstance(n, ast.Name)]
    names.sort(key=lambda n: n.col_offset)
    operands = rule.operands
    return next((operands.index(n.id) for n in names if n.id in operands), 0)


def domains(np: Any, rule: r.Rule) -> tuple[Domain, ...]:
    """The rule's domain checks over arrays, in the rule's order (none for most rules).

    Example:
        >>> import numpy as np
        >>> [d.check.error.__name__ for d in domains(np, r.power(-0.5))]
        ['ZeroDivisionError', 'ValueError']
    """
    if rule.local is None:
        return ()
    checks = []
    for check in rule.domain:
        text = _exact(rule, check.bad)
        bad = formula.compile_function(rule.operands, text, _namespace(np), rule.name)
        checks.append(Domain(bad, check, _first_operand(rule, check.bad)))
    return tuple(checks)


def _check_domain(
    np: Any, rule: r.Rule, checks: tuple[Domain, ...], operands: list[Any], shape: tuple[int, int]
) -> None:
    """Raise the first domain error among the examples of a group (``shape``: nodes,
    examples), naming the lowest batch index where any check fails."""
    failures = []
    for check in checks:
        bad = check.bad(*operands)
        if bad.any():  # the common case stops here: no copy, no broadcast
            bad = np.broadcast_to(bad, shape)
            i = int(bad.any(axis=0).argmax())
            failures.append((i, int(bad[:, i].argmax()), check))
    if failures:
        i, node, check = min(failures, key=lambda f: f[0])
        shown = [repr(float(np.broadcast_to(x, shape)[node, i])) for x in operands]
        shown[check.marked] += f" at batch index {i}"
        raise rule.domain_error(check.check, *shown)


class Group(NamedTuple):
    """Nodes with one rule at one depth: rows ``start:stop`` of the value matrix."""

    start: int
    stop: int
    rule: r.Rule
    kernel: Kernel
    # Per operand position: ("row", index) into the value matrix or ("scalar", index)
    # into the vector of parameters and constants; an index is a slice where contiguous.
    operands: tuple[tuple[str, Any], ...]
    # Per operand: the first edge row it writes, or None (constants only).
    edges: tuple[int | None, ...]
    # Per operand: how many operand positions it stacks (1, or all the terms of a
    # many-input node), and whether its index is per position only (the same parent for
    # every node of the group: broadcast, not copied).
    sizes: tuple[int, ...]
    shared: tuple[bool, ...]
    stacked: bool
    # The checks to make on the operands before the kernel runs (see Domain).
    domains: tuple[Domain, ...]


# Edges into one target: (rank in the eager engine's order, edge row).
Edges = dict[int, list[tuple[tuple[int, int], int]]]


def _depths(program: cg.Program, layers: list[Layer]) -> list[int]:
    """The depth of every slot: 0 for leaves and constants, 1 + the deepest parent; a
    fused layer's roots one above its deepest input (its absorbed ops have none)."""
    first_op = program.n_inputs + program.n_params + len(program.constants)
    depth = [0] * (first_op + len(program.ops))
    skipped = {i for layer in layers for i in layer.interior}
    root_of = {i: layer for layer in layers for i in layer.roots}
    for i, (_, parents) in enumerate(program.ops):
        if i in skipped:
            continue
        layer = root_of.get(i)
        parents = layer.inputs if layer is not None else parents
        depth[first_op + i] = 1 + max(depth[p] for p in parents)
    return depth


def _wanted(program: cg.Program, first_op: int) -> list[bool]:
    """The ops the first output depends on: only their edges carry its gradient (the
    other outputs' ops, has_aux's, run forward only)."""
    ops = program.ops
    wanted = [False] * len(ops)
    if program.outputs[0] >= first_op:
        wanted[program.outputs[0] - first_op] = True
    for i in range(len(ops) - 1, -1, -1):
        if wanted[i]:
            for p in ops[i][1]:
                if p >= first_op:
                    wanted[p - first_op] = True
    return wanted


def _sides(rule: r.Rule, pattern: tuple[bool, ...]) -> tuple[list[list[int]], bool]:
    """Operand positions taken together: each alone, or for dot and total the terms of
    each side stacked into one array when they are all rows or all scalars; and whether
    the group is stacked so."""
    sides = [[k] for k in range(len(pattern))]
    half = len(pattern) // 2
    if rule == r.DOT and len(set(pattern[:half])) == len(set(pattern[half:])) == 1:
        sides = [list(range(half)), list(range(half, len(pattern)))]
    elif rule == r.TOTAL and len(set(pattern)) == 1:
        sides = [list(range(len(pattern)))]
    stacked = len(sides) < len(pattern) or (rule == r.TOTAL and len(pattern) == 1)
    return sides, stacked


class Plan:
    """How to replay one program on batches: groups, rows, edges and their order.

    Built once per tape from its ``Program``; ``run`` then only makes NumPy calls.
    With ``fuse`` (the default), neuron layers of at least ``layers.MIN_TERMS`` weights
    run as one matrix product each (``autograd.tape.layers``: equal to the unfused
    replay to rounding, not to the last bit); ``fused`` counts them.

    Example:
        >>> import numpy as np
        >>> from autograd import trace
        >>> plan = Plan(trace(lambda x, y: x * y + x, 1.0, 1.0).program)
        >>> len(plan.groups)  # the product, then the sum
        2
        >>> outputs, grads = plan.run([np.array([1.0, 2.0]), np.array([3.0, 4.0])], [], True)
        >>> outputs[0].tolist(), grads[0].tolist(), grads[1].tolist()
        ([4.0, 10.0], [4.0, 5.0], [1.0, 2.0])
    """

    def __init__(self, program: cg.Program, fuse: bool = True) -> None:
        self.np = _numpy()
        self.program = program
        self.n_inputs, self.n_params = program.n_inputs, program.n_params
        self.first_const = self.n_inputs + self.n_params
        self.first_op = self.first_const + len(program.constants)
        self.constants = list(program.constants)
        self._cache: dict[tuple[r.Rule, int, bool], tuple[Kernel, tuple[Domain, ...]]] = {}
        wanted = _wanted(program, self.first_op)
        layers = find_layers(program, wanted) if fuse else []
        self.fused = len(layers)
        ordered = self._grouped(layers)
        self._place_rows(ordered)
        self.groups: list[Group | Fused] = []
        self.levels: list[tuple[int, list[int]]] = []  # (depth, indices of its groups)
        self.n_edges = 0
        into_row: Edges = {}
        into_param: Edges = {}
        for depth, what, members in ordered:
            group: Group | Fused
            if isinstance(what, Layer):
                group = self._fused(what, wanted, into_row)
            else:
                rule, pattern = what
                group = self._group(rule, pattern, members, wanted, into_row, into_param)
            if not self.levels or self.levels[-1][0] != depth:
                self.levels.append((depth, []))
            self.levels[-1][1].append(len(self.groups))
            self.groups.append(group)
        self._route_edges(into_row, into_param)
        self._plan_sums(into_row, into_param)
        self._place_scalars(into_param)
        # Run as straight-line code: interpreting the groups costs more than their math.
        self.replay = compile_plan(self, _check_domain)

    def _in_rows(self, slot: int) -> bool:
        """Inputs and ops have a row per example; parameters and constants are scalars."""
        return slot < self.n_inputs or slot >= self.first_op

    def _grouped(self, layers: list[Layer]) -> list[tuple[int, Any, list[int]]]:
        """The ops grouped by (depth, rule, which operands are rows), and the layers, in
        order of depth: ``(depth, (rule, pattern) or the Layer, op indices)``. Rules
        compare by value: equal rules share a group even if made twice."""
        depth = _depths(self.program, layers)
        fused = {i for layer in layers for i in (*layer.roots, *layer.interior)}
        groups: dict[tuple[int, r.Rule, tuple[bool, ...]], list[int]] = {}
        for i, (rule, parents) in enumerate(self.program.ops):
            if i not in fused:
                key = (depth[self.first_op + i], rule, tuple(self._in_rows(p) for p in parents))
                groups.setdefault(key, []).append(i)
        ordered: list[tuple[int, Any, list[int]]] = [
            (depth, (rule, pattern), members) for (depth, rule, pattern), members in groups.items()
        ]
        ordered += [(depth[self.first_op + f.roots[0]], f, list(f.roots)) for f in layers]
        return sorted(ordered, key=lambda item: item[0])

    def _place_rows(self, ordered: list[tuple[int, Any, list[int]]]) -> None:
        """Rows of the value matrix: the inputs, then each group's nodes together."""
        n_in = self.n_inputs
        self.row = {s: s for s in range(n_in)}
        self.scalar = {s: s - n_in for s in range(n_in, self.first_op)}
        next_row = n_in
        for _, _, members in ordered:
            for i in members:
                self.row[self.first_op + i] = next_row
                next_row += 1
        self.n_rows = next_row

    def _group(
        self,
        rule: r.Rule,
        pattern: tuple[bool, ...],
        members: list[int],
        wanted: list[bool],
        into_row: Edges,
        into_param: Edges,
    ) -> Group:
        """One group: its operands' indices, and edge rows for the operands that need a
        gradient (recorded in ``into_row`` / ``into_param`` with their eager order)."""
        np, ops = self.np, self.program.ops
        sides, stacked = _sides(rule, pattern)
        operands: list[tuple[str, Any]] = []
        edges: list[int | None] = []
        sizes: list[int] = []
        shared: list[bool] = []
        for side in sides:
            is_row = pattern[side[0]]
            columns = [[ops[i][1][k] for i in members] for k in side]
            index = [[self.row[p] if is_row else self.scalar[p] for p in c] for c in columns]
            same = stacked and all(len(set(c)) == 1 for c in index)
            if not stacked:
                ix = _as_slice(np, index[0])
            elif same:
                ix = _as_slice(np, [c[0] for c in index])
            else:
                ix = np.array(index, dtype=np.intp)
            operands.append(("row" if is_row else "scalar", ix))
            sizes.append(len(side))
            shared.append(same)
            if not is_row and all(p >= self.first_const for c in columns for p in c):
                edges.append(None)  # constants only: no gradient wanted
                continue
            edges.append(self.n_edges)
            for k, column in zip(side, columns, strict=True):
                self._record_edges(k, members, column, is_row, wanted, into_row, into_param)
        start, stop = self.row[self.first_op + members[0]], self.row[self.first_op + members[-1]]
        code, checks = self._compiled(rule, len(pattern), stacked)
        return Group(
            start, stop + 1, rule, code, tuple(operands),
            tuple(edges), tuple(sizes), tuple(shared), stacked, checks,
        )  # fmt: skip

    def _fused(self, layer: Layer, wanted: list[bool], into_row: Edges) -> Fused:
        """A layer's place: its rows, its scalars, and one edge row per input (ranked as
        the layer's last neuron's, the first the eager engine would visit)."""
        np = self.np
        start = self.row[self.first_op + layer.roots[0]]
        rows = _as_slice(np, [self.row[x] for x in layer.inputs])
        weights = np.array([[self.scalar[w] for w in ws] for ws in layer.weights], dtype=np.intp)
        biases = None
        if layer.biases is not None:
            biases = np.array([self.scalar[b] for b in layer.biases], dtype=np.intp)
        edges = None
        if wanted[layer.roots[0]]:  # the layer's neurons are all wanted or all not
            edges = self.n_edges
            for k, x in enumerate(layer.inputs):
                into_row.setdefault(self.row[x], []).append(((-layer.roots[-1], k), edges + k))
            self.n_edges += len(layer.inputs)
        stop = start + len(layer.roots)
        return Fused(np, start, stop, rows, weights, biases, edges, self.n_params)

    def _compiled(
        self, rule: r.Rule, arity: int, stacked: bool
    ) -> tuple[Kernel, tuple[Domain, ...]]:
        """A rule's kernel and domain checks, compiled once per plan (a deep graph has
        a group of the same rule at every depth), and for the table's rules once for
        all plans (compiling them cost more than the rest of a small plan)."""
        key = (rule, arity, stacked)
        found = self._cache.get(key)
        if found is None:
            if rule.local is None or rule.array is None:  # a user's primitive: not kept
                found = (kernel(self.np, rule, arity, stacked), domains(self.np, rule))
            else:
                found = _table_kernel(self.np, rule, arity, stacked)
            self._cache[key] = found
        return found

    def _record_edges(
        self,
        k: int,
        members: list[int],
        column: list[int],
        is_row: bool,
        wanted: list[bool],
        into_row: Edges,
        into_param: Edges,
    ) -> None:
        """Edge rows for operand position ``k`` of the group's nodes, ranked in the eager
        engine's order of adding them up: children in reverse topological order,
        operands left to right."""
        for m, (i, p) in enumerate(zip(members, column, strict=True)):
            if not wanted[i]:
                continue
            rank = (-i, k)
            if is_row:
                into_row.setdefault(self.row[p], []).append((rank, self.n_edges + m))
            elif p < self.first_const:
                into_param.setdefault(p - self.n_inputs, []).append((rank, self.n_edges + m))
        self.n_edges += len(members)

    def _route_edges(self, into_row: Edges, into_param: Edges) -> None:
        """Place the edges in the reverse sweep's buffer: its first ``n_rows`` rows are the
        nodes' gradients, then one row per edge. A block of edges that are each the only
        edge into consecutive nodes (a layer's into its inputs, an activation's into the
        layer) is written straight into those nodes' rows: nothing to add up."""
        base = self.n_rows
        # Inputs no edge reaches: their gradient is 0 (every other row is written).
        self.unreached = [i for i in range(self.n_inputs) if i not in into_row]
        sole = {edges[0][1]: t for t, edges in into_row.items() if len(edges) == 1}
        for index, group in enumerate(self.groups):
            m = group.stop - group.start
            if isinstance(group, Fused):
                if group.edges is not None:
                    group.edges = self._routed(group.edges, group.n_in, sole, into_row)
                continue
            firsts = tuple(
                None if first is None else self._routed(first, size * m, sole, into_row)
                for first, size in zip(group.edges, group.sizes, strict=True)
            )
            self.groups[index] = group._replace(edges=firsts)
        for edges in (into_row, into_param):
            for target, ranked in edges.items():
                edges[target] = [(rank, base + e) for rank, e in ranked]

    def _routed(self, first: int, length: int, sole: dict[int, int], into_row: Edges) -> int:
        """Where a block of ``length`` edges goes in the buffer (see ``_route_edges``)."""
        t0 = sole.get(first)
        if t0 is None or [sole.get(first + j) for j in range(length)] != [
            *range(t0, t0 + length)
        ]:
            return self.n_rows + first
        for t in range(t0, t0 + length):
            del into_row[t]  # its row is written directly
        return t0

    def _place_scalars(self, into_param: Edges) -> None:
        """Which fused layers' parameters are theirs alone (``Fused.exclusive``), and how
        long ``S`` and the gradient vector must be for the views of their scalars."""
        fused = [g for g in self.groups if isinstance(g, Fused)]
        wanted = [g for g in fused if g.edges is not None]
        scalars = {id(g): _scalars(g) for g in wanted}
        uses = Counter(into_param.keys())  # parameters with edges from unfused groups
        for g in wanted:
            uses.update(scalars[id(g)])
        for g in wanted:
            g.exclusive = (
                g.weights_view is not None
                and (g.biases is None or g.biases_view is not None)
                and all(p < self.n_params and uses[p] == 1 for p in scalars[id(g)])
            )
        n_scalars = max([self.first_op - self.n_inputs, *(g.extent() for g in fused)])
        self.constants += [0.0] * (n_scalars - len(self.constants) - self.n_params)
        self.n_scalars = n_scalars
        self.n_grads = max([self.n_params, *(g.extent() for g in wanted if g.exclusive)])

    def _plan_sums(self, into_row: Edges, into_param: Edges) -> None:
        """How each depth, the inputs and the parameters add up their edges."""
        np = self.np
        # A depth's rows are contiguous: from its first group's start to its last's stop.
        self.level_sums = [
            _gather_steps(np, range(self.groups[gs[0]].start, self.groups[gs[-1]].stop), into_row)
            for _, gs in self.levels
        ]
        self.input_sums = _gather_steps(np, range(self.n_inputs), into_row)
        self.param_sums = _gather_steps(np, range(self.n_params), into_param)
        self.outputs = [
            ("row", self.row[s]) if self._in_rows(s) else ("scalar", self.scalar[s])
            for s in self.program.outputs
        ]

    def run(self, inputs: list[Any], params: list[float], grad: bool) -> Any:
        """Outputs (and with ``grad`` the gradients of the first) for a batch of inputs."""
        np = self.np
        n = inputs[0].shape[0]
        V = np.empty((self.n_rows, n))
        for i, x in enumerate(inputs):
            V[i] = x
        S = np.fromiter(itertools.chain(params, self.constants), np.float64, self.n_scalars)
        swept = self.replay(V, S, n, grad)
        outputs = [V[ix] if kind == "row" else np.full(n, S[ix]) for kind, ix in self.outputs]
        if not grad:
            return outputs
        if swept is None:
            return outputs, self._leaf_gradients(*self.outputs[0], n)
        B, GP = swept
        grads = GP.tolist() if self.n_grads == self.n_params else GP[: self.n_params].tolist()
        return outputs, (*B[: self.n_inputs].copy(), *grads)

    def _leaf_gradients(self, kind: str, root: int, n: int) -> tuple[Any, ...]:
        """The output is a leaf: its gradient is 1 for itself, 0 for everything else."""
        grads: list[Any] = [self.np.zeros(n) for _ in range(self.n_inputs)]
        grads += [0.0] * self.n_params
        if kind == "row":
            grads[root] = self.np.ones(n)
        elif root < self.n_params:
            grads[self.n_inputs + root] = float(n)
        return tuple(grads)


_EMPTY = slice(0, 0)


def _scalars(layer: Fused) -> list[int]:
    """The positions in ``S`` of a layer's weights and biases."""
    biases = [] if layer.biases is None else layer.biases.tolist()
    return [*layer.weights.ravel().tolist(), *biases]


def _gather_steps(np: Any, targets: Sequence[int], edges: Edges) -> list[tuple[Any, Any]]:
    """How to add up the edges of ``targets``: a list of (targets, their k-th edge) for
    k = 0, 1, ..., so that each target's edges are added one after another in the eager
    engine's order (a NumPy sum over rows may pair them up differently, which changes
    the rounding)."""
    ranked = {t: [e for _, e in sorted(edges[t])] for t in targets if t in edges}
    steps = []
    for k in range(max(map(len, ranked.values()), default=0)):
        hit = [t for t in ranked if len(ranked[t]) > k]
        steps.append((_as_slice(np, hit), _as_slice(np, [ranked[t][k] for t in hit])))
    return steps


def _as_slice(np: Any, index: list[int]) -> Any:
    """``index`` as a slice when it is evenly spaced and increasing (a view, no copy, when
    used: a layer's k-th edges into each of its inputs are one stride apart)."""
    if not index:
        return _EMPTY
    step = index[1] - index[0] if len(index) > 1 else 1
    if step > 0 and index == list(range(index[0], index[0] + step * len(index), step)):
        return slice(index[0], index[0] + step * (len(index) - 1) + 1, step)
    return np.array(index, dtype=np.intp)


def _arrays(where: str, expected: int, given: Sequence[Any]) -> list[Any]:
    np = _numpy()
    if len(given) != expected:
        raise ValueError(
            f"{where}: the tape was traced with {expected} input(s), got {len(given)}; "
            "trace again to change the number of inputs"
        )
    if expected == 0:
        raise ValueError(f"{where}: the tape has no inputs to batch over; use the float replay")
    arrays: list[Any] = []
    for i, x in enumerate(given):
        a = _real_array(np, where, i, x)
        if a.ndim != 1:
            raise ValueError(
                f"{where}: input {i} must be 1-D (one number per example), got shape {a.shape}"
            )
        if arrays and a.shape != arrays[0].shape:
            raise ValueError(
                f"{where}: input {i} has {a.shape[0]} examples, input 0 has {arrays[0].shape[0]}"
            )
        arrays.append(a)
    return arrays


def _real_array(np: Any, where: str, i: int, x: Any) -> Any:
    """Input ``i`` as a float64 array, refusing what the eager engine refuses: only real
    numbers (ints and floats), never complex (NumPy would drop the imaginary part), bools,
    strings or Values (whose gradients a replay could not reach)."""
    a = np.asarray(x)
    if a.dtype.kind not in "iuf":
        what = "Values" if a.dtype == object and _holds_value(a) else f"dtype {a.dtype}"
        raise TypeError(
            f"{where}: input {i} must hold real numbers (ints or floats), got {what}; "
            "a replay takes numbers: pass .data of Values, the real part of complex numbers"
        )
    return a.astype(np.float64, copy=False)


def _holds_value(a: Any) -> bool:
    return any(isinstance(item, Value) for item in a.ravel()[:1000])


def run(tape: Tape, inputs: Sequence[Any], grad: bool) -> Any:
    """Replay ``tape`` on a batch (``Tape.batch`` and ``Tape.batch_value_and_grad``).

    Example:
        >>> from autograd import trace
        >>> run(trace(lambda x: x * x, 1.0), [[1.0, 2.0]], grad=False).tolist()
        [1.0, 4.0]
    """
    np = _numpy()
    where = "batch_value_and_grad" if grad else "batch"
    if active_detector() is not None:
        # A batch runs whole arrays with NumPy's warnings off: it cannot say which node
        # of which example made the first nan, which is what detect_anomaly is for.
        raise RuntimeError(
            f"{where}: a batched replay does not run inside detect_anomaly(), which "
            "finds the node that makes nan; run the examples one at a time with the float "
            "replay, tape(x), or eagerly"
        )
    arrays = _arrays(where, tape.num_inputs, inputs)
    if grad:
        tape._check_differentiable(where)
    plan = tape._batch_plan()
    params = [p.data for p in tape.params]
    with np.errstate(all="ignore"):
        result = plan.run(arrays, params, grad)
    if grad:
        outputs, grads = result
        return tape._shape([v.copy() for v in outputs]), grads
    return tape._shape([v.copy() for v in result])
