import json
import math
import os

import pytest

import nn
from autograd import Value


@pytest.fixture
def path(tmp_path):
    return tmp_path / "model.json"


def test_round_trip_restores_every_bit(path):
    model = nn.MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=0)
    odd = [0.1 + 0.2, 1e-300, -5e-324, 123456789.123456789, -0.0]
    for p, v in zip(model.parameters(), odd, strict=False):
        p.data = v
    model.save(path)
    loaded = nn.load(path)
    assert isinstance(loaded, nn.MLP)
    assert repr(loaded) == repr(model)
    assert loaded.state_dict() == model.state_dict()
    assert math.copysign(1.0, loaded.parameters()[4].data) == -1.0  # -0.0 survives
    x = [0.2, -0.4, 0.9]
    assert [v.data for v in loaded(x)] == [v.data for v in model(x)]


def test_file_is_versioned_json(path):
    nn.save(nn.MLP(2, [1], seed=0), path)
    document = json.loads(path.read_text())
    assert document["format"] == "chainrule-checkpoint"
    assert document["version"] == 1
    assert document["model"]["class"] == "MLP"
    assert document["model"]["config"]["nouts"] == [1]
    assert sorted(document["model"]["state"]) == [
        "layers.0.neurons.0.b", "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
    ]  # fmt: skip
    assert document["optimizer"] is None


def test_load_into_an_existing_model(path):
    a, b = nn.MLP(2, [3, 1], seed=0), nn.MLP(2, [3, 1], seed=1)
    a.save(path)
    assert b.load(path) is b
    assert b.state_dict() == a.state_dict()


def test_non_finite_parameters_round_trip(path):
    model = nn.Neuron(2, seed=0)
    model.w[0].data = math.inf
    model.w[1].data = math.nan
    model.save(path)
    # strict JSON: any parser reads it (Python's own would accept bare NaN; this does not)
    document = json.loads(path.read_text(), parse_constant=lambda name: pytest.fail(name))
    assert document["model"]["state"]["w.0"] == "inf" and document["model"]["state"]["w.1"] == "nan"
    loaded = nn.Neuron(2, seed=1).load(path)
    assert loaded.w[0].data == math.inf and math.isnan(loaded.w[1].data)


def edit(path, change):
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        (lambda d: d.update(version=2), ValueError, "version 2"),
        (lambda d: d.update(format="other"), ValueError, "not a chainrule checkpoint"),
        (lambda d: d["model"]["state"].pop("layers.0.neurons.0.b"), ValueError, "missing keys"),
        (lambda d: d["model"]["state"].update(extra=1.0), ValueError, "unexpected keys"),
        (lambda d: d["model"]["state"].update({"layers.0.neurons.0.b": "1"}), TypeError, "number"),
        (lambda d: d["model"]["state"].update({"layers.0.neurons.0.b": None}), TypeError, "number"),
        (lambda d: d["model"].update({"class": "Layer"}), ValueError, "holds a Layer"),
        (lambda d: d["model"]["config"].update(activation="tanh"), ValueError, "saved from"),
        (lambda d: d.pop("optimizer"), ValueError, "expected the keys"),
    ],
)
def test_invalid_checkpoints_are_clear_errors_and_change_nothing(path, change, error, message):
    model = nn.MLP(2, [2, 1], seed=0)
    model.save(path)
    edit(path, change)
    target = nn.MLP(2, [2, 1], seed=1)
    before = target.state_dict()
    with pytest.raises(error, match=message):
        nn.load(path, model=target)
    assert target.state_dict() == before


def test_not_json_is_a_clear_error(path):
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        nn.load(path)


def test_optimizer_state_is_saved_and_restored(path):
    model = nn.MLP(2, [2, 1], seed=0)
    opt = nn.Adam(model.parameters(), lr=0.05)
    for _ in range(3):
        opt.zero_grad()
        nn.mse_loss(model([1.0, -1.0]), 0.5).backward()
        opt.step()
    nn.save(model, path, optimizer=opt)
    model2 = nn.MLP(2, [2, 1], seed=5)
    opt2 = nn.Adam(model2.parameters())
    nn.load(path, model=model2, optimizer=opt2)
    assert opt2.state_dict() == opt.state_dict()
    for m, o in ((model, opt), (model2, opt2)):  # both continue identically
        o.zero_grad()
        nn.mse_loss(m([1.0, -1.0]), 0.5).backward()
        o.step()
    assert model2.state_dict() == model.state_dict()


def test_bad_optimizer_state_leaves_model_and_optimizer_unchanged(path):
    model = nn.MLP(2, [1], seed=0)
    opt = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    nn.save(model, path, optimizer=opt)
    edit(path, lambda d: d["optimizer"]["state"]["momentum_buffer"].append(1.0))
    target = nn.MLP(2, [1], seed=1)
    target_opt = nn.SGD(target.parameters(), lr=0.7)
    before = (target.state_dict(), target_opt.state_dict())
    with pytest.raises(ValueError, match="momentum_buffer"):
        nn.load(path, model=target, optimizer=target_opt)
    assert (target.state_dict(), target_opt.state_dict()) == before
    nn.save(model, path)  # no optimizer in the file
    with pytest.raises(ValueError, match="no optimizer state"):
        nn.load(path, model=target, optimizer=target_opt)
    assert (target.state_dict(), target_opt.state_dict()) == before


def test_models_with_callable_activations_need_a_model_to_load_into(path):
    model = nn.MLP(2, [2, 1], activation=lambda v: v.tanh(), seed=0)
    model.save(path)
    with pytest.raises(ValueError, match=r"load\(path, model=\.\.\.\)"):
        nn.load(path)
    other = nn.MLP(2, [2, 1], activation=lambda v: v.tanh(), seed=1)
    assert nn.load(path, model=other).state_dict() == model.state_dict()


def test_custom_module_round_trip(path):
    class Scale(nn.Module):
        def __init__(self, s):
            self.s = Value(s)

    Scale(2.5).save(path)
    assert Scale(0.0).load(path).s.data == 2.5
    with pytest.raises(ValueError, match="without a config"):
        nn.load(path)


def test_interrupted_save_keeps_the_old_file_and_leaves_no_temporary(path, monkeypatch):
    old = nn.MLP(2, [1], seed=0)
    old.save(path)
    original = path.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    for target in ("os.replace", "os.fsync"):
        with monkeypatch.context() as m:
            m.setattr(target, crash)
            with pytest.raises(OSError, match="disk full"):
                nn.MLP(2, [1], seed=1).save(path)
        assert path.read_bytes() == original
        assert os.listdir(path.parent) == [path.name]
    assert nn.load(path).state_dict() == old.state_dict()


def test_unserialisable_input_fails_before_touching_the_file(path):
    with pytest.raises(TypeError, match=r"nn\.Module"):
        nn.save({"w": 1.0}, path)  # type: ignore[arg-type]  # wrong on purpose: checks the error
    assert not path.exists()


def test_new_file_is_not_private(path):
    nn.MLP(1, [1], seed=0).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o644
