"""Value's op methods, written as Python source from each rule's formulas.

An op's method does the whole of its node in one Python call: it lifts a number operand,
tests the rule's domain, computes the output with the rule's ``inline`` formula (or calls
its ``forward``), computes each local derivative with the rule's own formula written
out, and fills the node's slots. Calling the rule's ``forward`` and ``derivative``
functions instead cost two more calls and a tuple per node: a fifth of an op's time
(benchmarks/engine.py, against its floor engine). The formulas are the table's text,
evaluated on floats through ``floats.float_functions()``, so every number is the one
``rule.derivative`` gives, bit for bit; no user text is compiled.

Each method is made twice. The plain one makes the node and returns it; the checked one
then hands it to ``grad_mode.adjust_new_node`` when a ``no_grad`` or ``detect_anomaly``
block is open. ``Value`` holds the plain ones while no block is open anywhere (nearly
always) and the checked ones otherwise: ``grad_mode`` tells this module when the first
block opens and the last one closes, and ``bind`` swaps the class's methods (about 2 us;
testing a counter in every op instead cost a twentieth of the op).

A rule of a family (``x ** k``, ``leaky_relu``) gets its plain function when first used,
with its parameter written in as a number, and keeps it in ``Rule.maker``; the caller
(``Value.__pow__``) tests the counter itself.
"""

from __future__ import annotations

import ast
import itertools
import linecache
import os
from collections.abc import Callable
from types import FunctionType
from typing import Any

from . import formula, grad_mode
from . import rules as r
from ._numbers import is_number
from .floats import float_functions

__all__ = [
    "binary_method", "bind", "family_maker", "power_method", "reflected_method", "unary_method"
]

Method = Callable[..., Any]

# The names generated code gives itself; no formula may call a rule by one of them.
_OWN = ("Value", "new", "is_number", "grad_mode", "RULE", "F", "domain_error", "self", "other",
        "v", "out", "t", "maker", "POWERS", "OTHERWISE", "SPECIAL0")  # fmt: skip


class _FloatCompares(ast.NodeTransformer):
    """``x <= 0`` -> ``x <= 0.0``: the same test on floats, but CPython runs a comparison
    of two floats on its fast path, and a float with an int on the generic one."""

    def visit_Compare(self, node: ast.Compare) -> ast.expr:
        self.generic_visit(node)
        for i, c in enumerate(node.comparators):
            if isinstance(c, ast.Constant) and type(c.value) is int:
                node.comparators[i] = ast.copy_location(ast.Constant(float(c.value)), c)
        if isinstance(node.left, ast.Constant) and type(node.left.value) is int:
            node.left = ast.copy_location(ast.Constant(float(node.left.value)), node.left)
        return node


class _Read(ast.NodeTransformer):
    """An operand used once is read where it is used (``self.data + other.data``)."""

    def __init__(self, reads: dict[str, str]) -> None:
        self.reads = reads

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.reads:
            read = ast.Attribute(ast.Name(self.reads[node.id], ast.Load()), "data", ast.Load())
            return ast.copy_location(read, node)
        return node


Trees = tuple[list[ast.expr], ast.expr, list[ast.expr]]


def _trees(rule: r.Rule, operands: tuple[str, ...]) -> Trees:
    """The domain tests, the output and the local derivatives as trees, the parameter
    written in as a number (``Rule.exact``), after checking what they name."""
    assert rule.local is not None  # only rules written as formulas get a method
    known = set(float_functions()) | set(operands)
    tests = [_tree(rule, rule.exact(check.bad), known) for check in rule.domain]
    if rule.inline is not None:
        output = _tree(rule, rule.exact(rule.inline), known)
    else:
        call = f"F({', '.join(operands)})"
        output = formula.parse(call)
    local = [_tree(rule, text, known | {"out"}) for text in rule.texts()]
    return tests, output, local


def _tree(rule: r.Rule, text: str, allowed: set[str]) -> ast.expr:
    tree = formula.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in allowed:
            raise ValueError(
                f"rule {rule.name!r}: formula {text!r} uses {node.id!r}, which is neither an "
                "operand, the output, a rule of the table nor a helper"
            )
    written: ast.expr = _FloatCompares().visit(tree)
    return written


def _body(rule: r.Rule, nodes: dict[str, str], name: str = "RULE") -> list[str]:
    """The statements of the method after its operands are Values (``nodes`` names the
    node of each operand, ``name`` the rule): read their floats, test the domain,
    compute the output, make the node. The last line returns it."""
    operands = tuple(nodes)
    tests, output, local = _trees(rule, operands)
    trees = [*tests, output, *local]
    uses = {name: 0 for name in (*operands, "out")}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in uses:
                uses[node.id] += 1
    lines = [f"{name} = {nodes[name]}.data" for name in operands if uses[name] > 1]
    read = _Read({name: nodes[name] for name in operands if uses[name] <= 1})

    def text(tree: ast.expr) -> str:
        return ast.unparse(ast.fix_missing_locations(read.visit(tree)))

    shown = ", ".join(nodes.values())
    comma = "," if len(nodes) == 1 else ""
    for i, test in enumerate(tests):
        lines += [f"if {text(test)}:", f"    raise domain_error({name}, {i}, ({shown}{comma}))"]
    if uses["out"]:
        lines += [f"out = {text(output)}", "v = new(Value)", "v.data = out"]
    else:
        lines += ["v = new(Value)", f"v.data = {text(output)}"]
    parents = [*nodes.values(), "None"]
    lines += ["v.grad = 0.0", f"v._p0 = {parents[0]}", f"v._p1 = {parents[1]}"]
    lines += [f"v._d{i} = {text(tree)}" for i, tree in enumerate(local)]
    lines += [f"v._meta = {name}", "return v"]
    return lines


_CHECK = ["if grad_mode.open_blocks:", "    grad_mode.adjust_new_node(v)"]


# The globals of every generated method. They name the Value class, which does not exist
# yet while its body runs (where the methods are made): ``bind`` fills it in.
_namespaces: list[dict[str, Any]] = []
_bound: list[type] = []
_serial = itertools.count()
# Each plain method made, and its checked twin.
_checked: dict[Method, Method] = {}


def bind(value_cls: type) -> None:
    """Tell the methods made (and to be made) which class ``Value`` is, and swap the
    class's plain methods for their checked twins while a mode block is open."""
    for names in _namespaces:
        names["Value"] = value_cls
    _bound.append(value_cls)
    made = [(name, fn) for name, fn in vars(value_cls).items() if type(fn) is FunctionType]
    twins = [(name, fn, _checked[fn]) for name, fn in made if fn in _checked]

    for name, plain, checked in twins:
        for fn in (plain, checked):
            fn.__name__ = name
            fn.__qualname__ = f"{value_cls.__name__}.{name}"

    def swap(blocks_open: bool) -> None:
        for name, plain, checked in twins:
            setattr(value_cls, name, checked if blocks_open else plain)

    grad_mode.on_first_and_last(swap)


def _made(
    signature: str, head: list[str], body: list[str], rule: r.Rule, doc: str | None
) -> Method:
    """The plain method (``head`` then ``body``), after making its checked twin."""
    checked = [*head, *body[:-1], *_CHECK, body[-1]]
    plain = _compile(signature, [*head, *body], rule, doc)
    _checked[plain] = _compile(signature, checked, rule, doc)
    return plain


def _compile(
    signature: str, lines: list[str], rule: r.Rule, doc: str | None, **more: Any
) -> Method:
    """The function ``method(signature)`` with ``lines`` as its body, its names (and
    ``more``) bound as globals. (Bound as a closure's free variables instead, the ops
    were slower: a closure costs more per call than CPython's cached read of a global.)"""
    names = float_functions()
    clashes = sorted(set(names) & set(_OWN))
    if clashes:
        raise ValueError(f"rules named {clashes} clash with the names of generated methods")
    names.update(
        new=object.__new__,
        is_number=is_number,
        grad_mode=grad_mode,
        RULE=rule,
        F=rule.forward,
        domain_error=_domain_error,
        **more,
    )
    if _bound:
        names["Value"] = _bound[-1]
    _namespaces.append(names)
    source = f"def method({signature}):\n" + "".join(f"    {line}\n" for line in lines)
    # Named as a file of this package, so that detect_anomaly counts its frames as the
    # engine's; and its source is put where tracebacks look for it.
    name = f"<generated method {next(_serial)}: {rule.name}>"  # (one per source)
    filename = os.path.join(os.path.dirname(__file__), name)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    code = compile(source, filename, "exec")
    exec(code, names)  # our table's formulas, never user text
    fn: Method = names["method"]
    fn.__doc__ = doc
    return fn


def _domain_error(rule: r.Rule, index: int, operands: tuple[Any, ...]) -> Exception:
    """The error of the rule's domain check ``index``, naming the operands."""
    shown = [f"{p.data!r} (label {p.label!r})" if p.label else repr(p.data) for p in operands]
    return rule.domain_error(rule.domain[index], *shown)


_LIFT = [
    "if type(other) is not Value:",
    "    if not is_number(other):",
    "        return NotImplemented",
    "    other = Value(other)",
]


def binary_method(rule: r.Rule, doc: str) -> Method:
    """``Value.__add__`` and friends: ``self op other`` for a Value or number ``other``.

    Example:
        >>> from autograd import Value
        >>> add = binary_method(r.ADD, "x + y")
        >>> add(Value(2.0), 3).data
        5.0
    """
    return _made("self, other", _LIFT, _body(rule, {"x": "self", "y": "other"}), rule, doc)


def reflected_method(rule: r.Rule, doc: str) -> Method:
    """``Value.__radd__`` and friends: ``number op self`` (``2 - x`` is SUB of (2, x)).

    Example:
        >>> from autograd import Value
        >>> rsub = reflected_method(r.SUB, "number - x")
        >>> rsub(Value(2.0), 3).data
        1.0
    """
    lift = ["if not is_number(other):", "    return NotImplemented", "other = Value(other)"]
    return _made("self, other", lift, _body(rule, {"x": "other", "y": "self"}), rule, doc)


def unary_method(rule: r.Rule, doc: str | None) -> Method:
    """``Value.exp`` and friends: the one-input op applied to ``self``.

    Example:
        >>> from autograd import Value
        >>> relu = unary_method(r.RELU, "max(x, 0)")
        >>> relu(Value(-2.0)).data, relu(Value(3.0)).local_grads
        (0.0, (1.0,))
    """
    return _made("self", [], _body(rule, {"x": "self"}), rule, doc)


def family_maker(rule: r.Rule) -> Method:
    """``maker(node)``: the node of the one-input family ``rule`` (``x ** 3``) applied to
    ``node``, its parameter written in as a number; plain (the caller checks the modes).

    Made once per rule, as the rule's own derivative function is (the family caches
    its rules, ``rules.CACHE_SIZE`` of them), so a new exponent costs one more small
    compile where it already cost one.

    Example:
        >>> from autograd import Value
        >>> cube = r.power(3.0)
        >>> family_maker(cube)(Value(2.0)).local_grads
        (12.0,)
    """
    return _compile("self", _body(rule, {"x": "self"}), rule, None)


def power_method(otherwise: Method, doc: str) -> Method:
    """``Value.__pow__`` for a number exponent: ``x ** 2`` (each of ``rules.INLINE_POWERS``)
    written out in full, any other exponent through its cached rule's maker, and the
    rest (a Value exponent, an exponent not cached yet, not a number) left to
    ``otherwise(self, other)``.

    Written out, the square costs what ``x * x`` costs; through the maker, one more call
    (a fifth of the op).

    Example:
        >>> from autograd import Value
        >>> pow_ = power_method(lambda x, k: NotImplemented, "x ** k")
        >>> pow_(Value(3.0), 2).local_grads
        (6.0,)
    """
    special = {f"SPECIAL{i}": r.power(k) for i, k in enumerate(r.INLINE_POWERS)}
    variants = []
    for check in ([], [f"        {line}" for line in _CHECK]):
        lines = ["t = type(other)  # (exactly an int or a float: True is no exponent)"]
        lines.append("if t is float or t is int:")
        for name, rule in special.items():
            body = [f"        {line}" for line in _body(rule, {"x": "self"}, name)]
            lines += [f"    if other == {rule.param!r}:", *body[:-1], *check, body[-1]]
        lines += [
            "    try:  # (the cache holds the exponents in use: a miss is rare)",
            "        maker = POWERS[other].maker",
            "    except KeyError:",
            "        maker = None",
            "    if maker is not None:",
            "        v = maker(self)",
            *check,
            "        return v",
            "return OTHERWISE(self, other)",
        ]
        more = dict(special, POWERS=r.POWERS, OTHERWISE=otherwise)
        variants.append(_compile("self, other", lines, r.POW, doc, **more))
    plain, checked = variants
    _checked[plain] = checked
    return plain
