"""Habits from PyTorch and micrograd: what they do in chainrule, or what the error says."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

import autograd
from autograd import Value

# --- PyTorch -------------------------------------------------------------------------------


def test_item_is_the_float():
    v = Value(3) * 2
    assert v.item() == 6.0
    assert type(v.item()) is float


def test_format_spec_applies_to_data():
    v = Value(2.0) / 3.0
    assert f"{v:.3f}" == "0.667"
    assert f"{v:>8.2f}" == "    0.67"
    assert format(Value(1234.5), ",.1f") == "1,234.5"


def test_format_without_a_spec_is_the_repr():
    v = Value(2.0, label="x")
    assert f"{v}" == repr(v) == "Value(data=2.0, grad=0.0, label='x')"


def test_round_with_digits_is_a_float_and_without_is_an_int():
    v = Value(2.0) / 3.0
    assert round(v, 2) == 0.67
    assert type(round(v, 2)) is float
    assert round(Value(2.6)) == 3
    assert type(round(Value(2.6))) is int


def test_int_and_float():
    assert int(Value(-2.7)) == -2
    assert type(int(Value(2.0))) is int
    assert float(Value(2)) == 2.0


def test_backward_with_a_gradient_seeds_with_that_number():
    x = Value(3.0)
    y = x * x
    y.backward(gradient=2.0)
    assert y.grad == 2.0
    assert x.grad == 12.0
    z = Value(1.0)
    z.backward(3)  # a leaf as the output; an int seed
    assert z.grad == 3.0


def test_backward_refuses_a_gradient_that_is_not_a_number():
    with pytest.raises(TypeError, match=r"gradient must be a number.*got str"):
        Value(1.0).backward(gradient="1")  # type: ignore[arg-type]  # on purpose


@pytest.mark.parametrize("retain", [True, False, None])
def test_retain_graph_is_accepted_and_the_graph_is_kept_anyway(retain):
    x = Value(3.0)
    y = x * x
    y.backward(retain_graph=retain)
    y.backward(retain_graph=retain)
    assert x.grad == 12.0


def test_grad_set_to_none_counts_as_zero_in_the_next_backward():
    x = Value(3.0)
    w = Value(2.0)
    y = x * w
    y.backward()
    x.grad = None  # type: ignore[assignment]  # PyTorch's zero_grad(set_to_none=True)
    y.backward()
    assert x.grad == 2.0  # from zero
    assert w.grad == 6.0  # accumulated: 3 + 3


def test_grad_set_to_none_on_every_leaf_and_interior_nodes():
    x = Value(3.0)
    h = x * x
    y = h + 1.0
    y.backward()
    for node in (x, h, y):
        node.grad = None  # type: ignore[assignment]
    y.backward()
    assert (x.grad, h.grad, y.grad) == (6.0, 1.0, 1.0)


def test_equality_is_identity_and_a_number_is_never_equal():
    a = Value(2.0)
    b = Value(2.0)
    assert a == a
    assert a != b
    assert not (a == 2.0)  # type: ignore[comparison-overlap]  # noqa: SIM201  # the habit
    assert a != 2.0  # type: ignore[comparison-overlap]  # under test
    assert len({a, b}) == 2  # nodes are dict keys
    assert a <= b and a >= b and not a < b  # ordering compares data


def test_the_value_docstring_says_what_equality_does():
    doc = Value.__doc__
    assert doc is not None
    assert "``==`` and ``!=`` are identity" in doc
    assert "``Value(2.0) == 2.0``" in doc


# --- micrograd -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("_prev", "chainrule calls this .parents"),
        ("_op", "chainrule calls this .op"),
        ("_backward", "chainrule has no per-node closure: call .backward() on the output"),
    ],
)
def test_micrograd_names_say_chainrules_spelling(name, hint):
    v = Value(1.0) + 2.0
    with pytest.raises(AttributeError, match=re.escape(f"no attribute '{name}': {hint}")):
        getattr(v, name)
    assert not hasattr(v, name)


def test_micrograds_grad_and_data_work_as_they_do_there():
    a = Value(2.0)
    b = a * a
    b.backward()
    assert (a.data, a.grad) == (2.0, 4.0)


def test_an_unknown_name_keeps_pythons_message_and_its_did_you_mean():
    v = Value(1.0)
    with pytest.raises(AttributeError) as info:
        v.detatch  # type: ignore[attr-defined]  # noqa: B018  # the typo under test
    assert str(info.value) == "'Value' object has no attribute 'detatch'"
    # The interpreter adds the suggestion when it prints the traceback (from name and obj)
    script = "from autograd import Value; Value(1.0).detatch"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == (
        "AttributeError: 'Value' object has no attribute 'detatch'. Did you mean: 'detach'?"
    )


def test_an_unset_slot_still_reads_as_missing():
    v = Value(1.0).exp()  # one parent: _d1 is never set
    assert not hasattr(v, "_d1")
    assert v.local_grads == (v.data,)


def test_from_autograd_import_draw_dot_names_draw():
    with pytest.raises(ImportError, match="chainrule calls it draw"):
        from autograd import draw_dot  # type: ignore[attr-defined]  # noqa: F401  # on purpose
    with pytest.raises(ImportError, match="chainrule calls it draw"):
        autograd.draw_dot  # type: ignore[attr-defined]  # noqa: B018  # on purpose


def test_other_missing_module_names_fail_as_usual():
    with pytest.raises(AttributeError, match="module 'autograd' has no attribute 'nope'"):
        autograd.nope  # type: ignore[attr-defined]  # noqa: B018  # on purpose
    with pytest.raises(ImportError, match="cannot import name 'nope'"):
        from autograd import nope  # type: ignore[attr-defined]  # noqa: F401  # on purpose


def test_no_new_slots_on_value():
    # hooks live in a module-level dict and labels with the rule: no per-node memory for
    # them (benchmarks: 112 B a node)
    assert Value.__slots__ == ("_d0", "_d1", "_meta", "_p0", "_p1", "data", "grad")
    assert not hasattr(Value(1.0), "__dict__")
    assert not hasattr(Value(1.0), "__weakref__")


def test_value_has_no_getattr_so_attribute_access_stays_on_the_fast_path():
    # A class with __getattr__ loses CPython's fast slot access for every attribute, even
    # the ones found (backward measured 40% slower): micrograd's names are properties.
    assert "__getattr__" not in vars(Value)
    assert all(isinstance(vars(Value)[n], property) for n in ("_prev", "_op", "_backward"))
