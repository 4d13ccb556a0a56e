"""The System V objects of protocol 3, one module each: segments (segment.py), the key's semaphore set
(semset.py), what the kernel and /proc say about them (libc.py, procfs.py, limits.py), the object check
(objects.py), and the one place that turns the kernel's errors into imgshare's (translate.py).

Nothing here knows the byte layouts (..layout) or the roles (..sender, ..receiver).
"""
