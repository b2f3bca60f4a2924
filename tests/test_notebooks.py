"""The committed notebooks are the ones notebooks/build.py writes (nbmake executes them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_notebooks_match_their_sources():
    result = subprocess.run(
        [sys.executable, str(ROOT / "notebooks" / "build.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_notebook_is_built_by_the_script():
    built = subprocess.run(
        [sys.executable, "-c", "import build; print('\\n'.join(build.NOTEBOOKS))"],
        cwd=ROOT / "notebooks",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert sorted(built) == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
