"""autograd._collector: the collector is paused inside the block, and only there."""

from __future__ import annotations

import gc

import pytest

from autograd._collector import collector_paused


def test_the_collector_is_back_on_after_the_block_even_if_it_raises():
    with pytest.raises(KeyError), collector_paused():
        assert not gc.isenabled()
        raise KeyError("x")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_recording_a_tape_pauses_the_collector(monkeypatch):
    import importlib

    import autograd

    trace_module = importlib.import_module("autograd.tape.trace")  # the package's `trace`
    original = trace_module.topological_order  # is the function
    seen = []

    def spy(root):
        seen.append(gc.isenabled())
        return original(root)

    monkeypatch.setattr(trace_module, "topological_order", spy)
    autograd.trace(lambda x: x * x, 1.0)
    assert seen == [False] and gc.isenabled()
