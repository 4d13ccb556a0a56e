"""The package's public face: `import imgshare` offers the channel's API, loaded on first use."""

import subprocess
import sys

import imgshare
import imgshare.golden
import imgshare.ipc
import imgshare.lifecycle
from tests.conftest import ROOT


def test_every_public_name_is_the_channels_or_says_where_it_lives():
    """Each public name is the channel's own, the lifecycle's (a script's Sender ends on SIGTERM), or
    golden-image checks' (imgshare.compare and its types)."""
    for name in imgshare.__all__:
        if name in ("StopSignals", "exit_on_signals"):
            assert getattr(imgshare, name) is getattr(imgshare.lifecycle, name), name
        elif name not in ("__version__", "show", "compare", "CompareResult", "Tolerances", "Region"):
            assert getattr(imgshare, name) is getattr(imgshare.ipc, name), name
    from imgshare import showing
    assert imgshare.show is showing.show  # imshow for imgshare, beside the channel
    for name in ("compare", "CompareResult", "Tolerances", "Region"):  # golden-image checks
        assert getattr(imgshare, name) is getattr(imgshare.golden, name), name


def test_the_binary_starts_through_the_packages_own_entry_script():
    """One entry script: the PyInstaller spec points at imgshare/__main__.py, the file `python -m imgshare`
    runs, instead of writing a second copy of it."""
    spec = (ROOT / "packaging" / "imgshare.spec").read_text()
    assert '"__main__.py"' in spec and "Analysis(\n    [ENTRY]" in spec
    assert "main()" not in spec and "pthread_sigmask" not in spec


def test_the_version_alone_does_not_load_the_channel():
    code = "import sys, imgshare; imgshare.__version__; print('imgshare.ipc' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
