"""No function in autograd/ or nn/ is longer than 60 lines of code: split long ones into
named helpers.

Lines of code exclude the docstring, blank lines and comment-only lines. A nested function
counts towards its enclosing one too.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LIMIT = 60


def lines_of_code(node, source_lines):
    """The function's lines that are neither its docstring, blank nor only a comment."""
    docstring = set()
    first = node.body[0]
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        assert first.end_lineno is not None  # set by ast.parse
        docstring = set(range(first.lineno, first.end_lineno + 1))
    start = min([node.lineno] + [d.lineno for d in node.decorator_list])
    code = [
        source_lines[n - 1].strip() for n in range(start, node.end_lineno + 1) if n not in docstring
    ]
    return sum(1 for line in code if line and not line.startswith("#"))


def long_functions(path):
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            n = lines_of_code(node, lines)
            if n > LIMIT:
                yield f"{path.relative_to(ROOT)}:{node.lineno}: {node.name} has {n} lines"


def test_the_counter_skips_docstrings_blanks_and_comments():
    source = 'def f():\n    """Doc.\n\n    More.\n    """\n    # note\n\n    x = 1\n    return x\n'
    node = ast.parse(source).body[0]
    assert lines_of_code(node, source.splitlines()) == 3  # def, x = 1, return


@pytest.mark.parametrize("package", ["autograd", "nn"])
def test_no_function_is_longer_than_the_limit(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    assert [line for path in files for line in long_functions(path)] == []
