"""The ``Value`` node: a float that remembers how it was computed.

A node stores its parents (in argument order, duplicates kept: ``a + a`` has two edges),
the local derivatives d(node)/d(parent) as floats, and the shared ``Rule`` that produced
it. It holds no closure and no reference back to its children, so graphs have no
reference cycles and are freed by reference counting the moment the last output is
dropped.

Layout. Nearly every op has one or two inputs, so a node keeps its parents in two slots,
``_p0`` and ``_p1`` (None when absent), and their local derivatives in ``_d0`` and
``_d1``. Two tuples per node instead would cost two more allocations and 112 bytes, and
made forward plus backward about a fifth slower (measured: benchmarks/engine.py). A node
with more than two parents (``dot``, ``total``, a many-input primitive) has ``_p0`` set
to the marker ``MANY`` and keeps tuples: its parents in ``_p1``, its local derivatives in
``_d1``. ``parents`` and ``local_grads`` always give tuples. The rule and the label
share ``_meta`` (see ``Named``): seven slots, 112 bytes a node.

The op methods are not written here: ``methods.py`` writes each from its rule's
formulas, and the class body below names them.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from typing import Any, Final, NoReturn

from . import grad_mode, methods
from . import rules as r
from ._numbers import is_number as _is_number
from ._numbers import to_float as _to_float

__all__ = ["HookHandle", "Named", "Value", "apply_rule", "apply_unchecked", "make_node"]

_new = object.__new__


class _Many(enum.Enum):
    """The marker in ``_p0`` of a node with more than two parents.

    An enum of one member, so that ``node._p0 is MANY`` also tells a type checker what
    ``_p0`` holds on either side of the test.
    """

    MANY = "MANY"

    def __repr__(self) -> str:
        return "MANY"


MANY: Final = _Many.MANY


def make_node(
    data: float, parents: tuple[Value, ...], local: tuple[Any, ...], rule: r.Rule
) -> Value:
    """Make an interior node from tuples (bypassing __init__'s input checks).

    For the engine's own many-input ops (sums.py) and ``apply_rule``: the caller has
    checked the inputs, and ``local`` holds one float per parent.
    """
    v = _new(Value)
    v.data = data
    v.grad = 0.0
    n = len(parents)
    if n == 1:
        v._p0 = parents[0]
        v._p1 = None
        v._d0 = local[0]
    elif n == 2:
        v._p0, v._p1 = parents
        v._d0, v._d1 = local
    else:
        v._p0 = MANY
        v._p1 = parents
        v._d1 = local
    v._meta = rule
    if grad_mode.open_blocks:
        grad_mode.adjust_new_node(v)
    return v


def _lift(rule: r.Rule, inputs: tuple[Value | float, ...]) -> tuple[Value, ...]:
    """The inputs of an op as Values: numbers become leaves, anything else is refused."""
    if not inputs:
        raise TypeError(f"{rule.name}: expected at least one input (a Value or a number)")
    parents = []
    for i, x in enumerate(inputs):
        if type(x) is not Value:
            if not _is_number(x):
                raise TypeError(
                    f"{rule.name}: input {i} must be a Value or a number, "
                    f"got {type(x).__name__}: {x!r}"
                )
            x = Value(x)
        parents.append(x)
    return tuple(parents)


def apply_rule(rule: r.Rule, inputs: tuple[Value | float, ...]) -> Value:
    """``rule(*inputs)``: check the inputs and the rule's domain, run it, make the node.

    A rule made by ``primitive`` is checked too: its forward must return a number and its
    derivative one number per input.

    Example:
        >>> apply_rule(r.MUL, (Value(3.0), 2)).data
        6.0
    """
    parents = _lift(rule, inputs)
    data = [p.data for p in parents]
    if rule.check is not None:
        _check_domain(rule, parents)
    out = rule.forward(*data)
    if type(out) is not float:
        if not _is_number(out):
            raise TypeError(
                f"{rule.name}: forward must return a number, got {type(out).__name__}: "
                f"{out!r} for inputs {tuple(data)}"
            )
        out = float(out)
    local = rule.derivative(out, *data)
    if not isinstance(local, (tuple, list)):
        raise TypeError(
            f"{rule.name}: derivative must return a tuple with one local derivative per "
            f"input, got {type(local).__name__} {local!r}; for one input write (d,)"
        )
    if len(local) != len(parents):
        raise ValueError(
            f"{rule.name}: derivative returned {len(local)} local derivatives for "
            f"{len(parents)} inputs; expected one per input"
        )
    for i, d in enumerate(local):
        if type(d) is not float and not _is_number(d):
            raise TypeError(
                f"{rule.name}: derivative entry {i} must be a number when the inputs "
                f"are floats, got {type(d).__name__}: {d!r}"
            )
    return make_node(out, parents, tuple(map(float, local)), rule)


def apply_unchecked(rule: r.Rule, inputs: tuple[Value | float, ...]) -> Value:
    """A built-in rule applied without its domain check, as formulas do on Values.

    A derivative is only evaluated where its op was defined; what it computes there may
    be infinite (sqrt'(0) = 0.5 * out ** -1), and must stay a node of the graph so that
    the next derivative is right too.
    """
    parents = _lift(rule, inputs)
    data = [p.data for p in parents]
    out = float(rule.forward(*data))
    return make_node(out, parents, tuple(rule.derivative(out, *data)), rule)


def _check_domain(rule: r.Rule, operands: tuple[Value, ...]) -> None:
    check = rule.violated(*(p.data for p in operands))
    if check is not None:
        raise rule.domain_error(check, *(_show(p) for p in operands))


def _show(node: Value) -> str:
    """How error messages name an operand: its value, and its label if it has one."""
    return f"{node.data!r} (label {node.label!r})" if node.label else repr(node.data)


Binary = Callable[["Value", "Value | float"], "Value"]
Unary = Callable[["Value"], "Value"]


def _binary_method(rule: r.Rule, doc: str) -> Binary:
    """Make ``Value.__add__`` and friends from ``rule``'s formulas (see methods.py): lift a
    number operand, check the rule's domain (``x / 0`` raises, naming both operands), make
    the node."""
    return methods.binary_method(rule, doc)


def _reflected_method(rule: r.Rule, doc: str) -> Binary:
    """Make ``Value.__radd__`` and friends: ``2 - x`` is SUB applied to (2, x)."""
    return methods.reflected_method(rule, doc)


def _unary_method(rule: r.Rule, doc: str) -> Unary:
    """Make ``Value.exp`` and friends from a one-input ``rule``'s formulas (see methods.py),
    its domain check included (log of 0 raises, naming the operand)."""
    return methods.unary_method(rule, doc)


def _power_method(doc: str) -> Binary:
    """Make ``Value.__pow__`` (see methods.power_method): the common exponents written
    out, any other through its rule; ``_power`` below does the rest."""
    return methods.power_method(_power, doc)


def _power(node: Value, other: Value | float) -> Value:
    """``node ** other`` where ``__pow__``'s fast paths do not apply: a Value exponent, a
    number exponent whose rule is not cached, or not a number at all."""
    if type(other) is Value:
        return _apply2(r.POW, node, other)
    if not _is_number(other):  # (True is not a number here: no power(1) for it)
        return NotImplemented  # type: ignore[no-any-return]
    return _family_node(r.power(other), node)


def _family_node(rule: r.Rule, node: Value) -> Value:
    """The node of family ``rule`` (``x ** 3``, ``leaky_relu(x, 0.1)``) applied to ``node``."""
    maker = rule.maker
    if maker is None:
        maker = rule.maker = methods.family_maker(rule)
    out: Value = maker(node)
    if grad_mode.open_blocks:  # (a family's maker leaves the modes to its caller)
        grad_mode.adjust_new_node(out)
    return out


# --- gradient hooks ------------------------------------------------------------------------
# Kept here, keyed by node, not on the node: a slot on every Value would cost 8 bytes a node
# for a feature few nodes use, and a WeakKeyDictionary needs ``__weakref__`` (another 8).
# The price of a plain dict: a node with a hook stays alive until the hook is removed.
# backward.py checks ``if hooks:`` once per call and takes its plain loop when it is empty.
Hook = Callable[[Any], Any]
hooks: dict[Value, dict[int, Hook]] = {}
_hook_ids = itertools.count()


class HookHandle:
    """What ``Value.register_hook`` returns: ``.remove()`` unregisters the hook.

    Removing twice is harmless. Also a context manager: the hook is removed on exit.
    """

    __slots__ = ("_id", "_node")

    def __init__(self, node: Value, hook_id: int) -> None:
        self._node = node
        self._id = hook_id

    def remove(self) -> None:
        """Unregister the hook (and let its node be freed once nothing else holds it)."""
        registered = hooks.get(self._node)
        if registered is not None:
            registered.pop(self._id, None)
            if not registered:
                del hooks[self._node]

    def __enter__(self) -> HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


# micrograd's private names, and what chainrule calls them (see Value._prev).
_MICROGRAD_NAMES: Final = {
    "_prev": "chainrule calls this .parents (a tuple in argument order, not a set)",
    "_op": "chainrule calls this .op",
    "_backward": (
        "chainrule has no per-node closure: call .backward() on the output, "
        "or see .local_grads (d(node)/d(parent) for each parent)"
    ),
}


def _micrograd_name(name: str) -> str:
    return f"Value has no attribute {name!r}: {_MICROGRAD_NAMES[name]}"


class Named:
    """What ``Value._meta`` holds for a labelled node: its rule and its label."""

    __slots__ = ("label", "rule")

    def __init__(self, rule: r.Rule | None, label: str) -> None:
        self.rule = rule
        self.label = label


class Value:
    """A scalar node in a computation graph.

    Args:
        data: the number (int or float; stored as float).
        label: an optional name, shown in graphs and error messages.

    Attributes:
        data: the float value.
        grad: d(output)/d(self) after ``output.backward()``; 0.0 before. Leaves (nodes
            with no parents) accumulate across backward calls; interior nodes are
            overwritten by each call.
        label: the name given at creation ("" if none).

    Comparison: ``<``, ``<=``, ``>``, ``>=`` compare ``.data`` (so ``max`` and ``sorted``
    work), but ``==`` and ``!=`` are identity, as for any object: nodes are dict keys
    throughout the engine. So ``Value(2.0) == Value(2.0)`` is False, and so is
    ``Value(2.0) == 2.0``; compare ``v.data == 2.0`` (or ``v.item()``) instead.

    Example:
        >>> a = Value(-4.0, label="a")
        >>> b = Value(2.0, label="b")
        >>> c = a * b + b**3
        >>> c.backward()
        >>> c.data, a.grad, b.grad
        (0.0, 2.0, 8.0)
    """

    __slots__ = ("_d0", "_d1", "_meta", "_p0", "_p1", "data", "grad")
    data: float
    grad: float
    # The layout of the module docstring: one or two parents in _p0 / _p1 with their
    # local derivatives in _d0 / _d1, or MANY in _p0 and tuples in _p1 / _d1. The loops
    # in backward.py know which from _p0, so _p1 and _d1 are not narrowed for a checker.
    _p0: Value | _Many | None
    _p1: Any
    _d0: float
    _d1: Any
    # The node's rule (None for a leaf), or a Named holding the rule and the node's label:
    # labels are few, and a slot of their own cost every node 8 bytes and a store.
    _meta: r.Rule | Named | None

    def __init__(self, data: float, label: str = "") -> None:
        if type(data) is not float:
            if not _is_number(data):
                hint = " (use .detach() to copy a Value)" if isinstance(data, Value) else ""
                raise TypeError(
                    f"Value() takes an int or a float, got {type(data).__name__}: {data!r}{hint}"
                )
            data = _to_float(data)
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self._p0 = self._p1 = None
        self._meta = Named(None, label) if label else None

    # --- what the node records ---------------------------------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The operands this node was computed from, in argument order (``()`` for a leaf)."""
        p0 = self._p0
        if p0 is None:
            return ()
        if p0 is MANY:
            parents: tuple[Value, ...] = self._p1
            return parents
        p1 = self._p1
        return (p0,) if p1 is None else (p0, p1)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(parent) for each parent, computed in the forward pass."""
        p0 = self._p0
        if p0 is None:
            return ()
        if p0 is MANY:
            local: tuple[float, ...] = self._d1
            return local
        return (self._d0,) if self._p1 is None else (self._d0, self._d1)

    @property
    def label(self) -> str:
        """The node's name, shown in graphs and error messages ("" if none)."""
        meta = self._meta
        return meta.label if isinstance(meta, Named) else ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {type(label).__name__}")
        rule = self.rule
        self._meta = Named(rule, label) if label else rule

    @property
    def op(self) -> str:
        """The name of the op that made this node ("" for a leaf)."""
        rule = self.rule
        return rule.name if rule is not None else ""

    @property
    def rule(self) -> r.Rule | None:
        """The ``Rule`` that made this node (None for a leaf)."""
        meta = self._meta
        return meta.rule if isinstance(meta, Named) else meta

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        op = f", op={self.op!r}" if self.rule is not None else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label}{op})"

    def __float__(self) -> float:
        return self.data

    # --- PyTorch's habits: the number inside ------------------------------------------

    def item(self) -> float:
        """The float this node holds (``.data``), as ``tensor.item()`` gives in PyTorch."""
        return self.data

    def __int__(self) -> int:
        return int(self.data)

    def __format__(self, spec: str) -> str:
        """``f"{v:.3f}"`` formats ``.data``; ``f"{v}"`` (no spec) is ``str(v)``, the repr."""
        return format(self.data, spec) if spec else str(self)

    def __round__(self, ndigits: int | None = None) -> float:
        """``round(v, 2)`` is ``round(v.data, 2)``, a float; ``round(v)`` is an int."""
        return round(self.data, ndigits)

    # micrograd's private names, each a property that raises with chainrule's spelling.
    # Not a __getattr__: a class with one loses CPython's fast slot access for every
    # attribute (backward measured 40% slower), though it is called only on a miss.
    @property
    def _prev(self) -> NoReturn:
        raise AttributeError(_micrograd_name("_prev"))

    @property
    def _op(self) -> NoReturn:
        raise AttributeError(_micrograd_name("_op"))

    @property
    def _backward(self) -> NoReturn:
        raise AttributeError(_micrograd_name("_backward"))

    # Ordering compares data, so max(), min() and sorted() work. Equality and hashing stay
    # by identity (nodes are dict keys throughout the engine), so __eq__ is not defined:
    # ``v == 2.0`` is False whatever v holds (both sides return NotImplemented).
    def __lt__(self, other: Value | float) -> bool:
        return self.data < (other.data if isinstance(other, Value) else other)

    def __le__(self, other: Value | float) -> bool:
        return self.data <= (other.data if isinstance(other, Value) else other)

    def __gt__(self, other: Value | float) -> bool:
        return self.data > (other.data if isinstance(other, Value) else other)

    def __ge__(self, other: Value | float) -> bool:
        return self.data >= (other.data if isinstance(other, Value) else other)

    # --- backpropagation (implemented in backward.py) ----------------------------------

    def backward(self, gradient: float = 1.0, retain_graph: bool | None = None) -> None:
        """Set ``.grad`` of every node this one depends on to d(self)/d(node).

        Leaves accumulate (``+=``) across calls, as parameters do in PyTorch; interior
        nodes hold the gradient from this call only. A leaf whose ``.grad`` was set to
        None counts as 0 (PyTorch's ``zero_grad(set_to_none=True)``). Iterative: any
        depth works. Hooks (``register_hook``) run as each node's gradient is final.

        Args:
            gradient: d(final)/d(self), the seed; ``backward(gradient=2.0)`` gives twice
                the gradients, as if the output had been multiplied by 2.
            retain_graph: accepted for PyTorch code and ignored: chainrule always keeps
                the graph (its local derivatives are stored on the nodes), so
                ``backward()`` can be called again on the same output.

        Example:
            >>> x = Value(3.0)
            >>> y = x * x
            >>> y.backward(); x.grad
            6.0
            >>> y.backward(); x.grad
            12.0
            >>> y.backward(gradient=0.5); x.grad
            15.0
        """
        from .backward import backward

        backward(self, gradient)

    def register_hook(self, hook: Callable[[Any], Any]) -> HookHandle:
        """Call ``hook(grad)`` when this node's gradient is final in a backward pass.

        Final means every node computed from this one has passed its share back, and
        this node has not yet passed it on to its own parents. If the hook returns a
        number, that number replaces the gradient (what the parents then receive, and
        what ``.grad`` or ``grad(...)`` shows); if it returns None, the gradient is kept.
        Runs in ``backward()`` and ``grad(...)``; with ``grad(..., create_graph=True)``
        the hook gets, and may return, a ``Value``. A leaf's hook sees this call's
        gradient, before it is added to what ``.grad`` held. A compiled ``Tape`` does
        not run hooks.

        The hook keeps this node (and so its graph) alive until ``.remove()`` is called
        on the handle: hooks live in a module-level dict, not on the node, so that nodes
        without hooks pay nothing for them.

        Args:
            hook: a callable taking the gradient and returning a number or None.

        Returns:
            A ``HookHandle``; ``handle.remove()`` unregisters the hook.

        Example:
            >>> x = Value(3.0)
            >>> y = x * x
            >>> handle = y.register_hook(lambda g: max(-1.0, min(1.0, g)))  # clip to [-1, 1]
            >>> (y * 5).backward(); x.grad  # y's gradient 5 is clipped to 1, times 2x
            6.0
            >>> handle.remove()
        """
        if not callable(hook):
            raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
        hook_id = next(_hook_ids)
        hooks.setdefault(self, {})[hook_id] = hook
        return HookHandle(self, hook_id)

    def detach(self) -> Value:
        """A new leaf with the same data and label, cut off from this node's graph.

        Example:
            >>> x = Value(2.0)
            >>> (x * x).detach().parents
            ()
        """
        return Value(self.data, self.label)

    # --- ops ---------------------------------------------------------------------------
    # Each method is made by a factory below from its rule in rules.py: the rule's forward
    # and derivative bound once, so an op costs one Python call (a quarter of an op's time
    # went to a shared helper's extra call). A domain check, where the rule has one,
    # comes from the rule too.

    __add__ = _binary_method(r.ADD, "x + y")
    __radd__ = _reflected_method(r.ADD, "number + x")
    __sub__ = _binary_method(r.SUB, "x - y")
    __rsub__ = _reflected_method(r.SUB, "number - x")
    __mul__ = _binary_method(r.MUL, "x * y")
    __rmul__ = _reflected_method(r.MUL, "number * x")
    __truediv__ = _binary_method(r.DIV, "x / y. Raises ZeroDivisionError for y = 0.")
    __rtruediv__ = _reflected_method(r.DIV, "number / x. Raises ZeroDivisionError for x = 0.")
    __neg__ = _unary_method(r.NEG, "-x")
    __abs__ = _unary_method(r.ABS, "|x|, with derivative sign(x) and abs'(0) = 0.")
    exp = _unary_method(r.EXP, "e**x. Overflows to inf (not OverflowError) past x = 709.78.")
    log = _unary_method(r.LOG, "Natural logarithm. Raises ValueError for x <= 0.")
    sqrt = _unary_method(r.SQRT, "Square root. Raises ValueError for x < 0; sqrt'(0) = +inf.")
    tanh = _unary_method(r.TANH, "Hyperbolic tangent; finite value and slope for any finite x.")
    sigmoid = _unary_method(r.SIGMOID, "1 / (1 + e**-x), no overflow: sigmoid(-1000) is 0.0.")
    relu = _unary_method(r.RELU, "max(x, 0), with relu'(0) = 0.")
    softplus = _unary_method(r.SOFTPLUS, "log(1 + e**x), stable: softplus(1000) is 1000.0.")
    sin = _unary_method(r.SIN, "Sine (nan for an infinite input, as IEEE says).")
    cos = _unary_method(r.COS, "Cosine (nan for an infinite input, as IEEE says).")

    __pow__ = _power_method(
        """x ** k for a number k, or x ** y for a Value y (then d/dy = x**y * log(x)).

        A negative base needs an integer exponent. With a Value exponent, d/dy at a
        negative base is nan (log of a negative number is not real) and at a zero base
        it is 0 (the limit); the forward value is exact either way.
        """
    )

    def __rpow__(self, other: float) -> Value:
        if not _is_number(other):
            return NotImplemented
        return Value(other) ** self

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x for x > 0, else slope * x; its derivative at 0 is ``slope``."""
        if not _is_number(slope):
            raise TypeError(f"leaky_relu: slope must be a number, got {type(slope).__name__}")
        return _family_node(r.leaky_relu(slope), self)


methods.bind(Value)


def _apply2(rule: r.Rule, a: Value, b: Value) -> Value:
    """A checked two-input op on two Values (``x ** y``)."""
    if rule.check is not None and rule.check(a.data, b.data) >= 0:
        _check_domain(rule, (a, b))
    out = rule.forward(a.data, b.data)
    return make_node(out, (a, b), tuple(rule.derivative(out, a.data, b.data)), rule)
