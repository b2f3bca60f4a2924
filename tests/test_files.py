"""autograd._files.write_atomic: the one atomic file write (pictures, checkpoints, the CLI)."""

import os
import re
import stat
import time

import pytest

from autograd import _files
from autograd._files import write_atomic


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_writes_the_bytes_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.bin"
    write_atomic(path, b"\x00one\r\n")
    write_atomic(str(path), b"two")
    assert path.read_bytes() == b"two"
    assert os.listdir(tmp_path) == ["out.bin"]


@pytest.mark.skipif(os.name != "posix", reason="file modes and the umask are POSIX")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_open_would_give(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_atomic(tmp_path / "new.txt", b"x")
        with open(tmp_path / "plain.txt", "wb") as f:
            f.write(b"x")
    finally:
        os.umask(old)
    assert mode(tmp_path / "new.txt") == 0o666 & ~umask == mode(tmp_path / "plain.txt")


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("kept", [0o600, 0o640, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path, umask_022, kept):
    path = tmp_path / "kept.txt"
    path.write_bytes(b"old")
    path.chmod(kept)
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert mode(path) == kept


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_bytes(b"old")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("autograd._files.os.fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_failed_rename_leaves_no_temporary(tmp_path):
    target = tmp_path / "a_folder"
    target.mkdir()  # os.replace cannot put a file over a folder
    with pytest.raises(OSError):
        write_atomic(target, b"new")
    assert os.listdir(tmp_path) == ["a_folder"]
    assert os.listdir(target) == []


# --- temporary files: named recognisably, stale ones removed by the next save -------------


def dead_pid():
    """The id of a process that has ended (run one and wait for it)."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def temporary(folder, name, pid, token="deadbeef"):
    path = folder / f".{name}.chainrule-{pid}-{token}.tmp"
    path.write_bytes(b"half a file")
    return path


def test_the_temporary_is_named_for_its_target_and_process(tmp_path, monkeypatch):
    renamed = []
    real_replace = os.replace

    def spy(src, dst):
        renamed.append(os.path.basename(src))
        real_replace(src, dst)

    monkeypatch.setattr("autograd._files.os.replace", spy)
    write_atomic(tmp_path / "model.json", b"x")
    assert re.fullmatch(rf"\.model\.json\.chainrule-{os.getpid()}-[0-9a-f]{{8}}\.tmp", renamed[0])


@pytest.mark.skipif(os.name != "posix", reason="whether a pid is alive is asked with os.kill")
def test_a_stale_temporary_of_a_dead_process_is_removed_by_the_next_save(tmp_path):
    stale = temporary(tmp_path, "model.json", dead_pid())
    write_atomic(tmp_path / "model.json", b"x")
    assert not stale.exists()
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_live_temporary_is_kept(tmp_path):
    live = temporary(tmp_path, "model.json", os.getpid())  # a save running now, in this process
    write_atomic(tmp_path / "model.json", b"x")
    assert live.read_bytes() == b"half a file"


def test_an_old_temporary_is_removed_even_if_its_pid_is_alive(tmp_path):
    old = temporary(tmp_path, "model.json", os.getpid())  # the pid may have been reused
    an_hour_and_a_bit_ago = time.time() - _files.STALE_AFTER_SECONDS - 60
    os.utime(old, (an_hour_and_a_bit_ago, an_hour_and_a_bit_ago))
    write_atomic(tmp_path / "model.json", b"x")
    assert not old.exists()


@pytest.mark.skipif(os.name != "posix", reason="whether a pid is alive is asked with os.kill")
def test_only_temporaries_of_this_pattern_for_this_target_are_removed(tmp_path):
    pid = dead_pid()
    kept = [
        temporary(tmp_path, "other.json", pid),  # another target's
        temporary(tmp_path, "model.json.bak", pid),  # a longer name starting the same
        temporary(tmp_path, "model.json", pid, token="notahex!"),
        tmp_path / ".model.json.1234abcd.tmp",  # the old naming: not known to be ours
        tmp_path / f"model.json.chainrule-{pid}-deadbeef.tmp",  # not hidden
    ]
    kept[3].write_bytes(b"")
    kept[4].write_bytes(b"")
    folder = tmp_path / f".model.json.chainrule-{pid}-deadbeef.tmp"
    folder.mkdir()  # the pattern, but a folder: never ours
    write_atomic(tmp_path / "model.json", b"x")
    assert all(path.exists() for path in kept) and folder.is_dir()


@pytest.mark.skipif(os.name != "posix", reason="symbolic links")
def test_stale_temporaries_are_removed_beside_a_symlinks_target(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "latest.json").symlink_to(tmp_path / "real" / "model.json")
    stale = temporary(tmp_path / "real", "model.json", dead_pid())
    write_atomic(tmp_path / "latest.json", b"x")
    assert not stale.exists()
    assert os.listdir(tmp_path / "real") == ["model.json"]
