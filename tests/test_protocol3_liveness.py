"""Liveness is the owner semaphore (docs/protocol.md §6.2 [S3]), not a pid: it holds across PID namespaces,
a crash gives it back at once, and a sender re-checks it owns the key when it publishes (§12.3 [W5])."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from imgshare.ipc import KeyInUseError, Receiver, Sender
from tests.conftest import ROOT, run_cli, wait_until
from tests.images import make_image
from tests.test_lifecycle import HELPERS


def start_loop(key: str, name: str, *prefix: str) -> subprocess.Popen:
    return subprocess.Popen([*prefix, sys.executable, str(HELPERS / "share_loop.py"), key, name],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))


def stop_loop(process: subprocess.Popen) -> None:
    if process.stdin:
        process.stdin.close()
    process.wait(30)


@pytest.mark.slow
def test_a_live_sender_in_another_pid_namespace_is_never_taken_over(key):
    """Issue 18.17: with protocol 2 a sender in another PID namespace (a container sharing the IPC
    namespace) looked dead: a second sender took its segment over while it kept publishing, and readers
    got both senders' images, some torn. Now the second sender is refused (exit 7) and every read is the
    first sender's, verified."""
    if os.getuid() != 0 or not shutil.which("unshare"):
        pytest.fail("this test needs root and unshare (util-linux; scripts/bootstrap installs it)")
    inside = start_loop(key, "inside", "unshare", "--pid", "--fork")
    try:
        assert inside.stdout.readline().strip() == "shared"
        info = Receiver(key).info()
        assert info.sender_alive and info.tags == {"who": "inside"}
        assert info.sender_pid != inside.pid  # its pid in its own namespace means nothing here
        with pytest.raises(KeyInUseError):
            Sender(key, lock_timeout=1).share(make_image("L"))
        outside = start_loop(key, "outside")
        assert outside.stdout.readline().startswith("refused 7")
        stop_loop(outside)
        result = run_cli("send", str(ROOT / "app" / "assets" / sorted(os.listdir(ROOT / "app" / "assets"))[0]),
                         "--key", key, "--timeout", "2")
        assert result.returncode == 7, result.stderr
        with Receiver(key) as receiver:
            for _ in range(300):
                array, info = receiver.receive_array()  # verified: a torn image fails its checksum
                assert info.tags == {"who": "inside"}
                assert (array == array.flat[0]).all()
    finally:
        stop_loop(inside)


def test_a_killed_sender_is_gone_at_once_and_its_key_is_taken_over(key, tmp_path):
    """The kernel gives the owner semaphore back when the sender dies (SEM_UNDO): no pid, no start time."""
    victim = start_loop(key, "victim")
    assert victim.stdout.readline().strip() == "shared"
    assert Receiver(key).info().sender_alive
    victim.kill()
    victim.wait()
    wait_until(lambda: not Receiver(key).info().sender_alive, what="the owner semaphore to be given back")
    with Sender(key) as successor:
        successor.share(make_image("L", (5, 5)))
        info = Receiver(key).info()
        assert info.sender_alive and info.sequence > 1


def test_a_sender_whose_key_was_taken_over_stops_publishing(key):
    """If the owner semaphore is broken (a process SETVALs it to 0) and a second sender takes the key,
    the first finds another owner token when it next publishes: it refuses (key in use) and removes
    nothing of the new owner's."""
    from imgshare.ipc.sysv import libc
    from tests.helpers.layout import set_id
    first = Sender(key)
    first.share(make_image("L", (5, 5)))
    libc.sem_set_value(set_id(key), 0, 0)  # another process breaks the owner semaphore
    with Sender(key) as second:  # same process: it may claim once the registry lets it
        first._claim.give_up()
        second.share(make_image("RGB", (6, 6)))
        with pytest.raises(KeyInUseError):
            first.share(make_image("L", (5, 5), seed=2))
        image, _ = Receiver(key).receive()
        assert image.mode == "RGB"  # the new owner's image, untouched
        second.share(make_image("RGB", (7, 7)))
        assert Receiver(key).receive()[0].size == (7, 7)
    first.close()


def test_info_json_says_alive_from_the_owner_semaphore(key, tmp_path):
    with Sender(key) as sender:
        sender.share(make_image("L", (5, 5)), tags={"case": "alive"})
        data = json.loads(run_cli("info", "--key", key, "--json").stdout)
        assert data["state"] == "alive" and data["tags"] == {"case": "alive"}
        sender.close(persist=True)
    data = json.loads(run_cli("info", "--key", key, "--json").stdout)
    assert data["state"] == "persisted"
    assert run_cli("remove", "--key", key).returncode == 0
