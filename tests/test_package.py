"""The package itself: it is chainrule's `autograd`, and its public API is complete."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import autograd

ROOT = Path(__file__).resolve().parent.parent


def test_the_imported_autograd_is_this_project():
    assert autograd.__distribution__ == "chainrule"
    assert Path(autograd.__file__).resolve().parent == ROOT / "autograd"


def test_all_lists_every_public_name_and_only_those():
    public = {
        name
        for name, obj in vars(autograd).items()
        if not name.startswith("_") and not isinstance(obj, type(autograd))
    }
    assert set(autograd.__all__) == public
    assert autograd.__all__ == sorted(autograd.__all__)


def test_py_typed_marker_is_shipped():
    assert (ROOT / "autograd" / "py.typed").exists()


def test_a_shadowing_autograd_makes_the_tests_fail_loudly(tmp_path):
    fake = tmp_path / "autograd"
    fake.mkdir()
    (fake / "__init__.py").write_text("# a stand-in for HIPS autograd\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    code = f"import sys; sys.path.insert(1, {str(ROOT / 'tests')!r}); import conftest"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "is not chainrule's" in result.stderr and "HIPS" in result.stderr
    assert "fresh virtual environment" in result.stderr


def test_make_notebooks_installs_jupyterlab_from_an_extra_and_opens_the_folder():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert any(dep.startswith("jupyterlab") for dep in extras["optional-dependencies"]["notebooks"])
    plan = subprocess.run(
        ["make", "-n", "notebooks"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert ".[notebooks]" in plan and "jupyter lab notebooks/" in plan
