"""Authenticated, audited, read-only HTTP retrieval of per-sample reports (``genorx serve``)."""
