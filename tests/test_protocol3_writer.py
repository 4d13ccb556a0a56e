"""What a protocol-3 sender writes (docs/protocol.md §7, §12): a reused data segment's descriptor is
rewritten whole [D2], the sequence rises within an epoch across senders, an animation keeps serving
whatever readers do to its slots."""

import struct

import numpy as np
import pytest
import sysv_ipc

from imgshare.ipc import Receiver, Sender
from imgshare.ipc.layout import descriptor as dsc
from tests.conftest import run_cli, start_cli, wait_until
from tests.helpers.layout import control_of, pins_of, set_id
from tests.images import make_image
from tests.test_roundtrip import stop, wait_for_line


def test_a_reused_data_segment_gets_its_whole_descriptor_rewritten(key):
    with Sender(key) as sender:
        sender.share(np.zeros((10, 10), np.uint8), "x" * 200 + ".png", tags={"long": "y" * 3000})
        first = control_of(key).slots[0]
        for n in range(3):  # the next three go to the other slots, then slot 0's segment is reused
            sender.share(np.full((10, 10), n, np.uint8), "a.png", tags={"n": n})
        assert control_of(key).slots[0] == first
        shm = sysv_ipc.attach(first.shmid, flags=sysv_ipc.SHM_RDONLY)
        try:
            raw = shm.read(dsc.DESCRIPTOR_SIZE)
        finally:
            shm.detach()
    source_length, = struct.unpack_from("<H", raw, 136)
    tags_length, = struct.unpack_from("<H", raw, 160)
    assert raw[256 + source_length:512] == bytes(512 - 256 - source_length)
    assert raw[4096 + tags_length:8192] == bytes(4096 - tags_length) and tags_length < 20
    assert struct.unpack_from("<I", raw, dsc.WRITE_COUNT)[0] % 2 == 0  # not left "being written"


def test_the_sequence_keeps_rising_for_a_key_across_senders_and_missed_is_right(key):
    """Issue 17.13: sequences restarted at 1 after a clean stop and README's example printed negative
    missed counts. The sequence rises within an epoch (taken over: continued); a new epoch (the key
    removed and made again) is a new-sender signal missed_since() reads."""
    with Sender(key) as sender:
        for _ in range(3):
            sender.share(np.zeros((4, 4), np.uint8))
        first = Receiver(key).info()
        sender.close(persist=True)
    with Sender(key) as successor:
        successor.share(np.zeros((4, 4), np.uint8))
        taken_over = Receiver(key).info()
    assert taken_over.epoch == first.epoch and taken_over.sequence == 4
    assert taken_over.missed_since(first) == 0
    with Sender(key) as fresh:  # the key was removed when the successor stopped: a new epoch
        for _ in range(5):
            fresh.share(np.zeros((4, 4), np.uint8))
        later = Receiver(key).info()
    assert later.epoch != first.epoch and later.sequence == 5
    assert later.missed_since(taken_over) == 4  # images 1..4 of the new epoch, never a negative count


@pytest.mark.slow
def test_an_animation_keeps_serving_whatever_is_done_to_its_slots(key, tmp_path):
    """Issue 18.11: protocol 2's animation sender quit for good, removing its share, after one 5 s lock
    stall. No reader holds anything a sender waits for now: pins stuck at their maximum on every slot,
    a second sender knocking, and readers reading for 6 s leave the animation sharing frames."""
    from imgshare.ipc.sysv import libc
    frames = [make_image("RGB", (61, 41), seed=i) for i in range(4)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:], duration=50, loop=0)
    animation = start_cli("send", str(tmp_path / "anim.gif"), "--key", key)
    try:
        wait_for_line(animation)
        semid, count = set_id(key), control_of(key).slot_count
        for slot in range(count):
            libc.sem_set_value(semid, 2 + count + slot, 32767)
        before = Receiver(key).info().sequence
        assert run_cli("send", str(tmp_path / "anim.gif"), "--key", key, "--timeout", "1").returncode == 7
        with Receiver(key) as receiver:
            wait_until(lambda: receiver.info().sequence > before + 60, timeout=60,
                       what="the animation to go on sharing")
        assert animation.poll() is None
        for slot in range(count):
            libc.sem_set_value(semid, 2 + count + slot, 0)
        assert sum(pins_of(key)) == 0
    finally:
        stop(animation)
