"""Share images in a loop until standard input closes: `share_loop.py KEY NAME`.

Each image carries the tag {"who": NAME}; prints "shared" after the first, "refused EXIT" if the key
could not be had. Used to run a sender in another PID namespace (`unshare --pid --fork`).
"""

import sys
import threading

import numpy as np

from imgshare.exit_codes import exit_code_for
from imgshare.ipc import ImgShareError, Sender

key, name = sys.argv[1], sys.argv[2]
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
sender = Sender(key, lock_timeout=2)
try:
    sender.share(np.full((40, 60), 1, np.uint8), tags={"who": name})
except ImgShareError as exc:
    print(f"refused {exit_code_for(exc)} {exc}", flush=True)
    sys.exit(exit_code_for(exc))
print("shared", flush=True)
count = 1
while not stop.is_set():
    count += 1
    sender.share(np.full((40 + count % 7, 60), count % 256, np.uint8), tags={"who": name})
sender.close()
