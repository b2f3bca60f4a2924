"""Regenerate the README pictures in docs/ from the code.

Run from the repository root:  .venv/bin/python docs/make_pictures.py
Needs a Graphviz program (`dot` on PATH, or graphviz-pure) and matplotlib:
pip install 'chainrule[all]'; the walkthrough's screenshot needs Chromium and Playwright too
(apt-get install chromium, pip install 'chainrule[browser]').
"""

from __future__ import annotations

import random
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

# The README's expression and the hand-built MLP are defined once, in tests/hand_mlp.py.
from hand_mlp import example, forward, mlp  # found through the path set just above

from autograd import Value, draw, walkthrough
from nn.cli import main as chainrule

HERE = Path(__file__).resolve().parent


def saturated_neuron() -> tuple[Value, list[tuple[str, Value]]]:
    """tanh(w0*x0 + w1*x1 + b) pushed into saturation: the gradient all but vanishes."""
    x = [Value(2.0, label="x0"), Value(-1.5, label="x1")]
    w = [Value(1.8), Value(-1.2)]
    b = Value(0.4)
    act = sum((wi * xi for wi, xi in zip(w, x, strict=True)), b)
    out = act.tanh()
    out.label = "out"
    out.backward()
    params = [("neuron.w.0", w[0]), ("neuron.w.1", w[1]), ("neuron.b", b)]
    return out, params


def small_mlp_loss() -> tuple[Value, list[tuple[str, Value]]]:
    """A 2-4-4-1 MLP on 20 points with micrograd's hinge loss and L2 penalty."""
    rng = random.Random(0)
    sizes = [2, 4, 4, 1]
    params = mlp(sizes, rng)
    losses = []
    for _ in range(20):
        x = [Value(rng.uniform(-2, 2)) for _ in range(2)]
        score = forward(params, sizes, x)
        y = rng.choice((-1.0, 1.0))
        losses.append((1 + -y * score).relu())
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for _, p in params)
    loss.label = "loss"
    loss.backward()
    return loss, params


def walkthrough_screenshot(path: Path, steps: int = 11) -> Path:
    """docs/walkthrough.png: the README expression's page in Chromium, ``steps`` steps in."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        page_path = walkthrough(example()).save(Path(folder) / "walkthrough.html")
        chromium = shutil.which("chromium") or "/usr/bin/chromium"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1000, "height": 600})
            page.goto(page_path.resolve().as_uri())
            for _ in range(steps):
                page.keyboard.press("ArrowRight")
            page.screenshot(path=str(path))
            browser.close()
    return path


def main() -> None:
    out, params = saturated_neuron()
    loss, mlp_params = small_mlp_loss()
    written = [
        draw(example()).save(HERE / "expression.svg"),
        draw(out, params=params, grad_colors=True).save(HERE / "neuron_gradient_flow.svg"),
        draw(loss, params=mlp_params, collapse=True, cluster=True, grad_colors=True).save(
            HERE / "mlp_collapsed.svg"
        ),
    ]
    # The decision boundary is the one `chainrule train` (make demo) draws.
    with tempfile.TemporaryDirectory() as folder:
        if chainrule(["train", "--quiet", "--out", folder]) != 0:
            raise SystemExit("chainrule train failed")
        written.append(Path(shutil.copy(Path(folder) / "decision_boundary.png", HERE)))
    written.append(walkthrough_screenshot(HERE / "walkthrough.png"))
    for path in written:
        print(f"wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main()
