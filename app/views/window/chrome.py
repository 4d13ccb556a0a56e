"""The window's frame: its icon, and its smallest and first size in font units (so 192 dpi doubles
them), within the screen."""

from __future__ import annotations

import logging
import tkinter as tk
from pathlib import Path

from PIL import Image, ImageTk

from ..widgets.theme import units

log = logging.getLogger(__name__)

MIN_CHARS, MIN_LINES = 75, 26  # the smallest window (600x442 at 96 dpi; half a 192-dpi screen)
DEFAULT_CHARS, DEFAULT_LINES = 136, 42  # the first window, unless the screen is smaller
SCREEN_SHARE = 0.9  # the first window takes at most this much of the screen
ICON = Path(__file__).resolve().parents[2] / "assets" / "imgshare.png"  # package data: imgshare/assets
ICON_SIZES = (256, 48, 32, 16)


def set_icon(root: tk.Tk) -> list[ImageTk.PhotoImage]:
    """The window icon in a few sizes; the caller keeps the images. A missing icon file only costs the
    icon, with a log line (a frozen build without the data file still opens its window)."""
    try:
        with Image.open(ICON) as opened:
            big = opened.convert("RGBA")
        icons = [ImageTk.PhotoImage(big.resize((size, size), Image.Resampling.LANCZOS), master=root)
                 for size in ICON_SIZES]
        root.iconphoto(True, *icons)  # type: ignore[arg-type]  # Pillow's PhotoImage is one
    except (OSError, tk.TclError) as exc:
        log.warning("no window icon: %s", exc)
        return []
    return icons


def size_window(root: tk.Tk) -> tuple[int, int]:
    """Set root's minimum size and first size (call once its content is built); returns the minimum."""
    u = units(root)
    screen = root.winfo_screenwidth(), root.winfo_screenheight()
    root.update_idletasks()
    least = max(u.chars(MIN_CHARS), root.winfo_reqwidth()), u.line * MIN_LINES
    minimum = min(least[0], screen[0]), min(least[1], screen[1])
    root.minsize(*minimum)
    width = min(int(screen[0] * SCREEN_SHARE), max(u.chars(DEFAULT_CHARS), minimum[0]))
    height = min(int(screen[1] * SCREEN_SHARE), max(u.line * DEFAULT_LINES, minimum[1]))
    root.geometry(f"{width}x{height}")
    return minimum
