"""Foreign segments are never touched; damaged ones give exit 4; clean removes only stale shares."""

import json
import random
import struct

import pytest
import sysv_ipc

from imgshare.ipc import ForeignSegmentError, Receiver, Sender, sysv_key
from imgshare.ipc import control as ctl
from imgshare.ipc import header as hdr
from tests.conftest import run_cli, start_cli
from tests.helpers.layout import published, reseal_control, reseal_descriptor
from tests.images import make_image
from tests.ipc_cleanup import objects_of
from tests.test_roundtrip import stop, wait_for_line

FOREIGN_BYTES = b"\x89OTHER-PROGRAM" + bytes(range(256)) * 20


@pytest.fixture
def foreign(key):
    """Another program's segment (not power-of-two sized) at the key; removed by id afterwards."""
    shm = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=5333)
    shm.write(FOREIGN_BYTES)
    shm.detach()
    yield shm
    sysv_ipc.remove_shared_memory(shm.id)


def untouched(shm) -> bool:
    again = sysv_ipc.attach(shm.id)
    try:
        return again.read(len(FOREIGN_BYTES)) == FOREIGN_BYTES and again.size == 5333
    finally:
        again.detach()


def test_foreign_segment_is_refused_by_every_verb_and_left_untouched(private_ipc, key, foreign, tmp_path):
    """In a private IPC namespace: `clean` acts on every share of the user, and must meet only this test's."""
    path = tmp_path / "a.png"
    make_image("RGB").save(path)
    for args in (["send", str(path)], ["receive"], ["info"], ["remove"], ["remove", "--force"]):
        result = run_cli(*args, "--key", key)
        assert result.returncode == 4, (args, result.stderr)
        assert "another program" in result.stderr and "Traceback" not in result.stderr
    assert run_cli("clean").returncode == 0
    assert key not in run_cli("list").stdout
    with pytest.raises(ForeignSegmentError):
        Sender(key).share(make_image("L"))
    assert untouched(foreign)
    assert [kind for kind, _ in objects_of(key)] == ["shm"]  # no semaphore left behind either


def test_foreign_semaphore_held_forever_gives_exit_5(key):
    from tests.test_lifecycle import lock_held_elsewhere
    with lock_held_elsewhere(key, create=True):
        assert run_cli("receive", "--key", key, "--timeout", "0.5").returncode == 5
        assert run_cli("send", "/dev/null", "--key", key).returncode == 1  # bad file comes first


def persisted_share(key, mode="RGB"):
    with Sender(key) as sender:
        sender.share(make_image(mode))
        sender.close(persist=True)
    return sysv_ipc.SharedMemory(sysv_key(key), 0)


@pytest.mark.parametrize("seed", range(16))
def test_random_corruption_gives_exit_4(key, seed):
    """A flipped bit anywhere a reader checks: the control block's checked bytes, the published slot's
    index, its descriptor, its pixels. (The owner and flag words are legitimately rewritten by senders,
    so they are not checked beyond their ranges.)"""
    shm = persisted_share(key)
    rng = random.Random(seed)
    try:
        descriptor, payload, length = published(shm)
        region = rng.choice(["control", "published", "descriptor", "payload", "fields"])
        if region == "control":
            offset = rng.choice([rng.randrange(8, 16), rng.randrange(48, ctl.CONTROL_SIZE)])
        elif region == "published":
            offset = ctl.PUBLISHED_OFFSET
        elif region == "descriptor":
            offset = descriptor + rng.randrange(hdr.DESCRIPTOR_SIZE)
        elif region == "payload":
            offset = payload + rng.randrange(length)
        else:
            offset = descriptor + rng.choice([0, 8, 12, 16, 20, 24, 32, 72, 104, 116, 118])
        old = shm.read(1, offset)
        shm.write(bytes([old[0] ^ (1 << rng.randrange(8))]), offset)
    finally:
        shm.detach()
    result = run_cli("receive", "--key", key)
    assert result.returncode == 4, (region, offset, result.stderr)
    assert result.stderr.startswith("imgshare: error:") and "Traceback" not in result.stderr


def test_lying_fields_with_a_valid_descriptor_crc_give_exit_4(key):
    shm = persisted_share(key)
    try:
        descriptor, _, _ = published(shm)
        raw = bytearray(shm.read(hdr.DESCRIPTOR_SIZE, descriptor))
        struct.pack_into("<II", raw, 8, 60000, 60000)  # huge dimensions, payload length unchanged
        shm.write(reseal_descriptor(raw), descriptor)
    finally:
        shm.detach()
    result = run_cli("receive", "--key", key)
    assert result.returncode == 4 and "damaged" in result.stderr


def test_overlapping_slots_with_a_valid_control_crc_give_exit_4(key):
    shm = persisted_share(key)
    try:
        raw = bytearray(shm.read(ctl.CONTROL_SIZE))
        first_offset = struct.unpack_from("<Q", raw, ctl.SLOT_TABLE_OFFSET)[0]
        struct.pack_into("<Q", raw, ctl.SLOT_TABLE_OFFSET + 16, first_offset)  # slot 1 on top of slot 0
        shm.write(reseal_control(raw))
    finally:
        shm.detach()
    result = run_cli("receive", "--key", key)
    assert result.returncode == 4 and "overlap" in result.stderr


def test_a_format_1_segment_gets_a_clear_sentence_and_exit_4(key, tmp_path):
    shm = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=4096 + 3333)
    try:
        shm.write(b"IMGSHARE" + struct.pack("<HH", 1, 4096))
        path = tmp_path / "a.png"
        make_image("RGB").save(path)
        for args in (["receive"], ["info"], ["send", str(path)]):
            result = run_cli(*args, "--key", key)
            assert result.returncode == 4, (args, result.stderr)
            assert "older imgshare (format 1)" in result.stderr and "Traceback" not in result.stderr
        assert run_cli("remove", "--key", key).returncode == 0  # removing it is how to clear the key
        assert objects_of(key) == []
    finally:
        shm.detach()


def test_skipping_verification_skips_only_the_checksum(key):
    shm = persisted_share(key, "L")
    try:
        _, payload, _ = published(shm)
        shm.write(b"\x01", payload + 5)
    finally:
        shm.detach()
    assert run_cli("receive", "--key", key).returncode == 4
    result = run_cli("receive", "--key", key, "--no-verify")
    assert result.returncode == 0, result.stderr


def test_clean_removes_only_stale_shares(private_ipc, new_key, tmp_path):
    """In a private IPC namespace: `clean` acts on every share of the user, and must meet only this test's."""
    stale_key, live_key, persisted_key, foreign_key = (new_key("stale"), new_key("live"),
                                                       new_key("persisted"), new_key("foreign"))
    path = tmp_path / "a.png"
    make_image("RGB").save(path)
    victim = start_cli("send", str(path), "--key", stale_key)
    wait_for_line(victim)
    victim.kill()
    victim.wait()
    live = start_cli("send", str(path), "--key", live_key)
    wait_for_line(live)
    persisted_share(persisted_key).detach()
    foreign = sysv_ipc.SharedMemory(sysv_key(foreign_key), sysv_ipc.IPC_CREX, mode=0o600, size=4444)
    foreign.write(b"\xffNOT OURS")
    foreign.detach()
    try:
        states = {s["info"]["key"]: s["state"] for s in json.loads(run_cli("list", "--json").stdout)
                  if s["info"]}
        assert states[stale_key] == "stale" and states[live_key] == "alive"
        assert states[persisted_key] == "persisted" and foreign_key not in states
        dry = run_cli("clean", "--dry-run").stdout
        assert stale_key in dry and live_key not in dry and persisted_key not in dry
        assert len(objects_of(stale_key)) == 4  # dry run removed nothing
        result = run_cli("clean")
        assert result.returncode == 0 and stale_key in result.stdout
        assert objects_of(stale_key) == []
        assert len(objects_of(live_key)) == 4
        assert len(objects_of(persisted_key)) == 4
        assert len(objects_of(foreign_key)) == 1
        assert Receiver(live_key).receive()[1].sender_pid == live.pid
    finally:
        stop(live)
        sysv_ipc.remove_shared_memory(foreign.id)


def test_remove_refuses_a_live_sender_unless_forced(key, tmp_path):
    path = tmp_path / "a.png"
    make_image("RGB").save(path)
    live = start_cli("send", str(path), "--key", key)
    try:
        wait_for_line(live)
        refused = run_cli("remove", "--key", key)
        assert refused.returncode == 7 and "--force" in refused.stderr
        forced = run_cli("remove", "--key", key, "--force")
        assert forced.returncode == 0
        assert objects_of(key) == []
        assert run_cli("receive", "--key", key).returncode == 3
    finally:
        stop(live)
    assert objects_of(key) == []


def test_sender_whose_share_was_removed_shares_again(key):
    with Sender(key) as sender:
        sender.share(make_image("L"))
        assert run_cli("remove", "--key", key, "--force").returncode == 0
        sender.share(make_image("RGB"))
        image, _ = Receiver(key).receive()
        assert image.mode == "RGB"
    assert objects_of(key) == []


def test_info_and_list_json(key):
    with Sender(key) as sender:
        sender.share(make_image("LA"), source_name="x/y/z.png")
        info = json.loads(run_cli("info", "--key", key, "--json").stdout)
        assert info["key"] == key and info["mode"] == "LA" and info["source_name"] == "z.png"
        assert info["state"] == "alive" and info["sysv_key"] == sysv_key(key)
        listed = [s for s in json.loads(run_cli("list", "--json").stdout)
                  if s["info"] and s["info"]["key"] == key]
        assert len(listed) == 1 and listed[0]["state"] == "alive"
        text = run_cli("list").stdout
        assert key[:20] in text and "alive" in text


def test_listing_attaches_read_only_at_any_address_and_twice(key):
    """Regression: attach(id, SHM_RDONLY) passed the flag as the address (0x1000), read-write; a
    second listing while the first still held that address failed."""
    from imgshare.ipc.segment import Segment
    with Sender(key) as sender:
        sender.share(make_image("L"))
        shmid = Receiver(key).info().segment_id
        first, second = Segment.attach_id(shmid), Segment.attach_id(shmid)
        try:
            assert first._shm.address != 0x1000 and second._shm.address != first._shm.address
        finally:
            first.detach()
            second.detach()
        assert any(s.info and s.info.key == key for s in __import__("imgshare.ipc").ipc.list_shares())
