"""The objects of a key in protocol 3 (docs/protocol.md §4 to §6): one System V key, a blank control
segment adopted at once whoever holds it, names that cannot change a terminal, and the issue-18 points
that were about what sits at a key."""

import json
import subprocess
import sys
from typing import Any

import numpy as np
import sysv_ipc

from imgshare.ipc import Receiver, Sender, list_shares, sysv_key
from imgshare.ipc.layout.keys import recipe
from imgshare.ipc.sysv import libc
from tests.conftest import ROOT, run_cli, start_cli, wait_until
from tests.images import make_image
from tests.ipc_cleanup import count_kinds, objects_of, own_objects, remove


def test_a_key_uses_one_system_v_key_and_nothing_at_protocol_2_s_derived_keys(key):
    """Issue 18.10: protocol 2 put a key's pin set and new-image semaphore at SHA-1 prefixes of 0xFF + key
    and 0xFE + key, which another key's segment key could equal. Protocol 3 has one System V key a key:
    nothing is made at, looked up at, or removed from the old derived keys, even what sits there."""
    encoded = key.encode()
    derived = [recipe(b"\xff" + encoded), recipe(b"\xfe" + encoded)]
    planted = [libc.semget(sysv, 8 if n == 0 else 1, libc.IPC_CREAT | libc.IPC_EXCL | 0o600) for n, sysv in
               enumerate(derived)]
    try:
        values = [libc.sem_all(semid) for semid in planted]
        with Sender(key) as sender:
            sender.share(make_image("RGB", (30, 20)))
            with Receiver(key) as receiver:
                receiver.receive()
                receiver.receive_new(None, 0.1)
            keys = {o.key for o in own_objects() if o.kind == "sem" and o.id not in planted and o.key in
                    (sysv_key(key), *derived)}
            assert keys == {sysv_key(key)}
        assert run_cli("remove", "--key", key).returncode == 3  # nothing left to remove
        assert [libc.sem_all(semid) for semid in planted] == values  # untouched, still there
    finally:
        for semid in planted:
            libc.sem_remove(semid)


def test_a_blank_control_segment_is_adopted_at_once_whoever_has_it_attached(key):
    """Issue 18.3: a sender killed between creating its segment and writing it left a blank segment; with a
    follower attached, protocol 2 refused every later sender ("being set up by another process") for as
    long as the follower ran, and list and clean did not see it. Protocol 3 makes the control segment
    only while holding the owner semaphore: a blank one's creator is gone, and the next sender adopts it."""
    sysv = sysv_key(key)
    semid = libc.semget(sysv, 8, libc.IPC_CREAT | libc.IPC_EXCL | 0o600)  # as the killed sender left them
    shmid = libc.shmget(sysv, 4096, libc.IPC_CREAT | libc.IPC_EXCL | 0o600)
    attached = sysv_ipc.attach(shmid, flags=sysv_ipc.SHM_RDONLY)  # someone keeps it attached
    follower = start_cli("receive", "--follow", "--key", key, "--count", "1")
    try:
        assert run_cli("receive", "--key", key).returncode == 3  # blank: nothing shared yet
        listed = [s for s in list_shares() if s.shmid == shmid]
        assert listed and "blank" in listed[0].problem  # list sees it
        with Sender(key, lock_timeout=2) as sender:
            sender.share(make_image("L", (7, 5)))  # adopted at once
            assert follower.wait(30) == 0, follower.stderr.read()
            assert "7x5 L" in follower.stdout.read()
            assert objects_of(key)[0] == ("shm", shmid) or ("shm", shmid) in objects_of(key)
    finally:
        attached.detach()
        follower.kill()
        follower.wait()
    assert objects_of(key) == [] and semid not in [o.id for o in own_objects()]


def test_clean_removes_a_blank_control_segment_nobody_attached(key):
    sysv = sysv_key(key)
    libc.semget(sysv, 8, libc.IPC_CREAT | libc.IPC_EXCL | 0o600)
    libc.shmget(sysv, 4096, libc.IPC_CREAT | libc.IPC_EXCL | 0o600)
    from imgshare.ipc import clean
    assert [s.problem for s in clean(keys=[key])] == ["blank: its sender died while setting the key up"]
    assert objects_of(key) == []


def test_names_and_tags_never_reach_a_terminal_raw(key, tmp_path):
    """Issue 18.15: file and source names with terminal escape sequences were printed raw by receive,
    info and --follow. A source name cannot hold them any more (a sender replaces them, a reader refuses
    a descriptor that has them); tags may, and are printed escaped."""
    hostile = "a\x1b[2J\u202egnp.png"
    with Sender(key) as sender:
        sender.share(make_image("L", (4, 4)), source_name=hostile, tags={"note": "\x1b]0;title\x07 \u202e"})
        info = Receiver(key).info()
        assert info.source_name == "a\ufffd[2J\ufffdgnp.png"
        outputs = [run_cli("info", "--key", key).stdout, run_cli("info", "--key", key, "--json").stdout,
                   run_cli("receive", "--key", key).stdout,
                   run_cli("receive", "--follow", "--count", "1", "--key", key).stdout,
                   run_cli("receive", "--follow", "--count", "1", "--json", "--key", key).stdout,
                   run_cli("list").stdout]
    for text in outputs:
        assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text, text
    assert "\\u001b]0;title\\u0007 \\u202e" in outputs[0]  # shown, escaped
    followed = json.loads(outputs[4])
    assert followed["tags"] == {"note": "\x1b]0;title\x07 \u202e"}  # JSON keeps the value exactly


def test_tags_travel_with_each_image_and_are_checked_on_both_ends(key):
    from imgshare.ipc import InvalidTagsError
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(np.zeros((4, 4), np.uint8), tags={"exposure_us": 8000, "case": "é"})
        assert receiver.info().tags == {"exposure_us": 8000, "case": "é"}
        sender.share(np.zeros((4, 4), np.uint8))
        assert receiver.info().tags == {}  # per image, not per key
        bad: Any
        for bad in ({"x": float("nan")}, {"x": "y" * 5000}, ["not", "an", "object"]):
            try:
                sender.share(np.zeros((4, 4), np.uint8), tags=bad)
            except InvalidTagsError:
                continue
            raise AssertionError(f"{bad!r} was accepted")
        assert receiver.info().sequence == 2  # the refused shares published nothing
    result = subprocess.run([sys.executable, "-m", "imgshare", "info", "--key", key], capture_output=True,
                            text=True, cwd=ROOT)
    assert result.returncode == 3


def test_leftovers_of_a_test_are_removed(key):
    """The session's leak check covers private data segments too: a share's objects are all found."""
    with Sender(key) as sender:
        sender.share(make_image("RGB", (10, 10)))
        sender.share(make_image("RGB", (20, 10)))
        assert count_kinds(key) == {"shm": 3, "sem": 1}
        sender.close(persist=True)
    assert remove([o for o in own_objects() if (o.kind, o.id) in objects_of(key)])
    wait_until(lambda: objects_of(key) == [], what="the objects to go")
