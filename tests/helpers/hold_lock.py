"""Hold a key's owner semaphore (semaphore 0 of the set at its System V key) as another process that
is not a sender would, until killed: `python hold_lock.py SYSV_KEY [--create N]`.

Prints "held" once it holds it (taken as protocol 3 takes it: wait for 0, then +1 with SEM_UNDO, so
the kernel gives it back when this process is killed). With --create N it first creates a set of N
semaphores at the key, as another program might.
"""

import sys
import time

from imgshare.ipc.sysv import libc

sysv = int(sys.argv[1])
if "--create" in sys.argv:
    count = int(sys.argv[sys.argv.index("--create") + 1])
    semid = libc.semget(sysv, count, libc.IPC_CREAT | libc.IPC_EXCL | 0o600)
else:
    semid = libc.semget(sysv, 0, 0)
result = libc.semop(semid, [(0, 0, 0), (0, 1, libc.SEM_UNDO)], 30.0)
if result:
    print(f"failed {result}", flush=True)
    sys.exit(1)
print("held", flush=True)
while True:
    time.sleep(60)
