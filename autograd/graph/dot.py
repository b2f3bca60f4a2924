"""Computation graphs as Graphviz DOT text (no Graphviz program needed).

Each value is a record ``name | data | grad``; each op is a small node between the values
it combines and the value it makes. The name is the one ``explain`` uses (``_names``): the
parameter's name, else the label, else ``t<k>`` for ``v<k>``. Node ids come from the
topological order (``v12`` is the 13th node emitted), never from ``id()``, so one graph
gives the same bytes on every run.
Everything here walks the graph with explicit loops: any depth works.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..backward import topological_order
from ..value import Value
from ._names import layer_of, neuron_of, node_names, param_names
from ._text import printable

__all__ = ["GraphTooLargeError", "to_dot"]

# Fill colours. Kinds are told apart by shape and border too, so they stay distinct when
# gradient colouring replaces the fills.
_FILL = {"output": "#fde3a7", "param": "#cfe2f3", "leaf": "#eeeeee", "value": "#ffffff"}
# viridis in 8 steps, dark (small |grad|) to bright (large |grad|)
_PALETTE = (
    "#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725",
)  # fmt: skip
_NO_FLOW = "#d9d9d9"  # grad exactly 0: nothing flows through this node
_NOT_FINITE = "#e31a1c"  # grad inf or nan
_LEAF_SUMMARY_AT = 12
# A number shows as ≈0 when it is at most this fraction of the terms it was made from: a
# value's data, of |local derivative * operand| (how far a relative error in an operand
# moves it: 0.1 + 0.2 - 0.3 is ≈0, but 1e-13 * 1.0 is exact); a grad, of the gradients it
# sums. Float rounding leaves about 1e-16 of them; the exact value is in the tooltip.
_NOISE = 1e-12  # collapsed drawings merge more ungrouped leaves than this into one node

# Groups besides the neurons (0, 1, ...): in no group, and computed from parameters alone.
_NONE = -1
_PARAMS_ONLY = -2
# What a node depends on, as bits (assign_groups): a parameter itself, a value without
# parameters (inputs, constants), a value mixing parameters and data, parameters alone.
_DEP_PARAM, _DEP_FREE, _DEP_DATA, _DEP_PARAMS_ONLY = 1, 2, 4, 8


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes``; the message says what to do instead."""


def to_dot(
    root: Value,
    *,
    params: Mapping[str, Value] | Iterable[tuple[str, Value]] | None = None,
    rankdir: str = "LR",
    show_grad: bool = True,
    digits: int = 4,
    grad_colors: bool = False,
    depth: int | None = None,
    max_nodes: int = 500,
    cluster: bool = False,
    collapse: bool = False,
) -> str:
    """The DOT source of the graph that computed ``root``.

    Args:
        root: the output to draw; every node it depends on is drawn (see ``depth``).
        params: ``(name, Value)`` pairs or a ``{name: Value}`` dict, e.g.
            ``model.named_parameters()``. Parameters are drawn with their dotted names,
            and the names define the neurons and layers used by ``cluster`` and
            ``collapse`` (``layers.0.neurons.1.w.0`` is in neuron ``layers.0.neurons.1``
            of layer ``layers.0``: the name up to its last non-numeric part).
        rankdir: "LR" (left to right) or "TB" (top to bottom).
        show_grad: show each value's ``.grad`` next to its data. A data or grad that
            is rounding noise next to zero shows as ``≈0``, its exact value in the
            node's tooltip: nonzero, and at most 1e-12 of the largest term it was made
            from (for data, |local derivative * operand|; for a grad, the gradients it
            sums). So ``(0.1 + 0.2) - 0.3`` reads ``data ≈0``; a leaf shows as given.
        digits: significant digits of the numbers shown.
        grad_colors: colour nodes and edges by log10 |grad| (dark = small, bright =
            large, grey = exactly 0, red = inf or nan), to see vanishing and exploding
            gradients. An edge is coloured by the gradient flowing along it. The colours
            span the 5th to 95th percentile of the graph's own nonzero |grad| (beyond
            them, the end colours); the label under the picture gives both ends.
        depth: draw only values at most this many steps from ``root`` (0: the root
            alone). Ops whose inputs are cut off are drawn dashed.
        max_nodes: raise ``GraphTooLargeError`` rather than draw more values than this.
        cluster: box each neuron's nodes, inside a box per layer (needs ``params``).
            A node belongs to a neuron if it combines that neuron's parameters with
            data: an input (a value without parameters that meets a parameter, like x
            in w * x) or another neuron's output. Among such neurons it joins the
            latest in parameter order, so a neuron's products, sums and activation go
            with it. Nodes computed from parameters alone (a penalty such as
            ``1e-4 * sum(p * p for p in params)``) are in no neuron's box. A number
            multiplied straight into a parameter (``0.5 * p``) reads as an input.
        collapse: draw each neuron as one node (needs ``params``), grouping nodes as
            ``cluster`` does; all nodes computed from parameters alone become one node
            "parameters only", whose label counts the parameters it reads instead of
            drawing an edge from every neuron.

    Returns:
        The DOT text, identical for identical graphs.

    Example:
        >>> x = Value(2.0, label="x")
        >>> y = (x * x).tanh()
        >>> y.label = "y"
        >>> y.backward()
        >>> src = to_dot(y)
        >>> src.count(" -> ")  # x -> * twice (x * x keeps both edges), * -> t, t -> tanh -> y
        5
        >>> [line.split(" [")[0].strip() for line in src.splitlines() if "class=" in line]
        ['v0', 'v1', 'o1', 'v2', 'o2']
        >>> src.splitlines()[4]
        '  v0 [label="{ x | data 2 | grad 0.005364 }", class="leaf", shape="Mrecord", style="filled", fillcolor="#eeeeee"];'
    """  # noqa: E501 (a DOT line in the example)
    _check_options(root, rankdir, digits, depth, max_nodes, collapse)
    names = param_names(params)
    if (cluster or collapse) and not names:
        option = "collapse" if collapse else "cluster"
        raise ValueError(
            f"to_dot: {option}=True needs params=model.named_parameters() (name, Value) pairs "
            "to know which nodes belong to which neuron"
        )

    order = topological_order(root)
    writer = _DotWriter(order, names, digits, show_grad, rankdir)
    if depth is not None:
        distance = _distances(root)
        writer.keep = {n for n in order if distance[n] <= depth}
    if cluster or collapse:
        writer.assign_groups()

    if collapse:
        lines = writer.collapsed_body(cluster, grad_colors)
        if writer.drawn > max_nodes:
            raise GraphTooLargeError(_collapsed_too_large(writer.drawn, max_nodes, writer.groups))
    else:
        kept = len(order) if writer.keep is None else len(writer.keep)
        if kept > max_nodes:
            raise GraphTooLargeError(_too_large(root, order, max_nodes, bool(names)))
        lines = writer.full_body(cluster, grad_colors)

    notes = []
    if writer.keep is not None:
        notes.append(
            f"depth {depth}: {len(writer.keep):,} of {len(order):,} values; "
            "dashed ops have inputs not drawn"
        )
    if grad_colors:
        notes.append(writer.legend())
    head = [
        "digraph chainrule {",
        f'  graph [rankdir={rankdir}, fontname="DejaVu Sans", fontsize=11'
        # a second crossing pass would undo the neurons' order in the layers' boxes
        + (", remincross=false" if collapse and cluster else "")
        + (f', label="{_quote(" / ".join(notes))}", labelloc=b' if notes else "")
        + "];",
        '  node [fontname="DejaVu Sans", fontsize=11];',
        '  edge [fontname="DejaVu Sans", fontsize=11, arrowsize=0.6];',
    ]
    return "\n".join([*head, *lines, "}"]) + "\n"


# --- checking arguments --------------------------------------------------------------------


def _check_options(
    root: object, rankdir: str, digits: int, depth: int | None, max_nodes: int, collapse: bool
) -> None:
    # root: object, since this is where a caller without a type checker learns it is not a Value
    if not isinstance(root, Value):
        raise TypeError(f"to_dot: root must be a Value, got {type(root).__name__}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"to_dot: rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if not _is_int(digits) or not 1 <= digits <= 17:
        raise ValueError(f"to_dot: digits must be an int from 1 to 17, got {digits!r}")
    if depth is not None and (not _is_int(depth) or depth < 0):
        raise ValueError(f"to_dot: depth must be None or an int >= 0, got {depth!r}")
    if not _is_int(max_nodes) or max_nodes < 1:
        raise ValueError(f"to_dot: max_nodes must be an int >= 1, got {max_nodes!r}")
    if collapse and depth is not None:
        raise ValueError("to_dot: use depth or collapse, not both")


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _distances(root: Value) -> dict[Value, int]:
    """Fewest steps from ``root`` back to each node (breadth-first, iterative)."""
    distance = {root: 0}
    queue = deque([root])
    while queue:
        node = queue.popleft()
        d = distance[node] + 1
        for parent in node.parents:
            if parent not in distance:
                distance[parent] = d
                queue.append(parent)
    return distance


def _too_large(root: Value, order: list[Value], max_nodes: int, named: bool) -> str:
    distance = _distances(root)
    per_level: dict[int, int] = {}
    for d in distance.values():
        per_level[d] = per_level.get(d, 0) + 1
    fits, total = 0, 0
    for d in range(len(per_level)):
        total += per_level[d]
        if total > max_nodes:
            break
        fits = d
    shown = sum(per_level[d] for d in range(fits + 1))
    collapse_hint = "collapse=True"
    if not named:
        collapse_hint += " with params=model.named_parameters()"
    return (
        f"to_dot: the graph has {len(order):,} values in {len(per_level)} levels, more than "
        f"max_nodes={max_nodes}. To draw it: depth={fits} draws only the values at most {fits} "
        f"steps from the output ({shown:,} values); {collapse_hint} draws each neuron as one "
        "node; "
        "or pass a larger max_nodes (Graphviz gets slow beyond a few thousand nodes)."
    )


def _collapsed_too_large(drawn: int, max_nodes: int, groups: list[str]) -> str:
    hint = ""
    if not groups:
        hint = " (no parameter name names a neuron: names look like layers.0.neurons.1.w.0)"
    return (
        f"to_dot: the collapsed graph still has {drawn:,} nodes, more than "
        f"max_nodes={max_nodes}; pass a larger max_nodes{hint}"
    )


# --- text ----------------------------------------------------------------------------------


def _quote(text: str) -> str:
    """Text inside a DOT double-quoted string (one line, every character visible).

    ``&`` is written ``&amp;``: Graphviz reads ``&...;`` in a label as an HTML entity, so
    ``&lt;`` would show as ``<`` and ``&#0;`` would put a NUL into the SVG.
    """
    text = printable(text).replace("\\", "\\\\").replace('"', '\\"')
    return text.replace("&", "&amp;")


def _field(text: str) -> str:
    """Text inside one field of a record label: the record syntax characters are escaped."""
    text = printable(text).replace("\\", "\\\\").replace("&", "&amp;")
    for ch in '{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _num(x: float, digits: int) -> str:
    return format(x, f".{digits}g")


def _attrs(**attrs: str | None) -> str:
    return ", ".join(f'{k}="{_quote(v)}"' for k, v in attrs.items() if v is not None)


# --- the drawing ---------------------------------------------------------------------------


@dataclass
class _Tally:
    """What the nodes of a collapsed drawing stand for (``_DotWriter.tally``)."""

    params_in: list[int]  # per neuron: its parameters,
    ops_in: list[int]  # the values computed in it,
    max_grad: list[float]  # and the largest |grad| of its parameters
    loose_leaves: set[Value] = field(default_factory=set)  # ungrouped non-parameter leaves
    only: list[Value] = field(default_factory=list)  # the values from parameters alone
    only_reads: set[Value] = field(default_factory=set)  # the parameters they read
    only_grad: float = 0.0  # the largest |grad| among them
    summarize: bool = False  # draw the loose leaves as one node
    used: list[int] = field(default_factory=list)  # the neurons with anything in them


class _DotWriter:
    """Writes the DOT lines of one drawing: the nodes, their names and groups, the colour scale."""

    def __init__(
        self,
        order: list[Value],
        names: dict[Value, str],
        digits: int,
        show_grad: bool,
        rankdir: str,
    ) -> None:
        self.rankdir = rankdir
        self.order = order
        self.index = {node: i for i, node in enumerate(order)}
        self.root = order[-1]
        self.names = names  # the parameters' names
        # every node's title, the name explain and the step-by-step page give it too
        self.titles = node_names(order, names)
        # what each node's grad is the sum of: the gradient along each edge out of it
        self.grad_terms: dict[Value, list[float]] = {}
        for node in order:
            for parent, d in zip(node.parents, node.local_grads, strict=True):
                self.grad_terms.setdefault(parent, []).append(d * node.grad)
        self.digits = digits
        self.show_grad = show_grad
        self.keep: set[Value] | None = None  # None: every node is drawn
        self.group_of: dict[Value, int] = {}
        self.groups: list[str] = []
        self.drawn = 0
        self.lo = self.hi = 0.0  # log10 |grad| range of the colour scale

    # grouping --------------------------------------------------------------------------

    def assign_groups(self) -> None:
        """Give every node a neuron index, ``_NONE`` or ``_PARAMS_ONLY``, in one pass.

        A node belongs to a neuron only if it mixes parameters with data (an input, or
        another neuron's output); among the neurons it depends on that way, it joins the
        latest in parameter order, which is the forward order: the neuron whose weights
        it uses or whose inputs it combines. A node computed from parameters alone (a
        penalty such as ``1e-4 * sum(p * p for p in params)``) is in no neuron.
        """
        number: dict[str, int] = {}  # {neuron's name: its group}, in parameter order
        param_group: dict[Value, int] = {}
        for value, name in self.names.items():
            key = neuron_of(name)
            param_group[value] = number.setdefault(key, len(number)) if key else _NONE
        self.groups = list(number)
        group_of = self.group_of
        deps_of: dict[Value, int] = {}
        for node in self.order:
            g = param_group.get(node)
            if g is not None:
                deps = _DEP_PARAM
            elif not node.parents:
                deps, g = _DEP_FREE, _NONE
            else:
                seen = 0  # what the parents depend on, together
                g = _NONE
                for parent in node.parents:
                    pd = deps_of[parent]
                    seen |= pd
                    if pd & (_DEP_PARAM | _DEP_DATA):
                        gp = group_of[parent]
                        if gp > g:
                            g = gp
                # A parameter-free value meeting a parameter is an input (x in w * x):
                # from there on the values carry data.
                if seen & _DEP_DATA or (seen & _DEP_PARAM and seen & _DEP_FREE):
                    deps = _DEP_DATA
                elif seen & (_DEP_PARAM | _DEP_PARAMS_ONLY):
                    deps = _DEP_PARAMS_ONLY
                    # only neurons' parameters make the group; flat names leave nodes loose
                    reads_neuron = g >= 0 or any(group_of[q] == _PARAMS_ONLY for q in node.parents)
                    g = _PARAMS_ONLY if reads_neuron else _NONE
                else:
                    deps, g = _DEP_FREE, _NONE
            deps_of[node] = deps
            group_of[node] = g

    # nodes -----------------------------------------------------------------------------

    def kind(self, node: Value) -> str:
        if node is self.root:
            return "output"
        if node in self.names:
            return "param"
        return "leaf" if not node.parents else "value"

    def value_line(self, node: Value, colors: bool) -> str:
        i = self.index[node]
        kind = self.kind(node)
        fields = [_field(self.titles[node])]
        operands = (d * p.data for p, d in zip(node.parents, node.local_grads, strict=True))
        data = self.number("data", node.data, operands)
        fields.append(data)
        exact = [f"data {node.data!r}"] if "≈" in data else []
        if self.show_grad:
            grad = self.number("grad", node.grad, self.grad_terms.get(node, ()))
            fields.append(grad)
            exact += [f"grad {node.grad!r}"] if "≈" in grad else []
        fill = self.color(node.grad) if colors else _FILL[kind]
        style = "filled,bold" if kind == "param" else "filled"
        self.drawn += 1
        return (
            f'  v{i} [label="{self.record(fields)}", '
            + _attrs(
                **{"class": kind},
                shape="Mrecord" if kind == "leaf" else "record",
                style=style,
                fillcolor=fill,
                fontcolor=self.font_color(fill),
                penwidth="2.5" if kind == "output" else None,
                tooltip=f"exact {', '.join(exact)}" if exact else None,
            )
            + "];"
        )

    def number(self, what: str, x: float, terms: Iterable[float]) -> str:
        """``what x`` for a record, or ``what ≈0`` when x is rounding noise next to zero:
        0 < |x| <= _NOISE * max |term|, where the terms are what x was made from, as
        value_line and grad_terms give them."""
        if x != 0 and math.isfinite(x):
            scale = max((abs(t) for t in terms if math.isfinite(t)), default=0.0)
            if abs(x) <= _NOISE * scale:
                return f"{what} ≈0"
        return f"{what} {_num(x, self.digits)}"

    def record(self, fields: list[str]) -> str:
        """A record label with its fields side by side (braces turn a record's fields
        across the rank direction, so left-to-right drawings need them, top-down ones not)."""
        inside = " | ".join(fields)
        return f"{{ {inside} }}" if self.rankdir == "LR" else inside

    def op_line(self, node: Value, cut: bool) -> str:
        return (
            f"  o{self.index[node]} ["
            + _attrs(
                label=node.op,
                **{"class": "op"},
                shape="circle" if len(node.op) <= 2 else "ellipse",
                fontsize="10",
                margin="0.02",
                width="0.3",
                height="0.3",
                style="dashed" if cut else None,
            )
            + "];"
        )

    # colours ---------------------------------------------------------------------------

    def set_scale(self, grads: Iterable[float]) -> None:
        """Spread the palette over the 5th to 95th percentile of log10 |grad| (nonzero,
        finite) in this graph: a few extreme gradients would otherwise squeeze all the
        others into one or two colours. Gradients beyond either end get the end colour."""
        logs = sorted(math.log10(abs(g)) for g in grads if g != 0 and math.isfinite(g))
        if logs:
            self.lo, self.hi = _percentile(logs, 0.05), _percentile(logs, 0.95)

    def color(self, g: float) -> str:
        if g == 0:
            return _NO_FLOW
        if not math.isfinite(g):
            return _NOT_FINITE
        span = self.hi - self.lo
        t = (math.log10(abs(g)) - self.lo) / span if span > 0 else 1.0
        return _PALETTE[min(max(int(t * len(_PALETTE)), 0), len(_PALETTE) - 1)]

    @staticmethod
    def font_color(fill: str) -> str | None:
        return "white" if fill in _PALETTE[:4] or fill == _NOT_FINITE else None

    def legend(self) -> str:
        lo, hi = _num(10**self.lo, 2), _num(10**self.hi, 2)
        return (
            f"colour: |grad| {lo} or less (dark) to {hi} or more (bright), log scale "
            "(5th to 95th percentile of this graph's nonzero |grad|); grey: grad 0; "
            "red: inf or nan"
        )

    def edge_attrs(self, flow: float | None) -> str:
        if flow is None:
            return ""
        color = self.color(flow)
        return f' [color="{color}"]'

    # the full graph ----------------------------------------------------------------------

    def full_body(self, cluster: bool, colors: bool) -> list[str]:
        keep = self.keep
        nodes = [n for n in self.order if keep is None or n in keep]
        if colors:
            flows = [n.grad for n in nodes]
            for n in nodes:
                flows.extend(d * n.grad for d in n.local_grads)
            self.set_scale(flows)

        node_lines: dict[Value, list[str]] = {}
        edges: list[str] = []
        for node in nodes:
            i = self.index[node]
            lines = [self.value_line(node, colors)]
            if node.parents:
                cut = keep is not None and any(p not in keep for p in node.parents)
                lines.append(self.op_line(node, cut))
                for parent, d in zip(node.parents, node.local_grads, strict=True):
                    if keep is None or parent in keep:
                        flow = d * node.grad if colors else None
                        edges.append(f"  v{self.index[parent]} -> o{i}{self.edge_attrs(flow)};")
                edges.append(f"  o{i} -> v{i}{self.edge_attrs(node.grad if colors else None)};")
            node_lines[node] = lines

        body: list[str] = []
        if cluster:
            body.extend(self.clusters(nodes, node_lines))
        else:
            for node in nodes:
                body.extend(node_lines[node])
        return body + edges

    def clusters(self, nodes: list[Value], node_lines: dict[Value, list[str]]) -> list[str]:
        """Node lines boxed per neuron inside boxes per layer; ungrouped nodes outside."""
        members: dict[int, list[Value]] = {g: [] for g in range(len(self.groups))}
        outside: list[str] = []
        for node in nodes:
            g = self.group_of[node]
            if g < 0:
                outside.extend(node_lines[node])
            else:
                members[g].append(node)
        layers: dict[str, list[int]] = {}
        for g, key in enumerate(self.groups):
            if members[g]:
                layers.setdefault(layer_of(key), []).append(g)
        body: list[str] = []
        for li, (layer, groups) in enumerate(layers.items()):
            indent = "  "
            if layer:
                body.append(f"  subgraph cluster_L{li} {{")
                body.append(f'    label="{_quote(layer)}"; style="rounded"; color="#999999";')
                indent = "    "
            for g in groups:
                body.append(f"{indent}subgraph cluster_N{g} {{")
                body.append(
                    f'{indent}  label="{_quote(self.groups[g])}"; style="rounded,dashed"; '
                    'color="#999999";'
                )
                for node in members[g]:
                    body.extend(indent + line for line in node_lines[node])
                body.append(f"{indent}}}")
            if layer:
                body.append("  }")
        return body + outside

    # the collapsed graph -----------------------------------------------------------------

    def collapsed_body(self, cluster: bool, colors: bool) -> list[str]:
        """The body of a collapsed drawing: a node per neuron, then the values drawn alone."""
        tally = self.tally()
        if colors:
            singles = [n for n in self.order if self.stand_in(n, tally).startswith("v")]
            scale = [*(tally.max_grad[g] for g in tally.used), *(n.grad for n in singles)]
            self.set_scale([*scale, tally.only_grad] if tally.only else scale)
        return self.group_nodes(tally, cluster, colors) + self.singles_and_edges(tally, colors)

    def tally(self) -> _Tally:
        """Count what each collapsed node stands for, in one pass over the graph."""
        ngroups = len(self.groups)
        tally = _Tally([0] * ngroups, [0] * ngroups, [0.0] * ngroups)
        for node in self.order:
            g = self.group_of[node]
            if node is self.root:
                continue
            if g == _PARAMS_ONLY:
                tally.only.append(node)
                tally.only_reads.update(q for q in node.parents if q in self.names)
                tally.only_grad = _max_abs(tally.only_grad, node.grad)
            elif g < 0:
                if not node.parents and node not in self.names:
                    tally.loose_leaves.add(node)
            elif node in self.names:
                tally.params_in[g] += 1
                tally.max_grad[g] = _max_abs(tally.max_grad[g], node.grad)
            else:
                tally.ops_in[g] += 1
        tally.summarize = len(tally.loose_leaves) > _LEAF_SUMMARY_AT
        tally.used = [g for g in range(ngroups) if tally.params_in[g] or tally.ops_in[g]]
        return tally

    def stand_in(self, node: Value, tally: _Tally) -> str:
        """The id of the drawn node that stands for ``node``."""
        g = self.group_of[node]
        if node is self.root:
            return f"v{self.index[node]}"
        if g >= 0:
            return f"g{g}"
        if g == _PARAMS_ONLY:
            return "params_only"
        if tally.summarize and node in tally.loose_leaves:
            return "leaves"
        return f"v{self.index[node]}"

    def group_nodes(self, tally: _Tally, cluster: bool, colors: bool) -> list[str]:
        """The nodes standing for many: neurons (boxed per layer if ``cluster``), the
        parameters-only node and the summary of the loose leaves."""
        body: list[str] = []
        for g in tally.used:
            lines = [self.groups[g], f"{tally.params_in[g]} params, {tally.ops_in[g]} ops"]
            if self.show_grad:
                lines.append(f"max |grad| {_num(tally.max_grad[g], self.digits)}")
            body.append(self.box_line(f"g{g}", "neuron", lines, tally.max_grad[g], colors))
        if cluster:
            body = self.layer_clusters(tally.used, body)
        else:
            layers: dict[str, list[int]] = {}
            for g in tally.used:
                layers.setdefault(layer_of(self.groups[g]), []).append(g)
            body += [_in_order(gs, "  ") for key, gs in layers.items() if key and len(gs) > 1]
        if tally.only:
            neurons = len({self.group_of[q] for q in tally.only_reads} - {_NONE})
            lines = [
                "parameters only (e.g. a penalty)",
                f"{len(tally.only):,} values from {len(tally.only_reads):,} params of "
                f"{neurons} neurons",
            ]
            if self.show_grad:
                lines.append(f"max |grad| {_num(tally.only_grad, self.digits)}")
            body.append(self.box_line("params_only", "params_only", lines, tally.only_grad, colors))
        if tally.summarize:
            self.drawn += 1
            label = self.record([f"{len(tally.loose_leaves):,} leaves", "inputs and constants"])
            body.append(
                f'  leaves [label="{label}", '
                + _attrs(
                    **{"class": "leaf"}, shape="Mrecord", style="filled", fillcolor=_FILL["leaf"]
                )
                + "];"
            )
        return body

    def singles_and_edges(self, tally: _Tally, colors: bool) -> list[str]:
        """The values drawn on their own (with their ops), then every edge, each once."""
        body: list[str] = []
        edges: dict[tuple[str, str], bool] = {}  # an ordered set; value: same-layer edge
        for node in self.order:
            dst = self.stand_in(node, tally)
            if dst.startswith("v"):
                body.append(self.value_line(node, colors))
                if node.parents:
                    body.append(self.op_line(node, cut=False))
                    edges[(f"o{self.index[node]}", dst)] = False
                    dst = f"o{self.index[node]}"
            for parent in node.parents:
                src = self.stand_in(parent, tally)
                # Every neuron's parameters would point at the parameters-only node; its
                # label counts them instead of drawing one long edge from each neuron.
                if dst == "params_only" and src.startswith("g"):
                    continue
                if src != dst and (src, dst) not in edges:
                    edges[(src, dst)] = self.same_layer(src, dst)
        for (src, dst), same in edges.items():
            # Graphs where values pass between the neurons of one layer (an RNN, say) must
            # not stretch the layer into a chain: such edges do not constrain the layout.
            attrs = ' [style="dashed", constraint="false"]' if same else ""
            body.append(f"  {src} -> {dst}{attrs};")
        return body

    def box_line(self, node_id: str, kind: str, lines: list[str], grad: float, colors: bool) -> str:
        """One collapsed group: a rounded box with the lines of its label."""
        fill = self.color(grad) if colors else _FILL["param" if kind == "neuron" else "value"]
        # A box, not a record: Graphviz cannot route the flat (same-rank) edges between
        # neurons of one layer when they are records.
        label = "\\n".join(_quote(line) for line in lines)  # \n is DOT's line break
        self.drawn += 1
        return (
            f'  {node_id} [label="{label}", '
            + _attrs(
                **{"class": kind},
                shape="box",
                style="rounded,filled,bold" if kind == "neuron" else "rounded,filled,dashed",
                fillcolor=fill,
                fontcolor=self.font_color(fill),
            )
            + "];"
        )

    def layer_clusters(self, used: list[int], group_lines: list[str]) -> list[str]:
        """The collapsed neuron nodes (one line each, in ``used`` order) boxed per layer."""
        layers: dict[str, list[tuple[int, str]]] = {}
        for g, line in zip(used, group_lines, strict=True):
            layers.setdefault(layer_of(self.groups[g]), []).append((g, line))
        body: list[str] = []
        for li, (layer, members) in enumerate(layers.items()):
            if not layer:
                body.extend(line for _, line in members)
                continue
            body.append(f"  subgraph cluster_L{li} {{")
            body.append(f'    label="{_quote(layer)}"; style="rounded"; color="#999999";')
            body.extend("  " + line for _, line in members)
            if len(members) > 1:
                # Inside a cluster of a left-to-right drawing the chain must run backwards
                # to come out first on top (dot 2.43 and graphviz-pure 0.2.2 alike, with
                # remincross=false; tests/test_draw.py checks the rendered order).
                groups = [g for g, _ in members]
                body.append(_in_order(groups[::-1] if self.rankdir == "LR" else groups, "    "))
            body.append("  }")
        return body

    def same_layer(self, src: str, dst: str) -> bool:
        if not (src.startswith("g") and dst.startswith("g")):
            return False
        return layer_of(self.groups[int(src[1:])]) == layer_of(self.groups[int(dst[1:])])


def _percentile(ordered: list[float], q: float) -> float:
    """The ``q`` quantile of sorted numbers, interpolating between neighbours."""
    at = q * (len(ordered) - 1)
    i = min(int(at), len(ordered) - 2) if len(ordered) > 1 else 0
    if len(ordered) == 1:
        return ordered[0]
    return ordered[i] + (at - i) * (ordered[i + 1] - ordered[i])


def _in_order(groups: list[int], indent: str) -> str:
    """One layer's neuron nodes in one rank, in the order given: invisible edges between
    nodes of one rank fix their order, which the layout would otherwise choose freely
    (every order of a fully connected layer crosses as many edges). One line, not edge
    lines, and ``->`` without spaces: counting " -> " (as ``Graph``'s repr does) counts
    the drawn edges only."""
    chain = "->".join(f"g{g}" for g in groups)
    return f'{indent}{{ rank=same; {chain} [style="invis"]; }}'


def _max_abs(best: float, g: float) -> float:
    """The larger of ``best`` and |g|; an inf or nan gradient must show, so it wins."""
    a = abs(g)
    return a if not (a <= best) and math.isfinite(best) else best
