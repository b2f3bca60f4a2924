"""chainrule's engine: scalar reverse-mode automatic differentiation.

Example:
    >>> from autograd import Value, grad
    >>> x = Value(2.0, label="x")
    >>> y = x * x + x.sin()
    >>> y.backward()
    >>> round(x.grad, 6)  # 2x + cos(x)
    3.583853
"""

import sys
import typing as _typing

from ._collector import collector_paused
from .anomaly import detect_anomaly
from .backward import backward, grad, topological_order
from .functional import hessian, hvp, jacobian, jvp, value_and_grad
from .grad_mode import is_recording, no_grad
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .graph import (
    Explanation,
    Graph,
    GraphTooLargeError,
    Walkthrough,
    draw,
    explain,
    render,
    to_dot,
    to_sympy,
    walkthrough,
)
from .parse import ExpressionError, parse_expression
from .rules import Rule, primitive
from .sums import dot, total
from .tape import Tape, trace
from .value import Value

# `autograd.render` predates the graph/ package; keep `import autograd.render` and
# `autograd.render.TIMEOUT = ...` working on the one real module, not on a copy.
sys.modules[__name__ + ".render"] = render

# Marks this package as chainrule's `autograd`, not HIPS's PyPI package of the same name.
__distribution__ = "chainrule"
__version__ = "0.1.0"

__all__ = [
    "Explanation",
    "ExpressionError",
    "GradcheckError",
    "Graph",
    "GraphTooLargeError",
    "Rule",
    "Tape",
    "Value",
    "Walkthrough",
    "backward",
    "collector_paused",
    "detect_anomaly",
    "dot",
    "draw",
    "explain",
    "grad",
    "gradcheck",
    "gradgradcheck",
    "hessian",
    "hvp",
    "is_recording",
    "jacobian",
    "jvp",
    "no_grad",
    "parse_expression",
    "primitive",
    "to_dot",
    "to_sympy",
    "topological_order",
    "total",
    "trace",
    "value_and_grad",
    "walkthrough",
]


# Hidden from type checkers: a module __getattr__ would make mypy accept any name imported
# from autograd, typos included.
if not _typing.TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """micrograd's ``draw_dot`` has another name here; every other name fails as usual.

        Raises ImportError, not AttributeError, for that one name: ``from autograd import
        draw_dot`` turns an AttributeError into its own "cannot import name" and drops the
        hint. (So ``hasattr(autograd, "draw_dot")`` raises too, rather than saying False.)
        """
        if name == "draw_dot":
            raise ImportError(
                "autograd has no draw_dot: chainrule calls it draw "
                "(from autograd import draw; draw(loss) gives the graph, data | grad per node)",
                name=__name__,
            )
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
