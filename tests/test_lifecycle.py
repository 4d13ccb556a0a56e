"""Who owns a key, what happens when senders stop, crash, race or replace images, and the lock."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import sysv_ipc

from imgshare.ipc import KeyInUseError, LockTimeoutError, NotSharedError, Receiver, Sender, sysv_key
from imgshare.ipc.keys import borrow_sysv_key
from imgshare.ipc.lock import KeyLock
from tests.conftest import ROOT, run_cli, start_cli, wait_until
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of
from tests.test_roundtrip import stop, wait_for_line

HELPERS = ROOT / "tests" / "helpers"


@contextmanager
def lock_held_elsewhere(key: str, *, create: bool = False):
    """Another process holds the key's lock (with SEM_UNDO) until the block ends, then is killed."""
    holder = python("hold_lock.py", str(sysv_key(key)), *(["--create"] if create else []))
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


def shm_mode(sysv: int) -> int:
    with open("/proc/sysvipc/shm") as f:
        names = f.readline().split()
        for line in f:
            row = dict(zip(names, line.split(), strict=False))
            if int(row["key"]) == sysv:
                return int(row["perms"], 8) & 0o777
    raise AssertionError("no segment")


def test_objects_are_private_and_removed_on_close(key):
    sender = Sender(key)
    sender.share(make_image("RGB"))
    kinds = sorted(kind for kind, _ in objects_of(key))
    assert kinds == ["sem", "sem", "sem", "shm"]  # lock, pin set, wake signal, segment
    assert shm_mode(sysv_key(key)) == 0o600
    assert sysv_ipc.Semaphore(sysv_key(key), 0).mode & 0o777 == 0o600
    assert sysv_ipc.Semaphore(borrow_sysv_key(key), 0).mode & 0o777 == 0o600
    sender.close()
    assert objects_of(key) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cli_sender_removes_its_objects_on_signal(sig, key, tmp_path):
    sender = start_cli("send", str(image_file(tmp_path)), "--key", key)
    wait_for_line(sender)
    assert len(objects_of(key)) == 4
    sender.send_signal(sig)
    assert sender.wait(10) == 0
    assert objects_of(key) == []


def test_persist_leaves_a_marked_share_that_is_not_stale_and_can_be_replaced(private_ipc, key, tmp_path):
    """In a private IPC namespace: `clean --dry-run` lists every stale share of the user, others' too."""
    result = run_cli("send", str(image_file(tmp_path)), "--key", key, "--persist")
    assert result.returncode == 0 and "persisted" in result.stdout
    info = Receiver(key).info()
    assert info.persisted and not info.sender_alive and info.state == "persisted"
    assert "would remove" not in run_cli("clean", "--dry-run").stdout.replace(key, "")  # not stale
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


def test_a_refused_sender_removes_the_lock_it_created(key, tmp_path):
    """A live sender whose lock was removed by someone: a second sender creates a lock, is refused
    (exit 7), and takes its new lock away again, leaving the key as it found it."""
    first = start_cli("send", str(image_file(tmp_path)), "--key", key)
    try:
        wait_for_line(first)
        sysv_ipc.remove_semaphore(sysv_ipc.Semaphore(sysv_key(key), 0).id)
        before = sorted(objects_of(key))
        second = run_cli("send", str(image_file(tmp_path, seed=2)), "--key", key)
        assert second.returncode == 7, second.stderr
        assert sorted(objects_of(key)) == before
    finally:
        stop(first)


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


def test_held_lock_gives_exit_5_in_time_not_a_hang(key, tmp_path):
    with Sender(key) as sender:
        sender.share(make_image("L"))
        with lock_held_elsewhere(key):
            started = time.monotonic()
            result = run_cli("receive", "--key", key, "--timeout", "1")
            elapsed = time.monotonic() - started
            assert result.returncode == 5, result.stderr
            assert "busy" in result.stderr and "Traceback" not in result.stderr
            assert elapsed > 0.9 and "stayed busy for 1 s" in result.stderr  # --timeout, not the 5 s default
            with pytest.raises(LockTimeoutError):
                Receiver(key).receive(timeout=0.3)
        # SEM_UNDO: the killed holder's lock is free again
        image, _ = Receiver(key).receive(timeout=2)
        assert image.mode == "L"


def test_opening_an_existing_lock_never_resets_it(key):
    with Sender(key) as sender:
        sender.share(make_image("L"))
        with lock_held_elsewhere(key):
            lock, created = KeyLock.open_or_create(sysv_key(key), key, 1.0)
            assert not created
            assert sysv_ipc.Semaphore(sysv_key(key), 0).value == 0  # still held, not reset to 1
            with pytest.raises(LockTimeoutError):
                lock.acquire(0.2)


def test_concurrent_creation_yields_one_working_lock(new_key):
    """Many processes racing to create the same lock: all end up sharing one semaphore, value 1."""
    key = new_key()
    code = ("import sys; from imgshare.ipc.lock import KeyLock; from imgshare.ipc import sysv_key;"
            "k=sys.argv[1]; l,_=KeyLock.open_or_create(sysv_key(k), k, 5); l.acquire(5); l.release();"
            "print(l.id)")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [subprocess.Popen([sys.executable, "-c", code, key], stdout=subprocess.PIPE, text=True,
                              env=env) for _ in range(6)]
    ids = {p.communicate(timeout=30)[0].strip() for p in procs}
    assert len(ids) == 1
    assert sysv_ipc.Semaphore(sysv_key(key), 0).value == 1


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


@pytest.mark.parametrize("kernel_wait", [True, False], ids=["semtimedop", "polling"])
def test_both_lock_strategies_time_out_and_then_succeed(kernel_wait, key, monkeypatch):
    from imgshare.ipc import semtimedop
    monkeypatch.setattr(semtimedop, "AVAILABLE", kernel_wait and semtimedop.AVAILABLE)
    with Sender(key) as sender:
        sender.share(make_image("L"))
        with lock_held_elsewhere(key):
            started = time.monotonic()
            with pytest.raises(LockTimeoutError):
                Receiver(key).receive(timeout=0.4)
            assert time.monotonic() - started > 0.35  # it waited for its timeout; pytest-timeout bounds a hang
        assert Receiver(key).receive(timeout=2)[0].mode == "L"
