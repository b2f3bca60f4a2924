"""to_sympy: the graph as a SymPy formula, and its derivative against the engine's."""

from __future__ import annotations

import math
import sys

import pytest
import sympy
from hypothesis import given
from strategies import expressions

from autograd import Value, dot, explain, grad, primitive, to_sympy, total
from autograd.graph.symbolic import exact, translation
from autograd.rules import FAMILIES, TABLE, power
from nn import MLP

a_, b_ = sympy.symbols("a b", real=True)
b_w = sympy.Symbol("w_1", real=True)


def test_every_rule_and_family_has_a_sympy_translation():
    # Adding an op to the table (or a family) without a translation fails here, by name.
    rules = {name: rule for name, rule in TABLE.items()}
    rules.update((name, family.make(family.default)) for name, family in FAMILIES.items())
    rules.update((f"**{k:g}", power(k)) for k in (0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.5))
    missing = []
    for name, rule in rules.items():
        try:
            operands = sympy.symbols(f"v0:{rule.arity or 4}", real=True)
            translation(rule)(*operands)
        except ValueError:
            missing.append(name)
    assert missing == [], f"ops with no SymPy translation: {missing}"


def test_closed_forms():
    a, b = Value(0.7, label="a"), Value(-1.3, label="b")
    assert to_sympy(a * b + a / b - b) == a_ * b_ + a_ / b_ - b_
    assert to_sympy((a * b).exp().log()) == sympy.log(sympy.exp(a_ * b_))
    assert to_sympy(a.sigmoid()) == 1 / (1 + sympy.exp(-a_))
    assert to_sympy(a.softplus()) == sympy.log(1 + sympy.exp(a_))
    assert to_sympy(abs(b).sqrt()) == sympy.sqrt(sympy.Abs(b_))
    assert to_sympy(a.tanh() + b.sin() * b.cos()) == sympy.tanh(a_) + sympy.sin(b_) * sympy.cos(b_)
    assert to_sympy(a**3) == a_**3
    assert to_sympy(a**0.5) == sympy.sqrt(a_)
    assert to_sympy(a**b) == a_**b_
    assert to_sympy(a.relu()) == sympy.Piecewise((0, a_ <= 0), (a_, True))
    leaky = sympy.Piecewise((a_, a_ > 0), (a_ / 10, True))
    assert to_sympy(a.leaky_relu(0.1)) == leaky
    assert to_sympy(total([a, b, a])) == 2 * a_ + b_
    assert to_sympy(dot([a, b], [b, 2.0])) == a_ * b_ + 2 * b_


def test_exact_derivatives_in_closed_form():
    x = Value(0.3, label="a")
    y = x.tanh() * x
    d = sympy.diff(to_sympy(y), a_)
    assert sympy.simplify(d - (sympy.tanh(a_) + a_ * (1 - sympy.tanh(a_) ** 2))) == 0
    assert float(d.subs(a_, 0.3)) == pytest.approx(grad(y, [x])[0], rel=1e-12)
    z = (x * x + 1).log()
    assert sympy.diff(to_sympy(z), a_) == 2 * a_ / (a_**2 + 1)


def test_numbers_written_are_exact_and_other_unnamed_leaves_are_symbols():
    a = Value(1.5, label="a")
    assert to_sympy(0.1 * a + 3.0) == a_ / 10 + 3
    assert exact(1e-05) == sympy.Rational(1, 100000)
    assert exact(2 / 3) == sympy.Float(2 / 3)
    assert exact(math.inf) == sympy.oo
    w0, w1 = Value(0.123456789), Value(-0.987654321)  # random weights: no label, long values
    assert str(to_sympy(w0 * a + w1)) == "a*x0 + x1"


def test_params_name_the_leaves_and_repeated_labels_stay_apart():
    x, y = Value(2.0, label="x"), Value(3.0, label="x")
    assert str(to_sympy(x * y + x)) == "x*x_2 + x"
    model = MLP(1, [1], seed=0)
    out = model([Value(0.5, label="in")])
    names = {s.name for s in to_sympy(out, params=model.named_parameters()).free_symbols}
    assert names == {name for name, _ in model.named_parameters()} | {"in"}


def test_deep_graphs_do_not_recurse():
    x = Value(0.5, label="a")
    y = x
    for _ in range(5000):
        y = y * 1.0 + x
    assert to_sympy(y) == 5001 * a_


def test_a_primitive_is_named_in_the_error():
    hypot = primitive("hypot", lambda x, y: math.hypot(x, y), lambda out, x, y: (x / out, y / out))
    with pytest.raises(ValueError, match="'hypot' has no SymPy translation"):
        to_sympy(hypot(Value(3.0), Value(4.0)))


def test_without_sympy_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sympy", None)
    with pytest.raises(ImportError, match=r"pip install 'chainrule\[symbolic\]'"):
        to_sympy(Value(1.0, label="a") * 2)
    a = Value(1.0, label="a")
    with pytest.raises(ImportError, match=r"chainrule\[symbolic\]"):
        explain(a * 2, a, formula=True)
    assert explain(a * 2, a).formula is None  # without formula=True, SymPy is not needed


@given(expressions(max_inputs=3, max_ops=6))
def test_sympy_derivative_matches_the_engine(expr):
    xs = [Value(v, label=f"in{i}") for i, v in enumerate(expr.inputs)]
    out = expr(*xs)
    f = to_sympy(out)
    point = {sympy.Symbol(f"in{i}", real=True): v for i, v in enumerate(expr.inputs)}
    for x, g in zip(xs, grad(out, xs, allow_unused=True), strict=True):
        d = sympy.diff(f, sympy.Symbol(x.label, real=True))
        exact_value = float(d.evalf(30, subs=point))
        assert exact_value == pytest.approx(g, rel=1e-9, abs=1e-9 * (1 + abs(out.data)))


def test_explain_gives_the_derivative_as_a_formula_in_text_and_latex():
    a, b = Value(0.5, label="a"), Value(2.0, label="w_1")
    loss = (a * b).tanh() + a
    loss.label = "L"
    e = explain(loss, a, formula=True)
    assert sympy.simplify(e.formula - (b_w * (1 - sympy.tanh(a_ * b_w) ** 2) + 1)) == 0
    lines = str(e).splitlines()
    assert f"d L / d a = {e.formula}" in lines
    assert lines[-1].startswith("engine gradient")
    point = {a_: 0.5, b_w: 2.0}
    assert float(e.formula.subs(point)) == pytest.approx(e.engine, rel=1e-12)
    markdown = e._repr_markdown_()
    assert r"\frac{\mathrm{d} \mathrm{L}}{\mathrm{d} \mathrm{a}} = " in markdown
    assert r"\mathrm{w\_1}" in markdown  # escaped as explain escapes names
    assert "w_1" not in e.formula_latex()


def test_explain_formula_for_an_interior_node_and_an_unused_input():
    x = Value(0.3, label="x")
    t = x * x
    t.label = "t"
    y = t.sin()
    e = explain(y, t, formula=True)
    assert e.formula == sympy.cos(sympy.Symbol("t", real=True))
    unused = Value(1.0, label="u")
    assert explain(y, unused, formula=True).formula == 0
