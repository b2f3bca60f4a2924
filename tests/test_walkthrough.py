"""``walkthrough``: the steps against the engine, the page's safety and size, the command line.

No browser here (tests/test_walkthrough_browser.py drives the page in Chromium)."""

from __future__ import annotations

import html.parser
import json
import re
from typing import Any

import pytest
from hand_mlp import forward, mlp
from test_cli import run_main

import autograd
from autograd import GraphTooLargeError, Value, explain, walkthrough
from autograd.graph import Walkthrough


def micrograd_readme():
    """micrograd's README expression (no labels but a and b)."""
    a = Value(-4.0, label="a")
    b = Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)
    c = c + (1 + c - a)
    d = d + (2 * d + (b + a).relu())
    d = d + (3 * d + (b - a).relu())
    e = c - d
    f = e**2
    g = f / 2
    g = g + 10 / f
    return g, a, b


def page_data(page: Walkthrough) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="wt-data">(.*?)</script>', page.html)
    assert match
    return json.loads(match.group(1))


def number(text: str) -> float:
    return float(text)


def test_forward_steps_show_the_op_and_its_numbers():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    f = e.tanh()
    f.label = "f"
    steps = walkthrough(f).steps
    forward = [s.text for s in steps if s.phase == "forward"]
    assert forward == ["a = 2", "b = -3", "e = a * b = 2 * -3 = -6", "f = tanh(e) = tanh(-6) = -1"]
    backward = [s.text for s in steps if s.phase == "backward"]
    assert backward[0].startswith("grad of f = 1")
    assert backward[1].startswith("∂ f / ∂ e = 1 - f ** 2 = 2.458e-05; 2.458e-05 * 1 (grad of f)")


def test_each_contribution_is_local_times_upstream_and_sums_end_at_grad():
    g, a, _ = micrograd_readme()
    page = walkthrough(g)
    g.backward()
    order = autograd.topological_order(g)
    names = explain(g, a).names
    backward = [s for s in page.steps if s.phase == "backward"][1:]
    assert len(backward) == sum(len(n.parents) for n in order)
    pattern = re.compile(r"; (\S+) \* (\S+) \(grad of .*?\) = (\S+); grad of (.*?) = (.*)$")
    last: dict[str, str] = {}
    for step in backward:
        found = pattern.search(step.text)
        assert found, step.text
        local, upstream, contribution, name, total = found.groups()
        assert number(contribution) == pytest.approx(number(local) * number(upstream), rel=2e-3)
        assert step.grad == f"grad {total.rsplit(' = ', 1)[-1]}"
        if " + " in total:  # "6 + 4 = 10": the previous sum, then this edge's share
            before = total.partition(" = ")[0]
            assert before.rsplit(" + ", 1)[0] == last[name]
        last[name] = total.rsplit(" = ", 1)[-1]
    # The last state: every value's gradient, as .grad after backward(), at draw's digits.
    assert {names[n]: f"{n.grad:.4g}" for n in order if n is not g} == last
    assert (last["a"], last["b"]) == ("138.8", "645.6")  # micrograd's README


def test_digits_option_and_near_zero_numbers_are_shown_as_they_are():
    x = Value(1e-17, label="x")
    y = x * 3.0
    y.label = "y"
    steps = walkthrough(y, digits=2).steps
    assert steps[0].text == "x = 1e-17"
    assert steps[2].text == "y = x * t1 = 1e-17 * 3 = 3e-17"


def test_names_are_explains_names_and_the_drawings():
    g, a, _ = micrograd_readme()
    names = explain(g, a).names
    page = walkthrough(g)
    data = page_data(page)
    order = autograd.topological_order(g)
    by_id = {data["els"][e][0]: name for e, name in data["badges"]}
    for i, node in enumerate(order):
        assert by_id[f"v{i}"] == names[node]
        assert f"{names[node]} |" in autograd.to_dot(g).split(f"  v{i} [label=")[1].split("\n")[0]


def test_upstream_scales_the_backward_pass():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    steps = walkthrough(y, upstream=0.5).steps
    assert steps[-2].grad == "grad 3"  # 0.5 * dy/dx = 0.5 * 6
    with pytest.raises(TypeError, match="upstream must be a number"):
        walkthrough(y, upstream="1")  # type: ignore[arg-type]


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


NASTY = "</script><img src=x onerror=alert(1)>"


def test_a_label_cannot_break_out_of_the_page(tmp_path):
    x = Value(2.0, label=NASTY)
    y = (x * x).tanh()
    y.label = "y & <b>"
    page = walkthrough(y)
    text = page.save(tmp_path / "page.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    assert not [t for t, _ in parser.tags if t == "img"]
    assert [a.get("type") for t, a in parser.tags if t == "script"] == ["application/json", None]
    data = json.loads(parser.scripts[0])
    assert any(NASTY in step["t"] for step in data["steps"])  # the label arrives intact
    assert "<b>" not in text and NASTY not in text


def test_the_page_loads_nothing_from_anywhere(tmp_path):
    g, *_ = micrograd_readme()
    text = walkthrough(g).html
    for attribute in re.findall(r'\b(?:src|href)\s*=\s*["\']?([^"\'\s>]*)', text):
        assert "//" not in attribute, attribute
    for url in re.findall(r"url\(([^)]*)\)", text):
        assert "//" not in url, url
    assert "default-src 'none'" in text  # and the browser is told to refuse any request
    assert "<!DOCTYPE svg" not in text and "<?xml" not in text


def test_micrograds_readme_expression_makes_a_small_page(tmp_path):
    g, *_ = micrograd_readme()
    path = walkthrough(g).save(tmp_path / "g.html")
    assert path.stat().st_size < 150_000
    assert [p.name for p in tmp_path.iterdir()] == ["g.html"]
    with pytest.raises(ValueError, match=r"ending in \.html"):
        walkthrough(g).save(tmp_path / "g.svg")


def test_jupyter_shows_it_in_a_sandboxed_frame():
    x = Value(1.0, label="x")
    shown = walkthrough(x * 2)._repr_html_()
    assert shown.startswith("<iframe srcdoc=") and 'sandbox="allow-scripts"' in shown
    assert "<script" not in shown  # all of it inside the attribute, escaped
    assert repr(walkthrough(x * 2)).startswith("<Walkthrough: 7 steps")


def test_too_large_graphs_get_the_same_error_as_draw():
    params = mlp([2, 8, 8, 1], seed=0)
    out = forward(params, [2, 8, 8, 1], [Value(0.5), Value(-1.0)])
    with pytest.raises(GraphTooLargeError, match=r"depth=.*collapse=True"):
        walkthrough(out, max_nodes=50)
    page = walkthrough(out, depth=2)
    assert 1 < sum(s.phase == "forward" for s in page.steps) < 10


def test_depth_steps_cover_the_drawn_edges_and_still_end_at_grad():
    params = mlp([2, 3, 1], seed=1)
    out = forward(params, [2, 3, 1], [Value(0.5), Value(-1.0)])
    page = walkthrough(out, depth=3)
    out.backward()
    finals = {s.node: s.grad for s in page.steps if s.phase == "backward"}
    for node, grad in finals.items():
        assert node is not None and grad == f"grad {node.grad:.4g}"


def test_collapse_walks_the_neurons():
    sizes = [2, 3, 1]
    params = mlp(sizes, seed=0)
    out = forward(params, sizes, [Value(0.5), Value(-1.0)])
    out.label = "out"
    page = walkthrough(out, params=params, collapse=True)
    out.backward()
    source = page.source
    groups = re.findall(r"^\s*(g\d+) \[label=\"([^\"]*)\"", source, re.MULTILINE)
    texts = [s.text for s in page.steps]
    for _, label in groups:  # each neuron has a forward and a backward step, named as drawn
        neuron = label.split("\\n")[0]
        assert sum(f"neuron {neuron} " in t or f"neuron {neuron}:" in t for t in texts) == 2
    named = dict(params)
    w = named["layers.0.neurons.1.w.0"]
    assert any(f"w.0 {w.grad:.4g}" in t and "layers.0.neurons.1:" in t for t in texts)
    assert texts[-1].startswith("done")
    with pytest.raises(ValueError, match="collapse=True needs params"):
        walkthrough(out, collapse=True)


# --- the command line -------------------------------------------------------------------------


def test_graph_html_writes_the_page(tmp_path):
    status, out, err = run_main(
        ["graph", "x*w + b", "x=2", "w=-3", "b=1", "-o", tmp_path / "g.svg", "--html",
         tmp_path / "g.html"]
    )  # fmt: skip
    assert status == 0, err
    assert f"wrote {tmp_path / 'g.html'}" in out
    text = (tmp_path / "g.html").read_text()
    assert "t2 = x * w = 2 * -3 = -6" in text  # the unlabelled product is t2
    status, _, err = run_main(["graph", "x*y", "x=1", "y=2", "--html", tmp_path / "g.txt"])
    assert status == 2 and "must end in .html" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("grads", ["loss", "neuron"])
def test_train_html_writes_neuron_html_and_says_what_the_gradients_are_of(tmp_path, grads):
    argv = ["train", "--epochs", 2, "--samples", 20, "--quiet", "--out", tmp_path, "--html"]
    status, out, err = run_main([*argv, "--neuron-grads", grads])
    assert status == 0, err
    assert (tmp_path / "neuron.html").stat().st_size > 1000
    line = next(t for t in out.splitlines() if "neuron.svg" in t)
    assert ("sample's hinge loss" in line) == (grads == "loss")
    assert ("gradients of its output" in line) == (grads == "neuron")
    assert "neuron.html" in out
