"""The conformance vectors (tests/vectors, docs/protocol.md §19): each share is built from its files as
real System V objects at a fresh key and read by a real Receiver, which must give the image or the
situation the vector names. The same files serve the C library's runner."""

import json
import re
import secrets
import struct
from pathlib import Path

import numpy as np
import pytest

from imgshare.exit_codes import exit_code_for
from imgshare.ipc import ImgShareError, Receiver, sysv_key
from imgshare.ipc.errors import KeyCollisionError, UnsupportedFormatError
from imgshare.ipc.layout import control as ctl
from imgshare.ipc.sysv import libc
from tests.ipc_cleanup import register_key

VECTORS = Path(__file__).parent / "vectors"
PROTOCOL = Path(__file__).parent.parent / "docs" / "protocol.md"
SETS = {name: json.loads((VECTORS / name / "index.json").read_text()) for name in ("reference", "hostile")}
ALL = [(name, vector) for name, vectors in SETS.items() for vector in vectors]


class Built:
    """The objects a vector made, removed by id whatever happens."""

    def __init__(self) -> None:
        self.segments: list[int] = []
        self.sets: list[int] = []

    def remove(self) -> None:
        for shmid in self.segments:
            try:
                libc.shm_remove(shmid)
            except OSError:
                pass
        for semid in self.sets:
            try:
                libc.sem_remove(semid)
            except OSError:
                pass


def _segment(key: int, data: bytes, built: Built) -> int:
    shmid = libc.shmget(key, max(1, len(data)), libc.IPC_CREAT | libc.IPC_EXCL | 0o600)
    built.segments.append(shmid)
    if data:
        import sysv_ipc
        shm = sysv_ipc.attach(shmid)
        try:
            shm.write(data)
        finally:
            shm.detach()
    return shmid


def build(vector: dict, folder: Path, built: Built) -> str:
    """Make the vector's objects (docs/protocol.md §19.1) at a fresh key; returns the key."""
    key = register_key(vector["key"][:-16] + secrets.token_hex(8))
    assert len(key) == len(vector["key"])
    control = bytearray((folder / vector["control"]).read_bytes()) if vector["control"] else None
    if control is not None and len(control) >= ctl.CONTROL_SIZE and not vector.get("keep_key"):
        was_valid = struct.unpack_from("<I", control, ctl.CRC)[0] == ctl.crc_of(control)
        control[ctl.KEY + 16:ctl.KEY + 32] = key[-16:].encode()
        if was_valid:
            struct.pack_into("<I", control, ctl.CRC, ctl.crc_of(control))
    for index, data in enumerate(vector["data"]):
        if data is None:
            continue
        if data == "missing":
            shmid = _segment(0, b"", built)
            libc.shm_remove(shmid)
        else:
            shmid = _segment(0, (folder / data).read_bytes(), built)
        assert control is not None
        struct.pack_into("<I", control, ctl.slot_entry(index) + 8, shmid)
    if control is not None:
        _segment(sysv_key(key), bytes(control), built)
    if vector["semaphores"] is not None:
        semid = libc.semget(sysv_key(key), len(vector["semaphores"]), libc.IPC_CREAT | libc.IPC_EXCL | 0o600)
        built.sets.append(semid)
        for number, value in enumerate(vector["semaphores"]):
            libc.sem_set_value(semid, number, value)
    return key


def kind_of(error: ImgShareError) -> str:
    if isinstance(error, KeyCollisionError):
        return "collision"
    if isinstance(error, UnsupportedFormatError):
        return "format"
    name = type(error).__name__
    if "failed its checksum" in str(error):
        return "checksum"
    return {"NotSharedError": "not_shared", "BlankSegmentError": "not_shared", "ForeignSegmentError": "foreign",
            "CorruptSegmentError": "damaged", "LockTimeoutError": "busy"}.get(name, name)


def rows_of(array: np.ndarray, mode: str, bgr_swapped: bool) -> bytes:
    if mode == "1":
        return np.packbits(array, axis=1).tobytes()
    return np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()


def test_each_set_covers_images_and_every_error_kind():
    assert {v["expect"]["exit"] for v in SETS["reference"]} == {0}
    assert {v["expect"]["exit"] for v in SETS["hostile"]} == {3, 4}
    kinds = {v["expect"]["kind"] for v in SETS["hostile"]}
    assert kinds == {"not_shared", "foreign", "collision", "format", "damaged", "checksum"}
    assert len(SETS["reference"]) >= 25 and len(SETS["hostile"]) >= 75


def test_every_rule_of_the_document_is_proved_somewhere_and_every_label_exists():
    text = PROTOCOL.read_text()
    labels = set(re.findall(r"\*\*\[([A-Z]\d+)\]\*\*", text))
    table = text[text.index("### 19.2"):text.index("## 20.")]
    proved = set()
    for line in table.splitlines():
        cells = line.split("|")
        if len(cells) > 2 and cells[1].strip() not in ("rule", "---"):
            first = cells[1].split("(")[0]
            for letter, start, end in re.findall(r"([A-Z])(\d+)\s*[–-]\s*[A-Z](\d+)", first):
                proved |= {f"{letter}{n}" for n in range(int(start), int(end) + 1)}
            proved |= set(re.findall(r"[A-Z]\d+", first))
            for listed in re.findall(r"(?:reference|hostile) ((?:`[a-z0-9-]+`(?:, )?)+)", cells[2]):
                for name in re.findall(r"`([a-z0-9-]+)`", listed):
                    assert any(v["name"] == name for _, v in ALL), f"19.2 names a vector {name!r} that is not there"
    assert labels and labels <= proved, f"rules with no proof in §19.2: {sorted(labels - proved)}"
    for _, vector in ALL:
        assert set(vector["rules"]) <= labels, (vector["name"], set(vector["rules"]) - labels)


@pytest.mark.parametrize("set_name,vector", ALL, ids=[f"{s}/{v['name']}" for s, v in ALL])
def test_vector(set_name, vector):
    folder = VECTORS / set_name
    built = Built()
    expect = vector["expect"]
    try:
        key = build(vector, folder, built)
        with Receiver(key) as receiver:
            try:
                array, info = receiver.receive_array(timeout=2, channels="BGR" if expect.get("bgr") else None)
            except ImgShareError as exc:
                assert (exit_code_for(exc), kind_of(exc)) == (expect["exit"], expect["kind"]), \
                    (vector["name"], type(exc).__name__, str(exc))
                return
            assert expect["exit"] == 0, f"{vector['name']}: read an image, expected {expect}"
            assert (info.mode, info.width, info.height, info.sequence) == (
                expect["mode"], expect["width"], expect["height"], expect["sequence"])
            assert f"{info.epoch:016x}" == expect["epoch"] and info.bgr == expect["bgr"]
            assert (info.checksum != "none") == expect["checksum"]
            assert rows_of(array, info.mode, False).hex() == expect["rows"]
            assert info.source_name == expect["source_name"] and info.converted == expect["converted"]
            assert info.source_mode == (expect["source_mode"] or expect["mode"])
            assert info.tags == expect.get("tags", {})
            image, _ = receiver.receive()
            if "palette" in expect:
                assert bytes(image.palette.tobytes() if image.palette else b"") == bytes.fromhex(expect["palette"]) \
                    or bytes(image.getpalette(expect["palette_mode"]) or b"")[:len(expect["palette"]) // 2] \
                    == bytes.fromhex(expect["palette"])
            if "transparency" in expect:
                t = expect["transparency"]
                wanted = bytes.fromhex(t["alpha"]) if t["kind"] == 3 else (
                    t["values"][0] if t["kind"] == 1 else tuple(t["values"]))
                assert image.info["transparency"] == wanted
    finally:
        built.remove()
