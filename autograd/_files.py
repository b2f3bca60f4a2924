"""Writing a file atomically, done once for the pictures, the checkpoints and the CLI.

This module is private to chainrule; its names are shared by import rather than written
again.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import time
from pathlib import Path

__all__ = ["write_atomic"]

# O_EXCL: fail rather than open a file someone else made; O_BINARY: no newline translation
# on Windows (it is 0 elsewhere).
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)

# A temporary file left by a save that was killed is removed by the next save to the same
# place once its process is gone, or once it is this old (its pid may have been reused, or
# belong to another machine sharing the folder).
STALE_AFTER_SECONDS = 60 * 60

# What is at a path, for the message that refuses to replace it.
_NOT_REGULAR = (
    (stat.S_ISDIR, "a directory", IsADirectoryError, errno.EISDIR),
    (stat.S_ISFIFO, "a FIFO", FileExistsError, errno.EEXIST),
    (stat.S_ISCHR, "a character device", FileExistsError, errno.EEXIST),
    (stat.S_ISBLK, "a block device", FileExistsError, errno.EEXIST),
    (stat.S_ISSOCK, "a socket", FileExistsError, errno.EEXIST),
)


def write_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the new one, never half.

    The bytes go to a temporary file in the same folder, are flushed to disk (``fsync``),
    and the temporary file is then renamed over ``path`` (``os.replace``). On any error the
    temporary file is removed and ``path`` is left as it was.

    A new file gets the mode a plain ``open(path, "wb")`` would give it (0o666 less the
    umask); a replaced file keeps its mode.

    Only a regular file is replaced. Anything else at ``path`` (a directory, a FIFO, a device
    such as ``/dev/null``, a socket) is refused with an error naming ``path`` and what is
    there, and left alone. A file without any write bit (mode 0o444) is refused with
    ``PermissionError`` like ``open()`` refuses it, even for root. A symbolic link is written
    *through*, as ``open()`` would: the link is resolved, the temporary file is made next to
    its target and renamed over the target, so the link stays a link (a dangling link gets
    its target created; a link that loops is refused). Errors name ``path`` as given, never
    the temporary file. (The checks run just before the write; something put at ``path`` in
    between by another program is not noticed.)

    The temporary file is named ``.<name>.chainrule-<pid>-<random>.tmp``. One left behind by
    a save that was killed is removed by the next save to the same place, once the process
    that made it is gone (or after an hour, ``STALE_AFTER_SECONDS``).

    Args:
        path: the file to write (replaced if it exists).
        data: its whole new content.

    Raises:
        IsADirectoryError: ``path`` is a directory.
        FileExistsError: ``path`` is something else that is not a regular file.
        PermissionError: ``path`` is a read-only file (or its folder cannot be written).
        OSError: the write itself failed (the old file is then left as it was).

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
    given = os.fspath(path)
    target = Path(os.path.realpath(given))
    kept_mode = _check_replaceable(target, given)
    _remove_stale_temporaries(target)
    try:
        fd, tmp = _create_beside(target)
    except OSError as e:
        raise _naming(e, given) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if kept_mode is not None:
            os.chmod(tmp, kept_mode)
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and tmp in (e.filename, e.filename2):
            raise _naming(e, given) from None
        raise


def _check_replaceable(target: Path, given: str) -> int | None:
    """Refuse anything at ``target`` but a writable regular file; returns its mode, or None."""
    try:
        st = target.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):  # realpath left it unresolved: the link loops
        raise OSError(errno.ELOOP, "is a symbolic link that loops", given)
    for test, what, error, code in _NOT_REGULAR:
        if test(st.st_mode):
            raise error(code, f"is {what}, not a regular file", given)
    mode = stat.S_IMODE(st.st_mode)
    # Root may write anything, so os.access says yes to 0o444; open() refuses such a file
    # only to others, but a file nobody may write is meant to stay, so check the bits too.
    if not mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, f"is read-only (mode {mode:#o})", given)
    return mode


def _temporary_pattern(target: Path) -> re.Pattern[str]:
    return re.compile(rf"\.{re.escape(target.name)}\.chainrule-(\d+)-[0-9a-f]{{8}}\.tmp")


def _remove_stale_temporaries(target: Path) -> None:
    """Remove temporaries for ``target`` whose process is gone or that are too old."""
    pattern = _temporary_pattern(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return  # the write that follows reports a folder it cannot use
    now = time.time()
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        with contextlib.suppress(OSError):  # gone already, or not ours to remove
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                continue
            if now - st.st_mtime > STALE_AFTER_SECONDS or not _alive(int(match.group(1))):
                os.unlink(entry.path)


def _alive(pid: int) -> bool:
    """Whether a process with this id runs (on this machine); True when it cannot be told."""
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # it exists but is not ours, or the id cannot be checked
    return True


def _naming(error: OSError, given: str) -> OSError:
    """The same error, naming the path the user gave instead of the temporary file."""
    return type(error)(error.errno, error.strerror, given)


def _create_beside(path: Path) -> tuple[int, str]:
    """Create a new, empty temporary file next to ``path``; returns its descriptor and name.

    Opened with mode 0o666 like ``open()`` does, so the operating system applies the umask.
    (``tempfile.mkstemp`` would make it 0o600, and reading the umask to correct that means
    setting it, which is not safe while other threads create files.)
    """
    prefix = f".{path.name}.chainrule-{os.getpid()}-"
    for _ in range(100):
        tmp = os.path.join(path.parent, f"{prefix}{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, _NEW_FILE_FLAGS, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary name next to it", os.fspath(path))
