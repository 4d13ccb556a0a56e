"""Keys: which strings are keys, and the System V key recipe (docs/protocol.md §3)."""

import hashlib
import struct
from pathlib import Path

import pytest

from imgshare.ipc import InvalidKeyError, sysv_key
from imgshare.ipc.layout.keys import MAX_KEY_BYTES
from tests.conftest import run_cli

VECTORS = Path(__file__).parent / "vectors" / "keys.txt"
KEY_TEXT = Path(__file__).parent / "vectors" / "key-text.txt"


def vectors() -> list[tuple[str, int]]:
    rows = []
    for line in VECTORS.read_text().splitlines():
        if line and not line.startswith("#"):
            key_hex, value = line.split(" ")
            rows.append((bytes.fromhex(key_hex).decode("utf-8"), int(value, 16)))
    return rows


def key_texts() -> list[tuple[bool, bytes]]:
    rows = []
    for line in KEY_TEXT.read_text().splitlines():
        if line and not line.startswith("#"):
            verdict, text = line.split(" ")
            rows.append((verdict == "ok", b"" if text == "-" else bytes.fromhex(text)))
    return rows


def sha1_as_documented(message: bytes) -> bytes:
    """SHA-1 written from docs/protocol.md section 1.3 alone, to prove the text is enough."""
    def rotl(x: int, n: int) -> int:
        return ((x << n) | (x >> (32 - n))) & 0xFFFFFFFF

    padded = message + b"\x80" + bytes((55 - len(message)) % 64) + struct.pack(">Q", len(message) * 8)
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    for block in range(0, len(padded), 64):
        w = list(struct.unpack(">16I", padded[block:block + 64]))
        for t in range(16, 80):
            w.append(rotl(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1))
        a, b, c, d, e = h
        for t in range(80):
            if t < 20:
                f, k = (b & c) | (~b & d), 0x5A827999
            elif t < 40:
                f, k = b ^ c ^ d, 0x6ED9EBA1
            elif t < 60:
                f, k = (b & c) | (b & d) | (c & d), 0x8F1BBCDC
            else:
                f, k = b ^ c ^ d, 0xCA62C1D6
            temp = (rotl(a, 5) + f + e + k + w[t]) & 0xFFFFFFFF
            a, b, c, d, e = temp, a, rotl(b, 30), c, d
        h = [(x + y) & 0xFFFFFFFF for x, y in zip(h, [a, b, c, d, e], strict=True)]
    return struct.pack(">5I", *h)


def test_the_vectors_file_holds_the_documented_keys():
    rows = vectors()
    assert len(rows) >= 5 and any(len(key.encode()) == MAX_KEY_BYTES for key, _ in rows)
    assert ("169254", 0x65478AF2) in rows and ("a", 0x06F7E437) in rows


@pytest.mark.parametrize("key,sysv", vectors())
def test_every_vector_matches_the_code(key, sysv):
    assert sysv_key(key) == sysv


@pytest.mark.parametrize("ok,raw", key_texts())
def test_every_key_text_vector_is_judged_as_listed(ok, raw):
    try:
        key = raw.decode("utf-8")
    except UnicodeDecodeError:
        assert not ok  # not well-formed UTF-8: never a key
        return
    if ok:
        assert 0 < sysv_key(key)
    else:
        with pytest.raises(InvalidKeyError):
            sysv_key(key)


@pytest.mark.parametrize("message", [b"", b"abc", b"169254", b"\xff" + "ключ".encode(), b"x" * 300])
def test_the_documented_sha1_is_sha1(message):
    assert sha1_as_documented(message) == hashlib.sha1(message).digest()


@pytest.mark.parametrize("key", ["a", "169254", "ключ", "🖼 image", "x" * MAX_KEY_BYTES, "two words"])
def test_recipe_matches_definition(key):
    expected = int.from_bytes(sha1_as_documented(key.encode())[:4], "big") & 0x7FFFFFFF
    assert sysv_key(key) == (expected or 1)
    assert 0 < sysv_key(key) <= 0x7FFFFFFF


@pytest.mark.parametrize("bad", ["", "x" * (MAX_KEY_BYTES + 1), "é" * 128, "\ud800"])
def test_invalid_keys_are_refused(bad):
    with pytest.raises(InvalidKeyError):
        sysv_key(bad)


@pytest.mark.parametrize("bad", ["tab\there", "new\nline", "nul\0", "del\x7f", "c1\x85", "soft\u00adhyphen",
                                 "zero\u200bwidth", "rtl\u202eoverride", "bom\ufeff", "iso\u2066late",
                                 "tag\U000e0041", "cgj\u034f", "hangul\u3164filler", "half\uffa0width",
                                 "choseong\u115f", "variation\ufe0fselector", "mongolian\u180bfvs"])
def test_control_and_invisible_characters_are_refused_with_their_position(bad):
    with pytest.raises(InvalidKeyError, match=r"control or invisible characters \(U\+[0-9A-F]{4,5} at position"):
        sysv_key(bad)


def test_key_command_prints_decimal_and_hex():
    result = run_cli("key", "169254")
    assert result.returncode == 0
    assert result.stdout.split() == ["1699187442", "0x65478af2"]


@pytest.mark.parametrize("bad", ["x" * 300, "a\u200bb"])
def test_bad_key_is_a_usage_error(bad):
    result = run_cli("info", "--key", bad)
    assert result.returncode == 2
    assert "imgshare: error:" in result.stderr and "Traceback" not in result.stderr
