"""What the image view's worker thread draws (no Tk): the display copy with the value mapping and the
overlay applied, the visible part of it at a zoom level, or all of it fitted to the window.

Everything expensive is cached per image (the mapped copy, a copy reduced for fitting, copies halved
for small zooms), so a zoom step or a scroll costs only the pixels it shows. A Renderer belongs to one
worker thread; nothing else touches it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from ...image16 import Image16
from .display import DEEP_MODES, ValueMapping, display_base, reduction_for, render_fit, render_zoomed, zoomed_size

FIT_SOURCE_MAX = (2560, 1600)  # fit renders start from a copy reduced to about this size

Overlay = Callable[[Image.Image], Image.Image]  # display base -> what is shown instead (compare)


class MarkedOverlay:
    """An overlay with marked pixels (the differences of a comparison) that stay visible however far
    the view zooms out: each marked pixel covers at least one screen pixel, in colour."""

    def __init__(self, paint: Overlay, marks: Any, colour: tuple[int, int, int]):
        self._paint = paint
        self.marks = marks  # (H, W) bool numpy array
        self.colour = colour
        self._where: tuple[Any, ...] | None = None

    def __call__(self, base: Image.Image) -> Image.Image:
        return self._paint(base)

    def keep_visible(self, shown: Image.Image, sx: float, sy: float, left: int = 0, top: int = 0) -> Image.Image:
        """shown (the image drawn at sx, sy, from zoomed pixel left, top) with every marked pixel's
        screen pixel painted, so none is averaged away by scaling down."""
        if sx >= 1 and sy >= 1:
            return shown
        import numpy as np  # only here: the window runs without numpy; comparing (which needs it) made marks
        where = self._where
        if where is None:
            where = self._where = np.nonzero(self.marks)  # in the worker: once per comparison
        ys, xs = where
        ox, oy = (xs * sx).astype(np.int64) - left, (ys * sy).astype(np.int64) - top
        inside = (ox >= 0) & (ox < shown.width) & (oy >= 0) & (oy < shown.height)
        if not inside.any():
            return shown
        pixels = np.array(shown.convert("RGB"))
        pixels[oy[inside], ox[inside]] = self.colour
        return Image.fromarray(pixels, "RGB")


@dataclass(frozen=True, eq=False)
class Inputs:
    """What a render starts from: the display copy, the image itself, the value mapping, the overlay."""

    base: Image.Image
    source: Image.Image | Image16 | None  # 16-bit colour (an Image16) always shows its display copy
    mapping: ValueMapping
    overlay: Overlay | None

    def same_as(self, other: Inputs) -> bool:
        return (self.base is other.base and self.source is other.source and self.mapping == other.mapping
                and self.overlay is other.overlay)


class Renderer:
    """`renderer.zoomed(inputs, scale, region)` or `renderer.fit(inputs, box)`, in the worker thread."""

    def __init__(self) -> None:
        self._prepared: tuple[Inputs, Image.Image] | None = None
        self._reduced: tuple[Image.Image, Image.Image] | None = None  # (shown, reduced for fitting)
        self._halved: dict[int, Image.Image] = {}  # factor -> shown reduced by it (1: shown itself)

    def shown(self, inputs: Inputs) -> Image.Image:
        """The display copy with a chosen value window and the overlay applied (cached per inputs)."""
        if self._prepared is not None and self._prepared[0].same_as(inputs):
            return self._prepared[1]
        shown = inputs.base
        source = inputs.source
        if isinstance(source, Image.Image) and not inputs.mapping.auto and source.mode in DEEP_MODES:
            shown = display_base(source, inputs.mapping)
        if inputs.overlay is not None:
            shown = inputs.overlay(shown)
        self._prepared = (inputs, shown)
        return shown

    def zoomed(self, inputs: Inputs, scale: float, region: tuple[int, int, int, int]) -> Image.Image:
        """The visible part at scale; small zooms start from a reduced copy (made once per image and
        factor, each from the one before, so zooming out an 8K image never rescales all of it per step)."""
        shown = self.shown(inputs)
        factor = reduction_for(scale)
        if factor == 1:
            drawn = render_zoomed(shown, scale, region)
        else:
            if self._halved.get(1) is not shown:
                self._halved = {1: shown}
            if factor not in self._halved:
                larger = max(f for f in self._halved if f < factor)
                self._halved[factor] = self._halved[larger].reduce(factor // larger)
            drawn = render_zoomed(shown, scale, region, (self._halved[factor], factor))
        if isinstance(inputs.overlay, MarkedOverlay):
            width, height = zoomed_size(shown.size, scale)
            drawn = inputs.overlay.keep_visible(drawn, width / shown.width, height / shown.height,
                                                max(0, region[0]), max(0, region[1]))
        return drawn

    def fit(self, inputs: Inputs, box: tuple[int, int]) -> Image.Image:
        """All of it scaled to fit box, from a reduced copy of a huge image (made once per image)."""
        shown = self.shown(inputs)
        if self._reduced is None or self._reduced[0] is not shown:
            factor = max(1, min(shown.width // FIT_SOURCE_MAX[0], shown.height // FIT_SOURCE_MAX[1]))
            self._reduced = (shown, shown.reduce(factor) if factor > 1 else shown)
        source = self._reduced[1] if max(box) * 2 <= max(self._reduced[1].size) else shown
        drawn = render_fit(source, box)
        if isinstance(inputs.overlay, MarkedOverlay):
            drawn = inputs.overlay.keep_visible(drawn, drawn.width / shown.width, drawn.height / shown.height)
        return drawn
