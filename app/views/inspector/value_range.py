"""The value range of a 16-bit, 32-bit or float image and how it is mapped to grey for display: auto
(its own minimum..maximum) or a window low..high that the user types."""

from __future__ import annotations

import math
import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk

from ..imageview.display import AUTO, ValueMapping
from ..imageview.pixel import write_float
from ..imageview.view import ImageView


def parse_window(low: str, high: str) -> ValueMapping | str:
    """The window typed as low and high, or one sentence saying what is wrong with it."""
    try:
        lo, hi = float(low.strip()), float(high.strip())
    except ValueError:
        return "Type two numbers, low and high."
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "Low and high must be finite numbers."
    if hi <= lo:
        return "Low must be below high."
    return ValueMapping(lo, hi)


def write_value(value: float, integer: bool) -> str:
    return str(int(value)) if integer else write_float(value)


class ValueRangeControl(ttk.Frame):
    """Shows the values' range and the display mapping; Auto or Window (low, high, Apply) change it."""

    def __init__(self, master: tk.Misc, view: ImageView):
        super().__init__(master)
        self.view = view
        self._integer = True
        self._range: tuple[float, float] | None = None
        char = tkfont.nametofont("TkDefaultFont").measure("0")
        self.range_var = tk.StringVar(self, "-")
        self.mapping_var = tk.StringVar(self, "")
        self.message_var = tk.StringVar(self, "")
        self.choice = tk.StringVar(self, "auto")
        ttk.Label(self, text="Range:", style="Muted.TLabel").grid(row=0, column=0, sticky="w")
        ttk.Label(self, textvariable=self.range_var).grid(row=0, column=1, columnspan=3, sticky="w")
        self.auto_button = ttk.Radiobutton(self, text="Auto (min to max)", value="auto", variable=self.choice,
                                           command=self.use_auto)
        self.auto_button.grid(row=1, column=0, columnspan=4, sticky="w")
        self.window_button = ttk.Radiobutton(self, text="Window:", value="window", variable=self.choice,
                                             command=self._window_chosen)
        self.window_button.grid(row=2, column=0, sticky="w")
        self.low_entry = ttk.Entry(self, width=9)
        self.high_entry = ttk.Entry(self, width=9)
        self.low_entry.grid(row=2, column=1, sticky="w")
        ttk.Label(self, text="to").grid(row=2, column=2, padx=char // 2)
        self.high_entry.grid(row=2, column=3, sticky="w")
        self.apply_button = ttk.Button(self, text="Apply", command=self.apply)
        self.apply_button.grid(row=3, column=1, columnspan=3, sticky="w", pady=(char // 2, 0))
        for entry in (self.low_entry, self.high_entry):
            entry.bind("<Return>", lambda _e: self.apply())
        ttk.Label(self, textvariable=self.mapping_var, style="Muted.TLabel", wraplength=char * 28).grid(
            row=4, column=0, columnspan=4, sticky="w")
        self.message = ttk.Label(self, textvariable=self.message_var, wraplength=char * 28)
        self.message.grid(row=5, column=0, columnspan=4, sticky="w")
        self.message.grid_remove()  # shown only while there is something to say
        self.message_var.trace_add("write", lambda *_: self._message_changed())

    def _message_changed(self) -> None:
        if self.message_var.get():
            self.message.grid()
        else:
            self.message.grid_remove()

    def set_range(self, found: tuple[float, float] | None, integer: bool) -> None:
        """The image's own finite minimum and maximum (None when it has no finite value)."""
        self._range, self._integer = found, integer
        self.range_var.set("no finite values" if found is None else
                           f"{write_value(found[0], integer)} to {write_value(found[1], integer)}")
        self._describe()

    def use_auto(self) -> None:
        self.choice.set("auto")
        self.message_var.set("")
        self.view.set_mapping(AUTO)
        self._describe()

    def apply(self) -> None:
        """Map the typed window low..high to black..white."""
        mapping = parse_window(self.low_entry.get(), self.high_entry.get())
        if isinstance(mapping, str):
            self.message_var.set(mapping)
            return
        self.choice.set("window")
        self.message_var.set("")
        self.view.set_mapping(mapping)
        self._describe()

    def _window_chosen(self) -> None:
        """Start the window from what is shown now, so Apply changes nothing until edited."""
        if not self.low_entry.get() and self._range is not None:
            self.low_entry.insert(0, write_value(self._range[0], self._integer))
            self.high_entry.insert(0, write_value(self._range[1], self._integer))
        self.apply()

    def _describe(self) -> None:
        mapping = self.view.mapping
        if mapping.auto:
            window = self._range
            self.mapping_var.set("Shown flat grey (one value)" if window is None or window[1] <= window[0] else
                                 f"Shown: {write_value(window[0], self._integer)} black, "
                                 f"{write_value(window[1], self._integer)} white")
        else:
            assert mapping.low is not None and mapping.high is not None
            self.mapping_var.set(f"Shown: {write_float(mapping.low)} and below black, "
                                 f"{write_float(mapping.high)} and above white")
