"""Issue 13: threads and asyncio tasks sharing graphs and no_grad blocks."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable, Generator, Iterator

import pytest

from autograd import Value, grad, grad_mode, is_recording, no_grad


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


def test_one_no_grad_object_shared_by_asyncio_tasks():
    block = no_grad()

    async def task(delay: float) -> tuple[bool, bool]:
        with block:
            await asyncio.sleep(delay)  # the other task enters and leaves meanwhile
            inside = is_recording()
        return inside, is_recording()

    async def main() -> list[tuple[bool, bool]]:
        return list(await asyncio.gather(task(0.02), task(0.0), task(0.01)))

    assert asyncio.run(main()) == [(False, True)] * 3
    assert is_recording() and grad_mode.open_blocks == 0
    assert (Value(1.0) * 2).parents != ()


@pytest.mark.usefixtures("frequent_switches")
def test_one_no_grad_object_shared_by_threads():
    block = no_grad()
    seen: list[tuple[bool, int]] = []

    def work() -> None:
        for _ in range(200):
            with block:
                y = Value(1.0) * 2
                seen.append((is_recording(), len(y.parents)))
            seen.append((is_recording(), len((Value(1.0) * 2).parents)))

    _run_together([work] * 4)
    assert sorted(set(seen)) == [(False, 0), (True, 2)]
    assert seen.count((False, 0)) == 800 and grad_mode.open_blocks == 0


def test_exit_in_another_thread_is_refused_and_closes_nothing():
    block = no_grad()
    block.__enter__()
    errors: list[BaseException] = []

    def exit_elsewhere() -> None:
        try:
            block.__exit__(None, None, None)
        except RuntimeError as e:
            errors.append(e)

    thread = threading.Thread(target=exit_elsewhere)
    thread.start()
    thread.join()
    assert len(errors) == 1 and "where it was not entered" in str(errors[0])
    assert grad_mode.open_blocks == 1 and not is_recording()  # still open here
    block.__exit__(None, None, None)
    assert grad_mode.open_blocks == 0 and (Value(1.0) * 2).parents != ()


def test_no_grad_on_a_generator_applies_while_it_runs():
    x = Value(2.0)

    @no_grad
    def squares(n: int) -> Iterator[Value]:
        for _ in range(n):
            yield x * x  # inside: no parents

    outside = []
    inside = []
    for y in squares(3):
        inside.append(y)
        outside.append(x * 3)  # the caller's code between next() calls records
    assert [y.parents for y in inside] == [()] * 3
    assert all(z.parents[0] is x for z in outside)
    assert is_recording() and grad_mode.open_blocks == 0


def test_no_grad_generator_send_throw_close_and_return():
    @no_grad()
    def echo() -> Generator[bool, str, str]:
        got = ""
        try:
            while True:
                got = yield is_recording()
        except KeyError:
            yield is_recording()
        return got

    g = echo()
    assert next(g) is False and g.send("a") is False and is_recording()
    assert g.throw(KeyError()) is False and is_recording()
    with pytest.raises(StopIteration) as stop:
        next(g)
    assert stop.value.value == "a"
    g2 = echo()
    next(g2)
    g2.close()  # abandoned half-way
    assert is_recording() and grad_mode.open_blocks == 0
