"""Guarantee: whatever bytes sit in a key's control segment or data segments, and whatever values its
semaphores hold, a read ends in a typed error or a valid image within the timeout, with memory bounded
by the segments; hostile files never cost a share; pins stuck on every slot never stop a sender."""

import errno
import resource
import struct
import zlib

import pytest
import sysv_ipc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imgshare.imaging import load_image
from imgshare.ipc import (
    CorruptSegmentError,
    ImageError,
    ImgShareError,
    LockTimeoutError,
    Receiver,
    Sender,
    SystemLimitError,
    TooLargeError,
    sysv_key,
)
from imgshare.ipc.layout import control as ctl
from imgshare.ipc.layout import descriptor as dsc
from imgshare.ipc.sysv import libc
from tests.helpers.layout import control_of, published, reseal_control, reseal_descriptor, set_id
from tests.images import digest, make_image

pytestmark = pytest.mark.slow
READ_TIMEOUT = 0.3


@pytest.fixture(scope="module")
def fuzz_target():
    """One persisted share whose control segment, published data segment and semaphores the fuzzers
    overwrite (restored before each example); removed by id at the end."""
    from tests.ipc_cleanup import KeyFactory
    keys = KeyFactory()
    key = keys("fuzz")
    with Sender(key) as sender:
        sender.share(make_image("RGB", (120, 80)))
        sender.close(persist=True)
    control = sysv_ipc.SharedMemory(sysv_key(key), 0)
    slot = published(key)
    semid = set_id(key)
    good = (control.read(control.size), slot.shm.read(slot.shm.size), [libc.sem_value(semid, i) for i in range(8)])
    target = Target(key, control, slot.shm, semid, good)
    yield target
    target.restore()
    control.detach()
    slot.detach()
    keys.cleanup()


class Target:
    def __init__(self, key, control, data, semid, good):
        self.key, self.control, self.data, self.semid, self.good = key, control, data, semid, good

    def restore(self) -> None:
        self.control.write(self.good[0])
        self.data.write(self.good[1])
        for number, value in enumerate(self.good[2]):
            libc.sem_set_value(self.semid, number, value)


def read_bounded(target: Target) -> None:
    """A read ends in a typed error or an image the data segment can hold, without allocating much more."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        with Receiver(target.key) as receiver:
            _, info = receiver.receive(timeout=READ_TIMEOUT)
        assert info.payload_length <= target.data.size
    except ImgShareError:
        pass
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 64 * 1024, "a read allocated far more than the segments hold"


control_fields = st.fixed_dictionaries({
    "slot_count": st.integers(0, 2**32 - 1), "epoch": st.sampled_from([0, 1, 2**64 - 1]),
    "key_len": st.integers(0, 2**16 - 1), "flags": st.integers(0, 2**32 - 1),
    "published": st.integers(0, 2**32 - 1), "slot": st.integers(0, 7),
    "generation": st.integers(0, 2**64 - 1), "shmid": st.integers(0, 2**32 - 1),
    "pending": st.integers(0, 2**64 - 1), "reseal": st.booleans(),
})
descriptor_fields = st.fixed_dictionaries({
    "width": st.integers(0, 2**32 - 1), "height": st.integers(0, 2**32 - 1),
    "stride": st.integers(0, 2**32 - 1), "payload": st.integers(0, 2**64 - 1),
    "flags": st.integers(0, 2**32 - 1), "checksum_kind": st.integers(0, 3),
    "mode": st.sampled_from([b"RGB", b"RGBA", b"L", b"1", b"P", b"F", b"I;16", b"RGB;16", b"XYZ", b"\xff\xfe"]),
    "palette_len": st.integers(0, 2**16 - 1), "t_kind": st.integers(0, 2**16 - 1),
    "t_len": st.integers(0, 2**16 - 1), "tags_len": st.integers(0, 2**16 - 1),
    "garbage": st.binary(max_size=64), "at": st.integers(162, 8191 - 64), "write_count": st.integers(0, 2**32 - 1),
    "reseal": st.booleans(),
})


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(control_fields)
def test_fuzzed_control_blocks_under_our_magic(fuzz_target, f):
    fuzz_target.restore()
    raw = bytearray(fuzz_target.good[0])
    struct.pack_into("<IQH", raw, 12, f["slot_count"], f["epoch"], f["key_len"])
    if f["reseal"]:
        reseal_control(raw)
    struct.pack_into("<II", raw, ctl.PUBLISHED, f["published"], f["flags"])  # the mutable area, outside the CRC
    struct.pack_into("<QI", raw, ctl.slot_entry(f["slot"]), f["generation"], f["shmid"] if f["shmid"] % 3 else
                     fuzz_target.data.id)
    struct.pack_into("<Q", raw, ctl.PENDING, f["pending"])
    fuzz_target.control.write(bytes(raw))
    read_bounded(fuzz_target)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(descriptor_fields)
def test_fuzzed_descriptors_under_our_magic(fuzz_target, f):
    fuzz_target.restore()
    raw = bytearray(fuzz_target.good[1][:dsc.DESCRIPTOR_SIZE])
    struct.pack_into("<IIII", raw, 48, f["width"], f["height"], f["stride"], f["flags"])
    struct.pack_into("<QI", raw, 64, f["payload"], f["checksum_kind"])
    raw[96:112] = f["mode"].ljust(16, b"\0")[:16]
    struct.pack_into("<HHHH", raw, 138, f["palette_len"], f["t_kind"], f["t_len"], 0)
    struct.pack_into("<H", raw, 160, f["tags_len"])
    raw[f["at"]:f["at"] + len(f["garbage"])] = f["garbage"]
    if f["reseal"]:
        reseal_descriptor(raw)
    struct.pack_into("<I", raw, dsc.WRITE_COUNT, f["write_count"])
    fuzz_target.data.write(bytes(raw))
    read_bounded(fuzz_target)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 32767), min_size=8, max_size=8))
def test_semaphore_values_gone_wrong_give_a_typed_error_or_the_image(fuzz_target, values):
    """Owner, wake, gates and pins at any value: readers never hang and never crash (gates decide what
    is published: none or several open is 'nothing yet' or damage; pins only ever skip a pin)."""
    fuzz_target.restore()
    for number, value in enumerate(values):
        libc.sem_set_value(fuzz_target.semid, number, value)
    read_bounded(fuzz_target)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=8, max_size=4096))
def test_arbitrary_bytes_after_the_magic(fuzz_target, data):
    fuzz_target.restore()
    fuzz_target.control.write((b"IMGSHARE" + data[8:]).ljust(4096, b"\0"))
    try:
        Receiver(fuzz_target.key).receive(timeout=READ_TIMEOUT)
    except ImgShareError:
        return
    raise AssertionError("random bytes after the magic read as an image")


def test_a_sender_survives_pins_stuck_on_every_slot_at_their_maximum(key):
    """Issue 18.12: a process raising every pin to the kernel's maximum: the sender gives a slot a new data
    segment and publishes (never waits, never 'no free slot'); copying readers read without a pin
    (the seqlock path); a borrowing reader is told clearly that too many readers hold the image."""
    with Sender(key) as sender:
        sender.share(make_image("L", (50, 40)))
        semid, count = set_id(key), control_of(key).slot_count
        for rounds in range(4):
            for slot in range(count):
                libc.sem_set_value(semid, 2 + count + slot, 32767)
            sender.share(make_image("L", (50, 40), seed=rounds + 2))
            image, info = Receiver(key).receive()
            assert digest(image) == digest(make_image("L", (50, 40), seed=rounds + 2))
        with pytest.raises(LockTimeoutError, match="too many readers hold the image"):
            Receiver(key).receive_array(borrow=True)
        for slot in range(count):
            libc.sem_set_value(semid, 2 + count + slot, 0)
        Receiver(key).receive_array(borrow=True)


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
        slot = published(key)
        slot.shm.write(b"\xff", 100)
        slot.detach()
        with pytest.raises(CorruptSegmentError):
            Receiver(key).receive()
        sender.share(make_image("L", (50, 40), seed=9))
        assert digest(Receiver(key).receive()[0]) == digest(make_image("L", (50, 40), seed=9))


def test_image_over_the_kernel_limits_keeps_the_current_share(key, monkeypatch):
    from imgshare.ipc.sysv import limits
    first = make_image("RGBA", (200, 100))
    real = limits.read_limit
    with Sender(key) as sender:
        sender.share(first)
        monkeypatch.setattr(limits, "read_limit", lambda name: 500_000 if name == "shmmax" else real(name))
        with pytest.raises(TooLargeError, match="shmmax"):
            sender.share(make_image("RGBA", (600, 400)))  # 960 kB: over the (pretended) limit
        assert digest(Receiver(key).receive()[0]) == digest(first)
        sender.share(make_image("RGBA", (180, 90)))  # still works within the limits


@pytest.mark.parametrize("code,error,words", [(errno.ENOSPC, SystemLimitError, "kernel.shmmni"),
                                              (errno.ENOMEM, TooLargeError, "kernel.shmall")])
def test_a_refused_data_segment_keeps_the_published_image(key, monkeypatch, code, error, words):
    """shmget can fail after every check (the machine's segments used up, memory pressure): the
    published image stays, the sentence names the limit, and the next share works."""
    from imgshare.ipc.sysv import segment
    first = make_image("RGB", (300, 200))
    real_create = segment.create
    calls = []

    def failing_once(sysv, size):
        calls.append(size)
        if len(calls) == 1:
            raise OSError(code, "refused (simulated)")
        return real_create(sysv, size)

    with Sender(key) as sender:
        sender.share(first)
        monkeypatch.setattr(segment, "create", failing_once)
        with pytest.raises(error, match=words):
            sender.share(make_image("RGB", (900, 700)))
        image, info = Receiver(key).receive()
        assert digest(image) == digest(first) and info.sequence == 1
        monkeypatch.undo()
        assert sender.share(make_image("RGB", (900, 700))) == 2
