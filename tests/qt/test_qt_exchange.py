"""Images both ways between imgshare's Qt mode and a real Qt program (PySide6, separate processes)."""

from __future__ import annotations

import os

import pytest

from imgshare.ipc import ForeignSegmentError, KeyInUseError, NotSharedError
from imgshare.ipc.qt import QtReceiver, QtSender, list_qt_shares
from imgshare.ipc.qt.keys import key_suffix
from tests.qt.images import MODES, assert_qt_dump_matches, assert_same, make


@pytest.mark.parametrize("mode", MODES)
def test_qt_sender_to_imgshare_receiver(qt_env, mode):
    sent = make(mode)
    sent.save(qt_env.tmp / "in.png")
    sender = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    image, info = QtReceiver(qt_env.key).receive(timeout=5)
    assert_same(image, sent)
    assert (info.width, info.height, info.mode, getattr(info, "encoding", None)) == (*sent.size, mode, "png")
    assert info.sender_pid == sender.pid and info.sender_alive and info.state == "alive"
    qt_env.finish(sender)  # the Qt sender detaches last: it removes the segment and its key file
    qt_env.assert_clean()


@pytest.mark.parametrize("mode", MODES)
def test_imgshare_sender_to_qt_receiver(qt_env, mode):
    sent = make(mode)
    with QtSender(qt_env.key) as sender:
        sender.share(sent, source_name="/somewhere/picture.png")
        qt_env.note()
        result = qt_env.run("receive", qt_env.key, "out")
        assert result.returncode == 0, result.stderr
        assert_qt_dump_matches(qt_env.tmp / "out", sent)
    qt_env.assert_clean()  # our close() detached last and removed the semaphore we made


def test_replacing_images_keeps_qt_reading_the_newest(qt_env):
    """A larger image gets a new segment, a smaller one reuses it; Qt reads each exactly."""
    small, large = make("RGB", seed=1), make("RGBA", seed=2).resize((301, 157))
    with QtSender(qt_env.key) as sender:
        for number, image in enumerate((small, large, small), start=1):
            assert sender.share(image) == number
            qt_env.note()
            result = qt_env.run("receive", qt_env.key, f"out{number}")
            assert result.returncode == 0, result.stderr
            rgba = (qt_env.tmp / f"out{number}.rgba").read_bytes()
            assert rgba == image.convert("RGBA").tobytes()
    qt_env.assert_clean()


def test_qt_reader_finds_nothing_after_imgshare_stops(qt_env):
    with QtSender(qt_env.key) as sender:
        sender.share(make("RGB"))
    result = qt_env.run("receive", qt_env.key, "out")
    assert result.returncode == 3, result.stderr  # QSharedMemory::attach fails: nothing to find
    qt_env.assert_clean()  # and Qt's attempt (it makes a semaphore to lock with) cleaned up too


def test_imgshare_round_trip_other_modes_and_source_name(qt_env):
    with QtSender(qt_env.key) as sender, QtReceiver(qt_env.key) as receiver:
        for mode in ("1", "LA", "I;16"):
            sent = make("L").convert(mode) if mode != "LA" else make("RGBA").convert("LA")
            sender.share(sent, source_name="/a/b/photo.png")
            image, info = receiver.receive()
            assert_same(image, sent)
            assert info.source_name == "photo.png"
        sender.share(make("RGB").convert("CMYK"))
        image, _ = receiver.receive()
        assert image.mode == "RGB"  # converted, as imgshare's own format does for CMYK
    qt_env.assert_clean()


def test_nothing_shared_leaves_nothing_behind(qt_env):
    with pytest.raises(NotSharedError):
        QtReceiver(qt_env.key).receive(timeout=1)
    with pytest.raises(NotSharedError):
        QtReceiver(qt_env.key).info(timeout=1)
    qt_env.assert_clean()


def test_live_qt_sender_is_not_clobbered(qt_env):
    make("RGB").save(qt_env.tmp / "in.png")
    peer = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    with pytest.raises(KeyInUseError) as caught:
        QtSender(qt_env.key).share(make("L"))
    assert caught.value.pid == peer.pid
    image, _ = QtReceiver(qt_env.key).receive()  # the Qt share is intact
    assert_same(image, make("RGB"))
    qt_env.finish(peer)
    qt_env.assert_clean()


def test_qt_demo_receiver_steps_remove_a_dead_senders_share(qt_env):
    """Qt's rule: the last process to detach removes the segment; an imgshare receiver follows it."""
    with QtSender(qt_env.key) as sender:
        sender.share(make("RGB"))
        sender.close(persist=True)  # leaves segment + key file, as a crashed Qt sender would
        assert [s.state for s in list_qt_shares((qt_env.key,))] == ["stale"]
        assert QtReceiver(qt_env.key).info().state == "sender gone"  # info only inspects
        assert qt_env.leftovers()[0] == [qt_env.paths.shm_file.rsplit("/", 1)[1]]
        image, info = QtReceiver(qt_env.key).receive()
        assert_same(image, make("RGB"))
    qt_env.assert_clean()


def test_foreign_segment_at_the_qt_key_is_refused_and_left_alone(qt_env):
    import sysv_ipc

    from imgshare.ipc.qt.keys import create_key_file, ftok
    create_key_file(qt_env.paths.shm_file)
    foreign = sysv_ipc.SharedMemory(ftok(qt_env.paths.shm_file), sysv_ipc.IPC_CREX, mode=0o600, size=3333)
    try:
        foreign.write(b"not a QImage stream at all")
        foreign.detach()
        with pytest.raises(ForeignSegmentError):
            QtReceiver(qt_env.key).receive()
        with pytest.raises(ForeignSegmentError):
            QtSender(qt_env.key).share(make("RGB"))
        again = sysv_ipc.SharedMemory(ftok(qt_env.paths.shm_file), 0)
        assert again.read(8) == b"not a QI"
        again.detach()
    finally:
        foreign.remove()
    os.unlink(qt_env.paths.shm_file)
    qt_env.assert_clean()


def test_list_shows_qt_and_imgshare_qt_shares(qt_env):
    make("RGB").save(qt_env.tmp / "in.png")
    peer = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    with QtSender("second-key") as ours:
        ours.share(make("L"), source_name="gray.png")
        listed = {s.info.key: s for s in list_qt_shares((qt_env.key, "second-key"))}
        assert set(listed) == {qt_env.key, "second-key"}
        assert listed[qt_env.key].info.sender_pid == peer.pid and listed[qt_env.key].state == "alive"
        assert listed["second-key"].info.source_name == "gray.png"
        assert listed["second-key"].info.mode == "L"
        # Key strings unknown: a Qt program's share is named letters#SHA-1 prefix (which --key accepts);
        # imgshare's own Qt sender writes its key into the stream, so that one is named in full.
        labels = {s.info.key for s in list_qt_shares(())}
        suffix = key_suffix(qt_env.key)
        assert labels == {f"{suffix[:-40]}#{suffix[-40:][:8]}", "second-key"}
    qt_env.finish(peer)
    qt_env.assert_clean()
