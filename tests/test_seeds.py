"""The networks of the worked examples in shared/seeds, reproduced as known-answer tests.

The expected numbers are derived here in plain float arithmetic with each article's own
formulas, never copied from the articles: their printed figures are rounded, and several
are wrong (see test_worked_example_article_figures).
"""

import math

import pytest

import nn
from autograd import Value

TOL = 1e-12


def sigmoid(a: float) -> float:
    return 1.0 / (1.0 + math.exp(-a))


# --- 1. backprop-worked-example-and-xor.txt: the 2-2-1 worked example -------------------

X1, X2 = 0.35, 0.7
W11 = W21 = 0.2  # inputs x1, x2 -> hidden unit h1
W12 = W22 = 0.3  # inputs x1, x2 -> hidden unit h2
W13, W23 = 0.3, 0.9  # h1, h2 -> output unit O3
TARGET = 0.5
ETA = 1.0


def article_2_2_1() -> dict[str, float]:
    """The article's forward pass, error terms and weight updates, written out."""
    a1 = W11 * X1 + W21 * X2
    y3 = sigmoid(a1)
    a2 = W12 * X1 + W22 * X2
    y4 = sigmoid(a2)
    a3 = W13 * y3 + W23 * y4
    y5 = sigmoid(a3)
    delta5 = y5 * (1 - y5) * (TARGET - y5)  # output unit error
    delta3 = y3 * (1 - y3) * (W13 * delta5)  # hidden unit errors (with the old weights)
    delta4 = y4 * (1 - y4) * (W23 * delta5)
    # Delta w_ij = eta * delta_j * O_i, where O_i is the input the weight multiplies.
    return {
        "y3": y3, "y4": y4, "y5": y5, "delta3": delta3, "delta4": delta4, "delta5": delta5,
        "loss": 0.5 * (TARGET - y5) ** 2,
        "w11": W11 + ETA * delta3 * X1, "w21": W21 + ETA * delta3 * X2,
        "w12": W12 + ETA * delta4 * X1, "w22": W22 + ETA * delta4 * X2,
        "w13": W13 + ETA * delta5 * y3, "w23": W23 + ETA * delta5 * y4,
    }  # fmt: skip


# Where each article weight lives in the MLP (neuron j of a layer reads input i as w.i).
NAMES = {
    "w11": "layers.0.neurons.0.w.0",
    "w21": "layers.0.neurons.0.w.1",
    "w12": "layers.0.neurons.1.w.0",
    "w22": "layers.0.neurons.1.w.1",
    "w13": "layers.1.neurons.0.w.0",
    "w23": "layers.1.neurons.0.w.1",
}


def worked_example_model() -> nn.MLP:
    model = nn.MLP(2, [2, 1], activation="sigmoid", output_activation="sigmoid", bias=False)
    start = {"w11": W11, "w21": W21, "w12": W12, "w22": W22, "w13": W13, "w23": W23}
    model.load_state_dict({NAMES[k]: v for k, v in start.items()})
    return model


def test_worked_example_forward_values():
    want = article_2_2_1()
    model = worked_example_model()
    h1, h2 = model.layers[0]([X1, X2])
    y5 = model([X1, X2])
    assert h1.data == pytest.approx(want["y3"], abs=TOL)
    assert h2.data == pytest.approx(want["y4"], abs=TOL)
    assert y5.data == pytest.approx(want["y5"], abs=TOL)


def test_worked_example_gradients_are_minus_error_terms_times_inputs():
    want = article_2_2_1()
    model = worked_example_model()
    y5 = model([X1, X2])
    loss = 0.5 * (TARGET - y5) ** 2
    loss.backward()
    assert loss.data == pytest.approx(want["loss"], abs=TOL)
    params = dict(model.named_parameters())
    # dL/dw_ij = -delta_j * O_i (the article's delta carries the minus sign of the error).
    expected = {
        "w11": -want["delta3"] * X1, "w21": -want["delta3"] * X2,
        "w12": -want["delta4"] * X1, "w22": -want["delta4"] * X2,
        "w13": -want["delta5"] * want["y3"], "w23": -want["delta5"] * want["y4"],
    }  # fmt: skip
    for key, grad in expected.items():
        assert params[NAMES[key]].grad == pytest.approx(grad, abs=TOL), key


def test_worked_example_one_sgd_step_gives_the_updated_weights():
    want = article_2_2_1()
    model = worked_example_model()
    optimizer = nn.SGD(model.parameters(), lr=ETA)
    loss = 0.5 * (TARGET - model([X1, X2])) ** 2
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    state = model.state_dict()
    for key, name in NAMES.items():
        assert state[name] == pytest.approx(want[key], abs=TOL), key


def test_worked_example_article_figures():
    """The article's correctly rounded figures agree; its wrong ones are really wrong."""
    want = article_2_2_1()
    assert want["y5"] == pytest.approx(0.67, abs=0.005)
    assert want["delta3"] == pytest.approx(-0.0027, abs=0.00005)
    # Printed: delta4 = -0.0819, w23(new) = 0.67816, w11(new) = 0.200945. All wrong:
    assert want["delta4"] == pytest.approx(-0.00807, abs=0.00001)
    assert want["w23"] == pytest.approx(0.87874, abs=0.00001)
    assert want["w11"] < W11  # a negative error term lowers w11; the article raises it


# --- 2. the same article's XOR network: 2-4-1 sigmoid, 10,000 epochs, lr 0.1 ------------

XOR_X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
XOR_Y = [0.0, 1.0, 1.0, 0.0]


def half_sum_of_squares(preds, targets):
    """The article's loss: (1/2) * sum of squared errors over the 4 points."""
    return 0.5 * nn.mse_loss(preds, targets, reduction="sum")


@pytest.mark.parametrize("seed", [0, 1])
def test_xor_network_learns_xor(seed):
    # init="normal": standard normal weights and zero biases, as the article's
    # np.random.randn / np.zeros; full batch, plain SGD with learning rate 0.1.
    model = nn.MLP(
        2, [4, 1], activation="sigmoid", output_activation="sigmoid", init="normal", seed=seed
    )
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    history = nn.fit(
        model, XOR_X, XOR_Y, half_sum_of_squares, optimizer, epochs=10_000, progress=False
    )
    assert len(history["loss"]) == 10_000
    assert history["loss"][-1] < history["loss"][0]
    preds = [model(x).data for x in XOR_X]
    for pred, target in zip(preds, XOR_Y, strict=True):
        assert (pred > 0.5) == (target > 0.5), preds
        assert abs(pred - target) < 0.1, preds


# --- 3. backprop-chain-rule-2-3-1.txt: 2-3-1 with identity activations --------------------


def test_2_3_1_chain_rule_products_equal_engine_gradients():
    """Each gradient, written as the article's chain of factors, equals the engine's.

    Notation: w1[j][k] is w^1_{jk} (input k -> hidden node j), w2[j] is w^2_{1j}; Z is a
    node's weighted sum, a = Z its output (identity activation), C = (a^3_1 - y)^2. The
    article names one bias b_1 for the hidden layer; here each hidden node j has its own
    b1[j], whose chain is the same as its weights' with dZ^2_j/db1_j = 1.
    """
    x = [0.8, -1.3]
    y = 0.25
    w1 = [[0.5, -0.4], [0.3, 0.9], [-0.7, 0.2]]
    b1 = [0.1, -0.2, 0.05]
    w2 = [0.6, -1.1, 0.4]
    b2 = 0.3

    # Forward pass in floats.
    Z2 = [w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j] for j in range(3)]
    a2 = Z2  # identity
    Z3 = w2[0] * a2[0] + w2[1] * a2[1] + w2[2] * a2[2] + b2
    a3 = Z3

    # The factors of the article's products.
    dC_da3 = 2 * (a3 - y)
    da3_dZ3 = 1.0
    dZ3_dw2 = a2  # dZ^3_1 / dw^2_1j = a^2_j
    dZ3_db2 = 1.0
    dZ3_da2 = w2  # dZ^3_1 / da^2_j = w^2_1j
    da2_dZ2 = [1.0, 1.0, 1.0]
    dZ2_dw1 = x  # dZ^2_j / dw^1_jk = x_k
    dZ2_db1 = 1.0

    expected = {f"layers.1.neurons.0.w.{j}": dC_da3 * da3_dZ3 * dZ3_dw2[j] for j in range(3)}
    expected["layers.1.neurons.0.b"] = dC_da3 * da3_dZ3 * dZ3_db2
    for j in range(3):
        chain = dC_da3 * da3_dZ3 * dZ3_da2[j] * da2_dZ2[j]
        for k in range(2):
            expected[f"layers.0.neurons.{j}.w.{k}"] = chain * dZ2_dw1[k]
        expected[f"layers.0.neurons.{j}.b"] = chain * dZ2_db1

    model = nn.MLP(2, [3, 1], activation="linear", output_activation=None)
    state = {f"layers.0.neurons.{j}.w.{k}": w1[j][k] for j in range(3) for k in range(2)}
    state.update({f"layers.0.neurons.{j}.b": b1[j] for j in range(3)})
    state.update({f"layers.1.neurons.0.w.{j}": w2[j] for j in range(3)})
    state["layers.1.neurons.0.b"] = b2
    model.load_state_dict(state)

    out = model([Value(x[0]), Value(x[1])])
    assert out.data == pytest.approx(a3, abs=TOL)
    cost = (out - y) ** 2
    cost.backward()
    params = dict(model.named_parameters())
    assert set(params) == set(expected)
    for name, grad in expected.items():
        assert params[name].grad == pytest.approx(grad, abs=TOL), name
