"""Batched replay of a tape with NumPy: whole groups of nodes per array operation.

Each traced input is a 1-D array of examples, and every node gets a row of a matrix
(one column per example). Nodes that apply the same rule at the same depth of the graph
(the 16 products of a neuron layer, the 16 additions that follow) do not depend on each
other, so each such group is one NumPy call on a block of rows: a few hundred calls for
micrograd's demo network instead of one per node. Parameters and constants stay scalars
(a vector, broadcast along the examples).

The reverse sweep keeps one row per edge: a group writes ``g * local`` for each operand
position into a block of edge rows, and a node's gradient is the sum of its edge rows,
added one edge after another in the eager engine's order (so rounding is the same), once
every child at higher depths has written. Parameter gradients are the edge rows summed
over the batch, as a sum loss needs.

What each rule computes comes from the closed table below (NumPy functions, keyed by the
identity of the engine's own rules); a rule without an entry (a user's custom primitive)
is applied example by example through its own ``forward`` and ``derivative``. Nothing is
generated from text here. Arithmetic, comparisons, ``sqrt`` and powers round as Python
floats do, so those graphs give the eager engine's numbers; NumPy's ``exp``, ``log``,
``tanh``, ``sin``... may differ from the ``math`` module's in the last bit.

Domain errors raise, as in the eager engine, rather than leaving nan in the batch: before
a group of ``log``, ``sqrt``, ``/`` or powers that may leave the reals runs, its operands
are checked (one comparison and ``any`` per check, nothing for other ops), and the error
names the op, the first offending batch index and the value. Overflow still gives inf,
as it does in the eager engine.

NumPy is the ``fast`` extra: ``pip install 'chainrule[fast]'``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import rules as r
from . import codegen as cg

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


# A rule as array code: forward(out, *operands) fills ``out``; local(out, *operands)
# returns d(out)/d(operand) per operand, each an array or a number, exactly the float
# expressions of the rule in autograd/rules.py.
Kernel = tuple[Callable[..., Any], Callable[..., tuple]]


def _kernels(np: Any) -> dict[r.Rule, Kernel]:
    def sigmoid(x: Any) -> Any:
        # The eager rule's two branches at once, so exp never overflows.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))

    def assign(fn: Callable[..., Any]) -> Callable[..., Any]:
        def forward(out: Any, *xs: Any) -> None:
            out[...] = fn(*xs)

        return forward

    return {
        r.ADD: (lambda out, a, b: np.add(a, b, out=out), lambda o, a, b: (1.0, 1.0)),
        r.SUB: (lambda out, a, b: np.subtract(a, b, out=out), lambda o, a, b: (1.0, -1.0)),
        r.MUL: (lambda out, a, b: np.multiply(a, b, out=out), lambda o, a, b: (b, a)),
        r.DIV: (lambda out, a, b: np.divide(a, b, out=out), lambda o, a, b: (1.0 / b, -o / b)),
        r.NEG: (lambda out, a: np.negative(a, out=out), lambda o, a: (-1.0,)),
        r.EXP: (lambda out, a: np.exp(a, out=out), lambda o, a: (o,)),
        r.LOG: (lambda out, a: np.log(a, out=out), lambda o, a: (1.0 / a,)),
        r.SQRT: (lambda out, a: np.sqrt(a, out=out), lambda o, a: (0.5 * o**-1.0,)),
        r.TANH: (lambda out, a: np.tanh(a, out=out), lambda o, a: (1.0 - o * o,)),
        r.SIGMOID: (assign(sigmoid), lambda o, a: (o * (1.0 - o),)),
        r.RELU: (lambda out, a: np.maximum(a, 0.0, out=out), lambda o, a: (a > 0,)),
        r.SOFTPLUS: (
            assign(lambda a: np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))),
            lambda o, a: (sigmoid(a),),
        ),
        r.SIN: (lambda out, a: np.sin(a, out=out), lambda o, a: (np.cos(a),)),
        r.COS: (lambda out, a: np.cos(a, out=out), lambda o, a: (-np.sin(a),)),
        r.ABS: (lambda out, a: np.abs(a, out=out), lambda o, a: (np.sign(a),)),
    }


def _kernel(
    np: Any, table: dict[r.Rule, Kernel], rule: r.Rule, arity: int, stacked: bool = False
) -> Kernel:
    found = table.get(rule)
    if found is not None:
        return found
    if rule is r.TOTAL and stacked:
        # One operand: all terms stacked, shape (terms, nodes, examples or 1).
        return (lambda out, T: _accurate_sum(np, T, out)), (lambda o, T: (1.0,))
    if rule is r.DOT and stacked:
        # Two operands, a and b stacked: shape (n, nodes, examples or 1) each.
        return (lambda out, A, B: _accurate_sum(np, A * B, out)), (lambda o, A, B: (B, A))
    if rule is r.TOTAL:

        def total(out: Any, *xs: Any) -> None:
            terms = np.empty((arity, *out.shape))
            for i, x in enumerate(xs):
                terms[i] = x
            _accurate_sum(np, terms, out)

        return total, lambda o, *xs: (1.0,) * arity
    if rule is r.DOT:
        n = arity // 2

        def dot(out: Any, *xs: Any) -> None:
            products = np.empty((n, *out.shape))
            for i in range(n):
                np.multiply(xs[i], xs[i + n], out=products[i])
            _accurate_sum(np, products, out)

        return dot, lambda o, *xs: xs[n:] + xs[:n]
    k = cg.constant_exponent(rule)
    if k is not None:
        if k == 0:
            return (lambda out, a: out.fill(1.0)), (lambda o, a: (0.0,))
        if k == 2:  # the engine's rule for squares: x * x and 2 * x
            return (lambda out, a: np.multiply(a, a, out=out)), (lambda o, a: (2.0 * a,))
        return (
            lambda out, a: np.power(a, k, out=out),
            lambda o, a: (k * a ** (k - 1),),
        )
    s = cg.leaky_slope(rule)
    if s is not None:
        return (
            lambda out, a: np.copyto(out, np.where(a > 0, a, s * a)),
            lambda o, a: (np.where(a > 0, 1.0, s),),
        )
    return _each_forward(np, rule.forward), _each_local(np, rule.derivative)


def _accurate_sum(np: Any, terms: Any, out: Any) -> None:
    """Sum ``terms`` along axis 0 into ``out`` as if in twice the precision, then round.

    The engine sums ``total`` and ``dot`` with ``math.fsum`` (correctly rounded); NumPy has
    no such sum, so pairs are added with their exact rounding errors kept (TwoSum) and the
    errors added back at the end. That is ``fsum``'s result except in sums so ill
    conditioned that cancellation loses some 100 bits.
    """
    error = np.zeros(terms.shape[1:])
    while terms.shape[0] > 1:
        half = terms.shape[0] // 2
        a, b = terms[:half], terms[half : 2 * half]
        s = a + b
        z = s - a
        error += ((a - (s - z)) + (b - z)).sum(axis=0)
        terms = np.concatenate([s, terms[2 * half :]]) if terms.shape[0] % 2 else s
    np.add(terms[0], error, out=out)


def _each_forward(np: Any, fn: Callable) -> Callable:
    """An untemplated rule's forward, applied example by example."""

    def forward(out: Any, *xs: Any) -> None:
        cols = [np.broadcast_to(x, out.shape).ravel().tolist() for x in xs]
        out[...] = np.array([fn(*row) for row in zip(*cols, strict=True)]).reshape(out.shape)

    return forward


def _each_local(np: Any, fn: Callable) -> Callable:
    """An untemplated rule's derivative, applied example by example."""

    def local(o: Any, *xs: Any) -> tuple:
        cols = [o.ravel().tolist(), *(np.broadcast_to(x, o.shape).ravel().tolist() for x in xs)]
        rows = [fn(*row) for row in zip(*cols, strict=True)]
        return tuple(
            np.array([float(d) for d in col]).reshape(o.shape) for col in zip(*rows, strict=True)
        )

    return local


class Domain(NamedTuple):
    """Where a rule's operands leave its domain, and the error the eager engine raises."""

    bad: Callable[..., Any]  # operands -> boolean array, True outside the domain
    error: type[Exception]
    message: Callable[..., str]  # (batch index, *operand values) -> the error's text


def _negative_base(i: int, x: float, k: float) -> str:
    return (
        f"**: a negative base {x!r} at batch index {i} to the non-integer power {k!r} is "
        "not a real number; expected an integer exponent or a base >= 0"
    )


def _zero_base(i: int, x: float, k: float) -> str:
    return f"**: 0 cannot be raised to a negative power ({k!r}) at batch index {i}: base {x!r}"


def _domains(np: Any, rule: r.Rule) -> tuple[Domain, ...]:
    """The checks ``Value``'s methods make before applying ``rule`` (none for most rules).

    Example:
        >>> import numpy as np
        >>> [d.error.__name__ for d in _domains(np, r.power(-0.5))]
        ['ZeroDivisionError', 'ValueError']
    """
    if rule is r.LOG:
        return (
            Domain(
                lambda a: a <= 0.0,
                ValueError,
                lambda i, a: f"log: got {a!r} at batch index {i}; expected a positive number",
            ),
        )
    if rule is r.SQRT:
        return (
            Domain(
                lambda a: a < 0.0,
                ValueError,
                lambda i, a: f"sqrt: got {a!r} at batch index {i}; expected a number >= 0",
            ),
        )
    if rule is r.DIV:
        return (
            Domain(
                lambda a, b: b == 0.0,
                ZeroDivisionError,
                lambda i, a, b: f"/: division by zero: {a!r} / {b!r} at batch index {i}",
            ),
        )
    if rule is r.POW:
        return (
            Domain(lambda a, b: (a == 0.0) & (b < 0.0), ZeroDivisionError, _zero_base),
            Domain(
                lambda a, b: (a < 0.0) & np.isfinite(b) & (b != np.floor(b)),
                ValueError,
                _negative_base,
            ),
        )
    k = cg.constant_exponent(rule)
    if k is None:
        return ()
    checks = []
    if k < 0:
        zero = Domain(lambda a: a == 0.0, ZeroDivisionError, lambda i, a: _zero_base(i, a, k))
        checks.append(zero)
    if math.isfinite(k) and not k.is_integer():
        negative = Domain(lambda a: a < 0.0, ValueError, lambda i, a: _negative_base(i, a, k))
        checks.append(negative)
    return tuple(checks)


def _check_domain(np: Any, domains: tuple[Domain, ...], operands: list[Any], shape: tuple) -> None:
    """Raise the first domain error among the examples of a group (``shape``: nodes,
    examples), naming the lowest batch index where any check fails."""
    failures = []
    for domain in domains:
        bad = domain.bad(*operands)
        if bad.any():  # the common case stops here: no copy, no broadcast
            bad = np.broadcast_to(bad, shape)
            i = int(bad.any(axis=0).argmax())
            failures.append((i, int(bad[:, i].argmax()), domain))
    if failures:
        i, node, domain = min(failures, key=lambda f: f[0])
        values = [float(np.broadcast_to(x, shape)[node, i]) for x in operands]
        raise domain.error(domain.message(i, *values))


class Group(NamedTuple):
    """Nodes with one rule at one depth: rows ``start:stop`` of the value matrix."""

    start: int
    stop: int
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


class Plan:
    """How to replay one program on batches: groups, rows, edges and their order.

    Built once per tape from its ``Program``; ``run`` then only makes NumPy calls.

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

    def __init__(self, program: cg.Program) -> None:
        np = self.np = _numpy()
        table = _kernels(np)
        n_in, n_par = program.n_inputs, program.n_params
        first_const = n_in + n_par
        first_op = first_const + len(program.constants)
        self.n_inputs, self.n_params = n_in, n_par
        self.constants = list(program.constants)
        ops = program.ops

        level = [0] * first_op
        for _, parents in ops:
            level.append(1 + max(level[p] for p in parents))

        # The ops the first output depends on: only their edges carry its gradient (the
        # other outputs' ops, has_aux's, run forward only).
        wanted = [False] * len(ops)
        if program.outputs[0] >= first_op:
            wanted[program.outputs[0] - first_op] = True
        for i in range(len(ops) - 1, -1, -1):
            if wanted[i]:
                for p in ops[i][1]:
                    if p >= first_op:
                        wanted[p - first_op] = True

        def in_rows(slot: int) -> bool:
            return slot < n_in or slot >= first_op

        # Group by (depth, rule, which operands are rows), in order of depth.
        groups: dict[tuple, list[int]] = {}
        for i, (rule, parents) in enumerate(ops):
            key = (level[first_op + i], id(rule), tuple(in_rows(p) for p in parents))
            groups.setdefault(key, []).append(i)
        ordered = sorted(groups.items(), key=lambda item: item[0][0])

        row = {s: s for s in range(n_in)}
        scalar = {s: s - n_in for s in range(n_in, first_op)}
        next_row = n_in
        for _, members in ordered:
            for i in members:
                row[first_op + i] = next_row
                next_row += 1
        self.n_rows = next_row

        # Edge rows, with the eager engine's order of adding them up: children in reverse
        # topological order, operands left to right.
        into_row: dict[int, list[tuple[tuple[int, int], int]]] = {}
        into_param: dict[int, list[tuple[tuple[int, int], int]]] = {}
        self.groups: list[Group] = []
        self.levels: list[tuple[int, list[int]]] = []  # (depth, indices of its groups)
        n_edges = 0
        for (depth, _, pattern), members in ordered:
            rule, _ = ops[members[0]]
            # Operand positions taken together: each alone, or for dot and total the terms
            # of each side stacked into one array when they are all rows or all scalars.
            sides = [[k] for k in range(len(pattern))]
            half = len(pattern) // 2
            if rule is r.DOT and len(set(pattern[:half])) == len(set(pattern[half:])) == 1:
                sides = [list(range(half)), list(range(half, len(pattern)))]
            elif rule is r.TOTAL and len(set(pattern)) == 1:
                sides = [list(range(len(pattern)))]
            stacked = len(sides) < len(pattern) or (rule is r.TOTAL and len(pattern) == 1)
            operands, edges, sizes, shared = [], [], [], []
            for side in sides:
                is_row = pattern[side[0]]
                kind = "row" if is_row else "scalar"
                columns = [[ops[i][1][k] for i in members] for k in side]
                index = [[row[p] if is_row else scalar[p] for p in col] for col in columns]
                same = stacked and all(len(set(col)) == 1 for col in index)
                if not stacked:
                    operands.append((kind, _as_slice(np, index[0])))
                elif same:
                    operands.append((kind, _as_slice(np, [col[0] for col in index])))
                else:
                    operands.append((kind, np.array(index, dtype=np.intp)))
                sizes.append(len(side))
                shared.append(same)
                if not is_row and all(p >= first_const for col in columns for p in col):
                    edges.append(None)  # constants only: no gradient wanted
                    continue
                edges.append(n_edges)
                for k, col in zip(side, columns, strict=True):
                    for m, (i, p) in enumerate(zip(members, col, strict=True)):
                        rank = (-i, k)
                        if not wanted[i]:
                            continue
                        if is_row:
                            into_row.setdefault(row[p], []).append((rank, n_edges + m))
                        elif p < first_const:
                            into_param.setdefault(p - n_in, []).append((rank, n_edges + m))
                    n_edges += len(members)
            group = Group(
                row[first_op + members[0]],
                row[first_op + members[-1]] + 1,
                _kernel(np, table, rule, len(pattern), stacked),
                tuple(operands),
                tuple(edges),
                tuple(sizes),
                tuple(shared),
                stacked,
                _domains(np, rule),
            )
            if not self.levels or self.levels[-1][0] != depth:
                self.levels.append((depth, []))
            self.levels[-1][1].append(len(self.groups))
            self.groups.append(group)
        self.n_edges = n_edges

        def gather(targets: list[int], edges: dict[int, list]) -> list[tuple[Any, Any]]:
            """How to add up the edges of ``targets``: a list of (targets, their k-th
            edge) for k = 0, 1, ..., so that each target's edges are added one after
            another in the eager engine's order (a NumPy sum over rows may pair them up
            differently, which changes the rounding)."""
            ranked = {t: [e for _, e in sorted(edges[t])] for t in targets if t in edges}
            steps = []
            for k in range(max(map(len, ranked.values()), default=0)):
                hit = [t for t in ranked if len(ranked[t]) > k]
                steps.append((_as_slice(np, hit), _as_slice(np, [ranked[t][k] for t in hit])))
            return steps

        # A depth's rows are contiguous: from its first group's start to its last's stop.
        self.level_sums = [
            gather(list(range(self.groups[gs[0]].start, self.groups[gs[-1]].stop)), into_row)
            for _, gs in self.levels
        ]
        self.input_sums = gather(list(range(n_in)), into_row)
        self.param_sums = gather(list(range(n_par)), into_param)
        self.outputs = [
            ("row", row[s]) if in_rows(s) else ("scalar", scalar[s]) for s in program.outputs
        ]

    def run(self, inputs: list[Any], params: list[float], grad: bool) -> Any:
        """Outputs (and with ``grad`` the gradients of the first) for a batch of inputs."""
        np = self.np
        n = inputs[0].shape[0]
        V = np.empty((self.n_rows, n))
        for i, x in enumerate(inputs):
            V[i] = x
        S = np.array(params + self.constants, dtype=np.float64)
        cache = []
        for group in self.groups:
            operands = [
                _gather(V, S, kind, ix, size, same)
                for (kind, ix), size, same in zip(
                    group.operands, group.sizes, group.shared, strict=True
                )
            ]
            if group.domains:
                _check_domain(np, group.domains, operands, (group.stop - group.start, n))
            group.kernel[0](V[group.start : group.stop], *operands)
            if grad:
                cache.append(operands)
        outputs = [V[ix] if kind == "row" else np.full(n, S[ix]) for kind, ix in self.outputs]
        if not grad:
            return outputs
        return outputs, self._backward(V, S, cache, n)

    def _backward(self, V: Any, S: Any, cache: list, n: int) -> tuple:
        np = self.np
        kind, root = self.outputs[0]
        if kind == "scalar" or root < self.n_inputs:
            # The output is a leaf: its gradient is 1 for itself, 0 for everything else.
            grads: list[Any] = [np.zeros(n) for _ in range(self.n_inputs)]
            grads += [0.0] * self.n_params
            if kind == "row":
                grads[root] = np.ones(n)
            elif root < self.n_params:
                grads[self.n_inputs + root] = float(n)
            return tuple(grads)
        G = np.empty((self.n_rows, n))
        E = np.empty((self.n_edges, n))
        G[root] = 1.0
        for (_, members), steps in zip(
            reversed(self.levels), reversed(self.level_sums), strict=True
        ):
            # Every depth but the output's: its children have all written their edges.
            _add_up(E, steps, G)
            for index in members:
                group = self.groups[index]
                g = G[group.start : group.stop]
                locals_ = group.kernel[1](V[group.start : group.stop], *cache[index])
                m = group.stop - group.start
                for first, local, size in zip(group.edges, locals_, group.sizes, strict=True):
                    if first is not None:
                        block = E[first : first + size * m]
                        if group.stacked:
                            block = block.reshape(size, m, n)
                        np.multiply(g, local, out=block)
        GI = np.zeros((self.n_inputs, n))
        _add_up(E, self.input_sums, GI)
        # Parameters: each edge summed over the batch first (in NumPy's order), then the
        # edges of each parameter in order.
        GP = np.zeros(self.n_params)
        for k, (hit, edges) in enumerate(self.param_sums):
            if k == 0:
                GP[hit] = E[edges].sum(axis=1)
            else:
                GP[hit] += E[edges].sum(axis=1)
        return (*GI, *GP.tolist())


_EMPTY = slice(0, 0)


def _gather(V: Any, S: Any, kind: str, index: Any, size: int, shared: bool) -> Any:
    """An operand's values: rows of ``V`` or scalars of ``S`` (broadcast along examples),
    stacked to (positions, nodes, examples) for a stacked side."""
    if kind == "row":
        return V[index][:, None, :] if shared else V[index]
    if shared:
        return S[index][:, None, None]
    return S[index][..., None]


def _add_up(E: Any, steps: list[tuple[Any, Any]], G: Any) -> None:
    """Set each target row of ``G`` to the sum of its edge rows of ``E`` (see gather)."""
    for k, (hit, edges) in enumerate(steps):
        if k == 0:
            G[hit] = E[edges]
        else:
            G[hit] += E[edges]


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
    arrays = []
    for i, x in enumerate(given):
        a = np.asarray(x, dtype=np.float64)
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


def run(tape: Tape, inputs: Sequence[Any], grad: bool) -> Any:
    """Replay ``tape`` on a batch (``Tape.batch`` and ``Tape.batch_value_and_grad``).

    Example:
        >>> from autograd import trace
        >>> run(trace(lambda x: x * x, 1.0), [[1.0, 2.0]], grad=False).tolist()
        [1.0, 4.0]
    """
    np = _numpy()
    where = "batch_value_and_grad" if grad else "batch"
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
