"""Readers of protocol 3 (docs/protocol.md §10): they take no lock [R1], hand over exactly the bytes they
verified [R2], fault in only the slot they read [R3], and read every legal layout (one padded row)."""

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import xxhash

from imgshare.ipc import CorruptSegmentError, Receiver, Sender
from tests.conftest import ROOT
from tests.test_lifecycle import HELPERS, python
from tests.test_vectors import SETS, VECTORS, Built, build


def test_a_reader_faults_in_only_the_image_it_reads(key):
    """Issue 18.8: protocol 2 made the whole segment resident on one read (4 GiB committed for a 1x1
    image in a large segment). Now a reader maps the one data segment of the published slot and faults
    in its image only: a 4 MB image read from a 16 MB data segment, beside two more, costs it about 8 MB
    (the mapped image and its copy), not 48."""
    big = np.random.default_rng(0).integers(0, 256, (4096, 4096), dtype=np.uint8)
    with Sender(key) as sender:
        for seed in range(3):  # three 16 MB data segments
            sender.share(big + seed)
        sender.share(big[:2048, :2048].copy())  # reuses a 16 MB data segment for a 4 MB image
        result = subprocess.run([sys.executable, str(HELPERS / "rss_reader.py"), key], capture_output=True,
                                text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["shape"] == [2048, 2048]
    grown_mb = (report["after"] - report["before"]) / 1024
    assert grown_mb < 16, f"the reader made {grown_mb:.0f} MB resident for a 4 MB image"


@pytest.mark.slow
def test_every_copy_hands_over_the_bytes_it_verified_while_a_peer_scribbles_on_the_slot(key):
    """Issue 18.9: with a peer writing the slot meanwhile, protocol 2's Pillow copy, BGR swap and padded
    out= copies returned pixels that failed their own checksum (verify, then copy again). Now the copy is
    what is hashed: each read either fails its checksum or returns pixels whose XXH3 is the share's."""
    rgb = np.random.default_rng(1).integers(0, 256, (400, 500, 3), dtype=np.uint8)
    with Sender(key) as sender:
        sender.share(rgb, channels="BGR")
        scribbler = python("slot_scribbler.py", key)
        try:
            assert scribbler.stdout.readline().strip() == "scribbling"
            outcomes = {"refused": 0, "exact": 0}
            out = np.empty((400, 500, 3), np.uint8)
            strided = np.empty((400, 500, 4), np.uint8)[..., :3]  # a padded (non-contiguous) out=
            with Receiver(key) as receiver:
                for round_number in range(150):
                    kind = round_number % 4
                    try:
                        if kind == 0:
                            image, info = receiver.receive()  # Pillow, swapped from BGR in the copy
                            got = np.asarray(image)[..., ::-1]
                        elif kind == 1:
                            got, info = receiver.receive_array(channels="RGB")  # the BGR swap
                            got = got[..., ::-1]
                        elif kind == 2:
                            got, info = receiver.receive_array(out=out, channels="BGR")
                        else:
                            got, info = receiver.receive_array(out=strided, channels="BGR")
                    except CorruptSegmentError:
                        outcomes["refused"] += 1
                        continue
                    assert f"xxh3:{xxhash.xxh3_64_intdigest(np.ascontiguousarray(got).tobytes()):016x}" \
                        == info.checksum, f"read {round_number} returned pixels that fail their checksum"
                    outcomes["exact"] += 1
            assert outcomes["refused"] > 0
        finally:
            scribbler.kill()
            scribbler.wait()


@pytest.mark.parametrize("name", ["l-1-row-padded", "rgba-3x2-padded-stride", "rgb-padded-checksum-rows-only"])
def test_padded_strides_read_the_same_by_every_kind_of_copy(name):
    """Issue 18.13: protocol 2's numpy copies refused a legal one-row image with a padded stride."""
    vector = next(v for v in SETS["reference"] if v["name"] == name)
    built = Built()
    try:
        key = build(vector, VECTORS / "reference", built)
        with Receiver(key) as receiver:
            copied, info = receiver.receive_array()
            out = np.empty_like(copied)
            assert receiver.receive_array(out=out)[0] is out
            borrowed, _ = receiver.receive_array(borrow=True)
            image, _ = receiver.receive()
        rows = bytes.fromhex(vector["expect"]["rows"])
        for array in (copied, out, borrowed, np.asarray(image)):
            assert np.ascontiguousarray(array).tobytes() == rows
        del borrowed
    finally:
        built.remove()


def test_readers_take_no_lock_a_reader_stopped_mid_read_stops_nobody(key):
    """Issue 18.18's cause: readers held the key's lock. A reader stopped (SIGSTOP) while it holds a pin
    stops neither the sender nor other readers: the sender writes the other slots."""
    with Sender(key) as sender:
        sender.share(np.zeros((50, 60), np.uint8))
        code = ("import sys; from imgshare.ipc import Receiver\n"
                "a, _ = Receiver(sys.argv[1]).receive_array(borrow=True)\nprint('pinned', flush=True)\n"
                "sys.stdin.read()\n")
        holder = subprocess.Popen([sys.executable, "-c", code, key], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)))
        try:
            assert holder.stdout.readline().strip() == "pinned"
            os.kill(holder.pid, 19)  # SIGSTOP: it holds its pin, frozen
            for value in range(1, 20):
                sender.share(np.full((50, 60), value, np.uint8))
                assert (Receiver(key).receive_array(timeout=1)[0] == value).all()
        finally:
            os.kill(holder.pid, 18)  # SIGCONT
            holder.stdin.close()
            holder.wait(10)


@pytest.mark.slow
def test_a_sender_publishing_frames_in_a_tight_loop_does_not_starve_a_borrowing_follower(key):
    """Issue 18.18: protocol 2's readers polled the lock; a sender in a tight frame() loop starved a
    borrowing follower (106 frames/s). Now the follower pins without waiting for anything: it receives
    a large share of the frames published (counted, not timed)."""
    stop = threading.Event()
    published = []

    def produce() -> None:
        with Sender(key) as sender:
            while not stop.is_set():
                with sender.frame(64, 48, "L") as pixels:
                    pixels[:] = len(published) % 256
                published.append(sender.sequence)

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        with Receiver(key) as receiver:
            receiver.receive_array(wait=10)
            received, last = 0, None
            deadline = time.monotonic() + 3
            while time.monotonic() < deadline:
                got = receiver.receive_array_new(last, 1.0, borrow=True)
                if got is not None:
                    received += 1
                    last = got.info
                    del got
    finally:
        stop.set()
        producer.join(10)
    assert received > 200 and received > len(published) // 20, (received, len(published))


@pytest.mark.slow
def test_two_hundred_readers_never_time_out(key):
    """Issue 18.18: 200 processes polling a key while its sender shares: no reader waits for a lock, so
    none times out (the sender's p99 is bench/contention.py's to measure)."""
    with Sender(key) as sender:
        sender.share(np.zeros((120, 160, 3), np.uint8))
        code = ("import sys\nfrom imgshare.ipc import Receiver, ImgShareError\nerrors = 0\n"
                "with Receiver(sys.argv[1]) as r:\n    for _ in range(20):\n        try:\n"
                "            r.receive_array(timeout=5)\n        except ImgShareError as exc:\n"
                "            errors += 1; print(type(exc).__name__, exc, flush=True)\nprint('errors', errors)\n")
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        readers = [subprocess.Popen([sys.executable, "-c", code, key], stdout=subprocess.PIPE, text=True, env=env)
                   for _ in range(200)]
        shares = 0
        while any(r.poll() is None for r in readers):
            sender.share(np.full((120, 160, 3), shares % 256, np.uint8))
            shares += 1
        outputs = [r.communicate()[0] for r in readers]
    assert all(out.strip().endswith("errors 0") for out in outputs), [o for o in outputs if "errors 0" not in o][:3]
    assert shares > 0
