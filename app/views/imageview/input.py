"""Mouse and keys on an image view: hover to inspect and click to pin a pixel, drag to pan (or, while
the view draws rectangles, drag out a rectangle), the wheel (Shift: sideways) to scroll, Ctrl+wheel and
the zoom keys (the command table's IMAGE_VIEW scope) to zoom. This only turns events into the view's
calls, which it gets as a ViewControls of callables; the view keeps the zoom, the pixel and the drawing."""

from __future__ import annotations

import math
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import font as tkfont

from ..commands.keys import bind_scope
from ..commands.table import Scope

_CONTROL, _SHIFT = 0x4, 0x1  # event.state bits
SCROLL_LINES = 3  # a wheel notch scrolls this many lines of the default font
DRAG_THRESHOLD = 0.04  # inches the pointer moves before a press is a drag, not a click

Pixel = tuple[int, int]
Around = tuple[int, int] | None  # the window point to zoom around (None: the centre)


@dataclass(frozen=True)
class ViewControls:
    """What the input handler may ask of the view it serves."""

    canvas: tk.Canvas  # bound here; its scroll offset is where a drag starts
    pixel_at: Callable[[float, float], Pixel | None]  # the image pixel under a window point
    hover: Callable[[Pixel | None], None]  # the pointer is over this pixel (None: over none)
    pinned: Callable[[], Pixel | None]
    pin: Callable[[Pixel | None], None]  # pin the inspector to a pixel (None unpins)
    pannable: Callable[[], bool]  # whether a zoomed image is shown
    pan_to: Callable[[float, float], None]  # scroll the zoomed image's point to the top left
    zoom_in: Callable[[Around], None]
    zoom_out: Callable[[Around], None]
    zoom_fit: Callable[[], None]
    zoom_actual: Callable[[Around], None]
    drawing: Callable[[], bool] = lambda: False  # whether a press-drag-release draws a rectangle
    pixel_near: Callable[[float, float], Pixel | None] = lambda x, y: None  # the pixel under, or nearest
    rubber_band: Callable[[Pixel, Pixel, bool], None] = lambda start, end, done: None  # corners; done on release


class ViewInput:
    """Binds the view's canvas; holds only the state of a press in progress."""

    def __init__(self, view: ViewControls):
        self.view = view
        self._press: tuple[int, int, float, float] | None = None  # where, and the view's top left then
        self._dragging = False
        self._corner: Pixel | None = None  # drawing a rectangle: the pixel it started on
        canvas = view.canvas
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            canvas.bind(sequence, self._wheel)
        canvas.bind("<Motion>", self._motion)
        canvas.bind("<ButtonPress-1>", self._pressed)
        canvas.bind("<B1-Motion>", self._dragged)
        canvas.bind("<ButtonRelease-1>", self._released)
        bind_scope(canvas, Scope.IMAGE_VIEW, {
            "zoom_in": lambda: view.zoom_in(None), "zoom_out": lambda: view.zoom_out(None),
            "zoom_fit": view.zoom_fit, "zoom_actual": lambda: view.zoom_actual(None), "unpin": lambda: view.pin(None)})

    def _motion(self, event: tk.Event) -> None:
        self.view.hover(self.view.pixel_at(event.x, event.y))

    def _pressed(self, event: tk.Event) -> None:
        canvas = self.view.canvas
        canvas.focus_set()  # so the zoom keys and Escape reach the view
        self._press = (event.x, event.y, canvas.canvasx(0), canvas.canvasy(0))
        self._dragging = False
        self._corner = self.view.pixel_at(event.x, event.y) if self.view.drawing() else None

    def _dragged(self, event: tk.Event) -> None:
        if self._corner is not None:
            end = self.view.pixel_near(event.x, event.y)
            if end is not None:
                self._dragging = True
                self.view.rubber_band(self._corner, end, False)
            return
        if self._press is None or not self.view.pannable():
            return
        x0, y0, left, top = self._press
        threshold = DRAG_THRESHOLD * self.view.canvas.winfo_fpixels("1i")
        if not self._dragging and math.hypot(event.x - x0, event.y - y0) < threshold:
            return
        self._dragging = True
        self.view.pan_to(left - (event.x - x0), top - (event.y - y0))

    def _released(self, event: tk.Event) -> None:
        view = self.view
        if self._corner is not None:
            end = self.view.pixel_near(event.x, event.y)
            view.rubber_band(self._corner, end if end is not None else self._corner, True)
            self._corner = None
            self._press = None
            self._dragging = False
            return
        if self._press is not None and not self._dragging:
            where = view.pixel_at(event.x, event.y)
            view.pin(None if view.pinned() is not None or where is None else where)
        self._press = None
        self._dragging = False

    def _wheel(self, event: tk.Event) -> None:
        view = self.view
        up = getattr(event, "num", 0) == 4 or getattr(event, "delta", 0) > 0
        if int(event.state) & _CONTROL:
            (view.zoom_in if up else view.zoom_out)((event.x, event.y))
        elif view.pannable():
            step = SCROLL_LINES * tkfont.nametofont("TkDefaultFont").metrics("linespace") * (-1 if up else 1)
            left, top = view.canvas.canvasx(0), view.canvas.canvasy(0)
            if int(event.state) & _SHIFT:
                view.pan_to(left + step, top)
            else:
                view.pan_to(left, top + step)
        else:
            return
        view.hover(view.pixel_at(event.x, event.y))

