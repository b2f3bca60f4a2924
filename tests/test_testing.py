"""autograd.testing: the property-testing kit users get (and these tests use)."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from hypothesis import given, settings

import autograd.testing as kit
from autograd import GradcheckError, Value, primitive
from autograd.testing import (
    DOMAINS,
    GRAPH_BINARY,
    GRAPH_UNARY,
    UNARY_OPS,
    Expression,
    assert_gradients_match,
    away_from,
    domain,
    expressions,
    reals,
)


def test_assert_gradients_match_passes_right_and_names_wrong_derivatives():
    assert_gradients_match(lambda x, y: x * y.exp(), 0.3, -0.7)
    wrong = primitive("sq", lambda x: x * x, lambda out, x: (x,))
    with pytest.raises(GradcheckError, match="gradcheck: 1 of 1") as info:
        assert_gradients_match(wrong, 1.5)
    assert [e.ok for e in info.value.entries] == [False]
    assert isinstance(info.value, AssertionError)  # reads as a failed test in pytest


def test_order_two_also_checks_rules_on_values():
    first_order_only = primitive("sin", math.sin, lambda out, x: (math.cos(x),))
    assert_gradients_match(first_order_only, 0.5, order=1)
    with pytest.raises(GradcheckError, match="gradgradcheck"):
        assert_gradients_match(first_order_only, 0.5)
    with pytest.raises(ValueError, match="order must be 1 or 2, got 3"):
        assert_gradients_match(first_order_only, 0.5, order=3)


def test_tolerances_are_passed_on():
    off = primitive("double", lambda x: 2 * x, lambda out, x: (2.01,))  # 0.5% off
    with pytest.raises(GradcheckError):
        assert_gradients_match(off, 1.0, order=1)
    assert_gradients_match(off, 1.0, order=1, rtol=1e-2)
    assert_gradients_match(off, 1.0, order=1, atol=2e-2, rtol=0)


def test_every_unary_op_has_a_domain():
    assert set(DOMAINS) == set(UNARY_OPS)
    with pytest.raises(ValueError, match="unknown op 'tan'; expected one of"):
        domain("tan")


@settings(max_examples=50)
@given(domain("log"), domain("relu"), away_from([1.0, -1.0], -2, 2, gap=0.1), reals(-1, 1))
def test_strategies_draw_inside_their_domains(log_x, relu_x, x, r):
    assert 1e-2 <= log_x <= 1e3
    assert -100 <= relu_x <= 100 and abs(relu_x) >= 1e-3
    assert -2 <= x <= 2 and abs(x - 1) >= 0.1 and abs(x + 1) >= 0.1
    assert -1 <= r <= 1 and math.isfinite(r)


@settings(max_examples=50)
@given(expressions(max_inputs=2, max_ops=5))
def test_expressions_are_well_formed_and_callable(expr):
    assert 1 <= len(expr.inputs) <= 2 and 1 <= len(expr.ops) <= 5
    assert all(-2 <= x <= 2 for x in expr.inputs)
    for k, (name, i, j) in enumerate(expr.ops):
        assert name in GRAPH_UNARY or name in GRAPH_BINARY
        assert 0 <= i < len(expr.inputs) + k and 0 <= j < len(expr.inputs) + k
    values = [Value(x) for x in expr.inputs]
    assert expr(*values).data == expr.build(values).data == expr.evaluate(expr.inputs)


def test_an_expression_shares_subexpressions():
    # node 1 = x * x, node 2 = node 1 + node 1: d/dx = 4x
    expr = Expression(inputs=(1.5,), ops=(("*", 0, 0), ("+", 1, 1)))
    x = Value(1.5)
    out = expr(x)
    out.backward()
    assert (out.data, x.grad) == (4.5, 6.0)


def test_the_module_docstrings_pytest_example_runs():
    # The indented block after "::" in the module docstring, run as a user would.
    lines = kit.__doc__.split("::\n", 1)[1].splitlines()
    block = []
    for line in lines:
        if line and not line.startswith("    "):
            break
        block.append(line)
    code = textwrap.dedent("\n".join(block))
    assert "def test_softsign(" in code and "def test_softsign_inside_expressions(" in code
    namespace: dict[str, Any] = {}
    exec(compile(code, "autograd.testing docstring", "exec"), namespace)
    namespace["test_softsign"]()
    namespace["test_softsign_inside_expressions"]()


def run_without_hypothesis(code: str) -> subprocess.CompletedProcess[str]:
    # A None entry in sys.modules makes `import hypothesis` raise ImportError.
    prelude = "import sys; sys.modules['hypothesis'] = None\n"
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=60
    )


def test_hypothesis_is_imported_only_by_the_strategies():
    code = textwrap.dedent(
        """
        import autograd, autograd.testing as kit
        kit.assert_gradients_match(lambda x: x.tanh(), 0.5)
        try:
            kit.domain("exp")
        except ImportError as e:
            print(e)
        """
    )
    result = run_without_hypothesis(code)
    assert result.returncode == 0, result.stderr
    assert "Hypothesis" in result.stdout and "pip install 'chainrule[testing]'" in result.stdout


def test_importing_autograd_does_not_import_hypothesis():
    code = "import sys, autograd, autograd.testing; print('hypothesis' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
