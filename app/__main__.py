"""`python -m imgshare` runs imgshare."""

import sys

from .main import main

sys.exit(main())
