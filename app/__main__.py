"""`python -m imgshare` runs imgshare; the frozen binary runs this same file as its entry script
(packaging/imgshare.spec), so both start the same way (app/lifecycle.py says how)."""

# Hold Ctrl+C back until main() handles it (lifecycle.stop_at_once_on_ctrl_c). _signal is the
# interpreter's built-in half of signal, loaded already: importing it cannot itself be interrupted half way.
import _signal  # type: ignore[import-not-found]  # typeshed has no stub for the built-in half

_signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGINT})
import sys  # noqa: E402  (after holding Ctrl+C back)

# An absolute import: PyInstaller runs this file as a script, outside the package.
from imgshare.main import main  # noqa: E402

sys.exit(main())
