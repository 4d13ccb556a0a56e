"""Receive in a loop for a while and report each image's pixel digest: `read_loop.py KEY SECONDS`.

Prints one JSON line at the end: {"reads": n, "digests": {digest: count}, "errors": {text: count}}.
"""

import hashlib
import json
import sys
import time

from app.ipc import ImgShareError, Receiver

key, seconds = sys.argv[1], float(sys.argv[2])
digests: dict[str, int] = {}
errors: dict[str, int] = {}
reads = 0
deadline = time.monotonic() + seconds
with Receiver(key) as receiver:
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
