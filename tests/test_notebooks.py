"""The committed notebooks are the ones notebooks/build.py writes (nbmake executes them)."""

from __future__ import annotations

import json
import subprocess
import sys
from itertools import pairwise
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


def test_committed_notebooks_carry_nothing_that_changes_between_runs():
    # build.py numbers cells by position and drops nbclient's timestamps, so an unchanged
    # notebook rebuilds to the same bytes and diffs show only real changes.
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert [c["id"] for c in cells] == [f"cell-{k}" for k in range(len(cells))], path.name
        assert not any("execution" in c["metadata"] for c in cells), path.name
        for cell in cells:
            streams = [o.get("name") if o["output_type"] == "stream" else None
                       for o in cell.get("outputs", [])]
            split = [a is not None and a == b for a, b in pairwise(streams)]
            assert not any(split), f"{path.name}: printed text split into chunks"
