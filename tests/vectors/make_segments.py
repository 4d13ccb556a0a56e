"""Writes tests/vectors/segments/*.bin and segments.json: small protocol-2 segment images, valid and
hostile, with what reading each must give. Run it after a layout change: `python tests/vectors/make_segments.py`.

Shared by the Python tests (tests/test_vectors.py) and any other implementation (see README.md here).
"""

from __future__ import annotations

import json
import struct
import sys
import zlib
from pathlib import Path

import xxhash

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from imgshare.ipc import control as ctl  # noqa: E402
from imgshare.ipc import header as hdr  # noqa: E402

KEY = "imgshare-vector-" + "0" * 16  # runners replace the 16 zeros with their own random hex digits


def segment(payloads: list[bytes], headers: list[hdr.Header | None], published: int | None,
            capacities: list[int] | None = None, key: str = KEY) -> bytearray:
    slots, size = ctl.plan_slots(capacities or [max(1, len(p)) for p in payloads])
    raw = bytearray(size)
    raw[:ctl.CONTROL_SIZE] = ctl.pack_control(ctl.Control(key=key, slots=slots, published=published,
                                                          owner_pid=0, owner_start=0))
    for index, (payload, h) in enumerate(zip(payloads, headers, strict=True)):
        offset = slots[index][0]
        raw[offset:offset + len(payload)] = payload
        if h is not None:
            raw[ctl.descriptor_offset(index):ctl.descriptor_offset(index) + hdr.DESCRIPTOR_SIZE] = hdr.pack_header(h)
    return raw


def image(mode: str, width: int, height: int, payload: bytes, stride: int | None = None, **fields) -> hdr.Header:
    stride = stride or len(payload) // height
    kind = fields.pop("checksum_kind", hdr.ChecksumKind.XXH3_64)
    checksum = xxhash.xxh3_64_intdigest(payload) if kind is hdr.ChecksumKind.XXH3_64 else 0
    return hdr.Header(sequence=fields.pop("sequence", 7), width=width, height=height, mode=mode, stride=stride,
                      payload_length=len(payload), checksum=checksum, sender_pid=0, sender_start=0,
                      timestamp_ns=1_700_000_000_000_000_000, source_name="vector", source_mode=mode,
                      checksum_kind=kind, **fields)


def reseal_control(raw: bytearray) -> None:
    zeroed = bytearray(raw[:ctl.CONTROL_SIZE])
    zeroed[ctl.MUTABLE] = bytes(ctl.MUTABLE.stop - ctl.MUTABLE.start)
    struct.pack_into("<I", raw, ctl.CRC_OFFSET, zlib.crc32(zeroed))


def reseal_descriptor(raw: bytearray, slot: int) -> None:
    start = ctl.descriptor_offset(slot)
    block = bytearray(raw[start:start + hdr.DESCRIPTOR_SIZE])
    block[hdr.CRC_OFFSET:hdr.CRC_OFFSET + 4] = bytes(4)
    struct.pack_into("<I", raw, start + hdr.CRC_OFFSET, zlib.crc32(block))


def valid(mode: str, width: int, height: int, payload: bytes, rows: bytes, stride: int | None = None,
          **fields) -> tuple[bytearray, dict]:
    h = image(mode, width, height, payload, stride, **fields)
    expect = {"exit": 0, "mode": mode, "width": width, "height": height, "sequence": h.sequence,
              "bgr": h.bgr, "checksum": h.checksum_kind is hdr.ChecksumKind.XXH3_64, "rows": rows.hex()}
    if h.transparency_kind is hdr.Transparency.ALPHA:
        expect["transparency_alpha"] = h.transparency_alpha.hex()
    if h.palette:
        expect["palette"] = h.palette.hex()
    return segment([payload, b"", b""], [h, None, None], 0, [len(payload)] * 3), expect


def vectors() -> dict[str, tuple[bytearray, dict]]:
    out: dict[str, tuple[bytearray, dict]] = {}
    rgb = bytes(range(12))
    out["rgb-2x2"] = valid("RGB", 2, 2, rgb, rgb)
    padded = b"".join(bytes(range(r * 12, r * 12 + 12)) + b"\xee" * 4 for r in range(2))
    out["rgba-3x2-padded-stride"] = valid("RGBA", 3, 2, padded, b"".join(
        padded[r * 16:r * 16 + 12] for r in range(2)), stride=16)
    bgr = bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7, 1, 2, 3, 4, 5, 6])
    out["bgr-3x2"] = valid("RGB", 3, 2, bgr, bgr, flags=hdr.FLAG_BGR)
    indices = bytes(range(256))
    palette = bytes(range(256)) * 3
    alpha = bytes(255 - i for i in range(256))
    out["p-16x16-256-transparency"] = valid("P", 16, 16, indices, indices, palette_mode="RGB", palette=palette,
                                           transparency_kind=hdr.Transparency.ALPHA, transparency_alpha=alpha)
    grey = bytes(range(12))
    out["l-4x3-no-checksum"] = valid("L", 4, 3, grey, grey, checksum_kind=hdr.ChecksumKind.NONE)
    bits = bytes([0b10110000, 0b01000000, 0b00001111, 0b11000000])
    out["1-10x2"] = valid("1", 10, 2, bits, bits)
    sixteen = struct.pack("<6H", 0, 1, 256, 65535, 4660, 43981)
    out["i16-3x2"] = valid("I;16", 3, 2, sixteen, sixteen)
    floats = struct.pack("<4f", 0.5, -2.0, 1e30, 0.0)
    out["f-2x2"] = valid("F", 2, 2, floats, floats)
    ints = struct.pack("<2i", -5, 2147483647)
    out["i-2x1"] = valid("I", 2, 1, ints, ints, transparency_kind=hdr.Transparency.VALUE, transparency_values=(7,))

    good, _ = valid("RGB", 2, 2, rgb, rgb)

    def hostile(name: str, raw: bytearray, exit_code: int, why: str) -> None:
        out[name] = (raw, {"exit": exit_code, "why": why})

    nothing = segment([rgb, b"", b""], [None, None, None], None, [12] * 3)
    hostile("nothing-published", nothing, 3, "published is 0xFFFFFFFF: nothing shared yet")
    hostile("blank", bytearray(len(good)), 3, "all zero: a sender died before writing it")
    old = bytearray(good)
    struct.pack_into("<H", old, 8, 1)
    hostile("format-1", old, 4, "version 1: an older imgshare")
    foreign = bytearray(good)
    foreign[:8] = b"\x7fELF\x02\x01\x01\x00"
    hostile("foreign", foreign, 4, "not our magic: another program's segment")
    raw = bytearray(good)
    raw[300] ^= 1
    hostile("control-crc", raw, 4, "a flipped key byte: control CRC mismatch")
    raw = bytearray(good)
    struct.pack_into("<I", raw, ctl.PUBLISHED_OFFSET, 5)
    hostile("published-out-of-range", raw, 4, "published slot 5 of 3 (outside the CRC, checked by range)")
    raw = bytearray(good)
    struct.pack_into("<Q", raw, ctl.SLOT_TABLE_OFFSET + 16, struct.unpack_from("<Q", raw, ctl.SLOT_TABLE_OFFSET)[0])
    reseal_control(raw)
    hostile("overlapping-slots", raw, 4, "slot 1 starts where slot 0 does (valid CRC)")
    raw = bytearray(good)
    struct.pack_into("<Q", raw, ctl.SLOT_TABLE_OFFSET + 8, 1 << 40)
    reseal_control(raw)
    hostile("slot-past-the-end", raw, 4, "slot 0 capacity runs past the segment (valid CRC)")
    raw = bytearray(good)
    struct.pack_into("<I", raw, 12, 9)
    reseal_control(raw)
    hostile("nine-slots", raw, 4, "slot_count 9 (valid CRC)")
    raw = bytearray(good)
    raw[ctl.descriptor_offset(0) + 3000] ^= 1
    hostile("descriptor-crc", raw, 4, "a flipped reserved byte: descriptor CRC mismatch")
    raw = bytearray(good)
    raw[ctl.first_slot_offset(3)] ^= 1
    hostile("payload-checksum", raw, 4, "a flipped pixel byte: XXH3 mismatch")
    raw = bytearray(good)
    struct.pack_into("<II", raw, ctl.descriptor_offset(0) + 8, 60000, 60000)
    reseal_descriptor(raw, 0)
    hostile("lying-dimensions", raw, 4, "60000x60000 with a 12-byte payload (valid CRC)")
    raw = bytearray(good)
    struct.pack_into("<I", raw, ctl.descriptor_offset(0) + 20, hdr.FLAG_BGR)
    raw[ctl.descriptor_offset(0) + 72:ctl.descriptor_offset(0) + 88] = b"L".ljust(16, b"\0")
    struct.pack_into("<III", raw, ctl.descriptor_offset(0) + 8, 4, 3, 4)
    reseal_descriptor(raw, 0)
    hostile("bgr-on-grey", raw, 4, "the BGR flag on an L image (valid CRC)")
    raw = bytearray(good)
    struct.pack_into("<HH", raw, ctl.descriptor_offset(0) + 116, 3, 4)
    reseal_descriptor(raw, 0)
    hostile("alpha-table-on-rgb", raw, 4, "transparency kind 3 on RGB (valid CRC)")
    other = segment([rgb, b"", b""], [image("RGB", 2, 2, rgb), None, None], 0, [12] * 3,
                    key="another-key-of-the-same-length")
    out["another-key"] = (other, {"exit": 4, "why": "the control block names another key (a collision)",
                                  "keep_key": True})
    return out


def main() -> None:
    folder = HERE / "segments"
    folder.mkdir(exist_ok=True)
    index = []
    for name, (raw, expect) in vectors().items():
        (folder / f"{name}.bin").write_bytes(bytes(raw))
        index.append({"name": name, "file": f"segments/{name}.bin", "key": KEY, **expect})
    (HERE / "segments.json").write_text(json.dumps(index, indent=1) + "\n")
    print(f"wrote {len(index)} vectors")


if __name__ == "__main__":
    main()
