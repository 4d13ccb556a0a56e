"""Images to the bridge's rows and back without numpy (an optional dependency): every case
comes back as the receiver gave it, palette, transparency and 16 bits included."""

from __future__ import annotations

import pytest

from imgshare.bridge.frames import from_received, shareable, to_image
from imgshare.ipc import Receiver, Sender
from tests.bridge.cases import CASES, make_case
from tests.bridge.peer import described


@pytest.mark.parametrize("name", list(CASES))
def test_rows_and_fields_give_back_the_image(key, new_key, name, monkeypatch):
    image, channels, source_name, tags = make_case(name)
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(image, source_name=source_name, channels=channels, tags=tags)
        got, info = receiver.receive()
    meta, rows = from_received(got, info)
    assert len(rows) == meta.length
    again = to_image(meta, rows)
    assert described(again, info) == described(got, info)
    monkeypatch.setitem(__import__("sys").modules, "numpy", None)  # an install without numpy
    shared, channels_again = shareable(meta, rows)
    assert channels_again is None
    other = new_key()
    with Sender(other) as sender, Receiver(other) as receiver:
        sender.share(shared, source_name=meta.source_name, tags=meta.tags, source_mode=meta.source_mode)
        back, back_info = receiver.receive()
    expected = described(got, info)
    if info.bgr:  # without numpy OpenCV's order arrives as R, G, B: the same pixels, another checksum
        expected |= {"bgr": False, "checksum": back_info.checksum}
    assert described(back, back_info) | {"sequence": info.sequence} == expected
