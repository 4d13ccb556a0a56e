"""The Sender tab shows the frame it shares: an animation paused on its third frame shows that frame in
the preview, the inspector and the histogram, and Save as writes it."""

from __future__ import annotations

from PIL import Image

from imgshare.ipc import Receiver
from tests.gui.support import pump_until, status_after
from tests.gui.test_animation import open_and_share

COLOURS = ((255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0))


def test_a_paused_animation_shows_the_frame_it_shares(make_app, key, tmp_path):
    path = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (60, 40), colour) for colour in COLOURS]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=400, loop=0)
    app = make_app(key=key)
    tab = app.sender
    open_and_share(app, path)
    pump_until(app, lambda: tab.share_panel.value("Frame").startswith("3 of 4"), 15, "the third frame")
    tab.play_button.invoke()

    def shared_colour():
        with Receiver(key) as receiver:
            return receiver.receive().image.convert("RGB").getpixel((0, 0))

    def settled():  # a share in flight when Pause was pressed may still land: wait for it
        shown = tab.view.image
        return (tab.share_panel.value("Frame").endswith("(paused)") and shown is not None
                and shown.convert("RGB").getpixel((5, 5)) == shared_colour()
                and tab.inspector.stats is not None and tab.inspector.stats.image is shown)
    pump_until(app, settled, 15, "the preview to show the shared frame")
    index = int(tab.share_panel.value("Frame").split()[0]) - 1
    assert index in (2, 3)
    colour = COLOURS[index]
    assert shared_colour() == colour and tab.view.image.convert("RGB").getpixel((30, 20)) == colour
    red = tab.inspector.stats.histogram.channels[0].counts
    assert red[colour[0]] == 60 * 40  # the histogram is the shown frame's
    tab.view.pin((10, 10))
    assert f"R {colour[0]}  G {colour[1]}  B {colour[2]}" in tab.view.pixel_value_text()  # the inspector

    app.ask_save_path = lambda parent, suggested, folder: str(tmp_path / "saved.png")
    status_after(app, app.save_as)
    with Image.open(tmp_path / "saved.png") as saved:
        assert saved.convert("RGB").getpixel((0, 0)) == colour  # Save as writes the frame shown
