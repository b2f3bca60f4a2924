"""to_dot(): structure, stable ids, styles, gradient colours, depth, limits, clusters, collapse."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hand_mlp import demo_loss, example, forward, mlp

from autograd import GraphTooLargeError, Value, dot, explain, to_dot, topological_order, total

NODE = re.compile(r"^\s*(\w+) \[(.*)\];$")
EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$")
ATTR = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')
PALETTE = ["#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725"]


Attrs = dict[str, str]
Clusters = tuple[str | None, ...]


def parse(src: str) -> tuple[dict[str, Attrs], list[tuple[str, str, Attrs]], dict[str, Clusters]]:
    """(nodes {id: attrs}, edges [(src, dst, attrs)], cluster of each node id) from DOT text."""
    nodes: dict[str, Attrs] = {}
    edges: list[tuple[str, str, Attrs]] = []
    where: dict[str, Clusters] = {}
    stack: list[str | None] = []  # the enclosing clusters' labels (None until read)
    for line in src.splitlines()[1:-1]:
        line = line.strip()
        if line.startswith("subgraph"):
            stack.append(None)
        elif line.startswith("label=") and stack and stack[-1] is None:
            label = ATTR.match(line)
            assert label is not None, line
            stack[-1] = label.group(2)
        elif line == "}":
            stack.pop()
        elif m := EDGE.match(line):
            edges.append((m.group(1), m.group(2), dict(ATTR.findall(m.group(3) or ""))))
        elif (m := NODE.match(line)) and m.group(1) not in ("graph", "node", "edge"):
            nodes[m.group(1)] = dict(ATTR.findall(m.group(2)))
            where[m.group(1)] = tuple(stack)
    return nodes, edges, where


def fields(attrs) -> list[str]:
    """The fields of a record label ``{ a | b | c }``, unescaped."""
    label = attrs["label"]
    if label.startswith("{ "):
        label = label[2:-2]
    out, field, chars = [], "", iter(label)
    for ch in chars:
        if ch == "\\":
            field += next(chars)
        elif ch == "|":
            out.append(field.strip(" "))
            field = ""
        else:
            field += ch
    return [*out, field.strip(" ")]


def titled(src: str) -> dict[str, list[str]]:
    """{first field: fields} of the value records."""
    nodes, _, _ = parse(src)
    return {fields(v)[0]: fields(v) for k, v in nodes.items() if k.startswith("v")}


# --- structure -------------------------------------------------------------------------------


def test_values_ops_and_edges():
    nodes, edges, _ = parse(to_dot(example()))
    values = {k: v for k, v in nodes.items() if k.startswith("v")}
    ops = {k: v for k, v in nodes.items() if k.startswith("o")}
    assert len(values) == 7 and len(ops) == 3
    assert sorted(v["label"] for v in ops.values()) == ["*", "*", "+"]
    assert len(edges) == 6 + 3  # 2 inputs per op, and each op to its value
    by_label = {fields(v)[0]: k for k, v in values.items()}
    assert fields(values[by_label["e"]]) == ["e", "data -6", "grad -2"]
    assert fields(values[by_label["L"]]) == ["L", "data -8", "grad 1"]
    # every op sits between its inputs and its value
    for op in ops:
        assert (op, "v" + op[1:], {}) in edges
        assert sum(1 for s, d, _ in edges if d == op) == 2


def test_ids_follow_the_topological_order():
    loss = example()
    order = topological_order(loss)
    nodes, _, _ = parse(to_dot(loss))
    for i, node in enumerate(order):
        assert fields(nodes[f"v{i}"])[0] == node.label


def test_same_graph_same_bytes_across_processes():
    code = (
        "import sys; sys.path.insert(0, 'tests'); from hand_mlp import example; "
        "from autograd import to_dot; sys.stdout.write(to_dot(example(), grad_colors=True))"
    )
    root = Path(__file__).resolve().parent.parent
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, check=True
        )
        outs.append(done.stdout)
    assert outs[0] == outs[1] and outs[0].startswith(b"digraph chainrule {")
    assert outs[0].decode() == to_dot(example(), grad_colors=True)


def unlabelled_graphs():
    """(output, params, inputs) of graphs whose intermediates have no labels."""
    x, w, b = Value(0.5, label="x"), Value(-1.2, label="w"), Value(0.3, label="b")
    yield (x * w + b).tanh(), None, [x, w, b]
    u = Value(3.0)  # no label either: named t<k> like the rest
    yield (u * u + u).exp() * 0.5, None, [u]
    out, params = small_model()
    yield (out - 1.0) ** 2, params, [v for _, v in params][:3]


@pytest.mark.parametrize("case", range(3))
def test_every_node_has_the_name_explain_gives_it(case):
    out, params, inputs = list(unlabelled_graphs())[case]
    out.backward()
    nodes, _, _ = parse(to_dot(out, params=params))
    order = topological_order(out)
    titles = {node: fields(nodes[f"v{i}"])[0] for i, node in enumerate(order)}
    assert all(titles.values())  # every value record has a title
    assert len(set(titles.values())) == len(order)  # and no two share one
    for x in inputs:
        e = explain(out, x, params=params)
        assert e.paths
        for path in e.paths:
            assert [titles[n] for n in path.nodes] == [e.name(n) for n in path.nodes]


def test_a_repeated_operand_keeps_both_edges():
    x = Value(3.0, label="x")
    _nodes, edges, _ = parse(to_dot(x * x))
    assert [(s, d) for s, d, _ in edges] == [("v0", "o1"), ("v0", "o1"), ("o1", "v1")]


def test_many_input_ops_are_one_op_node():
    w = [Value(0.5), Value(-1.0), Value(2.0)]
    x = [Value(1.0), Value(2.0), Value(3.0)]
    y = dot(w, x) + total(w)
    nodes, edges, _ = parse(to_dot(y))
    ops = {k: v["label"] for k, v in nodes.items() if k.startswith("o")}
    assert sorted(ops.values()) == ["+", "dot", "sum"]
    for op in ("dot", "sum"):
        (op_id,) = [k for k, label in ops.items() if label == op]
        assert sum(1 for s, d, _ in edges if d == op_id) == (6 if op == "dot" else 3)


def test_deep_graph_needs_no_recursion():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    src = to_dot(y, max_nodes=20_000)
    assert src.count('class="op"') == 5000


# --- options ---------------------------------------------------------------------------------


def test_show_grad_digits_and_rankdir():
    x = Value(3.14159265, label="x")
    y = x * 2.0
    y.backward()
    assert titled(to_dot(y, digits=3))["x"] == ["x", "data 3.14", "grad 2"]
    assert titled(to_dot(y, show_grad=False))["x"] == ["x", "data 3.142"]
    assert "rankdir=TB" in to_dot(y, rankdir="TB")
    # records read left to right in both directions: braces flip them, and LR needs that
    assert titled(to_dot(y, rankdir="TB"))["x"] == ["x", "data 3.142", "grad 2"]
    assert '"x | data 3.142 | grad 2"' in to_dot(y, rankdir="TB")
    assert '"{ x | data 3.142 | grad 2 }"' in to_dot(y)
    assert "rankdir=LR" in to_dot(y)


def test_kinds_are_visually_distinct():
    w, x = Value(0.5), Value(2.0, label="x")
    y = (w * x + 1.0).tanh()
    nodes, _, _ = parse(to_dot(y, params=[("layers.0.neurons.0.w.0", w)]))
    kinds = {k: v["class"] for k, v in nodes.items()}
    assert sorted(kinds.values()).count("leaf") == 2  # x and the constant 1.0
    style: dict[str, set[tuple[str, str, str, str | None]]] = {}
    for attrs in nodes.values():
        if attrs["class"] == "op":
            continue
        look = (attrs["shape"], attrs["style"], attrs["fillcolor"], attrs.get("penwidth"))
        style.setdefault(attrs["class"], set()).add(look)
    assert all(len(s) == 1 for s in style.values())  # one look per kind ...
    looks = [next(iter(style[k])) for k in ("output", "param", "leaf", "value")]
    assert len(set(looks)) == 4  # ... and four different looks
    param = next(v for v in nodes.values() if v["class"] == "param")
    assert fields(param)[0] == "layers.0.neurons.0.w.0"


def test_labels_are_escaped():
    x = Value(1.0, label='a|b{c}<d>"e\\')
    nodes, _, _ = parse(to_dot(x))
    assert fields(nodes["v0"])[0] == 'a|b{c}<d>"e\\'
    assert nodes["v0"]["label"].startswith(r"{ a\|b\{c\}\<d\>\"e\\ |")


def test_gradient_colours_follow_log_grad():
    x = Value(1.0, label="x")
    y = x * 1e-6
    y.label = "y"
    dead = Value(5.0, label="dead")
    z = y + 0.0 * dead  # grads: z 1, y 1, x 1e-6, dead 0, the constant 0.0 gets 5
    z.backward()
    src = to_dot(z, grad_colors=True)
    nodes, edges, _ = parse(src)
    color = {fields(v)[0]: v["fillcolor"] for v in nodes.values() if v["class"] != "op"}
    assert color["x"] == PALETTE[0]  # the smallest |grad|: log10 = -6
    assert color["y"] == PALETTE[-1]  # log10 1 = 0 is 90% of the way from -6 to log10 5
    constant = f"t{topological_order(z).index(z.parents[1].parents[0])}"
    assert color[constant] == PALETTE[-1]  # the largest, 5
    assert color["dead"] == "#d9d9d9"  # grad 0: nothing flows
    assert "|grad| 1e-06 or less (dark) to 5 or more (bright), log scale" in src
    # an edge is coloured by the gradient flowing along it
    x_id = next(k for k, v in nodes.items() if v["label"].startswith("{ x "))
    dead_id = next(k for k, v in nodes.items() if v["label"].startswith("{ dead "))
    assert [e[2]["color"] for e in edges if e[0] == x_id] == [PALETTE[0]]
    assert [e[2]["color"] for e in edges if e[0] == dead_id] == ["#d9d9d9"]


def test_gradient_colours_mark_inf_and_nan():
    x = Value(0.0, label="x")
    y = x.sqrt()  # sqrt'(0) = inf
    y.backward()
    nodes, _, _ = parse(to_dot(y, grad_colors=True))
    x_node = next(v for v in nodes.values() if v.get("class") == "leaf")
    assert x_node["fillcolor"] == "#e31a1c" and x_node["fontcolor"] == "white"


def test_depth_limits_the_levels_drawn():
    loss = example()  # L = (a*b + c) * f: depths L 0, d f 1, e c 2, a b 3
    nodes, edges, _ = parse(to_dot(loss, depth=0))
    assert [fields(v)[0] for v in nodes.values() if v["class"] != "op"] == ["L"]
    assert nodes[next(k for k in nodes if k.startswith("o"))]["style"] == "dashed"
    src = to_dot(loss, depth=2)
    nodes, edges, _ = parse(src)
    labels = {fields(v)[0] for v in nodes.values() if v["class"] != "op"}
    assert labels == {"L", "d", "f", "e", "c"}
    dashed = [v["label"] for v in nodes.values() if v.get("style") == "dashed"]
    assert dashed == ["*"]  # e = a * b: its inputs are not drawn
    assert all(s in nodes and d in nodes for s, d, _ in edges)
    assert "depth 2: 5 of 7 values" in src
    assert parse(to_dot(loss, depth=3))[0] == parse(to_dot(loss))[0]


def test_too_large_says_how_big_and_what_helps():
    x = Value(1.0)
    y = x
    for _ in range(999):
        y = y + 1.0  # 999 sums, 999 constants and x: 1999 values, 1000 levels
    with pytest.raises(GraphTooLargeError) as info:
        to_dot(y, max_nodes=300)
    message = str(info.value)
    assert "1,999 values in 1000 levels" in message and "max_nodes=300" in message
    assert "depth=149" in message and "collapse=True" in message
    assert isinstance(info.value, ValueError)
    # the suggested depth does fit
    assert len(parse(to_dot(y, max_nodes=300, depth=149))[0]) <= 2 * 300
    with pytest.raises(GraphTooLargeError):
        to_dot(y, max_nodes=300, depth=150)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"rankdir": "RL"}, ValueError, "rankdir"),
        ({"digits": 0}, ValueError, "digits"),
        ({"depth": -1}, ValueError, "depth"),
        ({"max_nodes": 0}, ValueError, "max_nodes"),
        ({"cluster": True}, ValueError, "needs params"),
        ({"collapse": True}, ValueError, "needs params"),
        ({"collapse": True, "depth": 2, "params": {"w": Value(1)}}, ValueError, "not both"),
        ({"params": 3}, TypeError, "params must be"),
        ({"params": [("w",)]}, TypeError, "params\\[0\\]"),
        ({"params": [(1, Value(1))]}, TypeError, "params\\[0\\]"),
    ],
)
def test_bad_options(options, error, match):
    with pytest.raises(error, match=match):
        to_dot(Value(1.0), **options)


def test_collapse_with_flat_names_says_why_it_did_not_shrink():
    x = Value(1.0)
    y = x
    for _ in range(50):
        y = y * x
    with pytest.raises(GraphTooLargeError, match=r"still has 51 nodes.*layers\.0\.neurons\.1"):
        to_dot(y, params=[("x", x)], collapse=True, max_nodes=20)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match="root must be a Value"):
        to_dot(1.0)  # type: ignore[arg-type]  # wrong on purpose: checks the error


# --- models ----------------------------------------------------------------------------------


def small_model():
    params = mlp([2, 2, 1], seed=1)
    x = [Value(0.5, label="x0"), Value(-1.0, label="x1")]
    out = forward(params, [2, 2, 1], x)
    out.backward()
    return out, params


def test_params_accept_pairs_or_a_dict_and_first_name_wins():
    out, params = small_model()
    a = to_dot(out, params=params)
    assert a == to_dot(out, params=dict(params)) == to_dot(out, params=iter(params))
    w = params[0][1]
    b = to_dot(out, params=[("first", w), ("second", w)])
    assert "{ first |" in b and "second" not in b


def test_clusters_per_neuron_inside_layers():
    out, params = small_model()
    nodes, _edges, where = parse(to_dot(out, params=params, cluster=True))
    name_of = {fields(v)[0]: k for k, v in nodes.items() if v["class"] == "param"}
    for name, _ in params:
        neuron = name.rsplit(".", 2)[0] if name.endswith(tuple("0123456789")) else name[:-2]
        layer = neuron.rsplit(".", 2)[0]
        assert where[name_of[name]] == (layer, neuron)
    # the inputs are in no cluster; every other node is in a neuron's cluster
    inputs = [k for k, v in nodes.items() if fields(v)[0] in ("x0", "x1")]
    assert [where[k] for k in inputs] == [(), ()]
    assert all(len(where[k]) == 2 for k in nodes if k not in inputs)
    # each hidden neuron holds 2 products, 2 sums and a relu (and their op nodes)
    for k in range(2):
        members = [n for n in nodes if where[n] == ("layers.0", f"layers.0.neurons.{k}")]
        assert len(members) == 3 + 5 * 2  # 3 params, 5 values with their ops
        assert sorted(nodes[n]["label"] for n in members if n.startswith("o")) == [
            "*", "*", "+", "+", "relu"
        ]  # fmt: skip
    out_node = next(k for k, v in nodes.items() if v["class"] == "output")
    assert where[out_node] == ("layers.1", "layers.1.neurons.0")


def test_collapse_draws_one_node_per_neuron():
    out, params = small_model()
    loss = (out - 1.0) ** 2
    loss.backward()
    nodes, edges, where = parse(to_dot(loss, params=params, collapse=True, cluster=True))
    neurons = {k: v for k, v in nodes.items() if v["class"] == "neuron"}
    labels = sorted(v["label"].split("\\n")[0] for v in neurons.values())
    assert labels == ["layers.0.neurons.0", "layers.0.neurons.1", "layers.1.neurons.0"]
    assert all(where[k] == (v["label"].split(".neurons")[0],) for k, v in neurons.items())
    ids = {v["label"].split("\\n")[0]: k for k, v in neurons.items()}
    pairs = {(s, d) for s, d, _ in edges}
    for k in range(2):
        assert (ids[f"layers.0.neurons.{k}"], ids["layers.1.neurons.0"]) in pairs
    assert neurons[ids["layers.1.neurons.0"]]["label"].split("\\n")[1] == "3 params, 5 ops"
    # the inputs feed the first layer; the output is drawn on its own, after its neuron
    x0 = next(k for k, v in nodes.items() if v["class"] == "leaf" and "x0" in v["label"])
    assert {d for s, d, _ in edges if s == x0} == {
        ids["layers.0.neurons.0"],
        ids["layers.0.neurons.1"],
    }
    out_id = next(k for k, v in nodes.items() if v["class"] == "output")
    assert ("o" + out_id[1:], out_id) in pairs
    # ** 2 is the root's op; the (out - 1.0) before it is absorbed into the last neuron
    assert (ids["layers.1.neurons.0"], "o" + out_id[1:]) in pairs


def test_collapsed_demo_graph_has_one_node_per_neuron():
    loss, params = demo_loss()  # micrograd's demo: 65,818 nodes
    assert len(topological_order(loss)) == 65_818
    loss.backward()
    with pytest.raises(GraphTooLargeError, match="65,818 values"):
        to_dot(loss, params=params)
    src = to_dot(loss, params=params, collapse=True, cluster=True, grad_colors=True)
    nodes, edges, _where = parse(src)
    kinds = [v["class"] for v in nodes.values()]
    assert kinds.count("neuron") == 33
    assert kinds.count("output") == 1 and kinds.count("leaf") == 1  # 404 leaves in one node
    assert "404 leaves" in next(v["label"] for v in nodes.values() if v["class"] == "leaf")
    assert neuron_edges_follow_layers(nodes, edges) == 16 * 16 + 16
    assert len(edges) == len({(s, d) for s, d, _ in edges})
    # a neuron holds its forward pass only: 100 points x (nin products, nin sums, relu)
    boxes = [v["label"].split("\\n") for v in nodes.values() if v["class"] != "leaf"]
    counts = {lines[0]: lines[1] for lines in boxes if len(lines) > 1}
    assert counts["layers.0.neurons.3"] == "3 params, 500 ops"
    assert counts["layers.1.neurons.3"] == "17 params, 3300 ops"
    # the L2 penalty (337 squares, 337 sums, * 1e-4) is one node apart from the neurons
    [only] = [k for k, v in nodes.items() if v["class"] == "params_only"]
    assert counts["parameters only (e.g. a penalty)"] == "675 values from 337 params of 33 neurons"
    assert not any(s.startswith("g") for s, d, _ in edges if d == only)


def neuron_edges_follow_layers(nodes, edges) -> int:
    """Check that edges between neuron nodes go from layer k to layer k + 1; their number."""
    layer = {
        k: int(v["label"].split(".neurons")[0].rsplit(".", 1)[1])
        for k, v in nodes.items()
        if v["class"] == "neuron"
    }
    between = [(s, d) for s, d, _ in edges if s in layer and d in layer]
    assert [(s, d) for s, d in between if layer[d] != layer[s] + 1] == []
    return len(between)


@pytest.mark.parametrize("penalty", ["sum", "total", "dot"])
def test_collapse_puts_a_parameters_only_penalty_in_its_own_node(penalty):
    import nn

    model = nn.MLP(2, [3, 1], seed=0)
    ps = model.parameters()
    squares = {
        "sum": lambda: sum(p * p for p in ps),
        "total": lambda: total(p * p for p in ps),
        "dot": lambda: dot(ps, ps),
    }[penalty]()
    loss = model([1.0, 2.0]) + 1e-4 * squares
    loss.backward()
    nodes, edges, where = parse(
        to_dot(loss, params=model.named_parameters(), collapse=True, cluster=True)
    )
    assert neuron_edges_follow_layers(nodes, edges) == 3
    neurons = {k for k, v in nodes.items() if v["class"] == "neuron"}
    assert len(neurons) == 4
    # each neuron holds its own dot, + b and relu (the output neuron: no relu), no squares
    ops = sorted(nodes[k]["label"].split("\\n")[1] for k in neurons)
    assert ops == ["3 params, 3 ops"] * 3 + ["4 params, 2 ops"]
    [only] = [k for k, v in nodes.items() if v["class"] == "params_only"]
    assert where[only] == ()  # in no layer's box
    values = {"sum": 13 + 13 + 1, "total": 13 + 1 + 1, "dot": 1 + 1}[penalty]
    assert nodes[only]["label"].split("\\n")[1] == f"{values} values from 13 params of 4 neurons"
    # the penalty feeds the final +, and nothing but constants feeds the penalty
    out = next(k for k, v in nodes.items() if v["class"] == "output")
    assert (only, "o" + out[1:]) in {(s, d) for s, d, _ in edges}
    assert {nodes[s]["class"] for s, d, _ in edges if d == only} <= {"leaf"}


def test_clusters_leave_a_parameters_only_penalty_outside_the_neurons():
    out, params = small_model()
    penalty = 1e-4 * sum(p * p for _, p in params)
    penalty.label = "penalty"
    loss = out + penalty
    loss.backward()
    nodes, _edges, where = parse(to_dot(loss, params=params, cluster=True))
    for k in range(2):  # the same members as without the penalty
        members = [n for n in nodes if where[n] == ("layers.0", f"layers.0.neurons.{k}")]
        assert len(members) == 3 + 5 * 2
    squares = [k for k, v in nodes.items() if v.get("label") == "*" and where[k] == ()]
    assert len(squares) == len(params) + 1  # p * p for each parameter, and 1e-4 * sum
    [penalty_id] = [k for k, v in nodes.items() if k[0] == "v" and fields(v)[0] == "penalty"]
    assert where[penalty_id] == ()



def test_nn_models_cluster_and_collapse_by_their_parameter_names():
    import nn

    model = nn.MLP(2, [3, 2, 1], seed=0)
    X, y = nn.datasets.make_moons(5, noise=0.1, seed=0)
    loss = nn.hinge_loss([model(x) for x in X], [2 * t - 1 for t in y])
    loss.backward()
    nodes, edges, where = parse(
        to_dot(loss, params=model.named_parameters(), collapse=True, cluster=True)
    )
    neurons = {v["label"].split("\\n")[0]: k for k, v in nodes.items() if v["class"] == "neuron"}
    assert sorted(neurons) == [
        "layers.0.neurons.0", "layers.0.neurons.1", "layers.0.neurons.2",
        "layers.1.neurons.0", "layers.1.neurons.1", "layers.2.neurons.0",
    ]  # fmt: skip
    pairs = {(s, d) for s, d, _ in edges}
    for j in range(3):
        for k in range(2):
            assert (neurons[f"layers.0.neurons.{j}"], neurons[f"layers.1.neurons.{k}"]) in pairs
    assert all(where[g] == (name.rsplit(".", 2)[0],) for name, g in neurons.items())
    full = parse(to_dot(loss, params=model.named_parameters(), cluster=True))
    named = [fields(v)[0] for v in full[0].values() if v["class"] == "param"]
    assert sorted(named) == sorted(name for name, _ in model.named_parameters())


@pytest.mark.parametrize(("cluster", "rankdir"), [(True, "LR"), (True, "TB"), (False, "LR")])
def test_collapse_pins_each_layers_neurons_in_parameter_order(cluster, rankdir):
    out, params = small_model()
    src = to_dot(out, params=params, collapse=True, cluster=cluster, rankdir=rankdir)
    nodes, _, _ = parse(src)
    ids = {v["label"].split("\\n")[0]: k for k, v in nodes.items() if v["class"] == "neuron"}
    pinned = [line for line in src.splitlines() if "rank=same" in line]
    chains = [line.split("; ")[1].split(" [")[0] for line in pinned]
    first = f"{ids['layers.0.neurons.0']}->{ids['layers.0.neurons.1']}"
    # in a layer's box of a left-to-right drawing the chain runs backwards (see dot.py)
    backwards = cluster and rankdir == "LR"
    assert chains == ["->".join(first.split("->")[::-1]) if backwards else first]
    assert ("remincross=false" in src) == cluster


def test_gradient_colours_spread_over_the_graphs_own_range():
    xs = [Value(1.0, label=f"x{k}") for k in range(40)]
    terms = [x * 10.0 ** (-k / 10) for k, x in enumerate(xs)]  # |grad| 1 down to 1e-3.9
    terms.append(xs[0] * 1e30)  # one exploding gradient must not darken all the others
    loss = total(terms)
    loss.backward()
    nodes, _, _ = parse(to_dot(loss, grad_colors=True))
    color = {fields(v)[0]: v["fillcolor"] for v in nodes.values() if v["class"] != "op"}
    assert color["x0"] == PALETTE[-1]  # 1e30: beyond the 95th percentile, the end colour
    assert {color[f"x{k}"] for k in range(1, 40)} == set(PALETTE)  # the rest use them all


def test_gradient_colours_of_a_real_net_show_contrast():
    loss, params = demo_loss()  # micrograd's demo MLP 2-16-16-1
    loss.backward()
    src = to_dot(loss, params=params, collapse=True, cluster=True, grad_colors=True)
    nodes, _, _ = parse(src)
    fills = [v["fillcolor"] for v in nodes.values() if v["class"] == "neuron"]
    assert len(set(fills)) >= 6  # of the 8 colours
    assert max(fills.count(c) for c in fills) <= len(fills) // 3  # none takes most neurons
    assert PALETTE[0] in fills  # the dark end is used
    legend = re.search(r"colour: \|grad\| (\S+) or less \(dark\) to (\S+) or more", src)
    assert legend is not None and float(legend[1]) < float(legend[2]) / 10


def test_rounding_noise_next_to_zero_reads_as_zero_with_the_exact_value_in_a_tooltip():
    a, b, c = Value(0.1, label="a"), Value(0.2, label="b"), Value(0.3, label="c")
    noise = (a + b) - c  # 5.55e-17, not 0, in floats
    noise.label = "noise"
    tiny = Value(1e-13, label="tiny") * 1.0  # small but exact: a product has no cancellation
    tiny.label = "tiny_product"
    x = Value(2.0, label="x")
    cancels = x * 0.1 + x * 0.2 - x * 0.3  # x's grad: 0.1 + 0.2 - 0.3
    out = noise + tiny + cancels
    out.backward()
    nodes, _, _ = parse(to_dot(out))
    by_title = {fields(v)[0]: v for k, v in nodes.items() if k.startswith("v")}
    assert fields(by_title["noise"])[1:] == ["data ≈0", "grad 1"]
    assert by_title["noise"]["tooltip"] == f"exact data {noise.data!r}"
    assert noise.data != 0 and float(by_title["noise"]["tooltip"].split()[-1]) == noise.data
    assert fields(by_title["x"])[1:] == ["data 2", "grad ≈0"]
    assert by_title["x"]["tooltip"] == f"exact grad {x.grad!r}" and x.grad != 0
    assert fields(by_title["tiny_product"])[1] == "data 1e-13"
    assert fields(by_title["tiny"])[1] == "data 1e-13"  # a leaf is what was typed
    assert "tooltip" not in by_title["tiny_product"] and "tooltip" not in by_title["c"]
    # 1e-12 of the operands is the line: just above it, the number shows
    y = Value(1.0, label="y")
    near = (y + 2e-12) - y
    near.label = "near"
    nodes, _, _ = parse(to_dot(near))
    assert [fields(v)[1] for v in nodes.values() if v.get("class") == "output"] == ["data 2e-12"]
