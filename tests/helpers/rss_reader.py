"""Read a key once in a fresh process and report how much memory it mapped: `rss_reader.py KEY`.

Prints one JSON line: {"before": kB, "after": kB, "shape": [h, w]} (VmRSS from /proc/self/status).
"""

import json
import sys

import numpy  # noqa: F401  (loaded before measuring: it is not the reader's memory)

from imgshare.ipc import Receiver


def rss() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


with Receiver(sys.argv[1]) as receiver:
    receiver.info()  # the control segment and the set attached, the code loaded
    before = rss()
    array, _ = receiver.receive_array()
    print(json.dumps({"before": before, "after": rss(), "shape": list(array.shape)}), flush=True)
