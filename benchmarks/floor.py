"""The floor: the leanest eager engine one can write in CPython, for benchmarks/engine.py.

A scalar node with ``__slots__``, made with ``object.__new__`` (no ``__init__`` call),
its float work written inline, no checks of any kind (no types, no domains, no modes, no
labels, no rule kept for higher orders), and the same backward shape as chainrule's: an
iterative depth-first topological order, then one reverse sweep that adds
``local derivative * gradient`` along each edge. Only the ops the DAG benchmark uses.

chainrule's time per node divided by this one's is what its checks and features cost.
The code is written plainly, as one writes the minimal engine, not tuned further.
"""

from __future__ import annotations

_new = object.__new__


class Floor:
    __slots__ = ("_d0", "_d1", "_p0", "_p1", "data", "grad")

    def __init__(self, data: float) -> None:
        self.data = data
        self.grad = 0.0
        self._p0 = self._p1 = None

    def __add__(self, other: Floor) -> Floor:
        v = _new(Floor)
        v.data = self.data + other.data
        v.grad = 0.0
        v._p0 = self
        v._p1 = other
        v._d0 = v._d1 = 1.0
        return v

    def __mul__(self, other: Floor) -> Floor:
        v = _new(Floor)
        x = self.data
        y = other.data
        v.data = x * y
        v.grad = 0.0
        v._p0 = self
        v._p1 = other
        v._d0 = y
        v._d1 = x
        return v

    def relu(self) -> Floor:
        v = _new(Floor)
        x = self.data
        v.grad = 0.0
        v._p0 = self
        v._p1 = None
        if x > 0.0:
            v.data = x
            v._d0 = 1.0
        else:
            v.data = 0.0
            v._d0 = 0.0
        return v

    def __pow__(self, k: float) -> Floor:
        v = _new(Floor)
        x = self.data
        v.data = x**k
        v.grad = 0.0
        v._p0 = self
        v._p1 = None
        v._d0 = k * x ** (k - 1)
        return v

    def backward(self) -> None:
        order = []
        seen = {self}
        stack = [self]
        while stack:
            node = stack[-1]
            a = node._p0
            if a is not None:
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
        self.grad = 1.0
        for node in reversed(order):
            a = node._p0
            if a is None:
                continue
            g = node.grad
            a.grad += node._d0 * g
            b = node._p1
            if b is not None:
                b.grad += node._d1 * g
