"""Every runnable example in autograd's docstrings runs and shows what it says."""

import doctest
import importlib
import pkgutil

import pytest

import autograd

# Every module, in the sub-packages too (graph/, tape/).
MODULES = sorted(
    m.name.removeprefix("autograd.")
    for m in pkgutil.walk_packages(autograd.__path__, "autograd.")
)


def test_the_modules_are_found():
    expected = {"anomaly", "gradcheck", "rules", "testing", "value", "graph.dot", "tape.batched"}
    assert expected <= set(MODULES)


@pytest.mark.parametrize("name", ["__init__", *MODULES])
def test_docstring_examples_run(name):
    # import_module, not getattr: `autograd.gradcheck` is the function of that name.
    module = importlib.import_module("autograd" if name == "__init__" else f"autograd.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
