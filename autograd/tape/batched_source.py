"""A batched plan written out as straight-line Python: one line per NumPy call.

A plan (``batched.Plan``) is data: groups of nodes, their rows and operands, the edges
of the reverse sweep and how they add up. Interpreting that data costs a few
microseconds of Python per group and direction, which for micrograd's demo network is
more than the arithmetic on its blocks of rows. So the plan is written out once as the
source of one function, ``replay(V, S, n, grad)``, as the float replay is
(``autograd.tape.codegen``), and compiled. Its numbers are the plan's own indices printed
with ``repr``, its names ours; the kernels, index arrays, rules and domain checks are
bound as names. Nothing a user wrote reaches ``compile``.

The function fills the value matrix ``V`` (the inputs' rows already set) group by group,
testing each domain before the group runs; with ``grad`` it then runs the reverse sweep
and returns the buffer ``B`` (the nodes' gradients, then the edges) and the parameters'
gradients ``GP``.

Example:
    >>> import numpy as np
    >>> from autograd import trace
    >>> from autograd.tape.batched import Plan
    >>> print(source(Plan(trace(lambda x: x * x, 1.0).program)), end="")
    def replay(V, S, n, grad):
        F0(V[1:2], V[0:1], V[0:1])
        if not grad:
            return None
        B = empty((4, n))
        B[1] = 1.0
        l0 = K0(V[1:2], V[0:1], V[0:1])
        multiply(B[1:2], l0[0], out=B[2:3])
        multiply(B[1:2], l0[1], out=B[3:4])
        B[0:1] = B[2:3]
        B[0:1] += B[3:4]
        GP = zeros(0)
        return B, GP
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .layers import Fused

if TYPE_CHECKING:
    from .batched import Group, Plan

__all__ = ["compile_plan", "source"]


class _Writer:
    """Lines of source, and the objects they name."""

    def __init__(self, np: Any) -> None:
        self.lines: list[str] = []
        self.names: dict[str, Any] = {
            "np": np, "empty": np.empty, "zeros": np.zeros, "multiply": np.multiply,
            "copyto": np.copyto, "equal": np.equal, "matmul": np.matmul,
        }  # fmt: skip
        self.n_arrays = 0
        self.operands: dict[int, str] = {}  # per group, its operands as source

    def line(self, text: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + text)

    def bind(self, name: str, value: Any) -> str:
        self.names[name] = value
        return name

    def index(self, ix: Any) -> str:
        """An index as source: a slice written out, an array bound to a name."""
        if isinstance(ix, slice):
            return f"{ix.start}:{ix.stop}" + ("" if ix.step == 1 else f":{ix.step}")
        if isinstance(ix, int):
            return repr(ix)
        self.n_arrays += 1
        return self.bind(f"I{self.n_arrays}", ix)


def _gather(w: _Writer, kind: str, ix: Any, shared: bool) -> str:
    """An operand's values: rows of ``V``, or scalars of ``S`` broadcast along the
    examples; a side all of one parent (``shared``) broadcast along the nodes too."""
    if kind == "row":
        return f"V[{w.index(ix)}]" + ("[:, None, :]" if shared else "")
    return f"S[{w.index(ix)}]" + ("[:, None, None]" if shared else "[..., None]")


def _view(
    w: _Writer, array: str, view: tuple[int, int] | None, ix: Any, shape: tuple[int, int]
) -> str:
    """A layer's weights (``shape``) or biases (``shape[1] == 0``) in ``array``: a view
    where they are evenly laid out (``Fused.weights_view``), else gathered."""
    if view is None:
        return f"{array}[{w.index(ix)}]"
    (offset, stride), (n_out, n_in) = view, shape
    if n_in == 0:
        return f"{array}[{offset}:{offset + stride * (n_out - 1) + 1}:{stride}]"
    rows = f"{array}[{offset}:{offset + stride * n_out}].reshape({n_out}, {stride})"
    return rows if stride == n_in else f"{rows}[:, :{n_in}]"


def _fused_forward(w: _Writer, g: int, layer: Fused) -> None:
    """``Z = W @ X + b`` into the layer's rows (``[W | b] @ [X; 1]`` when augmented)."""
    rows, n_out, n_in = f"V[{layer.start}:{layer.stop}]", layer.n_out, layer.n_in
    if layer.augmented:
        assert layer.weights_view is not None  # an augmented layer's weights are a view
        offset, stride = layer.weights_view
        w.line(f"W{g} = S[{offset}:{offset + stride * n_out}].reshape({n_out}, {stride})")
        w.line(f"X{g} = empty(({n_in + 1}, n))")
        w.line(f"X{g}[:{n_in}] = V[{w.index(layer.rows)}]")
        w.line(f"X{g}[{n_in}] = 1.0")
        w.line(f"matmul(W{g}, X{g}, out={rows})")
        return
    w.line(f"W{g} = {_view(w, 'S', layer.weights_view, layer.weights, (n_out, n_in))}")
    w.line(f"X{g} = V[{w.index(layer.rows)}]")
    w.line(f"matmul(W{g}, X{g}, out={rows})")
    if layer.biases is not None:
        biases = _view(w, "S", layer.biases_view, layer.biases, (n_out, 0))
        w.line(f"{rows} += {biases}[:, None]")


def _fused_backward(w: _Writer, g: int, layer: Fused) -> None:
    """The transposes: ``W.T @ G`` into the inputs' edges."""
    if layer.edges is not None:
        out = f"B[{layer.edges}:{layer.edges + layer.n_in}]"
        W = f"W{g}[:, :{layer.n_in}]" if layer.augmented else f"W{g}"
        w.line(f"matmul({W}.T, B[{layer.start}:{layer.stop}], out={out})")


def _fused_param_grads(w: _Writer, g: int, layer: Fused) -> None:
    """``G @ X.T`` into the weights, ``G`` summed over the batch into the biases (both
    at once when augmented: ``G @ [X; 1].T``)."""
    G, n_out, n_in = f"B[{layer.start}:{layer.stop}]", layer.n_out, layer.n_in
    if layer.exclusive:  # written straight into views of GP (see Fused)
        shape = (n_out, n_in + 1) if layer.augmented else (n_out, n_in)
        weights = _view(w, "GP", layer.weights_view, None, shape)
        w.line(f"matmul({G}, X{g}.T, out={weights})")
        if layer.biases is not None and not layer.augmented:
            biases = _view(w, "GP", layer.biases_view, None, (n_out, 0))
            w.line(f"{G}.sum(axis=1, out={biases})")
        return
    name = w.bind(f"L{g}", layer)
    if layer.augmented:
        w.line(f"GA = {G} @ X{g}.T")
        w.line(f"{name}.add_weight_grads(GP, GA[:, :{n_in}])")
        w.line(f"{name}.add_bias_grads(GP, GA[:, {n_in}])")
        return
    w.line(f"{name}.add_weight_grads(GP, {G} @ X{g}.T)")
    if layer.biases is not None:
        w.line(f"{name}.add_bias_grads(GP, {G}.sum(axis=1))")


def _forward(w: _Writer, g: int, group: Group | Fused) -> None:
    if isinstance(group, Fused):
        _fused_forward(w, g, group)
        return
    operands = []
    for k, ((kind, ix), shared) in enumerate(zip(group.operands, group.shared, strict=True)):
        value = _gather(w, kind, ix, shared)
        if isinstance(ix, slice):  # a view: written where it is used (fewer lines to compile)
            operands.append(value)
        else:  # a gather copies: once, for the forward and the reverse sweep
            operands.append(f"o{g}_{k}")
            w.line(f"o{g}_{k} = {value}")
    listed = w.operands[g] = ", ".join(operands)
    if group.domains:
        rule, checks = w.bind(f"R{g}", group.rule), w.bind(f"C{g}", group.domains)
        w.line(f"check(np, {rule}, {checks}, [{listed}], ({group.stop - group.start}, n))")
    w.line(f"{w.bind(f'F{g}', group.kernel.forward)}(V[{group.start}:{group.stop}], {listed})")


def _edges(w: _Writer, g: int, group: Group | Fused) -> None:
    """The lines writing ``g * local`` into a group's edge rows of the buffer ``B``."""
    if isinstance(group, Fused):
        _fused_backward(w, g, group)
        return
    if all(first is None for first in group.edges):
        return
    m = group.stop - group.start
    operands = w.operands[g]
    rows = f"{group.start}:{group.stop}"
    if group.kernel.edges is not None and not group.stacked:
        name = w.bind(f"E{g}", group.kernel.edges)
        w.line(f"d{g} = {name}(B[{rows}], V[{rows}], {operands})")
        for k, first in enumerate(group.edges):
            if first is not None:
                w.line(f"B[{first}:{first + m}] = d{g}[{k}]")
        return
    w.line(f"l{g} = {w.bind(f'K{g}', group.kernel.local)}(V[{rows}], {operands})")
    for k, (first, size) in enumerate(zip(group.edges, group.sizes, strict=True)):
        if first is None:
            continue
        block = f"B[{first}:{first + size * m}]"
        if group.stacked:
            block += f".reshape({size}, {m}, n)"
        if group.kernel.masks:
            # A zero local derivative passes exactly 0, even for an inf or nan gradient.
            w.line(f"e = {block}")
            w.line(f"multiply(B[{rows}], l{g}[{k}], out=e)")
            w.line(f"copyto(e, 0.0, where=equal(l{g}[{k}], 0.0))")
        else:
            w.line(f"multiply(B[{rows}], l{g}[{k}], out={block})")


def _as_index(np: Any, rows: list[int]) -> Any:
    """Rows as a slice where they are consecutive, else an index array."""
    if rows == list(range(rows[0], rows[-1] + 1)):
        return slice(rows[0], rows[-1] + 1, 1)
    return np.array(rows, dtype=np.intp)


def _add_up(w: _Writer, steps: list[tuple[Any, Any]]) -> None:
    """Each target's edges added one after another, in the eager engine's order."""
    for k, (hit, edges) in enumerate(steps):
        w.line(f"B[{w.index(hit)}] {'=' if k == 0 else '+='} B[{w.index(edges)}]")


def _backward(w: _Writer, plan: Plan, root: int) -> None:
    w.line(f"B = empty(({plan.n_rows + plan.n_edges}, n))")
    if plan.unreached:  # inputs that no edge reaches
        w.line(f"B[{w.index(_as_index(plan.np, plan.unreached))}] = 0.0")
    w.line(f"B[{root}] = 1.0")
    for (_, members), steps in zip(reversed(plan.levels), reversed(plan.level_sums), strict=True):
        _add_up(w, steps)  # every depth's children have all written their edges
        for g in members:
            _edges(w, g, plan.groups[g])
    _add_up(w, plan.input_sums)
    # Parameters: each edge summed over the batch first, then the edges in order.
    w.line(f"GP = zeros({plan.n_grads})")
    for k, (hit, edges) in enumerate(plan.param_sums):
        w.line(f"GP[{w.index(hit)}] {'=' if k == 0 else '+='} B[{w.index(edges)}].sum(axis=1)")
    for g, group in enumerate(plan.groups):
        if isinstance(group, Fused) and group.edges is not None:
            _fused_param_grads(w, g, group)
    w.line("return B, GP")


def _write(plan: Plan) -> _Writer:
    w = _Writer(plan.np)
    w.line("def replay(V, S, n, grad):", 0)
    for g, group in enumerate(plan.groups):
        _forward(w, g, group)
    w.line("if not grad:")
    w.line("return None", 2)
    kind, root = plan.outputs[0]
    if kind == "row" and root >= plan.n_inputs:  # else a leaf: Plan.run knows its gradients
        _backward(w, plan, root)
    return w


def source(plan: Plan) -> str:
    """The source of ``plan``'s replay, for reading and debugging."""
    return "\n".join(_write(plan).lines) + "\n"


def compile_plan(plan: Plan, check: Callable[..., None]) -> Callable[..., Any]:
    """``plan``'s replay, compiled; ``check(np, rule, checks, operands, shape)`` raises a
    group's first domain error."""
    w = _write(plan)
    w.bind("check", check)
    code = compile("\n".join(w.lines) + "\n", "<chainrule batched replay>", "exec")
    scope = dict(w.names)
    exec(code, scope)  # our own source: indices and names, never user text
    fn: Callable[..., Any] = scope["replay"]
    return fn
