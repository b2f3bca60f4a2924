"""Names for the pictures: one name per node, shared by ``draw``, ``explain`` and the
step-by-step page, and the parameter names of ``(name, Value)`` pairs.

This module is private to ``autograd.graph``; its names are shared by import rather than
written again (as ``autograd/_numbers.py`` does for numbers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..value import Value

__all__ = ["layer_of", "neuron_of", "node_names", "param_names"]


def param_names(
    params: Mapping[str, Value] | Iterable[tuple[str, Value]] | None,
) -> dict[Value, str]:
    """{parameter: dotted name} in parameter order; a repeated parameter keeps its first name.

    Args:
        params: ``(name, Value)`` pairs such as ``model.named_parameters()``, a
            ``{name: Value}`` dict, or None. Checked at run time too, for callers that have
            no type checker.

    Returns:
        The names by parameter (empty for None).

    Example:
        >>> w, b = Value(0.5), Value(0.0)
        >>> list(param_names([("w", w), ("b", b), ("again", w)]).values())
        ['w', 'b']
    """
    if params is None:
        return {}
    pairs = params.items() if isinstance(params, Mapping) else params
    if isinstance(pairs, (str, Value)) or not isinstance(pairs, Iterable):
        raise TypeError(
            "to_dot: params must be (name, Value) pairs such as model.named_parameters() "
            f"or a {{name: Value}} dict, got {type(params).__name__}"
        )
    names: dict[Value, str] = {}
    for i, pair in enumerate(pairs):
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise TypeError(
                f"to_dot: params[{i}] must be a (name, Value) pair, got {type(pair).__name__}"
            )
        name, value = pair
        if not isinstance(name, str) or not isinstance(value, Value):
            raise TypeError(
                f"to_dot: params[{i}] must be (str, Value), "
                f"got ({type(name).__name__}, {type(value).__name__})"
            )
        names.setdefault(value, name)
    return names


def node_names(order: list[Value], params: Mapping[Value, str]) -> dict[Value, str]:
    """How every node of a graph is called, the same in every picture and text.

    A parameter's dotted name first, else the node's label, else ``t<k>`` with ``k`` its
    position in ``order`` (the topological order from the output: the same graph gives
    the same names in ``draw``, ``explain`` and ``walkthrough``).

    Example:
        >>> x = Value(2.0, label="x")
        >>> y = x * 3.0
        >>> list(node_names([x, y.parents[1], y], {}).values())
        ['x', 't1', 't2']
    """
    return {node: params.get(node) or node.label or f"t{k}" for k, node in enumerate(order)}


def neuron_of(name: str) -> str:
    """The neuron a parameter belongs to: its name before the last non-numeric part.

    How ``to_dot`` groups and ``walkthrough`` walks a collapsed drawing.

    Example:
        >>> neuron_of("layers.0.neurons.1.w.0"), neuron_of("w")
        ('layers.0.neurons.1', '')
    """
    parts = name.split(".")
    last = len(parts) - 1
    while last >= 0 and parts[last].isdigit():
        last -= 1
    return ".".join(parts[:last]) if last > 0 else ""


def layer_of(neuron: str) -> str:
    """The layer a neuron belongs to.

    Example:
        >>> layer_of("layers.0.neurons.1")
        'layers.0'
    """
    parts = neuron.split(".")
    if len(parts) >= 2 and parts[-1].isdigit():
        return ".".join(parts[:-2])
    return ".".join(parts[:-1])
