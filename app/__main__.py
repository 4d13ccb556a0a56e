"""`python -m imgshare` runs imgshare."""

# Hold Ctrl+C back until main() handles it (see main.py). _signal is the interpreter's built-in half of
# signal, loaded already: importing it cannot itself be interrupted half way.
import _signal  # type: ignore[import-not-found]  # typeshed has no stub for the built-in half

_signal.pthread_sigmask(_signal.SIG_BLOCK, {_signal.SIGINT})
import sys  # noqa: E402  (after holding Ctrl+C back)

from .main import main  # noqa: E402

sys.exit(main())
