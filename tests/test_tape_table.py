"""Tests that the tapes are derived from the rule table, and nothing else lists ops."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from autograd import Value, formula, grad, rules, trace
from autograd.rules import Rule, Sample
from autograd.tape import batched, codegen

np = pytest.importorskip("numpy")

POWERS = [0.0, 2.0, 3.0, -1.0, 0.5, -2.5]
RULES = [
    *rules.TABLE.values(),
    *(rules.power(k) for k in POWERS),
    rules.leaky_relu(0.1),
]


def arity_of(rule: Rule) -> int:
    """How many operands to try a rule with (sum and dot take any number)."""
    return rule.arity if rule.arity is not None else 4


def calls_a_fallback(source: str) -> bool:
    """Whether float source calls a rule's derivative function (the formula-less path)."""
    return re.search(r"\bD\d+\(", source) is not None


def plan_of(tape):
    return batched.Plan(tape.program)


# --- (a) every rule of the table gets a derived template and kernel ----------------------


@pytest.mark.parametrize("rule", RULES, ids=repr)
def test_every_rule_gets_a_derived_float_template_and_batched_kernel(rule):
    n = arity_of(rule)
    template = codegen.float_template(rule, n)
    assert template is not None, f"{rule!r}: no float template derived (would call D<i>)"
    assert len(template.terms) == n, f"{rule!r}: {len(template.terms)} terms for {n} operands"
    kernel = batched.kernel(np, rule, n)
    assert kernel.derived, f"{rule!r}: batched replay falls back to example by example"
    assert kernel.masks == rule.masks, f"{rule!r}: kernel masking differs from the rule's"


def sample_inputs(rule: Rule) -> list[float]:
    sample = rule.sample or Sample(0.5, 2.0)
    return [sample.low + (sample.high - sample.low) * t for t in (0.13, 0.71)]


def apply(rule: Rule, xs):
    if rule == rules.TOTAL:
        return rules.TOTAL(*xs)
    if rule == rules.DOT:
        return rules.DOT(*xs)
    return rule(*xs[: arity_of(rule)])


@pytest.mark.parametrize("rule", RULES, ids=repr)
def test_every_rule_replays_through_derived_code_as_eager(rule):
    n = arity_of(rule)
    base = sample_inputs(rule)
    x0 = [base[0] + 0.01 * i for i in range(n)]
    x1 = [base[1] + 0.01 * i for i in range(n)]
    if rule == rules.POW:
        x0, x1 = [1.5, 2.5], [2.25, 0.5]

    def f(*xs):
        return apply(rule, list(xs)) * 1.5

    tape = trace(f, *x0)
    source = tape.source()
    assert not calls_a_fallback(source), f"{rule!r}: float replay calls a fallback\n{source}"
    assert all(g.kernel.derived for g in plan_of(tape).groups), f"{rule!r}: batched fallback"
    xs = [Value(x) for x in x1]
    out = f(*xs)
    ref = grad(out, xs)
    value, grads = tape.value_and_grad(*x1)
    assert value.hex() == out.data.hex(), f"{rule!r}: value {value} != eager {out.data}"
    assert [g.hex() for g in grads] == [g.hex() for g in ref], f"{rule!r}: {grads} != {ref}"
    values, bgrads = tape.batch_value_and_grad(*[np.array([a, b]) for a, b in zip(x0, x1)])
    assert math.isclose(values[1], out.data, rel_tol=1e-12), f"{rule!r}: batched value"
    for i, g in enumerate(ref):
        assert math.isclose(bgrads[i][1], g, rel_tol=1e-12, abs_tol=1e-300), (rule, i)


def test_float_helpers_and_array_namespace_cover_the_formula_helpers():
    assert sorted(codegen.FLOAT_HELPERS) == sorted(formula.HELPERS)
    names = batched.array_namespace(np)
    assert all(h in names for h in formula.HELPERS)
    table = [r.name for r in rules.TABLE.values() if r.name.isidentifier() and r.arity]
    assert all(name in codegen.float_namespace() for name in table)
    assert all(name in names for name in table)


def test_a_forward_is_written_inline_only_from_the_rules_inline_formula():
    # A rule named "+" without an inline formula is called, not written as "+".
    plus = Rule("+", lambda x, y: x + y + 1.0, ("1.0", "1.0"), array="x + y + 1.0")
    template = codegen.float_template(plus, 2)
    assert template is not None and template.forward is None
    template = codegen.float_template(rules.ADD, 2)
    assert template is not None and template.forward == "{0} + {1}"
    tape = trace(lambda x, y: plus(x, y), 1.0, 2.0)
    assert tape.value_and_grad(3.0, 4.0) == (8.0, (1.0, 1.0))


@pytest.mark.parametrize(
    "text", ["__import__('os')", "x.real", "[x][0]", "'x'", "exp(x, k=1)", "True"]
)
def test_a_formula_outside_arithmetic_and_the_table_is_refused(text):
    # Refused when the rule is made, before any backend compiles or writes it out.
    with pytest.raises(ValueError, match="rule 'bad'"):
        Rule("bad", math.exp, text)


# --- (b) a rule line defined here replays through derived code ---------------------------

TAN = Rule(
    "tan", math.tan, "1.0 + out * out", array="np.tan(x)", sample=Sample(-1.2, 1.2)
)  # fmt: skip


def test_a_new_rule_line_replays_in_float_and_batched_tapes():
    def f(x, y):
        return TAN(x * y) + TAN(x)

    tape = trace(f, 0.3, 0.2)
    assert not calls_a_fallback(tape.source())
    assert all(g.kernel.derived for g in plan_of(tape).groups)
    for a, b in [(0.5, -0.7), (1.1, 0.3), (-0.2, 0.9)]:
        xs = [Value(a), Value(b)]
        out = f(*xs)
        ref = grad(out, xs)
        assert tape.value_and_grad(a, b) == (out.data, ref)
    x, y = np.array([0.5, 1.1, -0.2]), np.array([-0.7, 0.3, 0.9])
    values, (dx, dy) = tape.batch_value_and_grad(x, y)
    for k in range(3):
        xs = [Value(float(x[k])), Value(float(y[k]))]
        out = f(*xs)
        ref = grad(out, xs)
        assert math.isclose(values[k], out.data, rel_tol=1e-12)
        assert math.isclose(dx[k], ref[0], rel_tol=1e-12)
        assert math.isclose(dy[k], ref[1], rel_tol=1e-12)


# --- (c) masks: a zero local derivative passes exactly 0 ---------------------------------


@pytest.mark.parametrize("upstream", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize(
    ("op", "inactive", "active", "slope"),
    [
        (lambda x: x.relu(), -1.0, 2.0, 1.0),
        (lambda x: abs(x), 0.0, -2.0, -1.0),
        (lambda x: x.leaky_relu(0.0), -3.0, 1.0, 1.0),
    ],
)
def test_masked_side_passes_exactly_zero_for_any_upstream_gradient(
    op, inactive, active, slope, upstream
):
    tape = trace(lambda x: op(x) * upstream, 1.0)
    _, (g,) = tape.value_and_grad(inactive)
    assert g == 0.0 and not math.isnan(g)
    x = Value(inactive)
    (op(x) * upstream).backward()
    assert x.grad == g  # the eager engine masks alike
    _, (g,) = tape.value_and_grad(active)  # the active side passes the gradient on
    assert g.hex() == (slope * upstream).hex() or (math.isnan(g) and math.isnan(upstream))
    _, (dx,) = tape.batch_value_and_grad(np.array([active, inactive]))
    assert dx[1] == 0.0 and not math.isnan(dx[1])
    assert math.isnan(dx[0]) if math.isnan(upstream) else dx[0] == slope * upstream


def test_x_to_the_zero_is_one_everywhere_in_batched_replay():
    # x ** 0 is 1 even at inf and nan, as Python's float ** and the eager engine say.
    tape = trace(lambda x: x**0 + x, 1.0)
    out = tape.batch(np.array([math.inf, math.nan, 2.0]))
    assert out[0] == math.inf and math.isnan(out[1]) and out[2] == 3.0
    assert tape(math.inf) == (Value(math.inf) ** 0 + Value(math.inf)).data


def test_an_unmasked_zero_derivative_still_propagates_nan():
    # x ** 0 does not mask: 0 * inf is nan, as in the eager engine.
    tape = trace(lambda x: (x**0) * math.inf, 1.0)
    assert math.isnan(tape.value_and_grad(2.0)[1][0])
    assert math.isnan(tape.batch_value_and_grad([2.0])[1][0][0])


# --- (d) rules compare by value: a cache eviction changes nothing ------------------------


def test_check_accepts_an_unchanged_function_after_the_rule_cache_is_cleared():
    def f(x):
        return (x**3 + x**-2.5).leaky_relu(0.1)

    tape = trace(f, 2.0)
    rules.clear_caches()  # the next x ** 3 and leaky_relu(0.1) are new, equal objects
    assert rules.power(3.0) is not tape.program.ops[0][0]
    tape.check(3.0)
    assert tape.value_and_grad(3.0) == trace(f, 3.0).value_and_grad(3.0)


# --- batched sum and dot: math.fsum's result ---------------------------------------------


def accurate_sum(values: list[float]) -> float:
    out = np.empty(1)
    with np.errstate(all="ignore"):  # as batched.run evaluates kernels
        batched._accurate_sum(np, np.array(values)[:, None], out)
    return float(out[0])


# Terms that make rounding ties and cancellation likely: powers of two far apart, their
# negatives, and ordinary floats.
terms = st.one_of(
    st.floats(-1e300, 1e300, allow_nan=False),
    st.builds(lambda e, s: s * 2.0**e, st.integers(-1074, 1000), st.sampled_from([1.0, -1.0])),
    st.sampled_from([1.0, -1.0, 2.0**-53, -(2.0**-53), 2.0**-106, 1.0 + 2.0**-52]),
)


@given(st.lists(terms, min_size=1, max_size=40))
def test_batched_accurate_sum_equals_fsum(values):
    try:
        expected = math.fsum(values)
    except OverflowError:
        expected = None
    assume(expected is not None)
    assert expected is not None  # (assume does not narrow for a type checker)
    assert accurate_sum(values).hex() == expected.hex()


@given(st.lists(st.lists(terms, min_size=3, max_size=3), min_size=1, max_size=20))
def test_batched_accurate_sum_equals_fsum_column_by_column(rows):
    columns = list(zip(*rows))
    try:
        expected = [math.fsum(c) for c in columns]
    except OverflowError:
        expected = None
    assume(expected is not None)
    assert expected is not None  # (assume does not narrow for a type checker)
    out = np.empty(3)
    with np.errstate(all="ignore"):
        batched._accurate_sum(np, np.array(rows), out)
    assert [x.hex() for x in out.tolist()] == [x.hex() for x in expected]


def test_batched_accurate_sum_at_a_rounding_tie():
    # 1 + 2**-53 + 2**-106 is just above a tie: fsum rounds up, a TwoSum cascade whose
    # errors are rounded before the last addition lands on the tie and rounds to even.
    values = [1.0, 2.0**-53, 2.0**-106]
    assert accurate_sum(values) == math.fsum(values) == 1.0 + 2.0**-52


def test_batched_accurate_sum_where_fsum_raises_gives_ieee():
    assert accurate_sum([1e308, 1e308]) == math.inf
    assert accurate_sum([-1e308, -1e308, 1.0]) == -math.inf
    assert math.isnan(accurate_sum([math.inf, -math.inf]))
    assert accurate_sum([math.inf, 1.0]) == math.inf
