"""Entering the workflow later (a BAM, or a VCF, in the sample sheet), the reference as plain,
gzip or bgzip FASTA, and the documented way to run on one's own data."""

from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
from conftest import REPO, demo_config, snakemake_cmd, venv_env


def targets_rows(path: Path) -> dict[tuple[str, int], dict]:
    with gzip.open(path, "rt", newline="") as fh:
        return {(r["chrom"], int(r["pos"])): r for r in csv.DictReader(fh, delimiter="\t")}


def body(vcf: Path) -> list[str]:
    with gzip.open(vcf, "rt") as fh:
        return [ln for ln in fh if not ln.startswith("#")]


def test_own_data_form_of_the_session_run(demo_workflow):
    """The session run is `snakemake -s REPO/Snakefile --configfile my.yaml --directory WORKDIR`
    with the foundation keys (plus the pgx/prs stage sections, so the run covers every stage);
    bundled resources (KB targets, pgx.kb) resolve from the workflow."""
    keys = [
        ln.split(":")[0] for ln in demo_workflow.config.read_text().splitlines() if not ln.startswith(" ")
    ]
    assert keys[:6] == ["samples", "reference", "aligner", "caller", "targets", "threads"]
    assert set(keys[6:]) <= {"pgx", "prs"}
    assert demo_workflow.workdir != REPO
    for p in demo_workflow.manifest["patients"]:
        assert (demo_workflow.workdir / "results" / p / f"{p}.targets.tsv.gz").exists(), demo_workflow.log[
            -2000:
        ]


@pytest.mark.slow
def test_bam_and_vcf_samples_skip_align_and_call(demo_workflow, tmp_path):
    run = demo_workflow
    clean = run.workdir / "results"
    (tmp_path / "samples.tsv").write_text(
        "sample_id\tfastq_1\tfastq_2\tbam\tvcf\n"
        f"B1\t\t\t{clean / 'P1/P1.bam'}\t\n"
        f"V2\t\t\t\t{clean / 'P2/P2.vcf.gz'}\n"
    )
    config = tmp_path / "config.yaml"
    config.write_text(demo_config(run.targets, run.demo, samples="samples.tsv"))  # the session run's
    wanted = [
        "results/B1/B1.targets.tsv.gz", "results/B1/qc/B1.stats.txt",
        "results/V2/V2.targets.tsv.gz", "results/V2/V2.targets.vcf.gz",
    ]  # fmt: skip
    proc = subprocess.run(
        snakemake_cmd(tmp_path, config, *wanted), env=venv_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    ran = {p.name for p in (tmp_path / "logs").iterdir()}
    assert not ran & {"align", "check_fastq", "reference_index_minimap2"}, ran
    assert not (tmp_path / "logs" / "call_variants" / "V2.log").exists()
    assert (tmp_path / "logs" / "normalise_input_vcf" / "V2.log").exists()
    assert not (tmp_path / "results" / "B1" / "B1.bam").exists()
    # the given BAM is called exactly as the workflow's own alignment of P1 was
    assert body(tmp_path / "results/B1/B1.vcf.gz") == body(clean / "P1/P1.vcf.gz")
    assert targets_rows(tmp_path / "results/B1/B1.targets.tsv.gz") == targets_rows(
        clean / "P1/P1.targets.tsv.gz"
    )
    # a VCF alone says nothing about positions it does not list: never `ref`
    v2 = targets_rows(tmp_path / "results/V2/V2.targets.tsv.gz")
    p2 = targets_rows(clean / "P2/P2.targets.tsv.gz")
    assert {k for k, r in v2.items() if r["status"] == "variant"} == {
        k for k, r in p2.items() if r["status"] == "variant"
    }
    assert {r["status"] for r in v2.values()} == {"variant", "no_call"}


@pytest.mark.parametrize("kind", ["plain", "gzip", "bgzf"])
def test_reference_plain_gzip_or_bgzipped(tmp_path, kind):
    seq = {"chr1": "ACGT" * 300 + "N" * 100, "chr2": "GATTACA" * 100}
    text = "".join(
        f">{c}\n" + "\n".join(s[i : i + 60] for i in range(0, len(s), 60)) + "\n" for c, s in seq.items()
    )
    src = tmp_path / {"plain": "ref.fa", "gzip": "ref.fa.gz", "bgzf": "ref.bgz.fa.gz"}[kind]
    if kind == "plain":
        src.write_text(text)
    elif kind == "gzip":
        src.write_bytes(gzip.compress(text.encode()))
    else:
        (tmp_path / "ref.bgz.fa").write_text(text)
        subprocess.run(["bgzip", "-f", str(tmp_path / "ref.bgz.fa")], check=True)
        subprocess.run(["samtools", "faidx", str(src)], check=True)
    out = tmp_path / "results" / "genome.fa.gz"
    genorx = str(Path(sys.executable).parent / "genorx")
    proc = subprocess.run(
        [genorx, "check", "reference", "--fasta", str(src), "--out", str(out)], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert ("linked" in proc.stdout) == (kind == "bgzf")
    with pysam.FastaFile(str(out)) as fa:
        assert {c: fa.fetch(c) for c in fa.references} == seq
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "genome.fa.gz",
        "genome.fa.gz.fai",
        "genome.fa.gz.gzi",
    ]
