"""``chainrule graph``: evaluate a typed expression, backpropagate, draw and explain it.

    chainrule graph "tanh(x*w + b)" x=0.5 w=-1.2 b=0.3 -o graph.svg --explain w
    chainrule graph "tanh(x*w + b)" x=0.5 w=-1.2 b=0.3 --html steps.html

The expression is parsed by ``autograd.parse_expression``, never evaluated by Python:
only numbers, variable names, ``+ - * / **``, unary minus, parentheses and the engine's
functions are allowed, and anything else is refused with a message naming it.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograd import Graph, Walkthrough, draw, explain, parse_expression, walkthrough
from autograd.graph import render
from autograd.graph.dot import GraphTooLargeError
from autograd.parse import FUNCTIONS

from .options import Subcommands, UsageError, int_at_least, positive_float

__all__ = ["add_parser", "assignment", "dash_expression_hint", "run"]

DIGITS = 6  # significant digits of the numbers printed


def assignment(text: str) -> tuple[str, float]:
    """An argument type for ``NAME=NUMBER``.

    Args:
        text: the argument as typed.

    Returns:
        ``(name, value)``.

    Example:
        >>> assignment("w=-1.2")
        ('w', -1.2)
    """
    name, sep, number = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise argparse.ArgumentTypeError(f"expected NAME=NUMBER such as x=0.5, got {text!r}")
    try:
        value = float(number)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"the value of {name} must be a number, as in {name}=0.5; got {text!r}"
        ) from None
    return name, value


# graph's one-letter options (argparse's -h and -o for --output): a token such as "-x*y"
# that starts with neither is an expression argparse would take for an unknown option.
_SHORT_OPTIONS = ("-h", "-o")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def dash_expression_hint(argv: Sequence[str]) -> str | None:
    """The error for ``graph``'s arguments when an expression starting with ``-`` is not
    after ``--`` (argparse would read it as an unknown option); None when there is none.

    Args:
        argv: the arguments after ``graph``.

    Returns:
        One line that shows the command with the expression after ``--``, or None.

    Example:
        >>> print(dash_expression_hint(["-x*y", "x=1", "y=2", "-o", "g.svg"]))
        '-x*y' looks like an option: put the expression after --, as in chainrule graph -o g.svg -- '-x*y' x=1 y=2
        >>> dash_expression_hint(["--", "-x*y", "x=1", "y=2"]) is None
        True
    """  # noqa: E501 (the message)
    args = list(argv)
    end = args.index("--") if "--" in args else len(args)
    for token in args[:end]:
        if (
            token.startswith("-")
            and not token.startswith("--")
            and len(token) > 1
            and token[:2] not in _SHORT_OPTIONS
            and " " not in token  # argparse reads "-x * y" as a positional already
            and not _is_number(token)
        ):
            rest = [t for t in args if t != token]
            values = [t for t in rest if "=" in t and not t.startswith("-")]
            options = [t for t in rest if t not in values]
            command = shlex.join(["chainrule", "graph", *options, "--", token, *values])
            return (
                f"{shlex.quote(token)} looks like an option: put the expression after --, "
                f"as in {command}"
            )
    return None


def add_parser(commands: Subcommands) -> argparse.ArgumentParser:
    """Add the ``graph`` subcommand to ``commands`` (argparse's subparsers).

    Args:
        commands: what ``ArgumentParser.add_subparsers()`` returned.

    Returns:
        The subcommand's parser.

    Example:
        >>> commands = argparse.ArgumentParser(prog="chainrule").add_subparsers()
        >>> add_parser(commands).parse_args(["x*y", "x=2", "y=3"]).values
        [('x', 2.0), ('y', 3.0)]
    """
    parser = commands.add_parser(
        "graph",
        help="evaluate an expression, print its gradients and draw its graph",
        description="Evaluate an expression of named numbers, backpropagate, print the value "
        "and each gradient, and draw the computation graph. The expression is parsed, never "
        f"run: numbers, names, + - * / **, parentheses and the functions "
        f"{' '.join(sorted(FUNCTIONS))}; pi and e are constants unless given a value. An "
        "expression that starts with a minus sign and "
        'has no spaces goes after the options and --: chainrule graph -o g.svg -- "-x*y" x=1 y=2',
    )
    parser.add_argument("expression", help='the expression, e.g. "tanh(x*w + b)"')
    parser.add_argument(
        "values",
        nargs="*",
        type=assignment,
        metavar="NAME=NUMBER",
        help="a value for every variable of the expression",
    )
    parser.add_argument(
        "-o",
        "--output",
        default="graph.svg",
        help="where to draw the graph: .svg, .png or .dot (default: graph.svg)",
    )
    parser.add_argument(
        "--explain",
        action="append",
        default=[],
        metavar="NAME",
        help="print the chain rule for the gradient of this variable (may be repeated)",
    )
    parser.add_argument(
        "--html",
        metavar="PAGE.html",
        help="also write a page that steps through the forward and backward pass, one value "
        "and one edge at a time (one self-contained file: open it in a browser)",
    )
    parser.add_argument(
        "--depth",
        type=int_at_least(0),
        metavar="N",
        help="draw only the values at most N steps from the output (default: all of them)",
    )
    parser.add_argument(
        "--max-nodes",
        type=int_at_least(1),
        default=MAX_NODES,
        metavar="N",
        help=f"refuse to draw more values than this (default: {MAX_NODES}; Graphviz gets "
        "slow beyond a few thousand)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_float,
        metavar="SECONDS",
        help=f"how long Graphviz may take to lay out the graph (default: {render.TIMEOUT:g})",
    )
    # No --collapse: it draws each neuron of a model as one node, and an expression has
    # no parameters named after neurons (to_dot refuses collapse without params).
    parser.set_defaults(run=run)
    return parser


MAX_NODES = 500  # to_dot's default


def _format_number(x: float) -> str:
    """``x`` as printed by ``chainrule graph``: DIGITS significant digits."""
    return format(x, f".{DIGITS}g")


def _draw(out: Any, args: argparse.Namespace) -> list[Path]:
    """Draw ``out`` to ``--output`` (and ``--html``); the paths written.

    The library's advice names its keyword arguments (``depth=``, ``render.TIMEOUT``);
    here it names the command's options instead.
    """
    size = {"depth": args.depth, "max_nodes": args.max_nodes}
    try:
        graph = draw(out, **size)
        page = None
        if args.html:
            if not args.html.lower().endswith((".html", ".htm")):
                raise UsageError(f"--html {args.html}: the page's name must end in .html")
            page = walkthrough(out, **size)
    except GraphTooLargeError as e:
        fits = re.search(r"depth=(\d+)", str(e))
        raise GraphTooLargeError(
            f"the graph has more than --max-nodes {args.max_nodes} values to draw; draw "
            f"less of it with --depth {fits.group(1) if fits else 'N'}, or allow more with a "
            "larger --max-nodes (Graphviz gets slow beyond a few thousand)"
        ) from None
    pictures: list[tuple[str, Graph | Walkthrough]] = [(args.output, graph)]
    if page is not None:
        pictures.append((args.html, page))
    saved = render.TIMEOUT
    if args.timeout is not None:
        render.TIMEOUT = args.timeout
    try:
        if page is not None:
            try:
                page.html  # noqa: B018 (laid out now: a failure must come before any file is written)
            except TimeoutError:
                raise _timed_out(args.html, render.TIMEOUT) from None
        return [_save(target, picture, render.TIMEOUT) for target, picture in pictures]
    finally:
        render.TIMEOUT = saved


def _timed_out(target: str, timeout: float) -> TimeoutError:
    return TimeoutError(
        f"drawing {target!r} timed out: Graphviz took longer than {timeout:g} s to lay out "
        "the graph; draw less of it with --depth N, or allow more time with --timeout SECONDS"
    )


def _save(target: str, picture: Graph | Walkthrough, timeout: float) -> Path:
    try:
        return picture.save(target)
    except TimeoutError:  # an OSError too, but nothing failed to write
        raise _timed_out(target, timeout) from None
    except OSError as e:  # its own message would name the temporary file, not ours
        raise OSError(f"cannot write {target!r}: {e.strerror or e}") from None


def run(args: argparse.Namespace) -> int:
    """Run ``chainrule graph`` with parsed arguments; returns the exit status (0).

    Everything that can fail (parsing, the math, drawing) happens before anything is
    printed, so a failed command prints only its error.

    Args:
        args: the parsed arguments (see ``add_parser``).

    Returns:
        0.

    Raises:
        UsageError: a variable given twice, or ``--explain`` of a name not in the expression.
        autograd.ExpressionError: the expression is not allowed or cannot be computed.
        ImportError: drawing .svg or .png needs a Graphviz program (the ``viz`` extra).

    With ``--html PAGE.html`` it also writes ``walkthrough``'s step-by-step page.

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> commands = argparse.ArgumentParser(prog="chainrule").add_subparsers()
        >>> parser = add_parser(commands)
        >>> run(parser.parse_args(["x*y", "x=2", "y=3", "-o", os.path.join(folder.name, "g.dot")]))
        f = x*y = 6
        df/dx = 3
        df/dy = 2
        wrote ...g.dot
        0
        >>> folder.cleanup()
    """
    values: dict[str, float] = {}
    for name, value in args.values:
        if name in values:
            raise UsageError(f"{name} is given twice")
        values[name] = value
    parsed = parse_expression(args.expression, values)
    out = parsed.output
    # The output's name in the drawing and in the chain rule's text; an expression that
    # is one variable keeps that variable's name (renaming it would rename the input).
    if not any(out is leaf for leaf in parsed.inputs.values()):
        out.label = "f" if "f" not in parsed.inputs else "output"
    for name in args.explain:
        if name not in parsed.inputs:
            known = ", ".join(parsed.inputs) or "none"
            raise UsageError(
                f"--explain {name}: {name} is not a variable of the expression (variables: {known})"
            )
    out.backward()
    explanations = [explain(out, parsed.inputs[name]) for name in args.explain]
    written = _draw(out, args)

    print(f"{out.label} = {args.expression.strip()} = {_format_number(out.data)}")
    for name, leaf in parsed.inputs.items():
        print(f"d{out.label}/d{name} = {_format_number(leaf.grad)}")
    for path in written:
        print(f"wrote {path}")
    for explanation in explanations:
        print()
        print(explanation)
    return 0
