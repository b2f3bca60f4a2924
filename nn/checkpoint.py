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

Reading is bounded: at most ``MAX_BYTES`` (100 MB; raise it with ``max_bytes=``) are
read, only a regular file is opened (never a pipe or a device), and the sizes a saved
config describes are checked against the saved state before any network is built. A
malformed file is one ``ValueError`` (or ``TypeError``) line naming the file; values
echoed in it are cut short.

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
import reprlib
import stat
from collections.abc import Mapping
from typing import Any, TypeVar, overload

from autograd._files import write_atomic

from .module import MLP, Module
from .optim import Optimizer

__all__ = ["FORMAT", "MAX_BYTES", "VERSION", "load", "read", "save"]

FORMAT = "chainrule-checkpoint"
VERSION = 1
MAX_BYTES = 100 * 1024 * 1024
"""The default cap on what ``read`` and ``load`` read from a file (``max_bytes=`` raises it)."""

# The longest integer a checkpoint may hold: step counts and layer widths need far fewer
# digits, and Python refuses to parse more than 4300 (with a message that names no file).
_MAX_DIGITS = 100


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


def read(path: str | os.PathLike[str], *, max_bytes: int = MAX_BYTES) -> dict[str, Any]:
    """Read and check a checkpoint file's structure; returns the parsed document.

    Args:
        path: the checkpoint file (a regular file: a pipe or a device is refused).
        max_bytes: refuse a file larger than this (default ``MAX_BYTES``, 100 MB).

    Raises:
        ValueError: the file is too large, not a regular file, not UTF-8 JSON, not a
            chainrule checkpoint, or has another format version.

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
    where = f"load: {path!r}"
    document = _parse(_read_bytes(path, max_bytes, where), where)
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(f"{where} is not a chainrule checkpoint (no format {FORMAT!r})")
    version = document.get("version")
    # type(...) is int: True and 1.0 compare equal to 1 but are not version 1.
    if type(version) is not int or version != VERSION:
        raise ValueError(
            f"{where} has checkpoint format version {reprlib.repr(version)}; this chainrule "
            f"reads version {VERSION}"
        )
    if set(document) != {"format", "version", "model", "optimizer"}:
        raise ValueError(
            f"{where}: expected the keys format, version, model and optimizer; "
            f"got {reprlib.repr(sorted(document))}"
        )
    model = document["model"]
    if not isinstance(model, dict) or set(model) != {"class", "config", "state"}:
        raise ValueError(f"{where}: 'model' must hold 'class', 'config' and 'state'")
    name = model["class"]
    if not isinstance(name, str) or not name.isidentifier() or len(name) > 100:
        raise ValueError(f"{where}: the model class must be a class name, got {reprlib.repr(name)}")
    if not isinstance(model["state"], dict):
        raise ValueError(f"{where}: the model state must be an object of numbers")
    return document


def _read_bytes(path: str, max_bytes: int, where: str) -> bytes:
    """The file's bytes: a regular file of at most ``max_bytes``, never a pipe or a device."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"load: max_bytes must be a positive int, got {reprlib.repr(max_bytes)}")
    _check_regular(os.stat(path), max_bytes, where)
    # O_NONBLOCK: if a FIFO replaced the file since the stat, opening it does not wait for
    # a writer; the fstat below then refuses it.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as f:
        _check_regular(os.fstat(fd), max_bytes, where)
        data = f.read(max_bytes + 1)  # the file may have grown since the stat
    if len(data) > max_bytes:
        raise ValueError(f"{where} is larger than max_bytes={max_bytes} bytes")
    return data


def _check_regular(info: os.stat_result, max_bytes: int, where: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "a pipe, device or socket"
        raise ValueError(f"{where} is not a regular file ({kind})")
    if info.st_size > max_bytes:
        raise ValueError(
            f"{where} is {info.st_size} bytes, more than max_bytes={max_bytes} "
            "(pass a larger max_bytes= to read it)"
        )


def _parse(data: bytes, where: str) -> Any:
    """The JSON document in ``data``, non-finite names decoded; one-line errors otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(
            f"{where} is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})"
        ) from None
    try:
        return _decode(json.loads(text, parse_constant=_refuse_constant, parse_int=_parse_int))
    except json.JSONDecodeError as e:
        raise ValueError(f"{where} is not valid JSON ({e})") from None
    except RecursionError:
        raise ValueError(f"{where} is nested too deeply to be a checkpoint") from None
    except ValueError as e:  # from _refuse_constant or _parse_int
        raise ValueError(f"{where}: {e}") from None


def _refuse_constant(name: str) -> float:
    raise ValueError(
        f"the JSON extension {name} is not accepted; a non-finite number is written as "
        '"nan", "inf" or "-inf"'
    )


def _parse_int(digits: str) -> int:
    if len(digits.lstrip("-")) > _MAX_DIGITS:
        raise ValueError(f"an integer of {len(digits.lstrip('-'))} digits (at most {_MAX_DIGITS})")
    return int(digits)


M = TypeVar("M", bound=Module)


@overload
def load(
    path: str | os.PathLike[str],
    model: None = None,
    optimizer: Optimizer | None = None,
    strict: bool = True,
    *,
    max_bytes: int = MAX_BYTES,
) -> MLP: ...


@overload
def load(
    path: str | os.PathLike[str],
    model: M,
    optimizer: Optimizer | None = None,
    strict: bool = True,
    *,
    max_bytes: int = MAX_BYTES,
) -> M: ...


def load(
    path: str | os.PathLike[str],
    model: Module | None = None,
    optimizer: Optimizer | None = None,
    strict: bool = True,
    *,
    max_bytes: int = MAX_BYTES,
) -> Module:
    """Load a checkpoint into ``model`` (or rebuild the ``MLP`` it was saved from).

    Everything is checked first; on any error ``model`` and ``optimizer`` are unchanged.
    A rebuilt ``MLP``'s sizes are checked against the saved state before it is built.

    Args:
        path: the checkpoint file.
        model: the module to load into; None rebuilds an ``MLP`` from the saved config
            (possible when its activations were given by name).
        optimizer: if given, its state is restored too (the checkpoint must hold one).
        strict: as for ``Module.load_state_dict``. When rebuilding, the config's parameter
            count must equal the number of saved values (with ``strict=False``: at most it).
        max_bytes: refuse a file larger than this (default ``MAX_BYTES``, 100 MB).

    Returns:
        The model (``model`` itself, or the rebuilt ``MLP``).

    Raises:
        ValueError / TypeError: one line naming the file and what is wrong with it.

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
    document = read(path, max_bytes=max_bytes)
    saved = document["model"]
    where = f"load: {os.fspath(path)!r}"
    if model is not None and not isinstance(model, Module):
        raise TypeError(f"load: model must be an nn.Module or None, got {type(model).__name__}")
    if optimizer is not None and document["optimizer"] is None:
        raise ValueError(f"{where} holds no optimizer state")
    try:
        if model is None:
            model = _rebuild(saved, strict, where)
        else:
            if saved["class"] != type(model).__name__:
                raise ValueError(f"{where} holds a {saved['class']}, not a {type(model).__name__}")
            _check_same_config(saved["config"], model, where)
        new_values, _ = model._check_state_dict(saved["state"], strict)
        checked_optimizer = None
        if optimizer is not None:
            checked_optimizer = optimizer._check_state(document["optimizer"])
    except (TypeError, ValueError) as e:
        message = str(e)
        if not message.startswith(where):  # name the file in the errors of the checks
            message = f"{where}: {message}"
        raise type(e)(message) from None
    # Every check passed: now change things.
    params = dict(model.named_parameters())
    for name, value in new_values.items():
        params[name].data = value
    if checked_optimizer is not None:
        optimizer._apply_state(checked_optimizer)  # type: ignore[union-attr]  # set with it
    return model


_MLP_KEYS = {"nin", "nouts", "activation", "output_activation", "bias", "init"}


def _rebuild(saved: Mapping[str, Any], strict: bool, where: str) -> MLP:
    config = saved["config"]
    if saved["class"] != "MLP" or not isinstance(config, dict):
        raise ValueError(
            f"{where} holds a {saved['class']} without a config; build the model yourself "
            "and pass it as load(path, model=...)"
        )
    # Check the sizes against the state before building: a small file must not be able to
    # ask for a network of 10**8 parameters.
    if not set(config) <= _MLP_KEYS or not {"nin", "nouts"} <= set(config):
        raise ValueError(
            f"{where}: the MLP config must have keys nin, nouts and some of {sorted(_MLP_KEYS)}; "
            f"got {reprlib.repr(sorted(config))}"
        )
    nin, nouts, bias = config["nin"], config["nouts"], config.get("bias", True)
    sizes_ok = isinstance(nouts, list) and nouts and isinstance(bias, bool)
    if not sizes_ok or not all(type(n) is int and n >= 1 for n in [nin, *nouts]):
        raise ValueError(
            f"{where}: invalid MLP config: nin must be a positive int, nouts a non-empty list "
            f"of them and bias True or False; got nin={reprlib.repr(nin)}, "
            f"nouts={reprlib.repr(nouts)}, bias={reprlib.repr(bias)}"
        )
    widths = [nin, *nouts]
    count = sum(widths[i + 1] * (widths[i] + bias) for i in range(len(nouts)))
    held = len(saved["state"])
    if count > held or (strict and count != held):
        raise ValueError(
            f"{where}: the config describes an MLP of {count} parameters but the state holds "
            f"{held} numbers"
        )
    try:
        # seed=0: the parameters are overwritten from the checkpoint anyway.
        return MLP(**config, seed=0)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{where}: invalid MLP config {reprlib.repr(config)} ({e})") from None


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
        raise ValueError(
            f"{where} was saved from MLP {reprlib.repr(theirs)}, but this model is MLP {ours!r}"
        )
