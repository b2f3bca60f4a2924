"""Text that may go into a picture or a page: one helper for ``draw``, ``explain`` and
``walkthrough``, so that a label reads the same in each.

A label or an op name can hold anything a Python ``str`` can. Some of it no XML parser
accepts (NUL and most other C0 controls, lone surrogates, U+FFFE, U+FFFF: Graphviz copies
them into the SVG, or drops them silently), and none of the controls is visible. So each
is written out as a visible escape, the way ``repr`` writes it: ``\\x07``, ``\\ufffe``; a
newline or a tab reads as a space, so that one label stays on one line. What each format
then needs escaped (DOT's quotes and record syntax, Markdown, HTML, LaTeX) is left to the
module that writes it.

This module is private to ``autograd.graph``.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 controls (newline and tab become spaces first), DEL and the C1 controls, lone
# surrogates (no UTF-8 encoder takes them), and the two noncharacters XML 1.0 forbids.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` on one line with every invisible or XML-forbidden character escaped.

    Example:
        >>> printable("a\\x00b\\tc\\nd\\ufffe")
        'a\\\\x00b c d\\\\ufffe'
        >>> printable("w_1 <- x")
        'w_1 <- x'
    """
    return _UNPRINTABLE.sub(_escape, text.replace("\n", " ").replace("\t", " "))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
