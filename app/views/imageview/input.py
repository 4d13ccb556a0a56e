"""Mouse and keys on an image view: hover to inspect and click to pin a pixel, drag to pan, the wheel
(Shift: sideways) to scroll, Ctrl+wheel and the zoom keys to zoom. This only turns events into the
view's calls, which it gets as a ViewControls of callables; the view keeps the zoom, the pixel and the
drawing."""

from __future__ import annotations

import math
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from tkinter import font as tkfont

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


class ViewInput:
    """Binds the view's canvas; holds only the state of a press in progress."""

    def __init__(self, view: ViewControls):
        self.view = view
        self._press: tuple[int, int, float, float] | None = None  # where, and the view's top left then
        self._dragging = False
        canvas = view.canvas
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>"):
            canvas.bind(sequence, self._wheel)
        canvas.bind("<Motion>", self._motion)
        canvas.bind("<ButtonPress-1>", self._pressed)
        canvas.bind("<B1-Motion>", self._dragged)
        canvas.bind("<ButtonRelease-1>", self._released)
        keys: list[tuple[tuple[str, ...], Callable[[], None]]] = [
            (("<Control-plus>", "<Control-equal>", "<Control-KP_Add>"), lambda: view.zoom_in(None)),
            (("<Control-minus>", "<Control-KP_Subtract>"), lambda: view.zoom_out(None)),
            (("<Control-Key-0>", "<Control-KP_0>", "<Control-KP_Insert>"), view.zoom_fit),
            (("<Control-Key-1>", "<Control-KP_1>", "<Control-KP_End>"), lambda: view.zoom_actual(None)),
            (("<Escape>",), lambda: view.pin(None)),
        ]
        for sequences, action in keys:
            for sequence in sequences:
                # "break": a window-wide binding of the same shortcut (a menu accelerator) must not
                # zoom a second time when the view has the focus
                canvas.bind(sequence, _key_handler(action))

    def _motion(self, event: tk.Event) -> None:
        self.view.hover(self.view.pixel_at(event.x, event.y))

    def _pressed(self, event: tk.Event) -> None:
        canvas = self.view.canvas
        canvas.focus_set()  # so the zoom keys and Escape reach the view
        self._press = (event.x, event.y, canvas.canvasx(0), canvas.canvasy(0))
        self._dragging = False

    def _dragged(self, event: tk.Event) -> None:
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


def _key_handler(action: Callable[[], None]) -> Callable[[tk.Event], str]:
    def handle(_event: tk.Event) -> str:
        action()
        return "break"
    return handle
