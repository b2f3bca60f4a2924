"""``to_sympy``: the graph as a formula, a SymPy expression of its leaves.

Each op is translated from its ``Rule``, not from a second list of ops: the rule's
forward as a formula, its ``inline`` one where it has one (``x + y``, relu's
``0.0 if x <= 0 else x``), else its NumPy ``array`` one (``np.tanh(x)``, ``pow(x, k)``),
with ``np.<f>`` read as SymPy's function of that name and conditionals (``if``,
``where``) as ``Piecewise``. A forward written in branches only so that floats do not
overflow (sigmoid, softplus) is one function: where SymPy proves the branches equal, the
shortest is kept (sigmoid is ``1/(1 + exp(-x))``). ``sum`` and ``dot``, whose number of
inputs varies, are a sum and a sum of products.

SymPy is an optional extra (``pip install 'chainrule[symbolic]'``), imported only when a
function here runs.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .. import formula
from ..backward import topological_order
from ..rules import DOT, FAMILIES, TABLE, TOTAL, Rule
from ..value import Value
from ._names import param_names

if TYPE_CHECKING:
    import sympy

__all__ = ["derivative", "exact", "node_formulas", "to_sympy", "translation"]

# NumPy's functions that SymPy spells differently, or has not (log1p, expm1).
_NUMPY = {"abs": "Abs", "maximum": "Max", "minimum": "Min", "arctan": "atan", "arcsin": "asin"}
_NUMPY_DEFINED: dict[str, Callable[[Any], Any]] = {
    "log1p": lambda x: _sympy().log(1 + x),
    "expm1": lambda x: _sympy().exp(x) - 1,
}

# Constants with at most this many significant digits are taken as the decimal written.
_SHORT = 6


def _sympy() -> Any:
    """The sympy module, or an ImportError that says how to install it."""
    try:
        import sympy
    except ImportError as e:
        raise ImportError(
            "the graph as a formula (to_sympy, explain(..., formula=True)) needs SymPy: "
            "pip install 'chainrule[symbolic]'"
        ) from e
    return sympy


def exact(value: float) -> sympy.Expr:
    """``value`` as SymPy holds it: the decimal written when short, else the float itself.

    A finite float whose shortest repr has at most 6 significant digits becomes the
    rational number of that decimal (0.1 -> 1/10, 3.0 -> 3, 1e-05 -> 1/100000); any other
    float stays a SymPy ``Float`` of the same binary value; inf and nan become ``oo`` and
    ``nan``.

    Example:
        >>> exact(0.5), exact(3.0), exact(-0.1), exact(2 / 3)
        (1/2, 3, -1/10, 0.666666666666667)
    """
    sp = _sympy()
    if math.isnan(value):
        return sp.nan
    if math.isinf(value):
        return sp.oo if value > 0 else -sp.oo
    if _is_short(value):
        return sp.Rational(repr(value))
    return sp.Float(value)


def _is_short(value: float) -> bool:
    mantissa = repr(value).split("e")[0]
    return len(mantissa.replace("-", "").replace(".", "").strip("0")) <= _SHORT


def translation(rule: Rule) -> Callable[..., sympy.Expr]:
    """The function that makes the SymPy expression of ``rule`` applied to its operands.

    Raises:
        ValueError: for an op with no translation (a ``primitive`` of your own), naming it.

    Example:
        >>> import sympy
        >>> from autograd.rules import RELU, SIGMOID, power
        >>> x = sympy.Symbol("x", real=True)
        >>> translation(SIGMOID)(x), translation(power(0.5))(x), translation(RELU)(x)
        (1/(1 + exp(-x)), sqrt(x), Piecewise((0, x <= 0), (x, True)))
    """
    sp = _sympy()
    if rule == TOTAL:
        return lambda *v: sp.Add(*v)
    if rule == DOT:
        return lambda *v: sp.Add(*(a * b for a, b in zip(v[: len(v) // 2], v[len(v) // 2 :])))
    builtin = TABLE.get(rule.name) == rule or rule.param is not None
    text = rule.inline or rule.array
    if not builtin or rule.local is None or text is None:
        raise ValueError(
            f"to_sympy: the op {rule.name!r} has no SymPy translation: only the ops of "
            f"autograd.rules.TABLE, x ** k and {', '.join(FAMILIES)} have one (a "
            "primitive's forward is Python code, not a formula); build the graph from those "
            "ops to see it as a formula"
        )
    operands, form = _form(rule, text)
    return lambda *v: form.xreplace(dict(zip(operands, v)))


@lru_cache(maxsize=256)
def _form(rule: Rule, text: str) -> tuple[tuple[Any, ...], Any]:
    """The rule's forward formula over real symbols, made once per rule."""
    sp = _sympy()
    operands = tuple(sp.Dummy(name, real=True) for name in rule.operands)
    names = {name: exact(v) for name, v in rule.constants().items()}
    names.update(zip(rule.operands, operands))
    form = _Translate(names).visit(formula.parse(text))
    return operands, _one_function(form, operands)


def _one_function(form: Any, operands: tuple[Any, ...]) -> Any:
    """A one-input forward written in branches by the sign of x (so that floats do not
    overflow) as one function: the shortest branch, where SymPy proves them equal."""
    sp = _sympy()
    if len(operands) != 1 or not form.has(sp.Piecewise, sp.Abs, sp.Max, sp.Min):
        return form
    (x,) = operands
    sides = []
    for sign in ({"positive": True}, {"negative": True}):
        side = sp.Dummy("s", **sign)
        sides.append(form.xreplace({x: side}).xreplace({side: x}))
    if sides[0] == sides[1] or sp.simplify(sides[0] - sides[1]) != 0:
        return form  # relu, abs: truly two functions
    return min(sides, key=sp.count_ops)


_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.Pow: operator.pow,
}  # fmt: skip


class _Translate:
    """A formula's expression tree (see ``autograd/formula.py``) as a SymPy expression."""

    def __init__(self, names: Mapping[str, Any]) -> None:
        self.sp = _sympy()
        self.names = names

    def visit(self, node: ast.expr) -> Any:
        sp, visit = self.sp, self.visit
        if isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float)):  # formula.check allows only these
                raise ValueError(f"to_sympy: a formula's constant {node.value!r} is not a number")
            return exact(float(node.value))
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            return {"nan": sp.nan, "inf": sp.oo}[node.id]
        if isinstance(node, ast.BinOp):
            return _BINARY[type(node.op)](visit(node.left), visit(node.right))
        if isinstance(node, ast.UnaryOp):
            x = visit(node.operand)
            if isinstance(node.op, ast.Not):
                return sp.Not(x)
            return -x if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            a, b = visit(node.left), visit(node.comparators[0])
            relations = {ast.Lt: sp.Lt, ast.LtE: sp.Le, ast.Gt: sp.Gt, ast.GtE: sp.Ge,
                         ast.Eq: sp.Eq, ast.NotEq: sp.Ne}  # fmt: skip
            return relations[type(node.ops[0])](a, b)
        if isinstance(node, ast.BoolOp):
            join = sp.And if isinstance(node.op, ast.And) else sp.Or
            return join(*map(visit, node.values))
        if isinstance(node, ast.IfExp):
            return sp.Piecewise((visit(node.body), visit(node.test)), (visit(node.orelse), True))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [visit(a) for a in node.args]
            if node.func.id == "pow":
                return sp.Pow(*args)
            if node.func.id == "where":
                test, yes, no = args
                return sp.Piecewise((yes, test), (no, True))
            if node.func.id in TABLE:
                return translation(TABLE[node.func.id])(*args)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr  # np.<name>: an array formula's NumPy function
            args = [visit(a) for a in node.args]
            if name in _NUMPY_DEFINED:
                return _NUMPY_DEFINED[name](*args)
            fn = getattr(sp, _NUMPY.get(name, name), None)
            if callable(fn):
                return fn(*args)
        raise ValueError(f"to_sympy: cannot translate {ast.unparse(node)!r} to SymPy")


def node_formulas(
    output: Value,
    params: Mapping[str, Value] | Iterable[tuple[str, Value]] | None = None,
    *,
    cut: Iterable[Value] = (),
    fallback: Mapping[Value, str] | None = None,
) -> dict[Value, sympy.Expr]:
    """Every node of the graph with its SymPy expression (leaves, then the nodes made).

    ``cut`` are nodes to take as symbols even if they are not leaves (``explain``'s
    d output / d t for an interior ``t``); ``fallback`` names the symbols that have no
    parameter name or label (``explain``'s ``t<k>``), instead of ``x0``, ``x1``, ... See
    ``to_sympy`` for how leaves are named.
    """
    sp = _sympy()
    given = param_names(params)
    cut = set(cut)
    order = topological_order(output)
    expr: dict[Value, Any] = {}
    taken: set[str] = set()
    unnamed = 0

    def symbol(name: str) -> Any:
        base, k = name, 1
        while name in taken:  # two leaves of one label stay two symbols: x, x_2
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        return sp.Symbol(name, real=True)

    for node in order:  # parents come first: one pass, no recursion
        if node.rule is None or node in cut:
            name = given.get(node) or node.label
            if name or node in cut or not _is_short(node.data):
                if not name and fallback is not None:
                    name = fallback.get(node, "")
                if not name:
                    name, unnamed = f"x{unnamed}", unnamed + 1
                expr[node] = symbol(name)
            else:
                expr[node] = exact(node.data)
        else:
            expr[node] = translation(node.rule)(*(expr[p] for p in node.parents))
    return expr


def to_sympy(
    output: Value,
    params: Mapping[str, Value] | Iterable[tuple[str, Value]] | None = None,
) -> sympy.Expr:
    """The SymPy expression that the graph of ``output`` computes from its leaves.

    Leaves become real symbols named by their parameter name in ``params``, else by their
    label (a second leaf of the same name is ``name_2``). A leaf without either is a
    number you wrote (``2 * x`` makes a leaf 2.0) when its value is short: its shortest
    repr has at most 6 significant digits; it becomes that decimal, exactly (0.1 -> 1/10,
    3.0 -> 3). Any other unnamed leaf (a random weight, a value from data) is a symbol
    ``x0``, ``x1``, ... numbered in topological order. The constants of the ops (the
    ``k`` of ``x ** k``, leaky_relu's slope) are made exact the same way. Interior nodes
    that are the same node are the same subexpression.

    Args:
        output: the node whose graph is written out.
        params: optional ``(name, Value)`` pairs (``model.named_parameters()``) or a
            ``{name: Value}`` dict naming parameters.

    Returns:
        A SymPy expression; ``sympy.diff`` of it by a leaf's symbol, at the leaves'
        values, is the engine's gradient.

    Raises:
        ImportError: without SymPy (``pip install 'chainrule[symbolic]'``).
        ValueError: for an op with no translation (a ``primitive`` of your own).

    Example:
        >>> import sympy
        >>> from autograd import Value, grad
        >>> a, b = Value(2.0, label="a"), Value(0.5, label="b")
        >>> f = (a * b).tanh() + 3 * a**2 + 0.1
        >>> expr = to_sympy(f)
        >>> expr
        3*a**2 + tanh(a*b) + 1/10
        >>> A, B = sympy.symbols("a b", real=True)  # the leaves' symbols are real
        >>> sympy.diff(expr, A)
        6*a + b*(1 - tanh(a*b)**2)
        >>> float(sympy.diff(expr, A).subs({A: 2.0, B: 0.5})), grad(f, [a])[0]
        (12.209987170807013, 12.209987170807013)
    """
    if not isinstance(output, Value):
        raise TypeError(f"to_sympy: output must be a Value, got {type(output).__name__}")
    return node_formulas(output, params)[output]


def derivative(output: Value, wrt: Value, names: Mapping[Value, str]) -> sympy.Expr:
    """d output / d wrt as a SymPy expression, simplified where that makes it shorter
    (``wrt`` may be interior).

    ``names`` name the symbols that have no label (``explain``'s names).

    Example:
        >>> x = Value(3.0, label="x")
        >>> derivative((x * x + 1).log(), x, {})
        2*x/(x**2 + 1)
    """
    sp = _sympy()
    expr = node_formulas(output, cut=(wrt,), fallback=names)
    if wrt not in expr:  # output does not depend on wrt
        return sp.Integer(0)
    plain = sp.diff(expr[output], expr[wrt])
    return min((plain, sp.simplify(plain)), key=sp.count_ops)  # simplify can lengthen it
