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
    """

    left: bool
    start: int
    stop: int
    others: tuple[int, ...]
    base: int | None = None
    interior: tuple[int, ...] = ()


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


def _param_run(program: Program, half: tuple[int, ...], uses: list[int]) -> int | None:
    """The first parameter index of ``half`` if it is consecutive parameters, each read by
    this op only; else None."""
    first = half[0] - program.n_inputs
    if first < 0 or first + len(half) > program.n_params:
        return None
    if any(s != half[0] + k or uses[s] != 1 for k, s in enumerate(half)):
        return None
    return first


def find_runs(
    program: Program, min_run: int = MIN_RUN, min_operands: int = MIN_OPERANDS
) -> dict[int, Run]:
    """The dot ops (by index in ``program.ops``) with a run of at least ``min_run``
    parameters on one side, if the program has ``min_operands`` operands or more.

    Example:
        >>> from autograd.tape.codegen import Program
        >>> ops = ((r.DOT, (2, 3, 0, 1)),)  # dot([p0, p1], [x0, x1])
        >>> find_runs(Program(2, 2, (), ops, (4,)), min_run=2, min_operands=0)
        {0: Run(left=True, start=0, stop=2, others=(0, 1), base=None, interior=())}
        >>> find_runs(Program(2, 2, (), ops, (4,)), min_run=2)  # too small to slice
        {}
    """
    if sum(len(parents) for _, parents in program.ops) < min_operands:
        return {}
    uses = _uses(program)
    kinds = _kinds(program)
    runs = _chains(program, uses, kinds, min_run)
    for i, (_, parents) in enumerate(program.ops):
        n = len(parents) // 2
        if kinds[i] != "dot" or n < min_run:
            continue
        for left, half, other in (
            (True, parents[:n], parents[n:]),
            (False, parents[n:], parents[:n]),
        ):
            start = _param_run(program, half, uses)
            if start is not None:
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
    program: Program, end: int, uses: list[int], kinds: list[str], min_run: int
) -> Run | None:
    """The run of the chain ending at the link ``end``, if its products are parameters
    in order (each read once) times distinct other operands; else None."""
    base, products, adds = _links(program, end, uses, kinds)
    if len(products) < min_run:
        return None
    factors = [program.ops[m][1] for m in products]
    for left in (True, False):
        start = _param_run(program, tuple(f[0 if left else 1] for f in factors), uses)
        others = tuple(f[1 if left else 0] for f in factors)
        if start is not None and len(set(others)) == len(others) and base not in others:
            interior = tuple(sorted(products + adds))
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


def _chains(program: Program, uses: list[int], kinds: list[str], min_run: int) -> dict[int, Run]:
    """The longest chains (``base + w0 * x0 + ...``) over runs of parameters."""
    runs: dict[int, Run] = {}
    claimed: set[int] = set()
    for i in range(len(program.ops) - 1, -1, -1):
        if i in claimed or not _is_link(program, i, uses, kinds):
            continue
        run = _chain(program, i, uses, kinds, min_run)
        if run is not None:
            runs[i] = run
            claimed.update(run.interior)
    while bad := _reordered(program, runs):
        for end in bad:
            del runs[end]
    return runs
