"""What protocol 3 promises, checked on the C library with real processes (issue 18): readers that never
wait for a sender and a sender that never waits for readers, the last image surviving a sender killed at
random instants and before each of its System V calls, a blank control segment adopted at once, a sender
in another PID namespace alive to everyone, readers meeting senders that come and go (image or nothing,
never damage), and another user's objects refused, never adopted (a real nobody process)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sysv_ipc

from imgshare.ipc import sysv_key
from tests.c.conftest import run_c
from tests.c.images import random_rows
from tests.conftest import wait_until
from tests.helpers.layout import pins_of
from tests.ipc_cleanup import objects_of


def close_key(c_build, key: str) -> None:
    """A sender that takes the key over and closes: it removes what a killed one left (§13.1)."""
    result = run_c(c_build.program("tool"), "stream", key, "L", "4", "3", "1", stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr


def test_a_reader_never_waits_for_a_stopped_sender(c_build, start_c, key):
    """SIGSTOP a sender publishing as fast as it can, at random instants, twenty times: a reader with a 1 s
    timeout gets a whole image every time (a protocol-2 sender stopped while holding its lock made every
    reader time out)."""
    sender = start_c(c_build.program("tool"), "stream", key, "RGBA", "320", "240", "1000000000")
    wait_until(lambda: run_c(c_build.program("tool"), "check", key).returncode == 0, what="the first image")
    rng = random.Random()
    for _ in range(20):
        time.sleep(rng.uniform(0.001, 0.02))  # the stop's random instant, not a wait for anything
        os.kill(sender.process.pid, signal.SIGSTOP)
        try:
            result = run_c(c_build.program("tool"), "check", key, "--timeout", "1")
            assert result.returncode == 0, result.stderr
            assert result.stdout.split()[-1] == "1"  # whole: it follows the stream's pattern
        finally:
            os.kill(sender.process.pid, signal.SIGCONT)
    sender.kill()
    close_key(c_build, key)
    assert objects_of(key) == []


def test_a_sender_never_waits_for_a_reader_holding_an_image(c_build, start_c, key):
    """A follower borrows an image and holds it (pinned) while a sender publishes 200 more (taking the key
    over from the killed sender of the first): none of them waits, the held image stays exactly as it was,
    and the follower then gets the newest."""
    follower = start_c(c_build.program("tool"), "follow", key, "2", "20", "--borrow", "--step")
    follower.expect("ready")
    first = start_c(c_build.program("tool"), "stream", key, "RGB", "200", "100", "1")
    first.expect("done 1")
    assert follower.expect("frame").split()[1:] == ["1", "0", "1"]
    first.kill()  # its image stays published (and pinned); the next sender takes the key over
    more = start_c(c_build.program("tool"), "stream", key, "RGB", "200", "100", "200")
    assert more.expect("done") == "done 201"  # took the key over (the sequence goes on), never waiting
    follower.send("next\n")
    assert follower.expect("kept") == "kept 1 1"  # never written while pinned
    assert follower.expect("frame").split()[1:] == ["201", "199", "1"]  # the newest; 199 missed
    assert follower.finish() == 0
    assert more.finish() == 0
    assert objects_of(key) == []


def test_killed_senders_leave_their_last_image_whole(c_build, key):
    """A sender whose image changes size every share (so its slots keep getting new data segments) killed at
    a random instant, thirty times: the key is readable after every kill, never torn, and the next sender
    takes it over with the sequence going on."""
    rng = random.Random()
    for _ in range(30):
        sender = subprocess.Popen([c_build.program("tool"), "stream", key, "RGB", "400", "300", "1000000000",
                                   "--vary"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            time.sleep(rng.uniform(0.001, 0.08))  # the kill's random instant, not a wait for anything
        finally:
            sender.kill()
            sender.communicate(timeout=20)
        result = run_c(c_build.program("tool"), "check", key)
        if result.returncode == 3:  # killed before its first image: nothing to read, and nothing is wrong
            continue
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[-1] == "1", result.stdout  # not torn
    close_key(c_build, key)
    assert objects_of(key) == []


def test_a_sender_killed_before_any_system_v_call_is_taken_over(c_build, key, tmp_path):
    """strace kills the sender just before each System V call of its life (claim, two shares, close), one
    call at a time: each time the next sender shares, and in the end a closing sender leaves nothing."""
    rows = tmp_path / "rows"
    rows.write_bytes(random_rows("RGB", 64, 48, seed=3))
    calls = "shmget,shmat,shmdt,shmctl,semget,semop,semtimedop,semctl"
    tool = c_build.program("tool")
    log = tmp_path / "calls"
    count = subprocess.run(["strace", "-o", str(log), "-e", f"trace={calls}", tool, "send", key, "RGB", "64", "48",
                            str(rows)], input="again\n", capture_output=True, text=True, timeout=60)
    assert count.returncode == 0, count.stderr
    total = sum(1 for line in log.read_text().splitlines() if line.split("(", 1)[0] in calls.split(","))
    assert total >= 20
    for n in range(1, total + 1):
        subprocess.run(["strace", "-f", "-o", "/dev/null", "-e", f"trace={calls}", "-e",
                        f"inject={calls}:signal=KILL:when={n}", tool, "send", key, "RGB", "64", "48", str(rows)],
                       input="again\n", capture_output=True, text=True, timeout=60)
        after = run_c(tool, "send", key, "RGB", "64", "48", rows, stdin=subprocess.DEVNULL)
        assert after.returncode == 0, f"killed before System V call {n}: {after.stderr}"
        assert after.stdout.startswith("shared ")
    assert objects_of(key) == []


def test_a_blank_control_segment_is_adopted_at_once_whoever_has_it_attached(c_build, key, tmp_path):
    """A sender killed between creating the control segment and writing it leaves it blank; a follower
    attached to it must not stop the next sender (protocol 2 refused "being set up by another process")."""
    memory = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=4096, init_character=b"\0")
    try:
        rows = tmp_path / "rows"
        rows.write_bytes(random_rows("L", 5, 5, seed=1))
        result = run_c(c_build.program("tool"), "send", key, "L", "5", "5", rows, "--timeout", "30",
                       stdin=subprocess.DEVNULL)
        assert result.returncode == 0 and result.stdout.startswith("shared 1"), result.stderr
        assert memory.read(8) == b"IMGSHARE"  # it adopted the very segment we hold (then removed it, closing)
    finally:
        memory.detach()
        remove_by_id([("shm", memory.id)])
    assert objects_of(key) == []


def test_a_sender_in_another_pid_namespace_is_alive_to_everyone(c_build, start_c, key, tmp_path):
    """Issue 18.17: a C sender in its own PID namespace (a container sharing the IPC namespace) is alive to
    readers and senders outside it: they see it served and refuse the key (7, naming the pid as seen from
    here), where protocol 2 judged it dead from /proc and took its key over."""
    if not shutil.which("unshare") or os.getuid() != 0:
        pytest.fail("this test needs root and unshare (scripts/bootstrap installs util-linux)")
    rows = tmp_path / "rows"
    rows.write_bytes(random_rows("RGB", 10, 10, seed=4))
    inside = start_c("unshare", "--pid", "--fork", "--mount-proc", c_build.program("tool"), "send", key, "RGB", "10",
                     "10", rows)
    assert inside.expect("shared") == "shared 1"
    described = run_c(c_build.program("tool"), "info", key)
    assert described.returncode == 0 and "alive=1" in described.stdout, described.stderr
    assert " pid=1 " in described.stdout  # the writer's pid in its own namespace, as the descriptor holds it
    refused = run_c(c_build.program("tool"), "send", key, "RGB", "10", "10", rows, stdin=subprocess.DEVNULL)
    assert refused.returncode == 7 and "is in use by pid" in refused.stderr, refused.stderr
    pid = int(refused.stderr.rsplit("pid ", 1)[1].split()[0])
    assert pid != 1 and Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1] == b"send"  # as seen from here
    assert inside.finish() == 0
    assert objects_of(key) == []


def test_a_sender_stopping_while_a_reader_is_between_pin_and_attach_is_nothing_shared(c_build, start_c, key, tmp_path):
    """A sender closing removes its data segments without waiting for pins (§13.1). A reader that pinned the
    published slot and has not attached its data segment yet (held there by strace, delaying that shmat)
    then finds the segment gone with the control segment: the sender stopped, "nothing shared" (3), not
    damage (§9.3 step 15)."""
    rows = tmp_path / "rows"
    rows.write_bytes(random_rows("RGB", 32, 8, seed=5))
    sender = start_c(c_build.program("tool"), "send", key, "RGB", "32", "8", rows)
    sender.expect("shared 1")
    out = tmp_path / "out"
    reader = subprocess.Popen(["strace", "-o", "/dev/null", "-e", "trace=shmat", "-e",
                               "inject=shmat:delay_enter=3000000:when=2",  # its 2nd shmat: the data segment
                               c_build.program("tool"), "receive", key, str(out)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: 1 in pins_of(key), what="the reader's pin")
        assert sender.finish() == 0  # removes everything while the reader waits in its shmat
        stdout, stderr = reader.communicate(timeout=60)
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.communicate()
    assert reader.returncode == 3, stderr
    assert "nothing is shared under the key" in stderr
    assert objects_of(key) == []


def test_readers_see_an_image_or_nothing_while_senders_come_and_go(c_build, start_c, key):
    """A reader reading as fast as it can while C senders start, share, stop and remove everything, over and
    over: every read ends in an image or "nothing shared", never in damage."""
    poller = start_c(c_build.program("tool"), "poll", key, "4")
    stops = 0
    while poller.process.poll() is None:
        run_c(c_build.program("tool"), "stream", key, "RGB", "64", "48", "2", stdin=subprocess.DEVNULL)
        stops += 1
    counts = dict(item.split(":") for item in poller.expect("statuses").split()[1:])
    assert stops >= 5 and int(counts["0"]) > 0
    assert {status: n for status, n in counts.items() if status not in ("0", "3") and n != "0"} == {}, poller.stderr()
    assert objects_of(key) == []


# ---- another user (a real process of user nobody) ----

@pytest.fixture
def as_nobody(c_build) -> Iterator:
    """run(*args) runs the C tool as user nobody (uid 65534), from a copy nobody may execute."""
    if os.getuid() != 0 or not shutil.which("setpriv"):
        pytest.fail("this test needs root and setpriv (scripts/bootstrap installs util-linux)")
    home = Path(tempfile.mkdtemp(prefix="imgshare-c-other-user-"))
    try:
        os.chmod(home, 0o755)
        shutil.copy(c_build.program("tool"), home / "tool")
        os.chmod(home / "tool", 0o755)
        (home / "rows").write_bytes(random_rows("RGB", 7, 5, seed=9))
        os.chmod(home / "rows", 0o644)

        def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
            return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(home / "tool"),
                                   *args], input=stdin, capture_output=True, text=True, cwd=home, timeout=60,
                                  env={"PATH": "/usr/bin:/bin"})
        yield run, home
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_another_users_persisted_share_is_refused_never_adopted(c_build, as_nobody, key):
    """Issue 18.1: nobody leaves a persisted share at the key; root's C sender refuses it (6), naming the
    owner, and writes nothing into it; root's C receiver refuses to read it too."""
    run, home = as_nobody
    theirs = run("send", key, "RGB", "7", "5", "rows", "--persist")
    assert theirs.returncode == 0, theirs.stderr
    before = sorted(objects_at_key(key))
    try:
        assert before, "nobody's share is not there"
        for args in (["send", key, "RGB", "7", "5", str(home / "rows")], ["receive", key, "/dev/null"], ["info", key]):
            result = run_c(c_build.program("tool"), *args, stdin=subprocess.DEVNULL)
            assert result.returncode == 6, (args, result.stderr)
            assert "belongs to user nobody (uid 65534)" in result.stderr
        assert sorted(objects_at_key(key)) == before  # nothing made, changed or removed
        mine = run("check", key)
        assert mine.returncode == 0 and mine.stdout.startswith("image 1 7x5"), mine.stderr  # still theirs, intact
    finally:
        remove_by_id(before)


def test_another_users_semaphore_set_alone_is_refused(c_build, as_nobody, key):
    """Issue 18.2: nobody makes only the key's semaphore set (and could hold its owner semaphore forever);
    root's C sender refuses at once (6) instead of adopting it and timing out, and leaves it as it was."""
    run, home = as_nobody
    made = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                           f"import ctypes; print(ctypes.CDLL(None).semget({sysv_key(key)}, 8, 0o1600))"],
                          capture_output=True, text=True, timeout=60)
    semid = int(made.stdout)
    assert semid >= 0, made.stderr
    try:
        result = run_c(c_build.program("tool"), "send", key, "RGB", "7", "5", str(home / "rows"),
                       stdin=subprocess.DEVNULL)
        assert result.returncode == 6 and "belongs to user nobody (uid 65534)" in result.stderr, result.stderr
        assert [kind for kind, _ in objects_at_key(key)] == ["sem"]  # theirs alone: nothing of root's made
    finally:
        remove_by_id([("sem", semid)])


def objects_at_key(key: str) -> list[tuple[str, int]]:
    """Every object of the key, whoever made it: those at its System V key (ipcs's view), and the data
    segments its control block names (docs/protocol.md §5: the slot table's ids)."""
    found = []
    for kind, path in (("shm", "/proc/sysvipc/shm"), ("sem", "/proc/sysvipc/sem")):
        with open(path) as f:
            names = f.readline().split()
            for line in f:
                row = dict(zip(names, line.split(), strict=False))
                if int(row["key"]) == sysv_key(key):
                    found.append((kind, int(row["shmid" if kind == "shm" else "semid"])))
    for kind, ident in list(found):
        if kind != "shm":
            continue
        memory = sysv_ipc.attach(ident, flags=sysv_ipc.SHM_RDONLY)
        try:
            block = memory.read(min(memory.size, 4096))
        finally:
            memory.detach()
        for slot in range(8):
            entry = block[128 + 16 * slot:144 + 16 * slot]
            if len(entry) == 16 and int.from_bytes(entry[:8], "little"):
                found.append(("shm", int.from_bytes(entry[8:12], "little")))
    return found


def remove_by_id(objects: list[tuple[str, int]]) -> None:
    for kind, ident in objects:
        try:
            if kind == "shm":
                sysv_ipc.remove_shared_memory(ident)
            else:
                sysv_ipc.remove_semaphore(ident)
        except sysv_ipc.ExistentialError:
            pass
