"""numpy and OpenCV: every shape and dtype crosses real processes pixel-exact, both ways; BGR(A) is
carried as it is and converted only for a reader that wants the other order."""

import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from imgshare.ipc import ImageError, ImgShareError, Receiver, Sender
from tests.arrays import CASES, fingerprint, make_array, opencv_picture
from tests.conftest import ROOT, run_cli

PEER = ROOT / "tests" / "helpers" / "array_peer.py"


def peer(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen([sys.executable, str(PEER), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def serving(*args: str) -> subprocess.Popen:
    """A peer that shared an array and serves it until its stdin closes."""
    process = peer("send", *args)
    line = process.stdout.readline()
    assert line.strip() == "shared", process.stderr.read()
    return process


def stop(process: subprocess.Popen) -> None:
    process.stdin.close()
    process.wait(20)


def received_by_peer(*args: str) -> list[str]:
    process = peer("receive", *args)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out.split()


@pytest.mark.parametrize("case", CASES)
def test_array_from_another_process_arrives_pixel_exact(case, key):
    sender = serving(key, case)
    try:
        with Receiver(key) as receiver:
            array, info = receiver.receive_array()
            borrowed, _ = receiver.receive_array(borrow=True)
            out = np.zeros_like(make_array(case))
            copied, _ = receiver.receive_array(out=out)
    finally:
        stop(sender)
    expected = make_array(case)
    assert info.mode == CASES[case][2] and not info.bgr
    for got in (array, borrowed, copied):
        assert got.dtype == expected.dtype and got.shape == expected.shape
        assert np.array_equal(got, expected)
    assert copied is out  # copied into the caller's array, nothing allocated for it


@pytest.mark.parametrize("case", CASES)
def test_array_to_another_process_arrives_pixel_exact(case, key):
    with Sender(key) as sender:
        sender.share(make_array(case))
        fingerprint_seen, mode, bgr = received_by_peer(key)
        assert fingerprint_seen == fingerprint(make_array(case)) and mode == CASES[case][2] and bgr == "0"
        fingerprint_seen, _, _ = received_by_peer(key, "--borrow")
        assert fingerprint_seen == fingerprint(make_array(case))


@pytest.mark.parametrize("case", ["uint8", "uint16", "int32", "float32", "rgb", "rgba", "bool"])
def test_arrays_and_pillow_images_agree(case, key):
    array = make_array(case)
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(array)
        image, info = receiver.receive()
        assert image.mode == CASES[case][2]
        as_array = np.asarray(image)
        assert np.array_equal(as_array.astype(array.dtype) if case != "bool" else as_array, array)
        sender.share(image)  # and the Pillow image back, to an array reader
        assert np.array_equal(receiver.receive_array()[0], array)


def test_non_contiguous_views_and_other_byte_orders(key):
    base = make_array("rgba")
    cases = [base[::2, ::3], base[:, :, :3], np.flipud(base), base.transpose(1, 0, 2),
             make_array("uint16").astype(">u2"), np.asfortranarray(make_array("float32"))]
    with Sender(key) as sender, Receiver(key) as receiver:
        for array in cases:
            sender.share(array)
            got, _ = receiver.receive_array()
            assert np.array_equal(got, array) and got.shape == array.shape


@pytest.mark.parametrize("bad", [np.zeros((4, 5, 6, 7), np.uint8), np.zeros((4, 5, 5), np.uint8),
                                 np.zeros((4, 5), np.float64), np.zeros((4, 5, 2), np.uint16),
                                 np.zeros(20, np.uint8), np.zeros((0, 5), np.uint8)])
def test_arrays_imgshare_does_not_carry_are_refused_with_the_accepted_list(bad, key):
    with Sender(key) as sender:
        with pytest.raises(ImageError, match=r"\(H, W\) bool, uint8|1 to 65536"):
            sender.share(bad)
        assert not sender.sharing


@pytest.mark.parametrize("case,code", [("bgr", cv2.COLOR_BGR2RGB), ("bgra", cv2.COLOR_BGRA2RGBA)])
def test_opencv_sender_to_pillow_and_opencv_receivers(case, code, key):
    picture = opencv_picture(case)
    sender = serving(key, case, "--opencv", "--channels", case.upper())
    try:
        with Receiver(key) as receiver:
            image, info = receiver.receive()  # Pillow: RGB(A), converted once
            assert info.bgr and image.mode == ("RGB" if case == "bgr" else "RGBA")
            assert np.array_equal(np.asarray(image), cv2.cvtColor(picture, code))
            as_opencv, _ = receiver.receive_array(borrow=True, channels=case.upper())  # nothing converted
            assert np.array_equal(as_opencv, picture) and not as_opencv.flags.writeable
            as_rgb, _ = receiver.receive_array()  # numpy default: RGB(A) order
            assert np.array_equal(as_rgb, cv2.cvtColor(picture, code))
    finally:
        stop(sender)


@pytest.mark.parametrize("mode,code", [("RGB", cv2.COLOR_RGB2BGR), ("RGBA", cv2.COLOR_RGBA2BGRA)])
def test_pillow_sender_to_opencv_receiver(mode, code, key, tmp_path):
    rgb = opencv_picture("bgra" if mode == "RGBA" else "bgr")  # any picture; treat it as RGB(A) here
    path = tmp_path / "picture.png"
    Image.fromarray(rgb, mode).save(path)
    sender = subprocess.Popen([sys.executable, "-m", "imgshare", "send", str(path), "--key", key],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    try:
        assert "shared" in sender.stdout.readline(), sender.stderr.read()
        seen, _, bgr = received_by_peer(key, "--channels", "BGR" if mode == "RGB" else "BGRA")
        assert bgr == "0" and seen == fingerprint(cv2.cvtColor(rgb, code))
    finally:
        sender.terminate()
        sender.wait(10)


def test_channels_are_checked(key):
    with Sender(key) as sender:
        with pytest.raises(ImageError, match="goes with"):
            sender.share(make_array("uint8"), channels="BGR")
        with pytest.raises(ImgShareError, match="one of RGB, RGBA, BGR or BGRA"):
            sender.share(make_array("rgb"), channels="GBR")
        with pytest.raises(ImageError, match="numpy arrays"):
            sender.share(Image.new("RGB", (4, 4)), channels="BGR")


def test_out_must_fit_the_image(key):
    with Sender(key) as sender, Receiver(key) as receiver:
        sender.share(make_array("rgb"))
        with pytest.raises(ImgShareError, match="out= must be a writable array of shape"):
            receiver.receive_array(out=np.zeros((61, 77, 4), np.uint8))
        read_only = np.zeros((61, 77, 3), np.uint8)
        read_only.flags.writeable = False
        with pytest.raises(ImgShareError, match="writable"):
            receiver.receive_array(out=read_only)


def test_without_numpy_the_array_calls_say_what_to_install(key):
    code = ("import sys; sys.modules['numpy'] = None\n"
            "from PIL import Image\n"
            "from imgshare.ipc import Sender, Receiver, ImageError\n"
            f"s = Sender({key!r}); s.share(Image.new('L', (3, 3)))\n"
            "r = Receiver(s.key); print(r.receive()[0].size)\n"
            "for call in (lambda: r.receive_array(), lambda: s.frame(3, 3, 'L').__enter__()):\n"
            "    try:\n"
            "        call()\n"
            "    except ImageError as exc:\n"
            "        print(exc)\n"
            "s.close()\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "(3, 3)"  # Pillow sharing works without numpy
    assert lines[1:] == ["sharing numpy arrays needs numpy: pip install 'imgshare[numpy]'"] * 2


def test_cli_reads_an_array_share(key, tmp_path):
    with Sender(key) as sender:
        sender.share(make_array("rgba"), source_name="camera")
        result = run_cli("receive", "--key", key, "-o", str(tmp_path / "out.png"))
    assert result.returncode == 0, result.stderr
    assert np.array_equal(np.asarray(Image.open(tmp_path / "out.png")), make_array("rgba"))
