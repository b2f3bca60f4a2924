"""Run the README's Python examples in order, as one session, and print what they print.

Run it to see them (`.venv/bin/python tests/run_readme.py`); tests/test_readme.py checks
each example's output against the ```text block that follows it in the README, so the
README cannot drift from the code.
The README is this project's own file, never user input.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"```python\n(.*?)```(?:\s*```text\n(.*?)```)?", re.DOTALL)


@dataclass
class Example:
    line: int
    code: str
    expected: str | None


def examples(path: Path = README) -> list[Example]:
    """The README's ```python blocks, each with the ```text block right after it, if any."""
    text = path.read_text(encoding="utf-8")
    return [
        Example(text.count("\n", 0, m.start()) + 1, m.group(1), m.group(2))
        for m in BLOCK.finditer(text)
    ]


def run(example: Example, namespace: dict[str, Any]) -> str:
    """Execute one example in the shared namespace; return what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(example.code, f"README.md:{example.line}", "exec"), namespace)
    return out.getvalue()


def main() -> int:
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    for example in examples():
        print(f"--- README.md line {example.line}")
        print(example.code.rstrip())
        printed = run(example, namespace)
        if printed:
            print(">>>")
            print(printed.rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
