"""draw() and rendering: SVG checked by parsing it, each renderer path, saving files."""

import doctest
import importlib.util
import os
import re
import shutil
import stat
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET

import pytest
from hand_mlp import demo_loss, example

import autograd.render as render_module
from autograd import Graph, Value, draw, to_dot

draw_module = sys.modules["autograd.graph.draw"]  # autograd.draw is the function
SVG = "{http://www.w3.org/2000/svg}"
needs_renderer = pytest.mark.skipif(
    render_module.find_renderer() is None, reason="no Graphviz program (pip install graphviz-pure)"
)


def renderers() -> list[object]:
    """Each Graphviz program installed here (dot, graphviz-pure), or a skip mark for it."""
    scripts = os.pathsep.join([sysconfig.get_path("scripts"), os.path.dirname(sys.executable)])
    pure = shutil.which("graphviz-pure", path=scripts)
    found = {"dot": shutil.which("dot"), "graphviz-pure": pure}
    return [
        pytest.param(path, id=name, marks=[] if path else pytest.mark.skip(f"{name} not installed"))
        for name, path in found.items()
    ]


def render_with(program: str, source: str) -> str:
    return subprocess.run(
        [program, "-Tsvg"], input=source.encode(), capture_output=True, check=True, timeout=120
    ).stdout.decode()


@pytest.fixture(scope="module")
def demo():
    loss, params = demo_loss()  # micrograd's demo, 16 neurons a layer: the order showed there
    loss.backward()
    return loss, params


def svg_parts(svg: str):
    """(nodes {title: (classes, [texts])}, edges [title]) of an SVG made by Graphviz."""
    root = ET.fromstring(svg)
    nodes, edges = {}, []
    for g in root.iter(f"{SVG}g"):
        classes = g.get("class", "").split()
        title = g.findtext(f"{SVG}title")
        if "node" in classes:
            texts = [t.text for t in g.iter(f"{SVG}text")]
            nodes[title] = (classes, texts)
        elif "edge" in classes:
            edges.append(title)
    return nodes, edges


@needs_renderer
def test_svg_has_every_node_label_and_edge():
    g = draw(example())
    nodes, edges = svg_parts(g.svg)
    assert len(nodes) == 7 + 3 and len(edges) == 9
    values = {texts[0]: texts for classes, texts in nodes.values() if "op" not in classes}
    assert values["e"] == ["e", "data -6", "grad -2"]
    assert values["L"] == ["L", "data -8", "grad 1"]
    assert sorted(texts[0] for classes, texts in nodes.values() if "op" in classes) == [
        "*", "*", "+"
    ]  # fmt: skip
    kinds = {texts[0]: classes[1] for classes, texts in nodes.values()}
    assert kinds["L"] == "output" and kinds["a"] == "leaf" and kinds["e"] == "value"
    # edges are value -> op -> value, and their titles use our stable ids
    src_ids = {line.split()[0] for line in to_dot(example()).splitlines() if " -> " in line}
    assert {e.split("->")[0] for e in edges} == src_ids


@needs_renderer
def test_svg_shows_labels_unescaped():
    x = Value(1.0, label='a|b{c}<d>"e\\')
    nodes, _ = svg_parts(draw(x).svg)
    assert nodes["v0"][1][0] == 'a|b{c}<d>"e\\'


@needs_renderer
def test_collapsed_demo_graph_renders():
    loss, params = demo_loss()
    loss.backward()
    g = draw(loss, params=params, collapse=True, cluster=True, grad_colors=True)
    nodes, edges = svg_parts(g.svg)
    neurons = [texts for classes, texts in nodes.values() if "neuron" in classes]
    assert len(neurons) == 33
    assert sorted(t[0] for t in neurons)[:2] == ["layers.0.neurons.0", "layers.0.neurons.1"]
    only = [texts for classes, texts in nodes.values() if "params_only" in classes]
    assert [t[0] for t in only] == ["parameters only (e.g. a penalty)"]
    assert len(nodes) == 33 + 1 + 1 + 2  # the penalty, the leaves node, the output and its op
    assert len(edges) == g.source.count(" -> ")


@needs_renderer
def test_repr_svg_renders_once(monkeypatch):
    calls = []
    real = draw_module.render

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    g = draw(example())
    with monkeypatch.context() as patched:
        patched.setattr(draw_module, "render", counting)
        assert g._repr_svg_() == g.svg == g._repr_svg_()
    assert len(calls) == 1
    assert ET.fromstring(g.svg).tag == f"{SVG}svg"


def test_draw_takes_to_dot_options():
    loss = example()
    g = draw(loss, rankdir="TB", show_grad=False, digits=2)
    assert g.source == to_dot(loss, rankdir="TB", show_grad=False, digits=2)
    assert "edges" in repr(g)
    with pytest.raises(TypeError, match="DOT text"):
        Graph(3)  # type: ignore[arg-type]  # wrong on purpose: checks the error


# --- saving ----------------------------------------------------------------------------------


def test_save_dot_needs_no_renderer(tmp_path, monkeypatch):
    monkeypatch.setattr(render_module, "find_renderer", lambda: None)
    g = draw(example())
    path = g.save(tmp_path / "graph.dot")
    assert path.read_text() == g.source
    assert g.save(tmp_path / "graph.gv").read_text() == g.source
    assert set(os.listdir(tmp_path)) == {"graph.dot", "graph.gv"}


@needs_renderer
def test_save_svg_and_png(tmp_path):
    g = draw(example())
    svg = g.save(tmp_path / "graph.svg").read_text()
    assert len(svg_parts(svg)[0]) == 10
    png = g.save(str(tmp_path / "graph.PNG")).read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert set(os.listdir(tmp_path)) == {"graph.svg", "graph.PNG"}  # no temporary files left


def test_save_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "graph.png"
    target.write_bytes(b"old picture")

    def broken(*args, **kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(draw_module, "render", broken)
    with pytest.raises(RuntimeError, match="crashed"):
        draw(example()).save(target)
    assert target.read_bytes() == b"old picture"
    assert os.listdir(tmp_path) == ["graph.png"]


def test_save_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"graph\.pdf.*\.svg, \.png, \.dot"):
        draw(example()).save(tmp_path / "graph.pdf")


# --- which program renders -------------------------------------------------------------------


def fake_dot(folder):
    """A `dot` program on PATH: a script that runs graphviz-pure (same flags as dot)."""
    real = render_module.find_renderer()
    script = folder / "dot"
    script.write_text(f'#!/bin/sh\necho called > "{folder}/dot-was-called"\nexec "{real}" "$@"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@needs_renderer
@pytest.mark.skipif(sys.platform == "win32", reason="uses a shell script as `dot`")
def test_system_dot_is_preferred(tmp_path, monkeypatch):
    script = fake_dot(tmp_path)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    assert render_module.find_renderer() == str(script)
    nodes, _ = svg_parts(draw(example()).svg)
    assert len(nodes) == 10
    assert (tmp_path / "dot-was-called").exists()


@needs_renderer
def test_graphviz_pure_is_found_in_the_venv_without_path(tmp_path, monkeypatch):
    # An unactivated venv (a Jupyter kernel): PATH has neither program.
    monkeypatch.setenv("PATH", str(tmp_path))
    found = render_module.find_renderer()
    assert found is not None and os.path.basename(found).startswith("graphviz-pure")
    assert len(svg_parts(draw(example()).svg)[0]) == 10


def test_neither_program_names_both_ways_to_install(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda *args, **kwargs: None)
    assert render_module.find_renderer() is None
    g = draw(example())  # the DOT text needs no program
    assert g.source.startswith("digraph")
    with pytest.raises(ImportError) as info:
        g.svg  # noqa: B018 (the property renders)
    message = str(info.value)
    assert "pip install 'chainrule[viz]'" in message and "graphviz-pure" in message
    assert "`dot` is on PATH" in message and "apt install graphviz" in message
    assert message.startswith("draw needs a Graphviz program")


@needs_renderer
def test_renderer_errors_carry_its_message():
    with pytest.raises(RuntimeError, match=r"-Tsvg failed \(exit \d+\): .*syntax"):
        render_module.render("digraph { a -> }")
    with pytest.raises(ValueError, match="format must be one of svg, png"):
        render_module.render("digraph { }", "pdf")


def test_a_layout_that_takes_too_long_is_stopped_with_advice(tmp_path, monkeypatch):
    slow = tmp_path / "slow-dot"
    slow.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(render_module, "find_renderer", lambda: str(slow))
    with pytest.raises(TimeoutError, match=r"slow-dot took longer than 0\.5 s") as info:
        render_module.render("digraph { a -> b }", timeout=0.5)
    assert "collapse=True" in str(info.value) and "autograd.render.TIMEOUT" in str(info.value)
    monkeypatch.setattr(render_module, "TIMEOUT", 0.5)
    with pytest.raises(TimeoutError, match=r"draw: slow-dot took longer than 0\.5 s"):
        _ = draw(example()).svg


def test_docstring_examples():
    for module in (draw_module, render_module):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


# --- graphviz.Source's API: render, pipe, view -----------------------------------------------

REAL_WHICH = shutil.which


@pytest.fixture
def system_dot():
    """Graphviz's own dot and the graphviz package: skip without them, but fail under CI."""
    missing = []
    if REAL_WHICH("dot") is None:
        missing.append("Graphviz's dot (apt-get install graphviz)")
    if importlib.util.find_spec("graphviz") is None:
        missing.append("the graphviz package (pip install 'chainrule[viz]')")
    if missing and os.environ.get("CI"):
        pytest.fail(f"CI must have {' and '.join(missing)}; .ci/run installs them")
    if missing:
        pytest.skip(f"needs {' and '.join(missing)}")
    return REAL_WHICH("dot")


@pytest.fixture
def no_dot(monkeypatch):
    """A machine without system Graphviz: only graphviz-pure (from the venv) can draw."""
    if render_module.find_renderer() is None:
        pytest.skip("no Graphviz program (pip install graphviz-pure)")

    def which(name, *args, **kwargs):
        return None if name == "dot" else REAL_WHICH(name, *args, **kwargs)

    monkeypatch.setattr("shutil.which", which)
    found = render_module.find_renderer()
    assert found is not None and os.path.basename(found).startswith("graphviz-pure")


@pytest.fixture
def package_calls(monkeypatch):
    """The formats graphviz.Source.pipe was asked for (the package is the one drawing)."""
    graphviz = pytest.importorskip("graphviz")
    calls = []
    real = graphviz.Source.pipe

    def pipe(self, *args, **kwargs):
        calls.append(kwargs.get("format"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(graphviz.Source, "pipe", pipe)
    return calls


def assert_example_svg(svg):
    nodes, edges = svg_parts(svg)
    assert len(nodes) == 10 and len(edges) == 9
    labels = sorted(texts[0] for _, texts in nodes.values())
    assert labels == sorted(["*", "*", "+", "L", "a", "b", "c", "d", "e", "f"])


def test_micrograd_style_render_through_graphviz(system_dot, package_calls, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    dot = draw(example())
    path = dot.render("out", format="svg")
    assert path == "out.svg" and os.path.isfile(path)
    assert_example_svg((tmp_path / "out.svg").read_text())
    assert (tmp_path / "out").read_text() == dot.source  # the DOT text, as graphviz saves it
    assert package_calls == ["svg"]


def test_pipe_gives_bytes_through_graphviz(system_dot, package_calls):
    g = draw(example())
    svg = g.pipe(format="svg")
    assert isinstance(svg, bytes)
    assert_example_svg(svg.decode("utf-8"))
    assert_example_svg(g.pipe(encoding="utf-8"))  # svg is the default format
    assert g.pipe(format="png").startswith(b"\x89PNG\r\n\x1a\n")
    assert g.pipe(format="pdf").startswith(b"%PDF")  # any format dot knows
    assert package_calls == ["svg", "svg", "png", "pdf"]


def test_render_outfile_directory_and_cleanup(system_dot, tmp_path):
    g = draw(example())
    path = g.render(outfile=tmp_path / "pic.png")
    assert path == str(tmp_path / "pic.png")
    assert (tmp_path / "pic.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "pic.gv").read_text() == g.source
    path = g.render("kept", directory=tmp_path / "sub", format="svg", cleanup=True)
    assert path == str(tmp_path / "sub" / "kept.svg")
    assert os.listdir(tmp_path / "sub") == ["kept.svg"]  # no DOT file, no temporary files
    assert g.render(directory=tmp_path) == str(tmp_path / "Graph.gv.svg")


def test_graphviz_property_is_a_source_of_the_dot_text(system_dot):
    graphviz = pytest.importorskip("graphviz")  # (system_dot has checked it is there)
    g = draw(example())
    source = g.graphviz
    assert isinstance(source, graphviz.Source)
    assert source.source == g.source and source.format == "svg"
    assert_example_svg(source.pipe(encoding="utf-8"))


def test_collapsed_model_through_graphviz(system_dot):
    loss, params = demo_loss()
    loss.backward()
    g = draw(loss, params=params, collapse=True, cluster=True, grad_colors=True)
    nodes, edges = svg_parts(g.pipe(encoding="utf-8"))
    assert len(nodes) == 37 and len(edges) == g.source.count(" -> ")


def test_render_and_pipe_without_dot_use_graphviz_pure(no_dot, tmp_path, monkeypatch):
    graphviz = pytest.importorskip("graphviz")

    def not_here(*args, **kwargs):
        raise AssertionError("the graphviz package needs dot; it must not be called")

    monkeypatch.setattr(graphviz.Source, "pipe", not_here)
    monkeypatch.chdir(tmp_path)
    dot = draw(example())
    assert dot.render("out", format="svg") == "out.svg"
    assert_example_svg((tmp_path / "out.svg").read_text())
    assert sorted(os.listdir(tmp_path)) == ["out", "out.svg"]
    svg = dot.pipe(format="svg")
    assert isinstance(svg, bytes)
    assert_example_svg(svg.decode("utf-8"))
    assert dot.pipe(format="png").startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError, match=r"format must be one of svg, png.*Graphviz's own dot"):
        dot.pipe(format="pdf")


def test_without_any_graphviz_program_render_and_pipe_say_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda *args, **kwargs: None)
    g = draw(example())
    for call in (lambda: g.pipe(), lambda: g.render(directory=tmp_path)):
        with pytest.raises(ImportError, match=r"pip install 'chainrule\[viz\]'.*apt install"):
            call()
    assert os.listdir(tmp_path) == []


def test_without_the_graphviz_package_errors_name_the_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    g = draw(example())
    for call in (lambda: g.graphviz, lambda: g.view(directory=tmp_path)):
        with pytest.raises(ImportError) as info:
            call()
        assert str(info.value).endswith("needs the graphviz Python package: "
                                        "pip install 'chainrule[viz]'")  # fmt: skip
    assert os.listdir(tmp_path) == []  # view says so before drawing anything
    if render_module.find_renderer() is not None:  # chainrule's own renderer still draws
        assert_example_svg(g.pipe(encoding="utf-8"))


def viewer(monkeypatch, error=None):
    """Replace the program graphviz opens files with; returns the paths it was given."""
    graphviz = pytest.importorskip("graphviz")
    opened = []

    def view(path, quiet=False):
        if error is not None:
            raise error
        opened.append(path)

    monkeypatch.setattr(graphviz, "view", view)
    return opened


@pytest.mark.parametrize("renderer", ["system_dot", "no_dot"])
def test_view_opens_the_rendered_file(renderer, request, tmp_path, monkeypatch):
    request.getfixturevalue(renderer)
    opened = viewer(monkeypatch)
    g = draw(example())
    path = g.view(directory=tmp_path)
    assert opened == [path] == [str(tmp_path / "Graph.gv.svg")]
    assert_example_svg((tmp_path / "Graph.gv.svg").read_text())
    assert g.render("r", tmp_path, view=True) in opened


@pytest.mark.parametrize("renderer", ["system_dot", "no_dot"])
def test_view_without_a_viewer_says_what_to_install(renderer, request, tmp_path, monkeypatch):
    request.getfixturevalue(renderer)
    viewer(monkeypatch, FileNotFoundError(2, "No such file or directory", "xdg-open"))
    with pytest.raises(RuntimeError) as info:
        draw(example()).view(directory=tmp_path)
    message = str(info.value)
    assert "\n" not in message and "xdg-open" in message and "apt install xdg-utils" in message
    assert (tmp_path / "Graph.gv.svg").exists()  # the picture is there to open by hand


def test_timeout_holds_when_the_graphviz_package_draws(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    slow = tmp_path / "dot"
    slow.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n")
    slow.chmod(slow.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setattr(render_module, "TIMEOUT", 0.5)
    g = draw(example())
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(TimeoutError, match=r"Graph.pipe: dot took longer than 0\.5 s.*TIMEOUT"):
        g.pipe()
    with pytest.raises(TimeoutError, match=r"Graph.render: dot took longer than 0\.5 s"):
        g.render("g", out)
    assert os.listdir(out) == []


@needs_renderer
def test_repr_html_is_the_svg_inline():
    g = draw(example())
    html = g._repr_html_()
    assert html.startswith("<svg") and g.svg.endswith(html)
    assert_example_svg(html)
# --- what the layout makes of it ----------------------------------------------------------------


@pytest.mark.parametrize("program", renderers())
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("cluster", [True, False])
def test_collapsed_neurons_are_drawn_in_their_order(program, rankdir, cluster, demo):
    loss, params = demo
    src = to_dot(loss, params=params, collapse=True, cluster=cluster, rankdir=rankdir)
    root = ET.fromstring(render_with(program, src))
    across = "y" if rankdir == "LR" else "x"  # the axis along a rank: down, or to the right
    place: dict[str, float] = {}
    for g in root.iter(f"{SVG}g"):
        texts = list(g.iter(f"{SVG}text"))
        if "neuron" in g.get("class", "").split():
            place[texts[0].text or ""] = float(texts[0].get(across, "nan"))
    for layer in (0, 1):
        names = [n for n in place if n.startswith(f"layers.{layer}.")]
        names.sort(key=lambda n: place[n])
        assert names == [f"layers.{layer}.neurons.{k}" for k in range(16)]


NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def dejavu_sans():
    """DejaVuSans.ttf (matplotlib ships it; Linux has it in /usr/share/fonts), or a skip."""
    ImageFont = pytest.importorskip("PIL.ImageFont")
    matplotlib = pytest.importorskip("matplotlib")
    for path in (
        os.path.join(matplotlib.get_data_path(), "fonts", "ttf", "DejaVuSans.ttf"),
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ):
        if os.path.exists(path):
            return lambda size: ImageFont.truetype(path, size)
    pytest.skip("no DejaVuSans.ttf")


def spills(svg: str, font) -> list[tuple[str, float]]:
    """(text, points beyond its node's outline) for each text wider than its node."""
    out = []
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if "node" not in g.get("class", "").split():
            continue
        xs: list[float] = []
        for shape in g:
            tag = shape.tag.removeprefix(SVG)
            if tag in ("polygon", "polyline"):
                xs += [float(p.split(",")[0]) for p in shape.get("points", "").split()]
            elif tag == "path":
                xs += [float(n) for n in NUMBER.findall(shape.get("d", ""))][0::2]
            elif tag == "ellipse":
                cx, rx = float(shape.get("cx", "0")), float(shape.get("rx", "0"))
                xs += [cx - rx, cx + rx]
        assert xs, ET.tostring(g)
        for text in g.iter(f"{SVG}text"):
            assert (text.get("font-family") or "").startswith("DejaVu Sans")
            width = font(float(text.get("font-size", "0"))).getlength(text.text or "")
            x = float(text.get("x", "0"))
            left = {"middle": x - width / 2, "start": x, "end": x - width}[
                text.get("text-anchor", "start")
            ]
            beyond = max(min(xs) - left, left + width - max(xs))
            if beyond > 1.0:  # points; a renderer rounds its measures
                out.append((text.text or "", round(beyond, 1)))
    return out


@pytest.mark.parametrize("program", renderers())
def test_labels_fit_their_boxes_in_dejavu_sans(program, demo):
    font = dejavu_sans()
    loss, params = demo
    saturated = (Value(1.8) * 2.0 + Value(-1.2) * -1.5 + 0.4).tanh()
    saturated.backward()
    sources = [
        to_dot(example()),
        to_dot(saturated, grad_colors=True),
        to_dot(loss, params=params, collapse=True, cluster=True, grad_colors=True),
        to_dot(loss, params=params, collapse=True, rankdir="TB"),
    ]
    for src in sources:
        assert spills(render_with(program, src), font) == []
