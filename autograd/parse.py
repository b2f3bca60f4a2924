"""Expressions typed by a user, such as ``"tanh(x*w + b)"``, built as a graph of Values.

The text is parsed with Python's ``ast`` module and only a closed set of constructs is
built: numbers, variable names, ``+ - * / **``, unary minus and plus, parentheses, and
calls to the engine's functions. Nothing is ever evaluated by Python itself, so there is
no way to reach attributes, imports or builtins: anything else is rejected with a
message naming what was not allowed.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._numbers import to_float
from .rules import FAMILIES, TABLE, Family
from .value import Value

__all__ = ["CONSTANTS", "FUNCTIONS", "ExpressionError", "Parsed", "parse_expression"]

# Names that stand for a number when no value is given for them: a value the user gives
# for ``pi`` or ``e`` wins (then the name is a variable, with a gradient, like any other).
CONSTANTS: dict[str, float] = {"e": math.e, "pi": math.pi}


def _family_op(family: Family) -> Callable[..., Value]:
    """An expression's call of a family: the op with its parameter, or its default."""

    def op(x: Value, param: float = family.default) -> Value:
        return family.make(param)(x)

    return op


# The callable ops: every one-input rule of the table with a name that is an identifier
# (the rule applied checks its domain, as the Value method does), and the families, whose
# optional second argument (a constant) picks the rule: leaky_relu(x, 0.2).
FUNCTIONS: dict[str, Callable[..., Value]] = {
    name: rule for name, rule in TABLE.items() if name.isidentifier() and rule.arity == 1
}
FUNCTIONS.update((name, _family_op(family)) for name, family in FAMILIES.items())
FUNCTIONS = dict(sorted(FUNCTIONS.items()))

# Operands are Values or numbers; at least one is a Value (see _apply_checked).
_BINARY: dict[type[ast.operator], Callable[[Any, Any], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}

# What users most often try, named in the error (anything else gets its class name).
_FORBIDDEN = {
    ast.Attribute: "attribute access (a.b)",
    ast.Subscript: "subscripts (a[b])",
    ast.Lambda: "lambda",
    ast.Compare: "comparisons",
    ast.BoolOp: "and/or",
    ast.IfExp: "conditional expressions",
    ast.Call: "calls",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.NamedExpr: "assignment (:=)",
}

MAX_LENGTH = 100_000
SHOWN = 60  # characters of the expression echoed in an error message


def _cut(text: str) -> str:
    """``text`` quoted for an error message, cut to about SHOWN characters."""
    text = " ".join(text.split())
    return repr(text) if len(text) <= SHOWN else repr(text[: SHOWN - 3] + "...")


def _shown(text: str, node: ast.AST) -> str:
    """The source of ``node`` in ``text``, cut for a message.

    Read from the text, never ``ast.unparse``: that recurses and fails on a deep tree.
    """
    return _cut(ast.get_source_segment(text, node) or type(node).__name__)


class ExpressionError(ValueError):
    """An expression that is not allowed, or that cannot be built as given."""


@dataclass(frozen=True)
class Parsed:
    """The result of ``parse_expression``: the output node and the input leaves by name."""

    output: Value
    inputs: dict[str, Value]


def _binary_name(op: ast.operator) -> str:
    return {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|",
            ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}.get(type(op), type(op).__name__)


def parse_expression(text: str, values: Mapping[str, float]) -> Parsed:
    """Build the graph of ``text`` with leaves for the named ``values``.

    Args:
        text: an expression such as ``"tanh(x*w + b)"``: numbers, names, ``+ - * / **``,
            unary minus, parentheses and calls to the functions in ``FUNCTIONS``
            (``leaky_relu(x, 0.2)`` takes a constant slope). ``pi`` and ``e`` are the
            constants of ``CONSTANTS`` unless ``values`` gives them a number.
        values: a number for every variable name in ``text``; a value for ``pi`` or
            ``e`` makes that name a variable instead of the constant.

    Returns:
        ``Parsed(output, inputs)``; each input is a leaf labelled with its name.

    Raises:
        ExpressionError: for anything not allowed, an unknown or missing name, a value
            that is not a number, or a math error such as log of a negative number.

    Example:
        >>> p = parse_expression("tanh(x*w + b)", {"x": 0.5, "w": -1.2, "b": 0.3})
        >>> p.output.backward()
        >>> round(p.output.data, 6), round(p.inputs["w"].grad, 6)
        (-0.291313, 0.457568)
        >>> parse_expression("2*pi*r", {"r": 1.0}).output.data  # pi: no value given
        6.283185307179586
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters; at most {MAX_LENGTH}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as e:
        raise ExpressionError(f"not a valid expression: {e.msg} in {_cut(text)}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("the expression is nested too deeply") from None

    inputs = _leaves(tree, values)
    output = _build(tree.body, inputs, text.strip())
    unused = [name for name in values if name not in inputs]
    if unused:
        raise ExpressionError(f"values given for names not in the expression: {', '.join(unused)}")
    return Parsed(output, inputs)


def _leaves(tree: ast.Expression, values: Mapping[str, float]) -> dict[str, Value]:
    """Check every name in the tree and make a leaf for each variable."""
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    found = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and id(n) not in called]
    found.sort(key=lambda n: (n.lineno, n.col_offset))  # in the order they are written
    inputs: dict[str, Value] = {}
    for name in dict.fromkeys(n.id for n in found):
        if name in FUNCTIONS:
            raise ExpressionError(f"{name!r} is a function: call it, as in {name}(x)")
        if name not in values and name in CONSTANTS:
            continue  # a constant, built as a number by _apply_checked
        if name not in values:
            raise ExpressionError(f"no value for variable {name!r}: give it as {name}=<number>")
        number = values[name]
        if isinstance(number, bool) or not isinstance(number, (int, float)):
            raise ExpressionError(f"the value of {name!r} must be a number, got {number!r}")
        inputs[name] = Value(number, label=name)
    return inputs


def _build(root: ast.AST, inputs: dict[str, Value], text: str) -> Value:
    """Build the graph bottom-up with an explicit stack (no recursion on deep nesting)."""
    results: dict[int, Value | float] = {}
    stack: list[tuple[ast.AST, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        children = _children(node)
        if not ready:
            _check(node, text)  # before its operands: name the outermost offending construct
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        args = [results.pop(id(child)) for child in children]
        results[id(node)] = _apply(node, args, inputs, text)
    out = results[id(root)]
    return out if isinstance(out, Value) else Value(out)


def _children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return [*node.args, *(k.value for k in node.keywords)]
    return []


def _apply(
    node: ast.AST, args: list[Value | float], inputs: dict[str, Value], text: str
) -> Value | float:
    try:
        return _apply_checked(node, args, inputs)
    except (ValueError, ZeroDivisionError, TypeError) as e:
        if isinstance(e, ExpressionError):
            raise
        raise ExpressionError(f"cannot compute {_shown(text, node)}: {e}") from None


def _check(node: ast.AST, text: str) -> None:
    """Raise ExpressionError unless ``node`` is one of the allowed constructs."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise ExpressionError(f"only numbers are allowed as constants, not {node.value!r}")
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise ExpressionError(
                f"the operator {_binary_name(node.op)} is not allowed; use + - * / **"
            )
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise ExpressionError(f"the operator {type(node.op).__name__} is not allowed")
    elif isinstance(node, ast.Call):
        _check_call(node, text)
    elif not isinstance(node, ast.Name):
        what = _FORBIDDEN.get(type(node), type(node).__name__)
        raise ExpressionError(f"{what} not allowed in an expression: {_shown(text, node)}")


def _check_call(node: ast.Call, text: str) -> None:
    if not isinstance(node.func, ast.Name):
        raise ExpressionError(f"only the engine's functions may be called: {_shown(text, node)}")
    name = node.func.id
    if name not in FUNCTIONS:
        raise ExpressionError(f"unknown function {name!r}; allowed: {', '.join(sorted(FUNCTIONS))}")
    keywords = [k.arg for k in node.keywords]
    if name in FAMILIES:
        param = FAMILIES[name].param
        if not 1 <= len(node.args) <= 2 - len(keywords) or any(k != param for k in keywords):
            raise ExpressionError(f"{name} takes x and an optional {param}: {name}(x, 0.2)")
    elif keywords or len(node.args) != 1:
        raise ExpressionError(f"{name} takes exactly one argument, as in {name}(x)")


def _apply_checked(
    node: ast.AST, args: list[Value | float], inputs: dict[str, Value]
) -> Value | float:
    if isinstance(node, ast.Constant):
        number = node.value
        assert isinstance(number, (int, float))  # _check let only numbers through
        return to_float(number)  # a 400-digit literal is inf, as Value(10**400) is
    if isinstance(node, ast.Name):
        return inputs[node.id] if node.id in inputs else CONSTANTS[node.id]
    if isinstance(node, ast.BinOp):
        a, b = args
        if not isinstance(a, Value) and not isinstance(b, Value):
            a = Value(a)  # folding constants would hide the op from the graph
        return _BINARY[type(node.op)](a, b)
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # _check_call
    name = node.func.id
    x, *rest = args
    x = x if isinstance(x, Value) else Value(x)
    if name in FAMILIES and rest:
        if isinstance(rest[0], Value):
            raise ExpressionError(
                f"{name}'s {FAMILIES[name].param} must be a number, not a variable"
            )
        return FUNCTIONS[name](x, rest[0])
    return FUNCTIONS[name](x)
