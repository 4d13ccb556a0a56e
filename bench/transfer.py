"""One-way transfer time, sender's decoded Image -> receiver's Image in another process.

For each size it prints, measured in the same run: a plain memory copy of the same bytes, the Qt
demo's path (PNG encode, copy, PNG decode), and imgshare with the receiver taking an owned copy or
borrowing a zero-copy view, each with checksums (the sender hashes what it writes, the receiver what it
hands over) and without (the sender computes none, so there is nothing to verify). Ratios are to the
memory copy. Issue 18's targets, for 3840x2160 RGBA: owned copy verified <= 3x, borrowed view without
checksums <= 1.2x (the sender's Image reaches the slot in one copy).

    .venv/bin/python bench/transfer.py [--repeat N] [--sizes 1920x1080:RGB,3840x2160:RGBA]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from imgshare.ipc import Sender  # noqa: E402
from tests.ipc_cleanup import fresh_key, remove_made_up_key  # noqa: E402

SIZES = "1920x1080:RGB,3840x2160:RGBA,7680x4320:RGBA"

# The receiving side, run as a separate process: one line in ("borrow verify"), one timestamp out.
CHILD = r"""
import sys, time
from imgshare.ipc import Receiver
receiver = Receiver(sys.argv[1])
for line in sys.stdin:
    borrow, verify = (w == "1" for w in line.split())
    image, info = receiver.receive(borrow=borrow, verify=verify)
    image.load()
    done = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    del image
    print(done, flush=True)
"""


def now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def time_copy(data: bytes, repeat: int) -> float:
    target = bytearray(len(data))
    view = memoryview(target)
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        view[:] = data
        samples.append(time.perf_counter() - start)
    return median_ms(samples)


def time_qt_path(image: Image.Image, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        encoded = io.BytesIO()
        image.save(encoded, "PNG")  # Qt's demo: QImage -> PNG in a QBuffer
        copied = bytearray(encoded.getbuffer())  # into the segment
        Image.open(io.BytesIO(copied)).load()  # the receiver decodes
        samples.append(time.perf_counter() - start)
    return median_ms(samples)


def time_imgshare(image: Image.Image, repeat: int, borrow: bool, verify: bool) -> float:
    key = fresh_key("bench")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    child = subprocess.Popen([sys.executable, "-c", CHILD, key], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True, env=env)
    samples = []
    try:
        with Sender(key, checksum=verify) as sender:
            for i in range(repeat + 4):  # the first shares create and fault in the three slots
                start = now_ns()
                sender.share(image)
                child.stdin.write(f"{int(borrow)} {int(verify)}\n")
                child.stdin.flush()
                done = int(child.stdout.readline())
                if i >= 4:
                    samples.append((done - start) / 1e9)
    finally:
        child.stdin.close()
        child.wait(30)
        remove_made_up_key(key)
    return median_ms(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--qt-repeat", type=int, default=3)
    parser.add_argument("--sizes", default=SIZES)
    args = parser.parse_args()
    print(f"median of {args.repeat} (Qt path: {args.qt_repeat}); ratio = time / memory copy; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'image':<18}{'path':<34}{'ms':>9}{'ratio':>9}")
    for spec in args.sizes.split(","):
        dims, mode = spec.split(":")
        width, height = map(int, dims.split("x"))
        image = Image.frombytes(mode, (width, height), os.urandom(width * height * len(mode)))
        # Random pixels defeat PNG; a photo compresses better. Use a smooth gradient for the Qt path.
        photo_like = Image.linear_gradient("L").resize((width, height)).convert(mode)
        data = image.tobytes()
        copy_ms = time_copy(data, args.repeat)
        rows = [("memory copy (reference)", copy_ms)]
        for borrow in (False, True):
            for verify in (True, False):
                label = f"imgshare {'borrowed view' if borrow else 'owned copy'}" \
                        f"{', verified' if verify else ', no checksums'}"
                rows.append((label, time_imgshare(image, args.repeat, borrow, verify)))
        rows.append(("Qt demo path (PNG enc+copy+dec)", time_qt_path(photo_like, args.qt_repeat)))
        for label, ms in rows:
            print(f"{spec:<18}{label:<34}{ms:>9.2f}{ms / copy_ms:>8.1f}x")
        print()


if __name__ == "__main__":
    main()
