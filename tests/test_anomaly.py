"""detect_anomaly: the first nan or inf, forward or backward, named with where it was made."""

from __future__ import annotations

import asyncio
import math
import sys
import threading

import pytest

from autograd import Value, detect_anomaly, grad, grad_mode, no_grad, primitive

HERE = __file__


def next_line() -> str:
    """This file and the line after the caller's: where the next statement makes its node."""
    return f"{HERE}:{sys._getframe(1).f_lineno + 1}"


def test_forward_inf_names_op_inputs_label_and_the_line_that_made_it():
    x = Value(1000.0, label="x")
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        where = next_line()
        x.exp()
    message = str(info.value)
    assert "op 'exp'" in message
    assert "produced inf in the forward pass" in message
    assert "from (1000.0 (label 'x'))" in message
    assert "(node has no label)" in message
    assert f"node made at {where} in {sys._getframe().f_code.co_name}" in message


def test_forward_nan_from_two_inputs():
    big = Value(math.inf, label="big")
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        where = next_line()
        big - big
    message = str(info.value)
    assert "op '-'" in message and "produced nan" in message
    assert "from (inf (label 'big'), inf (label 'big'))" in message
    assert where in message


def test_forward_overflow_in_a_nested_helper_points_at_the_users_line():
    def helper(v):  # user code too: the innermost user frame is named
        return v * 1e308 * 10

    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        helper(Value(1.0))
    assert "op '*'" in str(info.value) and "produced inf" in str(info.value)
    assert "in helper" in str(info.value)


def test_a_custom_primitive_is_checked_and_the_site_is_outside_autograd():
    blowup = primitive("blowup", lambda x: math.inf, lambda out, x: (0.0,))
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        where = next_line()
        blowup(2.0)
    assert "op 'blowup'" in str(info.value)
    assert where in str(info.value)  # not rules.py, where the node is actually made


def test_backward_inf_names_the_local_derivative_and_the_nodes_label():
    z = Value(0.0, label="z")
    with detect_anomaly():
        where = next_line()
        r = z.sqrt()  # sqrt(0) = 0 is fine; its slope there is inf
        r.label = "root"
        with pytest.raises(FloatingPointError) as info:
            r.backward()
    message = str(info.value)
    assert "in backward, op 'sqrt' (node label 'root') passed inf to its input 0" in message
    assert "local derivative inf times incoming gradient 1.0" in message
    assert "its inputs were (0.0 (label 'z'))" in message
    assert f"node made at {where}" in message
    assert z.grad == 0.0  # the checked sweep runs first: no .grad was touched


def test_backward_nan_from_inf_times_zero():
    z = Value(0.0)
    with detect_anomaly():
        y = z.sqrt() * 0.0
        with pytest.raises(FloatingPointError, match=r"op 'sqrt' .* passed nan .* inf times"):
            y.backward()


def test_backward_sum_that_overflows_is_named_too():
    a = Value(1e-300, label="a")
    with detect_anomaly():
        out = a * 1e308 + a * 1e308  # forward is finite; each path's slope is 1e308
        with pytest.raises(FloatingPointError) as info:
            out.backward()
    message = str(info.value)
    assert "gradient reaching a leaf (node label 'a') summed to inf" in message
    assert "made outside detect_anomaly()" in message  # a is a leaf made before


def test_grad_is_checked_too_with_and_without_create_graph():
    z = Value(0.0)
    with detect_anomaly():
        r = z.sqrt()
        for create_graph in (False, True):
            with pytest.raises(FloatingPointError, match="in backward, op 'sqrt'"):
                grad(r, [z], create_graph=create_graph)


def test_a_node_made_before_the_block_has_no_known_site():
    z = Value(0.0)
    r = z.sqrt()
    with detect_anomaly(), pytest.raises(FloatingPointError) as info:
        r.backward()
    assert "made outside detect_anomaly(), so where is not known" in str(info.value)


def test_inf_slopes_that_are_never_used_do_not_raise():
    with detect_anomaly():
        r = Value(0.0).sqrt()  # inf local derivative, but no backward through it
        x = Value(2.0)
        y = x * x + 1
        y.backward()
        (d,) = grad(y, [x], create_graph=True)
    assert (r.data, x.grad, d.data) == (0.0, 4.0, 4.0)


def test_outside_the_block_nothing_is_checked():
    assert Value(1000.0).exp().data == math.inf
    z = Value(0.0)
    z.sqrt().backward()
    assert z.grad == math.inf
    assert grad_mode.open_blocks == 0
    assert grad_mode.anomaly_detector.get() is None


def test_sites_are_recorded_inside_only():
    before = Value(1.0) * 2
    with detect_anomaly():
        detector = grad_mode.anomaly_detector.get()
        where = next_line()
        inside = Value(1.0) * 2
        with no_grad():
            unrecorded = Value(1.0) * 2  # no edges: backward never needs its site
        assert set(detector.sites) == {inside}
        file, line, function = detector.sites[inside]
        assert (f"{file}:{line}", function) == (where, "test_sites_are_recorded_inside_only")
    assert detector.sites == {}
    assert grad_mode.anomaly_detector.get() is None and grad_mode.open_blocks == 0
    after = Value(1.0) * 2
    assert before.data == after.data == unrecorded.data == 2.0


def test_no_grad_inside_still_checks_the_forward_pass():
    with detect_anomaly(), no_grad(), pytest.raises(FloatingPointError, match="op 'exp'"):
        Value(1000.0).exp()


def test_nesting_shares_one_record_and_exceptions_restore_the_state():
    with detect_anomaly():
        outer = grad_mode.anomaly_detector.get()
        a = Value(1.0) * 2
        with detect_anomaly():
            assert grad_mode.anomaly_detector.get() is outer
            b = a * 3
        assert set(outer.sites) == {a, b}  # the inner exit clears nothing
        with pytest.raises(FloatingPointError):
            Value(1000.0).exp()
    assert grad_mode.anomaly_detector.get() is None and grad_mode.open_blocks == 0
    with pytest.raises(KeyError), detect_anomaly():
        raise KeyError
    assert grad_mode.anomaly_detector.get() is None and grad_mode.open_blocks == 0


def test_other_threads_are_not_affected():
    entered, done = threading.Event(), threading.Event()
    seen = {}

    def checking_thread():
        with detect_anomaly():
            entered.set()
            done.wait(5)
            try:
                Value(1000.0).exp()
            except FloatingPointError:
                seen["raised"] = True

    t = threading.Thread(target=checking_thread)
    t.start()
    try:
        assert entered.wait(5)
        # The block is open in the other thread: here nothing is checked or recorded.
        assert grad_mode.open_blocks == 1
        assert Value(1000.0).exp().data == math.inf
        z = Value(0.0)
        z.sqrt().backward()
        assert z.grad == math.inf
    finally:
        done.set()
        t.join(5)
    assert seen == {"raised": True}


def test_other_asyncio_tasks_are_not_affected():
    async def checking(started, proceed):
        with detect_anomaly():
            started.set()
            await proceed.wait()
            with pytest.raises(FloatingPointError):
                Value(1000.0).exp()
            return grad_mode.anomaly_detector.get() is not None

    async def plain(started, proceed):
        await started.wait()
        result = Value(1000.0).exp().data  # while the other task's block is open
        proceed.set()
        return result

    async def main():
        started, proceed = asyncio.Event(), asyncio.Event()
        return await asyncio.gather(checking(started, proceed), plain(started, proceed))

    assert asyncio.run(main()) == [True, math.inf]
