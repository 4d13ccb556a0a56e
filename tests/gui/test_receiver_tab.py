"""The Receiver tab driven through its widgets: receive, show every mode, save, 1:1, resize, errors."""

from __future__ import annotations

import os
import signal

import pytest
from PIL import Image, ImageGrab

from imgshare.ipc import Sender
from imgshare.views.imageview.display import fit_size
from tests.conftest import run_cli, start_cli
from tests.gui.support import foreign_segment, lock_held_elsewhere, pump_until, status_after, stop, stripes
from tests.helpers.layout import published


def receive(app) -> str:
    app.notebook.select(app.receiver)
    return status_after(app, app.receiver.receive_button.invoke)


def settled(app):
    view = app.receiver.view
    pump_until(app, lambda: view.displayed_size and not view.rendering, what="the image on screen")
    return view.displayed_size


def box(view):
    return view.canvas.winfo_width(), view.canvas.winfo_height()


def save_as(app, path) -> str:
    app.receiver.ask_save_path = lambda parent, suggested: str(path)
    return status_after(app, app.receiver.save_button.invoke)


def gradient(mode: str, size=(300, 200)) -> Image.Image:
    base = Image.linear_gradient("L").resize(size)
    if mode == "I;16":
        return base.point(lambda v: v * 200 + 1000, "I").convert("I;16")
    if mode == "I":
        return base.convert("I").point(lambda v: v * 1000 - 70000)
    if mode == "F":
        return base.convert("F").point(lambda v: v / 1000.0 - 0.1)
    if mode == "P":
        image = base.convert("P")
        image.info["transparency"] = 0
        return image
    if mode == "LA":
        return Image.merge("LA", (base, base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    return base.convert(mode)


@pytest.mark.parametrize("mode, ext", [("1", ".png"), ("L", ".png"), ("LA", ".png"), ("P", ".png"),
                                       ("RGB", ".png"), ("RGBA", ".png"), ("I;16", ".png"), ("I", ".tif"),
                                       ("F", ".tif")])
def test_every_mode_displays_and_saves_exactly(make_app, key, tmp_path, mode, ext):
    original = gradient(mode)
    with Sender(key) as sender:
        sender.share(original, source_name=f"g-{mode}{ext}")
        app = make_app(key=key)
        said = receive(app)
        assert said.startswith(f"Received 300x200 {mode} under key {key!r}, sequence 1, from pid {os.getpid()}")
        assert settled(app) == fit_size((300, 200), box(app.receiver.view))
        assert app.receiver.panel.value("Mode") == mode
        from imgshare.views.receiver.model import suggested_name
        assert suggested_name(app.receiver.got.info, mode) == f"g-{mode}{ext}"
        out = tmp_path / f"out{ext}"
        assert save_as(app, out) == f"Saved {out} (300x200 {mode})."
        with Image.open(out) as saved:
            saved.load()
            expected = original.convert("I") if mode == "I;16" and saved.mode == "I" else original
            assert saved.size == original.size and saved.tobytes() == expected.tobytes() or \
                list(saved.convert("I").getdata()) == list(original.convert("I").getdata())


def test_transparency_is_drawn_over_a_checkerboard(make_app, key):
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (200, 0, 400, 300))
    with Sender(key) as sender:
        sender.share(image)
        app = make_app(key=key)
        receive(app)
        settled(app)
        canvas = app.receiver.view.canvas
        x0, y0 = canvas.winfo_rootx(), canvas.winfo_rooty()
        shot = ImageGrab.grab(bbox=(x0, y0, x0 + canvas.winfo_width(), y0 + canvas.winfo_height()),
                              xdisplay=os.environ["DISPLAY"])
        w, h = app.receiver.view.displayed_size
        left = (canvas.winfo_width() - w) // 2
        top = (canvas.winfo_height() - h) // 2
        transparent = {shot.getpixel((left + dx, top + dy)) for dx in range(0, 32) for dy in range(0, 32)}
        assert transparent == {(204, 204, 204), (153, 153, 153)}
        assert shot.getpixel((left + w * 3 // 4, top + h // 2)) == (255, 0, 0)
        assert app.receiver.got.image.getpixel((0, 0)) == (0, 0, 0, 0)  # display never alters the image


def test_one_to_one_scrolls_and_resize_redraws(make_app, key):
    with Sender(key) as sender:
        sender.share(stripes((3000, 2000)))
        app = make_app(key=key)
        receive(app)
        view = app.receiver.view
        fitted = settled(app)
        assert fitted == fit_size((3000, 2000), box(view))
        assert not view.xbar.winfo_ismapped()
        app.receiver.one_to_one_check.invoke()
        pump_until(app, lambda: view.xbar.winfo_ismapped() and not view.rendering
                   and view.displayed_size == box(view), what="1:1 with scroll bars")
        view.xbar.set(0, 0)
        view.canvas.xview_moveto(0.5)
        view.set_one_to_one(True)
        pump_until(app, lambda: not view.rendering and view.drawn_box[0] >= 1400, what="a scroll")
        view.zoom_to(12.0)  # issue 17 point 18: the 1:1 box is not ticked at 1200%
        pump_until(app, lambda: not view.rendering and view.scale == 12.0, what="1200%")
        assert not app.receiver.one_to_one.get()
        view.zoom_actual()
        pump_until(app, lambda: app.receiver.one_to_one.get(), what="the 1:1 box ticked at 100%")
        app.receiver.one_to_one_check.invoke()
        pump_until(app, lambda: not view.rendering and view.displayed_size == fit_size((3000, 2000), box(view)))
        app.root.geometry("700x450")
        pump_until(app, lambda: box(view)[0] < 600 and not view.rendering
                   and view.displayed_size == fit_size((3000, 2000), box(view)), what="a redraw after resizing")
        assert view.displayed_size[0] < fitted[0]


def test_errors_name_the_key_and_keep_the_previous_image(make_app, new_key):
    good, empty, foreign, busy, corrupt = (new_key() for _ in range(5))
    with Sender(good) as sender:
        sender.share(stripes((320, 240)))
        app = make_app(key=good)
        app.receiver.lock_timeout = 0.5
        receive(app)
        shown = settled(app)
    field = app.receiver.key_field.var

    def fails(key_text, expected):
        field.set(key_text)
        said = receive(app)
        assert app.status.is_error, said
        assert said.lower().startswith(expected.lower()), said
        assert said.endswith("; the previous image stays on screen.")
        assert app.receiver.got.info.key == good and app.receiver.view.displayed_size == shown

    fails(empty, f"nothing is shared under the key {empty!r}")
    with foreign_segment(foreign):
        fails(foreign, f"the key {foreign!r} holds another program's shared memory")
    with Sender(corrupt) as other:
        other.share(stripes((64, 64)))
        slot = published(corrupt)
        slot.shm.write(b"\x01\x02\x03" * 100, slot.payload)  # scribble over the published pixels
        slot.detach()
        fails(corrupt, f"the image under key {corrupt!r} failed its checksum")
    fails("", "the key must not be empty")
    assert app.receiver.panel.value("Key").startswith(good)
    with Sender(busy) as other:  # readers take no lock: a process holding the key's owner semaphore
        other.share(stripes((50, 50)))  # (here after its sender stopped) does not stop them
        other.close(persist=True)
    with lock_held_elsewhere(busy):
        field.set(busy)
        said = receive(app)
        assert not app.status.is_error and app.receiver.got.info.key == busy, said
    assert run_cli("remove", "--key", busy).returncode == 0


def test_save_and_copy_errors_and_clipboard(make_app, key, tmp_path, monkeypatch):
    original = stripes((200, 120))
    with Sender(key) as sender:
        sender.share(original)
        app = make_app(key=key)
        receive(app)
        said = save_as(app, tmp_path / "no-such-dir" / "x.png")
        assert app.status.is_error and said == (f"cannot write {tmp_path / 'no-such-dir' / 'x.png'}: the folder "
                                                f"{tmp_path / 'no-such-dir'} does not exist.")
        said = status_after(app, app.receiver.copy_button.invoke)
        assert said == "Copied the image to the clipboard."
        import subprocess
        data = subprocess.run(["xclip", "-selection", "clipboard", "-t", "image/png", "-o"],
                              capture_output=True, timeout=10).stdout
        import io
        with Image.open(io.BytesIO(data)) as pasted:
            assert pasted.convert("RGB").tobytes() == original.tobytes()
        monkeypatch.setattr("shutil.which", lambda name: None)
        said = status_after(app, app.receiver.copy_button.invoke)
        assert app.status.is_error and said.startswith("Image copy and paste need the xclip program")


def test_sender_gone_is_visible(make_app, key, tmp_path):
    path = tmp_path / "s.png"
    stripes((80, 60)).save(path)
    other = start_cli("send", str(path), "--key", key)
    try:
        assert other.stdout.readline().startswith("shared ")
        app = make_app(key=key, receive=True)
        pump_until(app, lambda: app.receiver.got, what="the image")
        assert app.receiver.panel.value("Sender") == f"pid {other.pid}, alive"
        os.kill(other.pid, signal.SIGKILL)
        other.wait()
        pump_until(app, lambda: app.receiver.panel.value("Sender") == f"pid {other.pid}, sender gone",
                   timeout=8, what="'sender gone'")
    finally:
        stop(other)


def test_16_bit_colour_and_tags_in_the_window(make_app, key, tmp_path):
    """Issue 18: a 48-bit image received in the window shows scaled for display, keeps its true values
    for the inspector and for Save (exact PNG), and the header panel shows the image's tags."""
    import numpy as np

    from imgshare.image16 import Image16
    array = np.random.default_rng(9).integers(0, 65536, (90, 120, 3), dtype=np.uint16)
    with Sender(key) as sender:
        sender.share(array, source_name="deep.png", tags={"exposure_us": 8000, "note": "\x1b[31m red"})
        app = make_app(key=key)
        said = receive(app)
        assert not app.status.is_error, said
        settled(app)
        got = app.receiver.got
        assert isinstance(got.image, Image16) and got.base.mode == "RGB"
        assert app.receiver.view.image is got.image  # the inspector reads the 16-bit values
        assert app.receiver.panel.value("Mode") == "RGB;16"
        assert app.receiver.panel.value("Tags") == '{"exposure_us": 8000, "note": "\\u001b[31m red"}'
        said = save_as(app, tmp_path / "back.png")
        assert said.startswith(f"Saved {tmp_path / 'back.png'} (120x90 RGB;16)"), said
    assert np.array_equal(np.asarray(Image16.open(tmp_path / "back.png")), array)
