"""``walkthrough``: the forward and the backward pass of a graph, step by step, in one page.

The page is one self-contained HTML file: the graph as inline SVG (drawn by ``to_dot`` and
Graphviz), the script and the style inlined from ``autograd/graph/page/``, and the steps
as JSON. It makes no network request (its Content-Security-Policy forbids them) and works
from ``file://``.

The steps, all computed here in Python so that the page only toggles classes:

* the forward pass, one step per value in topological order: ``e = a * b = 2 * -3 = -6``;
* the backward pass: the output's gradient 1, then one step per edge in reverse
  topological order: the local derivative (its formula from the op's ``Rule``, in the
  graph's names) times the upstream gradient, and the receiving value's gradient as the
  sum builds up (``grad of a: 6 + 4 = 10``); the last state shows every gradient.

With ``depth``, only the drawn values and the edges between them get steps; contributions
along edges to values not drawn are added in without a step of their own, so the sums
still end at ``.grad``. With ``collapse=True`` the steps walk the drawn nodes instead
(one per neuron): forward, each node in the drawing's order with its value (a neuron: its
parameters' values); backward, each node in reverse order with its gradient (a neuron: its
parameters' gradients and the largest of them, as ``draw`` shows).
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .._files import write_atomic
from .._numbers import is_number
from ..backward import topological_order
from ..value import Value
from ._names import neuron_of, node_names, param_names
from ._text import printable
from .dot import to_dot
from .render import render

__all__ = ["Step", "Walkthrough", "walkthrough"]

_SUFFIXES = (".html", ".htm")
# A DOT node statement's id, and an edge's two ends (the ids are stable: v<i>, o<i>, g<k>).
_DOT_NODE = re.compile(r"^\s*(?!(?:graph|node|edge) )(\w+) \[", re.MULTILINE)
_DOT_EDGE = re.compile(r"^\s*(\w+) -> (\w+)", re.MULTILINE)
_SVG_JUNK = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<!--.*?-->", re.DOTALL)


@dataclass(frozen=True)
class Step:
    """One step of a walkthrough.

    Attributes:
        phase: "start", "forward", "backward" or "done".
        text: what the step says, e.g. ``e = a * b = 2 * -3 = -6``.
        node: the value the step is about (None for a collapsed group or "done").
        grad: the gradient text the step gives that value's badge ("" for forward steps).
    """

    phase: str
    text: str
    node: Value | None = None
    grad: str = ""


class Walkthrough:
    """A step-by-step page for one graph: shows inline in Jupyter, ``.save("L.html")``.

    Made by ``walkthrough``; see there.

    Attributes:
        steps: the steps, in order (``Step`` objects).
        source: the DOT text of the drawing.
        title: the page's title.
    """

    def __init__(self, source: str, steps: list[Step], data: dict[str, Any], title: str) -> None:
        self.source = source
        self.steps = steps
        self.title = title
        self._data = data
        self._html: str | None = None

    @property
    def html(self) -> str:
        """The whole page as text (the SVG is rendered once, then cached)."""
        if self._html is None:
            svg = render(self.source, "svg", what="walkthrough").decode("utf-8")
            self._html = _page(self.title, _inline_svg(svg), self._data)
        return self._html

    def _repr_html_(self) -> str:
        # Jupyter shows this inline. A sandboxed frame keeps the page's script and style
        # apart from the notebook's (and from a second walkthrough in the same notebook).
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" sandbox="allow-scripts" '
            'style="width: 100%; height: 640px; border: 1px solid #ccc; resize: vertical" '
            f'title="{html.escape(self.title, quote=True)}"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<Walkthrough: {len(self.steps)} steps; .steps, .html, .save(path)>"

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the page to ``path`` (a ``.html`` file), atomically.

        Args:
            path: where to write; its name must end in ``.html`` or ``.htm``.

        Returns:
            The path written.
        """
        path = Path(path)
        if path.suffix.lower() not in _SUFFIXES:
            raise ValueError(
                f"Walkthrough.save: the page is HTML; use a name ending in .html, got {path.name!r}"
            )
        write_atomic(path, self.html.encode("utf-8"))
        return path


def walkthrough(
    output: Value,
    *,
    params: Mapping[str, Value] | Iterable[tuple[str, Value]] | None = None,
    digits: int = 4,
    depth: int | None = None,
    max_nodes: int = 500,
    collapse: bool = False,
    rankdir: str = "LR",
    upstream: float = 1.0,
) -> Walkthrough:
    """The forward and backward pass of ``output``'s graph as a step-by-step page.

    The gradients are computed here (the same sweep as ``backward``); ``output``'s graph
    is not changed, and ``backward()`` need not have been called.

    Args:
        output: the value whose graph to walk through.
        params: ``(name, Value)`` pairs such as ``model.named_parameters()``: the names
            shown, and the neurons of ``collapse``.
        digits: significant digits of the numbers shown (as in ``draw``).
        depth: walk only the values at most this many steps from ``output``.
        max_nodes: raise ``GraphTooLargeError`` (with advice) rather than draw more.
        collapse: one node per neuron (needs ``params``); the steps walk those nodes.
        rankdir: "LR" (left to right) or "TB" (top to bottom).
        upstream: the gradient the backward pass starts with at ``output``: 1 for
            d output / d value; d loss / d output to show a part of a larger graph (one
            neuron of a network) with the loss's gradients.

    Returns:
        A ``Walkthrough``: ``.save("page.html")``, ``.steps``, shows inline in Jupyter.

    Example:
        >>> a = Value(2.0, label="a"); b = Value(-3.0, label="b")
        >>> e = a * b; e.label = "e"
        >>> page = walkthrough(e)
        >>> for step in page.steps:
        ...     print(step.text)
        a = 2
        b = -3
        e = a * b = 2 * -3 = -6
        grad of e = 1 (∂ e / ∂ e: where the backward pass starts)
        ∂ e / ∂ a = b = -3; -3 * 1 (grad of e) = -3; grad of a = -3
        ∂ e / ∂ b = a = 2; 2 * 1 (grad of e) = 2; grad of b = 2
        done: every value's gradient is shown; the leaves: a: -3, b: 2
    """
    source = to_dot(
        output, params=params, digits=digits, depth=depth, max_nodes=max_nodes,
        collapse=collapse, rankdir=rankdir, show_grad=False,
    )  # fmt: skip
    order = topological_order(output)
    given = param_names(params)
    names = {node: printable(name) for node, name in node_names(order, given).items()}
    if not is_number(upstream):
        raise TypeError(f"walkthrough: upstream must be a number, got {type(upstream).__name__}")
    book = _Book(order, names, given, digits, float(upstream))
    if collapse:
        steps = book.collapsed(source, given)
    else:
        drawn = {int(i[1:]) for i in _DOT_NODE.findall(source) if i.startswith("v")}
        steps = book.full(drawn)
    data = {"els": book.els, "badges": book.badges, "steps": book.data}
    return Walkthrough(source, steps, data, f"Forward and backward pass of {names[output]}")


def _num(x: float, digits: int) -> str:
    return format(x, f".{digits}g")


def _is_symbol(op: str) -> bool:
    """Whether an op's name is written between or after its operands (``*``, ``**3``)."""
    return bool(op) and not op[0].isalpha() and op[0] != "_"


def forward_text(node: Value, names: Mapping[Value, str], digits: int) -> str:
    """How one forward step reads: ``e = a * b = 2 * -3 = -6``, or ``a = 2`` for a leaf.

    Example:
        >>> a = Value(2.0, label="a")
        >>> t = a ** 3; t.label = "t"
        >>> forward_text(t, {a: "a", t: "t"}, 4), forward_text(a, {a: "a"}, 4)
        ('t = a**3 = 2**3 = 8', 'a = 2')
    """
    out = f"{names[node]} = "
    value = _num(node.data, digits)
    if not node.parents:
        return out + value
    op = node.op
    args = [names[p] for p in node.parents]
    nums = [_num(p.data, digits) for p in node.parents]
    if _is_symbol(op) and len(args) == 2:
        return out + f"{args[0]} {op} {args[1]} = {nums[0]} {op} {nums[1]} = {value}"
    if _is_symbol(op) and len(args) == 1:
        shown = f"({nums[0]})" if nums[0].startswith("-") else nums[0]
        return out + f"{args[0]}{op} = {shown}{op} = {value}"
    return out + f"{op}({', '.join(args)}) = {op}({', '.join(nums)}) = {value}"


class _Book:
    """Builds the steps and the page's data: the SVG elements they touch, by table index."""

    def __init__(
        self,
        order: list[Value],
        names: dict[Value, str],
        given: dict[Value, str],
        digits: int,
        upstream: float,
    ) -> None:
        self.upstream = upstream
        self.order = order
        self.names = names
        self.given = given
        self.digits = digits
        self.index = {node: i for i, node in enumerate(order)}
        self.els: list[list[Any]] = []  # [SVG <title> text, which occurrence of it]
        self._el: dict[tuple[str, int], int] = {}
        self.badges: list[list[Any]] = []  # [element index, the node's name]
        self._badge: dict[str, int] = {}
        self.data: list[dict[str, Any]] = []
        self.steps: list[Step] = []
        self.final: dict[Value, float] = {}  # every value's gradient, once swept

    def el(self, title: str, occurrence: int = 0) -> int:
        key = (title, occurrence)
        if key not in self._el:
            self._el[key] = len(self.els)
            self.els.append([title, occurrence])
        return self._el[key]

    def badge(self, svg_id: str, name: str) -> int:
        """The gradient badge of a drawn node (its name is the tooltip of the node)."""
        if svg_id not in self._badge:
            self._badge[svg_id] = len(self.badges)
            self.badges.append([self.el(svg_id), printable(name)])
        return self._badge[svg_id]

    def add(self, step: Step, **data: Any) -> None:
        # the names are printable already; op names and a rule's formula may not be
        step = replace(step, text=printable(step.text))
        self.steps.append(step)
        self.data.append({"t": step.text, "p": step.phase, **data})

    def n(self, x: float) -> str:
        return _num(x, self.digits)

    # the full graph ----------------------------------------------------------------------

    def full(self, drawn: set[int]) -> list[Step]:
        """Steps over the drawn values ``v<i>`` and the edges between them."""
        for node in self.order:
            i = self.index[node]
            if i in drawn:
                self.forward_step(node, drawn)
        grads = self.sweep(drawn)
        root = self.order[-1]
        v_root = f"v{self.index[root]}"
        name, start = self.names[root], self.n(self.upstream)
        if self.upstream == 1.0:
            text = f"grad of {name} = 1 (∂ {name} / ∂ {name}: where the backward pass starts)"
        else:
            text = f"grad of {name} = {start} (the upstream gradient the backward pass starts with)"
        seed = Step("backward", text, root, f"grad {start}")
        badge = self.badge(v_root, name)
        self.add(seed, cur=[self.el(v_root)], g=[badge, f"grad {start}", "", 1])
        for edge in grads:
            self.add(edge.step, **edge.data)
        leaves = [n for n in self.order if not n.parents and self.index[n] in drawn]
        shown = ", ".join(f"{self.names[n]}: {self.n(self.final[n])}" for n in leaves[:20])
        more = f" and {len(leaves) - 20} more" if len(leaves) > 20 else ""
        self.add(Step("done", f"done: every value's gradient is shown; the leaves: {shown}{more}"))
        return self.steps

    def forward_step(self, node: Value, drawn: set[int]) -> None:
        i = self.index[node]
        v = self.el(f"v{i}")
        self.badge(f"v{i}", self.names[node])
        done, cur, src = [v], [v], []
        if node.parents:
            o = self.el(f"o{i}")
            done += [o, self.el(f"o{i}->v{i}")]
            cur += [o, self.el(f"o{i}->v{i}")]
            for parent, k in self.drawn_edges(node, drawn):
                edge = self.el(f"v{self.index[parent]}->o{i}", k)
                done.append(edge)
                cur.append(edge)
                src.append(self.el(f"v{self.index[parent]}"))
        text = forward_text(node, self.names, self.digits)
        self.add(Step("forward", text, node), done=done, cur=cur, src=src)

    def drawn_edges(self, node: Value, drawn: set[int]) -> list[tuple[Value, int]]:
        """The drawn parents of ``node``, each with which of its edges to ``node`` it is."""
        seen: dict[Value, int] = {}
        edges = []
        for parent in node.parents:
            k = seen.get(parent, 0)
            seen[parent] = k + 1
            if self.index[parent] in drawn:
                edges.append((parent, k))
        return edges

    def sweep(self, drawn: set[int]) -> list[_EdgeStep]:
        """The chain rule along every edge, as ``backward`` does it (same order, same
        rounding, relu's mask); a step for each edge between drawn values."""
        partial = {node: 0.0 for node in self.order}
        terms = {node: 0 for node in self.order}
        partial[self.order[-1]] = self.upstream
        last: dict[Value, _EdgeStep] = {}
        edges: list[_EdgeStep] = []
        for node in reversed(self.order):
            if not node.parents:
                continue
            g = partial[node]
            rule = node.rule
            masks = rule is not None and rule.masks
            counts: dict[Value, int] = {}
            for k, (parent, d) in enumerate(zip(node.parents, node.local_grads, strict=True)):
                occurrence = counts.get(parent, 0)
                counts[parent] = occurrence + 1
                contribution = 0.0 if masks and d == 0.0 else d * g
                before = partial[parent]
                partial[parent] = before + contribution
                terms[parent] += 1
                if self.index[node] in drawn and self.index[parent] in drawn:
                    edge = self.edge_step(node, k, occurrence, g, before, terms[parent] > 1)
                    edges.append(edge)
                    last[parent] = edge
        self.final = partial
        for edge in last.values():  # the last edge into a value gives its final gradient
            edge.data["g"][3] = 1
        return edges

    def edge_step(
        self, node: Value, k: int, occurrence: int, g: float, before: float, adds: bool
    ) -> _EdgeStep:
        parent = node.parents[k]
        d = node.local_grads[k]
        rule = node.rule
        a, out = self.names[parent], self.names[node]
        formula = ""
        if rule is not None:
            formula = rule.formula_for(k, [self.names[p] for p in node.parents], out)
        local = self.n(d)
        shown = f"{formula} = {local}" if formula not in ("", local) else local
        # ∂, not d: a value may well be called d (micrograd's README has one)
        derivative = f"∂ {out} / ∂ {a} = {shown}"
        contribution = 0.0 if rule is not None and rule.masks and d == 0.0 else d * g
        after = before + contribution
        total = f"{self.n(before)} + {self.n(contribution)} = " if adds else ""
        text = (
            f"{derivative}; {local} * {self.n(g)} (grad of {out}) = {self.n(contribution)}; "
            f"grad of {a} = {total}{self.n(after)}"
        )
        i, j = self.index[node], self.index[parent]
        old = f"grad {self.n(before)}" if adds else ""
        data = {
            "cur": [self.el(f"v{j}"), self.el(f"v{j}->o{i}", occurrence), self.el(f"o{i}")],
            "src": [self.el(f"v{i}")],
            "g": [self.badge(f"v{j}", a), f"grad {self.n(after)}", old, 0],
        }
        return _EdgeStep(Step("backward", text, parent, f"grad {self.n(after)}"), data)

    # the collapsed graph -----------------------------------------------------------------

    def collapsed(self, source: str, given: dict[Value, str]) -> list[Step]:
        """Steps over the drawn nodes of a collapsed drawing, in the drawing's order."""
        ids = _DOT_NODE.findall(source)
        edges = _DOT_EDGE.findall(source)
        shown = [i for i in ids if not i.startswith("o")]  # ops go with their value
        into: dict[str, list[str]] = {i: [] for i in ids}
        out_of: dict[str, list[str]] = {i: [] for i in ids}
        for src, dst in edges:
            into[dst].append(src)
            out_of[src].append(dst)
        order = _drawing_order(shown, into)
        neurons = _neurons(given)
        final = self.final_grads()
        for node_id in order:
            self.badge(node_id, node_id)
            text, _ = self.group_text(node_id, neurons, final, forward=True)
            mine = [self.el(node_id), *(self.el(f"{s}->{node_id}") for s in into[node_id])]
            if node_id.startswith("v") and f"o{node_id[1:]}" in into:  # drawn with its op
                op = f"o{node_id[1:]}"
                mine += [self.el(op), *(self.el(f"{s}->{op}") for s in into[op])]
            self.add(Step("forward", text), done=mine, cur=mine, src=[])
        for node_id in reversed(order):
            text, badge = self.group_text(node_id, neurons, final, forward=False)
            outs = [self.el(f"{node_id}->{d}") for d in out_of[node_id]]
            step = Step("backward", text, grad=badge)
            grad = [self.badge(node_id, node_id), badge, "", 1]
            self.add(step, cur=[self.el(node_id), *outs], src=[], g=grad)
        self.add(Step("done", "done: every drawn node's gradient is shown"))
        return self.steps

    def final_grads(self) -> dict[Value, float]:
        self.sweep(set())
        return self.final

    def group_text(
        self,
        node_id: str,
        neurons: dict[int, tuple[str, list[tuple[str, Value]]]],
        final: dict[Value, float],
        forward: bool,
    ) -> tuple[str, str]:
        """What a collapsed drawing's node says in a step, and its gradient badge."""
        if node_id.startswith("v"):
            node = self.order[int(node_id[1:])]
            self.badges[self._badge[node_id]][1] = self.names[node]
            if forward:
                return forward_text(node, self.names, self.digits), ""
            grad = self.n(final[node])
            return f"grad of {self.names[node]} = {grad}", f"grad {grad}"
        if node_id.startswith("g"):
            name, members = neurons.get(int(node_id[1:]), (node_id, []))
            self.badges[self._badge[node_id]][1] = printable(name)
            if forward:
                values = ", ".join(f"{p} = {self.n(v.data)}" for p, v in members)
                return f"neuron {name} computes its output from its parameters {values}", ""
            grads = ", ".join(f"{p} {self.n(final[v])}" for p, v in members if v in final)
            top = max((abs(final[v]) for _, v in members if v in final), default=0.0)
            return f"neuron {name}: its parameters' gradients {grads}", f"max |grad| {self.n(top)}"
        if node_id == "params_only":
            what = "the values computed from parameters alone (e.g. a penalty)"
        else:
            what = "the inputs and constants"
        return what + (" are computed" if forward else " get their gradients"), ""


@dataclass
class _EdgeStep:
    step: Step
    data: dict[str, Any]


def _neurons(given: dict[Value, str]) -> dict[int, tuple[str, list[tuple[str, Value]]]]:
    """{k: (neuron k's name, its parameters by their names in it)}, numbered as ``to_dot``
    numbers its ``g<k>`` nodes: by first appearance in parameter order."""
    neurons: dict[str, tuple[str, list[tuple[str, Value]]]] = {}
    for value, name in given.items():
        key = neuron_of(name)
        if key:
            neurons.setdefault(key, (key, []))[1].append((name[len(key) + 1 :], value))
    return dict(enumerate(neurons.values()))


def _drawing_order(ids: list[str], into: dict[str, list[str]]) -> list[str]:
    """The drawn nodes parents first (Kahn's algorithm; ties in the DOT text's order).

    An edge from a value's op (``o<i>``) counts as one from the value drawn with it."""

    def base(node_id: str) -> str:
        return f"v{node_id[1:]}" if node_id.startswith("o") else node_id

    needs = {i: {base(s) for s in into[i] + into.get(f"o{i[1:]}", [])} - {i} for i in ids}
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(ids):
        ready = [i for i in ids if i not in placed and needs[i] <= placed]
        if not ready:  # a cycle among groups (values passed back and forth): keep text order
            ready = [next(i for i in ids if i not in placed)]
        order.extend(ready)
        placed.update(ready)
    return order


def _inline_svg(svg: str) -> str:
    """Graphviz's SVG made fit to sit inside HTML: no XML prolog, DOCTYPE or comments."""
    svg = _SVG_JUNK.sub("", svg).strip()
    return svg.replace("<svg ", '<svg class="wt-svg" role="img" aria-labelledby="wt-title" ', 1)


def _asset(name: str) -> str:
    return (resources.files("autograd.graph") / "page" / name).read_text(encoding="utf-8")


def _json_for_script(data: object) -> str:
    """JSON that cannot end its ``<script>`` early: ``<``, ``>`` and ``&`` as escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _page(title: str, svg: str, data: dict[str, Any]) -> str:
    template = _asset("walkthrough.html")
    parts = {
        "TITLE": html.escape(title),
        "CSS": _asset("walkthrough.css"),
        "SVG": svg,
        "DATA": _json_for_script(data),
        "JS": _asset("walkthrough.js"),
    }
    # One pass, so that text put in (a label in the SVG) is never read as a placeholder.
    return re.sub(r"@@(TITLE|CSS|SVG|DATA|JS)@@", lambda m: parts[m.group(1)], template)
