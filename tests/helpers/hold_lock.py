"""Hold a key's semaphore (as another process would) until killed: `python hold_lock.py SYSV_KEY`.

Prints "held" once it holds it. With --create it creates the semaphore (value 1) first, as a foreign
program might.
"""

import sys
import time

import sysv_ipc

sysv = int(sys.argv[1])
if "--create" in sys.argv:
    sem = sysv_ipc.Semaphore(sysv, sysv_ipc.IPC_CREX, mode=0o600, initial_value=1)
else:
    sem = sysv_ipc.Semaphore(sysv, 0)
sem.undo = True
sem.acquire()
print("held", flush=True)
while True:
    time.sleep(60)
