"""Run the demo workflow in a working directory and compare two runs' final outputs.

Used by the SLURM and container tests: a run elsewhere (through SLURM, inside the image) must
produce the same results as a plain local run. A working directory is laid out as the
foundation's session fixture lays it out (tests/conftest.py ``demo_workdir``): the demo in
``resources/demo``, the run's ``config.yaml`` (and any BED it names) at the top, so every path a
run writes is relative to it.
"""

from __future__ import annotations

import difflib
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
RUN_CONFIG = "samples: resources/demo/samples.tsv\nreference:\n  fasta: resources/demo/reference.fa.gz\n"
CONFIG = "config.yaml"


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


def new_workdir(work: Path) -> Path:
    """A working directory with a fresh demo and the minimal config."""
    make_demo(work / "resources" / "demo")
    (work / CONFIG).write_text(RUN_CONFIG)
    return work


def copy_inputs(source: Path, work: Path) -> Path:
    """A fresh working directory with a copy of another run's inputs: ``resources/`` and the
    top-level config and BED/TSV files (not its results, logs or .snakemake)."""
    work.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source / "resources", work / "resources", symlinks=True)
    for path in source.iterdir():
        if path.is_file() and path.suffix in {".yaml", ".yml", ".bed", ".tsv"}:
            shutil.copy2(path, work / path.name)
    assert (work / CONFIG).exists(), f"{source} has no {CONFIG}"
    return work


def snakemake_argv(*args: str, snakefile: str | None = None, work: str | None = None) -> list[str]:
    return [
        "snakemake", "--snakefile", snakefile or str(REPO / "Snakefile"),
        "--configfile", CONFIG, *(["--directory", work] if work else []), *args,
    ]  # fmt: skip


def snakemake(work: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 1800) -> str:
    """Run snakemake on the repository's workflow in ``work``; return its combined log."""
    argv = snakemake_argv(*args, work=str(work))
    argv[0] = str(BIN / "snakemake")
    t0 = time.monotonic()
    res = subprocess.run(
        argv, cwd=work, env=env or tool_env(), capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
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


UUID = re.compile(r"urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def masks(work: Path, aliases: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """What to take out of a run's results: its own directory (and other names it had, such as
    ``/data`` in a container) and where the workflow lived (``/opt/genorx/src`` in the image)."""
    subs = [(str(work.resolve()), "<RUN>"), (str(work), "<RUN>")]
    subs += list((aliases or {}).items())
    subs.append((str(REPO), "<WORKFLOW>"))
    return subs


def normalise_line(line: str, subs: list[tuple[str, str]]) -> str:
    for old, new in subs:  # whole path components only: /data, not CodeSystem/data-absent-reason
        if old in line:
            line = re.sub(rf"(?<![\w.-]){re.escape(old)}(?![\w.-])", new, line)
    return UUID.sub("urn:uuid:<ID>", ISO_TIME.sub("<TIME>", line))


def normalised_text(path: Path, subs: list[tuple[str, str]]) -> str:
    """A small text or JSON result with the masks applied (JSON key-sorted, one key per line)."""
    text = normalise_line(path.read_text(errors="replace"), subs)
    if path.suffix == ".json":
        try:
            return json.dumps(json.loads(text), sort_keys=True, indent=0)
        except json.JSONDecodeError:
            pass
    return text


def digest(path: Path, subs: list[tuple[str, str]]) -> str:
    """SHA-256 of a result's content with the masks applied (BAM: records and header without
    @PG; gzip: the decompressed text; large files: masks on header lines only)."""
    if path.suffix != ".bam" and not path.name.endswith(".gz") and path.stat().st_size < SMALL:
        return hashlib.sha256(normalised_text(path, subs).encode()).hexdigest()
    h = hashlib.sha256()
    small_text = path.suffix != ".bam" and path.stat().st_size < (1 << 20)
    for line in _lines(path):
        if (small_text or line.startswith(("@", "#"))) and len(line) < 4096:
            line = normalise_line(line, subs)
        h.update(line.encode())
    return h.hexdigest()


def compare_runs(a: Path, b: Path, b_aliases: dict[str, str] | None = None) -> list[str]:
    """Differences between two runs' results (empty when they agree), with the first differing
    lines of small text files. ``b_aliases``: other names run ``b`` had for paths."""
    files_a, files_b = result_files(a), result_files(b)
    problems = [f"only in {a.name}: {f}" for f in sorted(set(files_a) - set(files_b))]
    problems += [f"only in {b.name}: {f}" for f in sorted(set(files_b) - set(files_a))]
    subs_a, subs_b = masks(a), masks(b, b_aliases)
    for rel in sorted(set(files_a) & set(files_b)):
        if digest(a / rel, subs_a) == digest(b / rel, subs_b):
            continue
        problems.append(f"differs: {rel}")
        if not rel.endswith((".bam", ".gz")) and (a / rel).stat().st_size < SMALL:
            diff = difflib.unified_diff(
                normalised_text(a / rel, subs_a).splitlines(), normalised_text(b / rel, subs_b).splitlines(),
                a.name, b.name, n=0, lineterm="",
            )  # fmt: skip
            problems += [f"    {line[:200]}" for line in list(diff)[2:14]]
    return problems


_OWN_RUN: dict[str, Path] = {}


def reference_run(request, tmp_path_factory) -> Path:
    """The working directory of a finished local run of the demo workflow: the foundation's
    session fixture ``demo_workflow`` (shared with every stage's tests), else one run here."""
    import pytest

    try:
        run = request.getfixturevalue("demo_workflow")
    except pytest.FixtureLookupError:
        run = None
    if run is not None:
        if run.returncode != 0:
            pytest.fail(
                f"the local demo run failed ({run.returncode}); nothing to compare with:\n{run.log[-3000:]}"
            )
        assert Path(run.config).name == CONFIG and (run.workdir / "resources" / "demo").is_dir()
        return Path(run.workdir)
    if "work" not in _OWN_RUN:
        work = new_workdir(tmp_path_factory.mktemp("local-run"))
        snakemake(work, "--cores", "2")
        _OWN_RUN["work"] = work
    return _OWN_RUN["work"]
