"""chainrule's neural-network layer on ``autograd.Value``: modules, losses, optimizers,
schedules, toy datasets, a training loop, JSON checkpoints and, in ``nn.plots``,
pictures of training (matplotlib, the ``plot`` extra, imported only when one is drawn).

Example:
    >>> import nn
    >>> X, y = nn.datasets.make_moons(40, noise=0.1, seed=0)
    >>> y = [2 * t - 1 for t in y]  # hinge loss labels are +1/-1
    >>> model = nn.MLP(2, [8, 1], seed=0)
    >>> history = nn.fit(model, X, y, nn.hinge_loss, nn.SGD(model.parameters(), lr=0.1),
    ...                  epochs=30, progress=False)
    >>> history["loss"][-1] < history["loss"][0]
    True
"""

# Checked before anything else is imported from `autograd`: HIPS autograd (PyPI's
# `autograd`) has the same import name, and a missing `Value` would be a baffling error.
import autograd

if getattr(autograd, "__distribution__", None) != "chainrule":
    raise ImportError(
        "nn needs chainrule's `autograd` package, but `import autograd` found another one "
        f"at {getattr(autograd, '__file__', '?')!r} (probably HIPS autograd from PyPI). "
        "Uninstall it (pip uninstall autograd) and reinstall chainrule, or use a fresh "
        "virtual environment (`make test` creates one in .venv)."
    )

# plots imports matplotlib only inside its functions: `import nn` stays light.
from . import datasets, plots
from .activations import ACTIVATIONS
from .checkpoint import load, save
from .init import INIT_SCHEMES
from .losses import (
    bce_loss,
    bce_with_logits_loss,
    cross_entropy_loss,
    hinge_loss,
    mse_loss,
    softmax,
)
from .module import MLP, Layer, Module, Neuron
from .optim import SGD, Adam, AdamW, Optimizer
from .schedules import LinearLR, StepLR
from .taped import TapedLoss
from .train import evaluate, fit

__all__ = [
    "ACTIVATIONS",
    "INIT_SCHEMES",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "Layer",
    "LinearLR",
    "Module",
    "Neuron",
    "Optimizer",
    "StepLR",
    "TapedLoss",
    "bce_loss",
    "bce_with_logits_loss",
    "cross_entropy_loss",
    "datasets",
    "evaluate",
    "fit",
    "hinge_loss",
    "load",
    "mse_loss",
    "plots",
    "save",
    "softmax",
]
