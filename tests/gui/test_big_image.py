"""A 7680x4320 image is opened, shared, received and shown while the Tk loop keeps running: the decoding,
the share, the receive and the drawing all run off the Tk thread (recorded by a hook on each). How long
the loop stalls meanwhile is measured, not asserted: bench/gui_big_image.py prints it next to the time
the same work takes on one thread."""

from __future__ import annotations

import pytest
from PIL import Image

from imgshare.views.imageview.display import fit_size
from imgshare.views.imageview.render import Renderer
from imgshare.views.receiver import model as receiving
from imgshare.views.sender import model as sending
from tests.gui.support import pump_until, ran_off_the_tk_thread, record_threads

BIG = (7680, 4320)


@pytest.mark.slow  # an 8K image: memory and time the quick tier does without
def test_8k_share_and_receive_run_off_the_tk_thread(make_app, key, tmp_path, monkeypatch):
    image = Image.linear_gradient("L").resize(BIG)
    image = Image.merge("RGBA", (image, image.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                 Image.new("L", BIG, 90), Image.new("L", BIG, 255)))
    path = tmp_path / "big.png"
    image.save(path, compress_level=1)
    app = make_app(key=key)
    calls = record_threads(monkeypatch, (sending, "load_first"), (sending.SenderSession, "share_loaded"),
                           (receiving, "receive"), (Renderer, "fit"))
    ticks: list[int] = []

    def ticker():
        ticks.append(len(ticks))
        app.root.after(10, ticker)

    app.root.after(10, ticker)
    progress_seen = []
    app.sender.ask_open_path = lambda parent: str(path)
    app.sender.open_button.invoke()
    pump_until(app, lambda: progress_seen.append(app.sender.progress.winfo_ismapped()) or app.sender.loaded,
               timeout=60, what="the 8K image to load")
    app.sender.share_button.invoke()
    pump_until(app, lambda: app.sender.shared, timeout=60, what="the 8K share")
    app.notebook.select(app.receiver)
    app.receiver.receive_button.invoke()
    view = app.receiver.view
    pump_until(app, lambda: app.receiver.got and view.displayed_size and not view.rendering, timeout=60,
               what="the 8K image on screen")
    assert any(progress_seen), "the progress bar never showed"
    assert len(ticks) > 3, "the Tk loop's own timer never ran"
    ran_off_the_tk_thread(calls)
    assert app.receiver.got.image.size == BIG and app.receiver.got.info.sequence == 1
    assert view.displayed_size == fit_size(BIG, (view.canvas.winfo_width(), view.canvas.winfo_height()))
    assert app.receiver.got.image.tobytes() == image.tobytes()
