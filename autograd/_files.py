"""Writing a file atomically, done once for the pictures, the checkpoints and the CLI.

This module is private to chainrule; its names are shared by import rather than written
again.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

__all__ = ["write_atomic"]

# O_EXCL: fail rather than open a file someone else made; O_BINARY: no newline translation
# on Windows (it is 0 elsewhere).
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk (``fsync``),
    and the temporary file is then renamed over ``path`` (``os.replace``). On any error the
    temporary file is removed and ``path`` is left as it was.

    A new file gets the mode a plain ``open(path, "wb")`` would give it (0o666 less the
    umask); a replaced file keeps its mode.

    Args:
        path: the file to write (replaced if it exists).
        data: its whole new content.

    Example:
        >>> import pathlib, tempfile
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = pathlib.Path(folder.name) / "notes.txt"
        >>> write_atomic(path, b"first")
        >>> write_atomic(path, b"second")
        >>> path.read_bytes(), [p.name for p in path.parent.iterdir()]
        (b'second', ['notes.txt'])
        >>> folder.cleanup()
    """
    path = Path(path)
    try:
        kept_mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        kept_mode = None
    fd, tmp = _create_beside(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if kept_mode is not None:
            os.chmod(tmp, kept_mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _create_beside(path: Path) -> tuple[int, str]:
    """Create a new, empty temporary file next to ``path``; returns its descriptor and name.

    Opened with mode 0o666 like ``open()`` does, so the operating system applies the umask.
    (``tempfile.mkstemp`` would make it 0o600, and reading the umask to correct that means
    setting it, which is not safe while other threads create files.)
    """
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, _NEW_FILE_FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"write_atomic: no free temporary name next to {os.fspath(path)!r}")
