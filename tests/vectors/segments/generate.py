"""Write the segment test vectors (tests/vectors/segments/): small segment images and what reading each gives.

Run from the repository root: `.venv/bin/python tests/vectors/segments/generate.py`. Good vectors are built with
imgshare's own layout code (imgshare.ipc.control and imgshare.ipc.header); hostile ones are good ones with
one thing broken, their CRCs recomputed so that the broken thing is what a reader meets (unless the CRC
itself is what is broken). The index (index.txt) says, for each NAME.seg, the status a reader returns
(the exit codes of docs/protocol.md section 9), the kind of result, the key to read it with, and for an
image its mode, size and sequence; NAME.pixels then holds its unpadded rows.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import xxhash

from imgshare.ipc import control as ctl
from imgshare.ipc import header as hdr
from imgshare.ipc.modes import row_bytes

FOLDER = Path(__file__).resolve().parent
KEY = "vector"
PAGE = 4096


def pattern(length: int, seed: int) -> bytes:
    return bytes((seed * 31 + i * 7 + (i >> 5)) & 0xFF for i in range(length))


def make_header(mode: str, width: int, height: int, payload: bytes, stride: int, **fields) -> hdr.Header:
    checksum_kind = fields.pop("checksum_kind", hdr.ChecksumKind.XXH3_64)
    checksum = xxhash.xxh3_64_intdigest(payload) if checksum_kind is hdr.ChecksumKind.XXH3_64 else 0
    return hdr.Header(sequence=fields.pop("sequence", 5), width=width, height=height, mode=mode, stride=stride,
                      payload_length=len(payload), checksum=checksum, sender_pid=1, sender_start=0,
                      timestamp_ns=1_700_000_000_123_456_789, checksum_kind=checksum_kind, **fields)


def segment(mode: str = "RGB", width: int = 5, height: int = 3, pad: int = 0, slots: int = 2, published: int = 1,
            key: str = KEY, **fields) -> tuple[bytearray, bytes]:
    """A segment with one image published in slot `published` (the others empty), and its unpadded rows."""
    row = row_bytes(mode, width)
    stride = row + pad
    rows = pattern(row * height, width + height)
    if mode == "1" and width % 8:
        keep = (0xFF << (8 - width % 8)) & 0xFF
        rows = bytes(b & keep if (i + 1) % row == 0 else b for i, b in enumerate(rows))
    payload = b"".join(rows[y * row:(y + 1) * row] + b"\xab" * pad for y in range(height))
    capacity = ctl.round_up(len(payload))
    first = ctl.first_slot_offset(slots)
    table = tuple((first, capacity) if i == published else (first + capacity, 0) for i in range(slots))
    size = first + capacity
    data = bytearray(size)
    data[:PAGE] = ctl.pack_control(ctl.Control(key=key, slots=table, published=published, owner_pid=1))
    h = make_header(mode, width, height, payload, stride, **fields)
    data[ctl.descriptor_offset(published):ctl.descriptor_offset(published) + PAGE] = hdr.pack_header(h)
    data[first:first + len(payload)] = payload
    return data, rows


# -- mutations (each recomputes the CRC it does not mean to break) ---------------------------------------
def control_crc(data: bytearray) -> None:
    block = bytearray(data[:PAGE])
    block[16:48] = bytes(32)
    struct.pack_into("<I", data, 28, zlib.crc32(block))


def descriptor_crc(data: bytearray, slot: int = 1) -> None:
    start = ctl.descriptor_offset(slot)
    block = bytearray(data[start:start + PAGE])
    block[28:32] = bytes(4)
    struct.pack_into("<I", data, start + 28, zlib.crc32(block))


def set_control(fmt: str, offset: int, value: int) -> Callable[[bytearray], None]:
    def change(data: bytearray) -> None:
        struct.pack_into(fmt, data, offset, value)
        control_crc(data)
    return change


def set_descriptor(fmt: str, offset: int, *values: object) -> Callable[[bytearray], None]:
    def change(data: bytearray) -> None:
        struct.pack_into(fmt, data, ctl.descriptor_offset(1) + offset, *values)
        descriptor_crc(data)
    return change


def set_bytes(offset: int, value: bytes, descriptor: bool = True) -> Callable[[bytearray], None]:
    def change(data: bytearray) -> None:
        start = ctl.descriptor_offset(1) + offset if descriptor else offset
        data[start:start + len(value)] = value
        descriptor_crc(data) if descriptor else control_crc(data)
    return change


# name -> (status, kind, segment bytes, unpadded rows or None, key)
Vector = tuple[int, str, bytes, "bytes | None", str]


def good_vectors() -> dict[str, Vector]:
    out: dict[str, Vector] = {}
    palette = pattern(256 * 3, 9)
    cases: dict[str, dict] = {
        "mode-1-13x3": dict(mode="1", width=13, height=3),
        "mode-L-5x3": dict(mode="L"),
        "mode-LA-5x3": dict(mode="LA"),
        "mode-P-palette-alpha256": dict(mode="P", palette_mode="RGB", palette=palette,
                                        transparency_kind=hdr.Transparency.ALPHA,
                                        transparency_alpha=pattern(256, 4)),
        "mode-P-rgba-palette-index": dict(mode="P", palette_mode="RGBA", palette=pattern(16, 2),
                                          transparency_kind=hdr.Transparency.VALUE, transparency_values=(3,)),
        "mode-RGB-5x3": dict(mode="RGB"),
        "mode-RGB-colour-key": dict(mode="RGB", transparency_kind=hdr.Transparency.COLOUR,
                                    transparency_values=(1, 2, 255)),
        "mode-RGBA-bgr": dict(mode="RGBA", flags=hdr.FLAG_BGR),
        "mode-I16-value": dict(mode="I;16", transparency_kind=hdr.Transparency.VALUE, transparency_values=(65535,)),
        "mode-I-7x2": dict(mode="I", width=7, height=2),
        "mode-F-3x3": dict(mode="F", width=3, height=3),
        "padded-stride-4096": dict(mode="L", width=3, height=2, pad=4096),
        "padded-stride-RGB": dict(mode="RGB", width=1, height=4, pad=5),
        "one-pixel": dict(mode="RGBA", width=1, height=1),
        "no-checksum": dict(mode="L", checksum_kind=hdr.ChecksumKind.NONE),
        "converted-with-source": dict(mode="RGB", flags=hdr.FLAG_CONVERTED, source_mode="CMYK",
                                      source_name="caf\u00e9 \u2603.tif"),
        "eight-slots-published-7": dict(mode="L", slots=8, published=7),
        "published-slot-0": dict(mode="L", published=0),
        "key-non-ascii": dict(mode="L", key="cl\u00e9 \u263a"),
        "sequence-large": dict(mode="L", sequence=2**63 + 5),
    }
    for name, fields in cases.items():
        key = fields.get("key", KEY)
        data, rows = segment(**fields)
        out[name] = (0, "image", bytes(data), rows, key)
    return out


def hostile_vectors() -> dict[str, Vector]:
    base, _ = segment()
    out: dict[str, Vector] = {}

    def add(name: str, status: int, kind: str, change: Callable[[bytearray], None] | None = None,
            data: bytes | None = None, key: str = KEY) -> None:
        copy = bytearray(base if data is None else data)
        if change is not None:
            change(copy)
        out[name] = (status, kind, bytes(copy), None, key)

    add("blank", 3, "not_shared", data=bytes(len(base)))
    add("nothing-published", 3, "not_shared", set_control("<I", 16, 0xFFFFFFFF))
    add("foreign-bytes", 4, "foreign", set_bytes(0, b"QSHMIMG\x00", descriptor=False))
    add("foreign-tiny", 4, "foreign", data=b"IMG")
    add("format-1", 4, "format", set_control("<H", 8, 1))
    add("format-3", 4, "format", set_control("<H", 8, 3))
    add("collision", 4, "collision", key="vector2")
    add("short-control", 4, "damaged", data=bytes(base[:100]))
    add("control-crc", 4, "damaged", lambda d: d.__setitem__(300, 1))
    add("control-size", 4, "damaged", set_control("<H", 10, 2048))
    add("slot-count-1", 4, "damaged", set_control("<I", 12, 1))
    add("slot-count-9", 4, "damaged", set_control("<I", 12, 9))
    add("control-flags", 4, "damaged", set_control("<I", 20, 2))
    add("key-length-0", 4, "damaged", set_control("<H", 192, 0))
    add("key-length-256", 4, "damaged", set_control("<H", 192, 256))
    add("key-not-utf8", 4, "damaged", set_bytes(256, b"vect\xc3\x28", descriptor=False), key="vector")
    add("slot-table-beyond-count", 4, "damaged", set_control("<Q", 64 + 16 * 2, 12288))
    add("slot-unaligned", 4, "damaged", set_control("<Q", 64 + 16, 12289))
    add("slot-in-descriptors", 4, "damaged", set_control("<Q", 64 + 16, 8192))
    add("slot-beyond-segment", 4, "damaged", set_control("<Q", 64 + 16 + 8, 1 << 40))
    add("slot-offset-huge", 4, "damaged", set_control("<Q", 64 + 16, 2**64 - 4096))
    add("slots-overlap", 4, "damaged", lambda d: (set_control("<Q", 64 + 8, 4096)(d),
                                                  set_control("<Q", 64, 12288)(d)))
    add("published-out-of-range", 4, "damaged", set_control("<I", 16, 2))
    add("descriptor-crc", 4, "damaged", lambda d: d.__setitem__(ctl.descriptor_offset(1) + 2000, 7))
    add("sequence-0", 4, "damaged", set_descriptor("<Q", 0, 0))
    add("mode-unknown", 4, "damaged", set_bytes(72, b"CMYK"))
    add("mode-inner-nul", 4, "damaged", set_bytes(72, b"RGB\x00X"))
    add("mode-not-ascii", 4, "damaged", set_bytes(72, b"RG\xc2\xa0"))
    add("width-0", 4, "damaged", set_descriptor("<I", 8, 0))
    add("width-65537", 4, "damaged", set_descriptor("<I", 8, 65537))
    add("height-huge", 4, "damaged", set_descriptor("<I", 12, 0xFFFFFFFF))
    add("stride-short", 4, "damaged", set_descriptor("<I", 16, 14))
    add("stride-too-padded", 4, "damaged", set_descriptor("<I", 16, 15 + 4097))
    add("payload-not-stride-x-height", 4, "damaged", set_descriptor("<Q", 32, 44))
    add("payload-beyond-slot", 4, "damaged", lambda d: (set_descriptor("<I", 12, 300)(d),
                                                        set_descriptor("<Q", 32, 15 * 300)(d)))
    add("descriptor-flags", 4, "damaged", set_descriptor("<I", 20, 4))
    add("bgr-on-L", 4, "damaged", lambda d: (set_bytes(72, b"L\x00\x00")(d), set_descriptor("<I", 16, 5)(d),
                                             set_descriptor("<Q", 32, 15)(d), set_descriptor("<I", 20, 2)(d)))
    add("checksum-kind-2", 4, "damaged", set_descriptor("<I", 24, 2))
    add("checksum-none-but-set", 4, "damaged", set_descriptor("<I", 24, 0))
    add("checksum-mismatch", 4, "checksum", lambda d: d.__setitem__(ctl.first_slot_offset(2) + 3, 0))
    add("source-length-300", 4, "damaged", set_descriptor("<H", 112, 300))
    add("source-not-utf8", 4, "damaged", lambda d: (set_bytes(256, b"ab\xff")(d), set_descriptor("<H", 112, 3)(d)))
    add("palette-on-RGB", 4, "damaged", lambda d: (set_bytes(104, b"RGB")(d), set_descriptor("<H", 114, 3)(d)))
    add("palette-mode-on-RGB", 4, "damaged", set_bytes(104, b"\x00A"))
    add("transparency-kind-4", 4, "damaged", set_descriptor("<HH", 116, 4, 0))
    add("transparency-colour-on-L", 4, "damaged",
        lambda d: (set_bytes(72, b"L\x00\x00")(d), set_descriptor("<I", 16, 5)(d), set_descriptor("<Q", 32, 15)(d),
                   set_descriptor("<HHIII", 116, 2, 3, 1, 2, 3)(d)))
    add("transparency-value-on-RGB", 4, "damaged", set_descriptor("<HHI", 116, 1, 1, 3))
    add("transparency-colour-256", 4, "damaged", set_descriptor("<HHIII", 116, 2, 3, 1, 256, 3))
    add("transparency-length-wrong", 4, "damaged", set_descriptor("<HHIII", 116, 2, 2, 1, 2, 3))
    add("transparency-none-with-length", 4, "damaged", set_descriptor("<HH", 116, 0, 1))
    palette_base, _ = segment(mode="P", palette_mode="RGB", palette=pattern(30, 1))
    add("palette-not-whole-entries", 4, "damaged", set_descriptor("<H", 114, 31), data=bytes(palette_base))
    add("palette-257-entries", 4, "damaged", lambda d: (set_bytes(104, b"RGBA")(d), set_descriptor("<H", 114, 1028)(d)),
        data=bytes(palette_base))
    add("palette-mode-bad", 4, "damaged", set_bytes(104, b"CMYK"), data=bytes(palette_base))
    add("alpha-length-0", 4, "damaged", set_descriptor("<HH", 116, 3, 0), data=bytes(palette_base))
    add("alpha-length-257", 4, "damaged", set_descriptor("<HH", 116, 3, 257), data=bytes(palette_base))
    add("index-256", 4, "damaged", set_descriptor("<HHI", 116, 1, 1, 256), data=bytes(palette_base))
    return out


def write(folder: Path = FOLDER) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.seg"):
        old.unlink()
    for old in folder.glob("*.pixels"):
        old.unlink()
    vectors = {**good_vectors(), **hostile_vectors()}
    lines = ["# Segment test vectors (generate.py writes this index and the .seg and .pixels files; protocol.md §3).",
             "# One vector a line: NAME STATUS KIND KEY_HEX [MODE WIDTH HEIGHT SEQUENCE]. NAME.seg holds the segment's",
             "# bytes (its size is the segment size); STATUS is what a reader returns (0 image, 3 nothing shared,",
             "# 4 damaged or not ours); KIND is image, not_shared, foreign, collision, format, damaged or checksum;",
             "# KEY_HEX is the key to read it with, as UTF-8 in hexadecimal. For an image, NAME.pixels holds its",
             "# unpadded rows."]
    for name, (status, kind, data, rows, key) in sorted(vectors.items()):
        (folder / f"{name}.seg").write_bytes(data)
        line = f"{name} {status} {kind} {key.encode().hex()}"
        if rows is not None:
            (folder / f"{name}.pixels").write_bytes(rows)
            published = struct.unpack_from("<I", data, 16)[0]
            h = hdr.unpack_header(data[ctl.descriptor_offset(published):ctl.descriptor_offset(published) + PAGE],
                                  1 << 40)
            line += f" {h.mode} {h.width} {h.height} {h.sequence}"
        lines.append(line)
    (folder / "index.txt").write_text("\n".join(lines) + "\n")
    return len(vectors)


if __name__ == "__main__":
    count = write(Path(sys.argv[1]) if len(sys.argv) > 1 else FOLDER)
    print(f"wrote {count} vectors")
