"""imgshare: hand an image from one process to another through System V shared memory."""

__version__ = "0.1.0"
