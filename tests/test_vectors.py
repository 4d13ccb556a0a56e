"""The segment test vectors (tests/vectors): each one read by a real Receiver from a real segment gives
the image or the error the vector names (the same files serve other implementations)."""

import json
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import sysv_ipc

from imgshare.exit_codes import exit_code_for
from imgshare.ipc import ImgShareError, Receiver, sysv_key
from imgshare.ipc import control as ctl
from imgshare.ipc.pins import PinSet
from imgshare.ipc.wake import WakeSignal

VECTORS = Path(__file__).parent / "vectors"
INDEX = json.loads((VECTORS / "segments.json").read_text())
PLACEHOLDER = b"0" * 16


def control_crc_valid(raw: bytes) -> bool:
    zeroed = bytearray(raw[:ctl.CONTROL_SIZE])
    zeroed[ctl.MUTABLE] = bytes(ctl.MUTABLE.stop - ctl.MUTABLE.start)
    return struct.unpack_from("<I", raw, ctl.CRC_OFFSET)[0] == zlib.crc32(zeroed)


def placed(vector: dict, key: str) -> bytes:
    raw = bytearray((VECTORS / vector["file"]).read_bytes())
    suffix = key.encode()[-16:]
    start = ctl.KEY_OFFSET + len(vector["key"]) - 16
    if not vector.get("keep_key") and raw[start:start + 16] == PLACEHOLDER:
        was_valid = control_crc_valid(raw)
        raw[start:start + 16] = suffix
        if was_valid:
            zeroed = bytearray(raw[:ctl.CONTROL_SIZE])
            zeroed[ctl.MUTABLE] = bytes(ctl.MUTABLE.stop - ctl.MUTABLE.start)
            struct.pack_into("<I", raw, ctl.CRC_OFFSET, zlib.crc32(zeroed))
    return bytes(raw)


def test_the_index_covers_images_and_every_error_kind():
    codes = {vector["exit"] for vector in INDEX}
    assert codes == {0, 3, 4} and len(INDEX) >= 20
    assert all((VECTORS / vector["file"]).is_file() for vector in INDEX)


@pytest.mark.parametrize("vector", INDEX, ids=[vector["name"] for vector in INDEX])
def test_vector(vector, new_key):
    key = new_key("imgshare-vector")
    assert len(key) == len(vector["key"])
    raw = placed(vector, key)
    sysv = sysv_key(key)
    shm = sysv_ipc.SharedMemory(sysv, sysv_ipc.IPC_CREX, mode=0o600, size=len(raw))
    shm.write(raw)
    shm.detach()
    lock = sysv_ipc.Semaphore(sysv, sysv_ipc.IPC_CREX, mode=0o600, initial_value=0)
    lock.release()  # the first release, without SEM_UNDO: the lock is free
    PinSet.create(key)
    WakeSignal.create(key)
    with Receiver(key) as receiver:
        try:
            array, info = receiver.receive_array(timeout=2, channels="BGR" if vector.get("bgr") else None)
        except ImgShareError as exc:
            assert exit_code_for(exc) == vector["exit"], (vector["name"], str(exc))
            return
    assert vector["exit"] == 0, f"{vector['name']}: read an image, expected exit {vector['exit']}"
    assert (info.mode, info.width, info.height, info.sequence) == (
        vector["mode"], vector["width"], vector["height"], vector["sequence"])
    assert info.bgr == vector["bgr"] and (info.checksum != "none") == vector["checksum"]
    if info.mode == "1":
        rows = np.packbits(array, axis=1).tobytes()
    else:
        rows = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    assert rows.hex() == vector["rows"]
    if "transparency_alpha" in vector or "palette" in vector:
        image, _ = Receiver(key).receive()
        assert image.info["transparency"].hex() == vector["transparency_alpha"]
        assert bytes(image.getpalette("RGB")).hex() == vector["palette"]
