"""A property-testing kit: Hypothesis strategies and ``assert_gradients_match``.

The same tools chainrule's own test suite uses, for checking the ops and formulas you
add. Paste this into a pytest file (it needs Hypothesis: ``pip install 'chainrule[testing]'``)::

    from hypothesis import given
    from autograd import primitive
    from autograd.testing import assert_gradients_match, domain, expressions

    softsign = primitive(
        "softsign", lambda x: x / (1 + abs(x)), lambda out, x: (1 / (1 + abs(x)) ** 2,)
    )

    # abs's domain: floats away from 0, where softsign's second derivative jumps too.
    @given(domain("abs"))
    def test_softsign(x):
        assert_gradients_match(softsign, x)   # first and second derivatives

    @given(expressions())  # random expression graphs over 1 to 3 inputs
    def test_softsign_inside_expressions(expr):
        assert_gradients_match(lambda *xs: softsign(expr(*xs)), *expr.inputs, order=1)

Hypothesis is imported only by the functions that return strategies, and only then is
it needed: ``assert_gradients_match`` and the tables work without it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .gradcheck import gradcheck, gradgradcheck
from .rules import FAMILIES, TABLE, Rule
from .value import Value

__all__ = [
    "DOMAINS",
    "GRAPH_BINARY",
    "GRAPH_UNARY",
    "UNARY_OPS",
    "Expression",
    "assert_gradients_match",
    "away_from",
    "domain",
    "expressions",
    "reals",
]


def _strategies() -> Any:
    """hypothesis.strategies, or an ImportError that says how to install it."""
    try:
        from hypothesis import strategies
    except ImportError as e:
        raise ImportError(
            "autograd.testing's strategies need Hypothesis: pip install 'chainrule[testing]'"
        ) from e
    return strategies


# --- checking ----------------------------------------------------------------------------


def assert_gradients_match(
    f: Callable[..., Any],
    *inputs: float,
    order: int = 2,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> None:
    """Assert that the engine's derivatives of ``f`` at ``inputs`` match finite differences.

    ``order=1`` runs ``gradcheck``; ``order=2`` (the default) runs ``gradgradcheck`` too,
    which also checks that derivative rules work on Values (needed for higher orders).

    Args:
        f: takes one ``Value`` per input, returns a ``Value`` or a list of Values.
        *inputs: the point (numbers, or Values whose data and label are used).
        order: 1 or 2: the highest derivative order checked.
        eps: the finite-difference step.
        atol: the absolute tolerance.
        rtol: the tolerance relative to the numeric derivative.

    Raises:
        GradcheckError: (an AssertionError) with a table naming each wrong derivative.

    Example:
        >>> assert_gradients_match(lambda x, y: (x * y).sin(), 0.5, -2.0)
        >>> assert_gradients_match(lambda x: x.relu() * x, 3.0, order=1)
    """
    if order not in (1, 2):
        raise ValueError(f"assert_gradients_match: order must be 1 or 2, got {order!r}")
    gradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol)
    if order == 2:
        gradgradcheck(f, inputs, eps=eps, atol=atol, rtol=rtol)


# --- one-input ops and where they are smooth ---------------------------------------------

def _one_input_rules() -> dict[str, Rule]:
    # Every one-input op of the table, and each family (leaky_relu) at a parameter of 0.1.
    found = {name: rule for name, rule in TABLE.items() if rule.arity == 1}
    found.update((name, family.make(0.1)) for name, family in FAMILIES.items())
    return found


# Each one-input op, as the rule itself: calling it makes the node the Value method makes.
UNARY_OPS: dict[str, Callable[[Value], Value]] = dict(_one_input_rules())

# Where each one-input op is smooth and well conditioned for central differences:
# (low, high, kinks to keep away from), from the rule's own ``sample``.
DOMAINS: dict[str, tuple[float, float, tuple[float, ...]]] = {
    name: (sample.low, sample.high, sample.kinks)
    for name, rule in _one_input_rules().items()
    if (sample := rule.sample) is not None
}


def reals(lo: float, hi: float) -> Any:
    """A strategy: finite floats in [lo, hi].

    Example:
        >>> from hypothesis import given
        >>> @given(reals(-1, 1))
        ... def test_tanh_is_bounded(x):
        ...     assert abs(Value(x).tanh().data) < 1
        >>> test_tanh_is_bounded()
    """
    return _strategies().floats(lo, hi, allow_nan=False, allow_infinity=False)


def away_from(points: Sequence[float], lo: float, hi: float, gap: float = 1e-3) -> Any:
    """A strategy: floats in [lo, hi] at least ``gap`` from each point (kinks, poles).

    Example:
        >>> from hypothesis import given
        >>> @given(away_from([0.0], -5, 5))
        ... def test_relu_slope(x):
        ...     assert_gradients_match(Value.relu, x)
        >>> test_relu_slope()
    """
    points = tuple(points)
    return reals(lo, hi).filter(lambda x: all(abs(x - p) >= gap for p in points))


def domain(op: str) -> Any:
    """A strategy: floats where the one-input op ``op`` is smooth (see ``DOMAINS``).

    Args:
        op: a name in ``DOMAINS`` ("exp", "log", "relu", ...).

    Example:
        >>> from hypothesis import given
        >>> @given(domain("log"))
        ... def test_log(x):
        ...     assert_gradients_match(UNARY_OPS["log"], x)
        >>> test_log()
    """
    if op not in DOMAINS:
        raise ValueError(f"domain: unknown op {op!r}; expected one of {sorted(DOMAINS)}")
    lo, hi, kinks = DOMAINS[op]
    return away_from(kinks, lo, hi) if kinks else reals(lo, hi)


# --- random expression graphs ------------------------------------------------------------

# Smooth ops that keep values bounded, for random expression graphs. Kinked ops (relu,
# abs) are left out there: a random point within a finite-difference step of a kink
# would give a wrong numeric derivative.
GRAPH_UNARY: dict[str, Callable[[Value], Value]] = {
    "neg": lambda x: -x,
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "softplus": lambda x: x.softplus(),
    "exp": lambda x: x.tanh().exp(),
    "log": lambda x: (1 + x * x).log(),
    "sqrt": lambda x: (1 + x * x).sqrt(),
    "square": lambda x: x**2,
    "cube": lambda x: x**3,
}
GRAPH_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "+": lambda x, y: x + y,
    "-": lambda x, y: x - y,
    "*": lambda x, y: x * y,
    "/": lambda x, y: x / (1 + y * y),
    "**": lambda x, y: (1 + x * x) ** y.tanh(),
    "const+": lambda x, y: 2.5 + x,
    "const*": lambda x, y: x * -1.5,
    "const/": lambda x, y: 1 / (2 + x.sigmoid()),
}


def _rules_used(pieces: Sequence[Callable[..., Value]], arity: int) -> set[Rule]:
    used: set[Rule] = set()
    for piece in pieces:
        stack = [piece(*[Value(0.5)] * arity)]
        while stack:
            node = stack.pop()
            if node.rule is not None:
                used.add(node.rule)
            stack.extend(node.parents)
    return used


def _squashed(rule: Rule) -> Callable[[Value], Value]:
    """``rule`` applied inside its sample range: x -> mid + 0.9 * half-width * tanh(x)."""
    assert rule.sample is not None  # only rules with a sample range get here
    mid = (rule.sample.low + rule.sample.high) / 2
    half = 0.9 * (rule.sample.high - rule.sample.low) / 2
    return lambda x: rule(mid + half * x.tanh())


# A smooth one-input op that the pieces above do not use yet (a newly added rule) joins
# the random graphs inside its own sample range, so no op of the table goes untested.
_covered = _rules_used(list(GRAPH_UNARY.values()), 1) | _rules_used(list(GRAPH_BINARY.values()), 2)
for _name, _rule in _one_input_rules().items():
    if _rule not in _covered and not _rule.masks and _rule.sample is not None:
        GRAPH_UNARY[_name] = _squashed(_rule)


@dataclass(frozen=True)
class Expression:
    """A random expression graph: input values and ops over earlier nodes.

    ``ops[k] = (name, i, j)`` makes node ``len(inputs) + k`` from nodes i and j (j unused
    by one-input ops); operands may repeat, so subexpressions are shared. The output is
    the last node. Calling the expression with Values builds it, so it can be passed to
    ``gradcheck`` directly.

    Example:
        >>> e = Expression(inputs=(0.5, 2.0), ops=(("*", 0, 1), ("sin", 2, 2)))
        >>> round(e.evaluate(e.inputs), 6)  # sin(0.5 * 2)
        0.841471
        >>> assert_gradients_match(e, *e.inputs)
    """

    inputs: tuple[float, ...]
    ops: tuple[tuple[str, int, int], ...]

    def build(self, values: Sequence[Value]) -> Value:
        """The output node, built from one Value per input."""
        nodes = list(values)
        for name, i, j in self.ops:
            if name in GRAPH_UNARY:
                nodes.append(GRAPH_UNARY[name](nodes[i]))
            else:
                nodes.append(GRAPH_BINARY[name](nodes[i], nodes[j]))
        return nodes[-1]

    def __call__(self, *values: Value) -> Value:
        return self.build(values)

    def evaluate(self, xs: Sequence[float]) -> float:
        """The output's value at the numbers ``xs``."""
        return self.build([Value(x) for x in xs]).data


def expressions(max_inputs: int = 3, max_ops: int = 8) -> Any:
    """A strategy: random ``Expression``s over 1..max_inputs inputs in [-2, 2].

    Args:
        max_inputs: the most inputs an expression has.
        max_ops: the most ops an expression has (at least one).

    Example:
        >>> from hypothesis import given, settings
        >>> @settings(max_examples=20)
        ... @given(expressions(max_inputs=2, max_ops=4))
        ... def test_engine(expr):
        ...     assert_gradients_match(expr, *expr.inputs, order=1)
        >>> test_engine()
    """
    st = _strategies()
    names = sorted(GRAPH_UNARY) + sorted(GRAPH_BINARY)

    # Hypothesis is an optional extra imported on first use, so its decorator is Any here.
    @st.composite  # type: ignore[untyped-decorator]
    def draw_expression(draw: Callable[..., Any]) -> Expression:
        n = draw(st.integers(1, max_inputs))
        inputs = tuple(draw(st.lists(reals(-2, 2), min_size=n, max_size=n)))
        ops = []
        for k in range(draw(st.integers(1, max_ops))):
            # Operands may be any earlier node, so subexpressions are shared.
            i = draw(st.integers(0, n + k - 1))
            j = draw(st.integers(0, n + k - 1))
            ops.append((draw(st.sampled_from(names)), i, j))
        return Expression(inputs, tuple(ops))

    return draw_expression()
