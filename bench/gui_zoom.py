"""Zooming and panning an 8K image in the image view: the Tk loop's longest gap and each step's latency.

    python bench/gui_zoom.py [--size 7680x4320] [--mode RGBA]

Builds an ImageView on a real Tk root, shows the image (display copy + the image itself, as the tabs
do), then zooms one Ctrl+wheel notch at a time from fit up to 6400% and down to 10%, and pans by
dragging at 400%. A 1 ms after() ticker measures the loop's gaps; a step's latency runs from the
event to the render put on screen. Beside them, in the same run: one memory copy of the whole image
(what a viewer that renders everything would at least cost per step), as the reference for the ratio.
Runs under a private Xvfb when there is no DISPLAY.
"""

from __future__ import annotations

import argparse
import sys
import time
import tkinter as tk
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from gui_follow import start_xvfb  # noqa: E402
from PIL import Image  # noqa: E402

from imgshare.views.imageview.display import display_base  # noqa: E402
from imgshare.views.imageview.view import ImageView  # noqa: E402

CONTROL = 0x4


def make_image(size: tuple[int, int], mode: str) -> Image.Image:
    grey = Image.linear_gradient("L").resize(size)
    if mode == "RGBA":
        return Image.merge("RGBA", (grey, grey.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                    Image.new("L", size, 90), Image.new("L", size, 200)))
    if mode == "F":
        return grey.convert("F")
    return grey.convert(mode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="7680x4320")
    parser.add_argument("--mode", default="RGBA", choices=["RGBA", "RGB", "L", "I", "F"])
    options = parser.parse_args()
    size = tuple(int(v) for v in options.size.split("x"))
    server = start_xvfb()
    try:
        image = make_image(size, options.mode)  # type: ignore[arg-type]
        began = time.perf_counter()
        copied = image.copy()
        copy_s = time.perf_counter() - began
        del copied
        root = tk.Tk()
        root.geometry("1200x760+0+0")
        view = ImageView(root)
        view.pack(fill="both", expand=True)
        ticks: list[float] = []

        def tick() -> None:
            ticks.append(time.perf_counter())
            root.after(1, tick)

        def pump_until_rendered(deadline_s: float = 60.0) -> None:
            deadline = time.perf_counter() + deadline_s
            while view.rendering or view.displayed_size is None:
                root.update()
                if time.perf_counter() > deadline:
                    raise SystemExit("a render took over a minute")
                time.sleep(0.0005)

        root.update()
        view.show(display_base(image), source=image)
        pump_until_rendered()
        root.after(1, tick)
        centre = (view.canvas.winfo_width() // 2, view.canvas.winfo_height() // 2)
        rows = []

        def step(name: str, action) -> None:
            start_tick = len(ticks)
            began = time.perf_counter()
            action()
            pump_until_rendered()
            latency = time.perf_counter() - began
            root.update()
            gaps = [b - a for a, b in zip(ticks[start_tick:], ticks[start_tick + 1:], strict=False)]
            rows.append((name, view.zoom_text, latency, max(gaps, default=0.0)))

        def notch(up: bool) -> None:
            view.canvas.event_generate("<Button-4>" if up else "<Button-5>", x=centre[0], y=centre[1],
                                       state=CONTROL)

        for _ in range(14):
            step("zoom in", lambda: notch(True))
        for _ in range(19):
            step("zoom out", lambda: notch(False))
        step("1:1", view.zoom_actual)
        view.zoom_to(4.0)
        pump_until_rendered()
        view.canvas.event_generate("<ButtonPress-1>", x=centre[0], y=centre[1])
        for n in range(1, 21):
            step("drag", lambda n=n: view.canvas.event_generate("<B1-Motion>", x=centre[0] - 15 * n,
                                                                y=centre[1] - 9 * n, state=0x100))
        view.canvas.event_generate("<ButtonRelease-1>", x=centre[0] - 300, y=centre[1] - 180)
        step("fit", view.zoom_fit)
        print(f"{size[0]}x{size[1]} {options.mode}; canvas {view.canvas.winfo_width()}x{view.canvas.winfo_height()}")
        print(f"{'action':<9} {'zoom':<11} {'latency ms':>10} {'longest gap ms':>15}")
        for name, text, latency, gap in rows:
            print(f"{name:<9} {text:<11} {latency * 1000:>10.1f} {gap * 1000:>15.1f}")
        worst_gap = max(row[3] for row in rows)
        worst_latency = max(row[2] for row in rows)
        print(f"longest Tk loop gap over {len(rows)} steps: {worst_gap * 1000:.1f} ms "
              f"(budget 50 ms); slowest step {worst_latency * 1000:.1f} ms")
        print(f"one memory copy of the whole image: {copy_s * 1000:.1f} ms; slowest step / copy = "
              f"{worst_latency / copy_s:.2f}, longest gap / copy = {worst_gap / copy_s:.2f}")
        view.close()
        root.destroy()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
