"""Tapes under hostile input (issue 13): a batched replay takes what the eager engine
takes (real numbers) and raises what it raises."""

from __future__ import annotations

import math

import pytest

from autograd import Value, detect_anomaly, primitive, trace

np = pytest.importorskip("numpy")


def square_tape():
    return trace(lambda x, y: x * y + x, 1.0, 2.0)


@pytest.mark.parametrize(
    ("bad", "named"),
    [(np.array([1 + 2j, 3.0]), "complex128"), (np.array(["a", "b"]), "<U1"),
     (np.array([True, False]), "bool"), ([Value(1.0), Value(2.0)], "Values"),
     (["1.0", "2.0"], "<U3")],
)  # fmt: skip
@pytest.mark.parametrize("method", ["batch", "batch_value_and_grad"])
def test_batched_replay_refuses_what_is_not_real(bad, named, method):
    tape = square_tape()
    with pytest.raises(TypeError, match=rf"{method}: input 1 must hold real numbers.*{named}"):
        getattr(tape, method)(np.array([1.0, 2.0]), bad)


def test_ints_and_floats_of_any_width_are_still_taken():
    tape = square_tape()
    out = tape.batch(np.array([1, 2], dtype=np.int32), np.array([3.0, 4.0], dtype=np.float32))
    assert out.tolist() == [4.0, 10.0]


def _bad_primitive(result):
    return primitive("bad", lambda x: result if x > 1.5 else x, lambda out, x: (1.0,))


@pytest.mark.parametrize("result", ["two", None, 1 + 1j])
def test_a_custom_primitive_returning_a_non_number_raises_as_eagerly(result):
    bad = _bad_primitive(result)
    with pytest.raises(TypeError, match="bad: forward must return a number") as eager:
        bad(Value(2.0))
    tape = trace(lambda x: bad(x) * 2, 1.0)
    with pytest.raises(TypeError, match="bad: forward must return a number") as batched:
        tape.batch(np.array([1.0, 2.0]))
    assert type(batched.value) is type(eager.value)


@pytest.mark.parametrize("result", ["two", None, complex(2.0, 1.0)])
def test_the_float_replay_of_such_a_primitive_raises_the_eager_error(result):
    tape = trace(lambda x: _bad_primitive(result)(x) * 2, 1.0)
    with pytest.raises(TypeError, match="bad: forward must return a number"):
        tape(2.0)


def test_a_float_replay_inside_detect_anomaly_raises_where_the_eager_engine_does():
    tape = trace(lambda x: x * math.inf * 0.0, 1.0)  # inf, then nan
    assert math.isnan(tape(1.0))  # outside detect_anomaly: IEEE, as eager
    with detect_anomaly(), pytest.raises(FloatingPointError, match="produced inf"):
        tape(1.0)
    sqrt_at_zero = trace(lambda x: (x * 0.0).sqrt(), 1.0)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="in backward"):
        sqrt_at_zero.value_and_grad(1.0)
    with detect_anomaly():
        assert trace(lambda x: x * 2.0, 1.0).value_and_grad(3.0) == (6.0, (2.0,))


def test_batched_replay_refuses_to_run_inside_detect_anomaly():
    tape = trace(lambda x: x.log(), 1.0)
    with detect_anomaly(), pytest.raises(RuntimeError, match="does not run inside detect_anomaly"):
        tape.batch(np.array([1.0, 2.0]))
    assert math.isclose(tape.batch(np.array([math.e]))[0], 1.0)  # outside it, as before
