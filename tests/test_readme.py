"""Every Python example in the README runs, and prints exactly what the README says."""

from __future__ import annotations

from run_readme import examples, run


def test_readme_has_examples():
    assert len(examples()) >= 2


def test_readme_examples_print_what_the_readme_shows():
    namespace: dict = {"__name__": "__readme__"}
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
