"""write_atomic at a path that holds something other than a writable regular file.

The tests run as root in CI, where a rename would replace anything: each case checks that the
thing at the path is left exactly as it was and that the error names the path as given.
"""

import errno
import os
import socket
import stat

import pytest

from autograd._files import write_atomic

posix_only = pytest.mark.skipif(os.name != "posix", reason="FIFOs, devices and modes are POSIX")


def assert_names_the_path_only(error, path):
    assert error.filename == os.fspath(path)
    assert os.fspath(path) in str(error)
    assert "chainrule-" not in str(error)  # never the temporary file
    assert "\n" not in str(error)


def leftovers(folder, *expected):
    return sorted(set(os.listdir(folder)) - set(expected))


@posix_only
def test_a_fifo_is_refused_and_left_alone(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileExistsError, match="is a FIFO, not a regular file") as caught:
        write_atomic(fifo, b"x")
    assert_names_the_path_only(caught.value, fifo)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert leftovers(tmp_path, "pipe") == []


@posix_only
def test_a_device_file_is_refused_and_left_alone(tmp_path):
    device = tmp_path / "null"
    try:
        # What /dev/null is. (Not /dev/null itself: a regression would replace it for the machine.)
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as e:
        pytest.skip(f"cannot make a device file here: {e}")
    with pytest.raises(FileExistsError, match="is a character device, not a regular file"):
        write_atomic(device, b"x")
    assert stat.S_ISCHR(device.lstat().st_mode)
    assert os.major(device.lstat().st_rdev) == 1
    assert leftovers(tmp_path, "null") == []


@posix_only
def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s"
    if len(os.fspath(path)) > 100:
        pytest.skip("the folder's path is too long for a Unix socket")
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(os.fspath(path))
        with pytest.raises(FileExistsError, match="is a socket, not a regular file"):
            write_atomic(path, b"x")
    assert stat.S_ISSOCK(path.lstat().st_mode)


def test_a_directory_is_refused_naming_it(tmp_path):
    folder = tmp_path / "a_folder"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory, not a regular file") as caught:
        write_atomic(folder, b"x")
    assert_names_the_path_only(caught.value, folder)
    assert os.listdir(folder) == [] and leftovers(tmp_path, "a_folder") == []


@posix_only
@pytest.mark.parametrize("read_only", [0o444, 0o400, 0o555, 0o000])
def test_a_file_without_a_write_bit_is_refused_even_for_root(tmp_path, read_only):
    path = tmp_path / "model.json"
    path.write_bytes(b"old")
    path.chmod(read_only)
    try:
        with pytest.raises(PermissionError, match=rf"read-only \(mode {read_only:#o}\)") as caught:
            write_atomic(path, b"new")
        assert caught.value.errno == errno.EACCES
        assert_names_the_path_only(caught.value, path)
        assert stat.S_IMODE(path.stat().st_mode) == read_only
    finally:
        path.chmod(0o600)
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path, "model.json") == []


@posix_only
def test_a_file_writable_only_by_its_owner_is_replaced(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"old")
    path.chmod(0o200)
    write_atomic(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o200
    path.chmod(0o600)
    assert path.read_bytes() == b"new"


# --- symbolic links: written through, to their target --------------------------------------


@posix_only
def test_a_symlink_is_written_through_and_stays_a_link(tmp_path):
    real_folder, link_folder = tmp_path / "real", tmp_path / "links"
    real_folder.mkdir()
    link_folder.mkdir()
    target = real_folder / "model.json"
    target.write_bytes(b"old")
    target.chmod(0o640)
    link = link_folder / "latest.json"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink() and os.readlink(link) == os.fspath(target)
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert os.listdir(link_folder) == ["latest.json"]  # the temporary was made beside the target
    assert os.listdir(real_folder) == ["model.json"]


@posix_only
def test_a_relative_symlink_in_a_chain_is_followed(tmp_path):
    (tmp_path / "model.json").write_bytes(b"old")
    (tmp_path / "one").symlink_to("model.json")
    (tmp_path / "two").symlink_to("one")
    write_atomic(tmp_path / "two", b"new")
    assert (tmp_path / "two").is_symlink() and (tmp_path / "one").is_symlink()
    assert (tmp_path / "model.json").read_bytes() == b"new"
    assert leftovers(tmp_path, "model.json", "one", "two") == []


@posix_only
def test_a_dangling_symlink_gets_its_target_created(tmp_path):
    link = tmp_path / "latest.json"
    link.symlink_to(tmp_path / "model.json")
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert (tmp_path / "model.json").read_bytes() == b"new"


@posix_only
def test_a_symlink_loop_is_refused(tmp_path):
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="loops") as caught:
        write_atomic(tmp_path / "a", b"x")
    assert caught.value.errno == errno.ELOOP
    assert_names_the_path_only(caught.value, tmp_path / "a")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


@posix_only
def test_a_symlink_to_a_fifo_or_a_read_only_file_is_refused_naming_the_link(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to_pipe").symlink_to("pipe")
    with pytest.raises(FileExistsError, match="is a FIFO") as caught:
        write_atomic(tmp_path / "to_pipe", b"x")
    assert_names_the_path_only(caught.value, tmp_path / "to_pipe")
    frozen = tmp_path / "frozen.json"
    frozen.write_bytes(b"old")
    frozen.chmod(0o444)
    (tmp_path / "to_frozen").symlink_to("frozen.json")
    with pytest.raises(PermissionError) as refused:
        write_atomic(tmp_path / "to_frozen", b"new")
    assert_names_the_path_only(refused.value, tmp_path / "to_frozen")
    assert frozen.read_bytes() == b"old" and (tmp_path / "to_frozen").is_symlink()


# --- other failures name the path given, not the temporary --------------------------------


def test_a_missing_folder_is_reported_with_the_path_given(tmp_path):
    path = tmp_path / "no_such_folder" / "model.json"
    with pytest.raises(FileNotFoundError) as caught:
        write_atomic(path, b"x")
    assert_names_the_path_only(caught.value, path)


def test_a_failed_rename_is_reported_with_the_path_given(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_bytes(b"old")

    def cross_device(src, dst):
        raise OSError(errno.EXDEV, "Invalid cross-device link", src, None, dst)

    monkeypatch.setattr("autograd._files.os.replace", cross_device)
    with pytest.raises(OSError, match="cross-device") as caught:
        write_atomic(path, b"new")
    assert_names_the_path_only(caught.value, path)
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path, "model.json") == []
