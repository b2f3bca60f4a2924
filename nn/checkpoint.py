"""Checkpoints: a model's parameters (and optionally an optimizer's state) as JSON.

The file is one JSON object::

    {"format": "chainrule-checkpoint", "version": 1,
     "model": {"class": "MLP", "config": {...} or null,
               "state": {"layers.0.neurons.0.w.0": 0.1, ...}},
     "optimizer": {...} or null}

Floats are written with ``repr`` precision, so a load restores every bit. JSON has no
nan or infinity, so a non-finite number (a diverged run is worth keeping to inspect) is
written as the string ``"nan"``, ``"inf"`` or ``"-inf"`` and read back as that float: the
file stays strict JSON that any parser reads. Never pickle: loading a checkpoint runs no
code.

Saving is atomic (``autograd._files.write_atomic``): the text goes to a temporary file in
the same directory, which is then renamed over the target (``os.replace``), so an
interrupted save leaves the old file or the new one, never half of one. Loading checks
everything (format, version, names, numbers, the optimizer's state) before it changes
anything.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any, TypeVar, overload

from autograd._files import write_atomic

from .module import MLP, Module
from .optim import Optimizer

__all__ = ["FORMAT", "VERSION", "load", "read", "save"]

FORMAT = "chainrule-checkpoint"
VERSION = 1


def save(model: Module, path: str | os.PathLike[str], optimizer: Optimizer | None = None) -> None:
    """Write ``model``'s parameters (and ``optimizer``'s state) to ``path`` atomically.

    Args:
        model: the module to save.
        path: the file to write (replaced if it exists).
        optimizer: optionally, an optimizer whose state to save alongside (to resume).

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = os.path.join(folder.name, "net.json")
        >>> model = MLP(2, [3, 1], seed=0)
        >>> save(model, path)
        >>> load(path).state_dict() == model.state_dict()
        True
        >>> folder.cleanup()
    """
    if not isinstance(model, Module):
        raise TypeError(f"save: expected an nn.Module, got {type(model).__name__}")
    if optimizer is not None and not isinstance(optimizer, Optimizer):
        raise TypeError(f"save: optimizer must be an nn optimizer, got {type(optimizer).__name__}")
    document = {
        "format": FORMAT,
        "version": VERSION,
        "model": {
            "class": type(model).__name__,
            "config": model.config() if isinstance(model, MLP) else None,
            "state": model.state_dict(),
        },
        "optimizer": None if optimizer is None else optimizer.state_dict(),
    }
    # Serialise fully before touching the file system: an error here changes nothing.
    text = json.dumps(_encode(document), indent=1, allow_nan=False)
    write_atomic(path, text.encode("utf-8"))


_NON_FINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


def _encode(x: Any) -> Any:
    """The document with each non-finite float replaced by its name ("nan", "inf", "-inf")."""
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, dict):
        return {k: _encode(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_encode(v) for v in x]
    return x


def _decode(x: Any) -> Any:
    """The inverse of ``_encode`` for numbers in a model's or an optimizer's state."""
    if isinstance(x, str):
        return _NON_FINITE.get(x, x)
    if isinstance(x, dict):
        return {k: _decode(v) if k not in ("format", "class") else v for k, v in x.items()}
    if isinstance(x, list):
        return [_decode(v) for v in x]
    return x


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a checkpoint file's structure; returns the parsed document.

    Raises:
        ValueError: the file is not JSON, not a chainrule checkpoint, or has another
            format version.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = os.path.join(folder.name, "net.json")
        >>> save(MLP(1, [1], seed=0), path)
        >>> read(path)["model"]["class"]
        'MLP'
        >>> folder.cleanup()
    """
    path = os.fspath(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        document = _decode(json.loads(text))
    except json.JSONDecodeError as e:
        raise ValueError(f"load: {path!r} is not valid JSON ({e})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"load: {path!r} is not a chainrule checkpoint (no format {FORMAT!r})")
    version = document.get("version")
    if version != VERSION:
        raise ValueError(
            f"load: {path!r} has checkpoint format version {version!r}; this chainrule reads "
            f"version {VERSION}"
        )
    model = document.get("model")
    if not isinstance(model, dict) or set(model) != {"class", "config", "state"}:
        raise ValueError(f"load: {path!r}: 'model' must hold 'class', 'config' and 'state'")
    if not isinstance(model["state"], dict):
        raise ValueError(f"load: {path!r}: the model state must be an object of numbers")
    if set(document) != {"format", "version", "model", "optimizer"}:
        raise ValueError(
            f"load: {path!r}: expected the keys format, version, model and optimizer; "
            f"got {sorted(document)}"
        )
    return document


M = TypeVar("M", bound=Module)


@overload
def load(
    path: str | os.PathLike[str],
    model: None = None,
    optimizer: Optimizer | None = None,
    strict: bool = True,
) -> MLP: ...


@overload
def load(
    path: str | os.PathLike[str], model: M, optimizer: Optimizer | None = None, strict: bool = True
) -> M: ...


def load(
    path: str | os.PathLike[str],
    model: Module | None = None,
    optimizer: Optimizer | None = None,
    strict: bool = True,
) -> Module:
    """Load a checkpoint into ``model`` (or rebuild the ``MLP`` it was saved from).

    Everything is checked first; on any error ``model`` and ``optimizer`` are unchanged.

    Args:
        path: the checkpoint file.
        model: the module to load into; None rebuilds an ``MLP`` from the saved config
            (possible when its activations were given by name).
        optimizer: if given, its state is restored too (the checkpoint must hold one).
        strict: as for ``Module.load_state_dict``.

    Returns:
        The model (``model`` itself, or the rebuilt ``MLP``).

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = os.path.join(folder.name, "net.json")
        >>> a, b = MLP(2, [1], seed=0), MLP(2, [1], seed=1)
        >>> save(a, path)
        >>> load(path, model=b) is b, b.state_dict() == a.state_dict()
        (True, True)
        >>> folder.cleanup()
    """
    document = read(path)
    saved = document["model"]
    where = f"load: {os.fspath(path)!r}"
    if model is None:
        model = _rebuild(saved, where)
    elif not isinstance(model, Module):
        raise TypeError(f"load: model must be an nn.Module or None, got {type(model).__name__}")
    else:
        if saved["class"] != type(model).__name__:
            raise ValueError(f"{where} holds a {saved['class']}, not a {type(model).__name__}")
        _check_same_config(saved["config"], model, where)
    new_values, _ = model._check_state_dict(saved["state"], strict)
    checked_optimizer = None
    if optimizer is not None:
        if document["optimizer"] is None:
            raise ValueError(f"{where} holds no optimizer state")
        checked_optimizer = optimizer._check_state(document["optimizer"])
    # Every check passed: now change things.
    params = dict(model.named_parameters())
    for name, value in new_values.items():
        params[name].data = value
    if optimizer is not None and checked_optimizer is not None:
        optimizer._apply_state(checked_optimizer)
    return model


def _rebuild(saved: Mapping[str, Any], where: str) -> MLP:
    config = saved["config"]
    if saved["class"] != "MLP" or not isinstance(config, dict):
        raise ValueError(
            f"{where} holds a {saved['class']} without a config; build the model yourself "
            "and pass it as load(path, model=...)"
        )
    try:
        # seed=0: the parameters are overwritten from the checkpoint anyway.
        return MLP(**config, seed=0)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: invalid MLP config {config!r} ({e})") from None


def _check_same_config(config: Any, model: Module, where: str) -> None:
    own_config = model.config() if isinstance(model, MLP) else None
    if config is None or own_config is None:
        return
    # The init scheme only matters at construction; everything else changes the network.
    ours = {k: v for k, v in own_config.items() if k != "init"}
    theirs = (
        {k: v for k, v in config.items() if k != "init"} if isinstance(config, dict) else config
    )
    if ours != theirs:
        raise ValueError(f"{where} was saved from MLP {theirs!r}, but this model is MLP {ours!r}")
