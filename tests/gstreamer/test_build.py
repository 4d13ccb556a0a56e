"""The plugin as a user meets it: gst-inspect-1.0 documents both elements and every property, `make
install` puts it where GStreamer looks for a user's plugins, and the README's recording pipeline runs."""

from __future__ import annotations

import os
import re
import subprocess

import numpy as np

import imgshare
from imgshare.ipc import Sender
from tests.gstreamer.conftest import PLUGIN_SOURCE

OUR_PROPERTIES = {"imgsharesink": ("key", "persist", "checksum", "source-name"),
                  "imgsharesrc": ("key", "wait", "on-stop", "max-lent", "verify")}


def test_gst_inspect_documents_the_plugin_and_every_property(gst):
    plugin = gst.inspect("imgshare")
    assert plugin.returncode == 0, plugin.stderr
    assert re.search(rf"Version\s+{re.escape(imgshare.__version__)}\n", plugin.stdout)
    assert "imgsharesink: imgshare sink" in plugin.stdout and "imgsharesrc: imgshare source" in plugin.stdout
    for element, names in OUR_PROPERTIES.items():
        shown = gst.inspect(element).stdout
        properties = dict(re.findall(r"^  ([a-z-]+)\s+: (.+)$", shown, re.MULTILINE))
        for name in names:
            assert len(properties.get(name, "")) > 50, f"{element}.{name} is not documented: {properties.get(name)}"
    src = gst.inspect("imgsharesrc").stdout
    assert '(0): eos' in src and '(1): wait' in src  # the choices of on-stop, each described
    assert "GRAY16_LE" in src and "BGRA" in src


def test_make_install_puts_the_plugin_where_gstreamer_finds_a_users_plugins(gst, tmp_path):
    data = tmp_path / "data"
    env = dict(os.environ, XDG_DATA_HOME=str(data))
    subprocess.run(["make", "-C", str(PLUGIN_SOURCE), "install"], check=True, capture_output=True, env=env)
    assert (data / "gstreamer-1.0" / "plugins" / "libgstimgshare.so").is_file()
    found = subprocess.run(["gst-inspect-1.0", "imgsharesrc"], capture_output=True, text=True,
                           env=gst.env(XDG_DATA_HOME=str(data), GST_PLUGIN_PATH="",
                                       GST_REGISTRY=str(tmp_path / "registry.bin")))
    assert found.returncode == 0 and "imgshare source" in found.stdout, found.stderr
    subprocess.run(["make", "-C", str(PLUGIN_SOURCE), "uninstall"], check=True, capture_output=True, env=env)
    assert not (data / "gstreamer-1.0" / "plugins" / "libgstimgshare.so").exists()


def test_the_readmes_recording_pipeline_records_until_the_sender_stops(gst, key, start_c, tmp_path):
    video = tmp_path / "render.webm"
    src = gst.start(start_c, f"-e -v imgsharesrc key={key} ! videoconvert ! videorate ! video/x-raw,framerate=30/1 ! "
                    f"vp8enc deadline=1 ! webmmux ! filesink location={video}")
    src.expect(f"Nothing is shared under the key '{key}' yet; waiting for a sender.")
    with Sender(key) as sender:
        for value in range(0, 250, 50):
            sender.share(np.full((48, 64, 3), value, np.uint8))
            if value == 0:  # the source has its first image (and its caps) before the share goes away
                src.expect("/GstPipeline:pipeline0/GstImgShareSrc:imgsharesrc0.GstPad:src: caps")
    src.expect("Got EOS from element")  # the share went away: the stream ends and the file is finished
    assert src.finish() == 0
    assert video.stat().st_size > 100 and video.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # an EBML (WebM) file
