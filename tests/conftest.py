"""Fixtures shared by every test module."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
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


# `from conftest import ...` in a test module must mean THIS file. Pytest drops the previous
# "conftest" module whenever it loads another directory's conftest.py (tests/slurm/ sorts
# before test_*.py), so point the name back here before each top-level test module is imported.
_THIS_CONFTEST = sys.modules[__name__]


def pytest_collectstart(collector: pytest.Collector) -> None:
    if isinstance(collector, pytest.Module) and collector.path.parent == Path(__file__).parent:
        sys.modules["conftest"] = _THIS_CONFTEST


def require_tools(*tools: str) -> None:
    """Skip with a clear reason when an external tool is not installed."""
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH")


# ---------------------------------------------------------------------------------------
# The embedded demo and ONE workflow run on it, shared by every test module of the session.
# The run is the documented way to use one's own data:
#   snakemake -s REPO/Snakefile --configfile my.yaml --directory WORKDIR --cores N
# with the foundation keys plus the PGx defaults and the demo's PRS block (so the one run
# covers every stage: align, call, pgx, prs, report); the demo sits in WORKDIR/resources/demo
# (as after `make demo`), so default paths of every stage resolve there.

DEMO_SEED = 7
DEMO_TOOLS = ("minimap2", "samtools", "bcftools", "bgzip", "tabix")


@dataclass(frozen=True)
class DemoWorkdir:
    workdir: Path  # the run's working directory
    demo: Path  # WORKDIR/resources/demo
    manifest: dict
    config: Path  # WORKDIR/config.yaml (foundation keys, pgx defaults, demo prs block)
    targets: Path  # WORKDIR/targets.bed: bundled KB targets + test positions (below)
    extra_targets: dict  # label -> [(chrom, pos)] added to the bundled targets


@dataclass(frozen=True)
class WorkflowRun(DemoWorkdir):
    returncode: int = 0
    log: str = ""

    @property
    def path(self) -> Path:
        return self.workdir


def venv_env() -> dict[str, str]:
    """Environment whose PATH starts with this interpreter's bin (genorx, snakemake)."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def snakemake_cmd(workdir: Path, config: Path, *extra: str, cores: int = 2) -> list[str]:
    return [
        str(Path(sys.executable).parent / "snakemake"),
        "-s", str(REPO / "Snakefile"),
        "--configfile", str(config),
        "--directory", str(workdir),
        "--cores", str(cores),
        *extra,
    ]  # fmt: skip


def demo_config(
    targets: str | Path, demo: str | Path = "resources/demo", samples: str | Path | None = None
) -> str:
    """The session run's config: the foundation keys, the PGx defaults and the demo's PRS
    block (the demonstration scoring files and reference panel `genorx demo` writes under
    DEMO/prs/, as in config/config.yaml), so the one run covers every stage. Runs compared
    with the session run (same target positions, so identical outputs) pass absolute ``demo``
    and ``targets`` paths and their own sample sheet."""
    prs = f"{demo}/prs"
    return (
        f"samples: {samples or f'{demo}/samples.tsv'}\n"
        f"reference:\n  fasta: {demo}/reference.fa.gz\n  build: GRCh38\n"
        "aligner: minimap2\ncaller: bcftools\n"
        f"targets: {targets}\nthreads: 2\n"
        "pgx:\n  kb: resources/kb\n  genes: []\n  absent_as_ref: false\n"
        "prs:\n"
        "  scoring_files:\n"
        f"    - {prs}/DEMO_CAD.txt\n"
        f"    - {prs}/DEMO_BC.txt\n"
        "  reference_panel:\n"
        f"    vcf: {prs}/panel.vcf.gz\n"
        f"    populations: {prs}/panel_populations.tsv\n"
        "    population: DEMO_EUR\n"
        "  min_overlap: 0.75\n"
    )


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


@pytest.fixture(scope="session")
def demo_workdir(tmp_path_factory: pytest.TempPathFactory) -> DemoWorkdir:
    """A working directory holding the demo (seed 7), a targets BED and a config."""
    require_tools(*DEMO_TOOLS)
    # GENORX_TEST_WORKDIR: keep the run between sessions (development); Snakemake then
    # reruns only what changed. Unset (CI), every session starts from scratch.
    keep = os.environ.get("GENORX_TEST_WORKDIR")
    workdir = Path(keep) if keep else tmp_path_factory.mktemp("demo_run")
    demo = workdir / "resources" / "demo"
    if not (keep and (demo / "manifest.json").exists()):
        genorx = str(Path(sys.executable).parent / "genorx")
        subprocess.run(
            [genorx, "demo", "--out", str(demo), "--seed", str(DEMO_SEED)],
            check=True, env=venv_env(), capture_output=True, text=True,
        )  # fmt: skip
    manifest = json.loads((demo / "manifest.json").read_text())
    from genorx.demo.evaluate import extra_target_positions, write_targets_bed

    extra = extra_target_positions(demo, manifest)
    targets = workdir / "targets.bed"
    write_targets_bed(targets, REPO / "resources" / "kb" / "targets.bed", extra)
    config = workdir / "config.yaml"
    _write_if_changed(config, demo_config(targets.name))
    return DemoWorkdir(workdir, demo, manifest, config, targets, extra)


@pytest.fixture(scope="session")
def demo_workflow(demo_workdir: DemoWorkdir) -> WorkflowRun:
    """The whole workflow (every stage's `rule all` outputs) run once on the demo.

    `--keep-going`: a failing later stage does not hide the foundation's outputs; each test
    checks the outputs it needs (and the foundation tests check the run's own jobs).
    """
    d = demo_workdir
    proc = subprocess.run(
        snakemake_cmd(d.workdir, d.config, "--keep-going"),
        env=venv_env(), capture_output=True, text=True,
    )  # fmt: skip
    (d.workdir / "snakemake.stderr.txt").write_text(proc.stderr)
    return WorkflowRun(**vars(d), returncode=proc.returncode, log=proc.stderr)


@pytest.fixture(scope="session")
def workflow_run(demo_workflow: WorkflowRun) -> WorkflowRun:
    """Alias of demo_workflow."""
    return demo_workflow
