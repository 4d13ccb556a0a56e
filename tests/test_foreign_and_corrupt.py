"""Foreign objects are never touched; damaged shares give exit 4; clean removes only stale shares."""

import json
import random
import struct

import pytest
import sysv_ipc

from imgshare.ipc import ForeignSegmentError, Receiver, Sender, sysv_key
from imgshare.ipc.layout import control as ctl
from imgshare.ipc.layout import descriptor as dsc
from tests.conftest import run_cli, start_cli
from tests.helpers.layout import control_of, published, reseal_control, reseal_descriptor
from tests.images import make_image
from tests.ipc_cleanup import count_kinds, objects_of, own_objects, remove
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


def test_a_foreign_semaphore_set_is_refused_at_once_and_left_alone(key, tmp_path):
    """Another program's set of 1 semaphore at the key, held forever: senders refuse it at once (exit 4),
    readers find nothing shared (exit 3); nobody waits for it or touches it."""
    from tests.test_lifecycle import image_file, lock_held_elsewhere
    with lock_held_elsewhere(key, create=1):
        assert run_cli("receive", "--key", key, "--timeout", "0.5").returncode == 3
        result = run_cli("send", str(image_file(tmp_path)), "--key", key, "--timeout", "30")
        assert result.returncode == 4 and "semaphore set (1 semaphores)" in result.stderr, result.stderr
        assert count_kinds(key) == {"shm": 0, "sem": 1}


def test_a_set_of_imgshare_s_size_held_forever_makes_a_sender_give_up_in_time(key, tmp_path):
    """Semaphore 0 of an 8-semaphore set held by a process that never serves the key: a sender waits for
    it (a remover might be holding it) for its timeout, then exit 5, never a hang."""
    from tests.test_lifecycle import image_file, lock_held_elsewhere
    with lock_held_elsewhere(key, create=8):
        result = run_cli("send", str(image_file(tmp_path)), "--key", key, "--timeout", "1")
        assert result.returncode == 5 and "busy" in result.stderr, result.stderr
        assert count_kinds(key) == {"shm": 0, "sem": 1}


def persisted_share(key, mode="RGB"):
    with Sender(key) as sender:
        sender.share(make_image(mode))
        sender.close(persist=True)


def control_segment(key) -> sysv_ipc.SharedMemory:
    return sysv_ipc.SharedMemory(sysv_key(key), 0)


@pytest.mark.parametrize("seed", range(16))
def test_random_corruption_gives_exit_4(key, seed):
    """A flipped bit anywhere a reader checks: the control block's immutable bytes, the published slot's
    table entry, its descriptor (but the seqlock word, which a pinned reader does not use), its pixels.
    (The hint and the owner's words are rewritten by senders and only ever trusted as far as checked.)"""
    persisted_share(key)
    rng = random.Random(seed)
    region = rng.choice(["control", "entry", "descriptor", "payload", "fields"])
    slot = published(key)
    orphan_after_damage = slot.shm.id  # a damaged table entry no longer names it: removed by id below
    target, offset = slot.shm, 0
    try:
        if region == "control":
            target = control_segment(key)
            offset = rng.choice([rng.randrange(8, 64), rng.randrange(512, ctl.CONTROL_SIZE)])
            if 28 <= offset < 32:
                offset = 30  # the CRC itself
        elif region == "entry":
            target = control_segment(key)
            offset = ctl.slot_entry(slot.slot) + rng.choice([0, 1, 8, 9])
        elif region == "descriptor":
            offset = rng.choice([rng.randrange(0, 32), rng.randrange(36, dsc.DESCRIPTOR_SIZE)])
        elif region == "payload":
            offset = slot.payload + rng.randrange(slot.payload_length)
        else:
            offset = rng.choice([0, 8, 10, 16, 24, 40, 48, 52, 56, 60, 64, 72, 96, 128, 136, 140, 160])
        old = target.read(1, offset)
        target.write(bytes([old[0] ^ (1 << rng.randrange(8))]), offset)
    finally:
        if target is not slot.shm:
            target.detach()
        slot.detach()
    try:
        result = run_cli("receive", "--key", key)
        assert result.returncode == 4, (region, offset, result.stderr)
        assert result.stderr.startswith("imgshare: error:") and "Traceback" not in result.stderr
    finally:
        remove([o for o in own_objects() if o.id == orphan_after_damage and o.kind == "shm"])


def test_lying_fields_with_a_valid_descriptor_crc_give_exit_4(key):
    persisted_share(key)
    slot = published(key)
    try:
        raw = bytearray(slot.shm.read(dsc.DESCRIPTOR_SIZE))
        struct.pack_into("<II", raw, 48, 60000, 60000)  # huge dimensions, payload length unchanged
        slot.shm.write(reseal_descriptor(raw))
    finally:
        slot.detach()
    result = run_cli("receive", "--key", key)
    assert result.returncode == 4 and "damaged" in result.stderr


def test_a_slot_table_entry_pointing_at_another_key_s_data_segment_gives_exit_4(new_key):
    """The table is outside the CRC; the data segment's own epoch and generation are what tie it to
    the key (docs/protocol.md §7.1 [D1])."""
    mine, other = new_key(), new_key()
    persisted_share(mine)
    persisted_share(other)
    theirs = published(other)
    theirs.detach()
    own = published(mine)
    own.detach()
    entry = ctl.slot_entry(own.slot)
    shm = control_segment(mine)
    try:
        generation = struct.unpack_from("<Q", shm.read(8, entry))[0]
        shm.write(struct.pack("<QI", generation, control_of(other).slots[theirs.slot].shmid), entry)
    finally:
        shm.detach()
    result = run_cli("receive", "--key", mine)
    assert result.returncode == 4 and "epoch" in result.stderr, result.stderr
    assert run_cli("receive", "--key", other).returncode == 0
    for key in (mine, other):
        assert run_cli("remove", "--key", key).returncode == 0
    assert objects_of(other) == []
    assert remove([o for o in own_objects() if o.id == own.shm.id and o.kind == "shm"])  # nothing named it


def test_a_damaged_control_block_is_replaced_by_the_next_sender(key):
    persisted_share(key)
    shm = control_segment(key)
    try:
        raw = bytearray(shm.read(ctl.CONTROL_SIZE))
        struct.pack_into("<I", raw, 12, 77)  # slot_count 77
        shm.write(reseal_control(raw))
    finally:
        shm.detach()
    assert run_cli("receive", "--key", key).returncode == 4
    with Sender(key) as sender:
        assert sender.share(make_image("L")) == 1  # a new epoch: the damaged one's sequence is not trusted
        assert Receiver(key).receive()[0].mode == "L"
    assert objects_of(key) == []


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_format_gets_a_clear_sentence_and_exit_4(version, key, tmp_path):
    shm = sysv_ipc.SharedMemory(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, size=4096 * 4 + 3333)
    sysv_ipc.Semaphore(sysv_key(key), sysv_ipc.IPC_CREX, mode=0o600, initial_value=1)  # format 2's lock
    try:
        shm.write(b"IMGSHARE" + struct.pack("<HH", version, 4096))
        path = tmp_path / "a.png"
        make_image("RGB").save(path)
        for args in (["receive"], ["info"], ["send", str(path)]):
            result = run_cli(*args, "--key", key)
            assert result.returncode == 4, (args, result.stderr)
            assert f"older imgshare (format {version})" in result.stderr and "Traceback" not in result.stderr
        assert count_kinds(key) == {"shm": 1, "sem": 1}  # nothing made, nothing taken over
        assert run_cli("remove", "--key", key).returncode == 0  # removing it is how to clear the key
        assert objects_of(key) == []
    finally:
        shm.detach()


def test_skipping_verification_skips_only_the_checksum(key):
    persisted_share(key, "L")
    slot = published(key)
    try:
        slot.shm.write(b"\x01", slot.payload + 5)
    finally:
        slot.detach()
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
    persisted_share(persisted_key)
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
        assert len(objects_of(stale_key)) == 3  # dry run removed nothing
        result = run_cli("clean")
        assert result.returncode == 0 and stale_key in result.stdout
        assert objects_of(stale_key) == []
        assert len(objects_of(live_key)) == 3
        assert len(objects_of(persisted_key)) == 3
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
    from imgshare.ipc.sysv.segment import Segment
    with Sender(key) as sender:
        sender.share(make_image("L"))
        shmid = Receiver(key).info().segment_id
        first, second = Segment.attach(shmid, read_only=True), Segment.attach(shmid, read_only=True)
        try:
            assert first.address != 0x1000 and second.address != first.address
            with pytest.raises(TypeError):
                first.view(0, 8)[0] = 1  # read-only
        finally:
            first.detach()
            second.detach()
        assert any(s.info and s.info.key == key for s in __import__("imgshare.ipc").ipc.list_shares())
