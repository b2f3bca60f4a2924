"""How long drawing micrograd's demo graph takes, collapsed to one node per neuron.

The graph is micrograd's demo.ipynb loss (MLP 2-16-16-1, 100 points, hinge loss + L2:
65,818 nodes), built from hand-rolled neurons (tests/hand_mlp.py). Each step runs once.

Run: .venv/bin/python benchmarks/draw_demo_graph.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hand_mlp import demo_loss  # found through the path set just above

from autograd import GraphTooLargeError, draw, to_dot, topological_order


def main() -> None:
    start = time.perf_counter()
    loss, params = demo_loss()
    loss.backward()
    built = time.perf_counter()
    nodes = len(topological_order(loss))
    print(f"graph: {nodes:,} nodes, built + backward in {built - start:.2f} s")

    start = time.perf_counter()
    try:
        to_dot(loss, params=params)
    except GraphTooLargeError as error:
        print(f"refused in {time.perf_counter() - start:.2f} s: {error}")

    start = time.perf_counter()
    source = to_dot(loss, params=params, collapse=True, cluster=True, grad_colors=True)
    dot_done = time.perf_counter()
    graph = draw(loss, params=params, collapse=True, cluster=True, grad_colors=True)
    again = time.perf_counter()
    svg = graph.svg
    rendered = time.perf_counter()
    print(f"to_dot collapsed: {dot_done - start:.2f} s ({source.count(chr(10))} lines)")
    print(f"draw (DOT again): {again - dot_done:.2f} s; render SVG: {rendered - again:.2f} s")
    print(f"collapsed, end to end (to_dot + render): {dot_done - start + rendered - again:.2f} s")
    print(f"SVG: {len(svg):,} characters")


if __name__ == "__main__":
    main()
