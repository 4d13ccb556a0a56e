"""A canvas that shows an image scaled to fit (redrawn on resize) or at 1:1 with scroll bars.

Scaling and cropping run in the view's own worker, so a resize never waits behind a tab's IPC work;
only the finished PhotoImage is made on the Tk thread. The view keeps that PhotoImage referenced.
"""

from __future__ import annotations

import tkinter as tk
from tkinter import ttk

from PIL import Image, ImageTk

from .display import render_fit, render_region
from .worker import Worker

RESIZE_DEBOUNCE_MS = 40
RENDER_POLL_MS = 4  # followed frames come back from the render thread without a long wait
_FIT_SOURCE_MAX = (2560, 1600)  # fit renders start from a copy reduced to about this size


class ImageView(ttk.Frame):
    """`view.show(base)` with a display_base() image; `view.set_one_to_one(True)` for 1:1."""

    def __init__(self, master, minimum: tuple[int, int] = (128, 128), placeholder: str = ""):
        super().__init__(master)
        self.canvas = tk.Canvas(self, width=minimum[0], height=minimum[1], highlightthickness=0,
                                background="#3c3f41")
        self.xbar = ttk.Scrollbar(self, orient="horizontal", command=self._scrolled(self.canvas.xview))
        self.ybar = ttk.Scrollbar(self, orient="vertical", command=self._scrolled(self.canvas.yview))
        self.canvas.configure(xscrollcommand=self.xbar.set, yscrollcommand=self.ybar.set)
        self.canvas.grid(row=0, column=0, sticky="nsew")
        self.rowconfigure(0, weight=1, minsize=minimum[1])
        self.columnconfigure(0, weight=1, minsize=minimum[0])
        self._item = self.canvas.create_image(0, 0, anchor="nw")
        self._text = self.canvas.create_text(0, 0, text=placeholder, fill="#dddddd", justify="center")
        self.one_to_one = False
        self._base: Image.Image | None = None
        self._photo: ImageTk.PhotoImage | None = None
        self._generation = 0
        self._pending: str | None = None
        self._reduced: tuple[Image.Image, Image.Image] | None = None  # touched by the worker only
        self._stale = False  # a newer base arrived while a render was under way
        self.rendered = 0  # renders put on screen, for frame-rate meters and benchmarks
        self.on_rendered = None  # called after each render is put on screen
        self._worker = Worker(self, "render", poll_ms=RENDER_POLL_MS)
        self.canvas.bind("<Configure>", lambda _e: self._schedule(RESIZE_DEBOUNCE_MS))
        for sequence in ("<MouseWheel>", "<Button-4>", "<Button-5>", "<Shift-Button-4>", "<Shift-Button-5>"):
            self.canvas.bind(sequence, self._wheel)

    @property
    def displayed_size(self) -> tuple[int, int] | None:
        """The size of what is on screen now (None when nothing is)."""
        return (self._photo.width(), self._photo.height()) if self._photo is not None else None

    @property
    def rendering(self) -> bool:
        return self._worker.busy or self._pending is not None

    def show(self, base: Image.Image, keep_place: bool = False) -> None:
        """Show base; keep_place (follow mode) keeps the scroll position and, while a render is
        under way, only notes that base is next, so a burst of frames renders just the newest."""
        self._base = base
        self.canvas.itemconfigure(self._text, state="hidden")
        if not keep_place:
            self.canvas.xview_moveto(0)
            self.canvas.yview_moveto(0)
        elif self._worker.busy:
            self._stale = True
            return
        self._schedule(0)

    def set_one_to_one(self, on: bool) -> None:
        self.one_to_one = bool(on)
        self._schedule(0)

    def close(self) -> None:
        self._worker.close()

    # -- rendering ---------------------------------------------------------------------------------
    def _schedule(self, delay: int) -> None:
        if self._pending is not None:
            self.after_cancel(self._pending)
        self._pending = self.after(delay, self._render)

    def _render(self) -> None:
        self._pending = None
        self._stale = False
        box = self.canvas.winfo_width(), self.canvas.winfo_height()
        self.canvas.coords(self._text, box[0] // 2, box[1] // 2)
        base = self._base
        if base is None:
            return
        self._generation += 1
        generation = self._generation
        if self.one_to_one:
            self.xbar.grid(row=1, column=0, sticky="ew")
            self.ybar.grid(row=0, column=1, sticky="ns")
            self.canvas.configure(scrollregion=(0, 0, base.width, base.height))
            left, top = int(self.canvas.canvasx(0)), int(self.canvas.canvasy(0))
            region = (left, top, left + box[0], top + box[1])
            self._worker.submit(render_region, base, region,
                                done=lambda image: self._put(generation, image, (max(0, left), max(0, top))))
        else:
            self.xbar.grid_remove()
            self.ybar.grid_remove()
            self.canvas.configure(scrollregion=(0, 0, box[0], box[1]))
            self.canvas.xview_moveto(0)
            self.canvas.yview_moveto(0)
            self._worker.submit(self._fit, base, box, done=lambda image: self._put(generation, image, None))

    def _fit(self, base: Image.Image, box: tuple[int, int]) -> Image.Image:
        """In the worker: scale from a reduced copy of a huge base (made once per base)."""
        if self._reduced is None or self._reduced[0] is not base:
            factor = max(1, min(base.width // _FIT_SOURCE_MAX[0], base.height // _FIT_SOURCE_MAX[1]))
            self._reduced = (base, base.reduce(factor) if factor > 1 else base)
        source = self._reduced[1] if max(box) * 2 <= max(self._reduced[1].size) else base
        return render_fit(source, box)

    def _put(self, generation: int, image: Image.Image, at: tuple[int, int] | None) -> None:
        try:
            if generation != self._generation:
                return  # a newer render is on its way
            if at is None:  # fit: centre it in the canvas as it is now
                at = ((self.canvas.winfo_width() - image.width) // 2,
                      (self.canvas.winfo_height() - image.height) // 2)
            photo = self._photo
            if photo is not None and (photo.width(), photo.height()) == image.size and \
                    getattr(photo, "_imgshare_mode", None) == image.mode:
                photo.paste(image)  # same size: reuse the Tk image (no new allocation per frame)
            else:
                self._photo = ImageTk.PhotoImage(image, master=self)
                self._photo._imgshare_mode = image.mode
                self.canvas.itemconfigure(self._item, image=self._photo)
            self.canvas.coords(self._item, *at)
            self.rendered += 1
            if self.on_rendered is not None:
                self.on_rendered()
        finally:
            if self._stale and not self._worker.busy:
                self._schedule(0)

    # -- scrolling at 1:1 --------------------------------------------------------------------------
    def _scrolled(self, view):
        def scroll(*args):
            view(*args)
            if self.one_to_one:
                self._schedule(0)
        return scroll

    def _wheel(self, event) -> None:
        if not self.one_to_one:
            return
        step = -1 if getattr(event, "num", 0) == 4 or getattr(event, "delta", 0) > 0 else 1
        horizontal = bool(event.state & 0x1)
        self._scrolled(self.canvas.xview if horizontal else self.canvas.yview)("scroll", step * 3, "units")
