"""Compiled tapes against their peers, measured in one process, printed as ratios.

Run with `make bench` (installs micrograd 0.1.0 into .venv; it is never a dependency), or
`.venv/bin/python benchmarks/tape.py [--quick]`. Each figure is the best of several
repetitions, alternating between the contenders, so that load from other processes on a
shared machine hurts all sides alike.

Workloads (issue #7):
  dag    the engine benchmark's random DAG (20,000 ops over 100 inputs: +, *, relu, **2),
         forward + backward per node: float replay of a tape against straight-line
         hand-written float code for the same DAG (generated once, below, as the best a
         person would write: one statement per node, then the reverse sweep) and against
         micrograd (garbage collector paused, its best case). Per node of the 20,000,
         as in the engine benchmark; the tape, like the hand-written code, replays only
         the 11,950 nodes the output depends on, while micrograd builds them all. (At
         the spec's inputs every node past the first 1,000 is 0.0, so the output and all
         gradients are 0: the same zeros for every contender, but not a numeric test.)
  train  micrograd's demo training step (100 two-moons points, MLP 2-16-16-1 ReLU, mean
         hinge loss + 1e-4 * sum of squared parameters, full batch, one SGD step): the
         batched tape against micrograd (default garbage collector) and against the
         same step vectorised by hand in NumPy; then the same step as a chainrule user
         writes it with tapes (nn.MLP, nn.TapedLoss, nn.SGD).
Tracing and compiling are paid once and reported on their own lines.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import sys
import time
from collections.abc import Callable

import numpy as np

import autograd
import nn
from autograd import Value, trace

try:
    import micrograd.engine
    import micrograd.nn
except ImportError:  # pragma: no cover - the benchmark's own requirement
    sys.exit("benchmarks/tape.py needs micrograd 0.1.0: run `make bench`")

from engine import build_dag, compile_dag, dag_spec, deep_recursion, moons, time_dag, train_step

# --- the DAG ------------------------------------------------------------------------------


def dag_output(nodes: list) -> Value:
    """The engine benchmark's output: the sum of the last 50 nodes."""
    root = nodes[-50]
    for node in nodes[-49:]:
        root = root + node
    return root


def trace_dag(spec) -> autograd.Tape:
    inputs, _ = spec

    def f(*xs: Value) -> Value:
        leaves = iter(xs)
        return dag_output(build_dag(lambda _: next(leaves), spec))

    return trace(f, *inputs)


def hand_written_dag(spec) -> Callable:
    """Straight-line float code for the DAG, forward then reverse, as a person would write
    it: only the nodes the output needs, plain locals, relu and squares written inline,
    and each gradient assigned on its first use and added to after."""
    inputs, ops = spec
    n_in = len(inputs)
    kinds = {n_in + k: op for k, (op, _, _) in enumerate(ops)}
    parents = {n_in + k: (i,) if op in "r2" else (i, j) for k, (op, i, j) in enumerate(ops)}
    last = n_in + len(ops) - 1
    outputs = list(range(last - 49, last + 1))
    needed, stack = set(), list(outputs)
    while stack:
        k = stack.pop()
        if k not in needed:
            needed.add(k)
            stack.extend(parents.get(k, ()))
    body = []
    for k in sorted(n for n in needed if n >= n_in):
        op, (i, j) = kinds[k], (parents[k] * 2)[:2]
        body.append(
            {
                "+": f"v{k} = v{i} + v{j}",
                "*": f"v{k} = v{i} * v{j}",
                "r": f"v{k} = v{i} if v{i} > 0.0 else 0.0",
                "2": f"v{k} = v{i} * v{i}",
            }[op]
        )
    body.append("out = " + " + ".join(f"v{k}" for k in outputs))
    seen = set(outputs)
    body += [f"g{k} = 1.0" for k in outputs]

    def add(target: int, term: str) -> None:
        body.append(f"g{target} {'+=' if target in seen else '='} {term}")
        seen.add(target)

    for k in sorted((n for n in needed if n >= n_in), reverse=True):
        op, (i, j) = kinds[k], (parents[k] * 2)[:2]
        if op == "+":
            add(i, f"g{k}")
            add(j, f"g{k}")
        elif op == "*":
            add(i, f"g{k} * v{j}")
            add(j, f"g{k} * v{i}")
        elif op == "r":
            add(i, f"g{k} if v{i} > 0.0 else 0.0")
        else:
            add(i, f"2.0 * v{i} * g{k}")
    grads = ", ".join(f"g{k}" if k in seen else "0.0" for k in range(n_in))
    args = ", ".join(f"v{k}" for k in range(n_in))
    source = f"def dag({args}):\n" + "".join(f"    {line}\n" for line in body)
    source += f"    return out, ({grads},)\n"
    scope: dict = {}
    exec(compile(source, "<hand-written dag>", "exec"), scope)  # our own generated text
    return scope["dag"]


def timed(fn: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# --- the demo training step ---------------------------------------------------------------


class MLP:
    """micrograd's MLP (2-16-16-1, ReLU, sum of products from the bias) on chainrule."""

    def __init__(self, sizes: list[int], seed: int = 0):
        rng = random.Random(seed)
        self.layers = [
            [([Value(rng.uniform(-1, 1)) for _ in range(nin)], Value(0.0)) for _ in range(nout)]
            for nin, nout in itertools.pairwise(sizes)
        ]

    def __call__(self, x: list) -> Value:
        for depth, layer in enumerate(self.layers):
            last = depth == len(self.layers) - 1
            x = [sum((wi * xi for wi, xi in zip(w, x, strict=True)), b) for w, b in layer]
            x = x if last else [a.relu() for a in x]
        return x[0]

    def parameters(self) -> list[Value]:
        return [p for layer in self.layers for w, b in layer for p in (*w, b)]


class TapeStep:
    """The demo step with tapes: the per-example hinge loss replayed on the whole batch,
    plus the L2 term (parameters only) replayed on floats."""

    def __init__(self, model: MLP, X, Y, lr: float = 0.5, alpha: float = 1e-4):
        self.params = model.parameters()
        self.x0 = np.array([x[0] for x in X])
        self.x1 = np.array([x[1] for x in X])
        self.y = np.array(Y, dtype=float)
        self.lr = lr
        self.hinge = trace(
            lambda a, b, y: (1 + -y * model([a, b])).relu(), 0.0, 0.0, 1.0, params=self.params
        )
        self.l2 = trace(lambda: alpha * sum(p * p for p in self.params), params=self.params)
        self.hinge._function(True)  # compile outside the timed region
        self.l2.compile()

    def __call__(self) -> float:
        losses, grads = self.hinge.batch_value_and_grad(self.x0, self.x1, self.y)
        reg, reg_grads = self.l2.value_and_grad()
        n = len(self.y)
        for p, g, r in zip(self.params, grads[3:], reg_grads, strict=True):
            p.data -= self.lr * (g / n + r)
        return float(losses.sum()) / n + reg


class NNTapeStep:
    """The step as a chainrule user writes it with tapes: nn.MLP (dot nodes), nn.TapedLoss
    over nn.hinge_loss (a tape per label), the L2 term replayed on floats, nn.SGD."""

    def __init__(self, X, Y, lr: float = 0.5, alpha: float = 1e-4):
        self.model = nn.MLP(2, [16, 16, 1], seed=0)
        params = self.model.parameters()
        self.optimizer = nn.SGD(params, lr=lr)
        self.taped = nn.TapedLoss(self.model, nn.hinge_loss)
        self.l2 = trace(lambda: alpha * autograd.dot(params, params), params=params).compile()
        self.X, self.Y = X, Y
        self()  # trace, compile and check against eager outside the timed region

    def __call__(self) -> float:
        self.optimizer.zero_grad()
        loss, _ = self.taped.backward(self.X, self.Y)
        reg = self.l2.backward()
        self.optimizer.step()
        return loss + reg


class NumpyStep:
    """The same step vectorised by hand: matrices, relu masks, and the transposes."""

    def __init__(self, model: MLP, X, Y, lr: float = 0.5, alpha: float = 1e-4):
        self.W = [np.array([[w.data for w in ws] for ws, _ in layer]).T for layer in model.layers]
        self.b = [np.array([b.data for _, b in layer]) for layer in model.layers]
        self.X = np.array(X)
        self.y = np.array(Y, dtype=float)
        self.lr, self.alpha = lr, alpha

    def __call__(self) -> float:
        W1, W2, W3 = self.W
        b1, b2, b3 = self.b
        X, y, n = self.X, self.y, len(self.y)
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0.0)
        s = (h2 @ W3 + b3)[:, 0]
        margin = 1.0 - y * s
        reg = self.alpha * sum(float((a * a).sum()) for a in (*self.W, *self.b))
        loss = float(np.maximum(margin, 0.0).sum()) / n + reg
        ds = (-y * (margin > 0) / n)[:, None]
        dW3, db3 = h2.T @ ds, ds.sum(0)
        dz2 = (ds @ W3.T) * (z2 > 0)
        dW2, db2 = h1.T @ dz2, dz2.sum(0)
        dz1 = (dz2 @ W2.T) * (z1 > 0)
        dW1, db1 = X.T @ dz1, dz1.sum(0)
        for a, d in zip((*self.W, *self.b), (dW1, dW2, dW3, db1, db2, db3), strict=True):
            a -= self.lr * (d + 2 * self.alpha * a)
        return loss


def eager_step(model: MLP, X, Y, lr: float = 0.5, alpha: float = 1e-4) -> float:
    params = model.parameters()
    losses = [(1 + -y * model([Value(a), Value(b)])).relu() for (a, b), y in zip(X, Y, strict=True)]
    total = sum(losses) * (1.0 / len(losses)) + alpha * sum(p * p for p in params)
    for p in params:
        p.grad = 0.0
    total.backward()
    for p in params:
        p.data -= lr * p.grad
    return total.data


def check_same_step(X, Y) -> None:
    """One step each of eager chainrule, the tape and NumPy from the same weights must
    agree: the benchmark times equal work."""
    models = [MLP([2, 16, 16, 1]) for _ in range(3)]
    eager_step(models[0], X, Y)
    TapeStep(models[1], X, Y)()
    numpy_step = NumpyStep(models[2], X, Y)
    numpy_step()
    eager = [p.data for p in models[0].parameters()]
    taped = [p.data for p in models[1].parameters()]
    W1, W2, W3 = numpy_step.W
    b1, b2, b3 = numpy_step.b
    by_hand = [
        x
        for W, b in ((W1, b1), (W2, b2), (W3, b3))
        for j in range(W.shape[1])
        for x in (*W[:, j], b[j])
    ]
    for a, b, c in zip(eager, taped, by_hand, strict=True):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12), (a, b)
        assert math.isclose(a, c, rel_tol=1e-9, abs_tol=1e-12), (a, c)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    reps = 3 if args.quick else 7

    # DAG: float replay against hand-written code and micrograd.
    spec = dag_spec()
    inputs, ops = spec
    n_nodes = len(ops)
    t0 = time.perf_counter()
    tape = trace_dag(spec)
    t_trace = time.perf_counter() - t0
    t0 = time.perf_counter()
    tape.compile()
    t_compile = time.perf_counter() - t0
    hand = hand_written_dag(spec)
    micrograd_dag = compile_dag(spec)  # straight-line micrograd code, as the engine benchmark
    assert tape.value_and_grad(*inputs) == hand(*inputs), "tape and hand-written code differ"
    t_tape = t_hand = t_micro = math.inf
    gc.collect()
    for _ in range(reps):
        # A replay takes about a millisecond: take the best of several back to back.
        t_tape = min(t_tape, *(timed(lambda: tape.value_and_grad(*inputs)) for _ in range(10)))
        t_hand = min(t_hand, *(timed(lambda: hand(*inputs)) for _ in range(10)))
        t_micro = min(
            t_micro, deep_recursion(lambda: time_dag(micrograd.engine.Value, micrograd_dag, False))
        )
    us = 1e6 / n_nodes

    # Demo training step: batched tape against micrograd and NumPy.
    X, Y = moons()
    check_same_step(X, Y)
    t0 = time.perf_counter()
    tape_step = TapeStep(MLP([2, 16, 16, 1]), X, Y)
    t_trace_step = time.perf_counter() - t0
    numpy_step = NumpyStep(MLP([2, 16, 16, 1]), X, Y)
    theirs = micrograd.nn.MLP(2, [16, 16, 1])
    t0 = time.perf_counter()
    nn_step = NNTapeStep(X, Y)
    t_trace_nn = time.perf_counter() - t0
    s_tape = s_numpy = s_micro = s_nn = math.inf
    for _ in range(reps):
        s_tape = min(s_tape, min(timed(tape_step) for _ in range(20)))
        s_numpy = min(s_numpy, min(timed(numpy_step) for _ in range(20)))
        s_nn = min(s_nn, min(timed(nn_step) for _ in range(20)))
        s_micro = min(s_micro, timed(lambda: train_step(theirs, micrograd.engine.Value, X, Y)))

    print(f"{'workload':44} {'time':>14}  {'tape is':>10}")
    rows = [
        ("dag: tape float replay", t_tape * us, "us/node", ""),
        (
            "dag: hand-written float code",
            t_hand * us,
            "us/node",
            f"{t_tape / t_hand:.2f}x its time",
        ),
        ("dag: micrograd (gc paused)", t_micro * us, "us/node", f"{t_micro / t_tape:.1f}x faster"),
        ("dag: trace (once)", t_trace * 1e3, "ms", ""),
        ("dag: generate + compile (once)", t_compile * 1e3, "ms", ""),
        ("demo step: batched tape", s_tape * 1e3, "ms", ""),
        (
            "demo step: micrograd (gc running)",
            s_micro * 1e3,
            "ms",
            f"{s_micro / s_tape:.0f}x faster",
        ),
        (
            "demo step: hand-vectorised NumPy",
            s_numpy * 1e3,
            "ms",
            f"{s_tape / s_numpy:.1f}x its time",
        ),
        ("demo step: trace + compile (once)", t_trace_step * 1e3, "ms", ""),
        (
            "demo step, nn.MLP + nn.TapedLoss + nn.SGD",
            s_nn * 1e3,
            "ms",
            f"{s_micro / s_nn:.0f}x faster than micrograd",
        ),
        ("  its trace + compile + eager check (once)", t_trace_nn * 1e3, "ms", ""),
    ]
    for name, value, unit, ratio in rows:
        print(f"{name:44} {value:9.3f} {unit:<7} {ratio}")


if __name__ == "__main__":
    main()
