"""The pulled key keeps the source's numbering (Sender.number_next, the bridge's one hook in app/ipc),
and follows the source's epochs: what a follower here counts as missed is what the bridge skipped."""

from __future__ import annotations

from PIL import Image

from imgshare.bridge.frames import ImageMeta, from_received
from imgshare.bridge.puller import ShareSink
from imgshare.ipc import Receiver, Sender


def test_a_sender_numbers_the_next_share_as_asked_and_never_lower(key):
    image = Image.new("L", (3, 3), 7)
    with Sender(key) as sender, Receiver(key) as receiver:
        assert sender.share(image) == 1
        first = receiver.info()
        sender.number_next(10)
        assert sender.share(image) == 10
        tenth = receiver.info()
        assert tenth.missed_since(first) == 8
        sender.number_next(4)  # below the last: sequences only rise within an epoch
        assert sender.share(image) == 11
        assert receiver.info().epoch == first.epoch


def _meta(epoch: int, sequence: int) -> ImageMeta:
    return ImageMeta(width=2, height=2, mode="L", epoch=epoch, sequence=sequence, timestamp=1.0, source_name="far")


def test_the_pulled_key_follows_the_source_numbering_and_its_epochs(key):
    sink = ShareSink(key)
    rows = bytes([1, 2, 3, 4])
    try:
        with Receiver(key) as receiver:
            sink.publish(_meta(111, 40), rows, "far")
            first = receiver.info()
            sink.publish(_meta(111, 45), rows, "far")
            second = receiver.info()
            assert (second.sequence, second.missed_since(first)) == (45, 4)
            sink.publish(_meta(222, 3), rows, "far")  # the source's key was made again
            third = receiver.info()
            assert third.sequence == 3 and third.epoch != second.epoch
            assert third.missed_since(second) == 2  # as a follower at the source counts a new epoch
            image, info = receiver.receive()
            assert from_received(image, info)[1] == rows and info.source_name == "far"
    finally:
        sink.close()
