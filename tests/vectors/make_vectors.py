"""Writes the protocol-3 conformance vectors (docs/protocol.md §19): tests/vectors/reference/ (good shares,
described language-neutrally) and tests/vectors/hostile/ (each one thing broken), plus keys.txt and
key-text.txt. Run it after a layout change: `.venv/bin/python tests/vectors/make_vectors.py`.

Every share is built with imgshare's own layout code (imgshare.ipc.layout); a hostile vector is a good
one with one field changed and its CRC recomputed, so that the changed field is what a reader meets
(unless the CRC itself is what is broken). Each names the rules it proves and, when it is refused, why.
"""

from __future__ import annotations

import json
import shutil
import struct
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import xxhash

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from imgshare.ipc.layout import control as ctl  # noqa: E402
from imgshare.ipc.layout import descriptor as dsc  # noqa: E402
from imgshare.ipc.layout.keys import recipe  # noqa: E402
from imgshare.ipc.layout.modes import row_bytes  # noqa: E402
from imgshare.ipc.layout.text import REFUSED_RANGES  # noqa: E402

KEY = "imgshare-vector-" + "0" * 16  # runners replace the 16 zeros with random hexadecimal digits
EPOCH = 0x1E5C0DE5EED0F00D
TIMESTAMP = 1_700_000_000_123_456_789
PAGE = 4096


@dataclass
class Image:
    """One image to put in a slot: its pixels as stored (rows without padding) and descriptor fields."""

    mode: str
    width: int
    height: int
    rows: bytes
    pad: int = 0
    pad_byte: int = 0
    fields: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> bytes:
        row = row_bytes(self.mode, self.width)
        return b"".join(self.rows[y * row:(y + 1) * row] + bytes([self.pad_byte]) * self.pad
                        for y in range(self.height))


@dataclass
class Share:
    """A whole share: control block, data segments, semaphore values."""

    control: bytearray | None
    data: list[Any]  # per slot: bytearray, None or "missing"
    semaphores: list[int] | None
    slot_count: int


def descriptor_for(image: Image, generation: int, sequence: int = 5) -> dsc.Descriptor:
    fields = dict(image.fields)
    kind = fields.pop("checksum_kind", dsc.ChecksumKind.XXH3_64)
    checksum = xxhash.xxh3_64_intdigest(image.rows) if kind is dsc.ChecksumKind.XXH3_64 else 0
    stride = row_bytes(image.mode, image.width) + image.pad
    return dsc.Descriptor(
        epoch=EPOCH, generation=generation, sequence=fields.pop("sequence", sequence), width=image.width,
        height=image.height, mode=image.mode, stride=stride, payload_length=stride * image.height,
        checksum=fields.pop("checksum", checksum), sender_pid=4242, timestamp_ns=TIMESTAMP,
        checksum_kind=kind, source_name=fields.pop("source_name", "vector.png"), **fields)


def data_segment(d: dsc.Descriptor, payload: bytes, extra: int = 0) -> bytearray:
    size = dsc.DESCRIPTOR_SIZE + max(PAGE, (len(payload) + PAGE - 1) // PAGE * PAGE) + extra
    raw = bytearray(size)
    raw[:dsc.DESCRIPTOR_SIZE] = dsc.pack_descriptor(d)
    raw[dsc.DESCRIPTOR_SIZE:dsc.DESCRIPTOR_SIZE + len(payload)] = payload
    return raw


def share(image: Image | None, slot: int = 1, slot_count: int = 3, key: str = KEY, hint: int | None = -1,
          sequence: int = 5) -> Share:
    """A share with image published in slot (None: nothing published), the other slots empty."""
    slots = [ctl.Slot()] * slot_count
    data: list[Any] = [None] * slot_count
    gates = [0] * slot_count
    if image is not None:
        slots[slot] = ctl.Slot(generation=slot + 1, shmid=0)
        data[slot] = data_segment(descriptor_for(image, slot + 1, sequence), image.payload())
        gates[slot] = 1
    published = (slot if image is not None else None) if hint == -1 else hint
    block = ctl.pack_control(ctl.Control(key=key, slot_count=slot_count, epoch=EPOCH, published=published,
                                         flags=ctl.FLAG_SERVING, owner_pid=4242, owner_token=7,
                                         sequence=sequence if image is not None else 0,
                                         generation=slot_count, slots=tuple(slots)))
    return Share(bytearray(block), data, [0, sequence % 32000, *gates, *([0] * slot_count)], slot_count)


def reseal_control(raw: bytearray) -> None:
    struct.pack_into("<I", raw, ctl.CRC, ctl.crc_of(raw))


def reseal_descriptor(raw: bytearray) -> None:
    struct.pack_into("<I", raw, dsc.CRC, dsc.crc_of(raw))


def pattern(length: int, seed: int) -> bytes:
    return bytes((seed * 31 + i * 7 + (i >> 5)) & 0xFF for i in range(length))


def expect_image(image: Image, sequence: int = 5, **more: Any) -> dict[str, Any]:
    f = image.fields
    kind = f.get("checksum_kind", dsc.ChecksumKind.XXH3_64)
    expect: dict[str, Any] = {
        "exit": 0, "kind": "image", "mode": image.mode, "width": image.width, "height": image.height,
        "sequence": f.get("sequence", sequence), "epoch": f"{EPOCH:016x}",
        "bgr": bool(f.get("flags", 0) & dsc.FLAG_BGR), "checksum": kind is dsc.ChecksumKind.XXH3_64,
        "rows": image.rows.hex(), "source_name": f.get("source_name", "vector.png"),
        "source_mode": f.get("source_mode", ""), "converted": bool(f.get("flags", 0) & dsc.FLAG_CONVERTED),
    }
    if image.mode == "P":
        expect["palette_mode"] = f.get("palette_mode", "")
        expect["palette"] = f.get("palette", b"").hex()
    t_kind = f.get("transparency_kind", dsc.Transparency.NONE)
    if t_kind is dsc.Transparency.ALPHA:
        expect["transparency"] = {"kind": 3, "alpha": f["transparency_alpha"].hex()}
    elif t_kind is not dsc.Transparency.NONE:
        expect["transparency"] = {"kind": int(t_kind), "values": list(f["transparency_values"])}
    if f.get("tags_json"):
        expect["tags"] = json.loads(f["tags_json"])
    expect.update(more)
    return expect


Vectors = dict[str, tuple[Share, dict[str, Any], list[str]]]


def reference() -> Vectors:
    out: Vectors = {}

    def good(name: str, image: Image, rules: list[str], **kw: Any) -> None:
        out[name] = (share(image, **kw), expect_image(image, kw.get("sequence", 5)), ["S4", "X1", *rules])

    rgb = bytes(range(12))
    good("rgb-2x2", Image("RGB", 2, 2, rgb), ["D1"])
    good("rgba-3x2-padded-stride", Image("RGBA", 3, 2, pattern(24, 3), pad=4, pad_byte=0xEE), ["P1"])
    good("l-1-row-padded", Image("L", 5, 1, pattern(5, 1), pad=11), ["P1"])
    good("rgb-padded-checksum-rows-only", Image("RGB", 3, 3, pattern(27, 9), pad=7, pad_byte=0x55), ["P1"])
    good("bgr-3x2", Image("RGB", 3, 2, bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7, 1, 2, 3, 4, 5, 6]),
                          fields={"flags": dsc.FLAG_BGR}), ["P2"])
    sixteen = struct.pack("<12H", 0, 1, 256, 65535, 4660, 43981, 7, 8, 9, 10, 11, 12)
    good("rgb16-2x2", Image("RGB;16", 2, 2, sixteen), [])
    good("bgr16-2x2", Image("RGB;16", 2, 2, sixteen, fields={"flags": dsc.FLAG_BGR}), ["P2"])
    good("rgba16-2x1", Image("RGBA;16", 2, 1, struct.pack("<8H", 1, 2, 3, 65535, 40000, 5, 6, 0)), [])
    good("rgb16-transparency", Image("RGB;16", 1, 2, sixteen[:12], fields={
        "transparency_kind": dsc.Transparency.COLOUR, "transparency_values": (65535, 0, 300)}), ["P5"])
    indices = bytes(range(256))
    good("p-16x16-256-transparency", Image("P", 16, 16, indices, fields={
        "palette_mode": "RGB", "palette": bytes(range(256)) * 3,
        "transparency_kind": dsc.Transparency.ALPHA, "transparency_alpha": bytes(255 - i for i in range(256))}),
        ["P4", "P5"])
    good("p-rgba-palette", Image("P", 4, 2, bytes([0, 1, 2, 3, 3, 2, 1, 9]), fields={
        "palette_mode": "RGBA", "palette": bytes(range(16))}), ["P4"])
    good("l-4x3-no-checksum", Image("L", 4, 3, bytes(range(12)), fields={
        "checksum_kind": dsc.ChecksumKind.NONE}), ["X2"])
    good("1-10x2", Image("1", 10, 2, bytes([0b10110000, 0b01000000, 0b00001111, 0b11000000])), [])
    good("i16-3x2", Image("I;16", 3, 2, struct.pack("<6H", 0, 1, 256, 65535, 4660, 43981)), [])
    good("f-2x2", Image("F", 2, 2, struct.pack("<4f", 0.5, -2.0, 1e30, 0.0)), [])
    good("i-2x1", Image("I", 2, 1, struct.pack("<2i", -5, 2147483647), fields={
        "transparency_kind": dsc.Transparency.VALUE, "transparency_values": (7,)}), ["P5"])
    good("la-2x1", Image("LA", 2, 1, bytes([10, 255, 20, 0])), [])
    good("rgb-transparency-colour", Image("RGB", 1, 1, bytes([1, 2, 3]), fields={
        "transparency_kind": dsc.Transparency.COLOUR, "transparency_values": (1, 2, 3)}), ["P5"])
    tags = json.dumps({"exposure_us": 8000, "camera": "cam-0 ✓", "roi": [1, 2, 3, 4], "ok": True,
                       "nested": {"a": {"b": None}}, "text": "esc \u001b [31m"}, ensure_ascii=False,
                      separators=(",", ":")).encode()
    good("tags", Image("L", 2, 2, bytes(4), fields={"tags_json": tags}), ["T1"])
    good("source-name-unicode", Image("L", 1, 1, b"\x07", fields={"source_name": "ph\u00f6to \u732b.png"}),
         ["P6"])
    good("converted-cmyk", Image("RGB", 1, 1, b"\x01\x02\x03", fields={
        "flags": dsc.FLAG_CONVERTED, "source_mode": "CMYK"}), ["P3"])
    good("published-slot-7-of-8", Image("L", 5, 3, pattern(15, 2)), ["S1"], slot=7, slot_count=8)
    good("two-slots", Image("L", 2, 1, b"\x01\x02"), ["S1"], slot=0, slot_count=2)
    good("gate-closed-hint", Image("L", 2, 1, b"\x03\x04"), ["S4", "R1"], slot=2, hint=0)
    good("no-hint-gate-open", Image("L", 2, 1, b"\x05\x06"), ["R1"], slot=1, hint=None)
    good("big-sequence", Image("L", 1, 1, b"\x08", fields={"sequence": 2**63 + 5}), [])
    padded = Image("L", 3, 2, pattern(6, 5), pad=5, pad_byte=0)
    s = share(padded)
    raw = s.data[1]
    raw[dsc.DESCRIPTOR_SIZE + 3] ^= 0xFF  # a padding byte of row 0: not covered by the checksum
    out["padding-not-covered"] = (s, expect_image(padded), ["P1", "X1"])
    pinned = Image("RGB", 2, 1, b"\x01\x02\x03\x04\x05\x06")
    s = share(pinned)
    assert s.semaphores is not None
    s.semaphores[2 + 3 + 1] = 32767  # pin of the published slot at the kernel's maximum
    out["pin-at-max"] = (s, expect_image(pinned), ["R1"])
    return out


def hostile() -> Vectors:
    out: Vectors = {}
    good_image = Image("RGB", 5, 3, pattern(45, 8))

    def bad(name: str, s: Share, exit_code: int, kind: str, why: str, rules: list[str]) -> None:
        out[name] = (s, {"exit": exit_code, "kind": kind, "why": why}, ["V1", *rules])

    def control_edit(edit: Any, reseal: bool = True, image: Image = good_image) -> Share:
        s = share(image)
        assert s.control is not None
        edit(s.control)
        if reseal:
            reseal_control(s.control)
        return s

    def descriptor_edit(edit: Any, reseal: bool = True, image: Image = good_image) -> Share:
        s = share(image)
        raw = s.data[1]
        edit(raw)
        if reseal:
            reseal_descriptor(raw)
        return s

    def set_u(width: int, offset: int, value: int) -> Any:
        return lambda raw: struct.pack_into({2: "<H", 4: "<I", 8: "<Q"}[width], raw, offset, value)

    # §9.1: the control segment
    s = share(good_image)
    s.control = bytearray(ctl.CONTROL_SIZE)
    bad("blank", s, 3, "not_shared", "step 4: first 8 bytes zero, 4096 bytes: blank", ["C4"])
    s = control_edit(lambda r: r.__setitem__(slice(0, 8), b"IMGS\0\0\0\0"), reseal=False)
    bad("half-magic", s, 4, "foreign", "step 5: half a magic is not the magic", ["C4"])
    s = control_edit(lambda r: r.__setitem__(slice(0, 8), b"\x7fELF\x02\x01\x01\x00"), reseal=False)
    bad("foreign-bytes", s, 4, "foreign", "step 5: not our magic", [])
    s = share(good_image)
    s.control = bytearray(b"\x01\x02\x03\x04")
    bad("foreign-tiny", s, 4, "foreign", "step 5: a 4-byte segment cannot hold the magic", [])
    s = share(good_image)
    s.control = bytearray(100)
    bad("zero-100-bytes", s, 4, "foreign", "step 4/5: zeros but not 4096 bytes: not blank, not ours", [])
    for size in (8, 9, 19):
        s = share(good_image)
        assert s.control is not None
        s.control = bytearray(s.control[:size])
        bad(f"magic-{size}-bytes", s, 4, "damaged", f"step 6: a {size}-byte segment with our magic", ["C1"])
    for version in (1, 2, 4):
        s = control_edit(set_u(2, 8, version), reseal=False)
        bad(f"format-{version}", s, 4, "format", f"step 6: version {version}", ["V2"])
    s = share(good_image)
    assert s.control is not None
    s.control = s.control + bytearray(4096)
    bad("control-8192-bytes", s, 4, "damaged", "step 7: a control segment of 8192 bytes", ["C1"])
    bad("control-size-field", control_edit(set_u(2, 10, 8192)), 4, "damaged", "step 7: control_size 8192", ["C1"])
    s = control_edit(lambda r: r.__setitem__(ctl.KEY + 3, r[ctl.KEY + 3] ^ 1), reseal=False)
    bad("control-crc", s, 4, "damaged", "step 7: a flipped key byte fails the CRC", ["C1"])
    s = control_edit(lambda r: r.__setitem__(2000, 1), reseal=False)
    bad("control-reserved-byte", s, 4, "damaged", "step 7: a reserved byte changed: CRC", ["C1"])
    bad("slot-count-1", control_edit(set_u(4, 12, 1)), 4, "damaged", "step 7: slot_count 1", [])
    bad("slot-count-9", control_edit(set_u(4, 12, 9)), 4, "damaged", "step 7: slot_count 9", [])
    bad("epoch-0", control_edit(set_u(8, 16, 0)), 4, "damaged", "step 7: epoch 0", [])
    bad("key-length-0", control_edit(set_u(2, ctl.KEY_LENGTH, 0)), 4, "damaged", "step 7: key_length 0", [])
    bad("key-length-256", control_edit(set_u(2, ctl.KEY_LENGTH, 256)), 4, "damaged", "step 7: key_length 256", [])
    s = control_edit(lambda r: r.__setitem__(ctl.KEY, 0xFF))
    out["key-bad-utf8"] = (s, {"exit": 4, "kind": "damaged", "why": "step 7: the key bytes are not UTF-8",
                               "keep_key": True}, ["V1"])
    other = share(good_image, key="another-key-of-the-same-length!!")
    out["collision"] = (other, {"exit": 4, "kind": "collision", "why": "step 8: the block names another key",
                                "keep_key": True}, ["V1"])
    bad("unknown-control-flag", control_edit(set_u(4, ctl.FLAGS, 4), reseal=False), 4, "damaged",
        "step 9: control flag bit 2", [])
    bad("entry-beyond-slot-count", control_edit(set_u(8, ctl.slot_entry(5), 9), reseal=False), 4, "damaged",
        "step 9: slot 5 of 3 is in use", ["C3"])
    bad("pending-state-3", control_edit(set_u(8, ctl.PENDING, 3 << 32), reseal=False), 4, "damaged",
        "step 9: pending state 3", [])
    # §9.2: the set
    s = share(good_image)
    s.semaphores = None
    bad("no-set", s, 4, "damaged", "step 10: a valid control segment and no semaphore set", [])
    s = share(good_image)
    assert s.semaphores is not None
    s.semaphores = s.semaphores[:7]
    bad("nsems-7", s, 4, "foreign", "step 12: 7 semaphores for 3 slots", ["S1"])
    s.semaphores = [1]
    bad("nsems-1", s, 4, "foreign", "step 12: a set of 1 (a format-2 lock)", ["S1"])
    # §9.3: gates and slots
    bad("nothing-published", share(None), 3, "not_shared", "step 13: no gate open", [])
    s = share(good_image, hint=None)
    assert s.semaphores is not None
    s.semaphores[2] = 1
    bad("two-gates-open", s, 4, "damaged", "step 13: gates 0 and 1 both open (no hint)", ["S2"])
    s = share(good_image)
    assert s.control is not None
    struct.pack_into("<Q", s.control, ctl.slot_entry(1), 0)
    bad("entry-empty-gate-open", s, 4, "damaged", "step 14: the published slot's entry is empty", [])
    s = share(good_image)
    s.data[1] = "missing"
    bad("data-missing", s, 4, "damaged", "step 15: the entry names a segment that does not exist", [])
    s = share(good_image)
    s.data[1] = s.data[1][:PAGE]
    bad("data-4096-bytes", s, 4, "damaged", "step 16: a data segment smaller than a descriptor", [])
    bad("data-magic", descriptor_edit(lambda r: r.__setitem__(0, ord("X"))), 4, "damaged", "step 17: magic", [])
    bad("data-version-2", descriptor_edit(set_u(2, 8, 2)), 4, "damaged", "step 17: version 2", [])
    bad("data-size-field", descriptor_edit(set_u(2, 10, 4096)), 4, "damaged", "step 17: descriptor_size", [])
    s = descriptor_edit(lambda r: r.__setitem__(3000, 1), reseal=False)
    bad("descriptor-crc", s, 4, "damaged", "step 17: a reserved byte changed: CRC", [])
    bad("epoch-mismatch", descriptor_edit(set_u(8, 16, EPOCH + 1)), 4, "damaged", "step 17: epoch", ["D1"])
    bad("generation-mismatch", descriptor_edit(set_u(8, 24, 9)), 4, "damaged", "step 17: generation", ["D1"])
    bad("sequence-0", descriptor_edit(set_u(8, 40, 0)), 4, "damaged", "step 18: sequence 0", [])
    bad("mode-unknown", descriptor_edit(lambda r: r.__setitem__(slice(96, 112), b"CMYK".ljust(16, b"\0"))), 4,
        "damaged", "step 18: mode CMYK is not carried", [])
    bad("mode-not-ascii", descriptor_edit(lambda r: r.__setitem__(slice(96, 112), b"RG\x1bB".ljust(16, b"\0"))),
        4, "damaged", "step 18: mode with an escape", ["D3"])
    bad("width-0", descriptor_edit(set_u(4, 48, 0)), 4, "damaged", "step 18: width 0", [])
    bad("height-65537", descriptor_edit(set_u(4, 52, 65537)), 4, "damaged", "step 18: height 65537", [])
    bad("stride-too-small", descriptor_edit(set_u(4, 56, 14)), 4, "damaged", "step 18: stride 14 for 15", [])
    bad("stride-too-big", descriptor_edit(set_u(4, 56, 15 + 4097)), 4, "damaged", "step 18: padding 4097", [])
    bad("payload-length-mismatch", descriptor_edit(set_u(8, 64, 44)), 4, "damaged",
        "step 18: payload_length not stride x height", [])
    bad("lying-dimensions", descriptor_edit(lambda r: (struct.pack_into("<III", r, 48, 60000, 60000, 180000),
                                                       struct.pack_into("<Q", r, 64, 180000 * 60000))), 4,
        "damaged", "step 18: 60000x60000 in a 4096-byte slot", [])
    bad("descriptor-flags", descriptor_edit(set_u(4, 60, 4)), 4, "damaged", "step 18: flag bit 2", [])
    grey = Image("L", 4, 3, bytes(12))
    bad("bgr-on-L", descriptor_edit(set_u(4, 60, dsc.FLAG_BGR), image=grey), 4, "damaged",
        "step 18: the BGR flag on L", ["P2"])
    bad("checksum-kind-2", descriptor_edit(set_u(4, 72, 2)), 4, "damaged", "step 18: checksum kind 2", ["X2"])
    nocheck = replace(good_image, fields={"checksum_kind": dsc.ChecksumKind.NONE})
    bad("checksum-none-but-set", descriptor_edit(set_u(8, 80, 5), image=nocheck), 4, "damaged",
        "step 18: kind 0 with checksum 5", ["X2"])
    bad("converted-without-source-mode", descriptor_edit(set_u(4, 60, dsc.FLAG_CONVERTED)), 4, "damaged",
        "step 18: CONVERTED and no source mode", ["P3"])
    bad("source-mode-without-converted", descriptor_edit(
        lambda r: r.__setitem__(slice(112, 128), b"CMYK".ljust(16, b"\0"))), 4, "damaged",
        "step 18: a source mode other than the mode, CONVERTED clear", ["P3"])
    bad("mode-nul-then-byte", descriptor_edit(lambda r: r.__setitem__(slice(96, 112), b"RGB\0X".ljust(16, b"\0"))),
        4, "damaged", "step 18: bytes after the mode's NUL padding", ["D3"])
    bad("source-mode-bad", descriptor_edit(lambda r: r.__setitem__(slice(112, 128), b"RGB X".ljust(16, b"\0"))),
        4, "damaged", "step 18: source mode with a space", ["P3", "D3"])
    p_bare = Image("P", 4, 1, bytes([0, 1, 2, 3]), fields={"palette_mode": "RGB", "palette": bytes(12),
                                                           "transparency_kind": dsc.Transparency.VALUE,
                                                           "transparency_values": (1,)})
    bad("transparency-p-without-palette", descriptor_edit(set_u(2, 138, 0), image=p_bare), 4, "damaged",
        "step 18: a transparent index with palette_length 0", ["P5"])
    bad("palette-on-L", descriptor_edit(set_u(2, 138, 3), image=grey), 4, "damaged", "step 18: palette on L", ["P4"])
    p_image = Image("P", 4, 1, bytes([0, 1, 2, 3]), fields={"palette_mode": "RGB", "palette": bytes(12)})
    bad("palette-partial-entry", descriptor_edit(set_u(2, 138, 10), image=p_image), 4, "damaged",
        "step 18: 10 palette bytes of RGB", ["P4"])
    bad("palette-257-entries", descriptor_edit(set_u(2, 138, 771), image=p_image), 4, "damaged",
        "step 18: 257 entries", ["P4"])
    bad("palette-mode-bad", descriptor_edit(lambda r: r.__setitem__(slice(128, 136), b"CMYK\0\0\0\0"),
                                            image=p_image), 4, "damaged", "step 18: palette mode CMYK", ["P4"])
    l_transparent = replace(grey, fields={"transparency_kind": dsc.Transparency.VALUE, "transparency_values": (3,)})
    bad("transparency-value-range", descriptor_edit(set_u(4, 144, 300), image=l_transparent), 4, "damaged",
        "step 18: transparency 300 on L", ["P5"])
    rgba = Image("RGBA", 1, 1, bytes(4))
    bad("transparency-on-rgba", descriptor_edit(lambda r: struct.pack_into("<HH3I", r, 140, 2, 3, 1, 2, 3),
                                                image=rgba), 4, "damaged", "step 18: kind 2 on RGBA", ["P5"])
    bad("transparency-kind-4", descriptor_edit(lambda r: struct.pack_into("<HH", r, 140, 4, 1), image=grey), 4,
        "damaged", "step 18: kind 4", ["P5"])
    bad("alpha-length-0", descriptor_edit(lambda r: struct.pack_into("<HH", r, 140, 3, 0), image=p_image), 4,
        "damaged", "step 18: kind 3 with no alpha bytes", ["P5"])
    bad("alpha-length-257", descriptor_edit(lambda r: struct.pack_into("<HH", r, 140, 3, 257), image=p_image), 4,
        "damaged", "step 18: 257 alpha bytes", ["P5"])
    p_rgba = Image("P", 4, 1, bytes(4), fields={"palette_mode": "RGBA", "palette": bytes(16)})
    bad("alpha-on-rgba-palette", descriptor_edit(lambda r: struct.pack_into("<HH", r, 140, 3, 4), image=p_rgba),
        4, "damaged", "step 18: tRNS alpha with an RGBA palette", ["P5"])
    bad("unused-values-set", descriptor_edit(set_u(4, 148, 9), image=l_transparent), 4, "damaged",
        "step 18: a second value for kind 1", ["P5"])
    bad("source-length-256", descriptor_edit(set_u(2, 136, 256)), 4, "damaged", "step 18: source_length 256", ["P6"])

    def named(raw_name: bytes) -> Any:
        def edit(r: bytearray) -> None:
            r[256:512] = raw_name.ljust(256, b"\0")
            struct.pack_into("<H", r, 136, len(raw_name))
        return edit
    bad("source-name-bad-utf8", descriptor_edit(named(b"ab\xff.png")), 4, "damaged", "step 18: not UTF-8", ["P6"])
    bad("source-name-escape", descriptor_edit(named(b"\x1b[2Jx.png")), 4, "damaged", "step 18: ESC", ["P6"])
    bad("source-name-bidi", descriptor_edit(named("a\u202egnp.exe".encode())), 4, "damaged",
        "step 18: U+202E", ["P6"])
    bad("source-name-slash", descriptor_edit(named(b"../etc/x")), 4, "damaged", "step 18: a slash", ["P6"])

    def tagged(raw_tags: bytes, length: int | None = None) -> Any:
        def edit(r: bytearray) -> None:
            r[4096:8192] = raw_tags[:4096].ljust(4096, b"\0")
            struct.pack_into("<H", r, 160, len(raw_tags) if length is None else length)
        return edit
    bad("tags-length-4097", descriptor_edit(tagged(b"{}", 4097)), 4, "damaged", "step 18: tags_length 4097", ["T1"])
    bad("tags-bad-utf8", descriptor_edit(tagged(b'{"a":"\xff"}')), 4, "damaged", "step 18: not UTF-8", ["T1"])
    bad("tags-not-object", descriptor_edit(tagged(b"[1,2]")), 4, "damaged", "step 18: an array", ["T1"])
    bad("tags-bad-json", descriptor_edit(tagged(b'{"a":1,}')), 4, "damaged", "step 18: not JSON", ["T1"])
    bad("tags-too-deep", descriptor_edit(tagged(b'{"a":' + b"[" * 16 + b"]" * 16 + b"}")), 4, "damaged",
        "step 18: 17 levels", ["T1"])
    bad("tags-duplicate-name", descriptor_edit(tagged(b'{"a":1,"a":2}')), 4, "damaged", "step 18: a twice", ["T1"])
    bad("tags-nan", descriptor_edit(tagged(b'{"a":NaN}')), 4, "damaged", "step 18: NaN", ["T1"])
    bad("tags-bom", descriptor_edit(tagged(b"\xef\xbb\xbf{}")), 4, "damaged", "step 18: a byte-order mark", ["T1"])
    s = share(good_image)
    s.data[1][dsc.DESCRIPTOR_SIZE + 7] ^= 1
    bad("payload-checksum", s, 4, "checksum", "step 19: a flipped pixel byte", ["X1"])
    s = share(Image("RGB", 3, 2, pattern(18, 4), pad=5))
    s.data[1][dsc.DESCRIPTOR_SIZE + 9 + 5 + 2] ^= 1  # row 1, pixel byte 2 (after row 0's 9 + 5 padding)
    bad("payload-checksum-padded", s, 4, "checksum", "step 19: a flipped pixel byte of row 1", ["X1"])
    return out


def write_set(folder: Path, vectors: Vectors) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir()
    index = []
    for name, (s, expect, rules) in vectors.items():
        entry: dict[str, Any] = {"name": name, "key": KEY, "rules": sorted(set(rules))}
        if expect.pop("keep_key", False):
            entry["keep_key"] = True  # the runner does not write its key into the control bytes
        if s.control is None or len(s.control) < ctl.CONTROL_SIZE or not any(s.control[:8]):
            s.data = [None] * len(s.data)  # no slot table to write ids into
        if s.control is not None:
            (folder / f"{name}.control").write_bytes(bytes(s.control))
            entry["control"] = f"{name}.control"
        else:
            entry["control"] = None
        data: list[Any] = []
        for slot, raw in enumerate(s.data):
            if isinstance(raw, (bytes, bytearray)):
                (folder / f"{name}.slot{slot}").write_bytes(bytes(raw))
                data.append(f"{name}.slot{slot}")
            else:
                data.append(raw)
        entry["data"] = data
        entry["semaphores"] = s.semaphores
        entry["expect"] = expect
        index.append(entry)
    (folder / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    print(f"{folder.name}: {len(index)} vectors")


def write_keys() -> None:
    keys = ["169254", "a", "imgshare", "ключ", "猫", "key with spaces", "x" * 255, "é" * 127 + "x", "🙂"]
    lines = ["# Key recipe vectors (docs/protocol.md §3.2): the key's UTF-8 bytes in hexadecimal, then K in hex."]
    lines += [f"{k.encode().hex()} {recipe(k.encode()):08x}" for k in keys]
    (HERE / "keys.txt").write_text("\n".join(lines) + "\n")
    ok = ["169254", "a b", "\u00a0nbsp", "\u2764", "e\u0301", "\U0001f600", "x" * 255, "\u00ae\u00af"]
    refused: list[str] = [f"a{chr(low)}b" for low, _ in REFUSED_RANGES] + [f"a{chr(high)}b" for _, high in
                                                                            REFUSED_RANGES]
    lines = ["# Key text vectors (docs/protocol.md §3.1): 'ok' or 'refused', then the string's UTF-8 bytes in hex.",
             "# Most 'refused' strings hold one refused code point; the last ones break the length rule (256 bytes;",
             "# '-' is the empty string) or are not well-formed UTF-8 (a bad continuation, a surrogate, an overlong)."]
    lines += [f"ok {k.encode().hex()}" for k in ok]
    lines += [f"refused {k.encode('utf-8', 'surrogatepass').hex()}" for k in refused]
    lines += ["refused " + ("x" * 256).encode().hex(), "refused -", "refused " + b"\xc3\x28".hex(),
              "refused " + b"\xed\xa0\x80".hex(), "refused " + b"\xc0\xaf".hex()]
    (HERE / "key-text.txt").write_text("\n".join(lines) + "\n")


def main() -> None:
    write_set(HERE / "reference", reference())
    write_set(HERE / "hostile", hostile())
    write_keys()


if __name__ == "__main__":
    main()
