"""A screen of its own with a real window manager (openbox) on it, at 96 or 192 dpi: where the first
window is placed, how menus and dialogs look and take the focus, checked as a desktop shows them.

The screens live for the whole session (tests/gui/conftest.py's `desktop` fixture): a process that
opened a Tk window on an X server dies when that server goes, even after the window is destroyed."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import tkinter as tk
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from imgshare.views.window.app import App, build_app
from tests.conftest import wait_until
from tests.gui.support import pump_until, stop

SCREEN = (1280, 800)
HIDPI_SCREEN = (2560, 1600)  # a 192-dpi screen: twice the pixels of SCREEN at twice the density


@dataclass(frozen=True)
class Desktop:
    """An Xvfb screen with openbox managing its windows."""

    display: str
    dpi: int
    size: tuple[int, int]


@contextmanager
def openbox_desktop(dpi: int, start_xvfb) -> Iterator[Desktop]:
    """A fresh Xvfb (1280x800 at 96 dpi, 2560x1600 at 192) with openbox running; both stopped after."""
    if shutil.which("openbox") is None:
        pytest.fail("the window-manager tests need openbox: run scripts/bootstrap test,gui")
    size = HIDPI_SCREEN if dpi == 192 else SCREEN
    server, number = start_xvfb(size, dpi)
    display = f":{number}"
    said = tempfile.TemporaryFile()  # openbox's messages: why it ended, if it ends before managing
    manager = subprocess.Popen(["openbox", "--sm-disable"], env=dict(os.environ, DISPLAY=display),
                               stdout=subprocess.DEVNULL, stderr=said)
    try:
        wait_until(lambda: manager.poll() is not None or _managed(display), 15,
                   f"openbox to manage the screen {display}")
        if manager.returncode is not None:
            said.seek(0)
            pytest.fail(f"openbox ended (exit {manager.returncode}) before managing {display}: "
                        f"{said.read().decode(errors='replace').strip()!r}")
        yield Desktop(display, dpi, size)
    finally:
        for process in (manager, server):
            stop(process)
        said.close()


def _managed(display: str) -> bool:
    """Whether a window manager announced itself on the screen (_NET_SUPPORTING_WM_CHECK)."""
    result = subprocess.run(["xprop", "-display", display, "-root", "_NET_SUPPORTING_WM_CHECK"],
                            capture_output=True, text=True)
    return "window id" in result.stdout


def open_window(desktop: Desktop, **options: object) -> App:
    """The window as `imgshare` opens it (run_gui's build_app on a fresh root), on desktop's screen."""
    display = os.environ["DISPLAY"]
    root = tk.Tk(className="imgshare", screenName=desktop.display)
    os.environ["DISPLAY"] = display  # Tk wrote the other screen into the environment: put ours back
    app = build_app(root, **options)  # type: ignore[arg-type]
    pump_until(app, root.winfo_viewable, what="the window to appear")
    return app


@dataclass(frozen=True)
class Placed:
    """Where a toplevel is on the screen: its client window (content and menu bar) and the frame the
    window manager drew around it (0s until it has drawn one)."""

    x: int
    y: int
    width: int
    height: int
    frame: tuple[int, int, int, int]  # left, right, top, bottom

    def within(self, size: tuple[int, int]) -> bool:
        left, right, top, bottom = self.frame
        return (self.x - left >= 0 and self.y - top >= 0 and self.x + self.width + right <= size[0]
                and self.y + self.height + bottom <= size[1])


def placed(window: tk.Wm) -> Placed:
    """Where window is, as the X server and the window manager say (xwininfo, xprop)."""
    assert isinstance(window, tk.Misc)
    display = window.winfo_screen()
    tree = _run("xwininfo", "-display", display, "-children", "-id", str(window.winfo_id()))
    wrapper = tree.split("Parent window id:", 1)[1].split()[0]  # Tk's wrapper: the window manager's client
    info = _run("xwininfo", "-display", display, "-id", wrapper)
    fields = dict(line.strip().split(":", 1) for line in info.splitlines() if ":" in line)
    extents = _run("xprop", "-display", display, "-id", wrapper, "_NET_FRAME_EXTENTS")
    frame = tuple(int(v) for v in extents.split("=", 1)[1].split(",")) if "=" in extents else (0, 0, 0, 0)
    assert len(frame) == 4
    return Placed(int(fields["Absolute upper-left X"]), int(fields["Absolute upper-left Y"]),
                  int(fields["Width"]), int(fields["Height"]), frame)


def _run(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout
