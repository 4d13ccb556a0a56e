"""Crashes, busy locks and other programs' memory between the C library and imgshare's Python side: a
killed sender of either language is reclaimed by the other, a lock held elsewhere makes the C calls time
out with status 5 within their timeout, and a foreign segment is refused by C without being touched."""

from __future__ import annotations

import time

import numpy as np
import sysv_ipc
from PIL import Image

from imgshare.ipc import Receiver, Sender
from imgshare.ipc.keys import borrow_sysv_key, sysv_key, wake_sysv_key
from tests.c.conftest import run_c
from tests.c.images import random_rows
from tests.conftest import start_cli, wait_until
from tests.ipc_cleanup import objects_at, objects_of
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
        assert busy.returncode == 7, busy.stderr  # a live sender owns the key
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


def test_a_lock_held_by_python_times_the_c_calls_out_in_time(c_build, key, tmp_path):
    with Sender(key) as sender:
        sender.share(Image.new("RGB", (8, 8)))
        with lock_held_elsewhere(key):
            for args in (["receive", key, tmp_path / "out", "--timeout", "1"], ["info", key, "--timeout", "1"],
                         ["send", key, "L", "1", "1", _one_byte(tmp_path), "--timeout", "1"]):
                started = time.monotonic()
                result = run_c(c_build.program("tool"), *args)
                elapsed = time.monotonic() - started
                assert result.returncode == 5, (args, result.stderr)
                assert "stayed busy for 1 s" in result.stderr
                assert elapsed >= 1.0, elapsed  # it waited, for the timeout it names (not the 5 s default)
        out = tmp_path / "out"
        assert run_c(c_build.program("tool"), "receive", key, out).returncode == 0  # free again


def test_a_foreign_segment_is_refused_by_c_without_touching_it(c_build, key, tmp_path):
    sysv = sysv_key(key)
    content = b"FOREIGN!" + bytes(range(256)) * 15
    memory = sysv_ipc.SharedMemory(sysv, sysv_ipc.IPC_CREX, mode=0o600, size=len(content))
    memory.write(content)
    try:
        with lock_held_elsewhere(key, create=True):  # another program's semaphore, held forever
            semaphore = sysv_ipc.Semaphore(sysv)
            before = (semaphore.id, semaphore.value)
            # An hour's lock timeout: had a call waited on the foreign lock, run_c's 60 s would end the test.
            for args in (["receive", key, tmp_path / "out", "--timeout", "3600"], ["info", key, "--timeout", "3600"],
                         ["send", key, "L", "1", "1", _one_byte(tmp_path), "--timeout", "3600"]):
                result = run_c(c_build.program("tool"), *args)
                assert result.returncode == 4, (args, result.stderr)
                assert "another program's shared memory" in result.stderr
            assert (semaphore.id, semaphore.value) == before
            assert memory.read(len(content)) == content
            assert objects_at(borrow_sysv_key(key)) == [] and objects_at(wake_sysv_key(key)) == []
    finally:
        memory.detach()
        memory.remove()


def test_a_c_share_damaged_by_another_writer_is_reported_corrupt(c_build, start_c, key, tmp_path):
    rows = random_rows("RGBA", 16, 16, seed=8)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "RGBA", 16, 16, tmp_path / "rows")
    sender.expect("shared")
    memory = sysv_ipc.SharedMemory(sysv_key(key))
    try:
        published = int.from_bytes(memory.read(4, 16), "little")
        offset = int.from_bytes(memory.read(8, 64 + 16 * published), "little")
        memory.write(b"\x00\xff", offset + 100)  # a stray write into the pixels
    finally:
        memory.detach()
    result = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
    assert result.returncode == 4 and "failed its checksum" in result.stderr
    unverified = run_c(c_build.program("tool"), "receive", key, tmp_path / "out", "--no-verify")
    assert unverified.returncode == 0
    assert sender.finish() == 0
    assert objects_of(key) == []


def test_a_refused_c_sender_removes_the_lock_it_created(c_build, key, tmp_path):
    """A segment naming another key (a collision) with no lock: C creates the lock to look, refuses the key
    (4), and leaves it as it found it: the segment untouched, no semaphore of its own left behind."""
    from tests.vectors.segments.generate import segment

    data, _ = segment(mode="L", key="another key")
    memory = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=len(data))
    memory.write(bytes(data))
    try:
        result = run_c(c_build.program("tool"), "send", key, "L", "1", "1", _one_byte(tmp_path))
        assert result.returncode == 4 and "collides with imgshare key 'another key'" in result.stderr
        assert [kind for kind, _ in objects_of(key)] == ["shm"]
        assert memory.read(len(data)) == bytes(data)
        lost = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
        assert lost.returncode == 4 and "lost its lock semaphore" in lost.stderr  # ours, by its magic
    finally:
        memory.detach()
        memory.remove()


def test_a_c_sender_repairs_a_control_block_damaged_by_another_program(c_build, start_c, key, tmp_path):
    rows = random_rows("L", 6, 6, seed=9)
    (tmp_path / "rows").write_bytes(rows)
    sender = start_c(c_build.program("tool"), "send", key, "L", 6, 6, tmp_path / "rows")
    sender.expect("shared 1")
    memory = sysv_ipc.SharedMemory(sysv_key(key))
    try:
        memory.write(b"\x55", 1000)  # a stray write into the control block's reserved bytes
    finally:
        memory.detach()
    damaged = run_c(c_build.program("tool"), "receive", key, tmp_path / "out")
    assert damaged.returncode == 4 and "control block checksum" in damaged.stderr
    sender.send("again\n")
    sender.expect("shared 2")  # the next share rewrites the block
    array, info = Receiver(key).receive_array()
    assert array.tobytes() == rows and info.sequence == 2
    assert sender.finish() == 0
    assert objects_of(key) == []


def test_another_programs_semaphores_at_the_pin_key_are_refused_and_left_alone(c_build, key, tmp_path):
    """A set of fewer than 8 semaphores where imgshare keeps its pins is not imgshare's (protocol.md §7.1)."""
    theirs = sysv_ipc.Semaphore(borrow_sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, initial_value=3)
    try:
        result = run_c(c_build.program("tool"), "send", key, "L", "1", "1", _one_byte(tmp_path))
        assert result.returncode == 4 and "another program's semaphores" in result.stderr
        assert theirs.value == 3
        assert [kind for kind, _ in objects_of(key)] == ["sem"]  # the key as it was: theirs alone
    finally:
        theirs.remove()


def test_a_receiver_never_mistakes_a_sender_setting_up_for_a_lost_lock(c_build, start_c, new_key):
    """A receiver polling as fast as it can while a sender creates the key's lock, then its segment: it
    may find no lock, then our segment; that is a key being set up (3, then the image), never 4."""
    for _ in range(30):
        key = new_key()
        receiver = start_c(c_build.program("transfer"), "receive", key, "copy", "1")
        sender = start_c(c_build.program("transfer"), "send", key, "1920", "1080", "copy")
        sender.send("go\n")  # both start together: the receiver's first looks race the sender's set-up
        receiver.expect("got 1")
        assert receiver.finish() == 0, receiver.stderr()
        assert sender.finish() == 0
        assert objects_of(key) == []
