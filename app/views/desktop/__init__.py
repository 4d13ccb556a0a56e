"""What the desktop provides: the clipboard, dropped files, whether it prefers dark windows."""
