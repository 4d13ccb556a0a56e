"""Byte layouts of protocol 3 (docs/protocol.md): pure functions over bytes, no system calls.

keys (§3), text rules (§3.1, §8.5), modes and pixel layouts (§8.1), the control block (§5), the slot
descriptor (§7.2), tags (§8.6), the semaphore numbering (§6.1) and the one image-size check. Everything
that reads or writes these bytes goes through here; the System V objects are in ..sysv.
"""
