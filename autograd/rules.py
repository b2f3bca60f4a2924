"""The derivative rules: one line per primitive, holding every fact about its op.

A ``Rule`` pairs a forward function on floats with its local derivatives, written once
as formulas (Python expressions in the operands ``x``, ``y`` and the output ``out``; see
``autograd/formula.py``). From each formula chainrule makes the derivative function,
which runs on floats in the forward pass (first-order backward is then one tight loop)
and on ``Value``s for ``grad(..., create_graph=True)`` (the derivative becomes a graph,
so higher orders work); the compiled tapes' source; the batched NumPy kernels; and what
``explain`` and the drawings show. Several derivatives are cheapest in terms of the
output (exp' is exp itself, tanh' is 1 - tanh**2), which is why ``out`` comes first.

Besides its formulas, a rule line names the op's constant parameter (the ``k`` of
``x ** k``), its domain (the check, the error and its message), its formulas in LaTeX,
its forward over NumPy arrays, and the interval where tests sample it.

A Rule is also the op: ``EXP(x)`` makes the node that ``x.exp()`` makes, and
``primitive(name, forward, derivative)`` is how users add ops of their own.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from . import formula
from ._numbers import is_number, to_float

if TYPE_CHECKING:
    from .value import Value

__all__ = ["Domain", "Rule", "Sample", "primitive"]

inf = math.inf
nan = math.nan


class Domain(NamedTuple):
    """Where an op is undefined: a formula true outside the domain, and the error.

    ``message`` is formatted with the operands as shown in errors (``{x}``, ``{y}``:
    their value, and label if any) and the parameter ``{k}``.
    """

    bad: str
    error: type[Exception]
    message: str


class Sample(NamedTuple):
    """Where tests sample a one-input op: smooth and well conditioned for central
    differences between ``low`` and ``high``, away from ``kinks``."""

    low: float
    high: float
    kinks: tuple[float, ...] = ()


class Rule:
    """A differentiable primitive: its name, forward function and derivative rule.

    Args:
        name: how the op is shown in graphs and error messages.
        forward: maps the input floats to the output float.
        derivative: either a function ``derivative(out, *inputs)`` returning one local
            derivative per input, written with operations that work on floats and on
            ``Value`` nodes; or (the built-in ops) the formulas of those derivatives as
            text, one per input (see ``autograd/formula.py``).
        param: the op's constant parameter (the ``k`` of ``x ** k``), if it has one.
        param_name: the name formulas and error messages use for it.
        domain: the checks the op makes before it runs.
        latex: each local derivative in LaTeX, for display.
        inline: the forward as a formula, where it is one with exactly ``forward``'s
            float arithmetic (``x + y``, relu's ``0.0 if x <= 0 else x``): compiled tapes
            write it out instead of calling ``forward``.
        array: the forward over NumPy arrays, as a formula using ``np``; by default
            ``inline`` run over arrays.
        masks: True if a zero local derivative passes exactly zero back, whatever the
            incoming gradient (relu's inactive side, as PyTorch does).
        sample: where tests sample the op (one-input ops).

    Built-in rules compare equal when their name and parameter are equal (``x ** 3``
    made twice is one op); a rule made by ``primitive`` equals only itself.

    Example:
        >>> cube = Rule("cube", lambda x: x**3, lambda out, x: (3 * x * x,))
        >>> cube.forward(2.0), cube.derivative(8.0, 2.0)
        (8.0, (12.0,))
        >>> y = cube(2.0)
        >>> y.data, y.op, y.local_grads
        (8.0, 'cube', (12.0,))
        >>> TANH.formulas, TANH.latex
        (('1 - out ** 2',), ('1 - \\\\tanh^2 x',))
    """

    __slots__ = (
        "_key",
        "_texts",
        "array",
        "check",
        "derivative",
        "domain",
        "forward",
        "inline",
        "latex",
        "local",
        "maker",
        "masks",
        "name",
        "param",
        "param_name",
        "sample",
    )

    def __init__(
        self,
        name: str,
        forward: Callable[..., float],
        derivative: Callable[..., Sequence[Any]] | str | tuple[str, ...],
        *,
        param: float | None = None,
        param_name: str = "k",
        domain: tuple[Domain, ...] = (),
        latex: tuple[str, ...] = (),
        inline: str | None = None,
        array: str | None = None,
        masks: bool = False,
        sample: Sample | None = None,
    ) -> None:
        self.name = name
        self.forward = forward
        self.param = param
        self.param_name = param_name
        self.domain = domain
        self.latex = latex
        self.inline = inline
        self.array = array if array is not None or inline is None else formula.to_arrays(inline)
        self.masks = masks
        self.sample = sample
        # The eager engine's function that makes this rule's node from a Value, for the
        # rules of a family (x ** k): set by value.py on first use (see methods.py).
        self.maker: Callable[..., Any] | None = None
        if callable(derivative):
            self.local: tuple[str, ...] | None = None
            self._texts: tuple[str, ...] = ()
            self.derivative = derivative
            self._key: tuple[str, float | None] | None = None
        else:
            self.local = (derivative,) if isinstance(derivative, str) else tuple(derivative)
            for text in (*self.local, *(d.bad for d in domain), *([inline] if inline else [])):
                formula.check(text, name)
            self._texts = tuple(self.exact(t) for t in self.local)
            params = ("out", *self.operands)
            self.derivative = formula.compile_function(params, self._texts, SCOPE, name)
            self._key = (name, param)
        # One compiled test for the whole domain: the index of the first check that the
        # operands fail, or -1 (a single call on the eager path, None without a domain).
        self.check: Callable[..., int] | None = None
        if domain:
            bad = [self.exact(d.bad) for d in domain]
            tests = [f"{i} if ({t}) else " for i, t in enumerate(bad)]
            test = "(" + "".join(tests) + "-1)"
            self.check = formula.compile_function(self.operands, test, SCOPE, name)

    # --- what the rule says about its op -----------------------------------------------

    @property
    def arity(self) -> int | None:
        """How many inputs the op takes (None: any number, or unknown for a primitive)."""
        return None if self.local is None else len(self.local)

    @property
    def operands(self) -> tuple[str, ...]:
        """The names the formulas use for the inputs (``("x",)``, ``("x", "y")``)."""
        return formula.operand_names(self.arity or 0)

    def constants(self) -> dict[str, float]:
        """The rule's parameter by the name its formulas use (``k``, ``slope``)."""
        if self.param is None:
            return {}
        return {self.param_name: self.param}

    def exact(self, text: str) -> str:
        """One of the rule's formulas with its parameter written in as an exact number.

        Example:
            >>> leaky_relu(0.1).exact("x if x > 0 else slope * x")
            'x if x > 0 else 0.1 * x'
        """
        for name, value in self.constants().items():
            text = formula.substitute(text, name, value)
        return text

    def texts(self) -> tuple[str, ...]:
        """The local-derivative formulas with the parameter written in as a number.

        Example:
            >>> power(3.0).texts()
            ('3.0 * pow(x, 3.0 - 1.0)',)
        """
        return self._texts

    @property
    def formulas(self) -> tuple[str, ...]:
        """Each local derivative as a reader writes it (``1 - out ** 2`` for tanh)."""
        return tuple(formula.plain(t, self.constants()) for t in self.local or ())

    def formula_for(self, position: int, names: Sequence[str], out: str) -> str:
        """The local derivative d out / d operand ``position`` in the graph's own names.

        ``names`` are the operands' names in order and ``out`` the output's; "" for a
        rule without formulas (a user's primitive, ``sum``, ``dot``).

        Example:
            >>> MUL.formula_for(0, ["a", "b"], "e"), TANH.formula_for(0, ["t"], "f")
            ('b', '1 - f ** 2')
        """
        if self.local is None:
            return ""
        renamed = dict(zip(self.operands, names))
        renamed["out"] = out
        return formula.plain(self.local[position], self.constants(), renamed)

    def violated(self, *operands: float) -> Domain | None:
        """The first of the op's domain checks that ``operands`` fail, or None.

        Example:
            >>> LOG.violated(-1.0).error.__name__, LOG.violated(2.0)
            ('ValueError', None)
        """
        i = -1 if self.check is None else self.check(*operands)
        return None if i < 0 else self.domain[i]

    def domain_error(self, check: Domain, *shown: str) -> Exception:
        """The error ``check`` raises, with the operands as ``shown`` (value and label)."""
        names = dict(zip(self.operands, shown))
        k = "" if self.param is None else repr(self.param)
        return check.error(f"{self.name}: {check.message.format(k=k, **names)}")

    # --- identity ------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Rule) or self._key is None:
            return False
        return self._key == other._key

    def __hash__(self) -> int:
        return hash(self._key) if self._key is not None else id(self)

    def __repr__(self) -> str:
        param = "" if self.param is None else f", param={self.param!r}"
        return f"Rule({self.name!r}{param})"

    def __call__(self, *inputs: Value | float) -> Value:
        """Apply the op to Values and/or numbers; returns the new ``Value`` node."""
        from .value import apply_rule  # value.py imports this module: no cycle at load

        return apply_rule(self, inputs)





def primitive(
    name: str, forward: Callable[..., float], derivative: Callable[..., Sequence[Any]]
) -> Rule:
    """Define a new differentiable op from its forward function and its derivative.

    Args:
        name: the op's name, shown in graphs and error messages.
        forward: maps the input floats to the output float.
        derivative: ``derivative(out, *inputs)`` returns a tuple with one local
            derivative d(out)/d(input) per input. ``out`` is the op's output (several
            derivatives are cheapest in terms of it). Write it with operations that work
            on floats and on ``Value``s (arithmetic, ``abs``, ``**``): first-order
            backward uses the floats computed in the forward pass, and
            ``grad(..., create_graph=True)`` calls it again on ``Value``s, which is what
            makes second and higher derivatives work. (``math.cos(x)`` would quietly
            turn a Value into a float and lose the higher orders; ``gradgradcheck``
            catches that.)

    Returns:
        The op: a ``Rule`` you call with Values and/or numbers, returning a ``Value``.
        Tapes replay it by calling ``forward`` and ``derivative``.

    Raises:
        TypeError: if ``name`` is not a str or ``forward`` / ``derivative`` are not
            callable. (Calling the op raises ValueError if ``derivative`` does not
            return one entry per input.)
        ValueError: if ``name`` is empty.

    Example:
        >>> from autograd import Value, grad
        >>> hypot = primitive(
        ...     "hypot", lambda x, y: (x * x + y * y) ** 0.5, lambda out, x, y: (x / out, y / out)
        ... )
        >>> a, b = Value(3.0), Value(4.0)
        >>> h = hypot(a, b)
        >>> h.data, h.op, grad(h, [a, b])
        (5.0, 'hypot', (0.6, 0.8))
        >>> (da, db) = grad(h, [a, b], create_graph=True)
        >>> grad(da, [a, b])  # second derivatives: y*y/out**3 and -x*y/out**3
        (0.128, -0.096)
    """
    if not isinstance(name, str):
        raise TypeError(f"primitive: name must be a str, got {type(name).__name__}: {name!r}")
    if not name:
        raise ValueError("primitive: name must not be empty (it names the op in graphs)")
    for arg, fn in (("forward", forward), ("derivative", derivative)):
        if not callable(fn):
            raise TypeError(
                f"primitive {name!r}: {arg} must be callable, got {type(fn).__name__}: {fn!r}"
            )
    return Rule(name, forward, derivative)


# ---------------------------------------------------------------------------------------
# Float functions the table uses, IEEE-style: inf or nan where Python's math module would
# raise OverflowError (math.exp(1000) raises; IEEE says inf).


def exp_(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def sigmoid_(x: float) -> float:
    # Two branches so that exp never overflows: sigmoid(-1000) is 0.0, not an error.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def softplus_(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): never overflows, exact for large |x|.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def sin_(x: float) -> float:
    return math.sin(x) if math.isfinite(x) else nan


def cos_(x: float) -> float:
    return math.cos(x) if math.isfinite(x) else nan


def pow_(x: float, k: float) -> float:
    """x ** k on floats with IEEE results: 0 ** (negative) is inf (-inf for an odd
    integer power of -0.0), a huge result is inf, a negative base to a non-integer power
    is nan. The power ops check their domain before they call it (Value.__pow__, the
    tapes); formulas use it where an infinite slope is the honest answer (sqrt'(0))."""
    x, k = float(x), float(k)
    if x == 0 and k < 0:
        return math.copysign(inf, x) if k.is_integer() and k % 2 == 1 else inf
    try:
        out = x**k
    except OverflowError:
        return -inf if x < 0 and k % 2 == 1 else inf
    return nan if type(out) is complex else out


def fsum_(terms: Iterable[float]) -> float:
    """The exactly rounded sum (``math.fsum``); where fsum refuses, what ``+`` gives.

    ``math.fsum`` raises for inf + -inf (ValueError) and for a sum that passes the largest
    float on the way (OverflowError); a chain of ``+`` gives nan and inf there, and so
    does this.

    Example:
        >>> fsum_([0.1] * 10), fsum_([inf, -inf])
        (1.0, nan)
    """
    terms = tuple(terms)
    try:
        return math.fsum(terms)
    except (ValueError, OverflowError):
        return sum(terms, 0.0)


def _dot(*v: float) -> float:
    n = len(v) // 2
    return fsum_(map(operator.mul, v[:n], v[n:]))


# The names formulas may use: the helpers below, then every rule of the table by name
# (filled in by _register). Each name works on floats and on Values (see value.py).
SCOPE: dict[str, Any] = {"nan": nan, "inf": inf}

_ZERO_POWER = Domain(
    "x == 0 and y < 0", ZeroDivisionError, "0 cannot be raised to a negative power ({y}): base {x}"
)
_NEGATIVE_BASE = Domain(
    "x < 0 and isfinite(y) and not is_integer(y)",
    ValueError,
    "a negative base {x} to the non-integer power {y} is not a real number; "
    "expected an integer exponent or a base >= 0",
)

# ---------------------------------------------------------------------------------------
# The table. Every op in chainrule is one of these lines.
# fmt: off
ADD = Rule("+", operator.add, ("1.0", "1.0"), latex=("1", "1"), inline="x + y")
SUB = Rule("-", operator.sub, ("1.0", "-1.0"), latex=("1", "-1"), inline="x - y")
MUL = Rule("*", operator.mul, ("y", "x"), latex=("y", "x"), inline="x * y")
DIV = Rule(
    "/", operator.truediv, ("1.0 / y", "-out / y"),
    latex=(r"\frac{1}{y}", r"-\frac{x}{y^2}"), inline="x / y",
    domain=(Domain("y == 0", ZeroDivisionError, "division by zero: {x} / {y}"),),
)
NEG = Rule("neg", operator.neg, "-1.0", latex=("-1",), inline="-x", sample=Sample(-100.0, 100.0))
# x ** y with a Value exponent. d/dx is 0 at 0 ** 0 (x ** 0 is 1 everywhere; y * x ** -1
# would be 0 * inf), and stays connected elsewhere so that d2/dxdy is right at y = 0;
# d/dy = x**y log x, with the limit 0 at x = 0 and no real value for x < 0.
POW = Rule(
    "**", pow_,
    ("0.0 if is_zero(x) and is_zero(y) else y * pow(x, y - 1.0)",
     "out * log(x) if x > 0 else (0.0 if x >= 0 else nan)"),
    latex=(r"y\,x^{y-1}", r"x^y \ln x"), array="pow(x, y)", domain=(_ZERO_POWER, _NEGATIVE_BASE),
)
EXP = Rule("exp", exp_, "out", latex=("e^x",), array="np.exp(x)", sample=Sample(-30.0, 30.0))
LOG = Rule(
    "log", math.log, "1.0 / x", latex=(r"\frac{1}{x}",), array="np.log(x)",
    domain=(Domain("x <= 0", ValueError, "got {x}; expected a positive number"),),
    sample=Sample(1e-2, 1e3),
)
SQRT = Rule(
    "sqrt", math.sqrt, "0.5 * pow(out, -1.0)", latex=(r"\frac{1}{2\sqrt{x}}",), array="np.sqrt(x)",
    domain=(Domain("x < 0", ValueError, "got {x}; expected a number >= 0"),),
    sample=Sample(1e-2, 1e3),
)
TANH = Rule(
    "tanh", math.tanh, "1.0 - out * out", latex=(r"1 - \tanh^2 x",), array="np.tanh(x)",
    sample=Sample(-20.0, 20.0),
)
SIGMOID = Rule(
    "sigmoid", sigmoid_, "out * (1.0 - out)", latex=(r"\sigma(x)\,(1 - \sigma(x))",),
    array="where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))",
    sample=Sample(-30.0, 30.0),
)
RELU = Rule(
    "relu", lambda x: 0.0 if x <= 0 else x, "1.0 if x > 0 else 0.0", latex=(r"[x > 0]",),
    inline="0.0 if x <= 0 else x", masks=True, sample=Sample(-100.0, 100.0, (0.0,)),
)
SOFTPLUS = Rule(
    "softplus", softplus_, "sigmoid(x)", latex=(r"\sigma(x)",),
    array="np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))", sample=Sample(-30.0, 30.0),
)
SIN = Rule("sin", sin_, "cos(x)", latex=(r"\cos x",), array="np.sin(x)", sample=Sample(-20.0, 20.0))
COS = Rule("cos", cos_, "-sin(x)", latex=(r"-\sin x",), array="np.cos(x)", sample=Sample(-20, 20))
# abs'(0) = 0: the subgradient in the middle, as PyTorch and JAX do.
ABS = Rule(
    "abs", abs, "1.0 if x > 0 else (-1.0 if x < 0 else 0.0)", latex=(r"\operatorname{sign} x",),
    array="np.abs(x)", masks=True, sample=Sample(-100.0, 100.0, (0.0,)),
)
# fmt: on

# Many-input ops: one node instead of a chain of n - 1 binary ones. math.fsum rounds the
# exact sum once, so the result does not depend on the order of the terms (nor on the
# Python version: builtin sum() of floats changed its rounding in 3.12). Their formulas
# depend on the number of inputs, so the tapes know these two by name.
TOTAL = Rule("sum", lambda *v: fsum_(v), lambda out, *v: (1.0,) * len(v))
# dot's inputs are (a_1 .. a_n, b_1 .. b_n); d/da_i = b_i and d/db_i = a_i.
DOT = Rule("dot", _dot, lambda out, *v: v[len(v) // 2 :] + v[: len(v) // 2])

# Every fixed op, by name; the parser, the testing strategies and the tapes read this.
TABLE: dict[str, Rule] = {
    rule.name: rule
    for rule in (ADD, SUB, MUL, DIV, NEG, POW, EXP, LOG, SQRT, TANH, SIGMOID, RELU, SOFTPLUS,
                 SIN, COS, ABS, TOTAL, DOT)
}  # fmt: skip


# ---------------------------------------------------------------------------------------
# Ops with a constant parameter: one rule per distinct constant, shared by every node that
# uses it. Rules compare by value, so dropping the cache (a program sweeping exponents
# must not grow it forever) changes nothing but speed.

# One cache per family, keyed by the parameter. Value.__pow__ reads POWERS itself: one
# dict lookup per op on the fast path (x ** 2 in every loss), power() only on a miss.
POWERS: dict[float, Rule] = {}
_LEAKY: dict[float, Rule] = {}
CACHE_SIZE = 1024


def _cached(cache: dict[float, Rule], param: float, make: Callable[[float], Rule]) -> Rule:
    """The family's rule for ``param``: from its cache, or made by ``make`` and kept."""
    rule = cache.get(param)
    if rule is None:
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        rule = cache[param] = make(param)
    return rule


def clear_caches() -> None:
    """Forget every cached family rule (tests use it: rules compare by value, so nothing
    but speed depends on the caches)."""
    POWERS.clear()
    _LEAKY.clear()


# The exponents that Value.__pow__ writes out in full instead of calling their rule's
# maker (autograd/methods.py): squares are in every loss, and the call costs a fifth of
# the op. Each test of an exponent here costs every other exponent a comparison.
INLINE_POWERS = (2.0,)


def power(k: float) -> Rule:
    """The rule for ``x ** k`` with a constant exponent ``k`` (cached per ``k``).

    Example:
        >>> power(3.0).formulas, power(3) == power(3.0)
        (('3 * pow(x, 3 - 1)',), True)
    """
    return _cached(POWERS, to_float(k), _power_rule)


def _power_rule(k: float) -> Rule:
    name = f"**{k:g}"
    if k == 0:
        return Rule(
            name, lambda x: 1.0, "0.0", param=k, latex=("0",), inline="1.0", array="np.ones_like(x)"
        )
    if k == 2:
        # The most common power (squares in losses): x * x is correctly rounded, cannot
        # raise OverflowError, and 2 * x is exactly 2 * x ** 1.
        return Rule(name, lambda x: x * x, "2.0 * x", param=k, latex=("2x",), inline="x * x")
    checks = []
    if k < 0:
        message = _ZERO_POWER.message.replace("{y}", "{k}")
        checks.append(Domain("x == 0", ZeroDivisionError, message))
    if math.isfinite(k) and not k.is_integer():
        checks.append(Domain("x < 0", ValueError, _NEGATIVE_BASE.message.replace("{y}", "{k}")))
    return Rule(
        name,
        _PowerForward(k),
        "k * pow(x, k - 1.0)",
        param=k,
        latex=(f"{k:g}\\,x^{{{k - 1:g}}}",),
        array="pow(x, k)",
        domain=tuple(checks),
    )


class _PowerForward:
    """``x ** k`` for one constant ``k``: a shared object per rule, not a closure per node."""

    __slots__ = ("k",)

    def __init__(self, k: float) -> None:
        self.k = k

    def __call__(self, x: float) -> float:
        return pow_(x, self.k)


def leaky_relu(slope: float) -> Rule:
    """The rule for ``leaky_relu`` with negative-side ``slope`` (its derivative at 0).

    Example:
        >>> leaky_relu(0.1).formulas, leaky_relu(0.1) == leaky_relu(0.1)
        (('1 if x > 0 else 0.1',), True)
    """
    return _cached(_LEAKY, to_float(slope), _leaky_rule)


def _leaky_rule(slope: float) -> Rule:
    return Rule(
        "leaky_relu",
        _LeakyForward(slope),
        "1.0 if x > 0 else slope",
        param=slope,
        param_name="slope",
        latex=(f"[x > 0] + {slope:g}\\,[x \\le 0]",),
        inline="x if x > 0 else slope * x",
        masks=True,
        sample=Sample(-100.0, 100.0, (0.0,)),
    )


class Family(NamedTuple):
    """Ops that are one rule per value of a constant parameter, made by ``make``."""

    make: Callable[[float], Rule]
    param: str  # the parameter's name, as a keyword of the op's Value method
    default: float


# The families an expression may call by name with their parameter: leaky_relu(x, 0.2).
# (x ** k is a family too, written as an operator.)
FAMILIES: dict[str, Family] = {"leaky_relu": Family(leaky_relu, "slope", 0.01)}


class _LeakyForward:
    __slots__ = ("slope",)

    def __init__(self, slope: float) -> None:
        self.slope = slope

    def __call__(self, x: float) -> float:
        return x if x > 0 else self.slope * x


# ---------------------------------------------------------------------------------------
# Formulas call other rules by name (softplus' = sigmoid(x)) and a few helpers. On floats
# each is the rule's forward; on Values it makes a node without the domain check (a
# derivative is evaluated where the op itself was defined, and an infinite slope must
# stay an inf connected to the graph: sqrt'(0)).


class _Either:
    """A rule called from a formula: floats in, float out; else a ``Value`` node."""

    __slots__ = ("forward", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.forward = rule.forward

    def __call__(self, *args: Any) -> Any:
        for a in args:
            if not is_number(a):
                from .value import apply_unchecked

                return apply_unchecked(self.rule, args)
        return self.forward(*args)


def _pow_either(x: Any, k: Any) -> Any:
    if is_number(x) and is_number(k):
        return pow_(x, k)
    from .value import apply_unchecked

    if is_number(k):
        return apply_unchecked(power(k), (x,))
    return apply_unchecked(POW, (x, k))


def _data(x: Any) -> float:
    return float(x) if is_number(x) else float(x.data)


SCOPE.update(
    pow=_pow_either,
    is_zero=lambda y: _data(y) == 0,
    isfinite=lambda y: math.isfinite(_data(y)),
    is_integer=lambda y: _data(y).is_integer(),
)
for _rule in TABLE.values():
    if _rule.name.isidentifier() and _rule.arity is not None:
        SCOPE[_rule.name] = _Either(_rule)
