"""Crashes, busy keys and other programs' objects between the C library and imgshare's Python side: a
killed sender of either language is taken over by the other, a key held by a process that is not a
sender makes a C sender time out within its timeout while C readers read on (they take no lock), and
another program's objects are refused by C without being touched."""

from __future__ import annotations

import time

import numpy as np
import sysv_ipc
from PIL import Image

from imgshare.ipc import Receiver, Sender, sysv_key
from imgshare.ipc.layout import control as ctl
from tests.c.conftest import run_c
from tests.c.images import random_rows
from tests.conftest import start_cli, wait_until
from tests.helpers.layout import published
from tests.ipc_cleanup import objects_of
from tests.test_lifecycle import lock_held_elsewhere


def test_a_killed_c_sender_is_reclaimed_by_python(c_build, start_c, key, tmp_path):
    rows = random_rows("RGB", 31, 17, seed=2)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "RGB", 31, 17, tmp_path / "rows", "--frame")
    sender.expect("shared")
    sender.kill()  # SIGKILL: no chance to clean up
    with Receiver(key) as receiver:
        array, info = receiver.receive_array()
        assert array.tobytes() == rows  # the published image survives its sender
        assert not info.sender_alive
        with Sender(key) as python_sender:
            assert python_sender.share(np.full((4, 4), 9, np.uint8)) == 2  # taken over; the sequence goes on
            array, info = receiver.receive_array()
            assert (array.tobytes(), info.sequence, info.sender_alive) == (bytes([9]) * 16, 2, True)
    assert objects_of(key) == []


def test_a_killed_python_sender_is_reclaimed_by_c(c_build, start_c, key, tmp_path):
    picture = tmp_path / "picture.png"
    Image.new("L", (40, 30), 77).save(picture)
    python_sender = start_cli("send", str(picture), "--key", key)
    try:
        wait_until(lambda: run_c(c_build.program("tool"), "info", key).returncode == 0, what="the Python share")
        busy = run_c(c_build.program("tool"), "send", key, "L", 1, 1, _one_byte(tmp_path))
        assert busy.returncode == 7, busy.stderr  # a live sender serves the key
        assert f"in use by pid {python_sender.pid}" in busy.stderr
    finally:
        python_sender.kill()
        python_sender.wait()
    rows = random_rows("L", 9, 9, seed=4)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "L", 9, 9, tmp_path / "rows")
    assert sender.expect("shared") == "shared 2"  # taken over, the sequence goes on
    out = tmp_path / "out"
    received = run_c(c_build.program("tool"), "receive", key, out)
    assert received.returncode == 0 and out.read_bytes() == rows
    assert "alive=1" in received.stdout
    assert sender.finish() == 0
    assert objects_of(key) == []


def _one_byte(tmp_path):
    path = tmp_path / "one"
    path.write_bytes(b"\x01")
    return path


def test_a_key_held_by_a_non_sender_times_a_c_sender_out_while_c_readers_read_on(c_build, key, tmp_path):
    """Another process (not a sender) holds the owner semaphore of a persisted share: a C sender waits
    for its own timeout, then says so (5); C readers never take the lock and read at once (protocol 2's
    readers timed out too)."""
    rows = random_rows("RGB", 8, 8, seed=7)
    with Sender(key) as sender:
        sender.share(np.frombuffer(rows, np.uint8).reshape(8, 8, 3))
        sender.close(persist=True)
    with lock_held_elsewhere(key):
        for args in (["receive", key, tmp_path / "out", "--timeout", "1"], ["info", key, "--timeout", "1"]):
            result = run_c(c_build.program("tool"), *args)
            assert result.returncode == 0, (args, result.stderr)
        assert (tmp_path / "out").read_bytes() == rows
        started = time.monotonic()
        result = run_c(c_build.program("tool"), "send", key, "L", "1", "1", _one_byte(tmp_path), "--timeout", "1")
        assert result.returncode == 5, result.stderr
        assert "stayed held for 1 s" in result.stderr
        assert time.monotonic() - started >= 1.0  # it waited its own timeout (never less)
    out = tmp_path / "out"
    assert run_c(c_build.program("tool"), "receive", key, out).returncode == 0
    sender = Sender(key)  # free again: taken over and removed
    sender.share(np.zeros((2, 2), np.uint8))
    sender.close()
    assert objects_of(key) == []


def test_a_foreign_segment_is_refused_by_c_without_touching_it(c_build, key, tmp_path):
    sysv = sysv_key(key)
    content = b"FOREIGN!" + bytes(range(256)) * 15
    memory = sysv_ipc.SharedMemory(sysv, sysv_ipc.IPC_CREX, mode=0o600, size=len(content))
    memory.write(content)
    try:
        with lock_held_elsewhere(key, create=8):  # another program's semaphore set, held forever
            before = sorted(objects_of(key))
            for args in (["receive", key, tmp_path / "out"], ["info", key],
                         ["send", key, "L", "1", "1", _one_byte(tmp_path)]):
                started = time.monotonic()
                result = run_c(c_build.program("tool"), *args)
                assert result.returncode == 4, (args, result.stderr)
                assert "another program's shared memory" in result.stderr
                assert time.monotonic() - started < 4.5  # never waited on the foreign semaphore (5 s default)
            assert sorted(objects_of(key)) == before  # nothing made or removed
            assert memory.read(len(content)) == content
    finally:
        memory.detach()
        memory.remove()


def test_a_c_share_damaged_by_another_writer_is_reported_corrupt(c_build, start_c, key, tmp_path):
    rows = random_rows("RGBA", 16, 16, seed=8)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "RGBA", 16, 16, tmp_path / "rows")
    sender.expect("shared")
    image = published(key)
    try:
        image.shm.write(b"\x00\xff", image.payload + 100)  # a stray write into the pixels
    finally:
        image.detach()
    result = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
    assert result.returncode == 4 and "failed its checksum" in result.stderr
    unverified = run_c(c_build.program("tool"), "receive", key, tmp_path / "out", "--no-verify")
    assert unverified.returncode == 0
    assert sender.finish() == 0
    assert objects_of(key) == []


def test_a_c_sender_refuses_another_keys_control_segment_and_makes_nothing(c_build, key, tmp_path):
    """A control block naming another key at the same System V key (a collision): C refuses (4) before it
    creates anything, and the segment stays as it was."""
    block = ctl.pack_control(ctl.Control(key="another key", slot_count=3, epoch=0x1234))
    memory = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=len(block))
    memory.write(block)
    try:
        for args in (["send", key, "L", "1", "1", _one_byte(tmp_path)], ["receive", key, tmp_path / "out"]):
            result = run_c(c_build.program("tool"), *args)
            assert result.returncode == 4 and "collides with imgshare key 'another key'" in result.stderr
        assert [kind for kind, _ in objects_of(key)] == ["shm"]  # no semaphore set of ours
        assert memory.read(len(block)) == block
    finally:
        memory.detach()
        memory.remove()


def test_a_damaged_control_block_is_reported_then_replaced_by_the_next_c_sender(c_build, start_c, key, tmp_path):
    """A stray write into the immutable part of a persisted share's control block: C readers call it
    damaged (4); the next C sender removes it and its data segments and starts a new epoch."""
    rows = random_rows("L", 6, 6, seed=9)
    (tmp_path / "rows").write_bytes(rows)
    first = start_c(c_build.program("tool"), "send", key, "L", 6, 6, tmp_path / "rows", "--persist")
    first.expect("shared 1")
    assert first.finish() == 0
    memory = sysv_ipc.SharedMemory(sysv_key(key))
    try:
        memory.write(b"\x55", 1000)  # a reserved byte of the control block: it fails its CRC
    finally:
        memory.detach()
    damaged = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
    assert damaged.returncode == 4 and "damaged" in damaged.stderr
    second = start_c(c_build.program("tool"), "send", key, "L", 6, 6, tmp_path / "rows")
    assert second.expect("shared") == "shared 1"  # a new epoch
    array, info = Receiver(key).receive_array()
    assert array.tobytes() == rows and info.sequence == 1
    assert second.finish() == 0
    assert objects_of(key) == []


def test_another_programs_semaphore_set_at_the_key_is_refused_and_left_alone(c_build, key, tmp_path):
    """A set of 3 semaphores at the key is not imgshare's (2 + 2n, docs/protocol.md §9.2)."""
    theirs = sysv_ipc.Semaphore(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, initial_value=3)
    try:
        result = run_c(c_build.program("tool"), "send", key, "L", "1", "1", _one_byte(tmp_path))
        assert result.returncode == 4 and "another program's semaphore set" in result.stderr, result.stderr
        assert theirs.value == 3
        assert [kind for kind, _ in objects_of(key)] == ["sem"]  # the key as it was: theirs alone
    finally:
        theirs.remove()


def test_a_receiver_never_mistakes_a_sender_setting_up_for_a_lost_set(c_build, start_c, new_key):
    """A receiver polling as fast as it can while a sender creates the key's set, then its control
    segment: it may find the segment being written; that is a key being set up (3, then the image),
    never 4."""
    for _ in range(30):
        key = new_key()
        receiver = start_c(c_build.program("transfer"), "receive", key, "copy", "1")
        sender = start_c(c_build.program("transfer"), "send", key, "1920", "1080", "copy")
        sender.send("go\n")  # both start together: the receiver's first looks race the sender's set-up
        receiver.expect("got 1")
        assert receiver.finish() == 0, receiver.stderr()
        assert sender.finish() == 0
        assert objects_of(key) == []
