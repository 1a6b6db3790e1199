"""LINE Official Account operator dashboard: all logic lives in this package; pages only render."""

__version__ = "0.1.0"
