"""chainrule's engine against micrograd 0.1.0, measured in one process, printed as ratios.

Run with `make bench` (installs micrograd into .venv; it is never a dependency), or
`.venv/bin/python benchmarks/engine.py [--quick]`. Both engines run the same workloads,
alternately, and each figure is the best of several repetitions, so that load from other
processes on a shared machine hurts both sides alike.

Workloads (issue #2; the floor, issue #14):
  dag    random expression DAG: 20,000 ops over 100 inputs (+, *, relu, **2; operands
         drawn from the last 50 nodes), forward + backward, per node; garbage collector
         paused in the timed region, and running (graph freed inside the timed region).
  train  micrograd's demo training step: MLP 2-16-16-1 ReLU, 100 two-moons points, mean
         hinge loss + 1e-4 * sum of squared parameters, full batch, one SGD step.
  chain  a 1,000,000-deep chain, forward + backward (micrograd needs its recursion limit
         raised to run it at all).
  memory bytes per node (tracemalloc) of a chain of binary ops, after forward.
  floor  the DAG again, against the leanest eager engine CPython allows (benchmarks/
         floor.py: no checks, no features, the same backward shape): what chainrule's
         checks and features cost, per node.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable

from floor import Floor

import autograd
import nn

try:
    import micrograd.engine
    import micrograd.nn
except ImportError:  # pragma: no cover - the benchmark's own requirement
    sys.exit("benchmarks/engine.py needs micrograd 0.1.0: run `make bench`")

OURS = autograd.Value
THEIRS = micrograd.engine.Value


def dag_spec(n_ops: int = 20_000, n_inputs: int = 100, window: int = 50, seed: int = 0):
    """The random DAG as data: inputs, then (op, i, j) over earlier node indices.

    Unchecked, repeated squaring overflows within a few hundred ops (micrograd then
    raises OverflowError), so a draw whose result would leave [-4, 4] is drawn again.
    The other way out of overflow is 0, which absorbs every later product: after the
    first thousand or so ops nearly every value is 0.0 (none of +, *, relu, **2 can bring
    back a negative sign, so the values cannot hover around 1 either). Timing does not
    depend on the values, except that chainrule checks the domain of x ** k when x <= 0,
    which only slows chainrule down; main() checks that both engines agree on them.
    """
    rng = random.Random(seed)
    inputs = [rng.uniform(-1.0, 1.0) for _ in range(n_inputs)]
    values = list(inputs)
    apply = {
        "+": lambda a, b: a + b,
        "*": lambda a, b: a * b,
        "r": lambda a, b: max(a, 0.0),
        "2": lambda a, b: a * a,
    }
    ops = []
    for k in range(n_inputs, n_inputs + n_ops):
        lo = max(0, k - window)
        while True:
            op, i, j = rng.choice("+*r2"), rng.randrange(lo, k), rng.randrange(lo, k)
            v = apply[op](values[i], values[j])
            if abs(v) <= 4.0:
                break
        values.append(v)
        ops.append((op, i, j))
    return inputs, ops


def build_dag(value_cls, spec):
    """The DAG built by a plain loop over the spec (the reference for compile_dag)."""
    inputs, ops = spec
    nodes = [value_cls(x) for x in inputs]
    for op, i, j in ops:
        a = nodes[i]
        if op == "+":
            nodes.append(a + nodes[j])
        elif op == "*":
            nodes.append(a * nodes[j])
        elif op == "r":
            nodes.append(a.relu())
        else:
            nodes.append(a**2)
    return nodes


def dag_source(spec) -> str:
    """The DAG as straight-line Python, the way a user writes an expression: `v7 = v3 * v5`.

    Running generated code (made here from the spec, never from user input) keeps the
    harness out of the measurement: a loop that dispatches on op names would cost about
    a third of an engine's time per node, the same for both engines, hiding the
    difference between them.
    """
    inputs, ops = spec
    n = len(inputs)
    lines = ["def build(V, inputs):"]
    lines += [f"    v{i} = V(inputs[{i}])" for i in range(n)]
    for k, (op, i, j) in enumerate(ops, start=n):
        expr = {"+": f"v{i} + v{j}", "*": f"v{i} * v{j}", "r": f"v{i}.relu()", "2": f"v{i}**2"}
        lines.append(f"    v{k} = {expr[op]}")
    last = n + len(ops)
    lines.append(f"    return [{', '.join(f'v{k}' for k in range(last - 50, last))}]")
    return "\n".join(lines)


def compile_dag(spec):
    namespace: dict = {}
    exec(compile(dag_source(spec), "<dag>", "exec"), namespace)
    build = namespace["build"]
    return lambda value_cls: build(value_cls, spec[0])


def dag_step(value_cls, build) -> list:
    nodes = build(value_cls)
    # Backward from the sum of the last 50 nodes, so that most of the DAG is reached.
    root = nodes[0]
    for node in nodes[1:]:
        root = root + node
    root.backward()
    nodes.append(root)
    return nodes


def time_dag(value_cls, build, collect: bool, loops: int = 5) -> float:
    """Seconds per forward + backward of the DAG.

    With the collector paused, one run after a full collection, the graph freed after the
    timed region (micrograd's cyclic graph would not be freed inside it anyway). With it
    running, the mean of several back-to-back runs, as in a training loop: the
    collections each run triggers, and freeing each graph, are inside the timed region.
    """
    gc.collect()
    if not collect:
        gc.disable()
        try:
            t0 = time.thread_time()
            graph = dag_step(value_cls, build)
            elapsed = time.thread_time() - t0
            del graph
            return elapsed
        finally:
            gc.enable()
    dag_step(value_cls, build)  # reach the steady state: garbage of one run pending
    t0 = time.thread_time()
    for _ in range(loops):
        dag_step(value_cls, build)
    return (time.thread_time() - t0) / loops


def moons(n: int = 100, noise: float = 0.1, seed: int = 1):
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * (i % (n // 2)) / (n // 2 - 1)
        if i < n // 2:
            x, y, label = math.cos(t), math.sin(t), 1.0
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), -1.0
        xs.append((x + rng.gauss(0, noise), y + rng.gauss(0, noise)))
        ys.append(label)
    return xs, ys


def train_step(model, value_cls, X, Y) -> None:
    """micrograd demo.ipynb's step: hinge loss + 1e-4 L2, backward, SGD.

    The same function for both engines, each written as its users would: micrograd's as
    in its demo notebook, chainrule's with nn.MLP, nn.hinge_loss and nn.SGD.
    """
    if value_cls is OURS:
        scores = [model(x) for x in X]
        params = model.parameters()
        total = nn.hinge_loss(scores, Y) + 1e-4 * autograd.dot(params, params)
        model.zero_grad()
        total.backward()
        model.optimizer.step()
        return
    inputs = [[value_cls(a), value_cls(b)] for a, b in X]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(Y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    model.zero_grad()
    total.backward()
    for p in model.parameters():
        p.data -= 0.5 * p.grad


def time_train(model, value_cls, data) -> float:
    t0 = time.thread_time()
    train_step(model, value_cls, *data)
    return time.thread_time() - t0


def time_chain(value_cls, depth: int) -> float:
    gc.collect()
    t0 = time.thread_time()
    x = value_cls(0.5)
    c = value_cls(1.0000001)
    y = x
    for _ in range(depth):
        y = y * c
    y.backward()
    del y
    return time.thread_time() - t0


def deep_recursion(fn: Callable[[], float]) -> float:
    """Run fn with Python's recursion limit raised: micrograd's backward recurses once per
    level of the graph (the DAG is 1,250 levels deep; the default limit is 1,000)."""
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        return fn()
    finally:
        sys.setrecursionlimit(old_limit)


def in_big_stack(fn: Callable[[], float]) -> float:
    """Run fn in a new thread with a large C stack and recursion limit: what micrograd
    needs for the million-deep chain (chainrule runs it in the main thread as it is)."""
    result: list[float] = []
    old_limit = sys.getrecursionlimit()
    threading.stack_size(512 * 1024 * 1024)
    sys.setrecursionlimit(10_000_000)
    try:
        thread = threading.Thread(target=lambda: result.append(fn()))
        thread.start()
        thread.join()
    finally:
        sys.setrecursionlimit(old_limit)
        threading.stack_size(0)
    return result[0]


def bytes_per_node(value_cls, n: int = 100_000) -> float:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    x = value_cls(0.5)
    c = value_cls(1.0)
    y = x
    for _ in range(n):
        y = y * c
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del y
    return used / n


def against_the_floor(build, collect: bool, reps: int) -> tuple[float, float]:
    """Best times of chainrule and of the floor engine on the DAG, in a loop of their own
    (micrograd's garbage, freed between its runs, would leave the allocator cold for
    whichever engine runs next), each going first in every other round."""
    ours = floor = math.inf
    for i in range(reps):
        for cls in (OURS, Floor) if i % 2 == 0 else (Floor, OURS):
            t = time_dag(cls, build, collect)
            if cls is OURS:
                ours = min(ours, t)
            else:
                floor = min(floor, t)
    return ours, floor


def best(fn: Callable[[], float], reps: int) -> float:
    return min(fn() for _ in range(reps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 3 if args.quick else 9

    spec = dag_spec()
    build = compile_dag(spec)
    n_nodes = len(spec[1])
    expected = [v.data for v in build_dag(OURS, spec)[-50:]]
    assert [v.data for v in build(OURS)] == expected == [v.data for v in build(THEIRS)]
    rows = []

    for collect, name in ((False, "dag fwd+bwd, gc paused"), (True, "dag fwd+bwd, gc running")):
        ours = theirs = math.inf
        for _ in range(reps):
            ours = min(ours, time_dag(OURS, build, collect))
            theirs = min(theirs, deep_recursion(lambda c=collect: time_dag(THEIRS, build, c)))
        rows.append((name, ours / n_nodes * 1e6, theirs / n_nodes * 1e6, "us/node"))

    assert [v.data for v in build(Floor)] == expected
    floor_rows = []
    for collect, name in ((False, "dag fwd+bwd, gc paused"), (True, "dag fwd+bwd, gc running")):
        ours, floor = against_the_floor(build, collect, 3 * reps)
        floor_rows.append((name, ours / n_nodes * 1e6, floor / n_nodes * 1e6))

    data = moons()
    ours_model = nn.MLP(2, [16, 16, 1], seed=0)
    ours_model.optimizer = nn.SGD(ours_model.parameters(), lr=0.5)
    theirs_model = micrograd.nn.MLP(2, [16, 16, 1])
    ours = theirs = math.inf
    for _ in range(reps):
        ours = min(ours, time_train(ours_model, OURS, data))
        theirs = min(theirs, time_train(theirs_model, THEIRS, data))
    rows.append(("demo training step, gc running", ours * 1e3, theirs * 1e3, "ms"))

    depth = 1_000_000
    # chainrule at Python's default recursion limit, in the main thread: no setting needed.
    assert sys.getrecursionlimit() <= 1000
    ours = best(lambda: time_chain(OURS, depth), 1 if args.quick else 2)
    theirs = best(lambda: in_big_stack(lambda: time_chain(THEIRS, depth)), 1 if args.quick else 2)
    rows.append(("1,000,000-deep chain", ours, theirs, "s"))

    rows.append(("memory per binary-op node", bytes_per_node(OURS), bytes_per_node(THEIRS), "B"))

    print(f"{'workload':34} {'chainrule':>12} {'micrograd':>12}  {'speed-up':>9}")
    for name, ours, theirs, unit in rows:
        print(f"{name:34} {ours:9.3f} {unit:<3}{theirs:9.3f} {unit:<3} {theirs / ours:8.2f}x")
    print()
    print(f"{'against the floor (us/node)':34} {'chainrule':>12} {'floor':>12}  {'its time':>9}")
    for name, ours, floor in floor_rows:
        print(f"{name:34} {ours:12.3f} {floor:12.3f}  {ours / floor:8.2f}x")


if __name__ == "__main__":
    main()
