"""The ``chainrule`` command: ``train`` and ``graph``, in-process through ``main(argv)`` and
as a subprocess (``python -m nn``), with the files they write parsed back."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import autograd.render
import nn
from autograd import Value
from nn.cli import main
from nn.cli import train as cli_train
from nn.cli.train import good_lr

ROOT = Path(__file__).resolve().parent.parent
FILES = {"metrics.json", "loss.png", "decision_boundary.png", "model.json", "neuron.svg"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SVG = "{http://www.w3.org/2000/svg}"


def run_main(argv):
    """main(argv) with stdout and stderr captured: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


def svg_texts(path):
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return [t.text for t in root.iter(f"{SVG}text")]


def records(texts):
    """{label: (data, grad)} of the labelled value records among an SVG's texts."""
    found = {}
    for label, data, grad in zip(texts, texts[1:], texts[2:]):
        if data.startswith("data ") and grad.startswith("grad ") and " " not in label:
            found[label] = (float(data.split()[1]), float(grad.split()[1]))
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`chainrule train` with no options but the output folder: micrograd's demo."""
    folder = tmp_path_factory.mktemp("demo") / "runs" / "demo"
    status, out, err = run_main(["train", "--out", folder])
    return folder, status, out, err


# --- chainrule train: the default demo ----------------------------------------------------


def test_default_train_reaches_100_percent_training_accuracy(demo):
    folder, status, out, err = demo
    assert status == 0, err
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["final"]["accuracy"] == 1.0
    assert "training accuracy 100.0%" in out
    # The trained model read back from model.json classifies every training point.
    X, y = nn.datasets.make_moons(100, noise=0.1, seed=0)
    model = nn.load(folder / "model.json")
    assert nn.evaluate(model, X, [2 * t - 1 for t in y], nn.hinge_loss)["accuracy"] == 1.0


def test_default_train_is_micrographs_recipe(demo):
    folder, *_ = demo
    metrics = json.loads((folder / "metrics.json").read_text())
    config = metrics["config"]
    assert config == {
        "dataset": "moons", "samples": 100, "noise": 0.1, "classes": 2, "hidden": [16, 16],
        "activation": "relu", "init": "uniform", "loss": "hinge", "optimizer": "sgd",
        "lr": 1.0, "l2": 1e-4, "epochs": 100, "batch_size": None, "seed": 0, "tape": True,
    }  # fmt: skip
    history = metrics["history"]
    assert len(history["loss"]) == len(history["accuracy"]) == len(history["lr"]) == 100
    # The learning rate falls linearly from 1.0 by 0.009 an epoch (micrograd's 1 - 0.9 k / 100).
    assert history["lr"] == pytest.approx([1.0 - 0.9 * k / 100 for k in range(100)])
    assert history["loss"][-1] < history["loss"][0] / 10
    saved = nn.checkpoint.read(folder / "model.json")
    assert saved["model"]["config"]["nouts"] == [16, 16, 1]
    assert saved["model"]["config"]["activation"] == "relu"
    assert saved["optimizer"] is not None  # a run can be resumed from it


@pytest.mark.parametrize("engine", [[], ["--eager"]])
def test_train_steps_are_the_plain_micrograd_loop(tmp_path, engine):
    """Three epochs of the command equal micrograd's demo loop written out by hand, with
    compiled tapes (the default) and eagerly."""
    status, _, err = run_main(["train", *engine, "--epochs", 3, "--out", tmp_path, "--quiet"])
    assert status == 0, err
    X, y = nn.datasets.make_moons(100, noise=0.1, seed=0)
    y = [2 * t - 1 for t in y]
    model = nn.MLP(2, [16, 16, 1], init="uniform", seed=0)
    losses = []
    for k in range(3):
        scores = [model(x) for x in X]
        data_loss = sum((1 - yi * si).relu() for yi, si in zip(y, scores)) * (1.0 / len(y))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        loss = data_loss + reg_loss
        assert isinstance(loss, Value)  # builtin sum() is typed to give the int 0 for no terms
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / 3) * p.grad
        losses.append(loss.data)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["tape"] is not engine
    assert metrics["history"]["loss"] == pytest.approx(losses, rel=1e-9)
    trained = nn.load(tmp_path / "model.json").state_dict()
    assert list(trained.values()) == pytest.approx(list(model.state_dict().values()), rel=1e-8)


def test_default_train_writes_the_five_files_and_nothing_else(demo):
    folder, *_ = demo
    assert {p.name for p in folder.iterdir()} == FILES  # no temporary files left behind
    for name in ("loss.png", "decision_boundary.png"):
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_MAGIC)
    import matplotlib.image

    image = matplotlib.image.imread(folder / "decision_boundary.png")
    assert image.shape[0] > 100 and image.shape[1] > 100
    texts = svg_texts(folder / "neuron.svg")
    neuron = next(t for t in texts if t.startswith("layers.0.neurons."))
    # The neuron's weights, bias and inputs, each with a data and a grad field.
    for label in ("w.0", "w.1", "b", "x.0", "x.1", "dot", "relu"):
        assert label in texts
    grads = [float(t.split()[1]) for t in texts if t.startswith("grad ")]
    assert any(g != 0 for g in grads), "the drawn neuron passes a gradient"
    assert neuron in (folder / "neuron.svg").read_text()


def test_neuron_svg_gradients_are_the_sample_losses_by_default(demo):
    folder, _, out, _ = demo
    line = next(t for t in out.splitlines() if "neuron.svg" in t)
    found = re.search(r"on sample (\d+), with the gradients of that sample's hinge loss", line)
    assert found, line
    sample = int(found[1])
    model = nn.load(folder / "model.json")
    X, y = nn.datasets.make_moons(100, noise=0.1, seed=0)
    texts = svg_texts(folder / "neuron.svg")
    k = int(next(t for t in texts if t.startswith("layers.0.neurons.")).rsplit(".", 1)[1])
    x = [Value(v) for v in X[sample]]
    nn.hinge_loss([model(x)], [2 * y[sample] - 1]).backward()  # the sample's loss, no L2
    neuron = model.layers[0].neurons[k]
    drawn = records(texts)
    assert drawn["w.0"] == pytest.approx((neuron.w[0].data, neuron.w[0].grad), rel=1e-3)
    assert drawn["x.1"] == pytest.approx((x[1].data, x[1].grad), rel=1e-3)
    assert neuron.b is not None  # the MLP's neurons have biases
    assert drawn["b"][1] == pytest.approx(neuron.b.grad, rel=1e-3) and drawn["b"][1] != 0


def test_neuron_svg_gradients_can_be_the_neurons_own(tmp_path):
    status, out, err = run_main(
        ["train", "--epochs", 5, "--out", tmp_path, "--quiet", "--neuron-grads", "neuron"]
    )
    assert status == 0, err
    assert "on sample 0, with the gradients of its output (d layers.0.neurons." in out
    model = nn.load(tmp_path / "model.json")
    X, _ = nn.datasets.make_moons(100, noise=0.1, seed=0)
    texts = svg_texts(tmp_path / "neuron.svg")
    k = int(next(t for t in texts if t.startswith("layers.0.neurons.")).rsplit(".", 1)[1])
    neuron = model.layers[0].neurons[k]
    # Every neuron before the drawn one is off (relu passes no gradient) on the first sample.
    for earlier in model.layers[0].neurons[:k]:
        assert earlier(X[0]).data == 0.0
    x = [Value(v) for v in X[0]]
    neuron(x).backward()
    drawn = records(texts)
    assert drawn["w.0"] == pytest.approx((neuron.w[0].data, neuron.w[0].grad), rel=1e-3)
    assert drawn["x.1"] == pytest.approx((x[1].data, x[1].grad), rel=1e-3)
    assert drawn["b"][1] == 1.0


def test_train_prints_where_the_files_are(demo):
    folder, _, out, _ = demo
    assert out.splitlines()[0].startswith("MLP 2-16-16-1 (relu, uniform init) on moons")
    for name in FILES:
        assert str(folder / name) in out
    assert f"nn.load({str(folder / 'model.json')!r})" in out


# --- chainrule train: other datasets, losses and optimizers ------------------------------------


@pytest.mark.parametrize(
    ("options", "loss", "outputs"),
    [
        (["--dataset", "blobs", "--optimizer", "adam"], "cross_entropy", 3),
        (["--dataset", "spirals", "--classes", "4", "--hidden", "8"], "cross_entropy", 4),
        (["--dataset", "circles", "--loss", "bce", "--optimizer", "adamw"], "bce", 1),
        (["--dataset", "xor", "--loss", "mse", "--batch-size", "16", "--activation", "tanh"],
         "mse", 1),
        (["--dataset", "blobs", "--classes", "4", "--batch-size", "8", "--eager"],
         "cross_entropy", 4),
        (["--loss", "cross_entropy", "--hidden", "", "--l2", "0"], "cross_entropy", 2),
    ],
)  # fmt: skip
def test_train_option_combinations(tmp_path, options, loss, outputs):
    status, out, err = run_main(["train", *options, "--epochs", 2, "--samples", 30,
                                 "--out", tmp_path, "--quiet"])  # fmt: skip
    assert status == 0, err
    # Two epochs may leave a run at chance: then the one line says so, and nothing else.
    assert err == "" or re.fullmatch(r"chainrule train: warning: training stalled: [^\n]*\n", err)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["loss"] == loss
    assert len(metrics["history"]["accuracy"]) == 2
    assert 0.0 <= metrics["final"]["accuracy"] <= 1.0
    model = nn.load(tmp_path / "model.json")
    assert model.nouts[-1] == outputs
    assert {p.name for p in tmp_path.iterdir()} == FILES
    assert "MLP" not in out  # --quiet: no plan line


@pytest.mark.parametrize("options", [["--dataset", "blobs"], ["--loss", "mse"]])
def test_where_sgd_at_1_diverges_the_default_lr_is_smaller(tmp_path, options):
    status, _, err = run_main(["train", *options, "--epochs", 30, "--out", tmp_path, "--quiet"])
    assert status == 0, err
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["config"]["lr"] == 0.1
    assert metrics["final"]["accuracy"] > 0.9


# --- errors: one line on stderr, a non-zero status, nothing written -----------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "required: COMMAND"),
        (["bogus"], "invalid choice: 'bogus'"),
        (["train", "--dataset", "mars"], "invalid choice: 'mars'"),
        (["train", "--epochs", "-1"], "--epochs: expected an int >= 1, got '-1'"),
        (["train", "--epochs", "0"], "--epochs: expected an int >= 1"),
        (["train", "--samples", "many"], "--samples: expected an int from 1 to 10,000"),
        (["train", "--noise", "-0.1"], "--noise: expected a number >= 0"),
        (["train", "--lr", "0"], "--lr: expected a number > 0"),
        (["train", "--lr", "nan"], "--lr: expected a number > 0"),
        (["train", "--hidden", "16,x"], "--hidden: expected up to 20 comma-separated layer widths"),
        (["train", "--batch-size", "0"], "--batch-size: expected an int >= 1"),
        (["train", "--optimizer", "lbfgs"], "invalid choice: 'lbfgs'"),
        (["train", "--dataset", "blobs", "--loss", "hinge"], "use --loss cross_entropy"),
        (["train", "--dataset", "spirals", "--loss", "bce"], "bce is for two classes"),
        (["train", "--classes", "3"], "moons has 2 classes"),
        (["graph", "x*y", "x=abc", "y=1"], "the value of x must be a number"),
        (["graph", "x*y", "x", "y=1"], "expected NAME=NUMBER"),
        (["graph", "x*y", "2x=1"], "expected NAME=NUMBER"),
        (["graph", "x*y", "x=1", "x=2", "y=1"], "x is given twice"),
        (["graph", "x", "x=1", "--explain", "z"], "z is not a variable of the expression"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path, argv, message):
    out_dir = tmp_path / "out"
    if argv and argv[0] == "train":
        argv = [*argv, "--out", out_dir]
    elif argv and argv[0] == "graph":
        argv = [*argv, "-o", out_dir / "g.svg"]
    status, out, err = run_main(argv)
    assert status == 2
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert message in err
    assert err.startswith("chainrule")
    assert not out_dir.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["x.real", "x=1"], "attribute access (a.b) not allowed"),
        (["__import__('os')"], "unknown function '__import__'"),
        (["x*y", "x=1"], "no value for variable 'y'"),
        (["log(x)", "x=-1"], "cannot compute 'log(x)'"),
        (["x", "x=1", "y=2"], "values given for names not in the expression: y"),
    ],
)
def test_graph_refuses_bad_expressions_with_one_line(tmp_path, argv, message):
    path = tmp_path / "g.svg"
    status, out, err = run_main(["graph", *argv, "-o", path])
    assert status == 1
    assert out == ""
    assert err.startswith("chainrule graph: error: ")
    assert len(err.splitlines()) == 1 and message in err
    assert not path.exists()


@pytest.fixture
def no_training(monkeypatch):
    """Make training fail the test: the errors below must come before it starts."""

    def refuse(*args, **kwargs):
        raise AssertionError("training started although the command could not finish")

    monkeypatch.setattr(cli_train, "_train", refuse)


def test_empty_output_folder_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run_main(["train", "--out", ""])
    assert status == 2 and out == ""
    assert "--out: expected a folder, got an empty path" in err and len(err.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_unwritable_output_folder_is_one_line_error_before_training(tmp_path, no_training):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status, out, err = run_main(["train", "--out", blocker / "runs", "--quiet"])
    assert status == 1
    assert out == ""
    assert err.startswith("chainrule train: error: cannot write to the output folder")
    assert len(err.splitlines()) == 1


def test_missing_matplotlib_names_the_plot_extra(tmp_path, monkeypatch, no_training):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    status, _, err = run_main(["train", "--out", tmp_path / "out"])
    assert status == 1
    assert "pip install 'chainrule[plot]'" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_missing_graphviz_names_the_viz_extra(tmp_path, monkeypatch, no_training):
    monkeypatch.setattr(autograd.render, "find_renderer", lambda: None)
    status, _, err = run_main(["train", "--out", tmp_path / "out"])
    assert status == 1
    assert "pip install 'chainrule[viz]'" in err and len(err.splitlines()) == 1
    status, _, err = run_main(["graph", "x*2", "x=1", "-o", tmp_path / "g.svg"])
    assert status == 1
    assert "pip install 'chainrule[viz]'" in err and len(err.splitlines()) == 1
    # DOT text needs no Graphviz program.
    status, _, err = run_main(["graph", "x*2", "x=1", "-o", tmp_path / "g.dot"])
    assert status == 0, err
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_missing_numpy_names_the_fast_extra_and_eager(tmp_path, monkeypatch, no_training):
    import matplotlib  # noqa: F401 (imported before numpy goes missing: it needs numpy)

    monkeypatch.setitem(sys.modules, "numpy", None)
    status, _, err = run_main(["train", "--out", tmp_path / "out"])
    assert status == 1
    assert "pip install 'chainrule[fast]'" in err and "--eager" in err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    ("outputs", "activation"), [(1, "relu"), (3, "tanh"), (2, "leaky_relu"), (1, "sigmoid")]
)
def test_taped_grid_scores_are_the_eager_ones(outputs, activation):
    model = nn.MLP(2, [5, 4, outputs], activation=activation, init="uniform", seed=3)
    points = [[-1.5 + 0.37 * i, 1.2 - 0.29 * j] for i in range(9) for j in range(7)]
    taped = cli_train._tape_scores(model)(points)
    eager = cli_train._eager_scores(model)(points)
    assert len(taped) == len(eager) == len(points)
    for a, b in zip(taped, eager):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-12)


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_missing_tqdm_names_the_progress_extra_when_a_bar_is_due(tmp_path, monkeypatch):
    monkeypatch.setattr(cli_train, "_train", lambda *a: pytest.fail("training started"))
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(sys, "stdout", Terminal())
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(["train", "--out", str(tmp_path / "out")])
    assert status == 1
    assert "pip install 'chainrule[progress]'" in err.getvalue()
    assert "--quiet" in err.getvalue()


def test_progress_bar_shows_loss_and_accuracy_on_a_terminal_only(tmp_path, monkeypatch):
    argv = ["train", "--epochs", "2", "--samples", "20", "--hidden", "4"]
    monkeypatch.setattr(sys, "stdout", Terminal())
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    assert "loss=" in err.getvalue() and "acc=" in err.getvalue()
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        assert main([*argv, "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert err.getvalue() == ""
    monkeypatch.undo()
    status, _, err = run_main([*argv, "--out", tmp_path / "c"])  # stdout is not a terminal
    assert status == 0 and err == ""


@pytest.mark.parametrize("loss", ["hinge", "bce", "cross_entropy"])
def test_diverging_training_is_a_one_line_error(tmp_path, loss):
    status, _, err = run_main(["train", "--lr", "1e300", "--loss", loss, "--epochs", "3",
                               "--samples", "10", "--out", tmp_path])  # fmt: skip
    assert status == 1
    assert err.startswith("chainrule train: error: training diverged")
    assert "try a smaller --lr" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
def test_a_huge_lr_diverges_for_every_optimizer_with_one_line_naming_a_rate(tmp_path, optimizer):
    status, _, err = run_main(["train", "--optimizer", optimizer, "--lr", "1e6", "--epochs",
                                 "3", "--samples", "20", "--quiet", "--out", tmp_path])  # fmt: skip
    assert status == 1
    assert re.fullmatch(
        r"chainrule train: error: training diverged: the loss went from 0\.954 to \S+ with "
        rf"{optimizer} at lr 1e\+06; try a smaller --lr, such as --lr "
        rf"{good_lr(optimizer, None, 20):g} \(see --help for rates that work\)\n",
        err,
    ), err
    assert not (tmp_path / "model.json").exists()  # nothing written for a diverged run


def test_a_loss_ten_times_its_start_is_divergence_even_when_finite(tmp_path, monkeypatch):
    # sgd at lr 1.0 on batches of 1 (the brief's case) ends with a finite loss 22x its start.
    monkeypatch.setattr(cli_train, "DIVERGED_FACTOR", 1.5)  # the same check on a 1-second run
    status, _, err = run_main(["train", "--batch-size", "1", "--epochs", "10", "--samples",
                               "30", "--quiet", "--out", tmp_path])  # fmt: skip
    assert status == 1
    assert "training diverged: the loss went from 0.9257 to 2.032 with sgd at lr 1;" in err
    assert "--lr 0.1 " in err and len(err.splitlines()) == 1


def test_training_stuck_at_chance_warns_in_one_line_and_still_writes(tmp_path):
    status, _, err = run_main(["train", "--lr", "1e-6", "--epochs", "2", "--samples", "20",
                                 "--quiet", "--out", tmp_path])  # fmt: skip
    assert status == 0
    assert err == (
        "chainrule train: warning: training stalled: accuracy 50.0% is chance for 2 classes "
        "after 2 epochs (loss 0.954 -> 0.954); try a larger --lr or more --epochs "
        "(see --help for rates that work)\n"
    )
    assert (tmp_path / "model.json").exists()


def test_a_rising_loss_at_chance_warns_to_lower_the_lr(tmp_path):
    status, _, err = run_main(["train", "--batch-size", "1", "--epochs", "10", "--samples",
                               "30", "--quiet", "--out", tmp_path])  # fmt: skip
    assert status == 0
    assert "training stalled: accuracy 50.0% is chance" in err
    assert "(loss 0.9257 -> 2.032); try a smaller --lr, such as --lr 0.1 " in err
    assert len(err.splitlines()) == 1


def test_train_help_names_a_good_lr_per_optimizer_and_batch_size():
    status, out, _ = run_main(["train", "--help"])
    assert status == 0
    text = " ".join(out.split())
    assert (
        "sgd 1 full batch, 0.3 with --batch-size 10, 0.1 with --batch-size 1; "
        "adam 0.05 full batch, 0.05 with --batch-size 10, 0.01 with --batch-size 1; "
        "adamw 0.05 full batch"
    ) in text
    assert good_lr("sgd", 1, 100) == 0.1 and good_lr("adam", None, 100) == 0.05


# --- chainrule graph ---------------------------------------------------------------------------


def test_graph_prints_value_and_gradients_and_draws(tmp_path):
    path = tmp_path / "graph.svg"
    status, out, err = run_main(["graph", "tanh(x*w + b)", "x=0.5", "w=-1.2", "b=0.3",
                                 "-o", path, "--explain", "w"])  # fmt: skip
    assert status == 0, err
    lines = out.splitlines()
    t = math.tanh(0.5 * -1.2 + 0.3)
    assert lines[0] == f"f = tanh(x*w + b) = {t:.6g}"
    printed = dict(line.split(" = ") for line in lines[1:4])
    assert float(printed["df/dx"]) == pytest.approx(-1.2 * (1 - t * t), rel=1e-5)
    assert float(printed["df/dw"]) == pytest.approx(0.5 * (1 - t * t), rel=1e-5)
    assert float(printed["df/db"]) == pytest.approx(1 - t * t, rel=1e-5)
    assert lines[4] == f"wrote {path}"
    assert "d f / d w by the chain rule: 1 path" in out
    assert "agrees with the chain rule" in out
    texts = svg_texts(path)
    assert {"x", "w", "b", "f", "tanh", "*", "+"} <= set(texts)


def test_graph_names_the_output_output_when_a_variable_is_called_f(tmp_path):
    status, out, err = run_main(["graph", "f*f", "f=3", "-o", tmp_path / "g.dot"])
    assert status == 0, err
    assert out.splitlines()[:2] == ["output = f*f = 9", "doutput/df = 6"]


def test_graph_writes_png_and_refuses_an_unknown_suffix(tmp_path):
    status, _, err = run_main(["graph", "x*x", "x=3", "-o", tmp_path / "g.png"])
    assert status == 0, err
    assert (tmp_path / "g.png").read_bytes().startswith(PNG_MAGIC)
    status, _, err = run_main(["graph", "x*x", "x=3", "-o", tmp_path / "g.txt"])
    assert status == 1 and "cannot tell the format" in err


@pytest.mark.parametrize(
    "argv", [["-x * y", "x=1", "y=-2", "-o", "{g}"], ["-o", "{g}", "--", "-x*y", "x=1", "y=-2"]]
)
def test_graph_takes_an_expression_that_starts_with_a_minus(tmp_path, argv):
    argv = [a.format(g=tmp_path / "g.dot") for a in argv]
    status, out, err = run_main(["graph", *argv])
    assert status == 0, err
    assert out.splitlines()[1:3] == ["df/dx = 2", "df/dy = -1"]


def test_graph_into_a_missing_folder_is_one_line_error(tmp_path):
    path = tmp_path / "missing" / "g.svg"
    status, out, err = run_main(["graph", "x*x", "x=3", "-o", path])
    assert status == 1 and out == ""
    assert err == f"chainrule graph: error: cannot write {str(path)!r}: No such file or directory\n"


def test_help_and_version_exit_0():
    status, out, _ = run_main(["--version"])
    assert status == 0 and out.strip() == "chainrule 0.1.0"
    for argv in (["--help"], ["train", "--help"], ["graph", "--help"]):
        status, out, _ = run_main(argv)
        assert status == 0 and out.startswith("usage: chainrule")


# --- as a program ------------------------------------------------------------------------------


def python_m_nn(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "nn", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip


def test_python_m_nn_trains_and_draws(tmp_path):
    done = python_m_nn("train", "--epochs", 2, "--samples", 20, "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # not a terminal: no progress bar
    assert {p.name for p in (tmp_path / "run").iterdir()} == FILES
    assert "run/model.json" in done.stdout
    done = python_m_nn("graph", "x*y + 1", "x=2", "y=3", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == ["f = x*y + 1 = 7", "df/dx = 3", "df/dy = 2"]
    assert (tmp_path / "graph.svg").exists()  # the default output


def test_python_m_nn_errors_have_no_traceback(tmp_path):
    done = python_m_nn("train", "--dataset", "mars", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    done = python_m_nn("graph", "x.__class__", "x=1", cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


def test_a_closed_pipe_ends_quietly(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "nn", "graph", "x*y", "x=2", "y=3", "-o", "g.dot"],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert process.stdout is not None  # stdout=PIPE
    process.stdout.close()  # the reader goes away before the command prints
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_console_script_is_declared():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"] == {"chainrule": "nn.cli:run"}
    script = Path(sys.executable).parent / "chainrule"
    if script.exists():  # installed (pip install -e . puts it next to the interpreter)
        done = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
        assert done.stdout.strip() == "chainrule 0.1.0"


@pytest.mark.parametrize(
    ("argv", "suggested"),
    [
        (["-x*y", "x=1", "y=2"], "chainrule graph -- '-x*y' x=1 y=2"),
        (["-x*y"], "chainrule graph -- '-x*y'"),
        (["-x", "x=1", "-o", "g.dot"], "chainrule graph -o g.dot -- -x x=1"),
        (["-tanh(x)", "x=1", "--explain", "x"], "chainrule graph --explain x -- '-tanh(x)' x=1"),
    ],
)
def test_graph_says_to_put_an_expression_starting_with_minus_after_dashes(argv, suggested):
    status, out, err = run_main(["graph", *argv])
    assert status == 2 and out == ""
    assert err.startswith("chainrule graph: error: ")
    assert "looks like an option: put the expression after --" in err
    assert err.rstrip().endswith(f"as in {suggested}")
    assert len(err.splitlines()) == 1


def test_graph_runs_an_expression_starting_with_minus_after_dashes(tmp_path):
    path = tmp_path / "g.dot"
    status, out, err = run_main(["graph", "-o", path, "--", "-x*y", "x=1", "y=-2"])
    assert (status, err) == (0, "")
    assert out.splitlines()[:3] == ["f = -x*y = 2", "df/dx = 2", "df/dy = -1"]
    # Negative values and numbers are not mistaken for a misplaced expression.
    status, out, err = run_main(["graph", "x*-1", "x=-2", "-o", path])
    assert (status, err) == (0, "") and out.startswith("f = x*-1 = 2")
