"""The package's public face: `import imgshare` offers the channel's API, loaded on first use."""

import subprocess
import sys

import imgshare
import imgshare.ipc


def test_every_public_name_is_the_channels_own():
    for name in imgshare.__all__:
        if name not in ("__version__", "show"):
            assert getattr(imgshare, name) is getattr(imgshare.ipc, name), name
    from imgshare import showing
    assert imgshare.show is showing.show  # imshow for imgshare, beside the channel


def test_the_version_alone_does_not_load_the_channel():
    code = "import sys, imgshare; imgshare.__version__; print('imgshare.ipc' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
