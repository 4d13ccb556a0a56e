"""`python -m app` runs imgshare."""

import sys

from .main import main

sys.exit(main())
