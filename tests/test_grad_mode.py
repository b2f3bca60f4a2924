"""no_grad: a context manager and decorator, isolated per thread and per asyncio task."""

from __future__ import annotations

import asyncio
import threading

import pytest

from autograd import Value, is_recording, no_grad


def test_ops_inside_record_no_parents():
    x = Value(2.0)
    with no_grad():
        assert not is_recording()
        ys = [x * x, x + 1, x**3, x.tanh(), 2 / x, x.leaky_relu(), x ** Value(2.0)]
    assert is_recording()
    assert all(y.parents == () and y.op == "" for y in ys)
    assert [y.data for y in ys[:3]] == [4.0, 3.0, 8.0]
    assert (x * x).parents == (x, x)  # recording again afterwards


def test_nesting_and_exceptions_restore_the_state():
    with no_grad():
        with no_grad():
            pass
        assert not is_recording()
    assert is_recording()
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError
    assert is_recording()


def test_decorator_and_reuse_of_one_instance():
    block = no_grad()

    @block
    def f(v):
        return v * 2

    x = Value(1.0)
    assert f(x).parents == () and (x * 2).parents != ()
    with block:
        with block:  # the same object entered twice
            assert not is_recording()
        assert not is_recording()
    assert is_recording()


def test_backward_stops_at_a_no_grad_result():
    x = Value(3.0)
    with no_grad():
        y = x * x
    z = y * x
    z.backward()
    assert x.grad == 9.0  # only the recorded edge z -> x


def test_other_threads_are_not_affected():
    seen: dict[str, object] = {}
    inside = threading.Event()
    done = threading.Event()

    def worker():
        inside.wait()
        seen["recording"] = is_recording()
        seen["parents"] = len((Value(1.0) * 2).parents)
        done.set()

    thread = threading.Thread(target=worker)
    thread.start()
    with no_grad():
        inside.set()
        done.wait()
    thread.join()
    assert seen == {"recording": True, "parents": 2}


def test_asyncio_tasks_are_isolated():
    async def in_no_grad(started, release):
        with no_grad():
            started.set()
            await release.wait()
            return is_recording()

    async def recording(started, release):
        await started.wait()
        result = is_recording(), len((Value(1.0) * 2).parents)
        release.set()
        return result

    async def main():
        started, release = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(in_no_grad(started, release), recording(started, release))

    assert asyncio.run(main()) == [False, (True, 2)]


def test_decorating_a_coroutine_function():
    @no_grad()
    async def f():
        await asyncio.sleep(0)
        return is_recording()

    assert asyncio.run(f()) is False
    assert is_recording()


def test_bare_decorator_wraps_the_function():
    @no_grad
    def f(v):
        return v * 2, is_recording()

    y, recording = f(Value(1.0))
    assert y.parents == () and recording is False
    assert f.__name__ == "f" and is_recording()
