"""A rule's formulas as text, and the functions made from that text.

A built-in rule writes each local derivative, and its domain, once: as a Python
expression in the op's operands ``x`` (and ``y``), its output ``out`` and its constant
parameter (``k``, ``slope``). From that one text chainrule makes everything that needs
the formula: the derivative function that runs on floats and on ``Value``s, the
expressions a compiled tape writes out, the NumPy kernels of batched replay, and the
formula shown by ``explain``. The texts are chainrule's own, compiled when the rule is
made; no text from a user is ever compiled.

Names in a formula are the operands, the parameter, the other rules of the table by
their names (``sigmoid(x)``), and the few helpers of ``HELPERS`` below.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "HELPERS",
    "check",
    "compile_function",
    "operand_names",
    "parse",
    "plain",
    "substitute",
    "times_gradient",
    "to_arrays",
]

# Helpers a formula may call besides the rules. Each has a float, a Value and an array
# meaning (see rules.py, backward's namespaces and tape.batched).
HELPERS = ("pow", "is_zero", "isfinite", "is_integer", "nan", "inf")


def operand_names(arity: int) -> tuple[str, ...]:
    """The names a formula uses for a rule's operands.

    Example:
        >>> operand_names(1), operand_names(2)
        (('x',), ('x', 'y'))
    """
    if arity == 1:
        return ("x",)
    if arity == 2:
        return ("x", "y")
    return tuple(f"x{i}" for i in range(arity))


def parse(text: str) -> ast.expr:
    """The expression tree of a formula (a ``SyntaxError`` names a broken table line)."""
    return ast.parse(text, mode="eval").body


_ALLOWED = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call,
    ast.Name, ast.Load, ast.Constant, ast.operator, ast.unaryop, ast.cmpop, ast.boolop,
)  # fmt: skip


def check(text: str, rule: str) -> None:
    """Refuse a formula that is not arithmetic, comparisons, conditionals, numbers, names
    and calls by name: what every backend (floats, Values, tapes, arrays) can run.

    Raises:
        ValueError: naming the rule and what its formula may not contain.

    Example:
        >>> check("1.0 - out * out", "tanh")
        >>> check("x.real", "bad")
        Traceback (most recent call last):
        ...
        ValueError: rule 'bad': a formula may use arithmetic, comparisons, conditionals, numbers and calls by name only, not Attribute in 'x.real'
    """  # noqa: E501 (a doctest's expected output is one line, however long)
    for node in ast.walk(ast.Expression(parse(text))):
        bad = not isinstance(node, _ALLOWED)
        if isinstance(node, ast.Call):
            bad |= bool(node.keywords) or not isinstance(node.func, ast.Name)
        bad |= isinstance(node, ast.Constant) and type(node.value) not in (int, float)
        if bad:
            raise ValueError(
                f"rule {rule!r}: a formula may use arithmetic, comparisons, conditionals, "
                f"numbers and calls by name only, not {type(node).__name__} in {text!r}"
            )


def compile_function(
    params: Sequence[str], bodies: Sequence[str] | str, scope: dict[str, Any], name: str
) -> Callable[..., Any]:
    """``lambda *params: (body_0, body_1, ...)`` with names looked up in ``scope``.

    ``scope`` is used as the function's globals (not copied), so rules added to it later
    are found when the function runs. Returns a single value instead of a tuple when
    ``bodies`` is a str.

    Example:
        >>> f = compile_function(["out", "x"], ["1.0 - out * out"], {}, "tanh'")
        >>> f(0.5, 0.0)
        (0.75,)
    """
    expr = bodies if isinstance(bodies, str) else "(" + "".join(f"{b}, " for b in bodies) + ")"
    source = f"lambda {', '.join(params)}: {expr}"
    code = compile(source, f"<chainrule formula {name}>", "eval")
    fn: Callable[..., Any] = eval(code, scope)  # our table's text, never user text
    return fn


class _Where(ast.NodeTransformer):
    """``a if c else b`` -> ``where(c, a, b)``; ``c and d`` -> ``(c) & (d)``; ``not c`` ->
    ``~c`` (the formulas' comparisons are then boolean arrays)."""

    def visit_IfExp(self, node: ast.IfExp) -> ast.expr:
        self.generic_visit(node)
        call = ast.Call(ast.Name("where", ast.Load()), [node.test, node.body, node.orelse], [])
        return ast.copy_location(call, node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.expr:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(ast.UnaryOp(ast.Invert(), node.operand), node)
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.expr:
        self.generic_visit(node)
        op: ast.operator = ast.BitAnd() if isinstance(node.op, ast.And) else ast.BitOr()
        result = node.values[0]
        for value in node.values[1:]:
            result = ast.BinOp(result, op, value)
        return ast.copy_location(result, node)


def to_arrays(text: str) -> str:
    """The formula rewritten for whole arrays: conditionals become ``where``.

    Example:
        >>> to_arrays("1.0 if x > 0 else 0.0")
        'where(x > 0, 1.0, 0.0)'
    """
    tree = _Where().visit(parse(text))
    return ast.unparse(ast.fix_missing_locations(tree))


class _Plain(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.expr:
        value = node.value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return ast.copy_location(ast.Constant(int(value)), node)
        return node

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        same = ast.dump(node.left) == ast.dump(node.right)
        if isinstance(node.op, ast.Mult) and same and isinstance(node.left, ast.Name):
            square = ast.BinOp(node.left, ast.Pow(), ast.Constant(2))
            return ast.copy_location(square, node)
        return node


def plain(
    text: str, values: Mapping[str, float] | None = None, names: Mapping[str, str] | None = None
) -> str:
    """A formula as a reader writes it: ``1.0 - out * out`` reads ``1 - out**2``.

    ``values`` replaces names by numbers (a rule's constant parameter), ``names``
    renames them (the operands and output by what a graph calls them).

    Example:
        >>> plain("1.0 - out * out")
        '1 - out ** 2'
        >>> plain("k * pow(x, k - 1.0)", {"k": 3.0})
        '3 * pow(x, 3 - 1)'
        >>> plain("1.0 - out * out", names={"out": "f"})
        '1 - f ** 2'
    """
    tree = _Plain().visit(parse(text))
    if values:
        tree = _Substitute(values).visit(tree)
    if names:
        tree = _Rename(names).visit(tree)
    return ast.unparse(ast.fix_missing_locations(tree))


class _Rename(ast.NodeTransformer):
    def __init__(self, names: Mapping[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.names:
            return ast.copy_location(ast.Name(self.names[node.id], ast.Load()), node)
        return node


class _Substitute(ast.NodeTransformer):
    def __init__(self, values: Mapping[str, float], exact: bool = False) -> None:
        self.values = values
        self.exact = exact

    def visit_Name(self, node: ast.Name) -> ast.expr:
        if node.id in self.values:
            value = self.values[node.id]
            shown: float = value
            if not self.exact and math.isfinite(value) and value.is_integer():
                shown = int(value)
            return ast.copy_location(ast.Constant(shown), node)
        return node


def substitute(text: str, name: str, value: float) -> str:
    """The formula with ``name`` replaced by the exact number ``value``.

    Example:
        >>> substitute("k * pow(x, k - 1.0)", "k", 0.1)
        '0.1 * pow(x, 0.1 - 1.0)'
    """
    tree = _Substitute({name: value}, exact=True).visit(parse(text))
    return ast.unparse(ast.fix_missing_locations(tree))


def _constant(node: ast.expr) -> float | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return float(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    return None


def _times(g: str, local: ast.expr, masks: bool) -> ast.expr:
    if isinstance(local, ast.IfExp):
        return ast.IfExp(local.test, _times(g, local.body, masks), _times(g, local.orelse, masks))
    value = _constant(local)
    if value == 1.0:
        return ast.Name(g, ast.Load())
    if value == -1.0:
        return ast.UnaryOp(ast.USub(), ast.Name(g, ast.Load()))
    if masks and value == 0.0:
        return ast.Constant(0.0)
    product = ast.BinOp(ast.Name(g, ast.Load()), ast.Mult(), local)
    if masks and value is None:  # 0.0 where the local derivative is 0, whatever g is
        zero = ast.Compare(local, [ast.Eq()], [ast.Constant(0.0)])
        return ast.IfExp(zero, ast.Constant(0.0), product)
    return product


def times_gradient(text: str, masks: bool, g: str = "g") -> str:
    """``g * (text)``, a local derivative times the incoming gradient, with ``g``
    distributed over the conditionals: exact, as ``g * (a if c else b)`` is
    ``g * a if c else g * b`` and ``g * 1.0`` is ``g``. A constant 0 stays a product
    (``0 * inf`` is nan, as in the eager engine), except for a ``masks`` rule, whose zero
    side passes exactly 0.0 whatever ``g`` is (the float replay's templates do the same).

    Example:
        >>> times_gradient("1.0 if x > 0 else 0.0", masks=True)
        'g if x > 0 else 0.0'
        >>> times_gradient("-1.0", masks=False), times_gradient("1.0 - out * out", False)
        ('-g', 'g * (1.0 - out * out)')
    """
    tree = _times(g, parse(text), masks)
    return ast.unparse(ast.fix_missing_locations(tree))
