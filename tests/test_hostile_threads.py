"""Issue 13: threads and asyncio tasks sharing graphs and no_grad blocks."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from autograd import Value, grad


@pytest.fixture
def frequent_switches() -> Iterator[None]:
    """Make the interpreter switch threads every few bytecodes, as a loaded machine may."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _shared_graph() -> tuple[Value, Value, Value]:
    """Two outputs over one leaf and one chain of interior nodes they both use."""
    x = Value(1.0, label="x")
    h = x
    for _ in range(1000):
        h = h * 1.0001 + x
    return x, h * 2.0, h * 3.0


def _run_together(targets: list[Callable[[], object]]) -> None:
    start = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target: Callable[[], object]) -> None:
        start.wait()
        try:
            target()
        except BaseException as e:  # handed to the main thread, which fails the test
            errors.append(e)

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.usefixtures("frequent_switches")
def test_concurrent_backward_on_one_graph_equals_sequential():
    x, y, _ = _shared_graph()
    for _ in range(4):
        y.backward()
    sequential = x.grad
    x.grad = 0.0
    _run_together([y.backward] * 4)
    assert x.grad == sequential


@pytest.mark.usefixtures("frequent_switches")
def test_concurrent_backward_on_graphs_sharing_nodes():
    x, y, z = _shared_graph()
    y.backward()
    z.backward()
    y.backward()
    z.backward()
    sequential = x.grad
    x.grad = 0.0
    _run_together([y.backward, z.backward, y.backward, z.backward])
    assert x.grad == pytest.approx(sequential, rel=1e-15)


@pytest.mark.usefixtures("frequent_switches")
def test_grad_beside_backward_on_shared_nodes():
    x, y, z = _shared_graph()
    (expected,) = grad(z, [x])
    y.backward()
    alone = x.grad
    x.grad = 0.0
    results: list[tuple[float, ...]] = []
    _run_together([y.backward, lambda: results.append(grad(z, [x])), y.backward])
    assert results == [(expected,)]
    assert x.grad == 2 * alone


def test_a_hook_may_call_backward_inside_a_pass():
    seen: list[float] = []

    def hook(g: float) -> None:
        b = Value(3.0)
        (b * b).backward()  # the pass lock is reentrant
        seen.append(b.grad)

    x = Value(1.0)
    y = x * 5.0
    handle = y.register_hook(hook)
    try:
        y.backward()
    finally:
        handle.remove()
    assert seen == [6.0] and x.grad == 5.0
