"""Every Python example in the README runs, and prints exactly what the README says."""

from __future__ import annotations

from typing import Any

from run_readme import examples, run


def test_readme_has_examples():
    assert len(examples()) >= 2


def test_readme_examples_print_what_the_readme_shows():
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    for example in examples():
        printed = run(example, namespace)
        if example.expected is not None:
            assert printed == example.expected, f"README.md line {example.line}"


def test_readme_pictures_exist():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    pictures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (root / "README.md").read_text())
    assert pictures, "the README shows pictures"
    for picture in pictures:
        assert (root / picture).is_file(), picture


def test_the_readme_expression_is_hand_mlps_example():
    # docs/make_pictures.py draws hand_mlp.example() as the README's docs/expression.svg.
    from hand_mlp import example

    from autograd import to_dot

    block = next(e for e in examples() if 'L.label = "L"' in e.code)
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    run(block, namespace)
    assert to_dot(namespace["L"]) == to_dot(example())
