"""Parameter initialisation schemes, reproducible from a seed.

Every scheme draws from a ``random.Random`` (Mersenne Twister, the same stream on every
platform and Python version), in parameter order: each neuron's weights, then its bias.

- ``"pytorch"`` (the default): weights and bias uniform in +-1/sqrt(fan_in), as
  ``torch.nn.Linear`` does. Keeps the scale of each layer's output independent of its width.
- ``"uniform"``: weights uniform in (-1, 1), bias 0: micrograd's ``Neuron``.
- ``"normal"``: weights standard normal, bias 0: ``np.random.randn`` weights and zero
  biases, as in the backprop article's XOR network (shared/seeds).

The uniform schemes use only ``random()`` and IEEE arithmetic, so a seed gives bit-identical
parameters on every machine. ``"normal"`` uses ``random.gauss``, which also calls
``math.log``/``math.cos``/``math.sqrt``; these agree across mainstream C libraries in
practice, but IEEE does not require it to the last bit.
"""

from __future__ import annotations

import math
import random

__all__ = ["INIT_SCHEMES", "check_scheme", "init_neuron", "make_rng"]

INIT_SCHEMES = ("normal", "pytorch", "uniform")


def make_rng(seed: int | random.Random | None) -> random.Random:
    """The random generator a module draws its parameters from.

    Args:
        seed: an int (reproducible), a ``random.Random`` to share (``MLP`` passes one
            generator to all its layers so one seed fixes the whole network), or None
            (fresh entropy from the operating system).

    Returns:
        A ``random.Random``.

    Example:
        >>> make_rng(0).random() == make_rng(0).random()
        True
    """
    if isinstance(seed, random.Random):
        return seed
    if seed is None:
        return random.Random()
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(
            f"seed must be an int, a random.Random or None, got {type(seed).__name__}: {seed!r}"
        )
    return random.Random(seed)


def check_scheme(init: str) -> str:
    """Return ``init`` if it names a scheme in ``INIT_SCHEMES``, else raise ValueError.

    Example:
        >>> check_scheme("pytorch")
        'pytorch'
    """
    if init not in INIT_SCHEMES:
        raise ValueError(f"unknown init scheme {init!r}; expected one of {list(INIT_SCHEMES)}")
    return init


def init_neuron(
    init: str, fan_in: int, bias: bool, rng: random.Random
) -> tuple[list[float], float | None]:
    """Draw one neuron's starting weights and bias.

    Args:
        init: the scheme name (see the module docstring).
        fan_in: the number of inputs (weights) of the neuron.
        bias: whether the neuron has a bias (None is returned for it if not).
        rng: the generator to draw from.

    Returns:
        ``(weights, bias)`` as floats.

    Example:
        >>> w, b = init_neuron("uniform", 3, True, random.Random(0))
        >>> len(w), all(-1 <= x <= 1 for x in w), b
        (3, True, 0.0)
    """
    check_scheme(init)
    if init == "pytorch":
        bound = 1.0 / math.sqrt(fan_in)
        w = [rng.uniform(-bound, bound) for _ in range(fan_in)]
        return w, (rng.uniform(-bound, bound) if bias else None)
    if init == "uniform":
        w = [rng.uniform(-1.0, 1.0) for _ in range(fan_in)]
    else:
        w = [rng.gauss(0.0, 1.0) for _ in range(fan_in)]
    return w, (0.0 if bias else None)
