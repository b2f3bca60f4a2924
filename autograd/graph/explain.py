"""``explain``: the chain rule for one gradient, written out path by path.

d(output)/d(x) is a sum over every path from ``output`` back to ``x`` of the product of
the local derivatives along the path. ``explain`` lists those paths with their op names
and numbers, adds them up and checks the sum against the engine's gradient. A local
derivative is written as a partial, ``∂ e / ∂ a``, the total it adds up to as ``d L / d a``;
where one node is two operands of one op (``x * x``), each step names the operand it goes
through (``operand 1``, ``operand 2``, counted from 1), so no two paths read alike. Paths are
counted first (dynamic programming, one pass), so a graph with 2**60 paths is reported
as such instead of being enumerated.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from ..backward import grad, topological_order
from ..value import Value
from ._names import node_names, param_names
from ._text import printable
from .symbolic import derivative

__all__ = ["ExplainedPath", "Explanation", "NodeSummary", "explain"]


@dataclass(frozen=True)
class ExplainedPath:
    """One path from the output back to the input, with its local derivatives.

    Attributes:
        nodes: the nodes along the path, output first, input last.
        ops: ``ops[i]`` is the op that made ``nodes[i]`` from ``nodes[i + 1]``.
        factors: ``factors[i]`` is ∂ nodes[i] / ∂ nodes[i + 1] (the local derivative).
        product: the product of the factors (1.0 for the empty path, output == input).
        positions: ``positions[i]`` is which operand of ``nodes[i]`` the path goes
            through, from 0 (``x * x`` has two edges from one node: positions 0 and 1;
            the text calls them operand 1 and operand 2).
    """

    nodes: tuple[Value, ...]
    ops: tuple[str, ...]
    factors: tuple[float, ...]
    product: float
    positions: tuple[int, ...] = ()


@dataclass(frozen=True)
class NodeSummary:
    """One node on the way from output to input, for graphs with too many paths to list.

    Attributes:
        node: the node.
        name: how it is shown.
        grad: d output / d node.
        paths: how many paths lead from this node back to the input.
    """

    node: Value
    name: str
    grad: float
    paths: int


@dataclass(eq=False)
class Explanation:
    """What ``explain`` returns: prints as text, shows as Markdown with LaTeX in Jupyter.

    Attributes:
        output_name, wrt_name: how the output and the input are shown.
        path_count: the number of paths from output to input (an exact int, maybe huge).
        paths: every path (an ``ExplainedPath`` list), or None if there were more than
            ``max_paths``; then ``summary`` lists the nodes along the way instead.
        summary: ``NodeSummary`` rows (output first), or None when ``paths`` is given.
        last_step: when ``paths`` is None, the chain rule's last step: (name of a node
            the input feeds, d output / d that node, d that node / d input) for each edge.
        total: the sum over paths (or over ``last_step``): the gradient by the chain rule.
        engine: the engine's gradient, ``autograd.grad(output, [wrt])``.
        rel_tol: the relative tolerance of ``agrees``.
        digits: significant digits of the numbers shown.
        names: how each node is shown.
        formula: d output / d wrt as a SymPy expression of the leaves (and of wrt),
            simplified where that shortens it, with ``explain(..., formula=True)``; else None.
    """

    output_name: str
    wrt_name: str
    path_count: int
    paths: list[ExplainedPath] | None
    summary: list[NodeSummary] | None
    last_step: list[tuple[str, float, float]] | None
    total: float
    engine: float
    rel_tol: float = 1e-9
    digits: int = 4
    names: dict[Value, str] = field(default_factory=dict, repr=False)
    formula: Any = None  # a sympy expression (SymPy is an optional extra, so not typed)

    @property
    def agrees(self) -> bool:
        """Whether the chain rule's sum and the engine's gradient agree within ``rel_tol``."""
        if math.isnan(self.total) or math.isnan(self.engine):
            return math.isnan(self.total) and math.isnan(self.engine)
        return math.isclose(self.total, self.engine, rel_tol=self.rel_tol, abs_tol=1e-300)

    def name(self, node: Value) -> str:
        """How ``node`` is shown: its parameter name or label, else ``t<k>`` by position."""
        return self.names[node]

    def _n(self, x: float) -> str:
        return format(x, f".{self.digits}g")

    def _title(self) -> str:
        return f"d {self.output_name} / d {self.wrt_name}"

    def _check(self) -> str:
        verdict = "agrees" if self.agrees else "DISAGREES"
        return (
            f"engine gradient: {self._n(self.engine)} ({verdict} with the chain rule's "
            f"{self._n(self.total)}, relative tolerance {self.rel_tol:g})"
        )

    def __str__(self) -> str:
        lines = [f"{self._title()} by the chain rule: {_plural(self.path_count, 'path')}"]
        if self.paths is not None:
            for k, path in enumerate(self.paths, 1):
                lines.append(f"path {k}: {self._chain(path)}")
                for i, d in enumerate(path.factors):
                    a, b = self.name(path.nodes[i]), self.name(path.nodes[i + 1])
                    b += _operand_note(path, i, " (operand {})")
                    lines.append(f"    ∂ {a} / ∂ {b} = {self._n(d)}  ({self._rule_text(path, i)})")
                lines.append(f"    product: {self._n(path.product)}")
            lines.append(
                f"sum over {_plural(self.path_count, 'path')}: {self._title()} = "
                f"{self._n(self.total)}"
            )
        else:
            summary, last_step = self._without_paths()
            lines.append(
                f"too many paths to list; d {self.output_name} / d node at each of the "
                f"{len(summary)} nodes on the way (and how many paths lead on to "
                f"{self.wrt_name}):"
            )
            width = max(len(row.name) for row in summary)
            rows = [
                f"    {row.name:<{width}}  {self._n(row.grad):>12}  ({_plural(row.paths, 'path')})"
                for row in summary
            ]
            lines += _shorten(rows, "nodes (all in .summary)")
            lines.append(f"last step: d {self.output_name} / d {self.wrt_name} =")
            terms = [
                f"    + (d {self.output_name} / d {name}) (∂ {name} / ∂ {self.wrt_name})"
                f" = {self._n(g)} * {self._n(d)}"
                for name, g, d in last_step
            ]
            lines += _shorten(terms, "terms (all in .last_step)")
            lines.append(f"  = {self._n(self.total)}")
        if self.formula is not None:
            lines.append(f"{self._title()} = {self.formula}")
        lines.append(self._check())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Explanation of {self._title()}: {_plural(self.path_count, 'path')}>"

    def _without_paths(self) -> tuple[list[NodeSummary], list[tuple[str, float, float]]]:
        """``summary`` and ``last_step``, which stand in for ``paths`` when it is None."""
        if self.summary is None or self.last_step is None:
            raise ValueError("Explanation: when paths is None, summary and last_step must be lists")
        return self.summary, self.last_step

    def _rule_text(self, path: ExplainedPath, i: int) -> str:
        """The op of step ``i`` and, where its rule has one, the formula of the factor."""
        node = path.nodes[i]
        rule = node.rule
        op = printable(path.ops[i])
        if rule is None or i >= len(path.positions):
            return op
        names = [self.name(p) for p in node.parents]
        text = printable(rule.formula_for(path.positions[i], names, self.name(node)))
        return f"{op}: {text}" if text else op

    def _chain(self, path: ExplainedPath) -> str:
        if not path.ops:
            return self.name(path.nodes[0])
        parts = [self.name(path.nodes[0])]
        for i, (op, node) in enumerate(zip(path.ops, path.nodes[1:], strict=True)):
            note = _operand_note(path, i, " operand {}")
            parts.append(f"<-[{printable(op)}{note}]- {self.name(node)}")
        return " ".join(parts)

    def to_latex(self) -> str:
        """The chain rule as one LaTeX ``aligned`` block (without ``$$``)."""
        out, wrt = _tex(self.output_name), _tex(self.wrt_name)
        rows = []
        if self.paths is not None:
            for path in self.paths:
                names = [_tex(self.name(n)) for n in path.nodes]
                fracs = "".join(
                    rf"\frac{{\partial {a}}}{{\partial {b}"
                    + _operand_note(path, i, r"\ (\text{{operand {}}})")
                    + "}"
                    for i, (a, b) in enumerate(pairwise(names))
                )
                numbers = r" \times ".join(_tex_num(self._n(d)) for d in path.factors) or "1"
                rows.append(rf"&{fracs or '1'} = {numbers} = {_tex_num(self._n(path.product))}")
        else:
            for name, g, d in self._without_paths()[1]:
                rows.append(
                    rf"&\frac{{\mathrm{{d}} {out}}}{{\mathrm{{d}} {_tex(name)}}}"
                    rf"\frac{{\partial {_tex(name)}}}{{\partial {wrt}}}"
                    rf" = {_tex_num(self._n(g))} \times {_tex_num(self._n(d))}"
                )
        body = r" \\ + ".join(rows) if rows else "&0"
        return (
            rf"\begin{{aligned}}\frac{{\mathrm{{d}} {out}}}{{\mathrm{{d}} {wrt}}} = {body} \\"
            rf" &= {_tex_num(self._n(self.total))}\end{{aligned}}"
        )

    def formula_latex(self) -> str:
        """``formula`` as LaTeX, ``\\frac{d L}{d a} = ...``, names written as in ``to_latex``."""
        if self.formula is None:
            raise ValueError("Explanation: no formula; call explain(..., formula=True)")
        import sympy

        shown = {s: _tex(s.name) for s in self.formula.free_symbols}
        out, wrt = _tex(self.output_name), _tex(self.wrt_name)
        body = sympy.latex(self.formula, symbol_names=shown)
        return rf"\frac{{\mathrm{{d}} {out}}}{{\mathrm{{d}} {wrt}}} = {body}"

    def _repr_markdown_(self) -> str:
        # Names go into Markdown escaped (outside code) or in code spans (inside, nothing is
        # read as Markdown or HTML); Jupyter renders the HTML a label might hold otherwise.
        title = _markdown(self._title())
        lines = [f"**{title}** by the chain rule: {_plural(self.path_count, 'path')}", ""]
        if self.paths is not None:
            for k, path in enumerate(self.paths, 1):
                lines.append(f"{k}. {_code(self._chain(path))}")
        else:
            lines.append(
                f"Too many paths to list; d {_markdown(self.output_name)} / d node along the way "
                "(first rows):"
            )
            lines += ["", "| node | d output / d node | paths to input |", "|---|---|---|"]
            for row in self._without_paths()[0][:50]:
                # a table splits its rows at every |, even in code
                name = _code(row.name).replace("|", "\\|")
                lines.append(f"| {name} | {self._n(row.grad)} | {row.paths:,} |")
            lines.append("")
            lines.append("The last step of the chain rule sums over the nodes the input feeds:")
        lines += ["", f"$$ {self.to_latex()} $$", ""]
        if self.formula is not None:
            lines += [f"$$ {self.formula_latex()} $$", ""]
        lines.append(self._check())
        return "\n".join(lines)


def explain(
    output: Value,
    wrt: Value,
    *,
    params: Mapping[str, Value] | Iterable[tuple[str, Value]] | None = None,
    max_paths: int = 20,
    digits: int = 4,
    rel_tol: float = 1e-9,
    formula: bool = False,
) -> Explanation:
    """Write d(output)/d(wrt) out as the chain rule: a sum over paths of products.

    Args:
        output: the value being differentiated.
        wrt: the node to differentiate with respect to (a leaf or any interior node).
        params: optional ``(name, Value)`` pairs (``model.named_parameters()``) to name
            parameters; other nodes are named by their label, or ``t<k>`` by position.
        max_paths: list the paths only if there are at most this many; otherwise give
            d output / d node for every node on the way, and the last step of the sum.
        digits: significant digits of the numbers shown.
        rel_tol: relative tolerance of the check against the engine's gradient.
        formula: also give d output / d wrt as a formula (``Explanation.formula``, a
            simplified SymPy expression; see ``to_sympy`` for its symbols), printed as one
            line ``d L / d a = ...`` and shown in LaTeX in Jupyter. Needs SymPy
            (``pip install 'chainrule[symbolic]'``).

    Returns:
        An ``Explanation`` (``print`` it; in Jupyter it shows as Markdown and LaTeX).

    Example:
        >>> x = Value(3.0, label="x")
        >>> y = x * x
        >>> y.label = "y"
        >>> e = explain(y, x)
        >>> e.path_count, e.total, e.agrees
        (2, 6.0, True)
        >>> print(e)  # y = x * x: one path through each operand
        d y / d x by the chain rule: 2 paths
        path 1: y <-[* operand 1]- x
            ∂ y / ∂ x (operand 1) = 3  (*: x)
            product: 3
        path 2: y <-[* operand 2]- x
            ∂ y / ∂ x (operand 2) = 3  (*: x)
            product: 3
        sum over 2 paths: d y / d x = 6
        engine gradient: 6 (agrees with the chain rule's 6, relative tolerance 1e-09)
        >>> f = (x * x).tanh()
        >>> f.label = "f"
        >>> e = explain(f, x, formula=True)  # needs SymPy: pip install 'chainrule[symbolic]'
        >>> e.formula
        2*x/cosh(x**2)**2
        >>> print(str(e).splitlines()[-2])
        d f / d x = 2*x/cosh(x**2)**2
        >>> print(e.formula_latex())
        \\frac{\\mathrm{d} \\mathrm{f}}{\\mathrm{d} \\mathrm{x}} = \\frac{2 \\mathrm{x}}{\\cosh^{2}{\\left(\\mathrm{x}^{2} \\right)}}
    """  # noqa: E501 (a doctest's expected output is one line, however long)
    if not isinstance(output, Value):
        raise TypeError(f"explain: output must be a Value, got {type(output).__name__}")
    if not isinstance(wrt, Value):
        raise TypeError(f"explain: wrt must be a Value, got {type(wrt).__name__}")
    if not isinstance(max_paths, int) or isinstance(max_paths, bool) or max_paths < 0:
        raise ValueError(f"explain: max_paths must be an int >= 0, got {max_paths!r}")
    if not isinstance(digits, int) or isinstance(digits, bool) or not 1 <= digits <= 17:
        raise ValueError(f"explain: digits must be an int from 1 to 17, got {digits!r}")

    order = topological_order(output)
    names = _names(order, param_names(params), wrt)

    # Paths from each node back to wrt, counted parents-first: one pass, exact ints.
    count: dict[Value, int] = {}
    for node in order:
        count[node] = 1 if node is wrt else sum(count[p] for p in node.parents)
    total_paths = count[output]

    symbolic = derivative(output, wrt, names) if formula else None
    (engine,) = grad(output, [wrt], allow_unused=True)
    fields: dict[str, Any] = dict(  # what both kinds of Explanation share
        output_name=names[output],
        wrt_name=names[wrt],
        path_count=total_paths,
        engine=engine,
        rel_tol=rel_tol,
        digits=digits,
        names=names,
        formula=symbolic,
    )
    if total_paths <= max_paths:
        paths = _paths(output, wrt, count)
        products = [p.product for p in paths]
        # fsum rounds once (the paths' order does not matter); it raises on inf - inf
        total = math.fsum(products) if all(map(math.isfinite, products)) else sum(products)
        return Explanation(paths=paths, summary=None, last_step=None, total=total, **fields)

    summary, last_step = _summary(order, wrt, count, names)
    total = sum(g * d for _, g, d in last_step)
    return Explanation(paths=None, summary=summary, last_step=last_step, total=total, **fields)


def _names(order: list[Value], given: dict[Value, str], wrt: Value) -> dict[Value, str]:
    """How each node is shown: its name in ``given`` (the parameters'), label, or ``t<k>``."""
    names = {node: printable(name) for node, name in node_names(order, given).items()}
    if wrt not in names:
        names[wrt] = printable(given.get(wrt) or wrt.label or "wrt")
    return names


def _summary(
    order: list[Value], wrt: Value, count: dict[Value, int], names: dict[Value, str]
) -> tuple[list[NodeSummary], list[tuple[str, float, float]]]:
    """For too many paths: d output / d node for the nodes on them, and the sum's last step.

    ``order`` is the topological order, output last; ``count[node]`` the number of paths
    from ``node`` back to ``wrt``.
    """
    adjoint: dict[Value, float] = {order[-1]: 1.0}
    for node in reversed(order):
        g = adjoint.get(node, 0.0)
        if node is wrt:
            continue  # paths end at wrt; what wrt was computed from does not matter here
        for parent, d in zip(node.parents, node.local_grads, strict=True):
            if count[parent]:
                adjoint[parent] = adjoint.get(parent, 0.0) + d * g
    summary = [
        NodeSummary(node, names[node], adjoint.get(node, 0.0), count[node])
        for node in reversed(order)
        if count[node]
    ]
    last_step = [
        (names[node], adjoint.get(node, 0.0), d)
        for node in order
        if count[node] and node is not wrt
        for parent, d in zip(node.parents, node.local_grads, strict=True)
        if parent is wrt
    ]
    return summary, last_step


def _paths(output: Value, wrt: Value, count: dict[Value, int]) -> list[ExplainedPath]:
    """Every path output -> wrt, depth first in argument order (explicit stack).

    One list holds the edges of the path being walked; a stack entry records how long
    that list was at its node, so going back cuts it instead of copying it: linear in the
    length of the paths (a million-deep chain is one pass), not quadratic.
    """
    paths = []
    edges: list[tuple[Value, str, float, int]] = []  # (parent, op, local derivative, position)
    # (depth: how many edges lead to the entry, the edge to it, or None for output)
    stack: list[tuple[int, tuple[Value, str, float, int] | None]] = [(0, None)]
    while stack:
        depth, edge = stack.pop()
        del edges[depth:]
        if edge is not None:
            edges.append(edge)
        node = edges[-1][0] if edges else output
        if node is wrt:
            factors = tuple(e[2] for e in edges)
            product = 1.0
            for d in factors:
                product *= d
            paths.append(
                ExplainedPath(
                    (output, *(e[0] for e in edges)),
                    tuple(e[1] for e in edges),
                    factors,
                    product,
                    tuple(e[3] for e in edges),
                )
            )
            continue
        op = node.op
        # Pushed in reverse so that the first argument's paths come first.
        steps = tuple(enumerate(zip(node.parents, node.local_grads, strict=True)))
        for k, (parent, d) in reversed(steps):
            if count.get(parent):
                stack.append((len(edges), (parent, op, d, k)))
    return paths


def _operand_note(path: ExplainedPath, i: int, template: str) -> str:
    """``template`` filled with the operand (from 1) that step ``i`` of ``path`` goes
    through, if its node has that parent more than once (``x * x``); else ""."""
    node, parent = path.nodes[i], path.nodes[i + 1]
    if i >= len(path.positions) or sum(p is parent for p in node.parents) < 2:
        return ""
    return template.format(path.positions[i] + 1)


def _shorten(lines: list[str], what: str, keep: int = 20) -> list[str]:
    """The first and last ``keep`` lines, with a note of how many were left out."""
    if len(lines) <= 2 * keep:
        return lines
    return [*lines[:keep], f"    ... {len(lines) - 2 * keep:,} more {what} ...", *lines[-keep:]]


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


# What a name's characters are in LaTeX math (MathJax, KaTeX); < > & also because the
# LaTeX sits in Markdown, which a notebook may read as HTML.
_TEX = {
    "\\": r"\backslash ", "_": r"\_", "#": r"\#", "{": r"\{", "}": r"\}", "$": r"\$",
    "%": r"\%", "&": r"\&", "^": r"\hat{}", "~": r"\sim ", "<": r"\lt ", ">": r"\gt ",
}  # fmt: skip
_TEX_SPECIAL = re.compile("[" + re.escape("".join(_TEX)) + "]")
# Markdown's punctuation, written with a backslash; < > & as HTML entities instead
_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]{}()#+!|~$<>&]")


def _tex(name: str) -> str:
    escaped = _TEX_SPECIAL.sub(lambda m: _TEX[m.group()], printable(name))
    return rf"\mathrm{{{escaped}}}"


def _markdown(text: str) -> str:
    """``text`` as Markdown that reads as the text itself: no emphasis, link or HTML."""

    def escape(m: re.Match[str]) -> str:
        ch = m.group()
        return html.escape(ch) if ch in "<>&" else "\\" + ch

    return _MARKDOWN_SPECIAL.sub(escape, printable(text))


def _code(text: str) -> str:
    """``text`` as a Markdown code span, fenced by more backticks than it holds in a row."""
    text = printable(text)
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    if not longest:
        return f"`{text}`"
    fence = "`" * (longest + 1)
    return f"{fence} {text} {fence}"


def _tex_num(text: str) -> str:
    if "e" in text and text not in ("inf", "-inf", "nan"):
        mantissa, exponent = text.split("e")
        text = rf"{mantissa} \cdot 10^{{{int(exponent)}}}"
    text = text.replace("inf", r"\infty").replace("nan", r"\mathrm{NaN}")
    return f"({text})" if text.startswith("-") else text
