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

from typing import TYPE_CHECKING, NamedTuple

from .. import rules as r

if TYPE_CHECKING:  # codegen imports this module
    from .codegen import Program

__all__ = ["MIN_OPERANDS", "MIN_RUN", "Run", "find_runs"]

MIN_RUN = 32
MIN_OPERANDS = 40_000


class Run(NamedTuple):
    """A dot op whose operands on one side are the parameters ``P[start:stop]``.

    ``left``: the parameters are the dot's first half (``dot(weights, inputs)``).
    ``others``: the slots of the other half, in order.
    """

    left: bool
    start: int
    stop: int
    others: tuple[int, ...]


def _uses(program: Program) -> list[int]:
    """How many operand positions read each slot."""
    counts = [0] * (program.n_inputs + program.n_params + len(program.constants))
    counts += [0] * len(program.ops)
    for _, parents in program.ops:
        for p in parents:
            counts[p] += 1
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
        {0: Run(left=True, start=0, stop=2, others=(0, 1))}
        >>> find_runs(Program(2, 2, (), ops, (4,)), min_run=2)  # too small to slice
        {}
    """
    if sum(len(parents) for _, parents in program.ops) < min_operands:
        return {}
    uses = _uses(program)
    runs: dict[int, Run] = {}
    for i, (rule, parents) in enumerate(program.ops):
        n = len(parents) // 2
        if rule != r.DOT or n < min_run:
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
