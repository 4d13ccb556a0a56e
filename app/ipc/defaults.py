"""Defaults every caller of the channel shares, named once."""

DEFAULT_LOCK_TIMEOUT = 5.0  # seconds to wait for a key's busy lock before LockTimeoutError
LISTING_LOCK_TIMEOUT = 0.5  # a listing waits this long for a busy share, then shows it as busy
