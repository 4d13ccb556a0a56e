"""The key recipe and the stream format, checked against what PySide6's Qt computes and writes."""

from __future__ import annotations

import json
import os
import random
import stat

import pytest
import sysv_ipc

from imgshare.ipc import CorruptSegmentError, ForeignSegmentError, NotSharedError
from imgshare.ipc.qt import QtReceiver, QtSender
from imgshare.ipc.qt.keys import QtKey, ftok, temp_dir
from imgshare.ipc.qt.stream import decode, encode
from tests.qt.images import assert_qt_dump_matches, assert_same, make

KEYS = ("169254", "Ab-1é9z", "日本語 key", "x" * 255, "-")


@pytest.mark.parametrize("tmpdir_form", ["plain", "trailing slash", "double slash", "dot-dot", "relative",
                                         "symlink"])
def test_key_files_match_qt(qt_env, monkeypatch, tmpdir_form):
    """Qt 5.15-6.4 resolve TMPDIR to its real path; PySide6 6.12's Qt only cleans it. Both name the
    same files, and ours is the real path (what Qt 5.15, checked with PyQt5 5.15.14, writes)."""
    folder = str(qt_env.tmp)
    monkeypatch.chdir(qt_env.tmp)  # the peers' working folder too (a relative TMPDIR is resolved there)
    (qt_env.tmp / "dir").mkdir()
    (qt_env.tmp / "link").symlink_to(qt_env.tmp / "dir")
    value = {"plain": folder, "trailing slash": folder + "/", "double slash": folder.replace("/", "//"),
             "dot-dot": folder + "/../" + qt_env.tmp.name, "relative": "rel/../dir",
             "symlink": folder + "/link"}[tmpdir_form]
    monkeypatch.setenv("TMPDIR", value)
    qt_env.env["TMPDIR"] = value
    result = qt_env.run("keys", *KEYS)
    assert result.returncode == 0, result.stderr
    qt = json.loads(result.stdout)
    for key in KEYS:
        ours = QtKey.of(key)
        for mine, theirs in zip([ours.shm_file, ours.sem_file], qt[key], strict=True):
            assert mine == os.path.join(os.path.realpath(os.path.dirname(theirs)), os.path.basename(theirs))
            assert os.path.dirname(mine) == os.path.realpath(value)


def test_missing_tmpdir_puts_key_files_at_the_root_as_qt_does(monkeypatch, tmp_path):
    """Qt 5.15-6.4: QDir::tempPath() is the canonical path, empty for a missing folder, and the key
    file is that + "/" + its name."""
    monkeypatch.setenv("TMPDIR", str(tmp_path / "missing"))
    assert temp_dir() == ""
    paths = QtKey.of("169254")
    assert paths.shm_file.startswith("/qipc_sharedmemory_") and paths.sem_file.startswith("/qipc_systemsem_")
    monkeypatch.setenv("TMPDIR", "")
    assert temp_dir() == os.path.realpath("/tmp")


def test_symlinked_tmpdir_still_meets_qt(qt_env, monkeypatch):
    """imgshare uses the real path, PySide6's Qt the link: the same key files, so the same ftok keys."""
    real = qt_env.tmp / "real"
    real.mkdir()
    (qt_env.tmp / "link").symlink_to(real)
    monkeypatch.setenv("TMPDIR", str(qt_env.tmp / "link"))
    qt_env.env["TMPDIR"] = str(qt_env.tmp / "link")
    sent = make("RGB")
    with QtSender(qt_env.key) as sender:
        assert sender.paths.shm_file.startswith(str(real) + "/")
        sender.share(sent)
        result = qt_env.run("receive", qt_env.key, str(qt_env.tmp / "out"))
        assert result.returncode == 0, result.stderr
    assert_qt_dump_matches(qt_env.tmp / "out", sent)
    assert not os.listdir(real)


def test_objects_and_files_are_made_as_qt_makes_them(qt_env):
    make("RGB").save(qt_env.tmp / "in.png")
    peer = qt_env.start("send", "other-key", "in.png", ready="shared")
    qt_files = QtKey.of("other-key")
    with QtSender(qt_env.key) as sender:
        sender.share(make("RGB"))
        for ours, theirs in ((qt_env.paths.shm_file, qt_files.shm_file),
                             (qt_env.paths.sem_file, qt_files.sem_file)):
            assert stat.S_IMODE(os.stat(ours).st_mode) == stat.S_IMODE(os.stat(theirs).st_mode)
            assert ftok(ours) == sysv_ipc.ftok(ours, ord("Q"), silence_warning=True)
        for paths in (qt_env.paths, qt_files):
            shm = sysv_ipc.SharedMemory(ftok(paths.shm_file), 0)
            sem = sysv_ipc.Semaphore(ftok(paths.sem_file), 0)
            assert (shm.mode & 0o777, sem.mode & 0o777, sem.value) == (0o600, 0o600, 1)
            shm.detach()
    qt_env.finish(peer)
    qt_env.assert_clean()


@pytest.mark.parametrize("version, fmt", [(1, "BMP"), (4, "PNG"), (20, "PNG")])
def test_older_stream_versions_are_read(qt_env, version, fmt):
    """Version 1 writes a bare BMP, 2-4 a bare PNG, 5+ the marker and a PNG (qimage.cpp operator<<)."""
    sent = make("RGB")
    sent.save(qt_env.tmp / "in.png")
    result = qt_env.run("stream", str(version), "in.png", "stream.bin")
    assert result.returncode == 0, result.stderr
    image, found = decode((qt_env.tmp / "stream.bin").read_bytes())
    assert found == fmt and image is not None
    assert_same(image, sent)


def test_null_image_is_nothing_shared(qt_env):
    result = qt_env.run("stream", "20", "-", "null.bin")
    assert (qt_env.tmp / "null.bin").read_bytes() == b"\0\0\0\0"
    assert decode(b"\0\0\0\0") == (None, "")
    with QtSender(qt_env.key) as sender:
        sender.share(make("L"))
        sender._segment.write(b"\0\0\0\0", 0)  # what a Qt sender's create() shows before its copy
        with pytest.raises(NotSharedError, match="null image"):
            QtReceiver(qt_env.key).receive(timeout=1)
    assert result.returncode == 0
    qt_env.assert_clean()


@pytest.mark.parametrize("data, error", [
    (b"", ForeignSegmentError),
    (b"IMGSHARE\x01\x00\x00\x10", ForeignSegmentError),
    (b"\x00\x00\x00\x01this is no image", ForeignSegmentError),
    (random.Random(3).randbytes(3333), ForeignSegmentError),
])
def test_foreign_bytes_are_refused(data, error):
    with pytest.raises(error):
        decode(data)


def test_damaged_png_is_corrupt():
    stream, _ = encode(make("RGB"))
    for damaged in (stream[:len(stream) // 2], stream[:40] + bytes(len(stream) - 40)):
        with pytest.raises(CorruptSegmentError) as caught:
            decode(damaged)
        assert not isinstance(caught.value, ForeignSegmentError)
