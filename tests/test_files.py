"""autograd._files.write_atomic: the one atomic file write (pictures, checkpoints, the CLI)."""

import os
import stat

import pytest

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
