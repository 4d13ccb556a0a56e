"""The one serving session behind `imgshare send` and the Sender tab: new key first, watching belongs to
the watched file's share, the other kind of channel, and stopping in order. Real segments and threads."""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from imgshare.ipc import ChannelKind, ForeignSegmentError, NotSharedError, Receiver, TooLargeError
from imgshare.playback import Frame
from imgshare.serving import ServingEvents, ServingSession, Watch
from imgshare.watching import FileWatcher
from tests.conftest import wait_until
from tests.gui.support import foreign_segment
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of


def threads_named(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def still(image: Image.Image) -> list[Frame]:
    return [Frame(image, 0.0)]


def shared_digest(key: str) -> str:
    image, _ = Receiver(key).receive()
    return digest(image)


def test_a_new_key_succeeds_before_the_old_share_stops(new_key):
    old, blocked, fresh = new_key(), new_key(), new_key()
    first = make_image("RGB", (50, 40), seed=1)
    session = ServingSession(lock_timeout=1.0)
    try:
        session.share(old, still(first), "first.png")
        with foreign_segment(blocked):
            with pytest.raises(ForeignSegmentError):
                session.share(blocked, still(make_image("L", (20, 20))), "second.png")
            assert shared_digest(old) == digest(first)  # the failed move left the old share alone
            assert session.sharing
        second = make_image("RGBA", (30, 20), seed=2)
        shared = session.share(fresh, still(second), "third.png")
        assert shared.key == fresh and shared_digest(fresh) == digest(second)
        with pytest.raises(NotSharedError):
            Receiver(old).receive()
        assert objects_of(old) == []  # the old share's segment and semaphores are gone
    finally:
        session.close()
    assert objects_of(fresh) == []


def test_sharing_anything_else_ends_watching_and_says_which_file(key, tmp_path):
    path = tmp_path / "watched.png"
    Image.new("RGB", (40, 30), "red").save(path)
    versions: list[int] = []
    session = ServingSession(events=ServingEvents(new_version=lambda shared, frames: versions.append(
        shared.sequence)))
    try:
        shared = session.share(key, still(Image.open(path).convert("RGB")), "watched.png", path=str(path),
                               watch=True)
        assert (shared.watch, shared.watching) == (Watch.ON, str(path))
        Image.new("RGB", (40, 30), "blue").save(path)
        wait_until(lambda: versions == [2], 10, "the watched file's new version")

        pasted = make_image("RGB", (25, 25), seed=5)
        shared = session.share(key, still(pasted), "clipboard", path=None, watch=True)
        assert (shared.watch, shared.stopped_watching) == (Watch.ENDED, str(path))
        assert session.watching is None and not threads_named("imgshare-file-watch")
        # The file changes again: a witness sees the new version, and the pasted image stays shared.
        seen = threading.Event()
        witness = FileWatcher(str(path), lambda image: seen.set()).start()
        try:
            Image.new("RGB", (40, 30), "green").save(path)
            wait_until(seen.is_set, 10, "the witness to see the change")
        finally:
            witness.stop()
        image, info = Receiver(key).receive()
        assert digest(image) == digest(pasted) and info.sequence == 3 and versions == [2]
    finally:
        session.close()


def test_switching_kind_shares_the_new_kind_first(key, tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # Qt's key files go here
    image = make_image("RGB", (60, 50), seed=3)
    session = ServingSession()
    try:
        session.share(key, still(image), "picture.png")
        shared = session.switch_kind(ChannelKind.QT)
        assert shared is not None and shared.kind is ChannelKind.QT and session.kind is ChannelKind.QT
        from imgshare.ipc.qt import QtKey, QtReceiver, ftok
        assert shared.sysv_key == ftok(QtKey.of(key).shm_file)
        got, _ = QtReceiver(key).receive()
        assert digest(got.convert("RGB")) == digest(image)
        with pytest.raises(NotSharedError):
            Receiver(key).receive()  # the imgshare-format share stopped once Qt's was in place
        back = session.switch_kind(ChannelKind.IMGSHARE)
        assert back is not None and back.kind is ChannelKind.IMGSHARE and shared_digest(key) == digest(image)
    finally:
        session.close()
    assert objects_of(key) == []


def test_stop_ends_the_player_before_removing_the_share(key):
    frames = [Frame(make_image("RGB", (20, 20), seed=n), 0.01) for n in range(3)]
    played: list[int] = []
    session = ServingSession(events=ServingEvents(frame=lambda index, sequence: played.append(sequence)))
    shared = session.share(key, frames, "anim.gif")
    assert shared.frames == 3
    wait_until(lambda: len(played) >= 5, 10, "the animation to play")
    assert session.stop() == key
    assert not threads_named("imgshare-player")  # ended before the share was removed
    assert objects_of(key) == []
    session.close()
    with pytest.raises(Exception, match="closing"):
        session.share(key, frames, "anim.gif")


def test_a_failed_share_under_the_same_key_leaves_the_animation_playing(key):
    frames = [Frame(make_image("RGB", (20, 20), seed=n), 0.01) for n in range(3)]
    played: list[int] = []
    session = ServingSession(events=ServingEvents(frame=lambda index, sequence: played.append(sequence)))
    try:
        session.share(key, frames, "anim.gif")
        too_big = Image.new("1", (70000, 1))  # wider than imgshare carries
        with pytest.raises(TooLargeError):
            session.share(key, still(too_big), "wide.png")
        assert session.playing
        count = len(played)
        wait_until(lambda: len(played) > count + 3, 10, "the animation to play on")
    finally:
        session.close()
    assert objects_of(key) == []


def test_an_animation_plays_on_from_its_first_frame_without_sharing_it_twice(key):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Frame(Image.new("RGB", (8, 6), colour), 0.05) for colour in colours]
    shown: list[tuple[int, int]] = []
    session = ServingSession(events=ServingEvents(frame=lambda index, sequence: shown.append((index, sequence))))
    try:
        shared = session.share(key, frames, "three.gif")
        assert shared.sequence == 1 and shared.frames == 3
        with Receiver(key) as receiver:
            first, _ = receiver.receive()
            wait_until(lambda: len(shown) >= 2, 10, "the player's next two frames")
            # Sequence 2 is the animation's second frame: the first was not shared again.
            assert shown[:2] == [(1, 2), (2, 3)]
        assert first.getpixel((0, 0)) == colours[0]
    finally:
        session.close()
