"""Where bundled resources live, independent of the working directory."""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# workflow/genorx -> repository root (an editable install or a checkout).
REPO_ROOT = PACKAGE_DIR.parent.parent
RESOURCES = REPO_ROOT / "resources"
BUNDLED_KB = RESOURCES / "kb"


def bundled(relative: str) -> Path:
    """Path of a file under ``resources/`` shipped with the workflow."""
    return RESOURCES / relative
