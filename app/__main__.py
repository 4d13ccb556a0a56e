"""`python -m imgshare` runs imgshare."""

import signal
import sys

signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # held until main() handles it (main.py)
from .main import main  # noqa: E402  (after holding Ctrl+C back)

sys.exit(main())
