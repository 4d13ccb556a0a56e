"""The Sender tab: `tab` (its widgets) over `model` (no Tk: load an image, the serving session, panel rows)."""
