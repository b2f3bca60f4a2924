"""The layout's promises: no import cycle at load time, no module importing another
module's private names, and the old public paths still working."""

import ast
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGES = ("autograd", "nn")


def _module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))}


def _load_time_imports(name: str, path: pathlib.Path, known: set[str]) -> set[str]:
    """The modules ``name`` imports while it loads: top-level statements only (imports
    inside functions and ``if TYPE_CHECKING:`` run later, or never)."""
    is_package = path.name == "__init__.py"
    here = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.rsplit(".", node.level - 1)[0] if node.level > 1 else here
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known}
    # A module's own package is being imported already when it loads: not an edge.
    return {m for m in found if m in known and m != name and not name.startswith(m + ".")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle in ``graph`` (iterative depth-first search), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    for start in sorted(graph):
        if state.get(start):
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph[nxt])))
    return None


def test_no_import_cycle_at_load_time():
    modules = _modules()
    known = set(modules)
    graph = {name: _load_time_imports(name, path, known) for name, path in modules.items()}
    assert "autograd.value" in graph["autograd.backward"]  # the analysis sees imports
    cycle = _cycle(graph)
    assert cycle is None, "import cycle at load time: " + " -> ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_imports_another_modules_private_names():
    offenders = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.module == "__future__":
                continue
            for alias in node.names:
                dunder = alias.name.startswith("__") and alias.name.endswith("__")
                if alias.name.startswith("_") and not dunder:
                    offenders.append(f"{name}:{node.lineno}: {alias.name} from {node.module}")
    assert offenders == []


def test_the_public_paths_of_before_the_layout_still_work():
    statements = [
        "from autograd import Graph, Tape, draw, explain, to_dot, trace, GraphTooLargeError",
        "import autograd.render; assert autograd.render.TIMEOUT > 0",
        "import autograd.graph.render as r; assert autograd.render is r",
        "from nn.cli import run, main",
    ]
    # A fresh interpreter: nothing imported beforehand can make an old path work.
    done = subprocess.run([sys.executable, "-c", "\n".join(statements)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
