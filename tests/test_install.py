"""A non-editable install finds its bundled resources (KB, rule sets, config schemas) without the
checkout: build a wheel from a copy of the sources, install it into an empty folder, and run
`genorx` from there with the working directory outside the checkout."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import genorx.paths as paths
import pytest
from conftest import REPO

SOURCES = ("pyproject.toml", "README.md", "workflow", "resources/kb", "resources/rules", "config/schemas")


def test_checkout_layout_resolves_to_the_checkout():
    assert paths.REPO_ROOT == REPO and not paths.INSTALLED
    assert paths.BUNDLED_KB == REPO / "resources" / "kb"
    # the package-data links point at the same files
    for rel in ("resources/kb", "resources/rules", "config/schemas"):
        link = paths.PACKAGED_ROOT / rel
        assert link.is_symlink() and link.resolve() == (REPO / rel).resolve(), rel


def _copy_sources(dst: Path) -> Path:
    """Only what a build reads (not the demo, results or caches of the checkout)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc")
    for rel in SOURCES:
        src, out = REPO / rel, dst / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, out, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(src, out)
    return dst


def _offline_build() -> bool:
    """setuptools >= 68 and wheel here: build without an isolated env (no index needed)."""
    if importlib.util.find_spec("wheel") is None:
        return False
    import setuptools

    return int(setuptools.__version__.split(".")[0]) >= 68


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("install")
    src = _copy_sources(tmp / "src")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    build = [*pip, "wheel", "--no-deps", "-w", str(tmp / "dist"), str(src)]
    if _offline_build():
        build.insert(-1, "--no-build-isolation")
    done = subprocess.run(build, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (tmp / "dist").glob("genorx-*.whl")
    target = tmp / "site"
    done = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert not (target / "genorx" / "_bundled" / "resources" / "kb").is_symlink()
    return target


def _run(target: Path, cwd: Path, *code_or_args: str) -> subprocess.CompletedProcess[str]:
    """Python of this venv (for the dependencies) with the installed copy first on sys.path."""
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("GENORX_SOURCE", None)
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


GENORX = "import sys; from genorx.cli import main; sys.exit(main(sys.argv[1:]))"


def test_installed_package_uses_its_packaged_resources(installed, tmp_path):
    done = _run(
        installed,
        tmp_path,
        "-c",
        "import json, genorx, genorx.paths as p; print(json.dumps([genorx.__file__, str(p.REPO_ROOT), "
        "p.INSTALLED, str(p.CONFIG_SCHEMAS)]))",
    )
    assert done.returncode == 0, done.stderr
    module, root, installed_flag, schemas = json.loads(done.stdout)
    assert Path(module).is_relative_to(installed) and installed_flag
    assert Path(root) == installed / "genorx" / "_bundled"
    assert (Path(schemas) / "config.schema.yaml").is_file()


def test_installed_kb_info_reads_the_bundled_kb(installed, tmp_path):
    done = _run(installed, tmp_path, "-c", GENORX, "kb", "info")
    assert done.returncode == 0, done.stderr
    info = dict(line.split("\t", 1) for line in done.stdout.splitlines() if "\t" in line)
    assert info["source"] == "bundled" and "CYP2C19" in info["genes"]
    kb = json.loads((REPO / "resources" / "kb" / "kb.json").read_text())
    assert info["name"] == kb["name"]


def test_installed_report_reads_the_bundled_rules(installed, tmp_path):
    """`genorx report sample` with the default (bundled) action rules and combined rule set."""
    data = REPO / "tests" / "data" / "report"
    out = tmp_path / "out"
    done = _run(
        installed, tmp_path, "-c", GENORX, "report", "sample",
        "--pgx", str(data / "P1.pgx.json"), "--prs", str(data / "P1.prs.json"),
        "--targets", str(data / "P1.targets.tsv.gz"), "--sample", "P1", "--out-dir", str(out),
        "--no-tool-versions",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "report.json").read_text())
    rules = json.loads((REPO / "resources" / "rules" / "combined_rules.json").read_text())
    assert doc["methods"]["combined_rules"]["version"] == rules["version"]
    assert any(r["row_type"] == "combined" for r in doc["therapy"])
