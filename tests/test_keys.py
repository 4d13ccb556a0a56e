"""The key recipe: SHA-1 of the UTF-8 key, first four bytes big-endian, sign bit cleared, 0 -> 1."""

import hashlib

import pytest

from imgshare.ipc import InvalidKeyError, sysv_key
from imgshare.ipc.keys import MAX_KEY_BYTES
from tests.conftest import run_cli


def test_demo_key_has_the_documented_value():
    # docs/protocol.md quotes this value; a C or Qt program derives the same one.
    assert sysv_key("169254") == 0x65478AF2 == 1699187442


@pytest.mark.parametrize("key", ["a", "169254", "ключ", "🖼️ image", "x" * MAX_KEY_BYTES])
def test_recipe_matches_definition(key):
    expected = int.from_bytes(hashlib.sha1(key.encode()).digest()[:4], "big") & 0x7FFFFFFF
    assert sysv_key(key) == (expected or 1)
    assert 0 < sysv_key(key) <= 0x7FFFFFFF


@pytest.mark.parametrize("bad", ["", "x" * (MAX_KEY_BYTES + 1), "é" * 128, "\ud800"])
def test_invalid_keys_are_refused(bad):
    with pytest.raises(InvalidKeyError):
        sysv_key(bad)


def test_key_command_prints_decimal_and_hex():
    result = run_cli("key", "169254")
    assert result.returncode == 0
    assert result.stdout.split() == ["1699187442", "0x65478af2"]


def test_bad_key_is_a_usage_error():
    result = run_cli("info", "--key", "x" * 300)
    assert result.returncode == 2
    assert "imgshare: error:" in result.stderr and "Traceback" not in result.stderr
