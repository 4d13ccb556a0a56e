"""An 8K image opened, shared, received and compared in the real window: how long the Tk loop stalls.

    python bench/gui_big_image.py [--size 7680x4320]

Builds the window (build_app) on a real Tk root, then, with a 5 ms after() ticker running, opens a
PNG of the given size on the Sender tab, shares it, receives it on the Receiver tab and compares it
with the same file (each step waits for its result on screen). It prints each step's time and the
loop's longest and mean gap during it. The reference, measured in the same run: the same work done
on the calling thread (decode, share, receive and the display copy), which is how long the window
would freeze if that work ran on the Tk thread; the ratio says how much of it the window feels.
The tests only prove that this work runs off the Tk thread (tests/gui/test_big_image.py); the
figures live here, where a loaded machine cannot fail a run. Runs under a private Xvfb when there is
no DISPLAY.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
import tkinter as tk
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gui_follow import start_xvfb  # noqa: E402
from PIL import Image  # noqa: E402

from imgshare.ipc import Receiver  # noqa: E402
from imgshare.views.commands.table import Tab  # noqa: E402
from imgshare.views.imageview.display import display_base  # noqa: E402
from imgshare.views.sender.model import SenderSession, load_first  # noqa: E402
from imgshare.views.window.app import build_app  # noqa: E402

TICK_MS = 5


def make_file(size: tuple[int, int], folder: Path) -> Path:
    grey = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGBA", (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                 Image.new("L", size, 90), Image.new("L", size, 255)))
    path = folder / "big.png"
    image.save(path, compress_level=1)
    return path


def on_this_thread(path: Path) -> float:
    """Seconds for the same work done on the calling thread: what a blocking window would freeze for."""
    key = f"bench-big-{secrets.token_hex(6)}"
    began = time.perf_counter()
    loaded = load_first([str(path)])
    session = SenderSession()
    try:
        session.share_loaded(key, loaded)
        with Receiver(key) as receiver:
            image, _info = receiver.receive(timeout=30)
        display_base(image)
    finally:
        session.close()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--size", default="7680x4320")
    options = parser.parse_args()
    width, height = (int(v) for v in options.size.split("x"))
    server = start_xvfb()
    folder = Path(tempfile.mkdtemp(prefix="imgshare-bench-"))
    try:
        path = make_file((width, height), folder)
        blocking = on_this_thread(path)
        os.environ["XDG_CONFIG_HOME"] = str(folder / "config")  # the bench's settings, not the user's
        root = tk.Tk(className="imgshare")
        app = build_app(root, key=f"bench-big-{secrets.token_hex(6)}")
        root.geometry("1200x760+0+0")
        ticks: list[float] = []

        def tick() -> None:
            ticks.append(time.perf_counter())
            root.after(TICK_MS, tick)

        def pump_until(condition: Callable[[], object], deadline_s: float = 120.0) -> None:
            deadline = time.perf_counter() + deadline_s
            while not condition():
                root.update()
                if time.perf_counter() > deadline:
                    raise SystemExit("a step took over two minutes")
                time.sleep(0.001)

        rows: list[tuple[str, float, float, float]] = []

        def step(name: str, action: Callable[[], None], done: Callable[[], object]) -> None:
            first = len(ticks)
            began = time.perf_counter()
            action()
            pump_until(done)
            took = time.perf_counter() - began
            root.update()
            gaps = [b - a for a, b in zip(ticks[first:], ticks[first + 1:], strict=False)] or [0.0]
            rows.append((name, took, max(gaps), sum(gaps) / len(gaps)))

        pump_until(root.winfo_viewable)
        root.after(TICK_MS, tick)
        sender, receiver = app.sender, app.receiver
        sender.ask_open_path = lambda parent: str(path)
        step("open", sender.open_button.invoke, lambda: sender.loaded and not sender.view.rendering)
        step("share", sender.share_button.invoke, lambda: sender.shared)

        def receive() -> None:
            app.show_tab(Tab.RECEIVER)
            receiver.receive_button.invoke()

        step("receive", receive, lambda: receiver.got and receiver.view.displayed_size and not receiver.view.rendering)
        compared = receiver.compare.compared
        receiver.compare.ask_open_path = lambda parent: str(path)
        step("compare", receiver.compare.compare_button.invoke, lambda: receiver.compare.compared > compared)
        print(f"{width}x{height} RGBA PNG; load average {os.getloadavg()[0]:.2f}")
        print(f"{'step':<8} {'time ms':>9} {'longest gap ms':>15} {'mean gap ms':>12}")
        for name, took, longest, mean in rows:
            print(f"{name:<8} {took * 1000:>9.0f} {longest * 1000:>15.1f} {mean * 1000:>12.1f}")
        worst = max(row[2] for row in rows)
        print(f"the same open+share+receive on the calling thread: {blocking * 1000:.0f} ms (what the window "
              f"would freeze for); longest gap / that = {worst / blocking:.3f}")
        app.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        for item in sorted(folder.rglob("*"), reverse=True):
            item.rmdir() if item.is_dir() else item.unlink()
        folder.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
