"""The window: title, tabs, shortcuts, the callback-error hook, and closing that removes the objects."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from imgshare.ipc import Receiver
from tests.conftest import ROOT
from tests.gui.support import ipc_objects, pump_until, start_gui, status_after, stop, stripes


def press(app, widget, sequence):
    app.root.focus_force()
    widget.focus_set()
    app.root.update()
    widget.event_generate(sequence)
    app.root.update()


def test_title_tabs_and_keyboard(make_app, key, tmp_path):
    app = make_app(key=key)
    assert app.root.title() == f"Sender, key {key!r} \u2013 imgshare"
    assert app.root.minsize() == app.min_size and app.min_size[0] >= 600 and app.min_size[1] >= 440
    assert [app.notebook.tab(t, "text") for t in app.notebook.tabs()] == ["Sender", "Receiver"]
    assert app.notebook.select() == str(app.sender)
    press(app, app.sender.key_field.entry, "<Control-Tab>")
    assert app.notebook.select() == str(app.receiver)
    press(app, app.receiver.receive_button, "<Control-Tab>")
    assert app.notebook.select() == str(app.sender)
    path = tmp_path / "k.png"
    stripes((90, 60)).save(path)
    app.sender.ask_open_path = lambda parent: str(path)
    status_after(app, lambda: press(app, app.sender.open_button, "<Control-o>"))
    assert app.sender.loaded.source_name == "k.png"
    status_after(app, lambda: press(app, app.sender.key_field.entry, "<Control-Return>"))
    assert app.sender.shared.sequence == 1
    status_after(app, lambda: press(app, app.sender.open_button, "<Control-r>"))
    assert app.notebook.select() == str(app.receiver) and app.receiver.got.info.sequence == 1
    out = tmp_path / "k-out.png"
    app.receiver.ask_save_path = lambda parent, suggested: str(out) if suggested == "k.png" else ""
    status_after(app, lambda: press(app, app.receiver.receive_button, "<Control-s>"))
    assert out.exists()
    press(app, app.receiver.receive_button, "<Control-q>")
    assert app.closed and ipc_objects(key) == []


def test_closing_the_window_removes_the_objects(make_app, key, tmp_path):
    path = tmp_path / "c.png"
    stripes((120, 80)).save(path)
    app = make_app(key=key, send_file=str(path))
    pump_until(app, lambda: app.sender.shared, what="the share from send_file")
    assert sorted(kind for kind, _ in ipc_objects(key)) == ["sem", "shm", "shm"]  # set, control, one data
    app.root.tk.eval(app.root.protocol("WM_DELETE_WINDOW"))  # what the window manager's close button runs
    assert app.closed and ipc_objects(key) == []


def test_send_and_receive_in_one_window(make_app, key, tmp_path):
    path = tmp_path / "self.png"
    original = stripes((500, 300))
    original.save(path)
    app = make_app(key=key, send_file=str(path), receive=True)
    pump_until(app, lambda: app.receiver.got, what="the window to receive its own share")
    assert app.notebook.select() == str(app.receiver)
    got = app.receiver.got
    assert got.info.sender_pid == os.getpid() and got.info.sequence == app.sender.shared.sequence == 1
    assert got.image.tobytes() == original.tobytes()


def test_bad_send_file_says_so_and_shares_nothing(make_app, key, tmp_path):
    app = make_app(key=key, send_file=str(tmp_path / "nope.png"))
    pump_until(app, lambda: app.status.is_error, what="the error")
    assert app.status.text == f"{tmp_path / 'nope.png'}: no such file."  # the path as given
    assert ipc_objects(key) == []


def test_a_callback_error_is_logged_and_shown(make_app, key):
    app = make_app(key=key)

    def broken():
        raise RuntimeError("boom")

    app.root.after(0, broken)
    pump_until(app, lambda: app.callback_errors, what="the hook")
    text = app.status.text
    assert text.startswith("Internal error (RuntimeError: boom); details in ") and app.status.is_error
    log = text.rsplit(" in ", 1)[1].rstrip(".")
    assert log.startswith(os.environ["XDG_STATE_HOME"]) and "RuntimeError: boom" in open(log).read()
    app.callback_errors.clear()  # provoked on purpose; the fixture fails a test on any other


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_close_the_real_program_cleanly(key, tmp_path, sig):
    path = tmp_path / "sig.png"
    stripes((100, 70)).save(path)
    gui = start_gui("--send", str(path), "--key", key)
    try:
        info = Receiver(key).info(wait=20)
        assert info.sender_pid == gui.pid and info.source_name == "sig.png"
        gui.send_signal(sig)
        assert gui.wait(15) == 0, gui.stderr.read()
    finally:
        stop(gui)
    assert ipc_objects(key) == []


def test_no_display_is_one_sentence(key):
    env = dict(os.environ, DISPLAY="")
    result = subprocess.run([sys.executable, "-m", "imgshare", "gui", "--key", key], capture_output=True, text=True,
                            cwd=ROOT, env=dict(env, PYTHONPATH=str(ROOT)), timeout=30)
    assert result.returncode == 1
    assert result.stderr.startswith("imgshare: error: cannot open the window") and "Traceback" not in result.stderr
    assert ipc_objects(key) == []
