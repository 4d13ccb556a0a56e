"""Slots and pins: frame() publishes only on a normal exit, borrowed pixels never change, a killed
borrower's pins go away, views outlive close() safely, shares without checksums, 256-entry tRNS."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from imgshare.ipc import CorruptSegmentError, ImgShareError, NotSharedError, Receiver, Sender
from tests.arrays import make_array
from tests.conftest import ROOT, run_cli, wait_until
from tests.helpers.layout import pins_of, published
from tests.images import assert_identical


def test_frame_publishes_on_a_normal_exit(key):
    with Sender(key) as sender, Receiver(key) as receiver:
        with sender.frame(77, 61, "RGB") as pixels:
            assert pixels.shape == (61, 77, 3) and pixels.flags.writeable
            np.copyto(pixels, make_array("rgb"))
            with pytest.raises(NotSharedError):
                receiver.info()  # not before the block ends
        array, info = receiver.receive_array()
        assert np.array_equal(array, make_array("rgb")) and info.sequence == 1 == sender.sequence
        assert not pixels.flags.writeable  # the block is over: the array no longer writes the slot


def test_frame_left_by_an_exception_publishes_nothing(key):
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(make_array("uint8"))
        with pytest.raises(RuntimeError), sender.frame(77, 61, "L") as pixels:
            pixels[:] = 0
            raise RuntimeError("camera failed")
        array, info = receiver.receive_array()
        assert np.array_equal(array, make_array("uint8")) and info.sequence == 1
        with sender.frame(77, 61, "L") as pixels:  # the sender is fine afterwards
            pixels[:] = 9
        assert (receiver.receive_array()[0] == 9).all()


def test_a_second_frame_or_share_while_one_is_open_is_refused(key):
    with Sender(key) as sender, sender.frame(10, 10, "RGBA") as pixels:
        pixels[:] = 1
        with pytest.raises(ImgShareError, match="frame"):
            with sender.frame(10, 10, "RGBA"):
                pass
        with pytest.raises(ImgShareError, match="frame"):
            sender.share(make_array("rgba"))


@pytest.mark.parametrize("mode,shape,dtype", [("L", (5, 7), np.uint8), ("LA", (5, 7, 2), np.uint8),
                                              ("RGBA", (5, 7, 4), np.uint8), ("I;16", (5, 7), np.uint16),
                                              ("I", (5, 7), np.int32), ("F", (5, 7), np.float32)])
def test_frame_shapes_by_mode(mode, shape, dtype, key):
    with Sender(key) as sender, sender.frame(7, 5, mode) as pixels:
        assert pixels.shape == shape and pixels.dtype == dtype


def test_frame_refuses_modes_without_a_plain_array(key):
    with Sender(key) as sender:
        for mode in ("1", "P", "CMYK"):
            with pytest.raises(ImgShareError, match="frame\\(\\) writes modes"):
                with sender.frame(8, 8, mode):
                    pass


def test_the_sender_never_changes_a_borrowed_array(key):
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(make_array("rgba", seed=0))
        borrowed, info = receiver.receive_array(borrow=True)
        kept = borrowed.copy()
        segments = set()
        for seed in range(1, 40):  # many shares, many frames, while the borrow lives
            if seed % 2:
                sender.share(make_array("rgba", seed=seed))
            else:
                with sender.frame(77, 61, "RGBA") as pixels:
                    pixels[:] = seed
            assert np.array_equal(borrowed, kept)
            segments.add(receiver.info().segment_id)
        assert len(segments) == 2 and info.segment_id not in segments  # the two other slots took the stream
        assert not borrowed.flags.writeable
        with pytest.raises(ValueError):
            borrowed.flags.writeable = True  # the memory is mapped read-only
        view_of_view = borrowed[::2, ::2, 0]
        del borrowed
        sender.share(make_array("rgba", seed=99))
        sender.share(make_array("rgba", seed=98))
        assert np.array_equal(view_of_view, kept[::2, ::2, 0])  # a derived view keeps the pin too


def test_pins_follow_borrowed_arrays_and_images(key):
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(make_array("rgba"))
        array, _ = receiver.receive_array(borrow=True)
        image, _ = receiver.receive(borrow=True)
        assert sum(pins_of(key)) == 2
        del array
        assert sum(pins_of(key)) == 1
        del image
        assert pins_of(key) == [0, 0, 0]
        receiver.receive_array()  # a copy pins only while it copies
        assert pins_of(key) == [0, 0, 0]


def test_a_killed_borrowers_pin_is_released(key):
    with Sender(key) as sender:
        sender.share(make_array("rgba"))
        code = ("import sys; from imgshare.ipc import Receiver\n"
                "r = Receiver(sys.argv[1]); a, _ = r.receive_array(borrow=True)\n"
                "print('borrowed', flush=True); sys.stdin.read()\n")
        borrower = subprocess.Popen([sys.executable, "-c", code, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        try:
            assert borrower.stdout.readline().strip() == "borrowed"
            assert sum(pins_of(key)) == 1
        finally:
            borrower.send_signal(signal.SIGKILL)
            borrower.wait(10)
        wait_until(lambda: pins_of(key) == [0, 0, 0], timeout=5, what="the kernel to undo the killed pin")


def test_views_used_after_close_do_not_crash(key):
    """A borrowed array or image alive after close() keeps its mapping (in a child: a crash would be
    a signal there, a failure here)."""
    with Sender(key) as sender:
        sender.share(make_array("rgba"))
        code = ("import sys, gc; import numpy as np; from imgshare.ipc import Receiver\n"
                "r = Receiver(sys.argv[1]); a, _ = r.receive_array(borrow=True)\n"
                "b = a[1:, 2:, :3]; img, _ = r.receive(borrow=True); r.close(); del r, a; gc.collect()\n"
                "print(int(b.sum()), img.getpixel((0, 0)), flush=True)\n")
        result = subprocess.run([sys.executable, "-c", code, key], capture_output=True, text=True, timeout=60,
                                cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr
    expected = make_array("rgba")
    total, pixel = result.stdout.split(maxsplit=1)
    assert int(total) == int(expected[1:, 2:, :3].astype(np.int64).sum())
    assert pixel.strip() == str(tuple(int(v) for v in expected[0, 0]))


def test_a_frame_array_kept_after_close_does_not_crash(key):
    code = ("import sys, gc; from imgshare.ipc import Sender\n"
            "s = Sender(sys.argv[1])\n"
            "with s.frame(8, 8, 'L') as px: px[:] = 3\n"
            "s.close(); gc.collect(); print(int(px.sum()), flush=True)\n")
    result = subprocess.run([sys.executable, "-c", code, key], capture_output=True, text=True, timeout=60,
                            cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0 and result.stdout.strip() == str(3 * 64), result.stderr


def test_shares_without_a_checksum_are_not_verified(key):
    with Sender(key, checksum=False) as sender, Receiver(key) as receiver:
        sender.share(make_array("uint8"))
        info = receiver.info()
        assert info.checksum == "none"
        slot = published(key)
        try:
            slot.shm.write(b"\x01\x02", slot.payload)  # damage a verifier would catch
        finally:
            slot.detach()
        array, _ = receiver.receive_array(verify=True)  # nothing to verify against: accepted
        assert array[0, 0] == 1
    with Sender(key) as sender, Receiver(key) as receiver:  # with checksums, the same damage is caught
        sender.share(make_array("uint8"))
        assert receiver.info().checksum.startswith("xxh3:")
        slot = published(key)
        try:
            slot.shm.write(b"\x01\x02", slot.payload)
        finally:
            slot.detach()
        with pytest.raises(CorruptSegmentError, match="checksum"):
            receiver.receive_array()


def test_a_palette_image_with_256_transparency_entries_round_trips(key, tmp_path):
    image = Image.frombytes("P", (16, 16), bytes(range(256)))
    image.putpalette(bytes(range(256)) * 3, "RGB")
    image.info["transparency"] = bytes(255 - i for i in range(256))
    path = tmp_path / "trns256.png"
    image.save(path)
    sender = subprocess.Popen([sys.executable, "-m", "imgshare", "send", str(path), "--key", key],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert "shared" in sender.stdout.readline(), sender.stderr.read()
        got, _ = Receiver(key).receive()
        assert_identical(got, Image.open(path))
        out = tmp_path / "out.png"
        assert run_cli("receive", "--key", key, "-o", str(out)).returncode == 0
        assert_identical(Image.open(out), Image.open(path))
    finally:
        sender.terminate()
        sender.wait(10)


def test_transparency_a_mode_cannot_carry_is_dropped_not_fatal(key):
    image = Image.new("RGB", (4, 4))
    image.info["transparency"] = (1, 2, 3, 4)  # four values on RGB: no reader could use it
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(image)
        got, _ = receiver.receive()
    assert "transparency" not in got.info
