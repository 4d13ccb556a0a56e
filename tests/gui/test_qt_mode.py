"""The "Qt compatible" checkboxes: the window exchanges images with a real Qt program (PySide6)."""

from __future__ import annotations

import os

from imgshare.ipc import sysv_key
from imgshare.ipc.qt import ftok
from tests.gui.support import pump_until, status_after
from tests.qt.images import assert_qt_dump_matches, assert_same, make


def test_receiver_tab_reads_a_qt_sender(make_app, qt_env):
    sent = make("RGBA")
    sent.save(qt_env.tmp / "in.png")
    sender = qt_env.start("send", qt_env.key, "in.png", ready="shared")
    app = make_app(key=qt_env.key)
    app.notebook.select(app.receiver)
    own = sysv_key(qt_env.key)
    assert app.receiver.key_field.sysv_text == f"System V key {own} ({own:#010x})"
    app.receiver.qt_check.invoke()
    qt_sysv = ftok(qt_env.paths.shm_file)  # Qt's key: from its key file, not imgshare's recipe
    assert app.receiver.key_field.sysv_text == (f"Qt's System V key {qt_sysv} ({qt_sysv:#010x}), from the file "
                                                f"{os.path.basename(qt_env.paths.shm_file)}")
    assert str(app.receiver.follow_check.cget("state")) == "disabled"
    status = status_after(app, app.receiver.receive_button.invoke)
    assert status.startswith("Received"), status
    assert_same(app.receiver.got.image, sent)
    qt_env.finish(sender)
    qt_env.assert_clean()


def test_sender_tab_feeds_an_unmodified_qt_receiver(make_app, qt_env):
    sent = make("RGB")
    path = qt_env.tmp / "picture.png"
    sent.save(path)
    app = make_app(key=qt_env.key)
    app.sender.ask_open_path = lambda parent: str(path)
    status_after(app, app.sender.open_button.invoke)
    app.sender.qt_check.invoke()
    status = status_after(app, app.sender.share_button.invoke)
    assert status.startswith("Shared"), status
    qt_env.note()
    result = qt_env.run("receive", qt_env.key, "out")
    assert result.returncode == 0, result.stderr
    assert_qt_dump_matches(qt_env.tmp / "out", sent)
    status_after(app, app.sender.stop_button.invoke)
    pump_until(app, lambda: not app.sender.session.sharing, what="sharing to stop")
    qt_env.assert_clean()


def test_the_key_label_says_when_qt_has_no_key_file_yet(make_app, qt_env):
    app = make_app(key=qt_env.key)
    app.sender.qt_check.invoke()  # the Sender's box switches its label too
    assert app.sender.key_field.sysv_text.startswith("Qt: no System V key until a program shares under this key")
    app.sender.qt_check.invoke()
    own = sysv_key(qt_env.key)
    assert app.sender.key_field.sysv_text == f"System V key {own} ({own:#010x})"
