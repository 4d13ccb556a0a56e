"""Fresh random keys for tests, and removal by id of every IPC object made under them.

A test asks for keys from KeyFactory; afterwards remove_objects_at() removes whatever segment or
semaphore exists at those keys' System V integers. The keys are random, so anything found there was
made by the test. Nothing else is ever removed.
"""

from __future__ import annotations

import secrets

import sysv_ipc

from imgshare.ipc.keys import borrow_sysv_key, sysv_key, wake_sysv_key


def fresh_key(prefix: str = "test") -> str:
    return f"{prefix}-{secrets.token_hex(8)}"


def objects_at(sysv: int) -> list[tuple[str, int]]:
    """('shm' | 'sem', id) of the objects at a System V key, read from /proc/sysvipc."""
    found = []
    for kind, path in (("shm", "/proc/sysvipc/shm"), ("sem", "/proc/sysvipc/sem")):
        with open(path) as f:
            names = f.readline().split()
            for line in f:
                row = dict(zip(names, line.split(), strict=False))
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
        return [(key, kind, ident) for key in self.keys for sysv in all_sysv_keys(key)
                for kind, ident in objects_at(sysv)]

    def cleanup(self) -> list[tuple[str, str, int]]:
        return [(key, kind, ident) for key in self.keys for sysv in all_sysv_keys(key)
                for kind, ident in remove_objects_at(sysv)]


def all_sysv_keys(key: str) -> tuple[int, int, int]:
    """The System V keys of every object imgshare makes for a key: segment + lock, borrow count,
    new-image signal."""
    return sysv_key(key), borrow_sysv_key(key), wake_sysv_key(key)


def objects_of(key: str) -> list[tuple[str, int]]:
    """Every IPC object imgshare made for key, as ('shm' | 'sem', id)."""
    return [obj for sysv in all_sysv_keys(key) for obj in objects_at(sysv)]
