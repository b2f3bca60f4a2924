"""The ``chainrule`` command (also ``python -m nn``): ``train`` and ``graph``.

``main(argv)`` parses the arguments and runs one subcommand; it returns the exit status
instead of exiting, so tests and notebooks can call it. Every error a user can cause
ends as one line on stderr and a non-zero status, never a traceback: 2 for bad usage
(argparse's convention), 1 for anything that failed while running (an unwritable
folder, a missing extra, a math error).

The subcommands live in ``nn/cli/train.py`` and ``nn/cli/graph.py``; each adds its own
options to the parser and does its work in a ``run(args)`` function.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from autograd import __version__

from . import graph, train
from .options import UsageError

__all__ = ["build_parser", "main", "run"]

PROG = "chainrule"


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (the usage text is in --help)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``chainrule`` command, with its two subcommands.

    Returns:
        An ``argparse.ArgumentParser``; each subcommand's namespace has ``run``.

    Example:
        >>> args = build_parser().parse_args(["train", "--epochs", "5"])
        >>> args.command, args.epochs, args.dataset
        ('train', 5, 'moons')
    """
    parser = _Parser(
        prog=PROG,
        description="chainrule: scalar autodiff you can read. Train a small network on a toy "
        "dataset and look at the pictures, or draw and explain the graph of an expression.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train.add_parser(commands)
    graph.add_parser(commands)
    return parser


def _one_line(error: BaseException) -> str:
    # Library messages are one line already; a Graphviz failure may quote several.
    return " ".join(str(error).split()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``chainrule`` command with ``argv`` (default: ``sys.argv[1:]``).

    Args:
        argv: the arguments after the program name.

    Returns:
        The exit status: 0 on success, 1 if the command failed, 2 for bad usage.

    Example:
        >>> import contextlib, io
        >>> with contextlib.redirect_stderr(io.StringIO()) as err:
        ...     status = main(["train", "--epochs", "-3"])
        >>> status
        2
        >>> print(err.getvalue(), end="")
        chainrule train: error: argument --epochs: expected an int >= 1, got '-3' (see chainrule train --help)
    """  # noqa: E501 (the message)
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["graph"] and (hint := graph.dash_expression_hint(argv[1:])) is not None:
        print(f"{PROG} graph: error: {hint}", file=sys.stderr)
        return 2
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version or a usage error: argparse printed it
        return done.code if isinstance(done.code, int) else 1
    where = f"{PROG} {args.command}"
    try:
        command: Callable[[argparse.Namespace], int] = args.run  # set by add_parser
        return command(args)
    except UsageError as e:
        print(f"{where}: error: {e} (see {where} --help)", file=sys.stderr)
        return 2
    except BrokenPipeError:
        raise  # the reader of our output went away: `run` handles that quietly
    except (ValueError, TypeError, ArithmeticError, OSError, ImportError, RuntimeError) as e:
        print(f"{where}: error: {_one_line(e)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130


def run() -> NoReturn:
    """The console script's entry point: ``sys.exit(main())``.

    Output piped into a program that stops reading early (``chainrule graph ... | head``)
    ends the command quietly, as for other command-line tools.

    Example (a shell, not Python)::

        $ chainrule graph "x*y" x=2 y=3 -o graph.svg
        f = x*y = 6
        df/dx = 3
        df/dy = 2
        wrote graph.svg
    """
    try:
        status = main()
        if sys.stdout is not None:  # None when started with stdout closed (>&-)
            sys.stdout.flush()
    except BrokenPipeError:
        # Python would complain again when it flushes stdout at exit; point it at devnull.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        status = 1
    sys.exit(status)
