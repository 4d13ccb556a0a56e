"""A numpy / OpenCV peer in a process of its own, for tests that cross processes.

    array_peer.py send KEY CASE [--channels BGR] [--opencv]   share CASE's array, print "shared", serve
                                                                until stdin closes
    array_peer.py receive KEY [--channels BGR] [--borrow]     print the received array's fingerprint

CASE names one of tests/arrays.py's arrays; --opencv makes it with OpenCV calls (BGR order).
"""

import sys

from imgshare.ipc import Receiver, Sender
from tests.arrays import fingerprint, make_array, opencv_picture


def main() -> None:
    verb, key, *rest = sys.argv[1:]
    channels = rest[rest.index("--channels") + 1] if "--channels" in rest else None
    if verb == "send":
        array = opencv_picture(rest[0]) if "--opencv" in rest else make_array(rest[0])
        with Sender(key) as sender:
            sender.share(array, channels=channels)
            print("shared", flush=True)
            sys.stdin.read()
    else:
        with Receiver(key) as receiver:
            array, info = receiver.receive_array(timeout=10, wait=10, channels=channels,
                                                 borrow="--borrow" in rest)
            print(fingerprint(array), info.mode, int(info.bgr), flush=True)


main()
