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
from imgshare.ipc.qt.keys import QtKey, ftok
from imgshare.ipc.qt.stream import decode, encode
from tests.qt.images import assert_same, make

KEYS = ("169254", "Ab-1é9z", "日本語 key", "x" * 255, "-")


@pytest.mark.parametrize("tmpdir_form", ["plain", "trailing slash", "double slash", "dot-dot", "relative"])
def test_key_files_match_qt(qt_env, monkeypatch, tmpdir_form):
    folder = str(qt_env.tmp)
    monkeypatch.chdir(qt_env.tmp)  # the peers' working folder too (a relative TMPDIR is resolved there)
    value = {"plain": folder, "trailing slash": folder + "/", "double slash": folder.replace("/", "//"),
             "dot-dot": folder + "/../" + qt_env.tmp.name, "relative": "rel/../dir"}[tmpdir_form]
    monkeypatch.setenv("TMPDIR", value)
    qt_env.env["TMPDIR"] = value
    result = qt_env.run("keys", *KEYS)
    assert result.returncode == 0, result.stderr
    qt = json.loads(result.stdout)
    for key in KEYS:
        ours = QtKey.of(key)
        assert [ours.shm_file, ours.sem_file] == qt[key]


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
    assert found == fmt
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
