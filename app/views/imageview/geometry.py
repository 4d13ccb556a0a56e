"""Where an image sits on the image view's canvas (no Tk): fitted and centred in the window, or zoomed
with the canvas's scroll region spanning the zoomed image (centred where it is smaller than the window).
Canvas coordinates here are Tk's: window coordinates plus the scroll offset."""

from __future__ import annotations

from dataclasses import dataclass

from .display import fit_size, zoomed_size


@dataclass(frozen=True)
class Placement:
    """An image of image_size in a window of box, at scale (None: fitted to the window)."""

    image_size: tuple[int, int]
    box: tuple[int, int]
    scale: float | None

    def _origin_and_factors(self) -> tuple[float, float, float, float]:
        """The canvas point of the image's top left, and canvas pixels per image pixel along x and y."""
        width, height = self.image_size
        if self.scale is not None:  # the zoomed size is rounded to whole pixels: use its true ratio
            zoomed = zoomed_size(self.image_size, self.scale)
            return 0.0, 0.0, zoomed[0] / width, zoomed[1] / height
        shown = fit_size(self.image_size, self.box)
        left, top = (self.box[0] - shown[0]) // 2, (self.box[1] - shown[1]) // 2
        return left, top, shown[0] / width, shown[1] / height

    @property
    def factors(self) -> tuple[float, float]:
        return self._origin_and_factors()[2:]

    def region(self) -> tuple[int, int, int, int]:
        """The zoomed scroll region: the zoomed image, centred in the window where it is smaller."""
        assert self.scale is not None
        width, height = zoomed_size(self.image_size, self.scale)
        x0, y0 = min(0, (width - self.box[0]) // 2), min(0, (height - self.box[1]) // 2)
        return x0, y0, x0 + max(width, self.box[0]), y0 + max(height, self.box[1])

    def to_image(self, cx: float, cy: float) -> tuple[float, float]:
        """The image point (fractional) at canvas point (cx, cy)."""
        left, top, sx, sy = self._origin_and_factors()
        return (cx - left) / sx, (cy - top) / sy

    def to_canvas(self, x: float, y: float) -> tuple[float, float]:
        """The canvas point of image point (x, y)."""
        left, top, sx, sy = self._origin_and_factors()
        return left + x * sx, top + y * sy
