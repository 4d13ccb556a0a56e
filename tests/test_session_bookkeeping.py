"""The suite's own bookkeeping (tests/ipc_cleanup.py): which IPC objects are the session's. The tests that
remove "only their own objects" and the leak check are only as good as this answer."""

from __future__ import annotations

import sysv_ipc

from imgshare.ipc import sysv_key
from tests.ipc_cleanup import SESSION, ipc_namespace, objects_of
from tests.namespaces import private_ipc_namespace


def test_an_object_in_a_private_namespace_is_ours_even_with_the_id_of_one_there_before_the_session(new_key):
    """A private namespace numbers its objects from the start again: on a freshly booted machine its first
    segment has the id of the machine's first one, which the session saw before it began (not its own)."""
    key = new_key()
    host = ipc_namespace()
    with private_ipc_namespace():
        assert ipc_namespace() != host
        segment = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=4096)
        try:
            collision = (host, "shm", segment.id)
            planted = collision not in SESSION.before
            SESSION.before.add(collision)  # as if the machine had held a segment of this id at the start
            try:
                assert objects_of(key) == [("shm", segment.id)]
            finally:
                if planted:
                    SESSION.before.discard(collision)
        finally:
            segment.detach()
            segment.remove()
