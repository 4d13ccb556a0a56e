"""`python -m imgshare` runs imgshare."""

import sys

try:
    from .main import main
except KeyboardInterrupt:  # Ctrl+C while this very module loads: as quiet as main()'s own handling
    sys.exit(130)

sys.exit(main())
