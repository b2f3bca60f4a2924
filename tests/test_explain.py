"""explain(): paths, products, sums, the check against the engine, and the worked examples."""

import math
import random
import time
from itertools import pairwise

import pytest

from autograd import Explanation, Value, dot, explain, grad, total

# --- the seeds' worked examples ---------------------------------------------------------------


def two_two_one():
    """backprop-worked-example-and-xor.txt: 2-2-1, sigmoid units without biases.

    w_{i,j} is the weight from input i to unit j (h1 = unit 1, h2 = unit 2, O3 = unit 3).
    """
    x1, x2 = Value(0.35, label="x1"), Value(0.7, label="x2")
    w11, w21 = Value(0.2, label="w11"), Value(0.2, label="w21")
    w12, w22 = Value(0.3, label="w12"), Value(0.3, label="w22")
    w13, w23 = Value(0.3, label="w13"), Value(0.9, label="w23")
    target = 0.5
    a1 = w11 * x1 + w21 * x2
    a1.label = "a1"
    y3 = a1.sigmoid()
    y3.label = "y3"
    a2 = w12 * x1 + w22 * x2
    a2.label = "a2"
    y4 = a2.sigmoid()
    y4.label = "y4"
    a3 = w13 * y3 + w23 * y4
    a3.label = "a3"
    y5 = a3.sigmoid()
    y5.label = "y5"
    loss = 0.5 * (target - y5) ** 2
    loss.label = "loss"
    return locals()


def test_2_2_1_w11_is_one_path_through_h1_and_the_output_unit():
    n = two_two_one()
    e = explain(n["loss"], n["w11"])
    assert e.paths is not None
    assert e.path_count == 1 and len(e.paths) == 1
    (path,) = e.paths
    labels = [v.label for v in path.nodes if v.label]
    assert labels == ["loss", "y5", "a3", "y3", "a1", "w11"]
    assert n["y4"] not in path.nodes and n["a2"] not in path.nodes

    # The article: dw11 = eta * delta3 * x1, delta3 = y3(1 - y3) * w13 * delta5,
    # delta5 = y5(1 - y5)(target - y5); the gradient of the loss is -delta3 * x1.
    y3, y5 = n["y3"].data, n["y5"].data
    by_op = dict(zip(path.ops, path.factors, strict=True))
    assert path.factors[path.nodes.index(n["y5"])] == pytest.approx(y5 * (1 - y5))  # sigmoid'
    assert path.factors[path.nodes.index(n["y3"])] == pytest.approx(y3 * (1 - y3))
    assert path.factors[path.nodes.index(n["a1"]) + 1] == pytest.approx(0.35)  # da1/dw11 = x1
    assert 0.3 in path.factors  # da3/dy3 = w13 (through the product w13 * y3)
    assert by_op["**2"] * by_op["-"] * 0.5 == pytest.approx(-(n["target"] - y5))
    delta5 = y5 * (1 - y5) * (n["target"] - y5)
    delta3 = y3 * (1 - y3) * (0.3 * delta5)
    assert e.total == pytest.approx(-delta3 * 0.35, rel=1e-12)
    assert e.agrees and e.engine == pytest.approx(e.total, rel=1e-12)
    # ... and the article's rounded numbers (it rounds y3 to 0.56 and y5 to 0.67)
    assert delta5 == pytest.approx(-0.0376, abs=1e-3)
    assert delta3 == pytest.approx(-0.0027, abs=1e-4)


def test_2_2_1_every_weight_agrees_with_the_engine():
    n = two_two_one()
    for name in ("w11", "w21", "w12", "w22", "w13", "w23"):
        e = explain(n["loss"], n[name])
        assert e.path_count == 1
        assert e.agrees, name
    # x1 feeds both hidden units: two paths, through h1 and through h2
    e = explain(n["loss"], n["x1"])
    assert e.path_count == 2
    assert e.paths is not None
    assert [n["y3"] in p.nodes for p in e.paths] == [True, False]
    assert [n["y4"] in p.nodes for p in e.paths] == [False, True]
    assert e.total == pytest.approx(grad(n["loss"], [n["x1"]])[0], rel=1e-12)


def two_three_one():
    """backprop-chain-rule-2-3-1.txt: w^1_{jk} from input k to hidden j, b1 and b2 shared.

    The article leaves the activation open; we use sigmoid, and C = 0.5 (a3 - y)^2.
    """
    rng = random.Random(7)
    x = [Value(0.6, label="x1"), Value(-0.4, label="x2")]
    w1 = {(j, k): Value(rng.uniform(-1, 1), label=f"w1_{j}{k}") for j in (1, 2, 3) for k in (1, 2)}
    w2 = {j: Value(rng.uniform(-1, 1), label=f"w2_1{j}") for j in (1, 2, 3)}
    b1, b2 = Value(0.1, label="b1"), Value(-0.2, label="b2")
    z2, a2 = {}, {}
    for j in (1, 2, 3):
        z2[j] = w1[j, 1] * x[0] + w1[j, 2] * x[1] + b1
        z2[j].label = f"Z2_{j}"
        a2[j] = z2[j].sigmoid()
        a2[j].label = f"a2_{j}"
    z3 = w2[1] * a2[1] + w2[2] * a2[2] + w2[3] * a2[3] + b2
    z3.label = "Z3"
    a3 = z3.sigmoid()
    a3.label = "a3"
    c = 0.5 * (a3 - 0.25) ** 2
    c.label = "C"
    return {"x": x, "w1": w1, "w2": w2, "b1": b1, "a2": a2, "a3": a3, "c": c}


def segments(path):
    """The product of the local derivatives between consecutive labelled nodes of a path."""
    marks = [i for i, v in enumerate(path.nodes) if v.label]
    out = []
    for i, j in pairwise(marks):
        out.append((path.nodes[i].label, path.nodes[j].label, math.prod(path.factors[i:j])))
    return out


def test_2_3_1_paths_match_the_articles_products():
    n = two_three_one()
    x, w1, w2, a2, a3, c = n["x"], n["w1"], n["w2"], n["a2"], n["a3"], n["c"]
    dc_da3 = a3.data - 0.25
    da3_dz3 = a3.data * (1 - a3.data)
    for (j, k), w in w1.items():
        e = explain(c, w)
        assert e.paths is not None
        (path,) = e.paths
        # dC/dw1_jk = dC/da3 * da3/dZ3 * dZ3/da2_j * da2_j/dZ2_j * dZ2_j/dw1_jk
        expected = [
            ("C", "a3", dc_da3),
            ("a3", "Z3", da3_dz3),
            ("Z3", f"a2_{j}", w2[j].data),
            (f"a2_{j}", f"Z2_{j}", a2[j].data * (1 - a2[j].data)),
            (f"Z2_{j}", w.label, x[k - 1].data),
        ]
        got = segments(path)
        assert [s[:2] for s in got] == [s[:2] for s in expected]
        for (_, _, value), (_, _, want) in zip(got, expected, strict=True):
            assert value == pytest.approx(want, rel=1e-12)
        assert e.agrees
    for j, w in w2.items():
        paths = explain(c, w).paths
        assert paths is not None
        (path,) = paths
        assert [s[:2] for s in segments(path)] == [("C", "a3"), ("a3", "Z3"), ("Z3", w.label)]
        assert segments(path)[-1][2] == pytest.approx(a2[j].data)


def test_2_3_1_shared_bias_has_one_path_per_hidden_unit():
    n = two_three_one()
    b1, c = n["b1"], n["c"]
    e = explain(c, b1)
    assert e.path_count == 3
    assert e.paths is not None
    assert [[v.label for v in p.nodes if v.label][3] for p in e.paths] == ["a2_1", "a2_2", "a2_3"]
    assert e.total == pytest.approx(math.fsum(p.product for p in e.paths))
    assert e.agrees and e.total == pytest.approx(grad(c, [b1])[0], rel=1e-12)


# --- paths and their count -------------------------------------------------------------------


def test_a_repeated_operand_is_two_paths():
    x = Value(3.0, label="x")
    e = explain(x * x, x)
    assert e.path_count == 2
    assert e.paths is not None
    assert [p.factors for p in e.paths] == [(3.0,), (3.0,)]
    assert e.total == 6.0 == e.engine


def test_many_input_ops():
    w = [Value(0.5, label="w0"), Value(-1.0, label="w1")]
    x = [Value(2.0, label="x0"), Value(3.0, label="x1")]
    y = (dot(w, x) + total([w[0], 1.0])).tanh()
    e = explain(y, w[0])
    assert e.paths is not None
    assert [p.ops for p in e.paths] == [("tanh", "+", "dot"), ("tanh", "+", "sum")]
    assert [p.factors[-1] for p in e.paths] == [2.0, 1.0]  # d dot / d w0 = x0; d sum / d w0 = 1
    assert e.agrees


def test_output_is_wrt_is_the_empty_path():
    x = Value(3.0, label="x")
    e = explain(x, x)
    assert e.paths is not None
    assert e.path_count == 1 and e.paths[0].factors == () and e.paths[0].product == 1.0
    assert e.total == 1.0 == e.engine


def test_unrelated_input_has_no_paths_and_zero_gradient():
    x, z = Value(1.0, label="x"), Value(2.0, label="z")
    e = explain(x * 2, z)
    assert e.path_count == 0 and e.paths == [] and e.total == 0.0 == e.engine and e.agrees
    assert "0 paths" in str(e)


def random_graph(rng: random.Random, size: int):
    leaves = [Value(rng.uniform(0.5, 2.0), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(size):
        a, b = rng.choice(nodes), rng.choice(nodes)
        op = rng.randrange(5)
        if op == 0:
            nodes.append(a + b)
        elif op == 1:
            nodes.append(a * b)
        elif op == 2:
            nodes.append(a.tanh())
        elif op == 3:
            nodes.append(a - b)
        else:
            nodes.append((a * a + 1).sqrt())
    return leaves, nodes[-1]


def brute_count(node, wrt):
    if node is wrt:
        return 1
    return sum(brute_count(p, wrt) for p in node.parents)


@pytest.mark.parametrize("seed", range(20))
def test_sum_of_paths_is_the_gradient_on_random_graphs(seed):
    rng = random.Random(seed)
    leaves, out = random_graph(rng, 12)
    for x in leaves:
        e = explain(out, x, max_paths=10_000)
        assert e.paths is not None
        assert e.path_count == brute_count(out, x) == len(e.paths)
        assert e.agrees
        assert e.total == pytest.approx(grad(out, [x], allow_unused=True)[0], rel=1e-9, abs=1e-12)
        assert all(p.nodes[0] is out and p.nodes[-1] is x for p in e.paths)
        for p in e.paths:
            for child, parent in pairwise(p.nodes):
                assert parent in child.parents


def test_too_many_paths_gives_a_summary_without_enumerating():
    x = Value(1.5, label="x")
    y = x
    for _ in range(60):
        y = y + y  # every step doubles the paths: 2**60 in all
    y = y.tanh()
    start = time.perf_counter()
    e = explain(y, x)
    assert time.perf_counter() - start < 1.0
    assert e.paths is None and e.path_count == 2**60
    assert e.summary is not None and e.last_step is not None
    assert len(e.summary) == 62  # the 60 sums, the tanh and x
    assert e.summary[0].grad == 1.0 and e.summary[-1].node is x
    assert e.summary[-1].grad == pytest.approx(grad(y, [x])[0])
    assert [row.paths for row in e.summary[1:4]] == [2**60, 2**59, 2**58]
    assert len(e.last_step) == 2  # x + x: the first sum uses x twice
    assert e.agrees
    text = str(e)
    assert "1,152,921,504,606,846,976 paths" in text and "too many paths" in text


def test_max_paths_is_the_threshold():
    x = Value(2.0, label="x")
    y = x * x * x  # 3 paths
    assert explain(y, x, max_paths=3).paths is not None
    assert explain(y, x, max_paths=2).paths is None


def test_a_wrong_gradient_is_reported_as_disagreeing():
    x = Value(2.0, label="x")
    e = explain(x * x, x)
    assert e.agrees
    bad = Explanation(
        output_name="y", wrt_name="x", path_count=2, paths=e.paths, summary=None,
        last_step=None, total=e.total, engine=5.0, names=e.names,
    )  # fmt: skip
    assert not bad.agrees and "DISAGREES" in str(bad)


# --- text, Markdown, LaTeX -------------------------------------------------------------------


def test_text_lists_ops_factors_formulas_and_the_check():
    n = two_two_one()
    text = str(explain(n["loss"], n["w11"]))
    assert text.startswith("d loss / d w11 by the chain rule: 1 path")
    assert "<-[sigmoid]- a3" in text and "<-[sigmoid]- a1" in text
    # Each factor with its rule's formula, in the graph's own names.
    assert "∂ y3 / ∂ a1 = 0.2473  (sigmoid: y3 * (1 - y3))" in text
    assert "∂ t11 / ∂ y3 = 0.3  (*: w13)" in text  # d(w13 * y3)/d y3 is the other operand
    assert "operand" not in text  # no node is two operands of one op here
    assert "agrees with the chain rule's" in text


def test_params_name_the_nodes():
    w, x = Value(0.5), Value(2.0, label="x")
    e = explain((w * x).tanh(), w, params=[("layers.0.neurons.0.w.0", w)])
    assert e.wrt_name == "layers.0.neurons.0.w.0"
    assert e.paths is not None
    assert "<-[*]- layers.0.neurons.0.w.0" in str(e)
    assert e.name(e.paths[0].nodes[0]).startswith("t")  # unlabelled: t<k> by position


@pytest.mark.parametrize(
    ("params", "match"),
    [(3, "params must be"), ([("w",)], "params\\[0\\]"), ([(1, Value(1))], "params\\[0\\]")],
)
def test_params_are_checked_as_to_dot_checks_them(params, match):
    w = Value(0.5)
    with pytest.raises(TypeError, match=match):
        explain(w * 2.0, w, params=params)
    # a repeated parameter keeps its first name, as in to_dot
    e = explain(w * 2.0, w, params=[("first", w), ("second", w)])
    assert e.wrt_name == "first"


def test_markdown_and_latex():
    n = two_two_one()
    e = explain(n["loss"], n["w11"])
    md = e._repr_markdown_()
    assert md.startswith("**d loss / d w11**")
    assert "$$" in md and r"\frac{\mathrm{d} \mathrm{loss}}{\mathrm{d} \mathrm{w11}}" in md
    latex = e.to_latex()
    assert e.paths is not None
    assert latex.count(r"\frac") == 1 + len(e.paths[0].factors)
    assert latex.count(r"\partial") == 2 * len(e.paths[0].factors)  # only the local factors
    assert latex.startswith(r"\begin{aligned}") and latex.endswith(r"\end{aligned}")
    summary_md = explain(*_many_paths())._repr_markdown_()
    assert "| node | d output / d node | paths to input |" in summary_md


def test_a_repeated_operand_is_named_in_text_markdown_and_latex():
    x = Value(3.0, label="x")
    y = x * x + x
    y.label = "y"
    e = explain(y, x)
    text = str(e).splitlines()
    assert text[1:4] == [
        "path 1: y <-[+]- t1 <-[* operand 1]- x",
        "    ∂ y / ∂ t1 = 1  (+: 1)",
        "    ∂ t1 / ∂ x (operand 1) = 3  (*: x)",
    ]
    assert text[5:8] == [
        "path 2: y <-[+]- t1 <-[* operand 2]- x",
        "    ∂ y / ∂ t1 = 1  (+: 1)",
        "    ∂ t1 / ∂ x (operand 2) = 3  (*: x)",
    ]
    assert text[9] == "path 3: y <-[+]- x"  # x once among the operands of +: no mark
    assert "sum over 3 paths: d y / d x = 7" in text
    md = e._repr_markdown_().splitlines()
    assert md[2:5] == [
        "1. `y <-[+]- t1 <-[* operand 1]- x`",
        "2. `y <-[+]- t1 <-[* operand 2]- x`",
        "3. `y <-[+]- x`",
    ]
    rows = e.to_latex().split(r" \\ ")
    assert rows[0].startswith(
        r"\begin{aligned}\frac{\mathrm{d} \mathrm{y}}{\mathrm{d} \mathrm{x}} = &"
    )
    for k, row in enumerate(rows[:2], 1):
        assert (
            rf"\frac{{\partial \mathrm{{t1}}}}{{\partial \mathrm{{x}}\ (\text{{operand {k}}})}}"
            in row
        )
    assert rows[2] == r"+ &\frac{\partial \mathrm{y}}{\partial \mathrm{x}} = 1 = 1"


def test_the_summary_writes_totals_and_local_factors_apart():
    text = str(explain(*_many_paths()))
    assert "+ (d t30 / d t1) (∂ t1 / ∂ x_0) = " in text
    tex = explain(*_many_paths()).to_latex()
    assert (
        r"\frac{\mathrm{d} \mathrm{t30}}{\mathrm{d} \mathrm{t1}}\frac{\partial \mathrm{t1}}" in tex
    )


def _many_paths():
    x = Value(1.0, label="x_0")
    y = x
    for _ in range(30):
        y = y + y
    return y, x


def test_latex_escapes_names():
    x = Value(1.0, label="w_1#{a}")
    tex = explain(x * 2.0, x).to_latex()
    assert r"\mathrm{w\_1\#\{a\}}" in tex


def test_bad_arguments():
    x = Value(1.0)
    with pytest.raises(TypeError, match="output must be a Value"):
        explain(1.0, x)  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(TypeError, match="wrt must be a Value"):
        explain(x, 1.0)  # type: ignore[arg-type]  # wrong on purpose: checks the error
    with pytest.raises(ValueError, match="max_paths"):
        explain(x, x, max_paths=-1)
    with pytest.raises(ValueError, match="digits"):
        explain(x, x, digits=0)


def test_an_explanation_without_paths_needs_the_summary():
    e = Explanation("y", "x", 30, None, None, None, total=0.0, engine=0.0)
    for show in (str, Explanation.to_latex, Explanation._repr_markdown_):
        with pytest.raises(ValueError, match="summary and last_step must be lists"):
            show(e)
