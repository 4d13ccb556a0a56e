"""A sender's whole life, for tests that kill it before each System V call: `sender_life.py KEY`.

Claims the key, shares images of three sizes (each needs new data segments), a frame(), then closes,
removing everything. Exit 0 when all of it went through.
"""

import sys

import numpy as np
from PIL import Image

from imgshare.ipc import Sender

key = sys.argv[1]
print("pid", __import__("os").getpid(), flush=True)
with Sender(key, lock_timeout=5) as sender:
    sender.share(Image.new("RGB", (64, 48), (1, 2, 3)))
    sender.share(Image.new("RGBA", (640, 480), (4, 5, 6, 7)))
    sender.share(np.full((300, 200), 9, np.uint8))
    with sender.frame(64, 48, "RGB") as pixels:
        pixels[:] = 8
