"""The workflow is ``snakefmt``-formatted and ``snakemake --lint`` clean (for every stage's rules)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from workflow_runs import tool_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (pip install -e '.[dev]')")
    return str(path)


def test_snakefmt_check():
    files = ["Snakefile", *sorted(str(p.relative_to(REPO)) for p in (REPO / "rules").glob("*.smk"))]
    res = subprocess.run(
        [tool("snakefmt"), "--check", "--diff", *files], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, (
        f"snakefmt would reformat (run `snakefmt Snakefile rules`):\n{res.stdout}{res.stderr}"
    )


def test_snakemake_lint(demo_workdir):
    """Lint the workflow as it runs: on the demo, with the session's demo working directory."""
    env = tool_env()
    res = subprocess.run(
        [tool("snakemake"), "--lint", "--snakefile", str(REPO / "Snakefile"),
         "--configfile", str(demo_workdir.config), "--directory", str(demo_workdir.workdir)],
        cwd=demo_workdir.workdir, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert res.returncode == 0, (
        f"snakemake --lint found problems:\n{res.stdout[-6000:]}\n{res.stderr[-3000:]}"
    )
