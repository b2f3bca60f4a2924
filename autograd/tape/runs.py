"""Long ``dot`` nodes over runs of parameters, found so that float source can slice them.

A neuron of ``nn.MLP`` is ``dot(weights, inputs)``: its weights are consecutive
parameters that no other op reads. Written one name per weight, a 2-256-256-1 network's
float replay is 135,000 statements, and CPython's compiler spends about 10 us on each
(1.5 s); the cost is per name in the source, whatever the statement shapes. Written as
slices of the parameter tuple (``P[a:b]``) and of a gradient list (``G[a:b] = ...``),
the same replay is a few statements per neuron, and compiles in a few milliseconds per
layer. The numbers are the same: ``fsum(map(mul, ...))`` is the rule's own forward, and
each gradient receives the same terms in the same order.

Slices are for big programs only. Replaying them costs about 1.35 times what one name
per operand costs (each product is a call through ``map``) until the one-name function
outgrows the caches (at about 100,000 operands it is the slower one), so a program with
fewer than ``MIN_OPERANDS`` operands, which compiles in under half a second, is written
with a name per operand; so are dots of fewer than ``MIN_RUN`` parameters.

The one exception is a sum of squares of parameters (``squares``): the L2 term
``sum(p * p for p in params)``, or ``dot(params, params)``. Written as a loop over the
slice it replays in less than half the time of its one-name source (16 us against 41 us
for micrograd's demo network, 337 parameters, CPython 3.11), so it is found in programs
of any size.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, NamedTuple

from .. import rules as r

if TYPE_CHECKING:  # codegen imports this module
    from .codegen import Program

__all__ = ["MIN_OPERANDS", "MIN_RUN", "Run", "find_runs"]

MIN_RUN = 32
MIN_OPERANDS = 40_000


class Run(NamedTuple):
    """A sum of products whose factors on one side are the parameters ``P[start:stop]``.

    Either a dot op, or (``base`` set) a chain ``base + w0 * x0 + w1 * x1 + ...`` of
    ``+`` and ``*`` ops, micrograd's neuron, that ends at the op the run is found under;
    ``interior`` lists the chain's other ops (by index), which no other op reads.
    ``left``: the parameters are the first factors (``w * x``, ``dot(weights, inputs)``).
    ``others``: the other factors' slots, in order.
    ``squares``: each product is a parameter times itself (``others`` are the
    parameters' own slots).
    """

    left: bool
    start: int
    stop: int
    others: tuple[int, ...]
    base: int | None = None
    interior: tuple[int, ...] = ()
    squares: bool = False


def _uses(program: Program) -> list[int]:
    """How many operand positions (and outputs) read each slot."""
    counts = [0] * (program.n_inputs + program.n_params + len(program.constants))
    counts += [0] * len(program.ops)
    for _, parents in program.ops:
        for p in parents:
            counts[p] += 1
    for o in program.outputs:
        counts[o] += 1
    return counts


def _param_run(
    program: Program, half: tuple[int, ...], uses: list[int], reads: int = 1
) -> int | None:
    """The first parameter index of ``half`` if it is consecutive parameters, each read by
    this op only (``reads`` times); else None."""
    first = half[0] - program.n_inputs
    if first < 0 or first + len(half) > program.n_params:
        return None
    if any(s != half[0] + k or uses[s] != reads for k, s in enumerate(half)):
        return None
    return first


def find_runs(
    program: Program, min_run: int = MIN_RUN, min_operands: int = MIN_OPERANDS
) -> dict[int, Run]:
    """The dot ops and chains (by index in ``program.ops``) with a run of at least
    ``min_run`` parameters on one side, if the program has ``min_operands`` operands or
    more; sums of squares of parameters (``Run.squares``) whatever its size.

    Example:
        >>> from autograd.tape.codegen import Program
        >>> ops = ((r.DOT, (2, 3, 0, 1)),)  # dot([p0, p1], [x0, x1])
        >>> find_runs(Program(2, 2, (), ops, (4,)), min_run=2, min_operands=0)
        {0: Run(left=True, start=0, stop=2, others=(0, 1), base=None, interior=(), squares=False)}
        >>> find_runs(Program(2, 2, (), ops, (4,)), min_run=2)  # too small to slice
        {}
        >>> find_runs(Program(2, 2, (), ((r.DOT, (2, 3, 2, 3)),), (4,)), min_run=2)
        {0: Run(left=True, start=0, stop=2, others=(2, 3), base=None, interior=(), squares=True)}
    """
    squares_only = sum(len(parents) for _, parents in program.ops) < min_operands
    uses = _uses(program)
    kinds = _kinds(program)
    runs = _chains(program, uses, kinds, min_run, squares_only)
    for i, (_, parents) in enumerate(program.ops):
        n = len(parents) // 2
        if kinds[i] != "dot" or n < min_run:
            continue
        if parents[:n] == parents[n:]:
            start = _param_run(program, parents[:n], uses, reads=2)
            if start is not None:
                runs[i] = Run(True, start, start + n, parents[:n], squares=True)
            continue
        for left, half, other in (
            (True, parents[:n], parents[n:]),
            (False, parents[n:], parents[:n]),
        ):
            start = _param_run(program, half, uses)
            if start is not None and not squares_only:
                runs[i] = Run(left, start, start + n, other)
                break
    return runs


def _first_op(program: Program) -> int:
    return program.n_inputs + program.n_params + len(program.constants)


def _kinds(program: Program) -> list[str]:
    """Each op's kind here: "+", "*", "dot" or "". (Rules compare by value in Python, so
    each distinct rule object is compared once, not each of 133,000 ops.)"""
    by_id: dict[int, str] = {}
    kinds = []
    for rule, _ in program.ops:
        kind = by_id.get(id(rule))
        if kind is None:
            named = {r.ADD: "+", r.MUL: "*", r.DOT: "dot"}
            kind = by_id[id(rule)] = next((k for t, k in named.items() if rule == t), "")
        kinds.append(kind)
    return kinds


def _is_link(program: Program, i: int, uses: list[int], kinds: list[str]) -> bool:
    """Whether op ``i`` is ``acc + product``, its product read by no other op."""
    if kinds[i] != "+":
        return False
    product = program.ops[i][1][1]
    term = product - _first_op(program)
    return term >= 0 and uses[product] == 1 and kinds[term] == "*"


def _links(
    program: Program, end: int, uses: list[int], kinds: list[str]
) -> tuple[int, list[int], list[int]]:
    """Walking back from the link ``end``: the chain's first addend ``base``, its
    products (ops, first first) and its other ``+`` ops, each read by the next only."""
    first_op = _first_op(program)
    products: list[int] = []
    adds: list[int] = []
    node = end
    while True:
        acc, term = program.ops[node][1]
        products.append(term - first_op)
        if acc < first_op or uses[acc] != 1 or not _is_link(program, acc - first_op, uses, kinds):
            return acc, products[::-1], adds
        node = acc - first_op
        adds.append(node)


def _chain(
    program: Program, end: int, uses: list[int], kinds: list[str], min_run: int, squares_only: bool
) -> Run | None:
    """The run of the chain ending at the link ``end``, if its products are parameters
    in order (each read once) times distinct other operands, or each parameter times
    itself (each read by its product only); else None. With ``squares_only``, only the
    latter."""
    base, products, adds = _links(program, end, uses, kinds)
    if len(products) < min_run:
        return None
    factors = [program.ops[m][1] for m in products]
    interior = tuple(sorted(products + adds))
    firsts = tuple(f[0] for f in factors)
    if all(f[0] == f[1] for f in factors):
        start = _param_run(program, firsts, uses, reads=2)
        if start is None:
            return None
        return Run(True, start, start + len(products), firsts, base, interior, squares=True)
    for left in (True, False):
        start = _param_run(program, tuple(f[0 if left else 1] for f in factors), uses)
        others = tuple(f[1 if left else 0] for f in factors)
        if start is None or squares_only or len(set(others)) != len(others) or base in others:
            continue
        return Run(left, start, start + len(products), others, base, interior)
    return None


def _reordered(program: Program, runs: dict[int, Run]) -> set[int]:
    """The chains (by end) that would change the order in which some operand's gradient
    sums its terms: a chain sends all its terms where it ends, the eager engine each one
    at its own op. (In an MLP no chain does: each neuron's ops are consecutive.)"""
    fused_at = {op: end for end, run in runs.items() for op in run.interior}
    watched = {s for run in runs.values() for s in run.others}
    watched.update(run.base for run in runs.values() if run.base is not None)
    sent: dict[int, list[int]] = {s: [] for s in watched}  # slot -> the ops sending terms
    for i, (_, parents) in enumerate(program.ops):
        at = fused_at.get(i, i)
        for p in parents:
            if p in watched:
                sent[p].append(at)
    bad: set[int] = set()
    for ats in sent.values():
        # The reverse sweep meets ops from the last: in op order, where the terms are
        # sent from must never go down.
        if any(a > b for a, b in itertools.pairwise(ats)):
            bad.update(at for at in ats if at in runs)
    return bad


def _chains(
    program: Program, uses: list[int], kinds: list[str], min_run: int, squares_only: bool
) -> dict[int, Run]:
    """The longest chains (``base + w0 * x0 + ...``) over runs of parameters."""
    runs: dict[int, Run] = {}
    claimed: set[int] = set()
    for i in range(len(program.ops) - 1, -1, -1):
        if i in claimed or not _is_link(program, i, uses, kinds):
            continue
        run = _chain(program, i, uses, kinds, min_run, squares_only)
        if run is not None:
            runs[i] = run
            claimed.update(run.interior)
    while bad := _reordered(program, runs):
        for end in bad:
            del runs[end]
    return runs
