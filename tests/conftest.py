"""Fixtures shared by every test module."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("GENORX_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared() -> Path:
    """../shared reference data; tests that need it skip where it is absent (a user's clone)."""
    if not SHARED.is_dir():
        pytest.skip(f"needs the shared reference data at {SHARED} (absent here; set GENORX_SHARED)")
    return SHARED


def require_tools(*tools: str) -> None:
    """Skip with a clear reason when an external tool is not installed."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH")
