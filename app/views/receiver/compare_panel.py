"""The Receiver tab's compare panel: "Compare with file..." loads an expected image (with the tolerances
kept beside it) and says whether the received image passes: pixel-exact, within the tolerances, or how
many pixels differ and by how much, with PSNR and SSIM when asked. It shows where (the differing pixels
highlighted, never smaller than a screen pixel), steps from one difference to the next, zooms to them,
blinks or sets the two images side by side, lets regions be drawn on the image and left out, and
accepts the received image as the new golden. While following, each new frame is compared.

The work runs in the panel's own worker (compare_model.py), with progress; a burst of frames compares
only the newest.
"""

from __future__ import annotations

import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import TYPE_CHECKING

from PIL import Image

from ...golden import ToleranceError
from ...golden.highlight import HIGHLIGHT, difference_overlay, tint_regions
from ...image16 import Image16
from ...ipc import ImgShareError
from ..background.inbox import Inbox
from ..background.worker import Worker
from ..imageview.display import display_base
from ..imageview.render import MarkedOverlay, Overlay
from ..imageview.view import ImageView
from ..widgets.theme import units
from ..widgets.tooltip import add_tooltip
from . import compare_model as model
from .compare_dialogs import ask_accept, ask_expected_path, ask_folders, open_report
from .compare_tolerances import TolerancesBox
from .compare_views import Blinker, SideBySide

if TYPE_CHECKING:
    from ...golden.result import CompareResult

PANEL_CHARS = 28  # text wraps at this many characters of the default font
DIFFERENCE_ZOOM = 8.0  # Next / Previous difference zoom in at least this far (800%)

TIPS = {
    "previous": "Go to the differing pixel before the pinned one (zoomed in, pinned for the inspector)",
    "next": "Go to the next differing pixel (zoomed in, pinned for the inspector)",
    "zoom": "Zoom to the rectangle around every differing pixel",
    "blink": "Flip the view between the expected and the received image",
    "side": "Open a window with the expected and the received image side by side",
    "accept": "Write the received image over the expected file: it becomes the new golden",
    "folders": "Compare every image of a folder with the one of the same name in a folder of goldens, "
               "and write a report (index.html, report.json, junit.xml)",
}


class ComparePanel(ttk.Frame):
    """`ComparePanel(master, view, get_received)`; the tab calls refresh() on each new followed frame.
    `ask_open_path` and `ask_accept` may be replaced (tests answer them); on_result hears each sentence."""

    def __init__(self, master: tk.Misc, view: ImageView, get_received: Callable[[], Image.Image | Image16 | None]):
        super().__init__(master)
        u = units(self)
        self.view = view
        self.get_received = get_received
        self.ask_open_path: Callable[[tk.Misc], str] = ask_expected_path
        self.ask_accept: Callable[[tk.Misc, str], bool] = ask_accept
        self.ask_folders: Callable[[tk.Misc], tuple[str, str, str] | None] = ask_folders
        self.open_report: Callable[[str], None] = open_report
        self.on_result: Callable[[str], None] | None = None
        self.outcome: model.Outcome | None = None
        self.compared = 0  # comparisons put on screen (tests wait on it)
        self._stale = False
        self._expected_base: Image.Image | None = None
        self._side: SideBySide | None = None
        self.batch_done: model.BatchDone | None = None  # the last folder comparison (tests read it)
        wrap = u.char * PANEL_CHARS
        self.compare_button = ttk.Button(self, text="Compare with file...", command=self.choose)
        self.compare_button.grid(row=0, column=0, sticky="w")
        self.clear_button = ttk.Button(self, text="Stop comparing", command=self.clear, state="disabled")
        self.clear_button.grid(row=0, column=1, sticky="w", padx=(u.pad, 0))
        self.folders_button = ttk.Button(self, text="Compare folders...", command=self.compare_folders)
        self.folders_button.grid(row=11, column=0, columnspan=2, sticky="w", pady=(u.pad * 3, 0))
        self.expected_var = tk.StringVar(self, "No expected image")
        ttk.Label(self, textvariable=self.expected_var, style="Muted.TLabel", wraplength=wrap).grid(
            row=1, column=0, columnspan=2, sticky="w")
        ttk.Label(self, text="Tolerances").grid(row=9, column=0, columnspan=2, sticky="w", pady=(u.pad * 3, 0))
        self.tolerances = TolerancesBox(self)
        self.tolerances.grid(row=10, column=0, columnspan=2, sticky="ew", pady=(u.pad, 0))
        self.tolerances.on_change = self._tolerances_changed
        self.tolerances.on_draw = self._drawing
        self.tolerances.on_save = self.save_tolerances
        self.progress = ttk.Progressbar(self, mode="determinate", maximum=1.0)
        self.progress.grid(row=2, column=0, columnspan=2, sticky="ew", pady=(u.pad, 0))
        self.progress.grid_remove()
        self.result_var = tk.StringVar(self, "")
        self.result_label = ttk.Label(self, textvariable=self.result_var, wraplength=wrap)
        self.result_label.grid(row=3, column=0, columnspan=2, sticky="w", pady=(u.pad, 0))
        self.result_label.grid_remove()  # takes room only when there is a result
        self.result_var.trace_add("write", lambda *_: self._result_changed())
        self.box_var = tk.StringVar(self, "")
        ttk.Label(self, textvariable=self.box_var, style="Muted.TLabel", wraplength=wrap).grid(
            row=4, column=0, columnspan=2, sticky="w")
        steps = ttk.Frame(self)
        steps.grid(row=5, column=0, columnspan=2, sticky="w", pady=(u.pad, 0))
        self.previous_button = ttk.Button(steps, text="◀ Previous", command=self.previous_difference)
        self.next_button = ttk.Button(steps, text="Next ▶", command=self.next_difference)
        self.zoom_button = ttk.Button(steps, text="Zoom to differences", command=self.zoom_to_differences)
        self.previous_button.grid(row=0, column=0)
        self.next_button.grid(row=0, column=1, padx=(u.pad, 0))
        self.zoom_button.grid(row=1, column=0, columnspan=2, sticky="w", pady=(u.pad, 0))
        self.show_var = tk.BooleanVar(self, False)
        self.show_check = ttk.Checkbutton(self, text="Show differing pixels", variable=self.show_var,
                                          command=self._apply_overlay, state="disabled")
        self.show_check.grid(row=6, column=0, columnspan=2, sticky="w", pady=(u.pad, 0))
        self.blink_var = tk.BooleanVar(self, False)
        self.blink_check = ttk.Checkbutton(self, text="Blink expected and received", variable=self.blink_var,
                                           command=self._blink_toggled, state="disabled")
        self.blink_check.grid(row=7, column=0, columnspan=2, sticky="w")
        self.side_button = ttk.Button(self, text="Side by side", command=self.side_by_side, state="disabled")
        self.side_button.grid(row=8, column=0, sticky="w", pady=(u.pad, 0))
        self.accept_button = ttk.Button(self, text="Accept as expected...", command=self.accept, state="disabled")
        self.accept_button.grid(row=8, column=1, sticky="w", pady=(u.pad, 0), padx=(u.pad, 0))
        for widget, tip in ((self.folders_button, "folders"), (self.previous_button, "previous"),
                            (self.next_button, "next"), (self.zoom_button, "zoom"), (self.blink_check, "blink"),
                            (self.side_button, "side"), (self.accept_button, "accept")):
            add_tooltip(widget, TIPS[tip])
        self._blinker = Blinker(self, self._blink_phase)
        self._worker = Worker(self, "compare")
        self._inbox = Inbox(self)
        self._update_controls()
        self.bind("<Destroy>", self._destroyed)

    def _destroyed(self, event: tk.Event) -> None:
        if event.widget is self:
            self._worker.close()
            self._inbox.close()

    @property
    def result(self) -> CompareResult | None:
        return self.outcome.result if self.outcome is not None else None

    @property
    def busy(self) -> bool:
        """Whether a file is being loaded or a comparison made."""
        return self._worker.busy

    # -- starting work -----------------------------------------------------------------------------
    def choose(self) -> None:
        """Ask for the expected file, then load it (with its sidecar) and compare, in the worker."""
        received = self.get_received()
        if received is None:
            self._say("Receive an image first, then compare it with a file")
            return
        path = self.ask_open_path(self)
        if path:
            self._start("Comparing...")
            self._worker.submit(model.load_and_compare, path, received, None, self.tolerances.metrics,
                                self._progress_hook(), done=self._show_loaded, failed=self._failed)

    def refresh(self) -> None:
        """A new received image: compare it with the expected one (if any), the newest of a burst only."""
        received = self.get_received()
        outcome = self.outcome
        if outcome is None or received is None or received is outcome.received:
            return
        self._compare_again(received)

    def _compare_again(self, received: Image.Image | Image16) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        if self._worker.busy:
            self._stale = True
            return
        self._stale = False
        try:
            tolerances = self.tolerances.tolerances()
        except ToleranceError as exc:
            self.result_var.set(f"Cannot compare: {exc}")
            return
        self._start(None)
        self._worker.submit(model.run_compare, outcome.expected, received, tolerances, self.tolerances.metrics,
                            self._progress_hook(), done=self._show, failed=self._failed)

    def _tolerances_changed(self) -> None:
        received = self.get_received()
        if self.outcome is not None and received is not None:
            self._compare_again(received)
        elif self.outcome is not None:
            try:
                self.tolerances.tolerances()
            except ToleranceError as exc:
                self.result_var.set(f"Cannot compare: {exc}")
        self._apply_overlay()

    def _progress_hook(self) -> Callable[[float], None]:
        inbox = self._inbox
        return lambda done: inbox.post("progress", self._progressed, done, latest=True)

    def _start(self, text: str | None) -> None:
        if text:
            self.result_var.set(text)
        self.progress.configure(value=0)
        self.progress.grid()

    def _progressed(self, done: float) -> None:
        if self._worker.busy:
            self.progress.configure(value=done)

    def clear(self) -> None:
        """Forget the expected image and take the highlight off the view."""
        self.outcome = None
        self._stale = False
        self._expected_base = None
        self._blinker.stop()
        self.blink_var.set(False)
        self.expected_var.set("No expected image")
        self.result_var.set("")
        self.box_var.set("")
        self.show_var.set(False)
        self.tolerances.enable_saving(False)
        if self._side is not None and self._side.winfo_exists():
            self._side.destroy()
        self._side = None
        self._update_controls()
        self._apply_overlay()

    # -- results, on the Tk thread -----------------------------------------------------------------
    def _show_loaded(self, outcome: model.Outcome) -> None:
        self.tolerances.set(outcome.tolerances)  # the sidecar's, or exact
        self.tolerances.enable_saving(True)
        self._expected_base = display_base(outcome.expected.image)
        self._show(outcome)

    def _show(self, outcome: model.Outcome) -> None:
        self.progress.grid_remove()
        self.outcome = outcome
        self.compared += 1
        expected = outcome.expected.image
        self.expected_var.set(f"Expected: {outcome.name} ({expected.width}x{expected.height} {expected.mode})")
        summary = outcome.result.summary()
        self.result_var.set(summary[0].upper() + summary[1:])
        box = outcome.box
        self.box_var.set(f"Differences inside x {box[0]}–{box[2] - 1}, y {box[1]}–{box[3] - 1}" if box else "")
        self._update_controls()
        self._apply_overlay()
        if self._side is not None and self._side.winfo_exists():
            self._side.update_images(expected, outcome.received)
        self._say(f"Compared with {outcome.name}: {summary}")
        if self._stale:
            self.refresh()

    def _update_controls(self) -> None:
        outcome = self.outcome
        differing = bool(outcome is not None and outcome.walk.count)
        same_size = outcome is not None and outcome.received.size == outcome.expected.image.size
        for widget, on in ((self.clear_button, outcome is not None), (self.show_check, differing),
                           (self.previous_button, differing), (self.next_button, differing),
                           (self.zoom_button, differing), (self.blink_check, same_size),
                           (self.side_button, outcome is not None), (self.accept_button, outcome is not None)):
            widget.configure(state="normal" if on else "disabled")

    def _overlay(self) -> Overlay | None:
        outcome = self.outcome
        if outcome is not None and self._blinker.expected_shown and self._expected_base is not None:
            expected = self._expected_base
            return lambda base: expected
        regions = [r.box for r in self.tolerances.regions]
        mask = outcome.result.mask if outcome is not None and outcome.result.differing else None
        if self.show_var.get() and mask is not None:
            def paint(base: Image.Image) -> Image.Image:
                return tint_regions(difference_overlay(base, mask), regions)
            return MarkedOverlay(paint, mask, HIGHLIGHT)
        if regions and outcome is not None:
            return lambda base: tint_regions(base, regions)
        return None

    def _apply_overlay(self) -> None:
        self.view.set_overlay(self._overlay())

    def _failed(self, exc: BaseException) -> None:
        self.progress.grid_remove()
        if not isinstance(exc, ImgShareError):
            raise exc  # an internal error: the window's callback hook logs it and says where
        self.result_var.set(f"Cannot compare: {exc}")
        self._say(f"Cannot compare: {exc}")

    def _say(self, text: str) -> None:
        if self.on_result is not None:
            self.on_result(text)
        elif not self.result_var.get():
            self.result_var.set(text)

    def _result_changed(self) -> None:
        if self.result_var.get():
            self.result_label.grid()
        else:
            self.result_label.grid_remove()

    # -- finding the differences -------------------------------------------------------------------
    def next_difference(self) -> None:
        self._go(lambda walk, where: walk.after(where))

    def previous_difference(self) -> None:
        self._go(lambda walk, where: walk.before(where))

    def _go(self, step: Callable[[model.DifferenceWalk, tuple[int, int] | None], tuple[int, int] | None]) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        where = step(outcome.walk, self.view.pinned)
        if where is None:
            return
        scale = self.view.scale if not self.view.fitted and self.view.scale >= DIFFERENCE_ZOOM else DIFFERENCE_ZOOM
        self.view.look_at(where[0], where[1], scale)
        self._say(f"Difference at x {where[0]}, y {where[1]} (of {outcome.walk.count})")

    def zoom_to_differences(self) -> None:
        box = self.outcome.box if self.outcome is not None else None
        if box is not None:
            self.view.look_at_box(box)

    # -- regions, blinking, side by side, accepting ------------------------------------------------
    def _drawing(self, on: bool) -> None:
        self.view.on_rectangle = self._rectangle_drawn if on else None
        if on:
            self._say("Drag a rectangle on the image: its pixels are left out of the comparison")

    def _rectangle_drawn(self, first: tuple[int, int], second: tuple[int, int]) -> None:
        self.tolerances.drawing_var.set(False)
        self.view.on_rectangle = None
        region = model.region_from_corners(first, second)
        self.tolerances.add_region(region)
        self._say(f"Ignoring {model.describe_region(region)}")

    def save_tolerances(self) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        try:
            path = model.save_tolerances(outcome.expected, self.tolerances.tolerances())
        except ImgShareError as exc:
            self._say(f"Cannot save the tolerances: {exc}")
            return
        self._say(f"Saved the tolerances and regions of {outcome.name} in {path}")

    def _blink_toggled(self) -> None:
        if self.blink_var.get():
            self._blinker.start()
        else:
            self._blinker.stop()

    def _blink_phase(self, expected_shown: bool) -> None:
        self._apply_overlay()

    def side_by_side(self) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        if self._side is not None and self._side.winfo_exists():
            self._side.lift()
            return
        self._side = SideBySide(self.winfo_toplevel(), outcome.expected.image, outcome.name, outcome.received)

    def compare_folders(self) -> None:
        """Ask for the folders, then compare them in the worker with progress, write the report and open it."""
        folders = self.ask_folders(self)
        if folders is None:
            return
        self._start(None)
        self.folders_button.configure(state="disabled")
        self._say(f"Comparing the images of {folders[0]} with {folders[1]}...")
        self._worker.submit(model.run_folders, *folders, self.tolerances.metrics, self._progress_hook(),
                            done=self._folders_done, failed=self._folders_failed)

    def _folders_done(self, done: model.BatchDone) -> None:
        self.progress.grid_remove()
        self.folders_button.configure(state="normal")
        self.batch_done = done
        self._say(f"{done.failed} failed, {done.passed} passed; the report is {done.index}")
        self.open_report(done.index)

    def _folders_failed(self, exc: BaseException) -> None:
        self.folders_button.configure(state="normal")
        self.progress.grid_remove()
        if not isinstance(exc, ImgShareError):
            raise exc
        self._say(f"Cannot compare the folders: {exc}")

    def accept(self) -> None:
        """After confirmation, write the received image over the golden, then compare again."""
        outcome = self.outcome
        received = self.get_received()
        if outcome is None or received is None:
            return
        try:
            tolerances = self.tolerances.tolerances()
        except ToleranceError as exc:
            self.result_var.set(f"Cannot compare: {exc}")
            return
        path = outcome.expected.path
        if not self.ask_accept(self, path):
            return
        self._start("Writing the new golden...")
        self._worker.submit(model.accept_and_compare, received, path, tolerances, self.tolerances.metrics,
                            done=self._accepted, failed=self._failed)

    def _accepted(self, outcome: model.Outcome) -> None:
        self._expected_base = display_base(outcome.expected.image)
        self._show(outcome)
        self._say(f"Accepted the received image as {outcome.expected.path}")
