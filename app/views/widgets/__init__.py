"""Widgets any room uses, and the theme that styles them all (sizes in font units)."""
