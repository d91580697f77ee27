"""Alignments of the demo (from the session's workflow run), and an interrupted run:
killed during alignment, rerun, identical outputs to the clean run."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pysam
import pytest
from conftest import demo_config, snakemake_cmd, venv_env

PATIENTS = ("P1", "P2", "P3")


@pytest.fixture(scope="module")
def run(demo_workflow):
    for p in PATIENTS:
        assert (demo_workflow.workdir / "results" / p / f"{p}.bam").exists(), demo_workflow.log[-3000:]
    return demo_workflow


@pytest.mark.parametrize("patient", PATIENTS)
def test_alignment_is_sorted_marked_indexed_with_read_group(run, patient):
    res = run.workdir / "results" / patient
    with pysam.AlignmentFile(str(res / f"{patient}.bam")) as bam:
        header = bam.header.to_dict()
        assert header["HD"]["SO"] == "coordinate"
        assert [rg["SM"] for rg in header["RG"]] == [patient]
        assert [c["SN"] for c in header["SQ"]] == list(run.manifest["reference"]["contigs"])
        assert any(pg["ID"].startswith("samtools") and "markdup" in pg.get("CL", "") for pg in header["PG"])
        assert bam.check_index()
        n = dup = mapped = 0
        last = (-1, -1)
        for read in bam.fetch(until_eof=True):
            n += 1
            dup += read.is_duplicate
            mapped += not read.is_unmapped
            if not read.is_unmapped:
                assert read.get_tag("RG") == patient
                here = (read.reference_id, read.reference_start)
                assert here >= last
                last = here
    pairs = run.manifest["patients"][patient]["read_pairs"]
    assert n == 2 * pairs
    assert mapped / n > 0.99
    assert 0.01 < dup / n < 0.05  # the demo sequences ~2% of fragments twice
    flagstat = (res / "qc" / f"{patient}.flagstat.txt").read_text()
    assert f"{2 * pairs} + 0 in total" in flagstat and "duplicates" in flagstat
    stats = (res / "qc" / f"{patient}.stats.txt").read_text()
    error_rate = float(
        next(ln.split("\t")[2] for ln in stats.splitlines() if ln.startswith("SN\terror rate:"))
    )
    assert 0.001 < error_rate < 0.01  # realistic Illumina-like base errors
    checked = json.loads((res / "qc" / f"{patient}.fastq_check.json").read_text())
    assert checked["read_pairs"] == pairs


def test_snakemake_benchmark_files_for_every_rule(run):
    for rule in ("reference_prepare", "reference_index_minimap2", "targets_merge"):
        assert list((run.workdir / "benchmarks" / rule).glob("*.tsv")), rule
    for rule in ("check_fastq", "align", "align_stats", "call_variants", "target_status"):
        for p in PATIENTS:
            tsv = run.workdir / "benchmarks" / rule / f"{p}.tsv"
            header = tsv.read_text().splitlines()[0]
            assert {"s", "max_rss", "cpu_time"} <= set(header.split("\t")), header


def _records(bam: Path) -> list[str]:
    out = subprocess.run(["samtools", "view", str(bam)], check=True, capture_output=True, text=True).stdout
    return out.splitlines()


def _vcf_body(vcf: Path) -> list[str]:
    with gzip.open(vcf, "rt") as fh:
        return [ln for ln in fh if not ln.startswith("#")]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 900) -> None:
    t0 = time.monotonic()
    while not path.exists():
        assert proc.poll() is None, "workflow ended before alignment started"
        assert time.monotonic() - t0 < timeout, f"{path} never appeared"
        time.sleep(0.1)


@pytest.mark.slow
def test_interrupted_run_reruns_to_identical_outputs(run, tmp_path):
    """Kill (SIGINT, then SIGKILL: a crash) while the aligner runs; no partial BAM is left;
    the rerun completes, and BAM records, VCF bodies and target tables equal the clean run."""
    demo = run.demo
    (tmp_path / "samples.tsv").write_text(
        f"sample_id\tfastq_1\tfastq_2\nP1\t{demo / 'P1_R1.fastq.gz'}\t{demo / 'P1_R2.fastq.gz'}\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(demo_config(run.targets, demo, samples="samples.tsv"))  # the session run's
    res = tmp_path / "results" / "P1"
    wanted = ["results/P1/P1.targets.tsv.gz", "results/P1/qc/P1.stats.txt"]
    for sig in (signal.SIGINT, signal.SIGKILL):
        proc = subprocess.Popen(
            snakemake_cmd(tmp_path, config, *wanted), env=venv_env(), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_for(res / "P1.bam.tmp.d" / "aligner.log", proc)
        time.sleep(1.0)
        os.killpg(proc.pid, sig)
        proc.communicate(timeout=300)
        assert not (res / "P1.bam").exists() and not (res / "P1.bam.bai").exists()
        if sig == signal.SIGKILL:  # a crash leaves Snakemake's lock: the documented unlock
            subprocess.run(snakemake_cmd(tmp_path, config, "--unlock"), env=venv_env(), check=True,
                           capture_output=True)  # fmt: skip
    rerun = subprocess.run(
        snakemake_cmd(tmp_path, config, *wanted), env=venv_env(), capture_output=True, text=True
    )
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert not list(res.glob("*.tmp*")), "temporary files left behind"
    clean = run.workdir / "results" / "P1"
    assert _records(res / "P1.bam") == _records(clean / "P1.bam")
    assert _vcf_body(res / "P1.vcf.gz") == _vcf_body(clean / "P1.vcf.gz")
    assert _vcf_body(res / "P1.targets.vcf.gz") == _vcf_body(clean / "P1.targets.vcf.gz")
    with gzip.open(res / "P1.targets.tsv.gz", "rt") as a, gzip.open(clean / "P1.targets.tsv.gz", "rt") as b:
        assert a.read() == b.read()
