"""Guarantee: another user can neither read, replace, remove nor clean this user's share (exit 6 or
left alone), and nothing changes. The other user is `nobody`, running the system Python on a copy of
the project and its dependencies that it can read."""

import subprocess
import time

import pytest
import sysv_ipc

from imgshare.ipc import AccessDeniedError, Receiver, Sender, sysv_key
from tests.conftest import run_cli
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of
from tests.nobody import Nobody

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def as_nobody():
    """(run, home): run(*args) runs imgshare as nobody in home, which nobody reads (home/out it writes);
    run.python(code, *args) starts Python code as nobody (tests/nobody.py)."""
    try:
        nobody = Nobody()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        probe = nobody.run("key", "169254")
        assert probe.returncode == 0, probe.stderr
        yield nobody, nobody.home
    finally:
        nobody.remove()


def test_other_user_cannot_touch_the_share(private_ipc, as_nobody, key):
    """In a private IPC namespace: nobody's `clean` would otherwise meet nobody's stale shares elsewhere."""
    run, home = as_nobody
    original = make_image("RGB", (120, 90))
    (home / "out" / "theirs.png").write_bytes(b"")
    make_image("L", (10, 10)).save(home / "out" / "theirs.png")
    with Sender(key) as sender:
        sender.share(original)
        before = sorted(objects_of(key))
        for args, expected in ((["receive"], 6), (["info"], 6), (["remove"], 6),
                               (["remove", "--force"], 6), (["send", "out/theirs.png"], 6)):
            result = run(*args, "--key", key)
            assert result.returncode == expected, (args, result.returncode, result.stderr)
            assert result.stderr.startswith("imgshare: error:") and "Traceback" not in result.stderr
            assert "permission denied" in result.stderr
        assert run("clean").returncode == 0
        assert key not in run("list").stdout  # another user's shares are not listed
        assert sorted(objects_of(key)) == before
        image, info = Receiver(key).receive()
        assert digest(image) == digest(original) and info.sequence == 1


def test_root_never_adopts_nobodys_share_and_says_whose_it_is(as_nobody, key):
    """Issue 18.1: nobody leaves a persisted share at a key; root sharing there refused it nowhere in
    protocol 2 (it adopted nobody's segment and wrote root's pixels where nobody reads them). Now every
    object found is checked for its owner and creator: root is refused with a sentence naming nobody
    (exit 6), and nothing of nobody's changes."""
    run, home = as_nobody
    make_image("L", (12, 9)).save(home / "out" / "theirs.png")
    assert run("send", "out/theirs.png", "--key", key, "--persist").returncode == 0
    try:
        before = sorted(objects_of(key))
        contents = {ident: sysv_ipc.attach(ident, flags=sysv_ipc.SHM_RDONLY) for kind, ident in before if kind == "shm"}
        snapshot = {ident: shm.read(shm.size) for ident, shm in contents.items()}
        with pytest.raises(AccessDeniedError, match="nobody"):
            Sender(key).share(make_image("RGB", (20, 20)))
        with pytest.raises(AccessDeniedError, match="nobody"):
            Receiver(key).receive()
        root_png = home / "root.png"
        make_image("RGB", (20, 20)).save(root_png)
        result = run_cli("send", str(root_png), "--key", key)
        assert result.returncode == 6 and "nobody" in result.stderr, result.stderr
        assert sorted(objects_of(key)) == before
        assert {ident: shm.read(shm.size) for ident, shm in contents.items()} == snapshot
        for shm in contents.values():
            shm.detach()
        theirs = run("receive", "--key", key, "-o", "out/back.png")
        assert theirs.returncode == 0, theirs.stderr  # nobody's own share is intact
    finally:
        assert run("remove", "--key", key).returncode == 0


def test_nobodys_semaphore_set_held_forever_blocks_nothing_of_roots(as_nobody, key):
    """Issue 18.2: nobody pre-creates only the key's semaphore set and holds it: in protocol 2 root
    adopted the lock and timed out on receive, send and remove --force. Now: send is refused at once
    with nobody's name (exit 6); receive and remove find nothing shared (exit 3) at once."""
    run, home = as_nobody
    holder = run.python("import sys, time\nfrom imgshare.ipc.sysv import libc\n"
                        "semid = libc.semget(int(sys.argv[1]), 8, libc.IPC_CREAT | libc.IPC_EXCL | 0o600)\n"
                        "assert libc.semop(semid, [(0, 0, 0), (0, 1, libc.SEM_UNDO)], 5.0) == 0\n"
                        "print('held', flush=True)\nsys.stdin.read()\nlibc.sem_remove(semid)\n",
                        str(sysv_key(key)), stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == "held"
        path = home / "root.png"
        make_image("RGB", (20, 20)).save(path)
        started = time.monotonic()
        result = run_cli("send", str(path), "--key", key, "--timeout", "30")
        assert result.returncode == 6 and "nobody" in result.stderr, result.stderr
        assert run_cli("receive", "--key", key, "--timeout", "30").returncode == 3
        assert run_cli("remove", "--key", key, "--force", "--timeout", "30").returncode == 3
        assert time.monotonic() - started < 25  # refused, never waited out a 30 s timeout
    finally:
        holder.stdin.close()
        holder.wait(20)
