"""Write the notebooks in this folder from the cell sources below, and run them.

    .venv/bin/python notebooks/build.py          # write and execute every notebook
    .venv/bin/python notebooks/build.py --check  # exit 1 if a notebook's cells differ

Keeping the sources here lets the notebooks be reviewed as plain Python in diffs;
tests/test_notebooks.py checks that the committed .ipynb files match them, and
`make test` executes every notebook (nbmake).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}


def notebook(name: str, *cells: tuple[str, str]) -> None:
    NOTEBOOKS[name] = list(cells)


def md(text: str) -> tuple[str, str]:
    return ("markdown", text.strip())


def code(text: str) -> tuple[str, str]:
    return ("code", text.strip())


notebook(
    "1-quickstart.ipynb",
    md("""
# Quickstart: values, gradients and pictures

chainrule's engine is the `autograd` package. Every number in a computation is a `Value`:
it holds the number in `.data`, remembers the values it was made from, and after
`backward()` holds in `.grad` the derivative of the output with respect to itself.
"""),
    code("""
from autograd import Value

a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
f = Value(-2.0, label="f")
e = a * b
e.label = "e"
d = e + c
d.label = "d"
L = d * f
L.label = "L"
print("L =", L.data)
print("L was made by", repr(L.op), "from", [p.label for p in L.parents])
print("local derivatives dL/dd, dL/df:", L.local_grads)
assert L.data == -8.0 and L.local_grads == (-2.0, 4.0)
"""),
    md(r"""
## `backward`: the chain rule, automatically

`L.backward()` walks the graph from `L` back to the leaves and fills in every `.grad`.
By hand, $L = (ab + c) f$, so $\partial L/\partial a = bf = 6$,
$\partial L/\partial b = af = -4$, $\partial L/\partial c = f = -2$ and
$\partial L/\partial f = ab + c = 4$.
"""),
    code("""
L.backward()
for v in (a, b, c, f, e, d):
    print(f"dL/d{v.label} = {v.grad}")
assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
"""),
    md("""
## `draw`: see the graph

`draw` returns a `Graph`; as the last expression of a cell it shows itself. Each value is
a `label | data | grad` record and each op a small node between values. Leaves are rounded
and grey, the output gold.
"""),
    code("""
from autograd import draw

draw(L)
"""),
    md("""
## `walkthrough`: backprop, step by step

`walkthrough(L)` steps through the same graph: the forward pass value by value, then the
backward pass edge by edge, each local derivative times the gradient coming in. Click the
page and use the arrow keys (Home and End jump, Space plays). `page.save("L.html")`
writes it as one file that opens in any browser, offline.
"""),
    code("""
from autograd import walkthrough

page = walkthrough(L)
assert page.steps[2].text == "e = a * b = 2 * -3 = -6"
page
"""),
    md("""
## A neuron

micrograd's classic neuron: $o = \\tanh(x_1 w_1 + x_2 w_2 + b)$, with the bias chosen
so that $o = 1/\\sqrt 2$. The local derivative of tanh is $1 - o^2 = 0.5$: the bias
gets 0.5, and each weight or input gets 0.5 times the factor it is multiplied by.
"""),
    code("""
import math

x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
bias = Value(6.8813735870195432, label="b")
n = x1 * w1 + x2 * w2 + bias
n.label = "n"
o = n.tanh()
o.label = "o"
o.backward()
print(f"o = {o.data:.6f}; 1 - o**2 = {1 - o.data**2:.6f}")
for v in (x1, w1, x2, w2, bias):
    print(f"do/d{v.label} = {v.grad:+.6f}")
assert math.isclose(o.data, 1 / math.sqrt(2))
assert math.isclose(w1.grad, 1.0) and math.isclose(x1.grad, -1.5)
assert w2.grad == 0.0 and math.isclose(x2.grad, 0.5) and math.isclose(bias.grad, 0.5)
"""),
    code("""
draw(o)
"""),
    md("""
## Gradients accumulate in leaves

Leaves (values made directly, like weights) *add* each `backward()` call's gradient to
`.grad`, as parameters do in PyTorch: set them back to 0 before computing new gradients.
"""),
    code("""
o.backward()  # a second call adds the same gradients again
print(f"w1.grad after two calls: {w1.grad:.6f}")
assert math.isclose(w1.grad, 2.0)
for v in (x1, w1, x2, w2, bias):
    v.grad = 0.0
"""),
    md("""
## `grad`: gradients as return values

`grad(output, inputs)` returns the derivatives instead of writing `.grad`. Here
$y = x^2 \\sin x$, so $y' = 2x \\sin x + x^2 \\cos x$.
"""),
    code("""
from autograd import grad

x = Value(3.0, label="x")
y = x**2 * x.sin()
(dy,) = grad(y, [x])
closed_form = 2 * 3.0 * math.sin(3.0) + 3.0**2 * math.cos(3.0)
print(f"engine {dy:.12f}   closed form {closed_form:.12f}   x.grad {x.grad}")
assert math.isclose(dy, closed_form, rel_tol=1e-12) and x.grad == 0.0
"""),
    md("""
## Higher-order derivatives

With `create_graph=True` the gradients are `Value`s with graphs of their own, so they
can be differentiated again. For $y = x^3$ at $x = 2$: $3x^2 = 12$, $6x = 12$, $6$, $0$.
"""),
    code("""
x = Value(2.0, label="x")
d = x**3
derivatives = []
for _ in range(4):
    # allow_unused: the last derivative, 6, no longer depends on x
    (d,) = grad(d, [x], create_graph=True, allow_unused=True)
    derivatives.append(d.data)
print(derivatives)
assert derivatives == [12.0, 12.0, 6.0, 0.0]
"""),
    md("""
A derivative's graph is built from the same rules as the forward pass: for
$y = \\tanh x$ the engine's $dy/dx$ is the graph of $(1 - y \\cdot y) \\cdot 1$ (the 1 is
the gradient `backward` starts with).
"""),
    code("""
x = Value(0.5, label="x")
y = x.tanh()
y.label = "y"
(dy,) = grad(y, [x], create_graph=True)
(d2y,) = grad(dy, [x])
t = y.data
print(f"dy/dx   {dy.data:.12f}   closed form {1 - t**2:.12f}")
print(f"d2y/dx2 {d2y:.12f}   closed form {-2 * t * (1 - t**2):.12f}")
assert math.isclose(dy.data, 1 - t**2) and math.isclose(d2y, -2 * t * (1 - t**2))
draw(dy, show_grad=False)
"""),
    md("""
Next: notebook 2 does backpropagation by hand on a small network and checks a published
worked example against the engine.
"""),
)


notebook(
    "2-backprop-by-hand.ipynb",
    md(r"""
# Backpropagation by hand, checked by the engine

The first seed article ("Backpropagation in Neural Network", GeeksforGeeks, 2024) works
one training step of a tiny network by hand. We redo every number with the engine, put the
exact values beside the article's rounded ones, and list where the article goes wrong.

The network: inputs $x_1 = 0.35$, $x_2 = 0.7$; two hidden units $h_1$, $h_2$ with
outputs $y_3$, $y_4$; one output unit $O_3$ with output $y_5$. $w_{i,j}$ is the weight
from the $i$-th unit of one layer into unit $j$ ($h_1$, $h_2$ or $O_3$):
$w_{1,1} = w_{2,1} = 0.2$, $w_{1,2} = w_{2,2} = 0.3$, $w_{1,3} = 0.3$, $w_{2,3} = 0.9$.
Every unit is a sigmoid
$\sigma(a) = 1/(1 + e^{-a})$ of its weighted input $a$, with no bias. The target is
$t = 0.5$, the loss $L = \frac12 (t - y_5)^2$, and one step of gradient descent with
learning rate $\eta = 1$ updates the weights.
"""),
    code("""
import math

from IPython.display import Markdown

import nn
from autograd import Value, draw, explain, grad

x1, x2, target = 0.35, 0.7, 0.5
start = {"w11": 0.2, "w21": 0.2, "w12": 0.3, "w22": 0.3, "w13": 0.3, "w23": 0.9}


def forward(w):
    \"\"\"Every value of the network, by name, for the weights w (name -> Value).\"\"\"
    v = {"x1": Value(x1), "x2": Value(x2)}
    v["a1"] = w["w11"] * v["x1"] + w["w21"] * v["x2"]
    v["y3"] = v["a1"].sigmoid()
    v["a2"] = w["w12"] * v["x1"] + w["w22"] * v["x2"]
    v["y4"] = v["a2"].sigmoid()
    v["a3"] = w["w13"] * v["y3"] + w["w23"] * v["y4"]
    v["y5"] = v["a3"].sigmoid()
    v["L"] = 0.5 * (target - v["y5"]) ** 2
    for name, value in v.items():
        value.label = name
    return v


def table(header, rows):
    \"\"\"A Markdown table; floats shown to 10 significant digits.\"\"\"
    cell = lambda x: f"{x:.10g}" if isinstance(x, float) else str(x)  # noqa: E731
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return Markdown("\\n".join(lines))


w = {name: Value(data, label=name) for name, data in start.items()}
v = forward(w)
"""),
    md(r"""
## 1. Forward pass

$a_1 = w_{1,1} x_1 + w_{2,1} x_2$ and $y_3 = \sigma(a_1)$; likewise $a_2, y_4$ for
$h_2$ and $a_3 = w_{1,3} y_3 + w_{2,3} y_4$, $y_5 = \sigma(a_3)$ for the output.
"""),
    code("""
article = {"a1": 0.21, "y3": 0.56, "a2": 0.315, "y4": 0.59, "a3": 0.702, "y5": 0.67}
sigmoid = lambda a: 1 / (1 + math.exp(-a))  # noqa: E731
by_hand = {"a1": 0.2 * 0.35 + 0.2 * 0.7, "a2": 0.3 * 0.35 + 0.3 * 0.7}
by_hand["y3"], by_hand["y4"] = sigmoid(by_hand["a1"]), sigmoid(by_hand["a2"])
by_hand["a3"] = 0.3 * by_hand["y3"] + 0.9 * by_hand["y4"]
by_hand["y5"] = sigmoid(by_hand["a3"])
for name, value in by_hand.items():
    assert math.isclose(v[name].data, value, rel_tol=1e-12), name
assert round(v["y3"].data, 4) == 0.5523 and round(v["y5"].data, 4) == 0.6651
table(
    ["value", "article", "engine"],
    [(name, article[name], v[name].data) for name in article]
    + [("error t - y5", -0.17, target - v["y5"].data)],
)
"""),
    md(r"""
The article's $y_3 = 0.56$ should be $0.55$, and in $a_3$ it uses $y_3 = 0.57$ and
$y_4 = 0.59$ where $0.5523$ and $0.5781$ belong, so its $a_3 = 0.702$ is off too.
$y_5$ still rounds to 0.67.

## 2. Error terms

The article's error term of a unit is $\delta_j = -\partial L / \partial a_j$, minus the
derivative of the loss with respect to the unit's weighted input:

$$\delta_5 = y_5 (1 - y_5)(t - y_5), \qquad
\delta_3 = y_3 (1 - y_3)\, w_{1,3}\, \delta_5, \qquad
\delta_4 = y_4 (1 - y_4)\, w_{2,3}\, \delta_5.$$

The engine gives $\partial L / \partial a_j$ directly: `grad(L, [a1, a2, a3])`.
"""),
    code("""
L = v["L"]
dL_da1, dL_da2, dL_da3 = grad(L, [v["a1"], v["a2"], v["a3"]])
delta = {"delta5": -dL_da3, "delta3": -dL_da1, "delta4": -dL_da2}
y3, y4, y5 = v["y3"].data, v["y4"].data, v["y5"].data
# The formulas above, in plain floats, give the engine's numbers.
assert math.isclose(delta["delta5"], y5 * (1 - y5) * (target - y5), rel_tol=1e-12)
assert math.isclose(delta["delta3"], y3 * (1 - y3) * 0.3 * delta["delta5"], rel_tol=1e-12)
assert math.isclose(delta["delta4"], y4 * (1 - y4) * 0.9 * delta["delta5"], rel_tol=1e-12)
assert round(delta["delta4"], 4) == -0.0081
article.update(delta5=-0.0376, delta3=-0.0027, delta4=-0.0819)
table(["error term", "article", "engine"], [(k, article[k], d) for k, d in delta.items()])
"""),
    md(r"""
$\delta_4 = -0.0819$ is ten times too large: the article's own numbers give
$0.59 \cdot 0.41 \cdot 0.9 \cdot (-0.0376) = -0.0082$.

## 3. The graph, with gradients

`L.backward()` fills in $\partial L / \partial w$ for every weight. Passing the weights as
`params` draws them as named parameters (bold).
"""),
    code("""
L.backward()
draw(L, params=list(w.items()))
"""),
    md(r"""
The same backward pass, one edge at a time: each step multiplies a local derivative by
the gradient arriving from above, as the $\delta$s above do. Step through it and check
each number against the article's.
"""),
    code("""
from autograd import walkthrough

page = walkthrough(L, params=list(w.items()))
shown = {step.node: step.grad for step in page.steps if step.phase == "backward"}
for p in w.values():  # the last step reaching each weight shows the engine's gradient
    assert shown[p] == f"grad {p.grad:.4g}", (shown[p], p.grad)
page
"""),
    md(r"""
## 4. Updating the weights

The gradient of a weight is $\partial L / \partial w_{i,j} = -\delta_j O_i$, where
$O_i$ is the output of the unit the weight comes *from* ($x_1$, $x_2$, $y_3$ or $y_4$;
the article writes $O_j$ but computes with $O_i$). Gradient descent moves each weight
against its gradient, $w \leftarrow w - \eta\, \partial L / \partial w$, which is what
`nn.SGD` with `lr=1.0` does.
"""),
    code("""
comes_from = {"w11": x1, "w21": x2, "w12": x1, "w22": x2, "w13": y3, "w23": y4}
goes_to = {"w11": "delta3", "w21": "delta3", "w12": "delta4", "w22": "delta4",
           "w13": "delta5", "w23": "delta5"}
for name, p in w.items():
    assert math.isclose(p.grad, -delta[goes_to[name]] * comes_from[name], rel_tol=1e-12)

nn.SGD(list(w.values()), lr=1.0).step()
new = {name: p.data for name, p in w.items()}
for name, p in w.items():
    assert new[name] == start[name] - p.grad
assert round(new["w23"], 4) == 0.8787 and round(new["w11"], 4) == 0.1990
article_new = {"w11": 0.200945, "w21": 0.29811, "w12": 0.271335, "w22": 0.24267,
               "w13": 0.08567, "w23": 0.67816}
table(
    ["weight", "before", "gradient", "article: after", "engine: after"],
    [(n, start[n], w[n].grad, article_new[n], new[n]) for n in w],
)
"""),
    md("""
## 5. The next forward pass

With the updated weights the output moves toward the target, but not as far as the
article says ($y_5 = 0.61$).
"""),
    code("""
after = forward(w)
article_after = {"y3": 0.57, "y4": 0.56, "y5": 0.61}
assert after["L"].data < L.data
assert round(after["y5"].data, 2) == 0.66
table(
    ["value", "article", "engine"],
    [(n, article_after[n], after[n].data) for n in article_after]
    + [("error t - y5", -0.11, target - after["y5"].data)],
)
"""),
    md("""
## Errata

Each row redoes the article's step from the article's *own* rounded numbers, so that what
is left is the mistake; the engine's exact value is beside it. The check under the table
asserts that every redone value is closer to the exact one than the article's.
"""),
    code("""
a = {"y3": 0.56, "y3 in a3": 0.57, "y4": 0.59, "y5": 0.67, "delta5": -0.0376,
     "delta3": -0.0027, "delta4": -0.0819}  # the article's rounded numbers
d4 = a["y4"] * (1 - a["y4"]) * 0.9 * a["delta5"]  # its delta4, recomputed
redone = {
    "y3": sigmoid(0.21),
    "a3": 0.3 * sigmoid(0.21) + 0.9 * sigmoid(0.315),
    "delta4": d4,
    "w23": 0.9 + a["delta5"] * a["y4"],
    "w11": 0.2 + a["delta3"] * 0.35,
    "w21": 0.2 + a["delta3"] * 0.7,
    "w12": 0.3 + d4 * 0.35,
    "w22": 0.3 + d4 * 0.7,
    "w13": 0.3 + a["delta5"] * a["y3 in a3"],
}
w_redone = {n: redone.get(n, start[n]) for n in start}  # from the redone weights:
y3r = sigmoid(w_redone["w11"] * x1 + w_redone["w21"] * x2)
y4r = sigmoid(w_redone["w12"] * x1 + w_redone["w22"] * x2)
redone["y5 after"] = sigmoid(w_redone["w13"] * y3r + w_redone["w23"] * y4r)
exact = {"y3": v["y3"].data, "a3": v["a3"].data, "delta4": delta["delta4"],
         **new, "y5 after": after["y5"].data}
errata = [
    ("y3", 0.56, "sigma(0.21) = 0.5523 rounds to 0.55, and a3 then uses 0.57"),
    ("a3", 0.702, "uses y3 = 0.57 and y4 = 0.59 instead of 0.5523 and 0.5781"),
    ("delta4", -0.0819, "decimal point slipped: 0.59 * 0.41 * 0.9 * (-0.0376) = -0.0082"),
    ("w23", 0.67816, "adds -0.22184 instead of the delta w of -0.022184"),
    ("w11", 0.200945, "sign lost: delta3 < 0, so delta w = -0.000945"),
    ("w21", 0.29811, "starts from 0.3, but w21 is 0.2"),
    ("w12", 0.271335, "uses the wrong delta4 = -0.0819"),
    ("w22", 0.24267, "uses the wrong delta4 = -0.0819"),
    ("w13", 0.08567, "decimal point slipped: 0.3 - 0.21432 instead of 0.3 - 0.021432"),
    ("y5 after", 0.61, "not what the updated weights give: the error is -0.16, not -0.11"),
]
for name, wrong, _ in errata:
    assert abs(redone[name] - exact[name]) < abs(wrong - exact[name]), name
assert round(exact["delta4"], 4) == -0.0081 and round(redone["w23"], 6) == 0.877816
table(
    ["value", "article", "redone from its numbers", "exact (engine)", "what went wrong"],
    [(n, wrong, redone[n], exact[n], why) for n, wrong, why in errata],
)
"""),
    md(r"""
## The 2-3-1 network: the chain rule written out

The second seed (a blog post on the backpropagation algorithm) writes each gradient of a
network with 2 inputs, 3 hidden units and 1 output as a product of local derivatives:

$$\frac{\partial C}{\partial w^1_{11}} = \frac{\partial C}{\partial a^3_1}
\frac{\partial a^3_1}{\partial Z^3_1}\frac{\partial Z^3_1}{\partial a^2_1}
\frac{\partial a^2_1}{\partial Z^2_1}\frac{\partial Z^2_1}{\partial w^1_{11}}$$

$Z^l_j$ is the weighted input of unit $j$ in layer $l$, $a^l_j$ its output, and
$w^1_{jk}$ the weight from input $k$ to hidden unit $j$. The post gives no numbers, so we
choose some: sigmoid units (with the identity activation the post suggests, every
$\partial a / \partial Z$ is 1), the cost $C = (a^3_1 - y)^2$, and one bias per layer,
$b_1$ and $b_2$, as the post lists them. Each $Z$ is one `dot` node (the bias is the
weight of a constant input 1), so the graph has the post's $Z$ and $a$ nodes.

`explain(C, w)` writes out every path from `C` back to `w` as a product of local
derivatives, sums them and checks the sum against the engine's gradient.
"""),
    code("""
from autograd import dot

x = [Value(1.0, label="x1"), Value(0.5, label="x2")]
y = 1.0
W1 = [[0.1, -0.2], [0.4, 0.2], [-0.3, 0.5]]
w1 = [[Value(wjk, label=f"w1_{j}{k}") for k, wjk in enumerate(row, 1)]
      for j, row in enumerate(W1, 1)]
b1 = Value(0.1, label="b1")
w2 = [Value(w1j, label=f"w2_1{j}") for j, w1j in enumerate([0.6, -0.4, 0.3], 1)]
b2 = Value(-0.1, label="b2")

Z2 = [dot([*w1[j], b1], [*x, 1.0]) for j in range(3)]
a2 = [z.sigmoid() for z in Z2]
Z3 = dot([*w2, b2], [*a2, 1.0])
a3 = Z3.sigmoid()
e = a3 - y
C = e**2
for j in range(3):
    Z2[j].label, a2[j].label = f"Z2_{j + 1}", f"a2_{j + 1}"
Z3.label, a3.label, e.label, C.label = "Z3_1", "a3_1", "e", "C"

explanation = explain(C, w1[0][0])
print(explanation)
assert explanation.path_count == 1 and explanation.agrees
"""),
    md(r"""
The one path has the post's five factors, except that $\partial C / \partial a^3_1$ is
split in two: $\partial C / \partial e = 2e$ and $\partial e / \partial a^3_1 = 1$. In
Jupyter an `Explanation` also shows itself as Markdown with LaTeX:
"""),
    code("""
explanation
"""),
    md(r"""
A value used in several places collects gradient along every path: the shared bias
$b_1$ feeds all three hidden units, so $\partial C / \partial b_1$ is a sum of three
products.
"""),
    code("""
explanation = explain(C, b1)
print(explanation)
assert explanation.path_count == 3 and explanation.agrees
"""),
    md(r"""
Finally, the post's formula for every first-layer weight, evaluated in plain floats with
$\partial a / \partial Z = a (1 - a)$ for a sigmoid, against the engine. (The post writes
$Z^3_2$ in the formulas for $w^1_{21}$ and $w^1_{22}$; the network has one output unit,
so it must be $Z^3_1$.)
"""),
    code("""
weights = [wjk for row in w1 for wjk in row]
engine = dict(zip(weights, grad(C, weights)))
slope = lambda a: a.data * (1 - a.data)  # noqa: E731  (d sigmoid / dZ, from its output)
rows = []
for j in range(3):
    for k in range(2):
        wjk = w1[j][k]
        formula = 2 * e.data * slope(a3) * w2[j].data * slope(a2[j]) * x[k].data
        assert math.isclose(engine[wjk], formula, rel_tol=1e-12)
        assert explain(C, wjk).agrees
        rows.append((wjk.label, formula, engine[wjk]))
table(["weight", "the post's formula", "engine: grad(C, [w])"], rows)
"""),
)


notebook(
    "3-xor.ipynb",
    md(r"""
# XOR: a network learns what no line can separate

The first seed article trains a network on XOR with numpy: 2 inputs, 4 sigmoid hidden
units, 1 sigmoid output, weights drawn from a standard normal and biases starting at 0.
Its update follows the gradient of half the sum of squared errors over the four points,
$L = \frac12 \sum_i (y_i - \hat y_i)^2$, with the full batch, learning rate 0.1 and
10,000 epochs. Here is the same network with `nn`: `init="normal"` draws the weights from
a standard normal (like the article's `np.random.randn`) and starts the biases at 0, and
a fixed seed makes the run repeatable.
"""),
    code("""
import matplotlib.pyplot as plt

import nn
from autograd import no_grad

X = [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]
Y = [0.0, 1.0, 1.0, 0.0]
model = nn.MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid",
               init="normal", seed=0)
print(model)
print("parameters:", model.num_parameters())  # 4 * (2 + 1) + (4 + 1)


def half_sse(predictions, targets):
    \"\"\"Half the sum of squared errors over the batch.\"\"\"
    return 0.5 * nn.mse_loss(predictions, targets, reduction="sum")
"""),
    md("""
`nn.fit` runs the loop: predict the four points, compute the loss, `backward()`, and let
`nn.SGD` move every parameter against its gradient. With no `batch_size` each epoch is
one step on the full batch.
"""),
    code("""
optimizer = nn.SGD(model.parameters(), lr=0.1)
history = nn.fit(model, X, Y, half_sse, optimizer, epochs=10_000, progress=False)
for epoch in (0, 1000, 4000, 8000, 9999):
    print(f"epoch {epoch:5d}  loss {history['loss'][epoch]:.6f}")
with no_grad():
    predictions = [model(x).data for x in X]
for x, target, p in zip(X, Y, predictions):
    print(f"{x} -> {p:.4f}  (target {target:.0f})")
assert all((p > 0.5) == (target == 1.0) for p, target in zip(predictions, Y))
assert all(abs(p - target) < 0.1 for p, target in zip(predictions, Y))
assert history["loss"][-1] < history["loss"][0] / 50
"""),
    md("""
## The loss curve

The loss falls slowly at first, while the outputs hover near the mean of the targets,
then quickly once the hidden units have specialised (log scale).
"""),
    code("""
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(history["loss"])
ax.set_yscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("loss: half the sum of squared errors")
ax.set_title("XOR, 2-4-1 sigmoid network, SGD lr 0.1")
plt.show()
"""),
    md("""
## The learned function

The network's output over the whole unit square. The black line is where it crosses 0.5:
(0, 1) and (1, 0) end up on one side, (0, 0) and (1, 1) on the other, which no single
straight line can do.
"""),
    code("""
n = 51
grid = [i / (n - 1) for i in range(n)]
with no_grad():
    surface = [[model([u, v]).data for u in grid] for v in grid]  # rows: x2, columns: x1
assert [surface[0][0], surface[-1][0], surface[0][-1], surface[-1][-1]] == predictions

fig, ax = plt.subplots(figsize=(5, 4))
image = ax.imshow(surface, origin="lower", extent=(0, 1, 0, 1), cmap="RdBu_r", vmin=0, vmax=1)
ax.contour(grid, grid, surface, levels=[0.5], colors="black")
ax.scatter([x[0] for x in X], [x[1] for x in X], c=Y, cmap="RdBu_r", vmin=0, vmax=1,
           s=120, edgecolors="black", clip_on=False, zorder=3)
ax.set_xlabel("x1")
ax.set_ylabel("x2")
fig.colorbar(image, label="network output")
plt.show()
"""),
)

notebook(
    "4-moons.ipynb",
    md(r"""
# Two moons: micrograd's demo with `nn`

micrograd's `demo.ipynb` trains a small classifier on 100 points of two interleaving
half-moons (noise 0.1): an MLP with two hidden layers of 16 ReLU units and a linear
output, the mean hinge loss $\max(0, 1 - y\,s)$ over the points plus an L2 penalty
$10^{-4} \sum p^2$, and 100 steps of full-batch gradient descent with the learning rate
falling linearly from 1.0 to 0.1. `init="uniform"` draws parameters as micrograd's
`Neuron` does (weights uniform in $(-1, 1)$, biases 0). The labels are $\pm 1$ for the
hinge loss. (`nn.datasets.make_moons` makes its own points, so they are not micrograd's.)
"""),
    code("""
import matplotlib.pyplot as plt

import nn
from autograd import draw, no_grad, topological_order, total

X, labels = nn.datasets.make_moons(100, noise=0.1, seed=0)
y = [2 * t - 1 for t in labels]
model = nn.MLP(2, [16, 16, 1], activation="relu", init="uniform", seed=0)
print(model)
print("parameters:", model.num_parameters())


def losses_and_accuracy(model):
    \"\"\"micrograd's two loss terms on all the points, and the fraction classified correctly.\"\"\"
    scores = [model(x) for x in X]
    data_loss = nn.hinge_loss(scores, y)
    # total: one node for the 337 squares, where sum() would chain 337 additions
    reg_loss = 1e-4 * total(p * p for p in model.parameters())
    accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, y)) / len(y)
    return data_loss, reg_loss, accuracy
"""),
    md("""
## The graph of one step, one node per neuron

The hinge loss on 100 points is a graph of thousands of values: for every point, each
neuron's weighted sum, bias and ReLU. `draw(..., collapse=True)` draws each neuron as one
node (it needs the parameters' names to know which values belong to which neuron),
`cluster=True` boxes the layers, and `grad_colors=True` colours each neuron by the
largest |grad| of its parameters: dark is small, bright is large, grey is exactly zero.
The L2 penalty is computed from the parameters alone, so it belongs to no neuron: it is
one node, "parameters only", feeding the final sum.
"""),
    code("""
data_loss, reg_loss, accuracy = losses_and_accuracy(model)
loss = data_loss + reg_loss
loss.backward()
print(f"the loss's graph has {len(topological_order(loss)):,} values")
draw(loss, params=model.named_parameters(), collapse=True, cluster=True, grad_colors=True)
"""),
    md("""
The darkest neuron, `layers.1.neurons.15`, has its ReLU off for every one of the 100
points, so the hinge loss cannot change its weights (a "dead" unit): the only gradient
they get is the penalty's $2 \\cdot 10^{-4}\\,p$.
"""),
    code("""
import math

dead = model.layers[1].neurons[15]
assert all(math.isclose(p.grad, 2e-4 * p.data) for p in dead.parameters())
with no_grad():
    assert all(dead(model.layers[0](x)).data == 0 for x in X)
"""),
    md("""
Is a gradient right? Nudge one weight by $\\pm h$ and watch the loss: the slope
$(L(w + h) - L(w - h)) / 2h$ should match `.grad` (`autograd.gradcheck` does this for
every input of a function).
"""),
    code("""
w = model.layers[0].neurons[0].w[0]
w0, h = w.data, 1e-6
with no_grad():
    w.data = w0 + h
    up = sum(losses_and_accuracy(model)[:2]).data
    w.data = w0 - h
    down = sum(losses_and_accuracy(model)[:2]).data
w.data = w0
numeric = (up - down) / (2 * h)
print(f"engine {w.grad:.9f}   central difference {numeric:.9f}")
assert abs(w.grad - numeric) < 1e-7
"""),
    md("""
## Training

The loop, written out: `nn.LinearLR` makes the learning rate of step $k$
$1 - 0.9 k / 100$, micrograd's schedule.
"""),
    code("""
optimizer = nn.SGD(model.parameters(), lr=1.0)
schedule = nn.LinearLR(optimizer, start_factor=1.0, end_factor=0.1, total_iters=100)
for k in range(100):
    lr = optimizer.lr
    assert abs(lr - (1.0 - 0.9 * k / 100)) < 1e-12
    data_loss, reg_loss, accuracy = losses_and_accuracy(model)
    loss = data_loss + reg_loss
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    schedule.step()
    if k % 10 == 0 or k == 99:
        print(f"step {k:3d}  lr {lr:.3f}  loss {loss.data:.4f}  accuracy {accuracy:.0%}")

data_loss, reg_loss, accuracy = losses_and_accuracy(model)
print(f"after training: loss {data_loss.data + reg_loss.data:.4f}, accuracy {accuracy:.0%}")
assert accuracy == 1.0 and data_loss.data + reg_loss.data < 0.05
"""),
    md("""
## The decision boundary

The model's score over a grid around the data: the two regions are where the score is
positive and negative, and every point lies in its own class's region.
"""),
    code("""
xs = [-1.5 + 4.0 * i / 79 for i in range(80)]
ys = [-1.0 + 2.5 * j / 59 for j in range(60)]
with no_grad():
    scores = [[model([u, v]).data for u in xs] for v in ys]

fig, ax = plt.subplots(figsize=(6, 4))
ax.contourf(xs, ys, scores, levels=[-1e9, 0, 1e9], colors=["#f4a6a6", "#a6c8f4"], alpha=0.8)
ax.contour(xs, ys, scores, levels=[0], colors="black", linewidths=1)
ax.scatter([p[0] for p in X], [p[1] for p in X], c=y, cmap="bwr_r", s=25, edgecolors="black")
ax.set_title(f"2-16-16-1 ReLU MLP: {accuracy:.0%} training accuracy")
plt.show()
"""),
)


notebook(
    "5-beyond-first-order.ipynb",
    md("""
# Beyond first order: Hessians and Newton's method

`grad(y, xs, create_graph=True)` returns gradients that are themselves `Value`s, built
from the same derivative rules that the forward pass used. Differentiating them again
gives second derivatives, and so on to any order.
"""),
    code("""
from autograd import Value, grad

x = Value(0.5)
y = x.tanh()
(d1,) = grad(y, [x], create_graph=True)
(d2,) = grad(d1, [x], create_graph=True)
(d3,) = grad(d2, [x])
t = y.data
print(f"first  {d1.data:.12f}   closed form {1 - t**2:.12f}")
print(f"second {d2.data:.12f}   closed form {-2 * t * (1 - t**2):.12f}")
print(f"third  {d3:.12f}   closed form {(1 - t**2) * (6 * t**2 - 2):.12f}")
"""),
    md("""
## A Hessian

For a function of several inputs, the Hessian is the matrix of second partial
derivatives: differentiate each component of the gradient with respect to every input.
Here it is for Rosenbrock's function $f(x, y) = (1 - x)^2 + 10 (y - x^2)^2$.
"""),
    code("""
def rosenbrock(x, y):
    return (1 - x) ** 2 + 10 * (y - x**2) ** 2


def gradient_and_hessian(f, point):
    xs = [Value(v) for v in point]
    out = f(*xs)
    first = grad(out, xs, create_graph=True)
    hessian = [list(grad(g, xs, allow_unused=True)) for g in first]
    return out.data, [g.data for g in first], hessian


value, g, hess = gradient_and_hessian(rosenbrock, [-1.0, 2.0])
x, y = -1.0, 2.0
closed_form = [[2 - 40 * y + 120 * x**2, -40 * x], [-40 * x, 20.0]]
print("gradient", g)
print("Hessian ", hess)
print("closed  ", closed_form)
assert hess == closed_form
"""),
    md("""
## Newton's method

Newton's method uses the Hessian to take the step that would jump straight to the
minimum of the local quadratic model: $p \\leftarrow p - H^{-1} \\nabla f$. On
Rosenbrock's curved valley it reaches the minimum at $(1, 1)$ in a handful of steps,
where gradient descent needs thousands.
"""),
    code("""
def solve_2x2(H, g):
    (a, b), (c, d) = H
    det = a * d - b * c
    return [(d * g[0] - b * g[1]) / det, (a * g[1] - c * g[0]) / det]


point = [-1.0, 2.0]
for step in range(8):
    value, g, hess = gradient_and_hessian(rosenbrock, point)
    print(f"step {step}: f = {value:.3e} at ({point[0]:+.6f}, {point[1]:+.6f})")
    delta = solve_2x2(hess, g)
    point = [point[0] - delta[0], point[1] - delta[1]]
print("minimum near", [round(p, 9) for p in point])
assert abs(point[0] - 1) < 1e-9 and abs(point[1] - 1) < 1e-9
"""),
    md("""
## Checking against finite differences

A second derivative can be checked by a central difference of the first derivative.
"""),
    code("""
def first_derivative(v):
    x = Value(v)
    return grad(x.sin() * x.exp(), [x])[0]


x = Value(0.3)
(d1,) = grad(x.sin() * x.exp(), [x], create_graph=True)
(d2,) = grad(d1, [x])
h = 1e-6
numeric = (first_derivative(0.3 + h) - first_derivative(0.3 - h)) / (2 * h)
print(f"analytic {d2:.10f}  numeric {numeric:.10f}")
assert abs(d2 - numeric) < 1e-6
"""),
    md("""
## The graph as a formula

`to_sympy` writes a graph out as the SymPy expression it computes (it needs SymPy:
`pip install 'chainrule[symbolic]'`). Labelled leaves become symbols, and the numbers
you wrote stay exact. SymPy can then differentiate the formula itself, and its answer,
evaluated at the leaves' values, must be the engine's: here the gradient and the
Hessian of Rosenbrock's function.
"""),
    code("""
import sympy

from autograd import explain, to_sympy

px, py = Value(-1.0, label="x"), Value(2.0, label="y")
f = rosenbrock(px, py)
formula = to_sympy(f)
print("f       =", formula)
X, Y = sympy.symbols("x y", real=True)  # to_sympy's symbols are real
print("df/dx   =", sympy.diff(formula, X))
at = {X: px.data, Y: py.data}
by_sympy = [float(sympy.diff(formula, s).subs(at)) for s in (X, Y)]
by_engine = list(grad(f, [px, py]))
print("gradient by SymPy", by_sympy, " by the engine", by_engine)
assert by_sympy == by_engine
hessian = [[float(h) for h in row] for row in sympy.hessian(formula, (X, Y)).subs(at).tolist()]
print("Hessian by SymPy ", hessian, " closed form", closed_form)
assert hessian == closed_form
"""),
    md("""
`explain(..., formula=True)` puts the derivative as a formula beside the chain rule's
path products.
"""),
    code("""
f.label = "f"
print(explain(f, px, formula=True))
"""),
)


notebook(
    "6-forward-vs-reverse.ipynb",
    md("""
# Forward mode or reverse mode?

The chain rule can be applied in two directions.

* **Reverse mode** (`grad`, `backward`) starts at one output and pulls derivatives back to
  the inputs: one sweep gives d(output)/d(every input), a whole row of the Jacobian.
* **Forward mode** (`jvp`) starts at the inputs with a direction (a *tangent* per input) and
  pushes it forward to the outputs: one sweep gives the derivative of every output in that
  direction, a Jacobian-vector product; with the direction "input j only" that is a whole
  column of the Jacobian.

Both use the same derivative rules: each node's tangent is the sum, over its parents, of
d(node)/d(parent) times the parent's tangent, where reverse mode multiplies the same local
derivatives by the gradient coming from the child instead.
"""),
    code("""
from autograd import Value, grad, jacobian, jvp


def f(x, y):
    return [x * y, x.sin() + y]

print("jvp along (1, 0):", jvp(f, [2.0, 3.0], [1.0, 0.0]))  # column 0 of the Jacobian
xs = [Value(2.0), Value(3.0)]
print("grad of output 0:", grad(f(*xs)[0], xs))  # row 0 of the Jacobian
print("Jacobian:", jacobian(f, [2.0, 3.0]))
"""),
    md("""
## Counting sweeps

A function with $n$ inputs and $m$ outputs has an $m \\times n$ Jacobian. Forward mode
needs one sweep per column ($n$ sweeps), reverse mode one per row ($m$ sweeps). So:

* a loss (1 output, many inputs) wants reverse mode: this is why training uses backprop;
* a curve or a simulation (1 input, many outputs) wants forward mode.

Below, both Jacobians are built column by column with `jvp` and row by row with `grad`,
counting the sweeps, on a function with 1 output and 100 inputs and one with 100 outputs
and 1 input.
"""),
    code("""
import math
import time
from itertools import pairwise

from autograd import total


def wide(*xs):  # 100 inputs, 1 output
    return total([(a * b).tanh() for a, b in pairwise(xs)]) + total([x.sin() for x in xs])


def tall(x):  # 1 input, 100 outputs
    outputs, y = [], x
    for _ in range(100):
        y = (0.9 * y + x).tanh()
        outputs.append(y)
    return outputs


def as_list(result):
    return result if isinstance(result, list) else [result]


def by_forward_mode(f, point):
    columns = []
    for j in range(len(point)):
        direction = [1.0 if k == j else 0.0 for k in range(len(point))]
        _, tangent = jvp(f, point, direction)  # one run of f, one forward sweep
        columns.append(as_list(tangent))
    return [list(row) for row in zip(*columns)], len(columns)


def by_reverse_mode(f, point):
    xs = [Value(p) for p in point]
    outputs = as_list(f(*xs))  # one run of f, then one backward sweep per output
    return [list(grad(y, xs, allow_unused=True)) for y in outputs], len(outputs)


def best_time(method, f, point, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result, sweeps = method(f, point)
        times.append(time.perf_counter() - start)
    return result, sweeps, min(times)


for f, point in [(wide, [0.01 * k for k in range(100)]), (tall, [0.5])]:
    J_fwd, n_fwd, t_fwd = best_time(by_forward_mode, f, point)
    J_rev, n_rev, t_rev = best_time(by_reverse_mode, f, point)
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
               for r1, r2 in zip(J_fwd, J_rev) for a, b in zip(r1, r2))
    winner = "forward" if t_fwd < t_rev else "reverse"
    print(f"{f.__name__}: {len(J_fwd)} output(s) x {len(point)} input(s)")
    print(f"  forward mode: {n_fwd:3d} sweep(s), {t_fwd * 1e3:6.2f} ms")
    print(f"  reverse mode: {n_rev:3d} sweep(s), {t_rev * 1e3:6.2f} ms")
    print(f"  {winner} mode wins, about {max(t_fwd, t_rev) / min(t_fwd, t_rev):.0f}x faster")
    assert winner == ("reverse" if f is wide else "forward")
"""),
    md("""
`jacobian(f, inputs)` makes this choice itself (`mode="auto"`: the mode with fewer
sweeps), or takes `mode="forward"` / `mode="reverse"`.

## Second derivatives: forward over reverse

A Hessian-vector product $H v$ is the derivative of the gradient in the direction $v$:
one reverse sweep builds the gradient as a graph (`create_graph=True`), and one forward
sweep differentiates it along $v$. That is what `hvp` does, at the cost of about two
gradients, without ever forming the $n \\times n$ Hessian; `hessian` does one forward
sweep per input.
"""),
    code("""
from autograd import hessian, hvp


def rosenbrock(x, y):
    return (1 - x) ** 2 + 10 * (y - x**2) ** 2


H = hessian(rosenbrock, [-1.0, 2.0])
print("Hessian     ", H)
print("H @ [1, 2]  ", [H[0][0] + 2 * H[0][1], H[1][0] + 2 * H[1][1]])
print("hvp         ", hvp(rosenbrock, [-1.0, 2.0], [1.0, 2.0]))
assert hvp(rosenbrock, [-1.0, 2.0], [1.0, 2.0]) == [H[0][0] + 2 * H[0][1], H[1][0] + 2 * H[1][1]]
"""),
)


def build(name: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3", "display_name": "Python 3", "language": "python"
    }
    # Ids by position, not nbformat's random ones, so that rebuilding an unchanged
    # notebook leaves its file unchanged and diffs show only real changes.
    nb.cells = [
        nbformat.v4.new_markdown_cell(src, id=f"cell-{k}")
        if kind == "markdown"
        else nbformat.v4.new_code_cell(src, id=f"cell-{k}")
        for k, (kind, src) in enumerate(cells)
    ]
    return nb


def make_repeatable(nb: nbformat.NotebookNode) -> None:
    """Remove what differs between runs of the same code: nbclient's execution times, and
    how printed text happened to be split into chunks (adjacent chunks are joined)."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        outputs = []
        for out in cell.get("outputs", []):
            last = outputs[-1] if outputs else None
            if (
                out.output_type == "stream"
                and last is not None
                and last.output_type == "stream"
                and last.name == out.name
            ):
                last.text += out.text
            else:
                outputs.append(out)
        if cell.cell_type == "code":
            cell.outputs = outputs


def sources(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    parser.add_argument("--no-execute", action="store_true", help="write without running")
    args = parser.parse_args()
    stale = []
    for name, cells in NOTEBOOKS.items():
        path = HERE / name
        if args.check:
            if not path.exists() or sources(nbformat.read(path, as_version=4)) != cells:
                stale.append(name)
            continue
        nb = build(name, cells)
        if not args.no_execute:
            from nbclient import NotebookClient

            NotebookClient(nb, timeout=120, resources={"metadata": {"path": str(HERE)}}).execute()
            make_repeatable(nb)
        nbformat.write(nb, path)
        print(f"wrote {path}")
    if stale:
        print("out of date (run notebooks/build.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
