"""The chain rule: topological order, ``backward`` and the functional ``grad``.

Both walk the graph from the output towards the leaves in reverse topological order and
apply  d(out)/d(parent) += d(node)/d(parent) * d(out)/d(node)  along every edge. Nothing
here recurses, so a graph of any depth works at Python's default recursion limit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any, Literal, overload

from ._collector import collector_paused
from ._numbers import is_number, to_float
from .anomaly import active_detector
from .value import MANY, Hook, Value, hooks

__all__ = ["backward", "grad", "topological_order"]


def topological_order(root: Value) -> list[Value]:
    """Every node ``root`` depends on, parents before children (``root`` comes last).

    Depth-first with an explicit stack: a node is emitted once all its parents are.

    Example:
        >>> a = Value(1.0); b = a + a; c = b * a
        >>> [n.data for n in topological_order(c)]
        [1.0, 2.0, 2.0]
    """
    order: list[Value] = []
    seen: set[Any] = {root}
    stack = [root]
    # A node on the stack is looked at again after each parent's subtree is done: for one
    # or two parents it rescans its slots (cheaper than keeping an iterator per node); a
    # many-parent node resumes its scan where it stopped.
    resume: dict[Value, int] = {}
    while stack:
        node = stack[-1]
        a = node._p0
        if a is MANY:
            parent = _next_parent(node, seen, resume)
            if parent is not None:
                stack.append(parent)
                continue
        elif a is not None:
            if a not in seen:
                seen.add(a)
                stack.append(a)
                continue
            b = node._p1
            if b is not None and b not in seen:
                seen.add(b)
                stack.append(b)
                continue
        order.append(stack.pop())
    return order


def _next_parent(node: Value, seen: set[Any], resume: dict[Value, int]) -> Value | None:
    """The next parent of a many-parent node not seen yet (now marked seen), its scan
    resumed where the last call stopped; None once every parent is seen."""
    parents: tuple[Value, ...] = node._p1
    i = resume.get(node, 0)
    while i < len(parents) and parents[i] in seen:
        i += 1
    if i == len(parents):
        return None
    resume[node] = i + 1
    seen.add(parents[i])
    return parents[i]


# One lock for every backward() and grad() in the process. A pass writes ``.grad`` on
# nodes that another graph may share (and zeroes them first), so two passes interleaved by
# thread switches would mix their sums; the garbage collector pause is process-wide too.
# A pass is pure Python, so the GIL serialises it anyway: the lock costs one acquire per
# call and takes no parallelism away. Reentrant: a hook may call backward() or grad().
_pass_lock = threading.RLock()


def backward(root: Value, gradient: float = 1.0) -> None:
    """Fill ``.grad`` of every node ``root`` depends on; see ``Value.backward``."""
    if type(gradient) is not float:
        if not is_number(gradient):
            raise TypeError(
                f"backward: gradient must be a number (the seed d(final)/d(root)), "
                f"got {type(gradient).__name__}: {gradient!r}"
            )
        gradient = to_float(gradient)
    with _pass_lock, collector_paused():
        # Inside detect_anomaly, a separate checked sweep first: the fast loop stays as is.
        detector = active_detector()
        if detector is not None:
            detector.check_backward(topological_order(root))
        _backward(root, gradient)


def _backward(root: Value, gradient: float) -> None:
    interior, leaves = _walk(root)
    # Leaves accumulate across calls; this call's share is computed from zero and added
    # at the end, so that calling backward() twice gives exactly twice the gradient (not
    # earlier-calls-plus-each-edge, which rounds differently once a leaf has two edges).
    before = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    root.grad = gradient
    if hooks:  # one test per call: without hooks, the plain sweep below, as fast as ever
        _hooked_sweep(_zeroed(root, gradient))
    else:
        _sweep(interior)
        total = sum([leaf.grad for leaf in leaves])
        if total - total != 0.0:  # nan or inf reached a leaf (or the sum overflowed): see
            _masked_sweep(_zeroed(root, gradient))  # _masked_sweep: the same numbers
    if any(before):  # (after zero_grad() there is nothing to add)
        for leaf, old in zip(leaves, before):
            # None (PyTorch's zero_grad(set_to_none=True)) counts as zero
            leaf.grad = leaf.grad if old is None else old + leaf.grad


def _walk(root: Value) -> tuple[list[Value], list[Value]]:
    """``topological_order``'s walk, as backward needs it: the interior nodes in order,
    each ``.grad`` set to 0.0 to accumulate into, and the leaves apart.

    One pass instead of the order, then a pass to zero, then one to pick the leaves out:
    at 20,000 nodes that was a tenth of backward's time. The sweep then visits only
    nodes that have parents.
    """
    interior: list[Value] = []
    leaves: list[Value] = []
    # MANY counts as seen, so that a many-parent node fails the first test below like
    # a node whose first parent is done, and only those visits ask whether it is MANY.
    seen: set[Any] = {root, MANY}
    stack = [root]
    resume: dict[Value, int] = {}  # (see topological_order)
    many = MANY
    while stack:
        node = stack[-1]
        a: Any = node._p0  # (a Value when it is not in seen: MANY is)
        if a is None:
            leaves.append(stack.pop())
            continue
        if a not in seen:
            seen.add(a)
            stack.append(a)
            continue
        if a is many:
            parent = _next_parent(node, seen, resume)
            if parent is not None:
                stack.append(parent)
                continue
        else:
            b = node._p1
            if b is not None and b not in seen:
                seen.add(b)
                stack.append(b)
                continue
        node.grad = 0.0
        interior.append(stack.pop())
    return interior, leaves


def _zeroed(root: Value, gradient: float) -> list[Value]:
    """Every node in topological order, gradients zeroed and the root's seeded: where a
    slower sweep starts (hooks, or a nan or inf to mask)."""
    order = topological_order(root)
    for node in order:
        node.grad = 0.0
    root.grad = gradient
    return order


def _sweep(interior: list[Value]) -> None:
    """The chain rule, edge by edge in reverse topological order: the fast path (over
    the nodes that have parents; see _walk)."""
    many = MANY  # (read as a local: a little faster than a global, once per node)
    for node in reversed(interior):
        a: Any = node._p0  # (not None: these nodes have parents)
        g = node.grad
        if a is many:
            for parent, d in zip(node._p1, node._d1):
                parent.grad += d * g
        else:
            a.grad += node._d0 * g
            b = node._p1
            if b is not None:
                b.grad += node._d1 * g


def _masked_sweep(order: list[Value]) -> None:
    """The chain rule where a masking rule's zero local derivative passes exactly 0.

    relu's inactive side must give 0, not 0 * nan, when the gradient coming in is nan or
    inf (as PyTorch does). The fast sweep multiplies regardless; a nan or inf it made
    that way always reaches a leaf (nothing turns nan back into a number), so checking
    the leaves tells when this slower sweep is needed.
    """
    for node in reversed(order):
        rule = node.rule
        if rule is None:
            continue
        g = node.grad
        masks = rule.masks
        for parent, d in zip(node.parents, node.local_grads):
            if masks and d == 0.0:
                continue
            parent.grad += d * g


def _hooked_sweep(order: list[Value]) -> None:
    """``_sweep`` that runs each node's hooks as it is reached, its gradient then final.

    One sweep, so that no hook runs twice (the plain path may sweep twice): a node whose
    gradient is nan or inf passes it on as ``_masked_sweep`` does, the others as ``_sweep``
    does, which gives the same numbers as the plain path.
    """
    registry = hooks
    for node in reversed(order):
        registered = registry.get(node)
        if registered is not None:
            node.grad = _run_hooks(registered, node.grad, False)
        a = node._p0
        if a is None:
            continue
        g = node.grad
        if g - g != 0.0:  # nan or inf: relu's inactive side must still pass exactly 0
            rule = node.rule
            masks = rule.masks if rule is not None else False
            for parent, d in zip(node.parents, node.local_grads):
                if not (masks and d == 0.0):
                    parent.grad += d * g
        elif a is MANY:
            for parent, d in zip(node._p1, node._d1):
                parent.grad += d * g
        else:
            a.grad += node._d0 * g
            b = node._p1
            if b is not None:
                b.grad += node._d1 * g


def _run_hooks(registered: dict[int, Hook], g: Any, create_graph: bool) -> Any:
    """Call a node's hooks in the order registered, each on the gradient the last left."""
    if create_graph and not isinstance(g, Value):
        g = Value(g)
    for hook in list(registered.values()):  # (a hook may remove itself)
        out = hook(g)
        if out is None:
            continue
        if create_graph and isinstance(out, Value):
            g = out
        elif is_number(out):
            g = Value(out) if create_graph else float(out)
        else:
            wanted = "a Value, a number or None" if create_graph else "a number or None"
            raise TypeError(
                f"gradient hook {getattr(hook, '__qualname__', hook)!r} must return "
                f"{wanted}, got {type(out).__name__}: {out!r}"
                + (" (use .item() for its float)" if isinstance(out, Value) else "")
            )
    return g


@overload
def grad(
    output: Value,
    inputs: Iterable[Value],
    create_graph: Literal[False] = False,
    allow_unused: bool = False,
) -> tuple[float, ...]: ...


@overload
def grad(
    output: Value, inputs: Iterable[Value], create_graph: Literal[True], allow_unused: bool = False
) -> tuple[Value, ...]: ...


@overload
def grad(
    output: Value, inputs: Iterable[Value], create_graph: bool, allow_unused: bool = False
) -> tuple[float, ...] | tuple[Value, ...]: ...


def grad(
    output: Value,
    inputs: Iterable[Value],
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[float, ...] | tuple[Value, ...]:
    """d(output)/d(input) for each input, leaving every ``.grad`` untouched.

    Args:
        output: the scalar to differentiate.
        inputs: the nodes to differentiate with respect to.
        create_graph: if True, the gradients are ``Value``s whose own graph can be
            differentiated again (to any order); if False, they are floats.
        allow_unused: if False, an input that ``output`` does not depend on is an error;
            if True, its gradient is 0.

    Returns:
        A tuple with one gradient per input, in the order given.

    Example:
        >>> x = Value(3.0)
        >>> y = x**3
        >>> grad(y, [x])
        (27.0,)
        >>> (dy,) = grad(y, [x], create_graph=True)
        >>> grad(dy, [x])  # second derivative: 6x
        (18.0,)
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad: output must be a Value, got {type(output).__name__}")
    if isinstance(inputs, Value) or not isinstance(inputs, Iterable):
        raise TypeError(
            f"grad: inputs must be a list of Values, got {type(inputs).__name__}; "
            "for one input write grad(y, [x])"
        )
    wrt = tuple(inputs)
    for i, x in enumerate(wrt):
        if not isinstance(x, Value):
            raise TypeError(f"grad: inputs[{i}] must be a Value, got {type(x).__name__}")

    with _pass_lock, collector_paused():
        detector = active_detector()
        if detector is not None:
            detector.check_backward(topological_order(output))
        grads = _grad(output, wrt, create_graph, allow_unused)
    if create_graph:
        return tuple(g if isinstance(g, Value) else Value(g) for g in grads)
    return grads


def _grad(
    output: Value, inputs: tuple[Value, ...], create_graph: bool, allow_unused: bool
) -> tuple[Any, ...]:
    """The gradients: floats, or with ``create_graph`` Values and floats (constants)."""
    order = topological_order(output)
    reached = set(order)
    for i, x in enumerate(inputs):
        if x not in reached and not allow_unused:
            name = f" (label {x.label!r})" if x.label else ""
            raise ValueError(
                f"grad: output does not depend on inputs[{i}]{name}; "
                "pass allow_unused=True to get 0 for it"
            )

    wanted = set(inputs)
    grads: dict[Value, Any] = {output: 1.0}  # floats, or Values with create_graph
    hooked = hooks if hooks else None  # (looked at per node only when there are hooks)
    for node in reversed(order):
        # Interior gradients are dropped as soon as they have been passed on.
        g = grads.get(node) if node in wanted else grads.pop(node, None)
        if hooked is not None and g is not None and node in hooked:
            g = _run_hooks(hooked[node], g, create_graph)
            if node in wanted:
                grads[node] = g
        if g is None or node._p0 is None:
            continue  # a leaf, or a node whose every path was masked (relu's inactive side)
        # create_graph re-runs the rule on Values, so the derivative is itself a graph.
        parents = node.parents
        rule = node.rule
        assert rule is not None  # a node with parents always has its rule
        local = rule.derivative(node, *parents) if create_graph else node.local_grads
        for parent, d in zip(parents, local, strict=True):
            if rule.masks and type(d) is float and d == 0.0:
                continue  # relu's inactive side passes exactly 0, even a nan (_masked_sweep)
            if parent in grads:
                grads[parent] = grads[parent] + d * g
            else:
                grads[parent] = d * g

    return tuple(grads.get(x, 0.0) for x in inputs)
