"""Qt mode beside imgshare's own raw format at 3840x2160: time to share, and to receive in another process.

Qt mode writes what `QDataStream << QImage` writes (marker + PNG), so a share costs a PNG encode and a
receive a PNG decode; the raw format copies pixels. Both run in the same process and run, on the same
photo-like image (gradients plus noise: PNG cost depends on content; pure noise is the worst case).

    .venv/bin/python bench/qt_mode.py [--repeat N] [--size 3840x2160] [--mode RGBA] [--levels 1,6]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from imgshare.ipc import ImageSender, Sender  # noqa: E402
from imgshare.ipc.qt import QtSender  # noqa: E402
from tests.ipc_cleanup import fresh_key, remove_made_up_key  # noqa: E402

# The receiving process: reads "qt KEY" or "raw KEY" lines, prints the receive time in ns.
CHILD = r"""
import sys, time
from imgshare.ipc import Receiver
from imgshare.ipc.qt import QtReceiver
for line in sys.stdin:
    kind, key = line.split()
    start = time.perf_counter_ns()
    if kind == "qt":
        image, info = QtReceiver(key).receive()
    else:
        with Receiver(key) as receiver:
            image, info = receiver.receive()
    image.load()
    print(time.perf_counter_ns() - start, flush=True)
"""


def photo_like(size: tuple[int, int], mode: str) -> Image.Image:
    red = Image.linear_gradient("L").resize(size)
    green = Image.linear_gradient("L").rotate(90).resize(size)
    blue = Image.effect_noise(size, 40)
    alpha = Image.radial_gradient("L").resize(size)
    bands = [red, green, blue] + ([alpha] if mode == "RGBA" else [])
    return Image.merge(mode, bands)


class Child:
    def __init__(self, env: dict[str, str]):
        self.proc = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout

    def receive(self, kind: str, key: str) -> float:
        self.stdin.write(f"{kind} {key}\n")
        self.stdin.flush()
        return int(self.stdout.readline()) / 1e9

    def close(self) -> None:
        self.stdin.close()
        self.proc.wait()


def run(sender: ImageSender, kind: str, key: str, image: Image.Image, child: Child,
        repeat: int) -> tuple[float, float]:
    shares, receives = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        sender.share(image)
        shares.append(time.perf_counter() - start)
        receives.append(child.receive(kind, key))
    return statistics.median(shares), statistics.median(receives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--size", default="3840x2160")
    parser.add_argument("--mode", default="RGBA", choices=("RGB", "RGBA"))
    parser.add_argument("--levels", default="1,6", help="zlib levels for Qt mode (imgshare uses 1)")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    size = (width, height)
    image = photo_like(size, args.mode)
    image.load()
    folder = tempfile.mkdtemp(prefix="qtbench-")  # Qt's key files go here, not into /tmp
    env = dict(os.environ, TMPDIR=folder, PYTHONPATH=str(ROOT))
    os.environ["TMPDIR"] = folder
    child = Child(env)
    raw_key = fresh_key("bench")
    rows = []
    try:
        with Sender(raw_key) as sender:
            rows.append(("raw (imgshare format)", *run(sender, "raw", raw_key, image, child, args.repeat), 0))
        for level in (int(v) for v in args.levels.split(",")):
            qt_key = fresh_key("benchqt")
            with QtSender(qt_key, compress_level=level) as sender:
                share, receive = run(sender, "qt", qt_key, image, child, args.repeat)
                size_bytes = sender.stream_length
            rows.append((f"Qt mode, PNG level {level}", share, receive, size_bytes))
    finally:
        child.close()
        remove_made_up_key(raw_key)
        shutil.rmtree(folder, ignore_errors=True)
    raw_share, raw_receive = rows[0][1], rows[0][2]
    print(f"{size[0]}x{size[1]} {args.mode}, median of {args.repeat}, receive in another process")
    print(f"{'path':<24}{'share ms':>10}{'receive ms':>12}{'total ms':>10}{'x raw':>8}{'stream MB':>11}")
    for name, share, receive, size_bytes in rows:
        ratio = (share + receive) / (raw_share + raw_receive)
        stream = f"{size_bytes / 1e6:.1f}" if size_bytes else "-"
        print(f"{name:<24}{share * 1e3:>10.1f}{receive * 1e3:>12.1f}{(share + receive) * 1e3:>10.1f}"
              f"{ratio:>8.1f}{stream:>11}")


if __name__ == "__main__":
    main()
