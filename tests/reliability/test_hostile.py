"""Guarantee: whatever bytes sit in a segment under our magic, a read ends in a typed error or a valid
image within the timeout, with memory bounded by the segment; hostile files never cost a share."""

import ctypes
import resource
import struct
import zlib

import pytest
import sysv_ipc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgshare.imaging import load_image
from imgshare.ipc import CorruptSegmentError, ImageError, ImgShareError, Receiver, Sender, sysv_key
from imgshare.ipc import control as ctl
from imgshare.ipc import header as hdr
from imgshare.ipc.keys import borrow_sysv_key
from tests.helpers.layout import published, reseal_control, reseal_descriptor
from tests.images import digest, make_image

pytestmark = pytest.mark.slow


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
    good = shm.read(shm.size)
    yield key, shm, good
    shm.detach()
    keys.cleanup()


def set_pin(key: str, slot: int, value: int) -> None:
    """SETVAL on one semaphore of the key's pin set (sysv_ipc reaches only semaphore 0 of a set)."""
    libc = ctypes.CDLL(None, use_errno=True)
    semid = libc.semget(borrow_sysv_key(key), 8, 0)
    assert semid >= 0
    assert libc.semctl(semid, slot, 16, ctypes.c_int(value)) == 0  # 16: SETVAL


control_fields = st.fixed_dictionaries({
    "slot_count": st.integers(0, 2**32 - 1), "published": st.integers(0, 2**32 - 1),
    "slot": st.integers(0, 7), "offset": st.integers(0, 2**64 - 1), "capacity": st.integers(0, 2**64 - 1),
    "key_len": st.integers(0, 2**16 - 1), "flags": st.integers(0, 2**32 - 1), "reseal": st.booleans(),
})
descriptor_fields = st.fixed_dictionaries({
    "width": st.integers(0, 2**32 - 1), "height": st.integers(0, 2**32 - 1),
    "stride": st.integers(0, 2**32 - 1), "payload": st.integers(0, 2**64 - 1),
    "flags": st.integers(0, 2**32 - 1), "checksum_kind": st.integers(0, 3),
    "mode": st.sampled_from([b"RGB", b"RGBA", b"L", b"1", b"P", b"F", b"I;16", b"XYZ", b"\xff\xfe"]),
    "palette_len": st.integers(0, 2**16 - 1), "t_kind": st.integers(0, 2**16 - 1),
    "t_len": st.integers(0, 2**16 - 1), "garbage": st.binary(max_size=64), "at": st.integers(136, 4095 - 64),
    "reseal": st.booleans(),
})


def read_bounded(key: str, shm) -> None:
    """A read ends in a typed error or an image the segment can hold, without allocating much more."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with Receiver(key) as receiver:
            image, info = receiver.receive(timeout=2)
        assert info.payload_length <= shm.size  # whatever it accepted fits the segment
    except ImgShareError:
        pass
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024, "a read allocated far more than the segment holds"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(control_fields)
def test_fuzzed_control_blocks_under_our_magic(fuzz_target, f):
    key, shm, good = fuzz_target
    raw = bytearray(good[:ctl.CONTROL_SIZE])
    struct.pack_into("<I", raw, 12, f["slot_count"])
    struct.pack_into("<QQ", raw, ctl.SLOT_TABLE_OFFSET + 16 * f["slot"], f["offset"], f["capacity"])
    struct.pack_into("<H", raw, ctl.KEY_LENGTH_OFFSET, f["key_len"])
    if f["reseal"]:
        reseal_control(raw)
    struct.pack_into("<II", raw, 16, f["published"], f["flags"])  # outside the CRC either way
    shm.write(bytes(raw) + good[ctl.CONTROL_SIZE:])
    read_bounded(key, shm)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(descriptor_fields)
def test_fuzzed_descriptors_under_our_magic(fuzz_target, f):
    key, shm, good = fuzz_target
    shm.write(good)
    descriptor, _, _ = published(shm)
    raw = bytearray(good[descriptor:descriptor + hdr.DESCRIPTOR_SIZE])
    struct.pack_into("<IIIII", raw, 8, f["width"], f["height"], f["stride"], f["flags"], f["checksum_kind"])
    struct.pack_into("<Q", raw, 32, f["payload"])
    raw[72:88] = f["mode"].ljust(16, b"\0")[:16]
    struct.pack_into("<xxHHH", raw, 112, f["palette_len"], f["t_kind"], f["t_len"])
    raw[f["at"]:f["at"] + len(f["garbage"])] = f["garbage"]
    shm.write(reseal_descriptor(raw) if f["reseal"] else bytes(raw), descriptor)
    read_bounded(key, shm)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 32767), min_size=3, max_size=3))
def test_pin_counts_gone_wrong_give_a_typed_error_or_the_image(fuzz_target, pins):
    """Pins are only ever a reason to skip a slot (sender) or a refusal (reader at the maximum)."""
    key, shm, good = fuzz_target
    shm.write(good)
    for slot, value in enumerate(pins):
        set_pin(key, slot, value)
    try:
        read_bounded(key, shm)
    finally:
        for slot in range(3):
            set_pin(key, slot, 0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=8, max_size=8192))
def test_arbitrary_bytes_after_the_magic(fuzz_target, data):
    key, shm, good = fuzz_target
    shm.write((b"IMGSHARE" + data[8:4096]).ljust(4096, b"\0"))
    with pytest.raises(ImgShareError):
        Receiver(key).receive(timeout=2)


def test_a_sender_survives_pins_stuck_on_every_slot(key):
    """A foreign program that raised every pin: the sender moves to a new segment, never waits."""
    with Sender(key) as sender:
        sender.share(make_image("L", (50, 40)))
        for slot in range(8):
            set_pin(key, slot, 5)
        sender.share(make_image("L", (50, 40), seed=2))
        assert digest(Receiver(key).receive()[0]) == digest(make_image("L", (50, 40), seed=2))


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
    real_create = Segment.create.__func__  # type: ignore[attr-defined]  # the classmethod's function
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
