"""Every segment test vector (tests/vectors/segments/) read with imgshare's Python reader gives what its
index says: the image, pixel for pixel, or the error of the kind and exit code listed.

The reader here is the Receiver's own sequence of checks on the bytes it copies out of a segment under
the lock (receiver.py, _look and the array reader): blank, control block, published slot, descriptor,
checksum, pixels. The C library reads the same vectors (tests/c/test_c_programs.py, clients/c/tests/vectors.c)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import xxhash

from imgshare.exit_codes import CORRUPT, NOT_SHARED, OK, exit_code_for
from imgshare.ipc import arrays
from imgshare.ipc import control as ctl
from imgshare.ipc import header as hdr
from imgshare.ipc.errors import (
    CorruptSegmentError,
    ForeignSegmentError,
    ImgShareError,
    NotSharedError,
    UnsupportedFormatError,
)

FOLDER = Path(__file__).resolve().parent / "vectors" / "segments"


@dataclass(frozen=True)
class Vector:
    name: str
    status: int
    kind: str
    key: str
    image: tuple[str, int, int, int] | None  # mode, width, height, sequence

    @property
    def data(self) -> bytes:
        return (FOLDER / f"{self.name}.seg").read_bytes()

    @property
    def rows(self) -> bytes:
        return (FOLDER / f"{self.name}.pixels").read_bytes()


def load_index() -> list[Vector]:
    vectors = []
    for line in (FOLDER / "index.txt").read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        name, status, kind, key_hex, *rest = line.split()
        image = (rest[0], int(rest[1]), int(rest[2]), int(rest[3])) if rest else None
        vectors.append(Vector(name, int(status), kind, bytes.fromhex(key_hex).decode(), image))
    return vectors


VECTORS = load_index()


def read_segment(data: bytes, key: str) -> tuple[hdr.Header, bytes]:
    """The published image of a segment image: its header and unpadded rows (or the reader's error)."""
    raw = data[:ctl.CONTROL_SIZE]
    if ctl.is_blank(raw):
        raise NotSharedError("nothing is shared yet")
    control = ctl.unpack_control(raw, len(data), key)
    if control.published is None:
        raise NotSharedError("nothing is shared yet")
    start = ctl.descriptor_offset(control.published)
    h = hdr.unpack_header(data[start:start + hdr.DESCRIPTOR_SIZE], control.slots[control.published][1])
    offset = control.slots[control.published][0]
    payload = memoryview(data)[offset:offset + h.payload_length]
    if h.checksum_kind is hdr.ChecksumKind.XXH3_64 and xxhash.xxh3_64_intdigest(payload) != h.checksum:
        raise CorruptSegmentError("the image failed its checksum")
    rows = arrays.slot_array(payload, h.mode, h.width, h.height, h.stride)
    return h, np.ascontiguousarray(rows).tobytes()


def error_kind(error: ImgShareError) -> str:
    if isinstance(error, NotSharedError):
        return "not_shared"
    if isinstance(error, UnsupportedFormatError):
        return "format"
    if isinstance(error, ForeignSegmentError):
        return "collision" if "collides" in str(error) else "foreign"
    if isinstance(error, CorruptSegmentError):
        return "checksum" if "failed its checksum" in str(error) else "damaged"
    return type(error).__name__


def test_the_index_lists_every_vector_and_hostile_ones_of_every_kind():
    listed = {v.name for v in VECTORS}
    assert listed == {p.stem for p in FOLDER.glob("*.seg")}
    assert {v.kind for v in VECTORS} == {"image", "not_shared", "foreign", "collision", "format", "damaged",
                                         "checksum"}
    assert {v.image[0] for v in VECTORS if v.image} == set(hdr.BGR_MODES | {"1", "L", "LA", "P", "I;16", "I", "F"})
    assert sum(v.status == CORRUPT for v in VECTORS) >= 40


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_python_reads_each_vector_as_listed(vector: Vector):
    try:
        h, rows = read_segment(vector.data, vector.key)
    except ImgShareError as error:
        assert (error_kind(error), exit_code_for(error)) == (vector.kind, vector.status), str(error)
        return
    assert vector.status == OK and vector.image is not None
    assert (h.mode, h.width, h.height, h.sequence) == vector.image
    assert rows == vector.rows


def test_the_generator_reproduces_the_stored_vectors(tmp_path):
    from tests.vectors.segments.generate import write
    write(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert made == sorted(p.name for p in FOLDER.iterdir() if p.suffix in (".seg", ".pixels") or p.name == "index.txt")
    for name in made:
        assert (tmp_path / name).read_bytes() == (FOLDER / name).read_bytes(), name


def test_an_error_status_for_every_hostile_vector_is_not_shared_or_corrupt():
    assert {v.status for v in VECTORS if v.kind != "image"} == {NOT_SHARED, CORRUPT}
