"""Modules: ``Module`` (the base), ``Neuron``, ``Layer`` and ``MLP``.

A module's parameters are the ``Value`` leaves held in its public attributes, directly,
inside sub-modules, or inside lists/tuples of those. They are listed in attribute order,
which for the built-in modules is micrograd's: layer by layer, neuron by neuron, each
neuron's weights then its bias. Names are dotted paths such as ``layers.0.neurons.1.w.0``.
"""

from __future__ import annotations

import numbers
import os
import random
import reprlib
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, TypeVar

from autograd import Value, dot
from autograd._numbers import is_number

from ._grads import zero_grads
from .activations import Activation, resolve_activation
from .init import check_scheme, init_neuron, make_rng

__all__ = ["MLP", "IncompatibleKeys", "Layer", "Module", "Neuron"]


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(..., strict=False)`` skipped: names missing and unexpected."""

    missing_keys: list[str]
    unexpected_keys: list[str]


M = TypeVar("M", bound="Module")

def _collect(prefix: str, obj: Any, out: list[tuple[str, Value]]) -> None:
    if isinstance(obj, Value):
        out.append((prefix, obj))
    elif isinstance(obj, Module):
        for name, p in obj.named_parameters():
            out.append((f"{prefix}.{name}", p))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            _collect(f"{prefix}.{i}", item, out)


def _check_size(name: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"{name} must be a positive int, got {n!r}")
    return n


def _as_values(x: Sequence[Value | float], nin: int, who: str) -> list[Value]:
    """Check an input vector's length and wrap its numbers as Values (once, not per neuron)."""
    if isinstance(x, (Value, numbers.Real, str, bytes)):
        raise TypeError(f"{who}: expected a sequence of {nin} inputs, got {type(x).__name__}")
    try:
        n = len(x)
    except TypeError:
        raise TypeError(
            f"{who}: expected a sequence of {nin} inputs, got {type(x).__name__}"
        ) from None
    if n != nin:
        raise ValueError(f"{who}: expected {nin} inputs, got {n}")
    out = []
    for i, xi in enumerate(x):
        if type(xi) is not Value:
            if not is_number(xi) and not isinstance(xi, Value):
                raise TypeError(
                    f"{who}: input {i} must be a number or a Value, got {type(xi).__name__}"
                )
            xi = xi if isinstance(xi, Value) else Value(float(xi))
        out.append(xi)
    return out


class Module:
    """Base class: parameter listing, gradients reset, state dicts and checkpoints.

    Subclasses hold their parameters (``Value``s) and sub-modules in public attributes
    and define ``__call__``. Attributes whose names start with ``_`` are ignored.

    Example:
        >>> class Affine(Module):
        ...     def __init__(self):
        ...         self.a = Value(2.0)
        ...         self.b = Value(1.0)
        ...     def __call__(self, x):
        ...         return self.a * x + self.b
        >>> m = Affine()
        >>> [name for name, _ in m.named_parameters()], m(3.0).data
        (['a', 'b'], 7.0)
    """

    def named_parameters(self) -> list[tuple[str, Value]]:
        """``(dotted name, parameter)`` pairs in parameter order, each parameter once.

        Example:
            >>> Neuron(2, seed=0).named_parameters()[2][0]
            'b'
        """
        found: list[tuple[str, Value]] = []
        for name, attr in vars(self).items():
            if not name.startswith("_"):
                _collect(name, attr, found)
        seen: set[Value] = set()
        unique = []
        for name, p in found:  # a parameter shared by two sub-modules is listed once
            if p not in seen:
                seen.add(p)
                unique.append((name, p))
        return unique

    def parameters(self) -> list[Value]:
        """The parameters in micrograd's order (a new list each call).

        Example:
            >>> len(MLP(2, [3, 1], seed=0).parameters())  # 3 * (2 + 1) + (3 + 1)
            13
        """
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many scalar parameters the module has.

        Example:
            >>> MLP(2, [16, 16, 1], seed=0).num_parameters()
            337
        """
        return len(self.named_parameters())

    def summary(self) -> str:
        """A table of the module's layers: inputs, neurons, activation and parameters.

        Returns:
            The table as text, one row per layer (one row for a module without layers)
            and a last row with the total number of parameters.

        Example:
            >>> print(MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh").summary())
            layer  inputs  neurons  activation  parameters
            0           3        4  tanh                16
            1           4        4  tanh                20
            2           4        1  tanh                 5
            total                                       41
        """
        header = ("layer", "inputs", "neurons", "activation", "parameters")
        rows = [header, *(tuple(map(str, row)) for row in self._summary_rows())]
        rows.append(("total", "", "", "", str(self.num_parameters())))
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        numeric = (False, True, True, False, True)  # numbers right-aligned, names left

        def line(row: tuple[str, ...]) -> str:
            cells = [
                cell.rjust(w) if right and row is not header else cell.ljust(w)
                for cell, w, right in zip(row, widths, numeric, strict=True)
            ]
            return "  ".join(cells).rstrip()

        return "\n".join(line(row) for row in rows)

    def _summary_rows(self) -> list[tuple[object, ...]]:
        """``summary()``'s rows: (name, inputs, neurons, activation, parameters)."""
        return [(type(self).__name__, "", "", "", self.num_parameters())]

    def zero_grad(self, set_to_none: bool = False) -> None:
        """Set every parameter's ``.grad`` to 0.0 (leaves accumulate across ``backward``).

        Args:
            set_to_none: accepted so that PyTorch code runs unchanged; chainrule's
                gradients are always numbers, so True also sets 0.0 (the same training:
                a zero gradient adds nothing).

        Example:
            >>> n = Neuron(1, seed=0); n([1.0]).backward(); n.zero_grad(set_to_none=True)
            >>> [p.grad for p in n.parameters()]
            [0.0, 0.0]
        """
        zero_grads(self.parameters(), set_to_none, type(self).__name__)

    def state_dict(self) -> dict[str, float]:
        """The parameters' values by name, as plain floats (a copy, safe to keep).

        Example:
            >>> sorted(Neuron(2, seed=0).state_dict())
            ['b', 'w.0', 'w.1']
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float], strict: bool = True) -> IncompatibleKeys:
        """Set parameter values from ``state``; all checks happen before anything changes.

        Args:
            state: parameter name -> number, as made by ``state_dict()``.
            strict: if True, a missing or an unexpected name is an error; if False, those
                are skipped and reported in the result.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``.

        Raises:
            TypeError: ``state`` is not a mapping, or a value is not a real number.
            ValueError: with ``strict``, names are missing or unexpected.

        Example:
            >>> n = Neuron(2, seed=0)
            >>> _ = n.load_state_dict({"w.0": 1.0, "w.1": 2.0, "b": 3.0})
            >>> n([1.0, 1.0]).data  # relu(1 + 2 + 3)
            6.0
        """
        new, result = self._check_state_dict(state, strict)
        params = dict(self.named_parameters())
        for name, value in new.items():
            params[name].data = value
        return result

    def _check_state_dict(
        self, state: Any, strict: bool
    ) -> tuple[dict[str, float], IncompatibleKeys]:
        """Validate ``state`` without changing anything; returns the values to set."""
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict: expected a mapping, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [name for name in params if name not in state]
        unexpected = [name for name in state if name not in params]
        if strict and (missing or unexpected):
            raise ValueError(
                # reprlib: a hostile state can have a million names; show the first few.
                f"load_state_dict: missing keys {reprlib.repr(missing)}, unexpected keys "
                f"{reprlib.repr(unexpected)} (pass strict=False to load the names that match)"
            )
        new = {}
        for name, value in state.items():
            if name in params:
                if not is_number(value):
                    raise TypeError(
                        f"load_state_dict: value for {name!r} must be a number, "
                        f"got {type(value).__name__}: {reprlib.repr(value)}"
                    )
                new[name] = float(value)
        return new, IncompatibleKeys(missing, unexpected)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to a JSON checkpoint at ``path`` (atomically).

        See ``nn.save`` for the format; ``nn.load(path)`` rebuilds an ``MLP``.

        Example:
            >>> import os, tempfile
            >>> folder = tempfile.TemporaryDirectory()
            >>> path = os.path.join(folder.name, "net.json")
            >>> MLP(2, [1], seed=0).save(path)
            >>> os.path.exists(path)
            True
            >>> folder.cleanup()
        """
        from .checkpoint import save

        save(self, path)

    def load(self: M, path: str | os.PathLike[str], strict: bool = True) -> M:
        """Load parameters from a checkpoint into this module; returns the module.

        Example:
            >>> import os, tempfile
            >>> folder = tempfile.TemporaryDirectory()
            >>> path = os.path.join(folder.name, "net.json")
            >>> a, b = MLP(2, [1], seed=0), MLP(2, [1], seed=1)
            >>> a.save(path); b.load(path).state_dict() == a.state_dict()
            True
            >>> folder.cleanup()
        """
        from .checkpoint import load

        load(path, model=self, strict=strict)
        return self


class Neuron(Module):
    """One unit: ``activation(w . x + b)``.

    Args:
        nin: number of inputs.
        activation: a name (``"relu"``, ``"tanh"``, ``"sigmoid"``, ``"leaky_relu"``,
            ``"linear"``), a callable on a ``Value``, or None for linear.
        bias: whether to add a bias ``b``.
        init: initialisation scheme, see ``nn.init`` (default ``"pytorch"``).
        seed: int, ``random.Random`` or None (see ``nn.init.make_rng``).

    Example:
        >>> n = Neuron(2, activation="linear", seed=0)
        >>> _ = n.load_state_dict({"w.0": 2.0, "w.1": -1.0, "b": 0.5})
        >>> n([3.0, 1.0]).data
        5.5
    """

    def __init__(
        self,
        nin: int,
        activation: str | Activation | None = "relu",
        bias: bool = True,
        init: str = "pytorch",
        seed: int | random.Random | None = None,
    ) -> None:
        self.nin = _check_size("nin", nin)
        self.activation, self._act = resolve_activation(activation)
        w, b = init_neuron(check_scheme(init), nin, bias, make_rng(seed))
        self.w = [Value(wi) for wi in w]
        self.b = None if b is None else Value(b)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        return self._forward(_as_values(x, self.nin, "Neuron"))

    def _forward(self, x: list[Value]) -> Value:
        # One `dot` node (the engine's many-input op, summed exactly) plus the bias.
        # Measured against the chain b + w0*x0 + w1*x1 + ... (micrograd's sum): 2.6x faster
        # to train a 2-16-16-1 MLP, 25% slower for the 2-input neurons of the XOR net.
        act = dot(self.w, x)
        if self.b is not None:
            act = act + self.b
        return self._act(act)

    def _summary_rows(self) -> list[tuple[object, ...]]:
        return [("neuron", self.nin, 1, self.activation, self.num_parameters())]

    def __repr__(self) -> str:
        bias = "" if self.b is not None else ", bias=False"
        return f"Neuron({self.nin}, activation={self.activation}{bias})"


class Layer(Module):
    """``nout`` neurons reading the same inputs; returns a list (even of one Value).

    Args:
        nin: inputs per neuron.
        nout: number of neurons.
        activation, bias, init, seed: as for ``Neuron`` (one generator feeds all neurons).

    Example:
        >>> layer = Layer(3, 2, seed=0)
        >>> out = layer([1.0, 2.0, 3.0])
        >>> len(out), layer.num_parameters()
        (2, 8)
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | Activation | None = "relu",
        bias: bool = True,
        init: str = "pytorch",
        seed: int | random.Random | None = None,
    ) -> None:
        self.nin = _check_size("nin", nin)
        self.nout = _check_size("nout", nout)
        check_scheme(init)
        rng = make_rng(seed)
        self.neurons = [Neuron(nin, activation, bias, init, rng) for _ in range(nout)]
        self.activation = self.neurons[0].activation

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        return self._forward(_as_values(x, self.nin, "Layer"))

    def _forward(self, x: list[Value]) -> list[Value]:
        return [n._forward(x) for n in self.neurons]

    def _summary_rows(self) -> list[tuple[object, ...]]:
        return [(0, self.nin, self.nout, self.activation, self.num_parameters())]

    def __repr__(self) -> str:
        bias = "" if self.neurons[0].b is not None else ", bias=False"
        return f"Layer({self.nin} -> {self.nout}, activation={self.activation}{bias})"


class MLP(Module):
    """A multilayer perceptron: ``Layer``s applied one after another.

    Args:
        nin: number of inputs.
        nouts: the width of each layer, e.g. ``[16, 16, 1]``.
        activation: the hidden layers' activation (default ``"relu"``).
        output_activation: the last layer's activation, set on its own: None (the
            default) means linear, as in micrograd's demo net. Pass the same name as
            ``activation`` for tanh everywhere, as in micrograd's lecture net:
            ``MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")``.
        bias: whether neurons have biases.
        init: initialisation scheme, see ``nn.init`` (default ``"pytorch"``).
        seed: int, ``random.Random`` or None; one seed fixes every parameter.

    Returns (when called): a single ``Value`` if the last layer has one neuron, else a list.

    Example:
        >>> model = MLP(2, [4, 1], activation="tanh", seed=0)
        >>> y = model([0.5, -1.0])
        >>> type(y).__name__, model.num_parameters()
        ('Value', 17)
        >>> lecture = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
        >>> [layer.activation for layer in lecture.layers]  # micrograd's lecture MLP
        ['tanh', 'tanh', 'tanh']
        >>> -1 < lecture([2.0, 3.0, -1.0]).data < 1
        True
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Activation | None = "relu",
        output_activation: str | Activation | None = None,
        bias: bool = True,
        init: str = "pytorch",
        seed: int | random.Random | None = None,
    ) -> None:
        _check_size("nin", nin)
        if isinstance(nouts, (int, str)) or not isinstance(nouts, Sequence) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer widths, got {nouts!r}")
        for n in nouts:
            _check_size("each layer width in nouts", n)
        check_scheme(init)
        rng = make_rng(seed)
        sizes = [nin, *nouts]
        last = len(nouts) - 1
        self.layers = [
            Layer(
                sizes[i],
                sizes[i + 1],
                output_activation if i == last else activation,
                bias,
                init,
                rng,
            )
            for i in range(len(nouts))
        ]
        self.nin = nin
        self.nouts = list(nouts)
        # What nn.load needs to rebuild this network (None when an activation is a callable).
        self._config: dict[str, Any] | None = None
        if all(isinstance(a, (str, type(None))) for a in (activation, output_activation)):
            self._config = {
                "nin": nin,
                "nouts": list(nouts),
                "activation": activation,
                "output_activation": output_activation,
                "bias": bias,
                "init": init,
            }

    # Any, not Value | list[Value]: which of the two depends on the widths given at run
    # time (the output is a Value when the last layer has one neuron), and a union would
    # make every `model(x).data` an error for a type checker.
    def __call__(self, x: Sequence[Value | float]) -> Any:
        x = _as_values(x, self.nin, "MLP")
        for layer in self.layers:
            x = layer._forward(x)
        # Only the network's final output is unwrapped: a one-neuron hidden layer still
        # passes a list on (micrograd's Layer unwraps it and the next layer then fails).
        return x[0] if len(x) == 1 else x

    def config(self) -> dict[str, Any] | None:
        """The constructor arguments (without ``seed``), or None if an activation is a callable.

        Example:
            >>> MLP(2, [1], seed=0).config()["nouts"]
            [1]
        """
        return None if self._config is None else dict(self._config)

    def _summary_rows(self) -> list[tuple[object, ...]]:
        return [
            (i, layer.nin, layer.nout, layer.activation, layer.num_parameters())
            for i, layer in enumerate(self.layers)
        ]

    def __repr__(self) -> str:
        lines = "".join(f"  ({i}): {layer!r}\n" for i, layer in enumerate(self.layers))
        return f"MLP(\n{lines})"
