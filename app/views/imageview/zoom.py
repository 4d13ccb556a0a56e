"""Zoom levels for the image view (no Tk): the steps from 10% to 6400%, and how a level is written."""

from __future__ import annotations

# The steps Ctrl+plus and Ctrl+minus walk through, as factors (0.1 = 10%).
STEPS = (0.1, 0.15, 0.2, 0.25, 1 / 3, 0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0,
         32.0, 48.0, 64.0)
MIN_SCALE, MAX_SCALE = STEPS[0], STEPS[-1]
_SAME = 1.001  # factors closer than this count as the same step (fit levels land between steps)


def step_in(scale: float) -> float:
    """The next step above scale (scale itself at the top)."""
    return next((step for step in STEPS if step > scale * _SAME), max(scale, MAX_SCALE))


def step_out(scale: float) -> float:
    """The next step below scale (scale itself at the bottom)."""
    return next((step for step in reversed(STEPS) if step * _SAME < scale), min(scale, MIN_SCALE))


def percent(scale: float) -> str:
    """'400%', '33%', '0.8%': whole percents except below 10%."""
    value = scale * 100
    return f"{value:.0f}%" if value >= 9.95 else f"{value:.1f}%"


def zoom_text(scale: float, fit: bool) -> str:
    """What the window shows for a zoom level: 'Fit (23%)' or '400%'."""
    return f"Fit ({percent(scale)})" if fit else percent(scale)
