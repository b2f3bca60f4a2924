"""How the cost of a training step grows with the network and with the batch (issue #14).

Run with `make bench`, or `.venv/bin/python benchmarks/scaling.py [--quick] [--markdown]`.

A step is what a training loop does per batch: forward, backward and one SGD update, with
the mean hinge loss of `nn.hinge_loss` (labels +1 and -1) and no penalty term, for three
ways of running it:

  eager    nn.MLP on Values: the batch's loss, `loss.backward()`, `nn.SGD.step()`.
  float    one tape per label (as `nn.TapedLoss` makes them), replayed on floats sample by
           sample with `Tape.backward`, the summed gradients divided by the batch size.
  batched  `nn.TapedLoss` (what `nn.fit(tape=True)` runs): the tapes replayed on the
           whole batch with NumPy (`Tape.batch_backward`).

Table 1 varies the network at a fixed batch; table 2 the batch for a fixed network. Cost
per parameter-sample (or per sample) that stays flat down a column is linear growth.
Table 3 lists what is paid once per tape: tracing, generating and compiling the float
replay (its first `value_and_grad`, one replay included), and building the batched plan
(its first `batch_value_and_grad` on one sample), also for the biggest net written as
micrograd writes a neuron (`b + w0 * x0 + ...`: two nodes per weight). Every time is the
best of several repetitions, in CPU time of the running thread, the garbage collector
running as in a training loop (collected before each cell). A cell whose predicted time,
scaled linearly from the cell above it, is over the per-cell budget is not run: it
shows "—".
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

import autograd
import nn

MODES = ("eager", "float", "batched")
NETS = ((2, 16, 16, 1), (2, 32, 32, 1), (2, 64, 64, 1), (2, 128, 128, 1), (2, 256, 256, 1))
WIDE_NET = (64, 32, 32, 1)  # many inputs: the first layer's dot nodes are the long ones
FIXED_BATCH = 32
BATCHES = (10, 100, 1_000, 10_000)
FIXED_NET = (2, 16, 16, 1)
SKIPPED = "—"


def dataset(n_inputs: int, n: int, seed: int = 0) -> tuple[list[list[float]], list[int]]:
    """``n`` samples with labels +1 / -1: two moons for two inputs, else random points
    labelled by the sign of their first coordinate (any labels do: the cost is the same)."""
    if n_inputs == 2:
        X, y = nn.datasets.make_moons(n, noise=0.1, seed=seed)
        return X, [1 if label == 0 else -1 for label in y]
    rng = random.Random(seed)
    X = [[rng.gauss(0.0, 1.0) for _ in range(n_inputs)] for _ in range(n)]
    return X, [1 if x[0] > 0 else -1 for x in X]


def model_for(sizes: Sequence[int]) -> nn.MLP:
    return nn.MLP(sizes[0], list(sizes[1:]), seed=0)


class Eager:
    """The step on Values: what `nn.fit` runs without tapes (the garbage collector paused
    for forward and backward, as fit pauses it; ``collect=True``: left running, as a
    loop of one's own may leave it)."""

    def __init__(
        self, sizes: Sequence[int], X: list[list[float]], y: list[int], collect: bool = False
    ) -> None:
        self.model = model_for(sizes)
        self.optimizer = nn.SGD(self.model.parameters(), lr=0.05)
        self.X, self.y = X, y
        self.collect = collect

    def __call__(self) -> None:
        self.optimizer.zero_grad()
        with contextlib.nullcontext() if self.collect else autograd.collector_paused():
            loss = nn.hinge_loss([self.model(x) for x in self.X], self.y)
            loss.backward()
        self.optimizer.step()


Model = Callable[[list[autograd.Value]], autograd.Value]


def label_tape(
    model: Model, params: list[autograd.Value], n_inputs: int, label: int
) -> autograd.Tape:
    """The tape of one example's hinge loss for ``label``, as nn.TapedLoss traces it."""

    def loss(*xs: autograd.Value) -> autograd.Value:
        return nn.hinge_loss([model(list(xs))], [label])

    return autograd.trace(loss, *([0.0] * n_inputs), params=params)


def label_tapes(model: nn.MLP, n_inputs: int) -> dict[int, autograd.Tape]:
    """One tape per label (+1 and -1)."""
    return {label: label_tape(model, model.parameters(), n_inputs, label) for label in (1, -1)}


def scalar_ops(model: nn.MLP) -> Model:
    """``model`` written as micrograd writes a neuron, ``b + w0 * x0 + w1 * x1 + ...``: a
    ``*`` and a ``+`` node per weight, where nn.MLP has one ``dot`` node per neuron."""

    def forward(x: list[autograd.Value]) -> autograd.Value:
        for depth, layer in enumerate(model.layers):
            sums = []
            for neuron in layer.neurons:
                act = neuron.b
                assert act is not None  # nn.MLP's neurons have biases by default
                for w, xi in zip(neuron.w, x):
                    act = act + w * xi
                sums.append(act)
            x = sums if depth == len(model.layers) - 1 else [a.relu() for a in sums]
        return x[0]

    return forward


class FloatTape:
    """The step replayed on floats, one sample at a time."""

    def __init__(self, sizes: Sequence[int], X: list[list[float]], y: list[int]) -> None:
        self.model = model_for(sizes)
        self.params = self.model.parameters()
        self.optimizer = nn.SGD(self.params, lr=0.05)
        self.tapes = label_tapes(self.model, sizes[0])
        for tape in self.tapes.values():
            tape.compile()  # paid once, and measured in table 3
        self.X, self.y = X, y

    def __call__(self) -> None:
        self.optimizer.zero_grad()
        tapes = self.tapes
        for x, label in zip(self.X, self.y):
            tapes[label].backward(*x)
        scale = 1.0 / len(self.X)
        for p in self.params:
            p.grad *= scale
        self.optimizer.step()


class BatchedTape:
    """The step as `nn.fit(tape=True)` runs it: nn.TapedLoss over the batch, then SGD."""

    def __init__(self, sizes: Sequence[int], X: list[list[float]], y: list[int]) -> None:
        self.model = model_for(sizes)
        self.optimizer = nn.SGD(self.model.parameters(), lr=0.05)
        self.taped = nn.TapedLoss(self.model, nn.hinge_loss)
        self.X, self.y = X, y
        self()  # trace, plan, and check against the eager loss: outside the timed region

    def __call__(self) -> None:
        self.optimizer.zero_grad()
        self.taped.backward(self.X, self.y)
        self.optimizer.step()


STEPS: dict[str, Callable[[Sequence[int], list[list[float]], list[int]], Callable[[], None]]] = {
    "eager": Eager,
    "float": FloatTape,
    "batched": BatchedTape,
}


@dataclass
class Settings:
    """How hard to measure: repetitions per cell, and the time budgets (seconds)."""

    reps: int = 7
    cell_budget: float = 5.0  # a cell stops repeating once it has spent this long
    skip_over: float = 6.0  # a cell predicted to take longer than this per step is skipped


def best_time(step: Callable[[], None], settings: Settings) -> float:
    """The best of up to ``settings.reps`` steps, in thread CPU time; at least one."""
    gc.collect()
    best, spent = math.inf, 0.0
    for _ in range(settings.reps):
        t0 = time.thread_time()
        step()
        elapsed = time.thread_time() - t0
        best, spent = min(best, elapsed), spent + elapsed
        if spent > settings.cell_budget:
            break
    return best


def collector_note(sizes: Sequence[int], rows: Sequence[Row], s: Settings) -> str:
    """The eager step at the biggest batch run again with the garbage collector left
    running: what a loop that does not pause it pays for the collector scanning the
    live graph."""
    row = next((row for row in reversed(rows) if row.cells["eager"].seconds is not None), None)
    if row is None:
        return ""
    X, y = dataset(sizes[0], int(row.work))
    running = best_time(Eager(sizes, X, y, collect=True), s)
    return (
        f"Eager at {row.label} samples with the garbage collector left running (a loop "
        f"that does not pause it): {running * 1e3:,.0f} ms "
        f"({running / row.work * 1e6:,.0f} µs/sample)."
    )


@dataclass
class Cell:
    """One mode's step time (None: skipped for time) at a size of ``work`` units."""

    seconds: float | None
    work: float


@dataclass
class Row:
    label: str
    work: float  # parameter-samples (table 1) or samples (table 2)
    cells: dict[str, Cell] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)


def measure_row(
    label: str, sizes: Sequence[int], batch: int, work: float, previous: Row | None, s: Settings
) -> Row:
    """Every mode's step for ``sizes`` at ``batch``, skipping a mode whose time scaled
    from ``previous`` (linear in ``work``) is over ``s.skip_over``."""
    X, y = dataset(sizes[0], batch)
    row = Row(label, work)
    for mode in MODES:
        before = previous.cells.get(mode) if previous else None
        if before is None or before.seconds is None:
            predicted = 0.0 if before is None else math.inf
        else:
            predicted = before.seconds * work / before.work
        if predicted > s.skip_over:
            row.cells[mode] = Cell(None, work)
            continue
        step = STEPS[mode](sizes, X, y)
        row.cells[mode] = Cell(best_time(step, s), work)
        del step
    return row


def net_name(sizes: Sequence[int]) -> str:
    return "-".join(map(str, sizes))


def by_network(nets: Sequence[Sequence[int]], batch: int, s: Settings) -> list[Row]:
    """Table 1: step time against the number of parameters, at a fixed batch."""
    rows: list[Row] = []
    for sizes in nets:
        n_params = model_for(sizes).num_parameters()
        # Only nets with the same inputs scale from each other; the wide net starts afresh.
        previous = rows[-1] if rows and nets[len(rows) - 1][0] == sizes[0] else None
        row = measure_row(net_name(sizes), sizes, batch, n_params * batch, previous, s)
        row.extra["params"] = f"{n_params:,}"
        rows.append(row)
    return rows


def by_batch(sizes: Sequence[int], batches: Sequence[int], s: Settings) -> list[Row]:
    """Table 2: step time against the batch size, for one network."""
    rows: list[Row] = []
    for batch in batches:
        rows.append(measure_row(f"{batch:,}", sizes, batch, batch, rows[-1] if rows else None, s))
    return rows


def once_costs(sizes: Sequence[int], scalar: bool = False) -> dict[str, float]:
    """Table 3: seconds to trace one label's tape, to generate and compile its float
    replay (first value_and_grad), and to build its batched plan (first batch call);
    with ``scalar``, of the network written with scalar ops (``scalar_ops``). CPU time of
    the running thread, as the steps are timed."""
    model = model_for(sizes)
    forward: Model = scalar_ops(model) if scalar else model
    params = model.parameters()  # nn.TapedLoss lists them once, not per trace
    gc.collect()
    t0 = time.thread_time()
    tape = label_tape(forward, params, sizes[0], 1)
    t_trace = time.thread_time() - t0
    x = [0.5] * sizes[0]
    t0 = time.thread_time()
    tape.value_and_grad(*x)
    t_compile = time.thread_time() - t0
    columns = [np.array([v]) for v in x]
    t0 = time.thread_time()
    tape.batch_value_and_grad(*columns)
    t_plan = time.thread_time() - t0
    edges = sum(len(parents) for _, parents in tape.program.ops)
    return {
        "ops": len(tape),
        "edges": edges,
        "trace": t_trace,
        "compile": t_compile,
        "plan": t_plan,
    }


# --- printing ---------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool) -> str:
    """Rows as aligned text, or as a Markdown table (numbers right-aligned)."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def step_text(cell: Cell) -> str:
    return SKIPPED if cell.seconds is None else f"{cell.seconds * 1e3:,.2f}"


def per_unit_text(cell: Cell, scale: float) -> str:
    return SKIPPED if cell.seconds is None else f"{cell.seconds / cell.work * scale:,.3g}"


def network_table(rows: Sequence[Row], markdown: bool) -> str:
    headers = ["net", "params"]
    for mode in MODES:
        headers += [f"{mode} ms", f"{mode} ns/(param·sample)"]
    body = []
    for row in rows:
        cells = [row.label, row.extra["params"]]
        for mode in MODES:
            cells += [step_text(row.cells[mode]), per_unit_text(row.cells[mode], 1e9)]
        body.append(cells)
    return table(headers, body, markdown)


def growth_text(row: Row, previous: Row | None, mode: str) -> str:
    """This row's time over the previous row's, for a growth in work of ``factor``."""
    if previous is None:
        return ""
    now, before = row.cells[mode].seconds, previous.cells[mode].seconds
    if now is None or before is None:
        return SKIPPED
    return f"{now / before:.3g}x"


def batch_table(rows: Sequence[Row], markdown: bool) -> str:
    headers = ["batch"]
    for mode in MODES:
        headers += [f"{mode} ms", f"{mode} µs/sample", "growth"]
    body = []
    for i, row in enumerate(rows):
        cells = [row.label]
        for mode in MODES:
            cell = row.cells[mode]
            growth = growth_text(row, rows[i - 1] if i else None, mode)
            cells += [step_text(cell), per_unit_text(cell, 1e6), growth]
        body.append(cells)
    return table(headers, body, markdown)


def once_table(costs: dict[str, dict[str, float]], markdown: bool) -> str:
    headers = [
        "net",
        "tape ops",
        "edges",
        "trace ms",
        "float compile ms",
        "batched plan ms",
        "trace + compile ms",
    ]
    body = [
        [
            name,
            f"{c['ops']:,.0f}",
            f"{c['edges']:,.0f}",
            f"{c['trace'] * 1e3:,.0f}",
            f"{c['compile'] * 1e3:,.0f}",
            f"{c['plan'] * 1e3:,.0f}",
            f"{(c['trace'] + c['compile']) * 1e3:,.0f}",
        ]
        for name, c in costs.items()
    ]
    return table(headers, body, markdown)


def skipped_note(rows: Sequence[Row], s: Settings) -> str:
    skipped = [
        f"{mode} at {row.label}"
        for row in rows
        for mode in MODES
        if row.cells[mode].seconds is None
    ]
    if not skipped:
        return ""
    return (
        f"{SKIPPED} not run ({', '.join(skipped)}): the row above, scaled linearly, "
        f"predicts more than {s.skip_over:g} s per step."
    )


def report(
    nets: Sequence[Sequence[int]],
    batch: int,
    fixed: Sequence[int],
    batches: Sequence[int],
    s: Settings,
    markdown: bool = False,
    scalar: Sequence[Sequence[int]] = (),
) -> str:
    """The three tables as text (the whole run); table 3 also has the ``scalar`` nets
    written with scalar ops."""
    networks = by_network(nets, batch, s)
    batched = by_batch(fixed, batches, s)
    costs = {net_name(sizes): once_costs(sizes) for sizes in nets}
    costs |= {f"{net_name(sizes)}, scalar ops": once_costs(sizes, True) for sizes in scalar}
    parts = [
        f"Step time against the network (batch of {batch}):",
        network_table(networks, markdown),
        skipped_note(networks, s),
        f"Step time against the batch (net {net_name(fixed)}):",
        batch_table(batched, markdown),
        skipped_note(batched, s),
        collector_note(fixed, batched, s),
        "Paid once per tape:",
        once_table(costs, markdown),
    ]
    return "\n\n".join(p for p in parts if p)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    args = parser.parse_args()
    settings = Settings(reps=2, cell_budget=1.0) if args.quick else Settings()
    t0 = time.perf_counter()
    nets = (*NETS, WIDE_NET)
    print(report(nets, FIXED_BATCH, FIXED_NET, BATCHES, settings, args.markdown, [NETS[-1]]))
    print(f"\n({time.perf_counter() - t0:.0f} s in all)")


if __name__ == "__main__":
    main()
