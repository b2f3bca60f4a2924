"""benchmarks/scaling.py: its three modes do the same step, and its tables are built right
(on tiny networks, one repetition: nothing here is timed)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("numpy")


def _load_script() -> Any:
    # The benchmarks folder is not a package (nor on mypy's path): load the script by file.
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "scaling.py"
    spec = importlib.util.spec_from_file_location("scaling", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["scaling"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


scaling = _load_script()

TINY = scaling.Settings(reps=1, cell_budget=0.0, skip_over=math.inf)


def test_the_three_modes_take_the_same_step():
    X, y = scaling.dataset(2, 12)
    steps = [scaling.STEPS[mode]((2, 5, 4, 1), X, y) for mode in scaling.MODES]
    # BatchedTape has taken one step already (its check against eager): catch up.
    for step in steps[:2]:
        step()
    for step in steps:
        step()
    eager, floats, batched = ([p.data for p in s.model.parameters()] for s in steps)
    assert eager != scaling.model_for((2, 5, 4, 1)).parameters()
    for a, b, c in zip(eager, floats, batched, strict=True):
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(a, c, rel_tol=1e-9, abs_tol=1e-12)


def test_wide_inputs_get_labels_of_both_signs():
    X, y = scaling.dataset(64, 50)
    assert len(X) == 50 and {len(x) for x in X} == {64} and set(y) == {1, -1}


def test_report_has_a_row_per_size_and_a_cell_per_mode():
    text = scaling.report([(2, 3, 1), (2, 4, 1), (3, 2, 1)], 4, (2, 3, 1), (2, 4), TINY)
    lines = text.splitlines()
    for label in ("2-3-1", "2-4-1", "3-2-1"):
        assert sum(line.split()[0] == label for line in lines if line.strip()) == 2
    assert scaling.SKIPPED not in text
    batch_rows = [line.split() for line in lines if line.split()[:1] in (["2"], ["4"])]
    # batch, then (ms, per sample) per mode, and a growth ratio after the first row
    assert [len(row) for row in batch_rows] == [7, 10]
    assert batch_rows[1][3].endswith("x")
    assert "Eager at 4 samples with the garbage collector left running" in text


def test_markdown_tables_have_a_header_rule_and_equal_columns():
    text = scaling.report([(2, 3, 1)], 2, (2, 3, 1), (2,), TINY, markdown=True)
    tables = [block.splitlines() for block in text.split("\n\n") if block.startswith("|")]
    assert len(tables) == 3
    for rows in tables:
        assert set(rows[1]) <= {"|", "-"}
        assert len({row.count("|") for row in rows}) == 1


def test_a_cell_predicted_over_budget_is_skipped_with_a_note():
    strict = scaling.Settings(reps=1, cell_budget=0.0, skip_over=0.0)
    rows = scaling.by_batch((2, 3, 1), (2, 4), strict)
    assert all(cell.seconds is not None for cell in rows[0].cells.values())
    assert all(cell.seconds is None for cell in rows[1].cells.values())
    table = scaling.batch_table(rows, markdown=False)
    assert table.count(scaling.SKIPPED) == 3 * 3  # ms, per sample and growth, per mode
    assert "eager at 4" in scaling.skipped_note(rows, strict)
    # The collector's note falls back on the biggest batch that was run.
    assert "Eager at 2 samples" in scaling.collector_note((2, 3, 1), rows, strict)


def test_once_costs_count_the_tapes_ops_and_edges():
    costs = scaling.once_costs((2, 3, 1))
    # nn.MLP: a dot node, a bias add and a relu per hidden neuron; then the output
    # neuron (dot, add) and the hinge loss: y * s, 1 - that, relu, and the mean's sum.
    assert costs["ops"] == 3 * 3 + 2 + 4
    assert costs["edges"] == 3 * (4 + 2 + 1) + (6 + 2) + (2 + 2 + 1 + 1)
    assert all(costs[k] > 0 for k in ("trace", "compile", "plan"))


def test_the_scalar_ops_network_computes_what_the_nn_mlp_computes():
    from autograd import Value

    model = scaling.model_for((3, 4, 2, 1))
    x = [0.5, -1.0, 2.0]
    scalar = scaling.scalar_ops(model)([Value(v) for v in x])
    assert math.isclose(scalar.data, model(x).data, rel_tol=1e-12, abs_tol=1e-12)
    costs = scaling.once_costs((3, 4, 2, 1), scalar=True)
    # A `*` and a `+` per weight, a relu per hidden neuron, then the loss's four ops.
    assert costs["ops"] == 4 * (2 * 3 + 1) + 2 * (2 * 4 + 1) + 2 * 2 + 4
