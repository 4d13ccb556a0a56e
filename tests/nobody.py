"""Another user on this machine: `nobody`, running the system Python on a copy of the project and of its
dependencies that it can read (the venv's files are root's). Used by the other-user tests and by the
neighbour, which keeps a share of nobody's for the whole run."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import PIL
import sysv_ipc
import xxhash

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = "/usr/bin/python3"
NOBODY = 65534


class Nobody:
    """`nobody("send", ...)` (or nobody.run) runs imgshare as nobody in home (a folder it reads; home/out
    it writes); `nobody.python(code, *args)` starts Python code as nobody there."""

    def __init__(self) -> None:
        if os.getuid() != 0 or not shutil.which("setpriv") or not os.path.exists(SYSTEM_PYTHON):
            raise RuntimeError("running as nobody needs root, setpriv and /usr/bin/python3 "
                               "(scripts/bootstrap installs them)")
        self.home = Path(tempfile.mkdtemp(prefix="imgshare-other-user-"))
        try:  # removed even when setting up fails
            self._populate()
        except BaseException:
            self.remove()
            raise

    def _populate(self) -> None:
        home = self.home
        os.chmod(home, 0o755)
        shutil.copytree(ROOT / "app", home / "imgshare", ignore=shutil.ignore_patterns("__pycache__"))
        site = Path(PIL.__file__).parent.parent
        for module in (PIL, xxhash):
            assert module.__file__ is not None
            shutil.copytree(Path(module.__file__).parent, home / Path(module.__file__).parent.name)
        for libs in site.glob("*.libs"):  # the wheels' bundled shared libraries (libtiff, ...)
            shutil.copytree(libs, home / libs.name)
        shutil.copy(sysv_ipc.__file__, home)
        for path in home.rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        (home / "out").mkdir(mode=0o777)
        os.chmod(home / "out", 0o777)

    def command(self, *args: str) -> list[str]:
        return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", SYSTEM_PYTHON, "-m",
                "imgshare", *args]

    @property
    def env(self) -> dict[str, str]:
        return {"PATH": "/usr/bin:/bin", "HOME": str(self.home / "out"), "PYTHONPATH": str(self.home)}

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(*args), capture_output=True, text=True, cwd=self.home, env=self.env,
                              timeout=timeout)

    __call__ = run

    def popen(self, *args: str, **options: Any) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args), text=True, cwd=self.home, env=self.env, **options)

    def python(self, code: str, *args: str, **options: Any) -> subprocess.Popen[str]:
        command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", SYSTEM_PYTHON, "-c",
                   code, *args]
        return subprocess.Popen(command, text=True, cwd=self.home, env=self.env, **options)

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
