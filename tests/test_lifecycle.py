"""Who owns a key, what happens when senders stop, crash, race or replace images, and the owner
semaphore (docs/protocol.md §6.2, §12, §13)."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from imgshare.ipc import KeyInUseError, NotSharedError, Receiver, Sender, sysv_key
from imgshare.ipc.sysv import libc
from tests.conftest import ROOT, run_cli, start_cli, wait_until
from tests.helpers.layout import set_id
from tests.images import digest, make_image
from tests.ipc_cleanup import count_kinds, objects_of
from tests.test_roundtrip import stop, wait_for_line

HELPERS = ROOT / "tests" / "helpers"


@contextmanager
def lock_held_elsewhere(key: str, *, create: int = 0):
    """Another process, not a sender, holds the key's owner semaphore (with SEM_UNDO) until the block
    ends, then is killed."""
    holder = python("hold_lock.py", str(sysv_key(key)), *(["--create", str(create)] if create else []))
    try:
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        yield holder
    finally:
        holder.kill()
        holder.wait()


def python(script: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(HELPERS / script), *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def image_file(tmp_path, mode="RGB", size=(333, 77), seed=1):
    path = tmp_path / f"img-{seed}.png"
    make_image(mode, size, seed).save(path)
    return path


def test_objects_are_private_and_removed_on_close(key):
    sender = Sender(key)
    sender.share(make_image("RGB"))
    assert count_kinds(key) == {"shm": 2, "sem": 1}  # control segment and one data segment; the set
    sender.share(make_image("RGB", seed=2))
    assert count_kinds(key) == {"shm": 3, "sem": 1}  # a second slot's data segment
    rows = {int(r["shmid"]): r for r in _rows("/proc/sysvipc/shm")}
    for kind, ident in objects_of(key):
        if kind == "shm":
            assert int(rows[ident]["perms"], 8) & 0o777 == 0o600
            assert int(rows[ident]["key"]) in (0, sysv_key(key))  # data segments are private
        else:
            assert libc.sem_stat(ident).perm.mode & 0o777 == 0o600
    sender.close()
    assert objects_of(key) == []


def _rows(path: str) -> list[dict[str, str]]:
    with open(path) as f:
        names = f.readline().split()
        return [dict(zip(names, line.split(), strict=False)) for line in f]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_sender_removes_its_objects_on_signal(sig, key, tmp_path):
    sender = start_cli("send", str(image_file(tmp_path)), "--key", key)
    wait_for_line(sender)
    assert count_kinds(key) == {"shm": 2, "sem": 1}
    sender.send_signal(sig)
    assert sender.wait(10) == 0
    assert objects_of(key) == []


def test_persist_leaves_a_marked_share_that_is_not_stale_and_can_be_replaced(private_ipc, key, tmp_path):
    """In a private IPC namespace: `clean --dry-run` lists every stale share of the user, others' too."""
    result = run_cli("send", str(image_file(tmp_path)), "--key", key, "--persist")
    assert result.returncode == 0 and "persisted" in result.stdout
    info = Receiver(key).info()
    assert info.persisted and not info.sender_alive and info.state == "persisted"
    assert all(key not in line for line in run_cli("clean", "--dry-run").stdout.splitlines())
    with Sender(key) as sender:
        assert sender.share(make_image("L")) == info.sequence + 1
    assert objects_of(key) == []


def test_second_live_sender_is_refused_with_exit_7(key, tmp_path):
    first = start_cli("send", str(image_file(tmp_path)), "--key", key)
    try:
        wait_for_line(first)
        second = run_cli("send", str(image_file(tmp_path, seed=2)), "--key", key)
        assert second.returncode == 7
        assert f"in use by pid {first.pid}" in second.stderr
        image, _ = Receiver(key).receive()
        assert digest(image) == digest(make_image("RGB"))  # not clobbered
    finally:
        stop(first)


def test_a_refused_sender_leaves_the_key_as_it_found_it(key, tmp_path):
    """A live sender's key: a second sender is refused at once (exit 7) and makes or removes nothing;
    the owner semaphore stays with the first sender."""
    first = start_cli("send", str(image_file(tmp_path)), "--key", key)
    try:
        wait_for_line(first)
        before = sorted(objects_of(key))
        second = run_cli("send", str(image_file(tmp_path, seed=2)), "--key", key, "--timeout", "30")
        assert second.returncode == 7, second.stderr
        assert sorted(objects_of(key)) == before
        assert libc.sem_value(set_id(key), 0) == 1 and libc.sem_pid(set_id(key), 0) == first.pid
    finally:
        stop(first)


def test_a_refused_first_sender_removes_the_set_it_created(key):
    """Nothing at the key but a segment the claim cannot use: the set the refused sender made goes too."""
    foreign = libc.shmget(sysv_key(key), 4096, libc.IPC_CREAT | libc.IPC_EXCL | 0o644)
    try:
        with pytest.raises(Exception, match="another program"):
            Sender(key).share(make_image("L"))
        assert count_kinds(key) == {"shm": 1, "sem": 0}
    finally:
        libc.shm_remove(foreign)


def test_second_sender_in_the_same_process_is_refused(key):
    with Sender(key) as first:
        first.share(make_image("L"))
        with pytest.raises(KeyInUseError):
            Sender(key).share(make_image("L"))


def test_killed_sender_leaves_a_stale_share_that_a_new_sender_reclaims(key, tmp_path):
    victim = start_cli("send", str(image_file(tmp_path)), "--key", key)
    wait_for_line(victim)
    victim.kill()
    victim.wait()
    image, info = Receiver(key).receive()
    assert info.state == "sender gone" and not info.sender_alive
    assert digest(image) == digest(make_image("RGB"))  # the last complete image is still there
    listing = json.loads(run_cli("list", "--json").stdout)
    assert [s["state"] for s in listing if s["info"] and s["info"]["key"] == key] == ["stale"]
    successor = start_cli("send", str(image_file(tmp_path, seed=3)), "--key", key)
    try:
        assert "shared" in wait_for_line(successor)
        image, info = Receiver(key).receive()
        assert digest(image) == digest(make_image("RGB", seed=3))
        assert info.sender_pid == successor.pid and info.sequence == 2
    finally:
        stop(successor)
    assert objects_of(key) == []


def test_an_owner_semaphore_held_by_a_non_sender_stops_senders_in_time_never_readers(key, tmp_path):
    with Sender(key) as sender:
        sender.share(make_image("L"))
    run_cli("send", str(image_file(tmp_path)), "--key", key, "--persist")
    with lock_held_elsewhere(key):
        image, _ = Receiver(key).receive(timeout=0.5)  # readers take no lock: read at once
        assert image.mode == "RGB"
        started = time.monotonic()
        result = run_cli("send", str(image_file(tmp_path, seed=2)), "--key", key, "--timeout", "1")
        elapsed = time.monotonic() - started
        assert result.returncode == 5, result.stderr
        assert "busy" in result.stderr and "Traceback" not in result.stderr
        assert elapsed > 0.9 and "stayed busy for 1 s" in result.stderr  # --timeout, not the default
    # SEM_UNDO: the killed holder's semaphore is free again, and a sender takes the key over
    result = run_cli("send", str(image_file(tmp_path, seed=3)), "--key", key, "--persist")
    assert result.returncode == 0, result.stderr
    assert digest(Receiver(key).receive()[0]) == digest(make_image("RGB", seed=3))
    assert run_cli("remove", "--key", key).returncode == 0


def test_opening_an_existing_set_never_resets_it(key):
    with Sender(key) as sender:
        for seed in range(5):
            sender.share(make_image("L", seed=seed))
        sender.close(persist=True)
    semid = set_id(key)
    wake = libc.sem_value(semid, 1)
    gates = [libc.sem_value(semid, 2 + i) for i in range(3)]
    assert wake == 5 and sum(gates) == 1
    with Sender(key) as successor:
        assert set_id(key) == semid and libc.sem_value(semid, 1) == wake  # opened, not made again
        assert successor.share(make_image("L", seed=9)) == 6  # the sequence continues
        assert libc.sem_value(semid, 1) == wake + 1


def test_racing_first_senders_share_one_set_and_exactly_one_wins(new_key):
    """Many processes racing to claim the same new key: one set, one winner, the rest refused (7)."""
    key = new_key()
    code = ("import sys, time; from PIL import Image; from imgshare.ipc import Sender, KeyInUseError\n"
            "s = Sender(sys.argv[1], lock_timeout=10)\n"
            "try:\n    s.share(Image.new('L', (4, 4)))\nexcept KeyInUseError:\n    print('refused', flush=True)\n"
            "else:\n    print('won', flush=True); sys.stdin.read(); s.close()\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", code, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env) for _ in range(6)]
    try:
        outcomes = sorted(p.stdout.readline().strip() for p in procs)
        assert outcomes == ["refused"] * 5 + ["won"]
        assert count_kinds(key) == {"shm": 2, "sem": 1}
    finally:
        for p in procs:
            p.stdin.close()
            p.wait(30)
    assert objects_of(key) == []


def test_replacement_with_larger_and_smaller_images_while_another_process_reads(key):
    sizes = [(333, 77), (1201, 803), (64, 33), (2000, 1001), (333, 77)]
    images = [make_image("RGB" if i % 2 else "RGBA", size, seed=i) for i, size in enumerate(sizes)]
    wanted = {digest(image) for image in images}
    with Sender(key) as sender:
        sender.share(images[0])
        reader = python("read_loop.py", key, "3")
        assert reader.stdout.readline().strip() == "ready"
        shares = 0
        while reader.poll() is None:  # replace images for as long as the reader reads
            sender.share(images[shares % len(images)])
            shares += 1
        report = json.loads(reader.communicate(timeout=60)[0])
    assert report["errors"] == {}, report["errors"]
    assert report["reads"] > 20 and shares > 20
    assert set(report["digests"]) <= wanted  # every read is exactly one of the shared images
    assert len(report["digests"]) > 1


def test_receive_wait_sees_a_sender_that_appears_later(key, tmp_path):
    receiver = start_cli("receive", "--key", key, "--wait", "20", "-o", str(tmp_path / "got.png"))
    # Share only once the receiver has loaded the IPC layer: from then on it is waiting for the key.
    wait_until(lambda: "sysv_ipc" in Path(f"/proc/{receiver.pid}/maps").read_text(), what="the receiver to start")
    assert receiver.poll() is None
    with Sender(key) as sender:
        sender.share(make_image("RGB"))
        assert receiver.wait(20) == 0, receiver.stderr.read()
    assert digest(__import__("imgshare.imaging").imaging.load_image(tmp_path / "got.png")) == digest(make_image("RGB"))


def test_wait_expiry_is_exit_5_and_nothing_shared_is_exit_3(key):
    assert run_cli("receive", "--key", key, "--wait", "0.3").returncode == 5
    result = run_cli("receive", "--key", key)
    assert result.returncode == 3 and result.stderr.startswith("imgshare: error: nothing is shared")
    assert result.stderr.count("\n") == 1
    with pytest.raises(NotSharedError):
        Receiver(key).receive()
