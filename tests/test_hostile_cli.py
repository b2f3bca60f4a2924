"""The ``chainrule`` command under hostile use (issue 13): closed stdout, huge options,
deep expressions, slow drawings, interrupted and failing runs. Each ends as one line on
stderr and an exit status, never a traceback, and quickly."""

from __future__ import annotations

import contextlib
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import autograd.render
from autograd import Graph
from nn.cli import main
from nn.cli import train as cli_train

ROOT = Path(__file__).resolve().parent.parent


def run_main(argv):
    """main(argv) with stdout and stderr captured: (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return status, out.getvalue(), err.getvalue()


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- 1. the command line --------------------------------------------------------------------


def test_graph_with_stdout_closed_exits_without_a_traceback(tmp_path):
    command = '"$0" -m nn graph "x*y" x=2 y=3 -o "$1" >&-'
    done = subprocess.run(
        ["sh", "-c", command, sys.executable, str(tmp_path / "g.dot")],
        stderr=subprocess.PIPE, cwd=ROOT, timeout=60, text=True,
    )  # fmt: skip
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0
    assert (tmp_path / "g.dot").exists()


@pytest.mark.parametrize(
    ("option", "value", "bound"),
    [("--samples", "50000000", "10,000"), ("--hidden", "20000,20000", "1,000"),
     ("--classes", "1000000000", "100")],
)  # fmt: skip
def test_huge_sizes_are_refused_naming_the_bound(option, value, bound, tmp_path):
    extra = ["--dataset", "blobs"] if option == "--classes" else []
    status, _, err = run_main(["train", option, value, *extra, "--out", tmp_path])
    assert status == 2
    assert bound in one_line_error(err)
    assert not any(tmp_path.iterdir())


def test_samples_times_parameters_is_bounded(tmp_path):
    argv = ["train", "--samples", "10000", "--hidden", "64,64", "--out", tmp_path]
    status, _, err = run_main(argv)
    assert status == 2
    assert "5,000,000" in one_line_error(err)


def test_the_bounds_are_in_the_help():
    status, out, _ = run_main(["train", "--help"])
    assert status == 0
    out = " ".join(out.split())
    assert "at most 10,000" in out and "at most 1,000" in out and "5,000,000" in out


def test_an_error_deep_in_a_long_expression_is_one_short_line(tmp_path):
    text = "log(" + "-".join(["x"] * 400) + ")"
    status, _, err = run_main(["graph", text, "x=1", "-o", tmp_path / "g.dot"])
    assert status == 1
    line = one_line_error(err)
    assert "cannot compute 'log(x-x-x" in line and "..." in line
    assert "recursion" not in line
    assert len(line) < 200


def test_a_long_invalid_expression_is_cut_in_the_error(tmp_path):
    text = "(" * 300 + "x" + ")" * 300
    status, _, err = run_main(["graph", text, "x=1", "-o", tmp_path / "g.dot"])
    assert status == 1
    assert len(one_line_error(err)) < 200


def test_explain_of_an_expression_that_is_one_variable_keeps_its_name(tmp_path):
    status, out, err = run_main(["graph", "x", "x=2", "--explain", "x", "-o", tmp_path / "g.dot"])
    assert status == 0, err
    assert "dx/dx = 1" in out
    assert "d x / d x" in out and " f" not in out


# --- 3. drawing: time-outs and the size guard -------------------------------------------------


def test_a_drawing_that_times_out_says_so_and_names_the_options(tmp_path, monkeypatch):
    def slow(*args, **kwargs):
        raise TimeoutError("dot took longer than 0.01 s")

    monkeypatch.setattr(Graph, "svg", property(slow))
    status, _, err = run_main(["graph", "x*y", "x=1", "y=2", "-o", tmp_path / "g.svg"])
    assert status == 1
    line = one_line_error(err)
    assert "timed out" in line and "cannot write" not in line
    assert "--depth" in line and "--timeout" in line
    assert not (tmp_path / "g.svg").exists()


def test_timeout_option_reaches_the_renderer(tmp_path, monkeypatch):
    seen = []

    def svg(self):
        seen.append(autograd.render.TIMEOUT)
        return "<svg></svg>"

    monkeypatch.setattr(Graph, "svg", property(svg))
    status, _, err = run_main(
        ["graph", "x*y", "x=1", "y=2", "-o", tmp_path / "g.svg", "--timeout", "7"]
    )
    assert status == 0, err
    assert seen == [7.0]
    assert autograd.render.TIMEOUT == 60.0  # put back


def test_size_guard_names_the_commands_options(tmp_path):
    text = "+".join(f"x*{i}" for i in range(50))
    status, _, err = run_main(["graph", text, "x=1", "--max-nodes", "20", "-o", tmp_path / "g.dot"])
    assert status == 1
    line = one_line_error(err)
    assert "--depth" in line and "--max-nodes" in line
    assert "max_nodes=" not in line and "params=" not in line
    status, _, err = run_main(
        ["graph", text, "x=1", "--max-nodes", "20", "--depth", "2", "-o", tmp_path / "g.dot"]
    )
    assert status == 0, err
    assert (tmp_path / "g.dot").exists()


# --- 2. a run's outputs appear together or not at all ---------------------------------------

SMALL_RUN = ["train", "--epochs", "2", "--samples", "10", "--quiet"]


def test_a_failed_write_leaves_the_previous_run_in_place(tmp_path, monkeypatch):
    status, _, err = run_main([*SMALL_RUN, "--out", tmp_path])
    assert status == 0, err
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cli_train, "save", fail)  # model.json, after metrics.json and the plots
    status, _, err = run_main([*SMALL_RUN, "--seed", "1", "--out", tmp_path])
    assert status == 1
    assert "No space left" in one_line_error(err)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # no new metrics.json beside the old model.json, no staging folder


def test_a_first_run_that_fails_writing_leaves_nothing(tmp_path, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_train, "save", interrupted)
    status, _, err = run_main([*SMALL_RUN, "--out", tmp_path])
    assert status == 130
    assert one_line_error(err) == "chainrule train: interrupted"
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_during_training_exits_130_with_nothing_new(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "nn", "train", "--epochs", "100000", "--quiet", "--out", tmp_path],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(3)  # imports done, training under way
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert one_line_error(err) == "chainrule train: interrupted"
    assert list(tmp_path.iterdir()) == []
