"""Write the notebooks in this folder from the cell sources below, and run them.

    .venv/bin/python notebooks/build.py          # write and execute every notebook
    .venv/bin/python notebooks/build.py --check  # exit 1 if a notebook's cells differ

Keeping the sources here lets the notebooks be reviewed as plain Python in diffs;
tests/test_notebooks.py checks that the committed .ipynb files match them, and
`make test` executes every notebook (nbmake).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}


def notebook(name: str, *cells: tuple[str, str]) -> None:
    NOTEBOOKS[name] = list(cells)


def md(text: str) -> tuple[str, str]:
    return ("markdown", text.strip())


def code(text: str) -> tuple[str, str]:
    return ("code", text.strip())


notebook(
    "5-beyond-first-order.ipynb",
    md("""
# Beyond first order: Hessians and Newton's method

`grad(y, xs, create_graph=True)` returns gradients that are themselves `Value`s, built
from the same derivative rules that the forward pass used. Differentiating them again
gives second derivatives, and so on to any order.
"""),
    code("""
from autograd import Value, grad

x = Value(0.5)
y = x.tanh()
(d1,) = grad(y, [x], create_graph=True)
(d2,) = grad(d1, [x], create_graph=True)
(d3,) = grad(d2, [x])
t = y.data
print(f"first  {d1.data:.12f}   closed form {1 - t**2:.12f}")
print(f"second {d2.data:.12f}   closed form {-2 * t * (1 - t**2):.12f}")
print(f"third  {d3:.12f}   closed form {(1 - t**2) * (6 * t**2 - 2):.12f}")
"""),
    md("""
## A Hessian

For a function of several inputs, the Hessian is the matrix of second partial
derivatives: differentiate each component of the gradient with respect to every input.
Here it is for Rosenbrock's function $f(x, y) = (1 - x)^2 + 10 (y - x^2)^2$.
"""),
    code("""
def rosenbrock(x, y):
    return (1 - x) ** 2 + 10 * (y - x**2) ** 2


def gradient_and_hessian(f, point):
    xs = [Value(v) for v in point]
    out = f(*xs)
    first = grad(out, xs, create_graph=True)
    hessian = [list(grad(g, xs, allow_unused=True)) for g in first]
    return out.data, [g.data for g in first], hessian


value, g, hess = gradient_and_hessian(rosenbrock, [-1.0, 2.0])
x, y = -1.0, 2.0
closed_form = [[2 - 40 * y + 120 * x**2, -40 * x], [-40 * x, 20.0]]
print("gradient", g)
print("Hessian ", hess)
print("closed  ", closed_form)
assert hess == closed_form
"""),
    md("""
## Newton's method

Newton's method uses the Hessian to take the step that would jump straight to the
minimum of the local quadratic model: $p \\leftarrow p - H^{-1} \\nabla f$. On
Rosenbrock's curved valley it reaches the minimum at $(1, 1)$ in a handful of steps,
where gradient descent needs thousands.
"""),
    code("""
def solve_2x2(H, g):
    (a, b), (c, d) = H
    det = a * d - b * c
    return [(d * g[0] - b * g[1]) / det, (a * g[1] - c * g[0]) / det]


point = [-1.0, 2.0]
for step in range(8):
    value, g, hess = gradient_and_hessian(rosenbrock, point)
    print(f"step {step}: f = {value:.3e} at ({point[0]:+.6f}, {point[1]:+.6f})")
    delta = solve_2x2(hess, g)
    point = [point[0] - delta[0], point[1] - delta[1]]
print("minimum near", [round(p, 9) for p in point])
assert abs(point[0] - 1) < 1e-9 and abs(point[1] - 1) < 1e-9
"""),
    md("""
## Checking against finite differences

A second derivative can be checked by a central difference of the first derivative.
"""),
    code("""
def first_derivative(v):
    x = Value(v)
    return grad(x.sin() * x.exp(), [x])[0]


x = Value(0.3)
(d1,) = grad(x.sin() * x.exp(), [x], create_graph=True)
(d2,) = grad(d1, [x])
h = 1e-6
numeric = (first_derivative(0.3 + h) - first_derivative(0.3 - h)) / (2 * h)
print(f"analytic {d2:.10f}  numeric {numeric:.10f}")
assert abs(d2 - numeric) < 1e-6
"""),
)


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    nb.cells = [
        nbformat.v4.new_markdown_cell(src) if kind == "markdown" else nbformat.v4.new_code_cell(src)
        for kind, src in cells
    ]
    return nb


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--no-execute", action="store_true", help="write without running")
    args = parser.parse_args()
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        if args.check:
            if not path.exists() or sources(nbformat.read(path, as_version=4)) != cells:
                stale.append(name)
            continue
        nb = build(name, cells)
        if not args.no_execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(nb, path)
        print(f"wrote {path}")
    if stale:
        print("out of date (run notebooks/build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
