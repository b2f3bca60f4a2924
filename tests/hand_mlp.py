"""Hand-built graphs, neurons and MLPs for the drawing tests (no dependency on the ``nn`` package).

Also the one definition of the README's example expression, ``example()``: the tests
use it, docs/make_pictures.py draws it as docs/expression.svg, and tests/test_readme.py
checks it against the README's own code.

Parameter names follow ``nn``'s ``named_parameters()`` format: ``layers.L.neurons.K.w.I``
and ``layers.L.neurons.K.b``. The neuron is micrograd's: ``act(b + w0*x0 + w1*x1 + ...)``
written as ``sum(w*x, b)``, so the graphs have micrograd's node counts.
"""

from __future__ import annotations

import random
from itertools import pairwise

from autograd import Value


def mlp(sizes: list[int], seed: int | random.Random = 0) -> list[tuple[str, Value]]:
    """Named parameters of an MLP with layer widths ``sizes`` (inputs first).

    ``seed`` is an int or a ``random.Random`` to draw from (and leave advanced).
    """
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    params = []
    for layer, (nin, nout) in enumerate(pairwise(sizes)):
        for k in range(nout):
            prefix = f"layers.{layer}.neurons.{k}"
            params += [(f"{prefix}.w.{i}", Value(rng.uniform(-1, 1))) for i in range(nin)]
            params.append((f"{prefix}.b", Value(0.0)))
    return params


def forward(params: list[tuple[str, Value]], sizes: list[int], x: list[Value]) -> Value:
    """Run the MLP on one input: relu on hidden layers, linear output."""
    values = iter(v for _, v in params)
    for layer, (nin, nout) in enumerate(pairwise(sizes)):
        out = []
        for _ in range(nout):
            w = [next(values) for _ in range(nin)]
            b = next(values)
            act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
            out.append(act.relu() if layer < len(sizes) - 2 else act)
        x = out
    return x[0]


def demo_loss(points: int = 100, sizes: tuple[int, ...] = (2, 16, 16, 1), seed: int = 0):
    """micrograd's demo.ipynb loss: hinge loss over ``points`` inputs plus L2 penalty.

    Returns (loss, named parameters). With the defaults the graph has 65,818 nodes, as
    micrograd's demo does.
    """
    rng = random.Random(seed)
    params = mlp(list(sizes), seed)
    xs = [[Value(rng.uniform(-1, 1)) for _ in range(sizes[0])] for _ in range(points)]
    ys = [rng.choice((-1.0, 1.0)) for _ in range(points)]
    scores = [forward(params, list(sizes), x) for x in xs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * sum(p * p for _, p in params)
    return data_loss + reg_loss, params


def example() -> Value:
    """L = (a * b + c) * f, labelled, after backward (the README example)."""
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    f = Value(-2.0, label="f")
    loss = d * f
    loss.label = "L"
    loss.backward()
    return loss
