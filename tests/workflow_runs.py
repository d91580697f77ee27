"""Run the demo workflow in a working directory and compare two runs' final outputs.

Used by the SLURM and container tests: a run elsewhere (through SLURM, inside the image) must
produce the same results as a plain local run. A working directory holds ``demo/`` (the output of
``genorx demo``) and ``config/config.yaml`` pointing at it, so every path a run writes is relative.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
INDEX_SUFFIXES = (".bai", ".tbi", ".csi", ".crai", ".fai", ".gzi", ".mmi")
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
RUN_CONFIG = "samples: demo/samples.tsv\nreference:\n  fasta: demo/reference.fa.gz\n"


def tool_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this environment) with this interpreter's venv first on PATH, so
    ``genorx`` and ``snakemake`` resolve to it (also inside SLURM jobs, which inherit it)."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    return env


def make_demo(out: Path) -> Path:
    subprocess.run(
        [str(BIN / "genorx"), "demo", "--out", str(out)], check=True, capture_output=True, text=True
    )
    return out


def prepare_workdir(work: Path, demo: Path) -> Path:
    """A fresh working directory with its own copy of the demo inputs and the run config."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(demo, work / "demo", symlinks=True, dirs_exist_ok=True)
    (work / "config").mkdir(exist_ok=True)
    (work / "config" / "config.yaml").write_text(RUN_CONFIG)
    return work


def snakemake(work: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> str:
    """Run snakemake on the repository's workflow in ``work``; return its combined log."""
    argv = [str(BIN / "snakemake"), "--snakefile", str(REPO / "Snakefile"), "--directory", str(work), *args]
    t0 = time.monotonic()
    res = subprocess.run(
        argv, env=env or tool_env(), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    log = res.stdout + res.stderr
    (work / "snakemake.out").write_text(log)
    if res.returncode != 0:
        raise AssertionError(f"snakemake failed ({res.returncode}) in {work}:\n{log[-8000:]}")
    print(f"[workflow] {' '.join(args)} in {work.name}: {time.monotonic() - t0:.0f} s")
    return log


def job_stats(log: str) -> dict[str, int]:
    """The ``Job stats`` table snakemake prints before running: rule -> number of jobs."""
    match = re.search(r"Job stats:\njob\s+count\n[-\s]+\n(.*?)\ntotal\s+\d+", log, re.S)
    assert match, "no 'Job stats' table in the snakemake log"
    return {
        name: int(n) for name, n in (line.split() for line in match.group(1).splitlines() if line.strip())
    }


def result_files(work: Path) -> list[str]:
    """Every result a run wrote (indexes excluded: they follow from the files they index; links
    to the run's inputs excluded: they are not results)."""
    root = work / "results"
    return sorted(
        str(p.relative_to(work))
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink() and not p.name.endswith(INDEX_SUFFIXES)
    )


SMALL = 8 << 20  # text results up to this size are normalised; larger ones are compared as data


def _lines(path: Path):
    if path.suffix == ".bam":
        with subprocess.Popen(
            ["samtools", "view", "-h", "--no-PG", str(path)], stdout=subprocess.PIPE, text=True
        ) as proc:
            assert proc.stdout is not None
            yield from proc.stdout
        assert proc.returncode == 0, f"samtools view {path} failed"
    elif path.suffix == ".gz":
        with gzip.open(path, "rt", errors="replace") as fh:
            yield from fh
    else:
        with path.open(errors="replace") as fh:
            yield from fh


def digest(path: Path, work: Path) -> str:
    """SHA-256 of a result's content with the run's own directory and clock readings taken out
    (BAM: its records and header without @PG; gzip: the decompressed text; JSON: key-sorted)."""
    roots = (str(work.resolve()), str(work))
    if path.suffix == ".json" and path.stat().st_size < SMALL:
        text = path.read_text(errors="replace")
        for root in roots:
            text = text.replace(root, "<RUN>")
        try:
            text = json.dumps(json.loads(ISO_TIME.sub("<TIME>", text)), sort_keys=True)
        except json.JSONDecodeError:
            pass
        return hashlib.sha256(text.encode()).hexdigest()
    h = hashlib.sha256()
    small_text = path.suffix != ".bam" and path.stat().st_size < (1 << 20)
    for line in _lines(path):
        if (small_text or line.startswith(("@", "#"))) and len(line) < 4096:
            for root in roots:
                line = line.replace(root, "<RUN>")
            line = ISO_TIME.sub("<TIME>", line)
        h.update(line.encode())
    return h.hexdigest()


def compare_runs(a: Path, b: Path) -> list[str]:
    """Differences between two runs' results (empty when they agree), one line each."""
    files_a, files_b = result_files(a), result_files(b)
    problems = [f"only in {a.name}: {f}" for f in sorted(set(files_a) - set(files_b))]
    problems += [f"only in {b.name}: {f}" for f in sorted(set(files_b) - set(files_a))]
    for rel in sorted(set(files_a) & set(files_b)):
        if digest(a / rel, a) != digest(b / rel, b):
            problems.append(f"differs: {rel}")
    return problems


# Names the foundation's session fixture of a finished local demo run may have (tests/conftest.py).
SHARED_RUN_FIXTURES = ("demo_workflow", "workflow_run", "demo_run", "demo_results")
_OWN_RUN: dict[str, Path] = {}


def _workdir_of(value: object) -> Path | None:
    candidates = [value]
    if isinstance(value, dict):
        candidates += list(value.values())
    else:
        candidates += [getattr(value, n, None) for n in ("work", "workdir", "root", "path", "directory")]
    for cand in candidates:
        if isinstance(cand, str | Path) and (Path(cand) / "results").is_dir():
            return Path(cand)
    return None


def reference_run(request, tmp_path_factory) -> Path:
    """A finished local run of the demo workflow: the foundation's session fixture when it has one
    that exposes a working directory with demo/ and results/, else one run here (once per session)."""
    import pytest

    for name in SHARED_RUN_FIXTURES:
        try:
            value = request.getfixturevalue(name)
        except pytest.FixtureLookupError:
            continue
        work = _workdir_of(value)
        if work is not None and (work / "demo").is_dir():
            return work
    if "work" not in _OWN_RUN:
        root = tmp_path_factory.mktemp("local-run")
        work = prepare_workdir(root / "local", make_demo(root / "demo"))
        snakemake(work, "--cores", "2")
        _OWN_RUN["work"] = work
    return _OWN_RUN["work"]
