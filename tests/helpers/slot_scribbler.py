"""Write random bytes into a key's published data segment, over and over, until killed: a hostile peer
of the same user (`slot_scribbler.py KEY`). Prints "scribbling" once it has started."""

import sys

import numpy as np
import sysv_ipc

from imgshare.ipc import sysv_key
from imgshare.ipc.layout import control as ctl
from imgshare.ipc.layout import descriptor as dsc
from imgshare.ipc.sysv import libc, semset

key = sys.argv[1]
sysv = sysv_key(key)
control = sysv_ipc.SharedMemory(sysv, 0)
raw = control.read(ctl.CONTROL_SIZE)
semid = semset.find(sysv)
assert semid is not None
values = libc.sem_all(semid)
slot = next(i for i in range(3) if values[2 + i])
entry = ctl.slot_entry(slot)
shmid = int.from_bytes(raw[entry + 8:entry + 12], "little")
data = sysv_ipc.attach(shmid)
view = np.frombuffer(memoryview(data), dtype=np.uint8)
rng = np.random.default_rng(1)
print("scribbling", flush=True)
while True:
    start = int(rng.integers(dsc.DESCRIPTOR_SIZE, view.size - 4096))
    view[start:start + 4096] = rng.integers(0, 256, 4096, dtype=np.uint8)
