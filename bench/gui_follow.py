"""Displayed frame rate of the GUI receiver in follow mode, beside the sender's rate.

    python bench/gui_follow.py [--seconds 5] [--size 1920x1080] [--rates 30,0]

A sender process shares RGBA frames at each rate (0: as fast as it can); this process builds the real
window (build_app, Follow on) and runs its Tk loop, counting the renders the Receiver tab puts on
screen (ImageView.rendered). Runs under a private Xvfb when there is no DISPLAY.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import tkinter as tk
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from imgshare.ipc import remove_share  # noqa: E402
from imgshare.views.window.app import build_app  # noqa: E402

SENDER = """
import os, sys, time
from PIL import Image
from imgshare.ipc import Sender
key, width, height, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
frames = [Image.frombytes("RGBA", (width, height), os.urandom(width * height * 4)) for _ in range(3)]
with Sender(key) as sender:
    sender.share(frames[0])
    print("ready", flush=True)
    sys.stdin.readline()
    start = next_due = time.monotonic()
    n = 0
    while not sys.stdin.closed:
        sender.share(frames[n % 3])
        n += 1
        if rate:
            next_due += 1 / rate
            time.sleep(max(0.0, next_due - time.monotonic()))
        if n % 10 == 0 and os.path.exists(sys.argv[5]):
            break
    print(n, time.monotonic() - start, flush=True)
"""


def start_xvfb() -> subprocess.Popen[bytes] | None:
    """A private Xvfb when there is no DISPLAY (it sets DISPLAY); None when there is one."""
    if os.environ.get("DISPLAY"):
        return None
    if shutil.which("Xvfb") is None:
        sys.exit("no DISPLAY and no Xvfb: install xvfb or run in a desktop session")
    for number in range(150, 250):
        if not os.path.exists(f"/tmp/.X{number}-lock"):
            server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(100):
                if os.path.exists(f"/tmp/.X11-unix/X{number}"):
                    os.environ["DISPLAY"] = f":{number}"
                    return server
                time.sleep(0.05)
            server.kill()
    sys.exit("Xvfb did not start")


def run(rate: float, seconds: float, size: tuple[int, int]) -> tuple[float, float]:
    key = f"bench-gui-{uuid.uuid4().hex[:12]}"
    flag = Path(f"/tmp/imgshare-bench-stop-{key}")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    sender = subprocess.Popen([sys.executable, "-c", SENDER, key, str(size[0]), str(size[1]), str(rate), str(flag)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)
    root = tk.Tk(className="imgshare")
    app = build_app(root, key=key, receive=True, follow=True)
    root.geometry("1100x720+0+0")
    try:
        assert sender.stdout.readline().strip() == "ready"
        end = time.monotonic() + 1.0  # warm up: first frame shown, layout settled
        while time.monotonic() < end:
            root.update()
            time.sleep(0.002)
        sender.stdin.write("go\n")
        sender.stdin.flush()
        view = app.receiver.view
        rendered0, start = view.rendered, time.monotonic()
        while time.monotonic() - start < seconds:
            root.update()  # the same event processing mainloop() does
            time.sleep(0.001)
        shown, elapsed = view.rendered - rendered0, time.monotonic() - start
        flag.touch()
        count, sender_seconds = sender.stdout.readline().split()
        return shown / elapsed, int(count) / float(sender_seconds)
    finally:
        app.close()
        flag.unlink(missing_ok=True)
        sender.stdin.close()
        if sender.wait(10) is None:
            sender.kill()
        try:
            remove_share(key, force=True)
        except Exception:
            pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--rates", default="30,0", help="sender rates in fps, comma separated; 0 = as fast as possible")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    size = (width, height)
    server = start_xvfb()
    try:
        print(f"{size[0]}x{size[1]} RGBA, GUI receiver in follow mode, {args.seconds:g} s per run")
        print(f"{'sender target':>14} {'sender fps':>11} {'shown fps':>10} {'ratio':>6}")
        for rate in (float(r) for r in args.rates.split(",")):
            shown, sent = run(rate, args.seconds, size)
            target = f"{rate:g} fps" if rate else "max"
            print(f"{target:>14} {sent:11.1f} {shown:10.1f} {shown / sent if sent else 0:6.2f}", flush=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
