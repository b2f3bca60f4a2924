"""The nn package as a whole: its public names, its runnable examples, and the guard
against another package named ``autograd``."""

import doctest
import importlib
import pathlib
import subprocess
import sys

import pytest

import nn

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUBMODULES = [
    "cli", "cli.options", "cli.graph", "cli.train", "plots",  # the chainrule command
    "activations", "checkpoint", "datasets", "init", "losses", "module", "optim",
    "schedules", "taped", "train",
]  # fmt: skip


def test_all_is_complete_and_sorted():
    public = {name for name in vars(nn) if not name.startswith("_")}
    # Submodules are attributes too; only `datasets` and `plots` are meant to be used so.
    public -= set(SUBMODULES) - {"datasets", "plots"}
    public.discard("autograd")  # imported for the check below
    assert set(nn.__all__) == public

    # Sorted as ruff's RUF022 sorts: CONSTANTS, then Classes, then functions.
    def kind(name):
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert nn.__all__ == sorted(nn.__all__, key=kind)


@pytest.mark.parametrize("name", ["__init__", *SUBMODULES])
def test_docstring_examples_run(name):
    module = nn if name == "__init__" else importlib.import_module(f"nn.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def run_python(code):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_import_fails_clearly_when_another_autograd_shadows_chainrules():
    # A stand-in for HIPS autograd: a module named `autograd` without our marker.
    code = "import sys, types; sys.modules['autograd'] = types.ModuleType('autograd'); import nn"
    result = run_python(code)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "HIPS autograd" in result.stderr
    assert "pip uninstall autograd" in result.stderr
    assert "fresh virtual environment" in result.stderr


def test_import_succeeds_with_chainrules_autograd():
    result = run_python("import autograd, nn; print(autograd.__distribution__)")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "chainrule"


def test_plots_is_reachable_from_import_nn_alone_without_importing_matplotlib():
    code = (
        "import sys, nn\n"
        "print('matplotlib' in sys.modules, callable(nn.plots.history_figure))\n"
        "figure = nn.plots.history_figure({'loss': [1.0, 0.5]})\n"
        "print('matplotlib' in sys.modules, type(figure).__name__)"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "Figure"]
