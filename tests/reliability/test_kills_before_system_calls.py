"""Kills before each System V call of a sender's life (strace's fault injection): the next sender shares
every time, and cleaning the key leaves nothing behind (issue 18, points 4 and 5, and its target).

Protocol 2 could not: a kill between creating the lock and its first release bricked the key (every verb
timed out; `clean` did nothing), and after kills before other calls `clean` and `remove --force` left
semaphores behind. In protocol 3 a new semaphore set is usable at once (free state 0), every data
segment is named (slot table or pending) before it can be lost, and the owner semaphore carries SEM_UNDO.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from imgshare.ipc import Receiver, Sender, clean
from tests.conftest import ROOT
from tests.images import make_image
from tests.ipc_cleanup import objects_of
from tests.test_lifecycle import HELPERS

pytestmark = pytest.mark.slow

CALLS = ("shmget", "shmat", "shmdt", "shmctl", "semget", "semctl", "semop", "semtimedop")
_LINE = re.compile(r"^\d+\s+(\w+)\(")


def strace(*args: str) -> list[str]:
    exe = shutil.which("strace")
    if exe is None:
        pytest.fail("this test needs strace (scripts/bootstrap installs it)")
    return [exe, "-f", "-qq", *args]


def life(key: str, *inject: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([*strace(*inject), sys.executable, str(HELPERS / "sender_life.py"), key],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def calls_of_a_life(key: str, tmp_path) -> collections.Counter[str]:
    """How many times a sender's life makes each System V call (traced once, not killed)."""
    log = tmp_path / "calls.log"
    result = life(key, "-o", str(log), "-e", f"trace={','.join(CALLS)}")
    assert result.returncode == 0, result.stderr
    counted: collections.Counter[str] = collections.Counter()
    for line in log.read_text().splitlines():
        match = _LINE.match(line)
        if match and match.group(1) in CALLS:
            counted[match.group(1)] += 1
    return counted


def private_segments_of(pid: int) -> list[int]:
    with open("/proc/sysvipc/shm") as f:
        names = f.readline().split()
        rows = [dict(zip(names, line.split(), strict=False)) for line in f]
    return [int(r["shmid"]) for r in rows if int(r["key"]) == 0 and int(r["cpid"]) == pid]


def test_a_kill_before_each_system_v_call_of_a_sender_s_life(key, tmp_path):
    counted = calls_of_a_life(key, tmp_path)
    assert counted["semget"] and counted["shmget"] and counted["semtimedop"], counted
    killed, slowest = 0, 0.0
    for call, times in sorted(counted.items()):
        for when in range(1, times + 1):
            inject = f"inject={call}:signal=KILL:when={when}"
            victim = life(key, "-e", inject)
            if victim.returncode == 0:
                continue  # a call made only on some lives (a retry): not reached this time
            killed += 1
            # What the victim left is stale: cleaning the key leaves nothing, orphans included...
            clean(keys=[key])
            assert objects_of(key) == [], (call, when, objects_of(key))
            assert private_segments_of(_pid(victim)) == [], (call, when)
            # ...and without cleaning, the next sender (waiting at most 2 s for anything) takes it over
            # and, stopping, removes everything, the victim's leftovers included.
            victim = life(key, "-e", inject)
            started = time.monotonic()
            with Sender(key, lock_timeout=2) as successor:
                successor.share(make_image("L", (33, 21)))
                slowest = max(slowest, time.monotonic() - started)  # printed, never asserted
                assert Receiver(key).receive()[0].size == (33, 21), (call, when)
            assert objects_of(key) == [], (call, when, objects_of(key))
            assert private_segments_of(_pid(victim)) == [], (call, when)
    print(f"\n{killed} lives killed before a System V call ({dict(counted)}): each time the next sender "
          f"shared (the slowest in {slowest:.3f} s, load average {os.getloadavg()[0]:.1f}) and clean left nothing")
    assert killed >= sum(counted.values()) - 2


def test_a_kill_right_after_the_set_is_made_leaves_a_key_a_sender_takes_at_once(key):
    """Point 4 itself: killed after creating the semaphore set, before anything else. Protocol 2's lock
    was never released and every verb timed out; a protocol-3 set is free the moment it exists."""
    victim = life(key, "-e", "inject=semtimedop:signal=KILL:when=1")
    assert victim.returncode != 0
    assert [kind for kind, _ in objects_of(key)] == ["sem"]  # the set alone
    assert clean(keys=[key]) != []  # named explicitly, a free set of imgshare's size with nothing beside it
    assert objects_of(key) == []
    victim = life(key, "-e", "inject=semtimedop:signal=KILL:when=1")
    with Sender(key, lock_timeout=2) as sender:
        sender.share(make_image("RGB", (10, 10)))
    assert objects_of(key) == []


def _pid(result: subprocess.CompletedProcess) -> int:
    """The victim's pid, as sender_life.py printed it first thing."""
    match = re.search(r"^pid (\d+)$", result.stdout, re.M)
    assert match, result.stdout + result.stderr
    return int(match.group(1))
