"""Guarantee: whatever bytes sit in a segment under our magic, a read ends in a typed error or a valid
image within the timeout, with memory bounded by the segment; hostile files never cost a share."""

import resource
import struct
import zlib

import pytest
import sysv_ipc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgshare.imaging import load_image
from imgshare.ipc import CorruptSegmentError, ImageError, ImgShareError, Receiver, Sender, sysv_key
from imgshare.ipc import header as hdr
from tests.images import digest, make_image

pytestmark = pytest.mark.slow


def sealed(raw: bytearray) -> bytes:
    raw[60:64] = bytes(4)
    struct.pack_into("<I", raw, 60, zlib.crc32(raw))
    return bytes(raw)


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory):
    """One persisted share whose segment the fuzzer overwrites; removed by id at the end."""
    from tests.ipc_cleanup import KeyFactory
    keys = KeyFactory()
    key = keys("fuzz")
    with Sender(key) as sender:
        sender.share(make_image("RGB", (120, 80)))
        sender.close(persist=True)
    shm = sysv_ipc.SharedMemory(sysv_key(key), 0)
    good = shm.read(hdr.HEADER_SIZE)
    yield key, shm, good
    shm.detach()
    keys.cleanup()


fields = st.fixed_dictionaries({
    "width": st.integers(0, 2**32 - 1), "height": st.integers(0, 2**32 - 1),
    "stride": st.integers(0, 2**32 - 1), "payload": st.integers(0, 2**64 - 1),
    "mode": st.sampled_from([b"RGB", b"RGBA", b"L", b"1", b"P", b"F", b"I;16", b"XYZ", b"\xff\xfe"]),
    "key_len": st.integers(0, 2**16 - 1), "palette_len": st.integers(0, 2**16 - 1),
    "t_kind": st.integers(0, 255), "t_len": st.integers(0, 255), "flags": st.integers(0, 2**32 - 1),
    "garbage": st.binary(max_size=64), "at": st.integers(144, 4095 - 64), "reseal": st.booleans(),
})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields)
def test_fuzzed_headers_under_our_magic(fuzz_target, f):
    key, shm, good = fuzz_target
    raw = bytearray(good)
    struct.pack_into("<III", raw, 24, f["width"], f["height"], f["stride"])
    struct.pack_into("<Q", raw, 40, f["payload"])
    raw[80:96] = f["mode"].ljust(16, b"\0")[:16]
    struct.pack_into("<HxxHBB", raw, 112, f["key_len"], f["palette_len"], f["t_kind"], f["t_len"])
    struct.pack_into("<I", raw, 12, f["flags"])
    raw[f["at"]:f["at"] + len(f["garbage"])] = f["garbage"]
    shm.write(sealed(raw) if f["reseal"] else bytes(raw))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with Receiver(key) as receiver:
            image, info = receiver.receive(timeout=2)
        assert info.width * info.height <= 120 * 80 * 4  # whatever it accepted fits the segment
    except ImgShareError:
        pass
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024, "a read allocated far more than the segment holds"


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=8, max_size=8192))
def test_arbitrary_bytes_after_the_magic(fuzz_target, data):
    key, shm, good = fuzz_target
    shm.write(b"IMGSHARE" + data[8:4096])
    with pytest.raises(ImgShareError):
        Receiver(key).receive(timeout=2)


def test_hostile_files_give_a_clear_error_and_keep_the_share(key, tmp_path):
    cases = {}
    truncated = tmp_path / "truncated.png"
    make_image("RGB", (300, 200)).save(tmp_path / "full.png")
    truncated.write_bytes((tmp_path / "full.png").read_bytes()[:500])
    cases["truncated"] = truncated
    (tmp_path / "text.png").write_text("not an image\n")
    cases["text"] = tmp_path / "text.png"
    (tmp_path / "empty.jpg").write_bytes(b"")
    cases["empty"] = tmp_path / "empty.jpg"
    bomb = tmp_path / "bomb.png"
    # A valid PNG header claiming 100000 x 100000 pixels (IHDR only, then garbage).
    ihdr = struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(ihdr)) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    bomb.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk + b"\0" * 100)
    cases["bomb"] = bomb
    cases["missing"] = tmp_path / "missing.png"
    cases["folder"] = tmp_path
    first = make_image("RGBA", (64, 48))
    with Sender(key) as sender:
        sender.share(first)
        for name, path in cases.items():
            with pytest.raises(ImageError) as caught:
                sender.share(load_image(path))
            message = str(caught.value)
            assert "\n" not in message and len(message) < 200, (name, message)
        wide = make_image("L", (70000, 1))
        with pytest.raises(ImageError):
            sender.share(wide)
        assert digest(Receiver(key).receive()[0]) == digest(first)  # nothing shared before was lost


def test_corrupt_reads_do_not_disturb_the_next_good_share(key):
    with Sender(key) as sender:
        sender.share(make_image("L", (50, 40)))
        shm = sysv_ipc.SharedMemory(sysv_key(key), 0)
        shm.write(b"\xff", 100)
        shm.detach()
        with pytest.raises(CorruptSegmentError):
            Receiver(key).receive()
        sender.share(make_image("L", (50, 40), seed=9))
        assert digest(Receiver(key).receive()[0]) == digest(make_image("L", (50, 40), seed=9))


def test_image_over_the_kernel_limits_keeps_the_current_share(key, monkeypatch):
    from imgshare.ipc import TooLargeError, kernel
    first = make_image("RGBA", (200, 100))
    with Sender(key) as sender:
        sender.share(first)
        monkeypatch.setattr(kernel, "kernel_limits", lambda: {"shmmax": 500_000, "shmall": 1 << 40})
        with pytest.raises(TooLargeError, match="shmmax"):
            sender.share(make_image("RGBA", (600, 400)))  # 960 kB: over the (pretended) limit
        assert digest(Receiver(key).receive()[0]) == digest(first)
        sender.share(make_image("RGBA", (180, 90)))  # still works within the limits


def test_refused_new_segment_puts_the_old_share_back(key, monkeypatch):
    """shmget can still fail after the limits check (memory pressure): the old image comes back."""
    from imgshare.ipc import TooLargeError
    from imgshare.ipc.segment import Segment
    first = make_image("RGB", (300, 200))
    real_create = Segment.create.__func__
    calls = []

    def failing_once(cls, sysv, size, key_name):
        calls.append(size)
        if len(calls) == 1:
            raise TooLargeError("the system refused the segment (simulated)")
        return real_create(cls, sysv, size, key_name)

    with Sender(key) as sender:
        sender.share(first)
        monkeypatch.setattr(Segment, "create", classmethod(failing_once))
        with pytest.raises(TooLargeError):
            sender.share(make_image("RGB", (900, 700)))
        image, info = Receiver(key).receive()
        assert digest(image) == digest(first) and info.sequence == 1
        monkeypatch.undo()
        assert sender.share(make_image("RGB", (900, 700))) == 2
