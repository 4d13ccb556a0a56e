"""Follow a key for SECONDS and print "<cpu seconds> <frames>": `follow_idle.py KEY SECONDS`."""

import sys
import threading
import time

from imgshare.following import FollowKind, follow
from imgshare.ipc import Receiver

key, seconds = sys.argv[1], float(sys.argv[2])
stop = threading.Event()
frames = 0
with Receiver(key) as receiver:
    stream = follow(receiver, stop)
    next(stream)  # the current image
    frames = 1
    started = time.process_time()
    threading.Timer(seconds, stop.set).start()
    for event in stream:
        frames += event.kind is FollowKind.FRAME
print(f"{time.process_time() - started:.4f} {frames}")
