"""Draw packaging/linux/imgshare.png, the 256x256 application icon: two windows and an arrow between.

Run it with the project's Python (Pillow only): `python packaging/linux/make_icon.py`. The output is
deterministic, so rerunning it leaves the committed file unchanged.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 256
SCALE = 4  # draw large and shrink, for smooth edges without anti-aliasing support in ImageDraw


def draw_window(d: ImageDraw.ImageDraw, box: tuple[int, int, int, int], frame: str, picture: str) -> None:
    x0, y0, x1, y1 = (v * SCALE for v in box)
    d.rounded_rectangle((x0, y0, x1, y1), radius=14 * SCALE, fill=frame)
    inset = 10 * SCALE
    top = y0 + 26 * SCALE  # a title bar
    d.rounded_rectangle((x0 + inset, top, x1 - inset, y1 - inset), radius=6 * SCALE, fill="#ffffff")
    # a small landscape: sun and hills, the usual picture of "an image"
    w, h = x1 - x0 - 2 * inset, y1 - inset - top
    cx, cy = x0 + inset + w * 0.72, top + h * 0.3
    d.ellipse((cx - 9 * SCALE, cy - 9 * SCALE, cx + 9 * SCALE, cy + 9 * SCALE), fill="#f5b700")
    base = y1 - inset - 4 * SCALE
    d.polygon([(x0 + inset + 4 * SCALE, base), (x0 + inset + w * 0.38, top + h * 0.38),
               (x0 + inset + w * 0.7, base)], fill=picture)
    d.polygon([(x0 + inset + w * 0.45, base), (x0 + inset + w * 0.72, top + h * 0.55),
               (x1 - inset - 4 * SCALE, base)], fill=picture)


def make_icon() -> Image.Image:
    image = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    draw_window(d, (8, 20, 148, 150), "#2b5797", "#3c8d40")
    draw_window(d, (108, 106, 248, 236), "#7a3e9d", "#3c8d40")
    s = SCALE  # the arrow from the first window to the second
    d.line([(60 * s, 170 * s), (60 * s, 205 * s), (92 * s, 205 * s)], fill="#e8590c", width=14 * s,
           joint="curve")
    d.polygon([(88 * s, 186 * s), (112 * s, 205 * s), (88 * s, 224 * s)], fill="#e8590c")
    return image.resize((SIZE, SIZE), Image.Resampling.LANCZOS)


def main() -> None:
    out = Path(__file__).with_name("imgshare.png")
    make_icon().save(out, optimize=True)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
