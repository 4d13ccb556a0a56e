"""The compare panel's tolerances: a threshold, the pixels allowed to differ, anti-aliasing, PSNR and
SSIM, and the ignore regions (drawn with the mouse on the image, listed, removable). It turns what is
typed into a Tolerances or a sentence saying what is wrong; it knows nothing of comparing."""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk

from ...golden import Region, ToleranceError, Tolerances
from ..widgets.theme import units
from ..widgets.tooltip import add_tooltip
from .compare_model import describe_region

TIPS = {
    "threshold": "How different two colours may be and still count as equal: 0 is exact; pixelmatch's "
                 "default is 0.1 (its YIQ measure, colours blended over white)",
    "allowed": "How many pixels may differ beyond the threshold and the comparison still passes",
    "aa": "Also leave out pixels that look like anti-aliasing (pixelmatch's detection)",
    "metrics": "Also measure PSNR (R, G, B) and SSIM (luma); slower on big images",
    "draw": "Drag a rectangle on the image: its pixels are left out of the comparison",
    "save": "Keep these tolerances and regions beside the expected file (NAME.imgshare.json), where "
            "imgshare compare and pytest read them too",
}


class TolerancesBox(ttk.Frame):
    """`box.tolerances()` (ToleranceError when a field is wrong); `box.set(tolerances)` fills the fields;
    on_change hears every change, on_draw(True/False) when region drawing starts or ends."""

    def __init__(self, master: tk.Misc):
        super().__init__(master)
        u = units(self)
        self.on_change: Callable[[], None] = lambda: None
        self.on_draw: Callable[[bool], None] = lambda drawing: None
        self.on_save: Callable[[], None] = lambda: None
        self.threshold_var = tk.StringVar(self, "0")
        self.allowed_var = tk.StringVar(self, "0")
        self.aa_var = tk.BooleanVar(self, False)
        self.metrics_var = tk.BooleanVar(self, False)
        self.drawing_var = tk.BooleanVar(self, False)
        self._regions: list[Region] = []
        self._mask: str | None = None
        self._ratio = 0.0
        self._deep = 0.0
        ttk.Label(self, text="Threshold").grid(row=0, column=0, sticky="w")
        # entries, not spinboxes: ttk's spin arrows stay 1x at 192 dpi, and these values are typed
        self.threshold = ttk.Entry(self, width=7, textvariable=self.threshold_var)
        self.threshold.grid(row=0, column=1, sticky="w", padx=(u.pad, 0))
        ttk.Label(self, text="Pixels allowed").grid(row=1, column=0, sticky="w")
        self.allowed = ttk.Entry(self, width=7, textvariable=self.allowed_var)
        self.allowed.grid(row=1, column=1, sticky="w", padx=(u.pad, 0))
        for entry in (self.threshold, self.allowed):
            entry.bind("<Return>", lambda _e: self._changed())
            entry.bind("<FocusOut>", lambda _e: self._changed())
        self.aa_check = ttk.Checkbutton(self, text="Ignore anti-aliasing", variable=self.aa_var,
                                        command=self._changed)
        self.aa_check.grid(row=2, column=0, columnspan=2, sticky="w")
        self.metrics_check = ttk.Checkbutton(self, text="PSNR and SSIM", variable=self.metrics_var,
                                             command=self._changed)
        self.metrics_check.grid(row=3, column=0, columnspan=2, sticky="w")
        ttk.Label(self, text="Ignored regions").grid(row=4, column=0, columnspan=2, sticky="w", pady=(u.pad, 0))
        # a Treeview, not a classic Listbox: the theme colours it like every other field
        self.region_list = ttk.Treeview(self, show="tree", height=3, selectmode="extended")
        self.region_list.column("#0", width=u.char * 18, stretch=True)
        self.region_list.grid(row=5, column=0, columnspan=2, sticky="ew")
        buttons = ttk.Frame(self)
        buttons.grid(row=6, column=0, columnspan=2, sticky="w", pady=(u.pad, 0))
        self.draw_button = ttk.Checkbutton(buttons, text="Draw a region", variable=self.drawing_var,
                                           command=lambda: self.on_draw(self.drawing_var.get()))
        self.draw_button.grid(row=0, column=0)
        self.remove_button = ttk.Button(buttons, text="Remove", command=self.remove_selected, state="disabled")
        self.remove_button.grid(row=0, column=1, padx=(u.pad, 0))
        self.save_button = ttk.Button(buttons, text="Save beside expected", command=lambda: self.on_save(),
                                      state="disabled")
        self.save_button.grid(row=1, column=0, columnspan=2, sticky="w", pady=(u.pad, 0))
        self.region_list.bind("<<TreeviewSelect>>", lambda _e: self._selection_changed())
        self.region_list.bind("<Delete>", lambda _e: self.remove_selected())
        for widget, tip in ((self.threshold, "threshold"), (self.allowed, "allowed"), (self.aa_check, "aa"),
                            (self.metrics_check, "metrics"), (self.draw_button, "draw"), (self.save_button, "save")):
            add_tooltip(widget, TIPS[tip])
        self._last: Tolerances | None = None
        self._last_metrics = False

    # -- what the fields say -----------------------------------------------------------------------
    def tolerances(self) -> Tolerances:
        try:
            threshold = float(self.threshold_var.get().strip() or 0)
        except ValueError:
            raise ToleranceError(f"the threshold {self.threshold_var.get()!r} is not a number") from None
        try:
            allowed = int(self.allowed_var.get().strip() or 0)
        except ValueError:
            raise ToleranceError(f"the pixels allowed {self.allowed_var.get()!r} is not a whole number") from None
        return Tolerances(threshold=threshold, antialiasing=self.aa_var.get(), max_diff_pixels=allowed,
                          max_diff_ratio=self._ratio, deep_tolerance=self._deep, ignore=tuple(self._regions),
                          mask=self._mask)

    @property
    def metrics(self) -> bool:
        return bool(self.metrics_var.get())

    def set(self, tolerances: Tolerances) -> None:
        """Show tolerances (a sidecar's) in the fields, without announcing a change."""
        self.threshold_var.set(f"{tolerances.threshold:g}")
        self.allowed_var.set(str(tolerances.max_diff_pixels))
        self.aa_var.set(tolerances.antialiasing)
        self._ratio, self._deep, self._mask = tolerances.max_diff_ratio, tolerances.deep_tolerance, tolerances.mask
        self._regions = list(tolerances.ignore)
        self._refill()
        self._last = tolerances

    def enable_saving(self, on: bool) -> None:
        self.save_button.configure(state="normal" if on else "disabled")

    # -- regions -----------------------------------------------------------------------------------
    @property
    def regions(self) -> list[Region]:
        return list(self._regions)

    def add_region(self, region: Region) -> None:
        self._regions.append(region)
        self._refill()
        self.region_list.selection_set(self.region_list.get_children()[-1:])
        self._selection_changed()
        self._changed()

    def remove_selected(self) -> None:
        rows = self.region_list.get_children()
        chosen = [rows.index(item) for item in self.region_list.selection()]
        if not chosen:
            return
        self._regions = [r for n, r in enumerate(self._regions) if n not in chosen]
        self._refill()
        self._selection_changed()
        self._changed()

    def region_texts(self) -> list[str]:
        """The rows of the list, as shown."""
        return [str(self.region_list.item(item, "text")) for item in self.region_list.get_children()]

    def _refill(self) -> None:
        self.region_list.delete(*self.region_list.get_children())
        for region in self._regions:
            self.region_list.insert("", "end", text=describe_region(region))

    def _selection_changed(self) -> None:
        self.remove_button.configure(state="normal" if self.region_list.selection() else "disabled")

    def _changed(self) -> None:
        try:
            now = self.tolerances()
        except ToleranceError:
            self.on_change()  # the panel says what is wrong
            return
        if now != self._last or self.metrics != self._last_metrics:
            self._last, self._last_metrics = now, self.metrics
            self.on_change()
