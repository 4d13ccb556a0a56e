"""Defaults every caller of the channel shares, named once."""

# Seconds a sender waits for a key whose owner semaphore another process (not a sender) holds, and a
# reader keeps retrying an image that changes faster than it can be read, before LockTimeoutError;
# Qt mode waits this long for Qt's lock. The name is the public API's (lock_timeout=).
DEFAULT_LOCK_TIMEOUT = 5.0
LISTING_LOCK_TIMEOUT = 0.5  # a Qt listing waits this long for a busy share, then shows it as busy
