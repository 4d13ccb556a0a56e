"""The inspector panel: the pixel under the cursor (or pinned with a click) in the image's own mode, the
value range and display mapping of 16-bit, 32-bit and float images, and a histogram of the shown image.

The range and the histogram read every pixel, so they are computed in the panel's own worker, once
per image; a burst of followed frames computes only the newest.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk

from PIL import Image

from ...image16 import Image16
from ..background.worker import Worker
from ..imageview.display import DEEP_MODES, value_range
from ..imageview.pixel import PixelValue
from ..imageview.view import ImageView
from .histogram import Histogram, histogram
from .value_range import ValueRangeControl, write_value

HISTOGRAM_CHARS = (26, 6)  # the histogram's width in characters and height in lines of the default font
_CHANNEL_COLOURS = {"R": "#e04848", "G": "#3aa84a", "B": "#4a78e8"}  # what the channels are, in any theme
_NEUTRAL = "#8c8c8c"  # L, A and single-value channels
_PEAK_OUTLIER = 4  # a single bin this many times the next tallest (a flat background) is drawn clipped


class Stats:
    """What the worker works out for an image: its value range (deep modes) and its histogram."""

    def __init__(self, image: Image.Image | Image16):
        self.image = image
        self.range = value_range(image) if isinstance(image, Image.Image) and image.mode in DEEP_MODES else None
        self.histogram = histogram(image)


class InspectorPanel(ttk.Frame):
    """`InspectorPanel(master, view)`: listens to view and shows what it inspects."""

    def __init__(self, master: tk.Misc, view: ImageView):
        super().__init__(master)
        self.view = view
        default = tkfont.nametofont("TkDefaultFont")
        char, line = default.measure("0"), default.metrics("linespace")
        self.position_var = tk.StringVar(self, "-")
        self.value_var = tk.StringVar(self, "-")
        self.where_var = tk.StringVar(self, "Point at the image; click to pin a pixel")
        pixel = ttk.LabelFrame(self, text="Pixel", padding=char // 2)
        pixel.grid(row=0, column=0, sticky="ew")
        ttk.Label(pixel, textvariable=self.position_var).grid(row=0, column=0, sticky="w")
        self.value_label = ttk.Label(pixel, textvariable=self.value_var, wraplength=char * HISTOGRAM_CHARS[0],
                                     font="TkFixedFont")
        self.value_label.grid(row=1, column=0, sticky="w")
        ttk.Label(pixel, textvariable=self.where_var, style="Muted.TLabel",
                  wraplength=char * HISTOGRAM_CHARS[0]).grid(row=2, column=0, sticky="w")
        self.values = ttk.LabelFrame(self, text="Values", padding=char // 2)
        self.range = ValueRangeControl(self.values, view)
        self.range.grid(row=0, column=0, sticky="ew")
        self.values.grid(row=1, column=0, sticky="ew", pady=(char // 2, 0))
        self.values.grid_remove()  # shown for 16-bit, 32-bit and float images only
        frame = ttk.LabelFrame(self, text="Histogram", padding=char // 2)
        frame.grid(row=2, column=0, sticky="ew", pady=(char // 2, 0))
        self.canvas = tk.Canvas(frame, width=char * HISTOGRAM_CHARS[0], height=line * HISTOGRAM_CHARS[1],
                                highlightthickness=0, borderwidth=0)
        self.canvas.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.low_var, self.high_var = tk.StringVar(self, ""), tk.StringVar(self, "")
        ttk.Label(frame, textvariable=self.low_var, style="Muted.TLabel").grid(row=1, column=0, sticky="w")
        ttk.Label(frame, textvariable=self.high_var, style="Muted.TLabel").grid(row=1, column=1, sticky="e")
        self.columnconfigure(0, weight=1)
        self.stats: Stats | None = None
        self.computed = 0  # histograms put on screen (tests wait on it)
        self._stale = False
        self._worker = Worker(self, "inspector")
        view.pixel_listeners.append(self.show_pixel)
        view.image_listeners.append(self.image_changed)
        self.canvas.bind("<Configure>", lambda _e: self._draw())
        self.bind("<<ThemeChanged>>", lambda _e: self._draw())
        self.bind("<Destroy>", lambda e: self.close() if e.widget is self else None)
        if view.image is not None:
            self.image_changed()

    def close(self) -> None:
        if self.show_pixel in self.view.pixel_listeners:
            self.view.pixel_listeners.remove(self.show_pixel)
        if self.image_changed in self.view.image_listeners:
            self.view.image_listeners.remove(self.image_changed)
        self._worker.close()

    # -- the pixel ---------------------------------------------------------------------------------
    def show_pixel(self, value: PixelValue | None, pinned: bool) -> None:
        if value is None:
            self.position_var.set("-")
            self.value_var.set("-")
            self.where_var.set("Point at the image; click to pin a pixel")
            return
        self.position_var.set(f"x {value.x}, y {value.y} ({value.mode})")
        self.value_var.set("\n".join(f"{name:<6} {text}" for name, text in value.components))
        self.where_var.set("Pinned: click again or press Esc to let go" if pinned else "Under the cursor")

    # -- range and histogram -----------------------------------------------------------------------
    def image_changed(self) -> None:
        """A new image (or a new mapping): work out its range and histogram off the Tk thread."""
        image = self.view.image
        if image is None:
            return
        if self.stats is not None and self.stats.image is image:
            self.range.set_range(self.stats.range, image.mode != "F")  # only the mapping changed
            return
        if self._worker.busy:
            self._stale = True
            return
        self._stale = False
        self._worker.submit(Stats, image, done=self._got_stats)

    def _got_stats(self, stats: Stats) -> None:
        self.stats = stats
        if stats.image.mode in DEEP_MODES:
            self.values.grid()
            self.range.set_range(stats.range, stats.image.mode != "F")
        else:
            self.values.grid_remove()
        self._draw()
        self.computed += 1
        if self._stale or (self.view.image is not None and self.view.image is not stats.image):
            self.image_changed()

    def _draw(self) -> None:
        """The histogram: one line per channel over the canvas's width."""
        canvas = self.canvas
        canvas.delete("all")
        canvas.configure(background=ttk.Style(self).lookup("TEntry", "fieldbackground") or "white")
        if self.stats is None:
            return
        found: Histogram = self.stats.histogram
        integer = self.stats.image.mode != "F"
        self.low_var.set(write_value(found.low, integer))
        self.high_var.set(write_value(found.high, integer))
        width, height = max(2, canvas.winfo_width()), max(2, canvas.winfo_height())
        tallest = sorted((max(channel.counts) for channel in found.channels), reverse=True)[0]
        every = sorted((c for channel in found.channels for c in channel.counts), reverse=True)
        peak = every[1] * 1.1 if len(every) > 1 and every[1] * _PEAK_OUTLIER < every[0] else tallest
        peak = max(peak, 1)
        bins = len(found.channels[0].counts)
        for channel in found.channels:
            points: list[float] = []
            for index, count in enumerate(channel.counts):
                points += [index * (width - 1) / (bins - 1), height - 1 - min(1.0, count / peak) * (height - 2)]
            colour = _CHANNEL_COLOURS.get(channel.name, _NEUTRAL)
            canvas.create_line(*points, fill=colour, width=1)
