"""Hostile and malformed checkpoints (issue 13): bounded work, one-line errors, no change.

A test that would hang or exhaust memory on a broken loader runs the load in a child
process with a time limit and an address-space limit, so that the failure is a failure and
not a stuck test run.
"""

import json
import math
import os
import subprocess
import sys
import textwrap

import pytest

import nn
from nn import checkpoint

CHILD_SECONDS = 20
CHILD_BYTES = 2 * 1024**3


@pytest.fixture
def path(tmp_path):
    return tmp_path / "model.json"


def one_line(error, path):
    """The error's message, checked to be one short line that names the file."""
    message = str(error.value)
    assert "\n" not in message
    assert len(message) < 400, message[:400]
    assert repr(os.fspath(path)) in message
    return message


def load_in_child(target):
    """Run ``nn.load(target)`` in a bounded child process; returns (exit code, stderr)."""
    code = textwrap.dedent(f"""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, ({CHILD_BYTES}, {CHILD_BYTES}))
        import nn
        try:
            nn.load({os.fspath(target)!r})
        except ValueError as e:
            sys.exit("refused: " + str(e))
        """)
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=CHILD_SECONDS
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"nn.load({os.fspath(target)!r}) still running after {CHILD_SECONDS} s")
    return done.returncode, done.stderr.strip()


# --- 1. bounded work -------------------------------------------------------------------


def test_a_small_file_cannot_ask_for_a_huge_network(path, monkeypatch):
    nn.MLP(2, [3, 1], seed=0).save(path)
    document = json.loads(path.read_text())
    document["model"]["config"]["nouts"] = [10000, 10000, 1]
    path.write_text(json.dumps(document))
    assert path.stat().st_size < 2000

    def built(*args, **kwargs):
        pytest.fail("nn.load built the network before checking its size against the state")

    monkeypatch.setattr(checkpoint, "MLP", built)
    with pytest.raises(ValueError, match=r"100050001 parameters but the state holds 13") as e:
        nn.load(path)
    one_line(e, path)


def test_a_config_that_disagrees_with_the_state_is_refused(path):
    nn.MLP(2, [3, 1], seed=0).save(path)
    document = json.loads(path.read_text())
    document["model"]["config"]["nin"] = 3  # one weight more per hidden neuron
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="16 parameters but the state holds 13"):
        nn.load(path)


def test_a_rebuild_with_strict_false_may_skip_extra_names_only(path):
    model = nn.MLP(2, [3, 1], seed=0)
    model.save(path)
    document = json.loads(path.read_text())
    document["model"]["state"]["extra"] = 1.0
    path.write_text(json.dumps(document))
    assert nn.load(path, strict=False).state_dict() == model.state_dict()
    del document["model"]["state"]["extra"], document["model"]["state"]["layers.1.neurons.0.b"]
    path.write_text(json.dumps(document))
    with pytest.raises(ValueError, match="13 parameters but the state holds 12"):
        nn.load(path, strict=False)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused_without_reading_it():
    code, stderr = load_in_child("/dev/zero")
    assert code == 1 and stderr.startswith("refused: ") and "not a regular file" in stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_named_pipe_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "model.json"
    os.mkfifo(fifo)
    code, stderr = load_in_child(fifo)
    assert code == 1 and "not a regular file" in stderr


def test_a_directory_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a regular file") as e:
        nn.load(tmp_path)
    one_line(e, tmp_path)


def test_reading_is_capped_and_the_cap_can_be_raised(path):
    model = nn.MLP(2, [3, 1], seed=0)
    model.save(path)
    size = path.stat().st_size
    assert checkpoint.MAX_BYTES == 100 * 1024 * 1024
    with pytest.raises(ValueError, match=f"{size} bytes, more than max_bytes=100") as e:
        nn.load(path, max_bytes=100)
    one_line(e, path)
    with pytest.raises(ValueError, match="max_bytes"):
        checkpoint.read(path, max_bytes=size - 1)
    assert nn.load(path, max_bytes=size).state_dict() == model.state_dict()
    with pytest.raises(ValueError, match="max_bytes must be a positive int"):
        nn.load(path, max_bytes=0)


# --- 2. one line for every malformed file -----------------------------------------------


def saved_text(path):
    nn.MLP(2, [1], seed=0).save(path)
    return path.read_text()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda text: "[" * 10**5 + "]" * 10**5, "nested too deeply"),
        (
            lambda text: text.replace('"optimizer": null', '"optimizer": ' + "[" * 10**5),
            "nested too deeply|not valid JSON",
        ),
        (lambda text: text.replace('"version": 1', '"version": ' + "7" * 5000), "5000 digits"),
        (lambda text: text.replace('"version": 1', '"version": -' + "7" * 200), "200 digits"),
        (lambda text: text.replace('"version": 1', '"version": 1.0'), "version 1.0"),
        (lambda text: text.replace('"version": 1', '"version": true'), "version True"),
        (
            lambda text: text.replace('"version": 1', '"version": [' + "0," * 10**6 + "0]"),
            "version",
        ),
    ],
)
def test_malformed_text_is_one_line_naming_the_file(path, make, message):
    path.write_text(make(saved_text(path)))
    with pytest.raises(ValueError, match=message) as e:
        nn.load(path)
    one_line(e, path)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_literals_are_refused(path, literal):
    text = saved_text(path)
    name = "layers.0.neurons.0.b"
    value = json.loads(text)["model"]["state"][name]
    path.write_text(text.replace(f'"{name}": {value!r}', f'"{name}": {literal}'))
    with pytest.raises(ValueError, match=f'{literal.lstrip("-")}.*"nan", "inf"') as e:
        nn.load(path)
    one_line(e, path)


def test_non_utf8_bytes_are_one_line(path):
    text = saved_text(path)
    path.write_bytes(text.encode().replace(b'"MLP"', b'"ML\xff"'))
    with pytest.raises(ValueError, match=r"not UTF-8 text \(byte 0xff at offset") as e:
        nn.load(path)
    one_line(e, path)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda d: d["model"]["state"].update({"layers.0.neurons.0.b": [0] * 10**6}), TypeError,
         "number"),
        (lambda d: d["model"]["state"].update({f"x{i}": 0.0 for i in range(10**5)}), ValueError,
         "unexpected keys"),
        (lambda d: d["model"]["config"].update(activation="t" * 10**6), ValueError, "saved from"),
        (lambda d: d["model"].update({"class": "C" * 10**6}), ValueError, "class name"),
        (lambda d: d.update(extra=list(range(10**6))), ValueError, "expected the keys"),
    ],
)  # fmt: skip
def test_huge_values_are_cut_short_in_the_message(path, change, error, message):
    document = json.loads(saved_text(path))
    change(document)
    path.write_text(json.dumps(document))
    target = nn.MLP(2, [1], seed=1)
    before = target.state_dict()
    with pytest.raises(error, match=message) as e:
        nn.load(path, model=target)
    one_line(e, path)
    assert target.state_dict() == before


# --- 3. values, not only types; a failed load changes nothing ---------------------------


def trained(optimizer_type, **settings):
    model = nn.MLP(2, [2, 1], seed=0)
    optimizer = optimizer_type(model.parameters(), **settings)
    for _ in range(2):
        optimizer.zero_grad()
        nn.mse_loss(model([1.0, -1.0]), 0.5).backward()
        optimizer.step()
    return model, optimizer


def hostile_optimizer(path, optimizer_type, change, **settings):
    model, optimizer = trained(optimizer_type, **settings)
    nn.save(model, path, optimizer=optimizer)
    document = json.loads(path.read_text())
    change(document["optimizer"])
    path.write_text(json.dumps(document))


ADAM_CHANGES = [
    (lambda o: o.update(step_count=-1), "step_count"),
    (lambda o: o.update(step_count=2**53 + 1), "step_count"),
    (lambda o: o.update(step_count=True), "step_count"),
    (lambda o: o.update(step_count=2.0), "step_count"),
    (lambda o: o["state"]["exp_avg_sq"].__setitem__(0, -1e-3), "exp_avg_sq"),
    (lambda o: o["state"]["max_exp_avg_sq"].__setitem__(1, -1.0), "max_exp_avg_sq"),
    (lambda o: o["hyperparameters"].update(eps=0.0), "eps"),
    (lambda o: o["hyperparameters"].update(eps="inf"), "eps"),
    (lambda o: o["hyperparameters"].update(lr="inf"), "lr"),
    (lambda o: o["hyperparameters"].update(lr=-0.1), "lr"),
    (lambda o: o["hyperparameters"].update(lr="nan"), "lr"),
    (lambda o: o["hyperparameters"].update(weight_decay="inf"), "weight_decay"),
    (lambda o: o["hyperparameters"].update(betas=5), "betas"),
    (lambda o: o["hyperparameters"].update(betas=[0.9] * 10**6), "betas"),
    (lambda o: o["hyperparameters"].update(lr="x" * 10**6), "lr"),
    (lambda o: o.update(type="A" * 10**6), "state is for"),
    (lambda o: o["state"].update(exp_avg=[0.0] * 10**6), "exp_avg"),
]


@pytest.mark.parametrize(("change", "message"), ADAM_CHANGES)
def test_adam_state_that_would_fail_later_is_refused_and_changes_nothing(path, change, message):
    hostile_optimizer(path, nn.Adam, change, lr=0.05)
    model = nn.MLP(2, [2, 1], seed=3)
    optimizer = nn.Adam(model.parameters(), lr=0.3)
    before = (model.state_dict(), optimizer.state_dict())
    with pytest.raises((TypeError, ValueError), match=message) as e:
        nn.load(path, model=model, optimizer=optimizer)
    one_line(e, path)
    assert (model.state_dict(), optimizer.state_dict()) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["hyperparameters"].update(momentum="inf"), "momentum"),
        (lambda o: o["hyperparameters"].update(dampening="-inf"), "dampening"),
        (lambda o: o["hyperparameters"].update(lr="inf"), "lr"),
        (lambda o: o["state"]["momentum_buffer"].__setitem__(0, [0.0] * 10**6), "momentum_buffer"),
    ],
)
def test_sgd_state_that_would_fail_later_is_refused_and_changes_nothing(path, change, message):
    hostile_optimizer(path, nn.SGD, change, lr=0.1, momentum=0.9)
    model = nn.MLP(2, [2, 1], seed=3)
    optimizer = nn.SGD(model.parameters(), lr=0.7)
    before = (model.state_dict(), optimizer.state_dict())
    with pytest.raises((TypeError, ValueError), match=message) as e:
        nn.load(path, model=model, optimizer=optimizer)
    one_line(e, path)
    assert (model.state_dict(), optimizer.state_dict()) == before


def test_a_huge_step_count_is_refused_by_load_state_dict():
    _, source = trained(nn.Adam)
    state = source.state_dict()
    state["step_count"] = 10**400  # beta1 ** t would raise OverflowError in the next step()
    _, target = trained(nn.Adam, lr=0.3)
    before = target.state_dict()
    with pytest.raises(ValueError, match="step_count"):
        target.load_state_dict(state)
    assert target.state_dict() == before


def test_a_diverged_state_still_loads_and_steps(path):
    """nan and inf are refused only where they break the next step, not in the moments."""
    model, optimizer = trained(nn.Adam)
    optimizer.exp_avg[0] = math.nan
    optimizer.exp_avg_sq[1] = math.inf
    nn.save(model, path, optimizer=optimizer)
    target = nn.MLP(2, [2, 1], seed=1)
    target_optimizer = nn.Adam(target.parameters())
    nn.load(path, model=target, optimizer=target_optimizer)
    assert math.isnan(target_optimizer.exp_avg[0])
    target_optimizer.step()
