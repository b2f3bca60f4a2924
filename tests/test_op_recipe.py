"""The README's recipe for adding a built-in op, followed to the letter on a copy of the
package: its two lines (the rule, the Value method) and nothing else make the op work in
backward, grad(create_graph=True), float and batched tapes, parsing, drawing, explain,
gradcheck and the testing kit."""

import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHECKS = textwrap.dedent(
    """
    import math, os, re
    import numpy as np
    import autograd
    assert autograd.__file__.startswith(os.environ["PYTHONPATH"]), autograd.__file__
    from autograd import Value, explain, grad, gradgradcheck, parse_expression, to_dot, trace
    from autograd import testing
    from autograd.tape import batched

    x = Value(0.3, label="x")
    y = x.tan()
    y.label = "y"
    y.backward()
    sec2 = 1 + math.tan(0.3) ** 2
    assert math.isclose(x.grad, sec2, rel_tol=1e-15), x.grad
    (d1,) = grad(x.tan(), [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert math.isclose(d2, 2 * math.tan(0.3) * sec2, rel_tol=1e-14), d2
    gradgradcheck(lambda v: v.tan(), [0.3])

    tape = trace(lambda v: v.tan() * v, 0.3)
    assert not re.search(r"\\bD\\d+\\(", tape.source()), "float replay fell back"
    assert all(g.kernel.derived for g in batched.Plan(tape.program).groups), "batched fell back"
    value, (slope,) = tape.value_and_grad(0.3)
    eager = Value(0.3)
    out = eager.tan() * eager
    out.backward()
    assert (value, slope) == (out.data, eager.grad)
    values, (slopes,) = tape.batch_value_and_grad(np.array([0.3, -0.2]))
    assert np.allclose(slopes, [math.tan(v) + v * (1 + math.tan(v) ** 2) for v in (0.3, -0.2)])

    parsed = parse_expression("tan(x) * 2", {"x": 0.3})
    assert parsed.output.parents[0].op == "tan"
    assert "tan" in to_dot(y)
    assert "(tan: 1 + y ** 2)" in str(explain(y, x)), str(explain(y, x))
    assert "tan" in testing.DOMAINS and "tan" in testing.GRAPH_UNARY
    print("recipe ok")
    """
)


def _recipe_lines() -> tuple[str, str]:
    """The two lines the README's recipe tells a contributor to write."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Adding a built-in op") :]
    rule = re.search(r"`(TAN = Rule\(.*?\))`", section)
    method = re.search(r"`(tan = _unary_method\(.*?\))`", section)
    assert rule and method, "the README's recipe lost its example lines"
    return rule.group(1), method.group(1)


def test_the_readmes_op_recipe_is_all_it_takes(tmp_path):
    rule_line, method_line = _recipe_lines()
    shutil.copytree(ROOT / "autograd", tmp_path / "autograd")
    rules = tmp_path / "autograd" / "rules.py"
    text = rules.read_text()
    text = text.replace("# fmt: on\n", f"{rule_line}\n# fmt: on\n", 1)
    text = text.replace("SIN, COS, ABS, TOTAL, DOT)", "SIN, COS, ABS, TAN, TOTAL, DOT)", 1)
    assert "TAN, TOTAL" in text, "the table's tuple of rules changed: update this test"
    rules.write_text(text)
    value = tmp_path / "autograd" / "value.py"
    text = value.read_text()
    anchor = re.search(r"\n    cos = _unary_method\(.*\)\n", text)
    assert anchor, "Value.cos moved: update this test"
    value.write_text(text[: anchor.end()] + f"    {method_line}\n" + text[anchor.end() :])

    done = subprocess.run(
        [sys.executable, "-c", CHECKS],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "recipe ok"
