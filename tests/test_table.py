"""The rule table is the one place an op's facts live: every other place agrees with it.

Each test names the rule and the place that lacks it, so adding a built-in op (a rule
line in rules.py and its Value method) cannot be half done without a test saying where.
"""

import ast
import math
import pathlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, dot, explain, formula, grad, parse_expression, total
from autograd import rules as r
from autograd.testing import (
    DOMAINS,
    GRAPH_BINARY,
    GRAPH_UNARY,
    UNARY_OPS,
    assert_gradients_match,
    domain,
)

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXED = [rule for rule in r.TABLE.values() if rule.arity is not None]
ONE_INPUT = [rule for rule in FIXED if rule.arity == 1]
FAMILIES = [r.power(2.0), r.power(3.0), r.power(-1.0), r.power(0.5), r.power(0.0)]
FAMILIES += [r.leaky_relu(0.1)]


# Value's public methods that make no node from their operand.
_NOT_OPS = ("backward", "detach", "item", "register_hook")


def _reached_by_value_methods() -> set[r.Rule]:
    """The rules of the nodes that Value's methods and operators make."""
    a, b = Value(0.7), Value(1.3)
    made = [a + b, 2 + a, a - b, 2 - a, a * b, 2 * a, a / b, 2 / a, -a, abs(a), a**b, 2**a]
    made += [a**2, a**3, a**-1, a**0.5, a**0, a.leaky_relu(0.1)]
    for name in dir(Value):
        method = getattr(Value, name)
        if not name.startswith("_") and callable(method) and name not in _NOT_OPS:
            made.append(method(a))
    made += [total([a, b, a]), dot([a, b, a], [b, a, b])]
    return {node.rule for node in made if node.rule is not None}


@pytest.mark.parametrize("rule", [*FIXED, r.TOTAL, r.DOT, *FAMILIES], ids=repr)
def test_every_rule_is_made_by_a_value_method_or_operator(rule):
    assert rule in _reached_by_value_methods(), f"{rule!r}: no Value method makes it"


@pytest.mark.parametrize("rule", [*FIXED, *FAMILIES], ids=repr)
def test_every_rule_has_a_formula_and_latex_per_input(rule):
    assert rule.local is not None and len(rule.local) == rule.arity, f"{rule!r}: formulas"
    assert len(rule.latex) == rule.arity, f"{rule!r}: needs one LaTeX formula per input"
    assert len(rule.formulas) == rule.arity and all(rule.formulas)
    assert rule.array, f"{rule!r}: needs its forward over arrays (array=...)"
    # Every name a formula uses is an operand, the output, a helper or another rule.
    known = {"out", *rule.operands, *formula.HELPERS, *r.TABLE}
    for text in (*rule.texts(), *(d.bad for d in rule.domain)):
        names = {n.id for n in ast.walk(formula.parse(text)) if isinstance(n, ast.Name)}
        assert names <= known | set(rule.constants()), f"{rule!r}: unknown names in {text!r}"


@pytest.mark.parametrize("rule", ONE_INPUT, ids=repr)
def test_every_one_input_rule_has_a_sample_range_for_the_tests(rule):
    assert rule.name in DOMAINS, f"{rule!r}: autograd.testing.DOMAINS lacks it (sample=...)"
    assert UNARY_OPS[rule.name](Value(0.5)).rule == rule


@pytest.mark.parametrize(
    "rule", [rule for rule in ONE_INPUT if rule.name.isidentifier()], ids=repr
)
def test_every_named_one_input_rule_can_be_parsed(rule):
    x = 0.5
    node = parse_expression(f"{rule.name}(x)", {"x": x}).output
    assert node.rule == rule, f"{rule!r}: parse_expression does not call it"


@pytest.mark.parametrize("rule", [*ONE_INPUT, r.leaky_relu(0.1)], ids=repr)
def test_every_one_input_rule_agrees_with_central_differences(rule):
    # The property test each op gets from its table line: first and second derivatives
    # against central differences over the rule's own sample range.
    @settings(max_examples=25, deadline=None)
    @given(domain(rule.name))
    def check(x):
        assert_gradients_match(rule, x, order=1 if rule.masks else 2)

    check()


@pytest.mark.parametrize("rule", [*FIXED, *FAMILIES], ids=repr)
def test_explain_shows_every_rules_formula(rule):
    a, b = Value(0.7, label="a"), Value(1.3, label="b")
    out = rule(*(a, b)[: rule.arity])
    out.label = "out"
    text = str(explain(out, a))
    assert f"({rule.name}: " in text, f"{rule!r}: explain shows no formula\n{text}"


@settings(max_examples=80, deadline=None)
@given(
    st.sampled_from([rule for rule in [*FIXED, *FAMILIES] if rule.domain]),
    st.lists(st.sampled_from([-2.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0]), min_size=2),
)
def test_a_domain_check_raises_exactly_where_its_formula_says(rule, numbers):
    operands = numbers[: rule.arity]
    check = rule.violated(*operands)
    values = [Value(v) for v in operands]
    if check is None:
        assert math.isfinite(rule(*values).data) or rule.name != "log"
    else:
        with pytest.raises(check.error, match=rf"^{_escape(rule.name)}: "):
            rule(*values)


def _escape(text: str) -> str:
    return "".join("\\" + c if not c.isalnum() else c for c in text)


def test_each_familys_default_is_its_value_methods_default():
    import inspect

    for name, family in r.FAMILIES.items():
        default = inspect.signature(getattr(Value, name)).parameters[family.param].default
        assert default == family.default, f"{name}: Value.{name} and rules.FAMILIES disagree"


def test_rules_compare_by_name_and_parameter_not_identity():
    assert r.power(3.0) == r.power(3) and hash(r.power(3.0)) == hash(r.power(3))
    kept = r.power(7.0)
    r.clear_caches()  # the cache evicts: an unchanged function must still compare equal
    assert r.power(7.0) == kept and r.power(7.0) is not kept
    assert r.leaky_relu(0.2) == r.leaky_relu(0.2) and r.leaky_relu(0.2) != r.leaky_relu(0.3)
    assert r.power(2.0) != r.power(3.0)
    hypot = autograd.primitive("hypot", math.hypot, lambda out, x, y: (x / out, y / out))
    again = autograd.primitive("hypot", math.hypot, lambda out, x, y: (x / out, y / out))
    assert hypot == hypot and hypot != again  # a user's op equals only itself


def test_the_exponent_cache_is_one_and_bounded(monkeypatch):
    monkeypatch.setattr(r, "CACHE_SIZE", 16)  # the bound, made small to test quickly
    for k in range(40):
        Value(2.0) ** (k + 0.5)
        assert len(r.POWERS) <= 16
    x = Value(2.0)
    (g,) = grad(x**3, [x])
    assert g == 12.0


def test_no_module_lists_an_op_by_name_outside_the_table():
    # The ops' names appear as data only in rules.py; elsewhere they come from the table.
    # (autograd.testing's random-graph pieces are compositions, checked just below.)
    names = {name for name in [*r.TABLE, *r.FAMILIES] if name.isidentifier() and len(name) > 3}
    offenders = []
    for path in sorted((ROOT / "autograd").rglob("*.py")):
        if path.name == "rules.py":
            continue
        tree = ast.parse(path.read_text())
        skip = {id(n) for d in ast.walk(tree) if _is_graph_pieces(d) for n in ast.walk(d)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in names and id(node) not in skip:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not offenders, "op names written outside the table:\n" + "\n".join(offenders)


def _is_graph_pieces(node: ast.AST) -> bool:
    return isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") in GRAPH_PIECES


GRAPH_PIECES = ("GRAPH_UNARY", "GRAPH_BINARY")


def test_random_graphs_use_every_smooth_rule():
    # The random expression graphs of autograd.testing exercise every op of the table
    # that is smooth (the kinked ones, relu and abs, have their own tests at the kinks).
    a, b = Value(0.7), Value(1.3)
    used = set()
    pieces = [f(a) for f in GRAPH_UNARY.values()] + [f(a, b) for f in GRAPH_BINARY.values()]
    for out in pieces:
        used |= {n.rule for n in autograd.topological_order(out) if n.rule is not None}
    for rule in FIXED:
        if not rule.masks:
            assert rule in used, f"{rule!r}: autograd.testing.GRAPH_UNARY/GRAPH_BINARY lack it"


@pytest.mark.parametrize("rule", [rule for rule in [*FIXED, *FAMILIES] if rule.inline], ids=repr)
def test_an_inline_forward_is_the_forward_bit_for_bit(rule):
    # Tapes write `inline` where the eager engine calls `forward`: the same floats, always.
    f = formula.compile_function(rule.operands, rule.exact(rule.inline), dict(r.SCOPE), "t")
    edges = [-2.5, -1.0, -0.0, 0.0, 0.5, 3.0, 1e308, -1e308, math.inf, -math.inf, math.nan]
    for a in edges:
        for b in edges if rule.arity == 2 else [None]:
            args = (a,) if b is None else (a, b)
            if rule.violated(*args) is not None:
                continue
            want, got = rule.forward(*args), f(*args)
            assert repr(want) == repr(got), f"{rule!r} at {args}: forward {want!r}, inline {got!r}"
