"""Labels and op names holding anything a str can: the pictures and pages stay valid.

Every control character, NUL, U+FFFE, quotes, braces, pipes, ``<``, ``&``, backslashes and
HTML go into labels and a ``primitive``'s name; the SVG must parse as XML, the page as
HTML, the Markdown must hold no raw HTML, and the text must read them visibly.
"""

from __future__ import annotations

import html.parser
import os
import re
import shutil
import subprocess
import sysconfig
import time
import xml.etree.ElementTree as ET

import pytest

from autograd import Value, explain, primitive, to_dot, walkthrough
from autograd.graph._text import printable

CONTROLS = "".join(map(chr, range(0x20))) + "\x7f\x85"
HOSTILE = f'a{CONTROLS}\ufffe\uffff\ud800 "q" {{b}} |c| <d> &e; &lt; &#0; \\f\\ `g` *h* _i_ [j](k)'
XSS = "<img src=x onerror=alert(1)>"
# an op's name reaches the drawing, the text and the page as well
weird = primitive(f"op\x00\x07{XSS}|{{}}\\", lambda x: 2 * x, lambda out, x: (2,))


def _graph() -> tuple[Value, Value]:
    x = Value(1.5, label=HOSTILE)
    y = weird(x * Value(2.0, label=XSS))
    y.label = "\x00y\ufffe&amp;"
    return y, x


def _renderers() -> list[str]:
    found = [shutil.which("dot")]
    scripts = sysconfig.get_path("scripts")
    found.append(shutil.which("graphviz-pure") or shutil.which("graphviz-pure", path=scripts))
    return [p for p in found if p]


def test_printable_escapes_what_xml_forbids_and_keeps_the_rest():
    assert printable("w_1 <- x & y") == "w_1 <- x & y"
    assert printable("a\x00\x07\ufffe\ud800\nb\tc") == "a\\x00\\x07\\ufffe\\ud800 b c"
    assert printable(printable(HOSTILE)) == printable(HOSTILE)


@pytest.mark.parametrize("collapse", [False, True])
def test_the_dot_source_has_only_printable_characters(collapse):
    y, _ = _graph()
    y.backward()
    params = [(f"layers.0.neurons.0.{HOSTILE}.0", y.parents[0].parents[1])] if collapse else None
    src = to_dot(y, params=params, collapse=collapse, grad_colors=True)
    assert printable(src.replace("\n", "")) == src.replace("\n", "")
    assert "&lt;" not in src.replace("&amp;lt;", "")  # Graphviz would show it as <


@pytest.mark.skipif(not _renderers(), reason="no Graphviz program")
@pytest.mark.parametrize("cluster", [False, True])
def test_every_renderer_makes_svg_an_xml_parser_accepts(cluster):
    y, x = _graph()
    y.backward()
    params = [(f"layers.0.neurons.0.{HOSTILE}.0", x)] if cluster else None
    src = to_dot(y, params=params, cluster=cluster)
    for program in _renderers():
        svg = subprocess.run(
            [program, "-Tsvg"], input=src.encode("utf-8"), capture_output=True, check=True
        ).stdout
        root = ET.fromstring(svg)
        texts = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
        assert "<img" not in svg.decode("utf-8")
        assert XSS in texts, os.path.basename(program)  # shown as written
        assert "&lt;" in texts and "&#0;" in texts and "\\x07" in texts


class _Tags(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


@pytest.mark.skipif(not _renderers(), reason="no Graphviz program")
def test_the_page_parses_and_holds_no_injected_tag(tmp_path):
    y, _ = _graph()
    page = walkthrough(y)
    text = page.save(tmp_path / "page.html").read_text(encoding="utf-8")
    parser = _Tags()
    parser.feed(text)
    parser.close()
    assert "img" not in parser.tags
    assert printable(text.replace("\n", "")) == text.replace("\n", "")
    svg = text[text.index("<svg ") : text.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)  # the inline SVG is still XML
    assert all(printable(step.text) == step.text for step in page.steps)


def test_text_shows_every_character_visibly():
    y, x = _graph()
    e = explain(y, x)
    text = str(e)
    assert printable(text.replace("\n", "")) == text.replace("\n", "")
    assert "\\x07" in text and "\\ufffe" in text and XSS in text


def test_markdown_holds_no_html_and_no_markdown_from_labels():
    y, x = _graph()
    for e in (explain(y, x), explain(y, x, max_paths=0)):
        md = e._repr_markdown_()
        body = md.split("$$")[0] + md.split("$$")[-1]  # the Markdown outside the LaTeX
        # Markdown shows a code span's text as it is, HTML included (the paths and the
        # table's names are code); the rest is read as HTML, so there no tag may remain
        outside = []
        for line in body.splitlines():
            code = re.fullmatch(r"\d+\. (`+) (.*) \1|\| (`+) (.*?) \3 \| [^`]*", line)
            if code:
                fence, text = code.group(1, 2) if code.group(1) else code.group(3, 4)
                assert fence not in text and (XSS in text or line.startswith("|"))
            else:
                outside.append(line)
        parser = _Tags()
        parser.feed("\n".join(outside))
        assert parser.tags == []
        assert "<" not in "".join(outside) and "<" not in md.split("$$")[1]
        assert printable(md.replace("\n", "")) == md.replace("\n", "")


def test_markdown_code_spans_outlast_the_backticks_of_a_label():
    x = Value(1.0, label="a`b``c")
    y = x * 2.0
    y.label = "y*_[z]|"
    md = explain(y, x)._repr_markdown_().splitlines()
    assert md[0].startswith(r"**d y\*\_\[z\]\| / d a\`b\`\`c**")
    assert md[2] == "1. ``` y*_[z]| <-[*]- a`b``c ```"
    table = explain(y, x, max_paths=0)._repr_markdown_()
    assert "| `y*_[z]\\|` |" in table


def test_latex_escapes_every_special_character():
    x = Value(1.0, label="%&^~<>\\_#{}$\x00")
    tex = explain(x * 2.0, x).to_latex()
    assert r"\mathrm{\%\&\hat{}\sim \lt \gt \backslash \_\#\{\}\$\backslash x00}" in tex


def test_ordinary_labels_are_unchanged():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    e = explain(y, x)
    assert e._repr_markdown_().splitlines()[:3] == [
        "**d y / d x** by the chain rule: 2 paths",
        "",
        "1. `y <-[* operand 1]- x`",
    ]
    assert to_dot(y).splitlines()[4].startswith('  v0 [label="{ x | data 3 | grad 0 }"')


def _chain(n: int) -> tuple[Value, Value]:
    x = Value(1.0, label="x")
    y = x
    for _ in range(n):
        y = y * 1.0
    return y, x


def test_explain_is_linear_in_the_path_length():
    y, x = _chain(200_000)
    start = time.perf_counter()
    e = explain(y, x)
    seconds = time.perf_counter() - start
    assert e.path_count == 1 and e.total == 1.0 and e.agrees
    assert e.paths is not None and len(e.paths[0].factors) == 200_000
    assert seconds < 20, seconds  # quadratic took minutes; linear takes about a second
