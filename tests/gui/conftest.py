"""GUI test fixtures: a 24-bit Xvfb the suite starts itself, apps built on real Tk roots, and a check
that fails the test if any Tk callback raised."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import time
import tkinter as tk

import pytest

from imgshare.views.window import build_app
from tests.gui.support import pump_until

SCREEN = (1280, 800)


@pytest.fixture(scope="session", autouse=True)
def xdisplay(tmp_path_factory):
    """A private Xvfb :N at 1280x800x24 (24-bit so ImageGrab works) for the whole GUI session.

    Always our own server, even on a desktop: tests type with xdotool and read the clipboard, which
    must never reach a user's real session. IMGSHARE_TEST_DISPLAY=:N uses that display instead.
    """
    saved = {name: os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_STATE_HOME")}
    os.environ.pop("WAYLAND_DISPLAY", None)  # clipboard tools must talk to our X server
    os.environ["XDG_STATE_HOME"] = str(tmp_path_factory.mktemp("state"))  # crash logs stay in tmp
    server = None
    if os.environ.get("IMGSHARE_TEST_DISPLAY"):
        os.environ["DISPLAY"] = os.environ["IMGSHARE_TEST_DISPLAY"]
    else:
        if shutil.which("Xvfb") is None:
            pytest.fail("the GUI tests need Xvfb: run scripts/bootstrap test,gui (or apt-get install xvfb)")
        server, number = _start_xvfb()
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


def _start_xvfb() -> tuple[subprocess.Popen, str]:
    """Start Xvfb on a free display number and wait until it accepts clients."""
    for number in random.sample(range(100, 1000), 20):
        if os.path.exists(f"/tmp/.X{number}-lock") or not _abstract_free(number):
            continue
        server = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                                   "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while server.poll() is None and time.monotonic() < deadline:
            if os.path.exists(f"/tmp/.X11-unix/X{number}") and not _abstract_free(number):
                return server, str(number)
            time.sleep(0.05)
        server.kill()
        server.wait()
    pytest.fail("Xvfb did not start on any free display number")


@pytest.fixture
def make_app():
    """make_app(key=..., send_file=..., receive=...) builds the real window on a fresh Tk root.

    After the test every app is closed, and the test fails if any Tk callback raised in it (the app's
    report_callback_exception records them; a test that provokes one on purpose clears the list).
    """
    apps = []

    def make(**options):
        root = tk.Tk(className="imgshare")
        app = build_app(root, **options)
        root.geometry("1000x680+0+0")
        apps.append(app)
        pump_until(app, root.winfo_viewable, what="the window to appear")
        return app

    yield make
    errors = [exc for app in apps for exc in app.callback_errors]
    for app in apps:
        app.close()
    assert not errors, f"Tk callbacks raised: {errors!r}"
