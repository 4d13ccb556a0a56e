"""Issue 18.7: kernel limits met while sharing give a sentence naming the limit, keep the published
image, and leave nothing behind. The limits are changed only inside a private IPC namespace
(`unshare --ipc`): the machine's own stay as they are."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.test_lifecycle import HELPERS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def report():
    if os.getuid() != 0 or not shutil.which("unshare"):
        pytest.fail("this test needs root and unshare (util-linux; scripts/bootstrap installs it)")
    result = subprocess.run(["unshare", "--ipc", sys.executable, str(HELPERS / "limits_check.py")],
                            capture_output=True, text=True, timeout=120, cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_no_free_segment_id_keeps_the_published_image_and_names_shmmni(report):
    assert report["first"] == {"ok": 1} and report["second"] == {"ok": 2}  # control + two data segments
    refused = report["third"]  # needs a third data segment: one more than kernel.shmmni allows
    assert refused["error"] == "SystemLimitError" and refused["exit"] == 1
    assert "kernel.shmmni" in refused["message"] and "shmmax" not in refused["message"]
    assert report["still"] == ["RGB", [400, 300], 2]  # the published image was never given up
    assert report["segments_after_shmmni"] == 0


def test_no_free_semaphore_set_is_a_sentence_and_leaves_nothing(report):
    assert report["a"] == {"ok": 1}
    refused = report["b"]
    assert refused["error"] == "SystemLimitError" and "SEMMNI" in refused["message"], refused
    assert report["objects_after_semmni"] == [2, 1]  # key a's control and data segments and set only


def test_semmsl_below_eight_uses_two_slots_and_below_six_is_a_sentence(report):
    assert report["six"] == {"ok": 1} and report["six_read"] == {"ok": 1}
    assert report["six_nsems"] == [6]
    refused = report["five"]
    assert refused["error"] == "SystemLimitError" and "SEMMSL" in refused["message"], refused
    assert "another program" not in refused["message"]
    assert report["objects_after_semmsl"] == [0, 0]
