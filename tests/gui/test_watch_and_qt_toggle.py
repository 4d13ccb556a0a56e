"""The Sender tab's Watch file and Qt compatible boxes always show what the tab is doing (issue 10,
points 1 and 3), and a share under a new key succeeds before the old one stops (issue 11, point 3)."""

from __future__ import annotations

import threading

import pytest
from PIL import Image

from imgshare.ipc import NotSharedError, Receiver, sysv_key
from imgshare.watching import FileWatcher
from tests.gui.support import foreign_segment, pump_until, status_after
from tests.gui.test_drop_and_paste import press_ctrl_v, put_on_clipboard
from tests.images import digest, make_image
from tests.ipc_cleanup import objects_of


def png_bytes(image: Image.Image) -> bytes:
    import io
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def open_and_share(app, path) -> str:
    app.sender.ask_open_path = lambda parent: str(path)
    status_after(app, app.sender.open_button.invoke)
    return status_after(app, app.sender.share_button.invoke)


def watcher_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "imgshare-file-watch" and t.is_alive()]


def test_sharing_a_pasted_image_ends_watching_and_says_why(make_app, key, tmp_path):
    path = tmp_path / "A.png"
    Image.new("RGB", (64, 48), "red").save(path)
    app = make_app(key=key)
    tab = app.sender
    open_and_share(app, path)
    status_after(app, tab.watch_check.invoke)
    assert tab.watch_var.get() and tab.session.watching == str(path) and watcher_threads()

    pasted = make_image("RGB", (40, 30), seed=7)
    put_on_clipboard(png_bytes(pasted), "image/png")
    pump_until(app, lambda: (press_ctrl_v(app), tab.loaded is not None and tab.loaded.source_name == "clipboard")[1],
               10, "the pasted image")
    said = status_after(app, tab.share_button.invoke)
    # The box, the session and the watcher's thread agree, and the sentence that stays says why.
    assert not tab.watch_var.get() and tab.session.watching is None
    pump_until(app, lambda: not watcher_threads(), 5, "the watcher's thread to end")
    assert said.startswith("Shared clipboard (40x30 RGB)") and f"stopped watching {path}" in said, said
    assert "came from no file" in said

    # Editing A.png now changes nothing that is shared (a witness proves the change was seen).
    seen = threading.Event()
    witness = FileWatcher(str(path), lambda image: seen.set()).start()
    try:
        Image.new("RGB", (64, 48), "blue").save(path)
        pump_until(app, seen.is_set, 10, "the witness to see A.png change")
    finally:
        witness.stop()
    image, info = Receiver(key).receive()
    assert digest(image) == digest(pasted) and info.source_name == "clipboard" and info.sequence == 2
    assert app.status.text == said  # no later message replaced it


def test_ticking_watch_on_a_pasted_share_is_refused_with_a_sentence(make_app, key):
    app = make_app(key=key)
    tab = app.sender
    put_on_clipboard(png_bytes(make_image("RGB", (20, 20))), "image/png")
    pump_until(app, lambda: (press_ctrl_v(app), tab.loaded is not None)[1], 10, "the pasted image")
    status_after(app, tab.share_button.invoke)
    said = status_after(app, tab.watch_check.invoke)
    assert not tab.watch_var.get() and tab.session.watching is None and not watcher_threads()
    assert said.startswith("Only an opened file can be watched") and app.status.is_error


def test_toggling_qt_while_sharing_shares_again_in_that_format(make_app, qt_env):
    from imgshare.ipc.qt import QtKey, QtReceiver, ftok
    key = qt_env.key
    path = qt_env.tmp / "picture.png"
    sent = make_image("RGB", (70, 50), seed=4)
    sent.save(path)
    app = make_app(key=key)
    tab = app.sender
    open_and_share(app, path)
    assert tab.share_panel.value("Key") == f"{key} ({sysv_key(key):#010x})"

    said = status_after(app, tab.qt_check.invoke)  # on, while sharing
    assert said == f"Now sharing picture.png under key {key!r} in Qt's format.", said
    assert tab.qt_var.get() and tab.session.kind.value == "qt"
    qt_sysv = ftok(QtKey.of(key).shm_file)
    assert tab.share_panel.value("Key") == f"{key} ({qt_sysv:#010x}, Qt format)"
    got, _ = QtReceiver(key).receive()
    assert digest(got.convert("RGB")) == digest(sent)
    with pytest.raises(NotSharedError):
        Receiver(key).receive()  # not both at once: the box says Qt, so only Qt's format is shared

    said = status_after(app, tab.qt_check.invoke)  # off again
    assert said == f"Now sharing picture.png under key {key!r} in imgshare's format.", said
    assert not tab.qt_var.get() and tab.share_panel.value("Key") == f"{key} ({sysv_key(key):#010x})"
    image, _ = Receiver(key).receive()
    assert digest(image) == digest(sent)
    with pytest.raises(NotSharedError):
        QtReceiver(key).receive()
    status_after(app, tab.stop_button.invoke)
    pump_until(app, lambda: not tab.session.sharing, what="sharing to stop")
    assert objects_of(key) == []
    qt_env.assert_clean()


def test_a_new_key_that_fails_leaves_the_old_share_and_panel(make_app, new_key, tmp_path):
    old, blocked = new_key(), new_key()
    path = tmp_path / "kept.png"
    kept = make_image("RGB", (30, 30), seed=9)
    kept.save(path)
    app = make_app(key=old)
    tab = app.sender
    open_and_share(app, path)
    with foreign_segment(blocked):
        tab.key_field.entry.delete(0, "end")
        tab.key_field.entry.insert(0, blocked)
        said = status_after(app, tab.share_button.invoke)
        assert app.status.is_error and f"still sharing under key {old!r}" in said, said
        assert tab.share_panel.value("Key").startswith(f"{old} (")
        image, _ = Receiver(old).receive()
        assert digest(image) == digest(kept)


def test_toggling_qt_while_the_first_share_is_on_its_way_is_followed(make_app, qt_env):
    from imgshare.ipc.qt import QtReceiver
    key = qt_env.key
    path = qt_env.tmp / "quick.png"
    sent = make_image("RGB", (33, 22), seed=6)
    sent.save(path)
    app = make_app(key=key)
    tab = app.sender
    tab.ask_open_path = lambda parent: str(path)
    status_after(app, tab.open_button.invoke)
    tab.share_button.invoke()  # submitted in imgshare's format; its result comes back through the loop
    tab.qt_check.invoke()      # ticked before that result is shown
    pump_until(app, lambda: app.status.text == f"Now sharing quick.png under key {key!r} in Qt's format.",
               10, "the share to follow the box")
    assert tab.qt_var.get() and tab.session.kind.value == "qt"
    got, _ = QtReceiver(key).receive()
    assert digest(got.convert("RGB")) == digest(sent)
    with pytest.raises(NotSharedError):
        Receiver(key).receive()
    status_after(app, tab.stop_button.invoke)
    pump_until(app, lambda: not tab.session.sharing, what="sharing to stop")
    qt_env.assert_clean()
