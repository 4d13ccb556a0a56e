"""Which System V objects the test session made, and removal by id of those only.

Random keys alone prove nothing: Qt's ftok keys keep only part of an inode, and another program of
the same user may use any key. So the session records its processes (SESSION): the pytest process,
every child started with subprocess.Popen or os.fork, and their descendants (read from
/proc/PID/task/*/children every few milliseconds and before every look). An object is the session's
when it was not there when the session started and its creator is one of those processes: a
segment's creator pid (cpid); a semaphore has none, so its last user (sempid) when it is first seen
(every few milliseconds, and before every look) stands in: the creating SETVAL sets it, and a later
user (a test listing another program's share) does not change what was noted. A pin set nobody has
used names no process; it is the session's at the pin key of a key the session made up. pids are reused
(pid_max is often 32768), so each pid is recorded with its start time, and a pid now running with
another start time is someone else's. Tests look at, and remove, only such objects, by id.
"""

from __future__ import annotations

import ctypes
import os
import secrets
import subprocess
import threading
from typing import Any, NamedTuple

import sysv_ipc

from imgshare.ipc.layout import control as ctl
from imgshare.ipc.layout.keys import sysv_key
from imgshare.ipc.sysv.procfs import shm_rows

_GETPID = 11  # semctl command: the pid of the last operation on a semaphore (linux/sem.h)
_SCAN_PERIOD = 0.005


class IpcObject(NamedTuple):
    kind: str  # "shm" | "sem"
    id: int
    key: int
    creator: int  # shm: cpid; sem: sempid when first seen (see first_seen_sempid)


_LIBC = ctypes.CDLL(None, use_errno=True)


def _semaphore_last_pid(semid: int) -> int:
    value = _LIBC.semctl(ctypes.c_int(semid), ctypes.c_int(0), ctypes.c_int(_GETPID))
    return int(value) if value >= 0 else 0  # gone meanwhile


_FIRST_SEEN: dict[tuple[int, int], int] = {}  # (semid, key) -> sempid when first seen: its creator
_FIRST_SEEN_LOCK = threading.Lock()
# A key's semaphore set (docs/protocol.md §6) is created with every value 0 and no operation; its
# sempid stays 0 until its creator takes the owner semaphore (a sender killed in between never does):
# no process is named. Such a set counts as the session's when it sits at the System V key of a key
# this session made up (fresh_key: 64 random bits).
_SESSION_KEYS: set[int] = set()


def _first_user(semid: int, key: int) -> int:
    pid = _semaphore_last_pid(semid)
    if pid == 0 and key in _SESSION_KEYS:
        return SESSION.root  # the session's own, never-operated set
    return pid


def all_objects() -> list[IpcObject]:
    """Every segment and semaphore on the machine (as /proc/sysvipc shows them)."""
    found = [IpcObject("shm", row["shmid"], row["key"], row.get("cpid", 0)) for row in shm_rows()]
    with open("/proc/sysvipc/sem") as f:
        names = f.readline().split()
        rows = [dict(zip(names, line.split(), strict=False)) for line in f]
    with _FIRST_SEEN_LOCK:
        for row in rows:
            semid, key = int(row["semid"]), int(row["key"])
            if (semid, key) not in _FIRST_SEEN:
                _FIRST_SEEN[(semid, key)] = _first_user(semid, key)
            found.append(IpcObject("sem", semid, key, _FIRST_SEEN[(semid, key)]))
    return found


class SessionProcesses:
    """The pids of this test session's processes, recorded as they start (see the module docstring)."""

    def __init__(self) -> None:
        self.root = os.getpid()
        self.pids: dict[int, int] = {self.root: _start_time(self.root)}  # pid -> start time (0: unknown)
        self.excluded: set[int] = set()  # the neighbour's processes: another program's, not ours
        self.tests: dict[int, str] = {}  # pid -> the test running when it was first seen (for leak reports)
        # (IPC namespace, kind, id) of the objects there before the session: ids are per namespace, and a
        # test's private namespace (tests/namespaces.py) numbers its objects from the start again, so on a
        # freshly booted machine its first objects have the very ids of the machine's first ones
        self.before: set[tuple[int, str, int]] = set()
        # Verdicts reached while an object's creator still ran, by (namespace, object): pids come round
        # again (pid_max is 32768 here; a build runs thousands of compilers), so a creator gone by the
        # leak check may have been another program's process that drew a pid the session once recorded.
        self._verdicts: dict[tuple[int, IpcObject], bool] = {}
        self._lock = threading.Lock()
        self._scan_lock = threading.Lock()  # one scan at a time (the pipe's reads stay whole)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._fork_read = -1

    def start(self) -> None:
        """Snapshot the objects already there, then record every process the session starts."""
        namespace = ipc_namespace()
        self.before = {(namespace, o.kind, o.id) for o in all_objects()}
        original_init = subprocess.Popen.__init__
        session = self

        def recording_init(popen: subprocess.Popen[Any], *args: Any, **kwargs: Any) -> None:
            original_init(popen, *args, **kwargs)
            session.add(popen.pid)
        subprocess.Popen.__init__ = recording_init  # type: ignore[method-assign,assignment]  # the recorder wraps it
        read, write = os.pipe()
        self._fork_read = read
        # A forked child names itself through the pipe at once, before it can make anything.
        os.register_at_fork(after_in_child=lambda: os.write(write, os.getpid().to_bytes(4, "little")))
        os.set_blocking(read, False)
        self._thread = threading.Thread(target=self._run, name="session-processes", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def add(self, pid: int) -> None:
        started = _start_time(pid)
        with self._lock:
            if pid not in self.excluded and self.pids.get(pid) != started:
                self.pids[pid] = started
                self.tests[pid] = os.environ.get("PYTEST_CURRENT_TEST", "(between tests)")

    def exclude(self, pid: int) -> None:
        with self._lock:
            self.excluded.add(pid)
            self.pids.pop(pid, None)

    def scan(self) -> None:
        """Record the descendants alive now (and forks announced since the last scan)."""
        with self._scan_lock:
            self._scan()

    def _scan(self) -> None:
        if self._fork_read >= 0:
            try:
                data = os.read(self._fork_read, 4096)
            except BlockingIOError:
                data = b""
            for i in range(0, len(data) - 3, 4):
                self.add(int.from_bytes(data[i:i + 4], "little"))
        frontier = [self.root]
        while frontier:
            pid = frontier.pop()
            for child in _children(pid):
                if child in self.excluded:
                    continue
                self.add(child)
                frontier.append(child)

    def owns(self, obj: IpcObject) -> bool:
        namespace = ipc_namespace()
        verdict = self._verdicts.get((namespace, obj))
        if verdict is not None:
            return verdict
        if (namespace, obj.kind, obj.id) in self.before or obj.creator not in self.pids:
            return False
        recorded, now = self.pids[obj.creator], _start_time(obj.creator)
        if not now:
            return True  # its creator is gone: ours unless seen otherwise while it ran (the scans below)
        if recorded and now != recorded:
            self.scan()  # the pid names another process now: one of ours the scans have not met yet?
            recorded = self.pids[obj.creator]
        mine = not recorded or now == recorded  # else the pid now names another program's process
        self._verdicts[(namespace, obj)] = mine
        return mine

    def _run(self) -> None:
        while not self._stop.wait(_SCAN_PERIOD):
            self.scan()
            for obj in all_objects():  # notes each new semaphore's first user while it is still its creator
                self.owns(obj)  # and judges each new object while its creator runs


def ipc_namespace() -> int:
    """The IPC namespace of the calling thread (its inode number): /proc/sysvipc lists this one's objects."""
    return os.stat("/proc/thread-self/ns/ipc").st_ino


def _start_time(pid: int) -> int:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(p) for p in f.read().split())
        except OSError:
            pass
    return found


SESSION = SessionProcesses()


def leak_report(objects: list[IpcObject]) -> list[str]:
    """Each leaked object with what tells its story: the test that started its creator, whether the
    creator still runs, and (a segment) its attachments and whether it is already marked for removal."""
    rows = {row["shmid"]: row for row in shm_rows()}
    report = []
    for o in objects:
        line = f"{o.kind} {o.id} key {o.key:#x} made by pid {o.creator} ({SESSION.tests.get(o.creator, '?')}"
        line += ", still running)" if _start_time(o.creator) else ", gone)"
        row = rows.get(o.id) if o.kind == "shm" else None
        if row is not None:
            removing = row.get("perms", 0) & 0o1000  # SHM_DEST: removed, but still attached
            line += f" attached {row.get('nattch', 0)} times" + (", marked for removal" if removing else "")
        report.append(line)
    return report


def own_objects() -> list[IpcObject]:
    """The objects this session's processes made that still exist."""
    SESSION.scan()
    return [o for o in all_objects() if SESSION.owns(o)]


def fresh_key(prefix: str = "test") -> str:
    return register_key(f"{prefix}-{secrets.token_hex(8)}")


def register_key(key: str) -> str:
    """Record a key this session made up (with random digits of its own) as the session's."""
    _SESSION_KEYS.add(sysv_key(key))
    return key


def named_data_segments(sysv: int) -> set[int]:
    """Ids of the data segments the control segment at sysv names (slot table and pending), if any."""
    row = next((r for r in shm_rows() if r.get("key") == sysv), None)
    if row is None:
        return set()
    try:
        shm = sysv_ipc.attach(row["shmid"], address=None, flags=sysv_ipc.SHM_RDONLY)
    except (sysv_ipc.Error, ValueError):
        return set()
    try:
        raw = shm.read(min(shm.size, ctl.CONTROL_SIZE))
    finally:
        shm.detach()
    if len(raw) < ctl.CONTROL_SIZE or raw[:8] != ctl.MAGIC:
        return set()
    ids = set()
    for index in range(8):
        entry = ctl.slot_entry(index)
        if int.from_bytes(raw[entry:entry + 8], "little"):
            ids.add(int.from_bytes(raw[entry + 8:entry + 12], "little"))
    pending = int.from_bytes(raw[ctl.PENDING:ctl.PENDING + 8], "little")
    if pending >> 32 == 2:
        ids.add(pending & 0xFFFFFFFF)
    return ids


def _at(sysv: int) -> list[IpcObject]:
    data = named_data_segments(sysv)
    return [o for o in own_objects() if o.key == sysv or (o.kind == "shm" and o.key == 0 and o.id in data)]


def objects_at(sysv: int) -> list[tuple[str, int]]:
    """('shm' | 'sem', id) of the session's own objects of the share at sysv: its control segment and
    semaphore set, and the data segments its control block names."""
    return [(o.kind, o.id) for o in _at(sysv)]


def remove(objects: list[IpcObject]) -> list[tuple[str, int]]:
    """Remove these objects by id (each checked again to be the session's); returns what went."""
    return [(obj.kind, obj.id) for obj in objects if SESSION.owns(obj) and _removed(obj)]


def _removed(obj: IpcObject) -> bool:
    try:
        if obj.kind == "shm":
            sysv_ipc.remove_shared_memory(obj.id)
        else:
            sysv_ipc.remove_semaphore(obj.id)
    except sysv_ipc.ExistentialError:
        return False
    return True


def remove_objects_at(sysv: int) -> list[tuple[str, int]]:
    """Remove, by id, the session's own objects of the share at sysv (objects_at); returns what went."""
    return remove(_at(sysv))


def remove_made_up_key(key: str) -> list[tuple[str, int]]:
    """For programs without the test session's process records (bench/): remove, by id, the objects of the
    share at a key this program made up with fresh_key (its random digits: nothing else is there), the
    data segments its control block names included; returns what went."""
    if sysv_key(key) not in _SESSION_KEYS:
        raise ValueError(f"{key!r} was not made up here (fresh_key): its objects may be another program's")
    removed = []
    for sysv in all_sysv_keys(key):
        data = named_data_segments(sysv)
        removed += [(o.kind, o.id) for o in all_objects()
                    if (o.key == sysv or (o.kind == "shm" and o.key == 0 and o.id in data)) and _removed(o)]
    return removed


class KeyFactory:
    """Hands out fresh keys and remembers them for cleanup."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def __call__(self, prefix: str = "test") -> str:
        key = fresh_key(prefix)
        self.keys.append(key)
        return key

    def cleanup(self) -> list[tuple[str, str, int]]:
        return [(key, kind, ident) for key in self.keys for sysv in all_sysv_keys(key)
                for kind, ident in remove_objects_at(sysv)]


def all_sysv_keys(key: str) -> tuple[int, ...]:
    """The System V keys of the objects imgshare makes for a key: protocol 3 has one (its data
    segments are private, found through the control segment)."""
    return (sysv_key(key),)


def objects_of(key: str) -> list[tuple[str, int]]:
    """Every IPC object the session's processes made for key, as ('shm' | 'sem', id)."""
    return objects_at(sysv_key(key))


def count_kinds(key: str) -> dict[str, int]:
    """How many segments and semaphore sets the session made for key: {"shm": n, "sem": m}."""
    found = objects_of(key)
    return {kind: sum(1 for k, _ in found if k == kind) for kind in ("shm", "sem")}
