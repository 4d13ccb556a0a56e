"""Fresh random keys for tests, and removal by id of every IPC object made under them.

A test asks for keys from KeyFactory; afterwards remove_objects_at() removes whatever segment or
semaphore exists at those keys' System V integers. The keys are random, so anything found there was
made by the test. Nothing else is ever removed.
"""

from __future__ import annotations

import secrets

import sysv_ipc

from app.ipc.keys import sysv_key


def fresh_key(prefix: str = "test") -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def objects_at(sysv: int) -> list[tuple[str, int]]:
    """('shm' | 'sem', id) of the objects at a System V key, read from /proc/sysvipc."""
    found = []
    for kind, path in (("shm", "/proc/sysvipc/shm"), ("sem", "/proc/sysvipc/sem")):
        with open(path) as f:
            names = f.readline().split()
            for line in f:
                row = dict(zip(names, line.split()))
                if int(row["key"]) == sysv:
                    found.append((kind, int(row["shmid" if kind == "shm" else "semid"])))
    return found


def remove_objects_at(sysv: int) -> list[tuple[str, int]]:
    """Remove, by id, the segment and semaphore at sysv; returns what was removed."""
    removed = objects_at(sysv)
    for kind, ident in removed:
        try:
            if kind == "shm":
                sysv_ipc.remove_shared_memory(ident)
            else:
                sysv_ipc.remove_semaphore(ident)
        except sysv_ipc.ExistentialError:
            pass
    return removed


class KeyFactory:
    """Hands out fresh keys and remembers them for cleanup."""

    def __init__(self):
        self.keys: list[str] = []

    def __call__(self, prefix: str = "test") -> str:
        key = fresh_key(prefix)
        self.keys.append(key)
        return key

    def leftovers(self) -> list[tuple[str, str, int]]:
        return [(key, kind, ident) for key in self.keys for kind, ident in objects_at(sysv_key(key))]

    def cleanup(self) -> list[tuple[str, str, int]]:
        return [(key, kind, ident) for key in self.keys for kind, ident in remove_objects_at(sysv_key(key))]
