"""Versions of the external tools on PATH, for the methods section."""

from __future__ import annotations

import re
import shutil
import subprocess
from functools import cache

# tool -> (arguments, regular expression capturing the version)
PROBES: dict[str, tuple[tuple[str, ...], str]] = {
    "minimap2": (("--version",), r"^(\S+)"),
    "bwa": ((), r"Version:\s*(\S+)"),
    "samtools": (("--version",), r"^samtools (\S+)"),
    "bcftools": (("--version",), r"^bcftools (\S+)"),
    "freebayes": (("--version",), r"version:\s*v?(\S+)"),
    "plink2": (("--version",), r"^PLINK v?(\S+)"),
}


@cache
def tool_version(tool: str) -> str | None:
    """The version string of ``tool`` on PATH, or None when it is absent or silent."""
    if tool not in PROBES or shutil.which(tool) is None:
        return None
    args, pattern = PROBES[tool]
    try:
        done = subprocess.run(
            [tool, *args],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=10,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(pattern, done.stdout + "\n" + done.stderr, re.MULTILINE)
    return m.group(1) if m else None


def tool_versions(tools: tuple[str, ...] = tuple(PROBES)) -> dict[str, str]:
    return {t: v for t in tools if (v := tool_version(t))}
