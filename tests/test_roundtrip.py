"""Every carried mode crosses between real processes unchanged; other modes are converted and say so."""

import time

import pytest
from PIL import Image

from imgshare.imaging import load_image
from imgshare.ipc import Receiver, Sender
from tests.conftest import run_cli, start_cli
from tests.images import CARRIED, assert_identical, make_image


def wait_for_line(process, timeout=20.0) -> str:
    """The sender's first stdout line (it prints one once the image is shared)."""
    deadline = time.monotonic() + timeout
    line = process.stdout.readline()
    assert line, f"sender printed nothing: {process.stderr.read()}"
    assert time.monotonic() < deadline
    return line


def stop(process):
    process.terminate()
    try:
        process.wait(10)
    except Exception:
        process.kill()
        process.wait()


@pytest.mark.parametrize("mode", CARRIED)
def test_cli_sender_to_api_receiver(mode, key, tmp_path):
    original = make_image(mode)
    path = tmp_path / f"in-{mode.replace(';', '')}.tif"
    original.save(path)
    expected = load_image(path)  # what the file holds after a save/load round trip
    sender = start_cli("send", str(path), "--key", key)
    try:
        assert "shared" in wait_for_line(sender)
        image, info = Receiver(key).receive(timeout=5.0)
        assert_identical(image, expected)
        assert (info.width, info.height, info.mode) == (333, 77, mode)
        assert info.sender_pid == sender.pid and info.sender_alive and info.sequence >= 1
        assert info.source_name == path.name and not info.converted
    finally:
        stop(sender)


@pytest.mark.parametrize("mode", CARRIED)
def test_api_sender_to_cli_receiver(mode, key, tmp_path):
    original = make_image(mode, size=(101, 59))
    out = tmp_path / ("out.tif" if mode in ("I", "F") else "out.png")
    with Sender(key) as sender:
        sender.share(original, source_name="/some/dir/made.png")
        result = run_cli("receive", "--key", key, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "made.png" in result.stdout
    assert_identical(load_image(out), original)


def test_png_output_keeps_modes_png_can_hold(key, tmp_path):
    with Sender(key) as sender:
        for mode in ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"]:
            original = make_image(mode, size=(64, 33))
            sender.share(original)
            out = tmp_path / f"{mode.replace(';', '')}.png"
            assert run_cli("receive", "--key", key, "-o", str(out)).returncode == 0
            assert_identical(load_image(out), original)
        sender.share(make_image("F"))
        result = run_cli("receive", "--key", key, "-o", str(tmp_path / "f.png"))
    assert result.returncode == 1 and ".tif" in result.stderr


@pytest.mark.parametrize("mode,carried", [("CMYK", "RGB"), ("YCbCr", "RGB"), ("LAB", "RGB"),
                                          ("PA", "RGBA"), ("RGBa", "RGBA"), ("I;16B", "I;16")])
def test_other_modes_are_converted_and_marked(mode, carried, key):
    original = Image.new(mode, (40, 30))
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(original)
        image, info = receiver.receive()
    assert image.mode == carried and info.mode == carried
    assert info.converted and info.source_mode == mode


def test_sixteen_bit_big_endian_converts_without_loss(key):
    original = make_image("I;16", size=(50, 20))
    big_endian = Image.frombytes("I;16B", original.size, original.tobytes("raw", "I;16B"))
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(big_endian)
        image, _ = receiver.receive()
    assert image.tobytes() == original.tobytes()


def test_rgb_transparency_colour_travels(key):
    original = make_image("RGB", size=(20, 10))
    original.info["transparency"] = (1, 2, 3)
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(original)
        image, _ = receiver.receive()
    assert image.info["transparency"] == (1, 2, 3)


def test_borrowed_image_maps_the_segment_and_survives_replacement(key):
    first, second = make_image("RGBA", seed=1), make_image("RGBA", seed=2)
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(first)
        borrowed, _ = receiver.receive(borrow=True)
        sender.share(second)  # same size: must not overwrite the borrowed pixels in place
        assert borrowed.tobytes() == first.tobytes()
        newer, info = receiver.receive(borrow=True)
        assert newer.tobytes() == second.tobytes() and info.sequence == 2
        del borrowed, newer
    # closing the receiver with no image alive detaches everything


def test_receiver_keeps_its_image_after_the_sender_closes(key):
    sender = Sender(key)
    sender.share(make_image("L"))
    image, _ = Receiver(key).receive()
    sender.close()
    assert image.tobytes() == make_image("L").tobytes()


def test_borrowed_slots_are_never_written_and_a_pinned_slot_gets_a_new_data_segment(key):
    def pixels(seed):
        return make_image("RGBA", seed=seed).tobytes()

    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(make_image("RGBA", seed=1))
        first, info = receiver.receive(borrow=True)  # pins the published slot
        used = {info.segment_id}
        sender.share(make_image("RGBA", seed=2))  # into another slot
        second, info = receiver.receive(borrow=True)
        used.add(info.segment_id)
        sender.share(make_image("RGBA", seed=3))  # the third slot
        third, info = receiver.receive(borrow=True)  # now every slot is pinned
        used.add(info.segment_id)
        assert len(used) == 3
        sender.share(make_image("RGBA", seed=4))
        fresh = receiver.info().segment_id
        assert fresh not in used  # never overwrites a pinned slot, never waits: a new data segment
        assert [first.tobytes(), second.tobytes(), third.tobytes()] == [pixels(1), pixels(2), pixels(3)]
        del first, second, third
        seen = set()
        for seed in (5, 6, 7, 8, 9, 10):
            sender.share(make_image("RGBA", seed=seed))
            got, info = receiver.receive()
            assert got.tobytes() == pixels(seed)
            seen.add(info.segment_id)
        assert len(seen) == 3  # nobody borrows now: three data segments take turns, none is made anew


def _attached(shmid: int) -> int:
    with open("/proc/sysvipc/shm") as f:
        names = f.readline().split()
        for line in f:
            row = dict(zip(names, line.split(), strict=False))
            if int(row["shmid"]) == shmid:
                return int(row["nattch"])
    return 0
