"""``chainrule train``: train an MLP on a toy 2-D dataset and write what happened to a folder.

With no options it is micrograd's demo: 100 two-moons points (noise 0.1), an MLP
2-16-16-1 with ReLU and micrograd's uniform initialisation, the mean hinge loss plus
1e-4 times the sum of squared parameters, and 100 full-batch SGD steps with the learning
rate going linearly from 1.0 to 0.1. It reaches 100% training accuracy.

Training replays compiled tapes with NumPy (``nn.fit(..., tape=True)``: the same steps,
equal up to rounding, a few times faster); ``--eager`` builds a graph per step instead.

The labels, the number of outputs and the decision rule follow from the loss: ``hinge``
and ``mse`` want labels +-1 and one output, ``bce`` labels 0/1 and one output (a logit),
``cross_entropy`` class indices and one output per class. A two-class loss on a dataset
with more classes is refused before anything runs.

A run that diverges (the final loss not finite, or ``DIVERGED_FACTOR`` times the loss
before the first step) is an error, exit status 1, whatever the optimizer; a run that ends
at chance accuracy is a one-line warning. Both name a learning rate to try, from
``GOOD_LRS`` (measured on the default run, also listed in ``--help``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from autograd import Graph, Value, Walkthrough, dot, draw, no_grad, trace, walkthrough
from autograd._files import write_atomic
from autograd.graph import render

from .. import datasets, plots
from ..activations import ACTIVATIONS
from ..checkpoint import save
from ..init import INIT_SCHEMES
from ..losses import bce_with_logits_loss, cross_entropy_loss, hinge_loss, mse_loss
from ..module import MLP
from ..optim import SGD, Adam, AdamW, Optimizer
from ..schedules import LinearLR
from ..train import History, evaluate, fit
from .options import (
    MAX_WIDTH,
    Subcommands,
    UsageError,
    folder,
    int_at_least,
    layer_widths,
    positive_float,
    real_at_least,
)

__all__ = [
    "DATASETS",
    "DEFAULT_CLASSES",
    "DIVERGED_FACTOR",
    "GOOD_LRS",
    "LOSSES",
    "MAX_CLASSES",
    "MAX_SAMPLES",
    "MAX_WORK",
    "OPTIMIZERS",
    "STALLED_MARGIN",
    "TrainingPlan",
    "add_parser",
    "build_train_parser",
    "default_lr",
    "good_lr",
    "make_plan",
    "run",
    "stalled_warning",
]


@dataclass(frozen=True)
class _Dataset:
    make: Callable[[int, float, int, int], tuple[list[list[float]], list[int]]]
    noise: float  # the default noise
    classes: int | None  # fixed number of classes, or None when --classes chooses it


DATASETS = {
    "moons": _Dataset(lambda n, noise, k, seed: datasets.make_moons(n, noise, seed), 0.1, 2),
    # An inner radius of 0.5, not make_circles' 0.8: with noise 0.1 the rings stay apart.
    "circles": _Dataset(
        lambda n, noise, k, seed: datasets.make_circles(n, noise, factor=0.5, seed=seed), 0.1, 2
    ),
    "xor": _Dataset(lambda n, noise, k, seed: datasets.make_xor(n, noise, seed), 0.1, 2),
    "spirals": _Dataset(
        lambda n, noise, k, seed: datasets.make_spirals(n, noise, n_classes=k, seed=seed), 0.1, None
    ),
    "blobs": _Dataset(
        lambda n, noise, k, seed: datasets.make_blobs(n, noise, centers=k, seed=seed), 1.0, None
    ),
}
DEFAULT_CLASSES = 3  # for the datasets whose number of classes is an option

# Bounds on the size of a run: each point, parameter and step is a Python object (eager) or
# an array row (tapes), and memory grows with samples times parameters (about 1 KB per
# pair eager, measured on the default net); beyond these a run would exhaust memory.
MAX_SAMPLES = 10_000
MAX_CLASSES = 100
MAX_WORK = 5_000_000  # samples * parameters


@dataclass(frozen=True)
class _Loss:
    function: Callable[..., Value]
    multiclass: bool  # one output per class and class-index targets
    signed: bool  # two-class targets are +-1 (else 0/1)


LOSSES = {
    "hinge": _Loss(hinge_loss, multiclass=False, signed=True),
    "mse": _Loss(mse_loss, multiclass=False, signed=True),
    "bce": _Loss(bce_with_logits_loss, multiclass=False, signed=False),
    "cross_entropy": _Loss(cross_entropy_loss, multiclass=True, signed=False),
}

OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW}


def default_lr(optimizer: str, dataset: str, loss: str) -> float:
    """The starting learning rate when ``--lr`` is not given.

    SGD takes micrograd's 1.0, except for two cases where 1.0 diverges: blobs, whose
    points lie in [-10, 10]^2 rather than near the unit square, and the mse loss, whose
    gradient grows with the error. Those take 0.1; Adam and AdamW take 0.05.

    Args:
        optimizer, dataset, loss: names as given to ``chainrule train``.

    Returns:
        The learning rate of the first epoch.

    Example:
        >>> default_lr("sgd", "moons", "hinge"), default_lr("sgd", "blobs", "cross_entropy")
        (1.0, 0.1)
        >>> default_lr("sgd", "moons", "mse"), default_lr("adam", "moons", "hinge")
        (0.1, 0.05)
    """
    if optimizer != "sgd":
        return 0.05
    return 0.1 if dataset == "blobs" or loss == "mse" else 1.0


# Learning rates measured on the default run (moons, MLP 2-16-16-1, hinge + L2, 100 epochs,
# seed 0), each reaching 100% training accuracy: by optimizer, then for full batch, batches
# of 10 and batches of 1. SGD at 1.0 with batches of 1 diverges (50%, the loss up 20x).
GOOD_LRS: dict[str, tuple[float, float, float]] = {
    "sgd": (1.0, 0.3, 0.1),
    "adam": (0.05, 0.05, 0.01),
    "adamw": (0.05, 0.05, 0.01),
}


def good_lr(optimizer: str, batch_size: int | None, samples: int) -> float:
    """A learning rate that trains the default run, for this optimizer and batch size.

    Batches of 10 or more take the value measured for 10, smaller ones the value for 1.

    Example:
        >>> good_lr("sgd", None, 100), good_lr("sgd", 1, 100), good_lr("adam", 32, 100)
        (1.0, 0.1, 0.05)
    """
    full, tens, ones = GOOD_LRS[optimizer]
    if batch_size is None or batch_size >= samples:
        return full
    return tens if batch_size >= 10 else ones


def _lr_help() -> str:
    parts = [
        f"{name} {full:g} full batch, {tens:g} with --batch-size 10, {ones:g} with --batch-size 1"
        for name, (full, tens, ones) in GOOD_LRS.items()
    ]
    return "; ".join(parts)


@dataclass(frozen=True)
class TrainingPlan:
    """Everything ``chainrule train`` will do, resolved from the options and checked."""

    dataset: str
    samples: int
    noise: float
    classes: int
    hidden: list[int]
    activation: str
    init: str
    loss: str
    optimizer: str
    lr: float
    l2: float
    epochs: int
    batch_size: int | None
    seed: int
    tape: bool

    def describe(self) -> str:
        """One line saying what will be trained on what, and how.

        Example:
            >>> print(make_plan(build_train_parser().parse_args([])).describe())
            MLP 2-16-16-1 (relu, uniform init) on moons (100 samples, noise 0.1): hinge loss + 0.0001 * sum of squared parameters, sgd with lr 1 -> 0.1, 100 epochs, full batch, seed 0, compiled tapes
        """  # noqa: E501 (the line printed)
        sizes = "-".join(str(n) for n in [2, *self.hidden, self.outputs])
        loss = f"{self.loss} loss"
        if self.l2:
            loss += f" + {self.l2:g} * sum of squared parameters"
        batch = "full batch" if self.batch_size is None else f"batches of {self.batch_size}"
        classes = f", {self.classes} classes" if DATASETS[self.dataset].classes is None else ""
        engine = "compiled tapes" if self.tape else "eager"
        return (
            f"MLP {sizes} ({self.activation}, {self.init} init) on {self.dataset} "
            f"({self.samples} samples, noise {self.noise:g}{classes}): {loss}, "
            f"{self.optimizer} with lr {self.lr:g} -> {self.lr / 10:g}, {self.epochs} epochs, "
            f"{batch}, seed {self.seed}, {engine}"
        )

    @property
    def outputs(self) -> int:
        """The network's output width: one per class for cross-entropy, else one."""
        return self.classes if LOSSES[self.loss].multiclass else 1


def make_plan(args: argparse.Namespace) -> TrainingPlan:
    """Resolve the defaults that depend on other options and refuse bad combinations.

    Raises:
        UsageError: ``--classes`` for a two-class dataset, or a two-class loss on more
            than two classes.

    Example:
        >>> parser = build_train_parser()
        >>> make_plan(parser.parse_args(["--dataset", "blobs"])).loss
        'cross_entropy'
        >>> make_plan(parser.parse_args(["--dataset", "blobs", "--loss", "hinge"]))
        Traceback (most recent call last):
        ...
        nn.cli.options.UsageError: --loss hinge is for two classes, but blobs has 3 here; use --loss cross_entropy (or --classes 2)
    """  # noqa: E501 (the message)
    dataset = DATASETS[args.dataset]
    if dataset.classes is not None and args.classes not in (None, dataset.classes):
        raise UsageError(
            f"--classes applies to spirals and blobs; {args.dataset} has {dataset.classes} classes"
        )
    classes = dataset.classes or args.classes or DEFAULT_CLASSES
    loss = args.loss or ("hinge" if classes == 2 else "cross_entropy")
    if classes > 2 and not LOSSES[loss].multiclass:
        raise UsageError(
            f"--loss {loss} is for two classes, but {args.dataset} has {classes} here; "
            "use --loss cross_entropy (or --classes 2)"
        )
    parameters = _count_parameters([2, *args.hidden, classes if LOSSES[loss].multiclass else 1])
    if parameters * args.samples > MAX_WORK:
        raise UsageError(
            f"--samples {args.samples} with --hidden {','.join(map(str, args.hidden))} is "
            f"{args.samples:,} samples times {parameters:,} parameters, more than {MAX_WORK:,}; "
            "use fewer samples or narrower layers"
        )
    return TrainingPlan(
        dataset=args.dataset,
        samples=args.samples,
        noise=dataset.noise if args.noise is None else args.noise,
        classes=classes,
        hidden=list(args.hidden),
        activation=args.activation,
        init=args.init,
        loss=loss,
        optimizer=args.optimizer,
        lr=default_lr(args.optimizer, args.dataset, loss) if args.lr is None else args.lr,
        l2=args.l2,
        epochs=args.epochs,
        batch_size=args.batch_size,
        seed=args.seed,
        tape=not args.eager,
    )


def _count_parameters(sizes: list[int]) -> int:
    """The parameters of an MLP with these layer sizes (weights and biases)."""
    return sum((n_in + 1) * n_out for n_in, n_out in itertools.pairwise(sizes))


def _add_options(parser: argparse.ArgumentParser) -> None:
    # In this order in --help: the data, the network, the training, the output.
    _add_data_options(parser)
    _add_model_options(parser)
    _add_training_options(parser)
    add = parser.add_argument
    add("--out", type=folder, default="runs/demo", help="output folder (default: runs/demo)")
    add(
        "--neuron-grads",
        choices=["loss", "neuron"],
        default="loss",
        help="the gradients neuron.svg shows: of one sample's loss, backpropagated through "
        "the network (loss, the default: what training follows), or of the neuron's own "
        "output (neuron)",
    )
    add(
        "--html",
        action="store_true",
        help="also write neuron.html: the same neuron's forward and backward pass, step by step",
    )
    add("--quiet", action="store_true", help="print only the results: no plan, no progress bar")


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--dataset",
        choices=list(DATASETS),
        default="moons",
        help="the data (default: moons); spirals is hard for plain SGD: try "
        "--optimizer adam --epochs 300",
    )
    add(
        "--samples",
        type=int_at_least(1, MAX_SAMPLES),
        default=100,
        help=f"number of points, at most {MAX_SAMPLES:,} (default: 100)",
    )
    add(
        "--noise",
        type=real_at_least(0.0),
        help="standard deviation of the noise on each coordinate (default: 0.1; 1.0 for blobs)",
    )
    add(
        "--classes",
        type=int_at_least(2, MAX_CLASSES),
        help=f"number of classes of spirals and blobs, at most {MAX_CLASSES} "
        f"(default: {DEFAULT_CLASSES})",
    )


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--hidden",
        type=layer_widths,
        default=[16, 16],
        metavar="WIDTHS",
        help=f"hidden layer widths, comma-separated, each at most {MAX_WIDTH:,} (default: "
        f"16,16; '' for none); samples times parameters must stay under {MAX_WORK:,}",
    )
    add(
        "--activation",
        choices=sorted(ACTIVATIONS),
        default="relu",
        help="the hidden layers' activation (default: relu)",
    )
    add(
        "--init",
        choices=INIT_SCHEMES,
        default="uniform",
        help="parameter initialisation (default: uniform, micrograd's)",
    )


def _add_training_options(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add(
        "--loss",
        choices=list(LOSSES),
        help="hinge or mse (labels +-1, one output), bce (on a logit, labels 0/1) or "
        "cross_entropy (one output per class); default: hinge for two classes, else "
        "cross_entropy",
    )
    add(
        "--l2",
        type=real_at_least(0.0),
        default=1e-4,
        help="weight of the sum of squared parameters added to the loss (default: 1e-4)",
    )
    add("--optimizer", choices=list(OPTIMIZERS), default="sgd", help="default: sgd")
    add(
        "--lr",
        type=positive_float,
        help="starting learning rate; it decays linearly to a tenth of it over the epochs "
        "(default: 1.0 for sgd, but 0.1 for sgd on blobs or with mse; 0.05 for adam and "
        f"adamw). Rates that reach 100%% on the default run: {_lr_help()}",
    )
    add("--epochs", type=int_at_least(1), default=100, help="passes over the data (default: 100)")
    add(
        "--batch-size",
        type=int_at_least(1),
        help="samples per optimizer step (default: all of them, one step per epoch)",
    )
    add("--seed", type=int, default=0, help="seed of the data, the parameters and the batches")
    add(
        "--eager",
        action="store_true",
        help="build a graph at every step instead of replaying compiled tapes with NumPy "
        "(slower, same steps up to rounding)",
    )


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    """Add the ``train`` subcommand to ``commands`` (argparse's subparsers).

    Args:
        commands: what ``ArgumentParser.add_subparsers()`` returned.

    Returns:
        The subcommand's parser.

    Example:
        >>> commands = argparse.ArgumentParser(prog="chainrule").add_subparsers()
        >>> add_parser(commands).prog
        'chainrule train'
    """
    parser = commands.add_parser(
        "train",
        help="train an MLP on a toy dataset and save plots, metrics and the model",
        description="Train an MLP on a toy 2-D dataset. With no options: micrograd's demo "
        "(two moons, MLP 2-16-16-1, hinge loss + L2, SGD), which reaches 100% accuracy. "
        "Writes metrics.json, loss.png, decision_boundary.png, model.json and neuron.svg "
        "(and neuron.html with --html).",
    )
    _add_options(parser)
    parser.set_defaults(run=run)
    return parser


def build_train_parser() -> argparse.ArgumentParser:
    """A stand-alone parser with ``train``'s options (for examples and tests).

    Example:
        >>> build_train_parser().parse_args(["--hidden", "8"]).hidden
        [8]
    """
    parser = argparse.ArgumentParser(prog="chainrule train")
    _add_options(parser)
    return parser


def _check_extras(progress: bool, tape: bool) -> None:
    """Fail before training, not after it, when something the run needs is not installed."""
    plots.require_matplotlib("chainrule train (loss.png, decision_boundary.png)")
    if tape:
        try:
            import numpy  # noqa: F401 (only checking that it imports)
        except ImportError:
            raise ImportError(
                "chainrule train's compiled tapes need numpy: pip install 'chainrule[fast]' "
                "(or pass --eager)"
            ) from None
    if render.find_renderer() is None:
        raise ImportError(render.NO_RENDERER.format(what="chainrule train (neuron.svg)"))
    if progress:
        try:
            import tqdm  # noqa: F401 (only checking that it imports)
        except ImportError:
            raise ImportError(
                "chainrule train's progress bar needs tqdm: pip install 'chainrule[progress]' "
                "(or pass --quiet)"
            ) from None


def _prepare_folder(out: str) -> Path:
    folder = Path(out)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise OSError(f"cannot write to the output folder {out!r}: {e.strerror or e}") from None
    return folder


@dataclass
class _Trained:
    model: MLP
    X: list[list[float]]
    labels: list[int]
    history: History
    final: dict[str, float]
    optimizer: Optimizer
    initial_loss: float  # before the first step, to tell progress from divergence


def _train(plan: TrainingPlan, progress: bool) -> _Trained:
    X, labels = DATASETS[plan.dataset].make(plan.samples, plan.noise, plan.classes, plan.seed)
    spec = LOSSES[plan.loss]
    targets = [2 * t - 1 for t in labels] if spec.signed else list(labels)
    model = MLP(
        2, [*plan.hidden, plan.outputs], activation=plan.activation, init=plan.init, seed=plan.seed
    )
    params = model.parameters()

    def objective(preds: list[Any], targets: list[Any]) -> Value:
        loss = spec.function(preds, targets)
        # micrograd's regulariser: alpha * sum(p * p), as one dot node.
        return loss + plan.l2 * dot(params, params) if plan.l2 else loss

    def correct(pred: Any, target: int) -> bool:
        return _decide(pred) == (target if spec.multiclass else int(target > 0))

    optimizer = OPTIMIZERS[plan.optimizer](params, lr=plan.lr)
    initial = evaluate(model, X, targets, objective, accuracy=correct)["loss"]
    schedule = LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=plan.epochs)
    try:
        history = fit(
            model, X, targets, objective, optimizer, epochs=plan.epochs,
            batch_size=plan.batch_size, seed=plan.seed, scheduler=schedule, accuracy=correct,
            progress=progress, tape=plan.tape,
        )  # fmt: skip
        final = evaluate(model, X, targets, objective, accuracy=correct)
    except (ArithmeticError, ValueError) as e:
        # Overflowing numbers surface as OverflowError, or as a ValueError from math.fsum
        # ("-inf + inf in fsum"); other ValueErrors are not about divergence.
        if isinstance(e, ValueError) and _all_finite(params) and not _NOT_FINITE.search(str(e)):
            raise
        raise ArithmeticError(f"training diverged ({e}); try a smaller --lr") from None
    if not _all_finite(params):
        raise ArithmeticError(
            f"training diverged (parameters became inf or nan); {_smaller_lr(plan)}"
        )
    _check_diverged(plan, initial, final["loss"])
    return _Trained(model, X, labels, history, final, optimizer, initial)


# A final loss this many times the initial one means training made things worse: diverged.
DIVERGED_FACTOR = 10.0
# A final accuracy within this of chance (1 / classes) means training stalled.
STALLED_MARGIN = 0.05


def _smaller_lr(plan: TrainingPlan) -> str:
    """What to try after a diverged run: the measured rate, if smaller, else a tenth."""
    lr = good_lr(plan.optimizer, plan.batch_size, plan.samples)
    lr = lr if lr < plan.lr else plan.lr / 10
    return f"try a smaller --lr, such as --lr {lr:g} (see --help for rates that work)"


def _check_diverged(plan: TrainingPlan, initial: float, final: float) -> None:
    """Raise ArithmeticError if the loss ended non-finite or many times above its start."""
    if not math.isfinite(final) or final > DIVERGED_FACTOR * max(initial, 1e-12):
        raise ArithmeticError(
            f"training diverged: the loss went from {initial:.4g} to {final:.4g} with "
            f"{plan.optimizer} at lr {plan.lr:g}; {_smaller_lr(plan)}"
        )


def stalled_warning(plan: TrainingPlan, trained: _Trained) -> str | None:
    """A one-line warning when the final accuracy is at chance, else None.

    The advice follows the loss: if it did not go down, the steps were too big (a
    smaller --lr); if it went down a little, too small or too few.
    """
    accuracy = trained.final["accuracy"]
    chance = 1 / plan.classes
    if accuracy > chance + STALLED_MARGIN:
        return None
    initial, final = trained.initial_loss, trained.final["loss"]
    if final > 1.01 * initial:  # the loss went up: steps too big
        advice = _smaller_lr(plan)
    else:
        advice = "try a larger --lr or more --epochs (see --help for rates that work)"
    return (
        f"training stalled: accuracy {100 * accuracy:.1f}% is chance for {plan.classes} "
        f"classes after {plan.epochs} epochs (loss {initial:.4g} -> {final:.4g}); {advice}"
    )


_NOT_FINITE = re.compile(r"\b(inf|nan)\b")


def _all_finite(params: list[Value]) -> bool:
    """Whether no parameter became inf or nan (the sign of a diverged run)."""
    return all(math.isfinite(p.data) for p in params)


def _decide(pred: Any) -> int:
    """The class a prediction picks: the sign of one score, or the largest of several."""
    if isinstance(pred, list):
        return max(range(len(pred)), key=lambda k: pred[k].data)
    return int(pred.data > 0)


def _eager_scores(model: MLP) -> Callable[[list[list[float]]], list[Any]]:
    """The model's scores for many points, one forward pass each."""

    @no_grad()
    def scores(points: list[list[float]]) -> list[Any]:
        outs = [model(p) for p in points]
        return [[v.data for v in o] if isinstance(o, list) else o.data for o in outs]

    return scores


def _tape_scores(model: MLP) -> Callable[[list[list[float]]], list[Any]]:
    """The model's scores for many points, from one tape of the forward pass replayed on
    all of them at once (the model has no Python branches on values: only ops)."""
    import numpy as np

    tape = trace(lambda x1, x2: model([x1, x2]), 0.0, 0.0, params=model.parameters())

    def scores(points: list[list[float]]) -> list[Any]:
        x1, x2 = np.array(points, dtype=float).T
        out = tape.batch(x1, x2)
        # One output: an array of scores; several: a tuple of arrays, one per class.
        rows: list[Any] = np.column_stack(out).tolist() if isinstance(out, tuple) else out.tolist()
        return rows

    return scores


@dataclass
class _NeuronPicture:
    """One first-layer neuron on one sample, after a backward pass (``_neuron_picture``)."""

    name: str  # layers.0.neurons.k
    sample: int  # which training point
    grads_of: str  # what the gradients are of, for the captions
    graph: Graph  # for neuron.svg
    page: Walkthrough | None  # for neuron.html, if asked for

    def caption(self, what: str) -> str:
        return f"{what} neuron {self.name} on sample {self.sample}, {self.grads_of}".lstrip()


def _neuron_picture(
    plan: TrainingPlan, trained: _Trained, grads: str, html: bool
) -> _NeuronPicture:
    """A first-layer neuron on one sample, with the gradients of ``grads``: "loss" (that
    sample's loss, backpropagated through the whole network: what training follows) or
    "neuron" (the neuron's own output: d neuron / d value).

    The first sample and neuron through which a gradient flows are drawn (a ReLU that
    is off passes none, a sample the hinge loss is happy with neither, and a picture of
    zeros teaches little); sample 0 and neuron 0 if none does. Leaves the model's
    gradients as training left them (zero).
    """
    model = trained.model
    neurons = model.layers[0].neurons
    spec = LOSSES[plan.loss]
    candidates = [(i, k) for i in range(len(trained.X)) for k in range(len(neurons))]
    if grads == "neuron":
        candidates = [(0, k) for k in range(len(neurons))]
    for i, k in [*candidates, (0, 0)]:
        x = [Value(v, label=f"x.{j}") for j, v in enumerate(trained.X[i])]
        model.zero_grad()
        outs = model.layers[0](x)
        if grads == "neuron":
            outs[k].backward()
        else:
            h: list[Value] = outs
            for layer in model.layers[1:]:
                h = layer(h)
            label = trained.labels[i]
            target = (2 * label - 1) if spec.signed else label
            spec.function([h[0] if len(h) == 1 else h], [target]).backward()
        if any(p.grad != 0.0 for p in neurons[k].parameters()):
            break
    out = outs[k]
    out.label = name = f"layers.0.neurons.{k}"
    if grads == "neuron":
        grads_of = f"with the gradients of its output (d {name} / d value)"
    else:
        grads_of = f"with the gradients of that sample's {plan.loss} loss (d loss / d value)"
    params = neurons[k].named_parameters()
    graph = draw(out, params=params)
    # The page walks the neuron's own graph; starting it from out.grad gives the loss's.
    page = walkthrough(out, params=params, upstream=out.grad) if html else None
    model.zero_grad()  # after drawing: the drawing and the page hold their numbers already
    return _NeuronPicture(name, i, grads_of, graph, page)


def _write_outputs(
    plan: TrainingPlan, trained: _Trained, folder: Path, neuron_grads: str, html: bool
) -> list[tuple[Path, str]]:
    """Write the five files (six with ``html``); returns (path, what it holds) pairs."""
    metrics = {"config": asdict(plan), "history": trained.history, "final": trained.final}
    names = ("metrics.json", "loss.png", "decision_boundary.png", "model.json", "neuron.svg")
    paths = {name: folder / name for name in names}
    write_atomic(paths["metrics.json"], (json.dumps(metrics, indent=1) + "\n").encode("utf-8"))
    loss_name = f"{plan.loss} loss" + (f" + {plan.l2:g} L2" if plan.l2 else "")
    plots.save_figure(plots.history_figure(trained.history, title=loss_name), paths["loss.png"])
    model = trained.model

    accuracy = trained.final["accuracy"]
    title = f"{plan.dataset}: training accuracy {100 * accuracy:.1f}%"
    scores = _tape_scores(model) if plan.tape else _eager_scores(model)
    figure = plots.decision_boundary_figure(scores, trained.X, trained.labels, title=title)
    plots.save_figure(figure, paths["decision_boundary.png"])
    save(model, paths["model.json"], trained.optimizer)
    neuron = _neuron_picture(plan, trained, neuron_grads, html)
    neuron.graph.save(paths["neuron.svg"])
    pages = []
    if neuron.page is not None:
        page = neuron.page.save(folder / "neuron.html")
        pages = [(page, "the same neuron's forward and backward pass, step by step")]
    return [
        (paths["metrics.json"], "loss, accuracy and learning rate per epoch"),
        (paths["loss.png"], "the loss and accuracy curves"),
        (paths["decision_boundary.png"], "the data over the model's decision regions"),
        (paths["model.json"], f"the trained model: nn.load({str(paths['model.json'])!r})"),
        (paths["neuron.svg"], neuron.caption("")),
        *pages,
    ]


def _write_together(
    plan: TrainingPlan, trained: _Trained, folder: Path, neuron_grads: str, html: bool
) -> list[tuple[Path, str]]:
    """``_write_outputs`` so that a run's files appear together or not at all.

    They are written into a temporary folder inside ``folder`` (the same file system),
    then each is renamed into place only after all of them were written: a failure or a
    Ctrl-C while writing leaves the files of the previous run as they were, never a new
    metrics.json beside an old model.json. (Only the renames themselves, microseconds
    apart, are not one step.)
    """
    staging = Path(tempfile.mkdtemp(prefix=".chainrule-train-", dir=folder))
    try:
        staged = _write_outputs(plan, trained, staging, neuron_grads, html)
        placed = []
        for path, what in staged:
            target = folder / path.name
            os.replace(path, target)
            placed.append((target, what.replace(str(path), str(target))))  # nn.load(...)
        return placed
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    """Run ``chainrule train`` with parsed options; returns the exit status (0).

    Args:
        args: the parsed options (see ``add_parser``).

    Returns:
        0: training finished and the five files are written.

    Raises:
        UsageError: incompatible options (see ``make_plan``).
        ImportError: matplotlib, a Graphviz program, numpy (for tapes) or tqdm (for the
            bar) is missing.
        OSError: the output folder cannot be written.
        ArithmeticError: training diverged.

    Example:
        >>> import tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> args = build_train_parser().parse_args(
        ...     ["--epochs", "2", "--samples", "10", "--out", folder.name, "--quiet"])
        >>> run(args)
        training accuracy ...%, loss ...
        wrote 5 files to ...
        ...
        0
        >>> folder.cleanup()
    """
    plan = make_plan(args)
    progress = not args.quiet and sys.stdout is not None and sys.stdout.isatty()
    _check_extras(progress, plan.tape)
    folder = _prepare_folder(args.out)
    if not args.quiet:
        print(plan.describe(), flush=True)
    trained = _train(plan, progress)
    files = _write_together(plan, trained, folder, args.neuron_grads, args.html)
    final = trained.final
    print(f"training accuracy {100 * final['accuracy']:.1f}%, loss {final['loss']:.4g}")
    warning = stalled_warning(plan, trained)
    if warning is not None:
        print(f"chainrule train: warning: {warning}", file=sys.stderr)
    print(f"wrote {len(files)} files to {os.fspath(folder)}{os.sep}")
    width = max(len(os.fspath(path)) for path, _ in files)
    for path, what in files:
        print(f"  {os.fspath(path):<{width}}  {what}")
    return 0
