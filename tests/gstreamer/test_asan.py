"""The plugin built with AddressSanitizer and UBSan (clients/gstreamer/build/asan), loaded into real
gst-launch-1.0 processes with libasan preloaded (GStreamer's own libraries are not instrumented, the
plugin is): the sink's formats, the source lending and copying, converting, renegotiating, and lending
images whose sender is killed and whose segment is removed. A sanitizer report, or a leak at exit, ends
gst-launch-1.0 with exit status 86 or by SIGABRT, which each scenario's own checks then reject."""

from __future__ import annotations

import subprocess

import pytest

from tests.gstreamer import test_renegotiation, test_sink, test_src
from tests.gstreamer.conftest import PLUGIN_SOURCE, Gst

# One leak GLib makes at load time (a constructor's allocation, reported from _dl_init) is not ours.
SUPPRESSIONS = "leak:_dl_init\n"


@pytest.fixture(scope="session")
def gst_asan(gst, tmp_path_factory) -> Gst:
    plugin = PLUGIN_SOURCE / "build" / "asan"
    needed = subprocess.run(["readelf", "-d", str(plugin / "libgstimgshare.so")], capture_output=True, text=True)
    assert "libasan.so" in needed.stdout, "the sanitized plugin does not link libasan"
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    folder = tmp_path_factory.mktemp("gst-asan")
    suppressions = folder / "lsan.supp"
    suppressions.write_text(SUPPRESSIONS)
    sanitizer = "exitcode=86:abort_on_error=0"
    return Gst(plugin, folder / "registry.bin", (
        ("LD_PRELOAD", libasan),
        ("ASAN_OPTIONS", f"{sanitizer}:detect_leaks=1:fast_unwind_on_malloc=0"),
        ("LSAN_OPTIONS", f"{sanitizer}:suppressions={suppressions}"),
        ("GST_REGISTRY_FORK", "no"),  # the plugin is loaded into gst-launch-1.0 itself, not a scanner
    ))


@pytest.mark.parametrize("fmt", ["RGBx", "BGR", "GRAY16_LE", "BGRA64_LE"])
def test_sink_under_asan(gst_asan, key, fmt, tmp_path):
    test_sink.test_every_format_is_shared_pixel_exact(gst_asan, key, fmt, tmp_path)


@pytest.mark.parametrize("max_lent", [1, 0], ids=["lent", "copied"])
def test_source_under_asan(gst_asan, key, max_lent, tmp_path):
    test_src.test_every_format_comes_out_pixel_exact(gst_asan, key, "BGR", max_lent, tmp_path)


def test_conversion_under_asan(gst_asan, key, tmp_path):
    test_src.test_converted_modes_match_pillows_conversion(gst_asan, key, "P-alphas", tmp_path)
    test_src.test_16_bit_colour_comes_out_exact(gst_asan, key, 3, "BGR", "BGRA64_LE", 1, tmp_path)


def test_errors_under_asan(gst_asan, key):
    test_src.test_nothing_shared_within_the_wait_fails_the_element(gst_asan, key)
    test_sink.test_a_key_that_is_no_key_fails_the_element(gst_asan)


def test_renegotiation_under_asan(gst_asan, key, start_c, tmp_path):
    frames = test_renegotiation.follow_changing_sender(gst_asan, key, start_c, tmp_path)
    assert len(frames) > 100


def test_lent_images_after_a_killed_sender_under_asan(gst_asan, key, start_c, tmp_path):
    test_src.test_lent_images_stay_whole_after_their_sender_is_killed_and_its_share_removed(
        gst_asan, key, start_c, tmp_path)
