"""Remake the README's screenshots of the window: docs/screenshots/*.png.

Run it on a desktop or under Xvfb (24-bit): `xvfb-run -s "-screen 0 1280x800x24 -dpi 96" .venv/bin/python
docs/screenshots/make.py`. It builds the real window on a private key with a generated image, shares it,
receives it, and grabs the window's pixels with Pillow. `--out DIR`, `--dark`, `--size WxH` and
`--min` (the smallest window) make other pictures, for checking a change by eye at another dpi.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import tempfile
import time
import tkinter as tk
from pathlib import Path

from PIL import Image, ImageDraw, ImageGrab

from imgshare.settings import ThemeChoice
from imgshare.views.window.app import App, build_app

HERE = Path(__file__).resolve().parent


def sample_image(path: Path) -> None:
    """A colourful test card (gradients, a checker of pure colours, a transparent corner)."""
    width, height = 640, 400
    image = Image.new("RGBA", (width, height))
    pixels = image.load()
    assert pixels is not None
    for y in range(height):
        for x in range(width):
            pixels[x, y] = (x * 255 // width, y * 255 // height, 160, 255)
    draw = ImageDraw.Draw(image)
    colours = [(255, 0, 0, 255), (0, 200, 0, 255), (0, 80, 255, 255), (255, 255, 255, 255), (0, 0, 0, 255)]
    for i, colour in enumerate(colours):
        draw.rectangle((40 + i * 70, 40, 100 + i * 70, 100), fill=colour)
    draw.ellipse((380, 160, 600, 380), fill=(255, 200, 0, 255), outline=(0, 0, 0, 255), width=4)
    draw.rectangle((0, 300, 200, 400), fill=(0, 0, 0, 0))
    image.save(path)
    # the "expected" image of the compare panel: the same card with a small patch changed
    draw.rectangle((470, 60, 530, 110), fill=(250, 250, 250, 255))
    image.save(path.with_name("expected.png"))


def pump(app: App, condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not (condition() if callable(condition) else condition):
        app.root.update()
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out; status bar: {app.status.text!r}")
        time.sleep(0.01)


def settle(app: App, seconds: float = 0.6) -> None:
    """Let renders and the theme settle (renders run in workers)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end or app.sender.view.rendering or app.receiver.view.rendering:
        app.root.update()
        time.sleep(0.01)


def grab(app: App, path: Path) -> None:
    root = app.root
    root.update()
    top = int(root.geometry().rsplit("+", 1)[1])  # the window's top: its menu bar sits above the root's area
    x, y = root.winfo_rootx(), top
    w, h = root.winfo_width(), root.winfo_rooty() + root.winfo_height() - top
    ImageGrab.grab(bbox=(x, y, x + w, y + h), xdisplay=os.environ.get("DISPLAY")).save(path)
    print(path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE)
    parser.add_argument("--dark", action="store_true", help="the dark theme (default: light)")
    parser.add_argument("--size", help="window size WxH in pixels (default: 1200x760)")
    parser.add_argument("--min", action="store_true", help="the window at its minimum size")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        os.environ["XDG_CONFIG_HOME"] = folder  # the user's own settings and logs stay untouched
        os.environ["XDG_STATE_HOME"] = folder
        picture = Path(folder) / "test-card.png"
        sample_image(picture)
        root = tk.Tk(className="imgshare")
        app = build_app(root, key=f"screenshot-{secrets.token_hex(4)}")
        try:
            app.set_theme(ThemeChoice.DARK if args.dark else ThemeChoice.LIGHT)
            if args.min:
                root.geometry(f"{app.min_size[0]}x{app.min_size[1]}+0+0")
            elif args.size:
                root.geometry(f"{args.size}+0+0")
            else:
                root.geometry("1200x760+0+0")
            pump(app, root.winfo_viewable)
            suffix = ("-dark" if args.dark else "") + ("-min" if args.min else "")
            app.sender.open_paths([str(picture)], then_share=True)
            pump(app, lambda: app.sender.shared is not None)
            settle(app)
            grab(app, args.out / f"sender{suffix}.png")
            app.notebook.select(app.receiver)
            app.receiver.receive()
            pump(app, lambda: app.receiver.got is not None)
            compare = app.receiver.compare
            compare.ask_open_path = lambda parent: str(picture.with_name("expected.png"))
            compare.choose()
            pump(app, lambda: compare.compared > 0)
            compare.show_check.invoke()
            app.receiver.view.pin((120, 70))
            settle(app)
            grab(app, args.out / f"receiver{suffix}.png")
        finally:
            app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
