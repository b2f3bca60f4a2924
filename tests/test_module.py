import math
import random

import pytest

import nn
from autograd import Value


def test_parameter_order_is_micrographs():
    model = nn.MLP(3, [4, 2, 1], seed=0)
    walked = [p for layer in model.layers for n in layer.neurons for p in [*n.w, n.b]]
    assert model.parameters() == walked
    assert model.num_parameters() == 4 * 4 + 2 * 5 + 1 * 3


def test_named_parameters_are_dotted_paths_in_parameter_order():
    model = nn.MLP(2, [2, 1], seed=0)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0", "layers.0.neurons.1.w.1", "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.b",
    ]  # fmt: skip
    assert (
        dict(model.named_parameters())["layers.0.neurons.1.w.0"] is model.layers[0].neurons[1].w[0]
    )


def test_same_seed_same_parameters_and_values_are_the_documented_draws():
    a = nn.MLP(2, [3, 1], seed=42)
    b = nn.MLP(2, [3, 1], seed=42)
    assert a.state_dict() == b.state_dict()
    assert nn.MLP(2, [3, 1], seed=43).state_dict() != a.state_dict()
    # The default scheme draws U(+-1/sqrt(fan_in)) from random.Random(seed), in
    # parameter order: the same numbers on every machine.
    rng = random.Random(42)
    first_layer = [rng.uniform(-1 / math.sqrt(2), 1 / math.sqrt(2)) for _ in range(9)]
    second_layer = [rng.uniform(-1 / math.sqrt(3), 1 / math.sqrt(3)) for _ in range(4)]
    assert [p.data for p in a.parameters()] == first_layer + second_layer


def test_init_schemes():
    uniform = nn.MLP(4, [8, 1], init="uniform", seed=0)
    for layer in uniform.layers:
        for n in layer.neurons:
            assert all(-1 <= w.data <= 1 for w in n.w)
            assert n.b is not None and n.b.data == 0.0
    assert max(abs(p.data) for p in uniform.parameters()) > 0.5  # micrograd's scale, not 1/2
    pytorch = nn.MLP(4, [8, 1], seed=0)
    for layer, bound in zip(pytorch.layers, [1 / 2, 1 / math.sqrt(8)], strict=True):
        assert all(abs(p.data) <= bound for p in layer.parameters())
    assert any(n.b is not None and n.b.data != 0 for n in pytorch.layers[0].neurons)
    normal = nn.MLP(4, [50, 1], init="normal", seed=0)
    weights = [w.data for n in normal.layers[0].neurons for w in n.w]
    assert all(n.b is not None and n.b.data == 0.0 for n in normal.layers[0].neurons)
    assert 0.8 < sum(w * w for w in weights) / len(weights) < 1.2  # variance ~ 1
    with pytest.raises(ValueError, match="'xavier'"):
        nn.MLP(2, [1], init="xavier")


def test_mlp_forward_matches_hand_computation():
    model = nn.MLP(2, [2, 1], activation="tanh", seed=0)
    model.load_state_dict({
        "layers.0.neurons.0.w.0": 0.5, "layers.0.neurons.0.w.1": -1.0, "layers.0.neurons.0.b": 0.1,
        "layers.0.neurons.1.w.0": 2.0, "layers.0.neurons.1.w.1": 0.25, "layers.0.neurons.1.b": 0.0,
        "layers.1.neurons.0.w.0": 1.5, "layers.1.neurons.0.w.1": -0.5, "layers.1.neurons.0.b": 0.2,
    })  # fmt: skip
    x = [0.3, 0.7]
    h0 = math.tanh(0.1 + 0.5 * 0.3 + -1.0 * 0.7)
    h1 = math.tanh(0.0 + 2.0 * 0.3 + 0.25 * 0.7)
    assert model(x).data == pytest.approx(0.2 + 1.5 * h0 + -0.5 * h1, abs=1e-15)


def test_mlp_returns_value_for_one_output_and_list_otherwise():
    assert isinstance(nn.MLP(2, [3, 1], seed=0)([1, 2]), Value)
    out = nn.MLP(2, [3, 2], seed=0)([1, 2])
    assert isinstance(out, list) and len(out) == 2
    # micrograd's bug: a one-neuron hidden layer returned a bare Value and broke the next layer.
    assert isinstance(nn.MLP(2, [1, 3, 1], seed=0)([1.0, 2.0]), Value)
    assert len(nn.MLP(2, [1, 3], seed=0)([1.0, 2.0])) == 3


def test_layer_always_returns_a_list():
    out = nn.Layer(2, 1, seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1


def test_output_activation_none_is_linear_and_hidden_default_is_relu():
    model = nn.MLP(1, [2, 1], seed=0)
    assert model.layers[0].activation == "relu"
    assert model.layers[1].activation == "linear"
    model.load_state_dict({
        "layers.0.neurons.0.w.0": 1.0, "layers.0.neurons.0.b": 0.0,
        "layers.0.neurons.1.w.0": -1.0, "layers.0.neurons.1.b": 0.0,
        "layers.1.neurons.0.w.0": 1.0, "layers.1.neurons.0.w.1": 1.0, "layers.1.neurons.0.b": -5.0,
    })  # fmt: skip
    assert model([-3.0]).data == -2.0  # relu(-3) + relu(3) - 5: negative, so no output relu


@pytest.mark.parametrize(
    ("name", "fn"),
    [
        ("relu", lambda a: max(a, 0.0)),
        ("tanh", math.tanh),
        ("sigmoid", lambda a: 1 / (1 + math.exp(-a))),
        ("leaky_relu", lambda a: a if a > 0 else 0.01 * a),
        ("linear", lambda a: a),
    ],
)
def test_activations_by_name(name, fn):
    n = nn.Neuron(1, activation=name, seed=0)
    n.load_state_dict({"w.0": 1.0, "b": 0.0})
    for a in (-2.0, 0.5):
        assert n([a]).data == pytest.approx(fn(a), abs=1e-15)


def test_callable_activation_and_unknown_name():
    n = nn.Neuron(1, activation=lambda v: v * v, seed=0)
    n.load_state_dict({"w.0": 1.0, "b": 1.0})
    assert n([2.0]).data == 9.0
    with pytest.raises(ValueError, match="'swish'"):
        nn.Neuron(2, activation="swish")
    with pytest.raises(TypeError):
        nn.Neuron(2, activation=3)  # type: ignore[arg-type]  # wrong on purpose: checks the error


def test_neuron_without_bias():
    n = nn.Neuron(2, activation="linear", bias=False, seed=0)
    assert [name for name, _ in n.named_parameters()] == ["w.0", "w.1"]
    n.load_state_dict({"w.0": 2.0, "w.1": 3.0})
    assert n([1.0, 1.0]).data == 5.0
    assert "bias=False" in repr(n)


def test_inputs_may_be_numbers_or_values_and_gradients_reach_input_values():
    model = nn.MLP(2, [3, 1], activation="tanh", seed=1)
    x = [Value(0.4), Value(-0.2)]
    out = model(x)
    assert out.data == model([0.4, -0.2]).data
    assert model([0, 1]).data == model([0.0, 1.0]).data  # ints are fine
    out.backward()
    assert x[0].grad != 0.0 and x[1].grad != 0.0


def test_wrong_input_length_names_both_lengths():
    with pytest.raises(ValueError, match="expected 2 inputs, got 3"):
        nn.MLP(2, [1], seed=0)([1, 2, 3])
    with pytest.raises(ValueError, match="expected 3 inputs, got 1"):
        nn.Neuron(3, seed=0)([1.0])
    with pytest.raises(ValueError, match="expected 2 inputs, got 0"):
        nn.Layer(2, 4, seed=0)([])
    with pytest.raises(TypeError, match="sequence"):
        nn.MLP(1, [1], seed=0)(1.0)  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match="input 1"):
        nn.MLP(2, [1], seed=0)([1.0, "2"])  # type: ignore[list-item]  # wrong on purpose: checks the error


@pytest.mark.parametrize("bad", [0, -1, 2.0, True, None])
def test_bad_sizes_are_value_errors(bad):
    with pytest.raises(ValueError, match=repr(bad)):
        nn.MLP(bad, [1])
    with pytest.raises(ValueError):
        nn.MLP(2, [bad])
    with pytest.raises(ValueError):
        nn.Layer(2, bad)


def test_empty_nouts_rejected():
    with pytest.raises(ValueError, match="nouts"):
        nn.MLP(2, [])
    with pytest.raises(ValueError, match="nouts"):
        nn.MLP(2, 3)  # type: ignore[arg-type]  # wrong on purpose: checks the error


def test_zero_grad():
    model = nn.MLP(2, [2, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_accepts_set_to_none_and_always_leaves_numbers(set_to_none):
    model = nn.MLP(2, [2, 1], seed=0)
    model([1.0, 2.0]).backward()
    first = [p.grad for p in model.parameters()]
    model.zero_grad(set_to_none=set_to_none)
    assert [type(p.grad) for p in model.parameters()] == [float] * len(first)
    assert all(p.grad == 0.0 for p in model.parameters())
    model([1.0, 2.0]).backward()  # the next backward starts from zero, not from `first`
    assert [p.grad for p in model.parameters()] == first


def test_zero_grad_set_to_none_must_be_a_bool():
    model = nn.MLP(2, [1], seed=0)
    model.parameters()[0].grad = 5.0
    with pytest.raises(TypeError, match=r"MLP.zero_grad: set_to_none must be True or False"):
        model.zero_grad(set_to_none="yes")  # type: ignore[arg-type]  # wrong on purpose
    assert model.parameters()[0].grad == 5.0  # nothing changed


def test_repr_is_nested_and_readable():
    text = repr(nn.MLP(2, [16, 1], activation="tanh", seed=0))
    assert text == (
        "MLP(\n  (0): Layer(2 -> 16, activation=tanh)\n  (1): Layer(16 -> 1, activation=linear)\n)"
    )


def test_state_dict_round_trip_and_copy_semantics():
    a = nn.MLP(2, [3, 1], seed=0)
    b = nn.MLP(2, [3, 1], seed=1)
    state = a.state_dict()
    assert all(type(v) is float for v in state.values())
    b.load_state_dict(state)
    assert b.state_dict() == state
    assert b([0.3, 0.1]).data == a([0.3, 0.1]).data
    a.parameters()[0].data += 1.0
    assert b.state_dict() == state  # a state dict holds floats, not the live parameters


def test_load_state_dict_errors_leave_model_unchanged():
    model = nn.MLP(2, [2, 1], seed=0)
    before = model.state_dict()
    missing = dict(before)
    missing.pop("layers.1.neurons.0.b")
    with pytest.raises(ValueError, match=r"missing keys \['layers.1.neurons.0.b'\]"):
        model.load_state_dict({k: 9.0 for k in missing})
    with pytest.raises(ValueError, match=r"unexpected keys \[.extra.\]"):
        model.load_state_dict({**{k: 9.0 for k in before}, "extra": 1.0})
    bad = {k: 9.0 for k in before}
    bad["layers.1.neurons.0.w.1"] = "0.5"  # type: ignore[assignment]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match=r"layers\.1\.neurons\.0\.w\.1"):
        model.load_state_dict(bad)
    bad["layers.1.neurons.0.w.1"] = True
    with pytest.raises(TypeError):
        model.load_state_dict(bad)
    with pytest.raises(TypeError, match="mapping"):
        model.load_state_dict([1.0, 2.0])  # type: ignore[arg-type]  # wrong on purpose: checks the error
    assert model.state_dict() == before


def test_load_state_dict_non_strict_reports_skipped_names():
    model = nn.Neuron(2, seed=0)
    result = model.load_state_dict({"w.0": 5.0, "other": 1.0}, strict=False)
    assert result.missing_keys == ["w.1", "b"]
    assert result.unexpected_keys == ["other"]
    assert model.w[0].data == 5.0


class Affine(nn.Module):
    def __init__(self):
        self.scale = Value(2.0)
        self.inner = nn.Neuron(1, activation="linear", seed=0)
        self.extra = [Value(1.0), nn.Neuron(1, bias=False, seed=0)]
        self.shared = self.scale  # the same parameter again: listed once
        self._cache = Value(7.0)  # private: not a parameter
        self.note = "not a parameter"

    def __call__(self, x):
        return self.scale * self.inner(x)


def test_custom_modules_find_their_parameters():
    m = Affine()
    assert [name for name, _ in m.named_parameters()] == [
        "scale", "inner.w.0", "inner.b", "extra.0", "extra.1.w.0",
    ]  # fmt: skip
    assert m.num_parameters() == 5
    assert m.parameters()[0] is m.scale


def test_mlp_gradients_match_central_differences():
    model = nn.MLP(3, [4, 3, 1], activation="tanh", output_activation="sigmoid", seed=7)
    x = [0.3, -0.8, 0.5]

    def f():
        return model(x).data

    model(x).backward()
    h = 1e-6
    for name, p in model.named_parameters():
        start = p.data
        p.data = start + h
        up = f()
        p.data = start - h
        down = f()
        p.data = start
        assert p.grad == pytest.approx((up - down) / (2 * h), abs=1e-8), name


def test_micrograds_lecture_mlp_is_tanh_in_every_layer_including_the_output():
    # micrograd's lecture: n = MLP(3, [4, 4, 1]), every Neuron returning tanh(w . x + b).
    model = nn.MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=0)
    assert [(layer.nin, layer.nout) for layer in model.layers] == [(3, 4), (4, 4), (4, 1)]
    assert [n.activation for layer in model.layers for n in layer.neurons] == ["tanh"] * 9
    assert model.num_parameters() == 41
    x = [2.0, 3.0, -1.0]
    h = x
    for layer in model.layers:  # by hand, the lecture's way
        h = [
            math.tanh(sum(w.data * xi for w, xi in zip(n.w, h)) + b.data)
            for n in layer.neurons
            if (b := n.b) is not None  # every lecture neuron has a bias
        ]
    out = model(x)
    assert out.data == pytest.approx(h[0], rel=1e-12)
    assert out.op == "tanh"  # the output node itself is a tanh, not a linear sum


def test_output_layer_stays_linear_unless_asked():
    model = nn.MLP(3, [4, 4, 1], activation="tanh", seed=0)
    assert [layer.activation for layer in model.layers] == ["tanh", "tanh", "linear"]


def test_summary_lists_each_layer_and_the_total():
    model = nn.MLP(2, [16, 3], activation="relu", output_activation="sigmoid", seed=0)
    assert model.summary() == (
        "layer  inputs  neurons  activation  parameters\n"
        "0           2       16  relu                48\n"
        "1          16        3  sigmoid             51\n"
        "total                                       99"
    )
    assert model.num_parameters() == 99


def test_summary_of_a_neuron_a_layer_and_a_custom_module():
    assert nn.Neuron(2, bias=False).summary().splitlines()[1].split() == [
        "neuron", "2", "1", "relu", "2"
    ]
    assert nn.Layer(4, 2, activation="tanh").summary().splitlines()[1].split() == [
        "0", "4", "2", "tanh", "10"
    ]

    class Pair(nn.Module):
        def __init__(self):
            self.a, self.b = Value(1.0), Value(2.0)

    lines = Pair().summary().splitlines()
    assert [line.split() for line in lines[1:]] == [["Pair", "2"], ["total", "2"]]
