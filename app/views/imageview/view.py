"""A canvas that shows an image scaled to fit (redrawn on resize) or zoomed from 10% to 6400%, panned by
dragging or scrolling, with the pixel under the cursor (or a pinned one) reported to listeners.

Only the visible part of the image is drawn, in the view's own worker (render.py), so zooming an
8K image never waits behind a tab's IPC work and never renders what is off screen; only the finished
PhotoImage is made on the Tk thread, and the view keeps it referenced. Coordinates: in a zoomed view the canvas's
scroll region is the image at the zoom level (x from 0 to width * scale), centred when smaller than
the window; in fit mode the scroll region is the window and the image is centred in it.
"""

from __future__ import annotations

import math
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from PIL import Image, ImageTk

from ...image16 import Image16
from ..background.worker import Worker
from .display import AUTO, ValueMapping, fit_size
from .geometry import Placement
from .input import ViewControls, ViewInput
from .pixel import PixelValue, read_pixel
from .render import Inputs, Overlay, Renderer
from .zoom import MAX_SCALE, MIN_SCALE, step_in, step_out, zoom_text

RESIZE_DEBOUNCE_MS = 40
RENDER_POLL_MS = 4  # followed frames come back from the render thread without a long wait
_BACKGROUND = "#3c3f41"  # the canvas behind images: neutral dark grey in every theme

PixelListener = Callable[[PixelValue | None, bool], None]  # (value or None, pinned)


class ImageView(ttk.Frame):
    """`view.show(base, source=image)` with base = display_base(image); zoom_in/zoom_out/zoom_fit/
    zoom_actual (or set_one_to_one) change the zoom; pixel_listeners hear the inspected pixel."""

    def __init__(self, master: tk.Misc, minimum: tuple[int, int] = (128, 128), placeholder: str = ""):
        super().__init__(master)
        self.canvas = tk.Canvas(self, width=minimum[0], height=minimum[1], highlightthickness=0,
                                background=_BACKGROUND, takefocus=True)
        self.xbar = ttk.Scrollbar(self, orient="horizontal", command=self._scrolled(self.canvas.xview))
        self.ybar = ttk.Scrollbar(self, orient="vertical", command=self._scrolled(self.canvas.yview))
        self.canvas.configure(xscrollcommand=self._view_moved(self.xbar), yscrollcommand=self._view_moved(self.ybar))
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.rowconfigure(0, weight=1, minsize=minimum[1])
        self.columnconfigure(0, weight=1, minsize=minimum[0])
        self._item = self.canvas.create_image(0, 0, anchor="nw")
        self._text = self.canvas.create_text(0, 0, text=placeholder, fill="#dddddd", justify="center")
        self._line = max(1, round(self.winfo_fpixels("0.75p")))  # one pixel at 96 dpi, two at 192
        self._marks = (self.canvas.create_rectangle(0, 0, 0, 0, outline="black", width=3 * self._line,
                                                    state="hidden"),
                       self.canvas.create_rectangle(0, 0, 0, 0, outline="#ffd200", width=self._line,
                                                    state="hidden"))
        self._scale: float | None = None  # None: fit the window
        self._base: Image.Image | None = None
        self._source: Image.Image | Image16 | None = None
        self.mapping: ValueMapping = AUTO
        self._overlay: Overlay | None = None
        self._photo: ImageTk.PhotoImage | None = None
        self._photo_mode = ""
        self._generation = 0
        self._pending: str | None = None
        self._renderer = Renderer()  # used in the worker thread only
        self._stale = False  # something changed while a render was under way: render again after it
        self._drawn_origin: tuple[float, float] | None = None  # the zoomed view's top left when last rendered
        self.rendered = 0  # renders put on screen (a zoom, a scroll, an overlay render again), for benchmarks
        self.on_rendered: Callable[[], None] | None = None  # called after each render is put on screen
        # A new image on screen, counted once however often it is drawn again (the frame-rate meter)
        self.images_shown = 0
        self.on_image_shown: Callable[[], None] | None = None
        self._on_screen: Image.Image | None = None  # the display base drawn last
        self.on_zoom_changed: Callable[[str], None] | None = None  # called with zoom_text when it changes
        self.pixel_listeners: list[PixelListener] = []  # the inspected pixel changed
        self.image_listeners: list[Callable[[], None]] = []  # a new image (or value mapping) is shown
        self._announced = ""
        self._hover: tuple[int, int] | None = None
        self.pinned: tuple[int, int] | None = None
        # set, a drag draws a rectangle (a rubber band) and this hears its corner pixels on release
        self.on_rectangle: Callable[[tuple[int, int], tuple[int, int]], None] | None = None
        self._band = self.canvas.create_rectangle(0, 0, 0, 0, outline="#00b4ff", width=2 * self._line,
                                                  dash=(4, 2), state="hidden")
        self._worker = Worker(self, "render", poll_ms=RENDER_POLL_MS)
        self._bind()

    def _bind(self) -> None:
        self.canvas.bind("<Configure>", lambda _e: self._schedule(RESIZE_DEBOUNCE_MS))
        self.canvas.bind("<Leave>", lambda _e: self.hover(None))
        self._input = ViewInput(ViewControls(  # mouse and keys: hover, pin, pan, scroll, zoom
            canvas=self.canvas, pixel_at=self.pixel_at, hover=self.hover, pinned=lambda: self.pinned, pin=self.pin,
            pannable=lambda: self.pannable, pan_to=self.pan_to, zoom_in=self.zoom_in, zoom_out=self.zoom_out,
            zoom_fit=self.zoom_fit, zoom_actual=self.zoom_actual,
            drawing=lambda: self.on_rectangle is not None, rubber_band=self._rubber_band,
            pixel_near=self.pixel_near))

    # -- what is shown -----------------------------------------------------------------------------
    @property
    def displayed_size(self) -> tuple[int, int] | None:
        """The size of what is on screen now (None when nothing is)."""
        return (self._photo.width(), self._photo.height()) if self._photo is not None else None

    @property
    def drawn_box(self) -> tuple[int, int, int, int] | None:
        """Where the picture on screen lies, in canvas coordinates: (left, top, right, bottom)."""
        photo = self._photo
        if photo is None:
            return None
        left, top = (round(v) for v in self.canvas.coords(self._item))
        return left, top, left + photo.width(), top + photo.height()

    def colour_at(self, wx: float, wy: float) -> tuple[int, ...] | None:
        """The colour on screen at window point (wx, wy), as Tk shows it (None where no picture is)."""
        box, photo = self.drawn_box, self._photo
        if box is None or photo is None:
            return None
        x, y = int(self.canvas.canvasx(wx)) - box[0], int(self.canvas.canvasy(wy)) - box[1]
        if not (0 <= x < photo.width() and 0 <= y < photo.height()):
            return None
        return tuple(int(v) for v in self.tk.call(str(photo), "get", x, y))

    @property
    def rendering(self) -> bool:
        return self._worker.busy or self._pending is not None or self._stale

    @property
    def image(self) -> Image.Image | Image16 | None:
        """The image being inspected: the source given to show(), else the display copy."""
        return self._source if self._source is not None else self._base

    def show(self, base: Image.Image, keep_place: bool = False, source: Image.Image | Image16 | None = None) -> None:
        """Show base (a display_base() copy of source, the image as received, whose values the
        inspector reads). keep_place (follow mode) keeps the zoom and scroll position and, while a
        render is under way, only notes that base is next, so a burst of frames renders just the newest."""
        self._base, self._source = base, source
        self.canvas.itemconfigure(self._text, state="hidden")
        if not keep_place:
            self.canvas.xview_moveto(0)
            self.canvas.yview_moveto(0)
        for listener in list(self.image_listeners):
            listener()
        self._notify_pixel()
        self._schedule(0)

    def set_mapping(self, mapping: ValueMapping) -> None:
        """How 16-bit, 32-bit and float values are shown (kept for the next images too)."""
        self.mapping = mapping
        for listener in list(self.image_listeners):
            listener()
        self._schedule(0)

    def set_overlay(self, overlay: Overlay | None) -> None:
        """Show overlay(display base) instead of the display base (the compare view), or stop."""
        self._overlay = overlay
        self._schedule(0)

    def close(self) -> None:
        self._worker.close()

    # -- zoom --------------------------------------------------------------------------------------
    @property
    def one_to_one(self) -> bool:
        """Whether the view is zoomed (1:1 or any other level) rather than fitted to the window."""
        return self._scale is not None

    @property
    def fitted(self) -> bool:
        return self._scale is None

    @property
    def scale(self) -> float:
        """Screen pixels per image pixel now (the fit level in fit mode; 1.0 with no image)."""
        if self._scale is not None:
            return self._scale
        if self._base is None:
            return 1.0
        return fit_size(self._base.size, self._box())[0] / self._base.width

    @property
    def zoom_text(self) -> str:
        """'Fit (23%)' or '400%'."""
        return zoom_text(self.scale, self.fitted)

    def set_one_to_one(self, on: bool) -> None:
        if on:
            self.zoom_actual()
        else:
            self.zoom_fit()

    def zoom_in(self, around: tuple[int, int] | None = None) -> None:
        """One step closer, keeping the image point at around (window pixels; default the centre)."""
        self.zoom_to(step_in(self.scale), around)

    def zoom_out(self, around: tuple[int, int] | None = None) -> None:
        self.zoom_to(step_out(self.scale), around)

    def zoom_actual(self, around: tuple[int, int] | None = None) -> None:
        """100%: one image pixel per screen pixel."""
        self.zoom_to(1.0, around)

    def zoom_fit(self) -> None:
        self._scale = None
        self._schedule(0)
        self._announce_zoom()

    def zoom_to(self, scale: float, around: tuple[int, int] | None = None) -> None:
        """Zoom to scale, keeping the image point under around (window pixels) where it is."""
        scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        box = self._box()
        wx, wy = around if around is not None else (box[0] // 2, box[1] // 2)
        point = self.image_point(wx, wy)
        self._scale = scale
        if self._base is not None and point is not None:
            self._set_region()
            sx, sy = self._zoom_factors()
            self._move_to(point[0] * sx - wx, point[1] * sy - wy)
        self._schedule(0)
        self._announce_zoom()

    def _announce_zoom(self) -> None:
        text = self.zoom_text
        if text != self._announced:
            self._announced = text
            if self.on_zoom_changed is not None:
                self.on_zoom_changed(text)

    # -- geometry ----------------------------------------------------------------------------------
    def _box(self) -> tuple[int, int]:
        return max(1, self.canvas.winfo_width()), max(1, self.canvas.winfo_height())

    def _placement(self) -> Placement:
        assert self._base is not None
        return Placement(self._base.size, self._box(), self._scale)

    def _zoom_factors(self) -> tuple[float, float]:
        """Zoomed pixels per image pixel along x and y."""
        return self._placement().factors

    def _set_region(self) -> None:
        self.canvas.configure(scrollregion=self._placement().region())

    @property
    def pannable(self) -> bool:
        """Whether the view can be panned: a zoomed (not fitted) image is shown."""
        return self._scale is not None and self._base is not None

    def pan_to(self, left: float, top: float) -> None:
        """Scroll so that the zoomed image's point (left, top) is the window's top left, and draw."""
        self._move_to(left, top)
        self._schedule(0)

    def _move_to(self, left: float, top: float) -> None:
        """Scroll so that zoomed point (left, top) is at the window's top left (Tk keeps it in range)."""
        x0, y0, x1, y1 = self._placement().region()
        self.canvas.xview_moveto((left - x0) / (x1 - x0))
        self.canvas.yview_moveto((top - y0) / (y1 - y0))

    def image_point(self, wx: float, wy: float) -> tuple[float, float] | None:
        """The image coordinates (fractional) under window point (wx, wy), None with no image."""
        if self._base is None:
            return None
        return self._placement().to_image(self.canvas.canvasx(wx), self.canvas.canvasy(wy))

    def pixel_at(self, wx: float, wy: float) -> tuple[int, int] | None:
        """The image pixel under window point (wx, wy), None outside the image."""
        point = self.image_point(wx, wy)
        base = self._base
        if point is None or base is None:
            return None
        x, y = math.floor(point[0]), math.floor(point[1])
        return (x, y) if 0 <= x < base.width and 0 <= y < base.height else None

    def pixel_near(self, wx: float, wy: float) -> tuple[int, int] | None:
        """The image pixel under window point (wx, wy), or the nearest one when it is outside the image."""
        point = self.image_point(wx, wy)
        base = self._base
        if point is None or base is None:
            return None
        return (min(base.width - 1, max(0, math.floor(point[0]))),
                min(base.height - 1, max(0, math.floor(point[1]))))

    def window_point(self, x: float, y: float) -> tuple[float, float] | None:
        """Where image point (x, y) is in the window (the inverse of image_point)."""
        if self._base is None:
            return None
        cx, cy = self._placement().to_canvas(x, y)
        return cx - self.canvas.canvasx(0), cy - self.canvas.canvasy(0)

    def look_at(self, x: int, y: int, scale: float) -> None:
        """Zoom to scale with image pixel (x, y) in the middle of the window, and pin it."""
        self._scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        if self._base is not None:
            self._set_region()
            sx, sy = self._zoom_factors()
            box = self._box()
            self._move_to((x + 0.5) * sx - box[0] / 2, (y + 0.5) * sy - box[1] / 2)
        self._schedule(0)
        self._announce_zoom()
        self.pin((x, y))

    def look_at_box(self, box: tuple[int, int, int, int]) -> None:
        """Zoom so the image box (left, top, right, bottom) fills the window, centred."""
        if self._base is None:
            return
        left, top, right, bottom = box
        view_w, view_h = self._box()
        scale = min(view_w / max(1, right - left), view_h / max(1, bottom - top)) * 0.9
        self._scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        self._set_region()
        sx, sy = self._zoom_factors()
        self._move_to((left + right) / 2 * sx - view_w / 2, (top + bottom) / 2 * sy - view_h / 2)
        self._schedule(0)
        self._announce_zoom()

    def _rubber_band(self, start: tuple[int, int], end: tuple[int, int], done: bool) -> None:
        if done:
            self.canvas.itemconfigure(self._band, state="hidden")
            if self.on_rectangle is not None:
                self.on_rectangle(start, end)
            return
        first = self.window_point(min(start[0], end[0]), min(start[1], end[1]))
        second = self.window_point(max(start[0], end[0]) + 1, max(start[1], end[1]) + 1)
        if first is None or second is None:
            return
        self.canvas.coords(self._band, self.canvas.canvasx(first[0]), self.canvas.canvasy(first[1]),
                           self.canvas.canvasx(second[0]), self.canvas.canvasy(second[1]))
        self.canvas.itemconfigure(self._band, state="normal")
        self.canvas.tag_raise(self._band)

    # -- the inspected pixel -----------------------------------------------------------------------
    def probe(self) -> PixelValue | None:
        """The pinned pixel's value, else the one under the cursor (None when there is neither)."""
        image = self.image
        where = self.pinned if self.pinned is not None else self._hover
        if image is None or where is None:
            return None
        return read_pixel(image, *where)

    def pixel_value_text(self) -> str | None:
        """One line for Copy pixel value: 'x 10, y 20, RGBA: R 255  G 0  B 0  A 255'."""
        value = self.probe()
        return value.copy_text if value is not None else None

    def pixel_value_text_at(self, wx: float, wy: float) -> str | None:
        """Copy pixel value's line for the pixel under window point (wx, wy) (a right click), None off the image."""
        image, where = self.image, self.pixel_at(wx, wy)
        value = read_pixel(image, *where) if image is not None and where is not None else None
        return value.copy_text if value is not None else None

    def pin(self, where: tuple[int, int] | None) -> None:
        """Pin the inspector to an image pixel (None unpins)."""
        self.pinned = where
        self._place_marks()
        self._notify_pixel()

    def unpin(self) -> None:
        self.pin(None)

    def hover(self, where: tuple[int, int] | None) -> None:
        """The pixel under the pointer (None: it left the image); reported unless one is pinned."""
        if where != self._hover:
            self._hover = where
            if self.pinned is None:
                self._notify_pixel()

    def _notify_pixel(self) -> None:
        value = self.probe()
        for listener in list(self.pixel_listeners):
            listener(value, self.pinned is not None)

    def _place_marks(self) -> None:
        """Frame the pinned pixel (a dark and a light outline, visible on any colour)."""
        corner = self.window_point(*self.pinned) if self.pinned is not None else None
        if corner is None or self.pinned is None:
            for mark in self._marks:
                self.canvas.itemconfigure(mark, state="hidden")
            return
        end = self.window_point(self.pinned[0] + 1, self.pinned[1] + 1)
        assert end is not None
        left, top = self.canvas.canvasx(corner[0]), self.canvas.canvasy(corner[1])
        right, bottom = self.canvas.canvasx(end[0]), self.canvas.canvasy(end[1])
        for pad, mark in zip((2 * self._line, self._line), self._marks, strict=True):
            self.canvas.coords(mark, left - pad, top - pad, max(right, left + 1) + pad, max(bottom, top + 1) + pad)
            self.canvas.itemconfigure(mark, state="normal")
            self.canvas.tag_raise(mark)

    def _view_moved(self, bar: ttk.Scrollbar) -> Callable[[float, float], None]:
        """Tk's scroll command: move the bar, and draw the newly visible part however the view moved
        (scroll bar, wheel, drag, or a caller's xview_moveto)."""
        def moved(first: float, last: float) -> None:
            bar.set(first, last)
            if self._scale is not None and self._pending is None and \
                    (self.canvas.canvasx(0), self.canvas.canvasy(0)) != self._drawn_origin:
                self._schedule(0)
        return moved

    def _scrolled(self, view: Callable[..., Any]) -> Callable[..., None]:
        def scroll(*args: Any) -> None:
            view(*args)
            if self._scale is not None:
                self._schedule(0)
        return scroll

    # -- rendering ---------------------------------------------------------------------------------
    def _schedule(self, delay: int) -> None:
        if self._pending is not None:
            self.after_cancel(self._pending)
        self._pending = self.after(delay, self._render)

    def _render(self) -> None:
        self._pending = None
        box = self._box()
        self.canvas.coords(self._text, box[0] // 2, box[1] // 2)
        margin = round(self.canvas.winfo_fpixels("6p"))  # the placeholder wraps inside the view, at any size
        self.canvas.itemconfigure(self._text, width=max(1, box[0] - 2 * margin))
        base = self._base
        if base is None:
            return
        if self._worker.busy:  # one render at a time: the newest state is drawn when this one is done
            self._stale = True
            return
        self._stale = False
        self._generation += 1
        generation = self._generation
        inputs = Inputs(base, self._source, self.mapping, self._overlay)
        if self._scale is not None:
            self.xbar.grid(row=1, column=0, sticky="ew")
            self.ybar.grid(row=0, column=1, sticky="ns")
            self._set_region()
            left, top = int(self.canvas.canvasx(0)), int(self.canvas.canvasy(0))
            self._drawn_origin = (left, top)
            region = (left, top, left + box[0], top + box[1])
            at = (max(0, left), max(0, top))
            self._worker.submit(self._renderer.zoomed, inputs, self._scale, region,
                                done=lambda image: self._put(generation, image, at, base))
        else:
            self.xbar.grid_remove()
            self.ybar.grid_remove()
            self.canvas.configure(scrollregion=(0, 0, box[0], box[1]))
            self.canvas.xview_moveto(0)
            self.canvas.yview_moveto(0)
            self._worker.submit(self._renderer.fit, inputs, box,
                                done=lambda image: self._put(generation, image, None, base))
        self._announce_zoom()

    def _put(self, generation: int, image: Image.Image, at: tuple[int, int] | None, base: Image.Image) -> None:
        try:
            if generation != self._generation:
                return  # a newer render is on its way
            if at is None:  # fit: centre it in the canvas as it is now
                at = ((self.canvas.winfo_width() - image.width) // 2,
                      (self.canvas.winfo_height() - image.height) // 2)
            photo = self._photo
            if photo is not None and (photo.width(), photo.height()) == image.size and \
                    self._photo_mode == image.mode:
                photo.paste(image)  # same size: reuse the Tk image (no new allocation per frame)
            else:
                self._photo = ImageTk.PhotoImage(image, master=self)
                self._photo_mode = image.mode
                self.canvas.itemconfigure(self._item, image=self._photo)
            self.canvas.coords(self._item, *at)
            self._place_marks()
            self.rendered += 1
            if self.on_rendered is not None:
                self.on_rendered()
            if base is not self._on_screen:
                self._on_screen = base
                self.images_shown += 1
                if self.on_image_shown is not None:
                    self.on_image_shown()
        finally:
            if self._stale and not self._worker.busy:
                self._schedule(0)
