"""Receive in a loop and report each image's pixel digest: `read_loop.py KEY SECONDS`.

Prints "ready" after its first successful read, then reads for SECONDS more and prints one JSON line:
{"reads": n, "digests": {digest: count}, "errors": {text: count}}.
"""

import hashlib
import json
import sys
import time

from imgshare.ipc import ImgShareError, Receiver

key, seconds = sys.argv[1], float(sys.argv[2])
digests: dict[str, int] = {}
errors: dict[str, int] = {}
reads = 0
with Receiver(key) as receiver:
    receiver.receive(timeout=30.0, wait=30.0)
    print("ready", flush=True)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            image, info = receiver.receive(timeout=5.0)
        except ImgShareError as exc:
            errors[f"{type(exc).__name__}: {exc}"] = errors.get(f"{type(exc).__name__}: {exc}", 0) + 1
            continue
        digest = hashlib.sha1(image.mode.encode() + repr(image.size).encode() + image.tobytes()).hexdigest()
        digests[digest] = digests.get(digest, 0) + 1
        reads += 1
print(json.dumps({"reads": reads, "digests": digests, "errors": errors}), flush=True)
