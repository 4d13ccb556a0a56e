"""GUI test fixtures: a 24-bit Xvfb the suite starts itself, apps built on real Tk roots, and a check
that fails the test if any Tk callback raised."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tkinter as tk

import pytest

from imgshare.views.window.app import build_app
from tests.conftest import wait_until
from tests.gui.support import pump_until
from tests.qt.conftest import qt_env  # noqa: F401  (the Qt tests' fixture, for the tabs' Qt mode)

SCREEN = (1280, 800)
HIDPI_SCREEN = (2560, 1600)  # a 192-dpi screen: twice the pixels of SCREEN at twice the density


@pytest.fixture(scope="session", autouse=True)
def xdisplay(tmp_path_factory):
    """A private Xvfb :N at 1280x800x24, 96 dpi (24-bit so ImageGrab works) for the whole GUI session.

    Always our own server, even on a desktop: tests type with xdotool and read the clipboard, which
    must never reach a user's real session. IMGSHARE_TEST_DISPLAY=:N uses that display instead.
    """
    saved = {name: os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_STATE_HOME",
                                                     "XDG_CONFIG_HOME")}
    os.environ.pop("WAYLAND_DISPLAY", None)  # clipboard tools must talk to our X server
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))  # crash logs stay in tmp
    server = None
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("config"))  # settings stay in tmp
    if os.environ.get("IMGSHARE_TEST_DISPLAY"):
        os.environ["DISPLAY"] = os.environ["IMGSHARE_TEST_DISPLAY"]
    else:
        server, number = _start_xvfb(SCREEN, 96)
        os.environ["DISPLAY"] = f":{number}"
    yield os.environ["DISPLAY"]
    if server is not None:
        server.terminate()
        server.wait(10)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _abstract_free(number: int) -> bool:
    """Whether X display number's Linux abstract socket is unused. Xlib tries it before the file in
    /tmp/.X11-unix, and it is shared by every /tmp namespace on the host, so check both."""
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.bind(f"\0/tmp/.X11-unix/X{number}")
            return True
        except OSError:
            return False


@pytest.fixture(scope="session")
def hidpi_display(xdisplay):
    """A second private Xvfb, 2560x1600 at 192 dpi, for the tests that check the window there."""
    server, number = _start_xvfb(HIDPI_SCREEN, 192)
    yield f":{number}"
    server.terminate()
    server.wait(10)


def _start_xvfb(size: tuple[int, int], dpi: int) -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display number and wait until it accepts clients."""
    if shutil.which("Xvfb") is None:
        pytest.fail("the GUI tests need Xvfb: run scripts/bootstrap test,gui (or apt-get install xvfb)")
    for number in random.sample(range(100, 1000), 20):
        if os.path.exists(f"/tmp/.X{number}-lock") or not _abstract_free(number):
            continue
        server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{size[0]}x{size[1]}x24",
                                   "-dpi", str(dpi), "-nolisten", "tcp"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def settled(server: subprocess.Popen = server, number: int = number) -> str | None:
            """'up' once it accepts clients, 'died' if it exited (the number was taken meanwhile)."""
            if server.poll() is not None:
                return "died"
            return "up" if os.path.exists(f"/tmp/.X11-unix/X{number}") and not _abstract_free(number) else None
        if wait_until(settled, 10, f"Xvfb :{number} to accept clients", step=0.05) == "up":
            return server, str(number)
        server.kill()
        server.wait()
    pytest.fail("Xvfb did not start on any free display number")


@pytest.fixture(params=[96, 192], ids=["96dpi", "192dpi"])
def dpi(request):
    """Run a test at 96 and at 192 dpi (use with make_app(screen=dpi_screen))."""
    return request.param


@pytest.fixture
def dpi_screen(dpi, request):
    """The X display of the dpi fixture's screen."""
    return request.getfixturevalue("hidpi_display") if dpi == 192 else os.environ["DISPLAY"]


@pytest.fixture
def make_app():
    """make_app(key=..., send_file=..., receive=...) builds the real window on a fresh Tk root;
    screen=":N" opens it on another X display (the 192-dpi one), size=None keeps the window's own size.

    After the test every app is closed, and the test fails if any Tk callback raised in it (the app's
    report_callback_exception records them; a test that provokes one on purpose clears the list).
    """
    apps = []

    def make(screen=None, size="1000x680", **options):
        display = os.environ["DISPLAY"]
        root = tk.Tk(className="imgshare", screenName=screen or display)
        # Tk writes the display it opened into the process's environment (Tcl's env array is the C
        # environ): put ours back, or later roots and child processes would open the other screen
        os.environ["DISPLAY"] = display
        app = build_app(root, **options)
        root.geometry(f"{size}+0+0" if size else "+0+0")
        apps.append(app)
        pump_until(app, root.winfo_viewable, what="the window to appear")
        return app

    yield make
    errors = [exc for app in apps for exc in app.callback_errors]
    for app in apps:
        app.close()
    assert not errors, f"Tk callbacks raised: {errors!r}"
