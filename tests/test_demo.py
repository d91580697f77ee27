"""The demo generator: real GRCh38 names and coordinates, KB reference bases, paralog,
planted variants, reads; deterministic for a seed, different for another."""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import numpy as np
import pysam
import pytest
from conftest import venv_env
from genorx.demo import layout as lay
from genorx.demo.generate import generate_demo
from genorx.paths import BUNDLED_KB

ISSUE_VARIANTS = {  # the issue's examples, all planted in at least one patient
    "rs4244285", "rs12248560", "rs1799853", "rs1057910", "rs4149056", "rs9923231",
    "rs1800460", "rs1142345", "rs3918290", "rs776746", "rs116855232",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo(demo_workdir) -> tuple[Path, dict]:
    return demo_workdir.demo, demo_workdir.manifest


def test_reference_has_grch38_names_lengths_and_kb_bases(demo):
    path, manifest = demo
    kb = lay.read_kb_positions(BUNDLED_KB / "positions.tsv")
    with pysam.FastaFile(str(path / "reference.fa.gz")) as fa:
        assert dict(zip(fa.references, fa.lengths, strict=True)) == manifest["reference"]["contigs"]
        assert all(c.startswith("chr") for c in fa.references)
        inside = 0
        for p in kb:
            if p.chrom not in fa.references or p.end > fa.get_reference_length(p.chrom):
                continue
            seq = fa.fetch(p.chrom, p.pos - 1, p.end).upper()
            if "N" in seq:
                continue  # outside the demo windows
            inside += 1
            assert all(r in ("N", s) for r, s in zip(p.ref, seq, strict=True)), (p, seq)
        assert inside > 700
        # N outside windows, sequence inside
        assert set(fa.fetch("chr10", 50_000_000, 50_001_000)) == {"N"}
        w = next(w for w in manifest["windows"] if w["kind"] == "pgx")
        assert "N" not in fa.fetch(w["chrom"], w["start"], w["end"]).upper()


def test_paralog_is_a_half_percent_diverged_copy(demo):
    path, manifest = demo
    par = manifest["paralog"]
    with pysam.FastaFile(str(path / "reference.fa.gz")) as fa:
        a = np.frombuffer(fa.fetch(par["chrom"], *par["source"]).encode(), np.uint8)
        b = np.frombuffer(fa.fetch(par["chrom"], *par["copy"]).encode(), np.uint8)
    divergence = float(np.mean(a != b))
    assert 0.004 <= divergence <= 0.006, divergence


def test_low_complexity_repeats_present(demo):
    path, manifest = demo
    w = next(w for w in manifest["windows"] if w["name"] == "prs-chr1")
    with pysam.FastaFile(str(path / "reference.fa.gz")) as fa:
        seq = fa.fetch(w["chrom"], w["start"], w["end"])
    assert any(base * 10 in seq for base in "ACGT")  # homopolymers
    assert sum(seq.count(u * 6) for u in ("AC", "AG", "AT", "CA", "CT", "GA", "GT", "TA", "TC", "TG")) > 0


def test_patients_carry_the_planted_pgx_variants_at_kb_positions(demo):
    path, manifest = demo
    kb = {p.rsid: p for p in lay.read_kb_positions(BUNDLED_KB / "positions.tsv")}
    planted: set[str] = set()
    genotypes: set[str] = set()
    assert len(manifest["patients"]) >= 3
    for name, patient in manifest["patients"].items():
        truth = {}
        with pysam.VariantFile(str(path / "truth" / f"{name}.vcf.gz")) as vf:
            for rec in vf:
                truth[(rec.chrom, rec.pos, rec.ref, rec.alts[0])] = rec.samples[0]["GT"]
        for v in patient["pgx_variants"]:
            rsid = v["label"].split(":")[1]
            p = kb[rsid]
            assert (v["chrom"], v["pos"], v["ref"]) == (p.chrom, p.pos, p.ref) and v["alt"] in p.alts
            assert (v["chrom"], v["pos"], v["ref"], v["alt"]) in truth
            planted.add(rsid)
            genotypes.add(v["genotype"])
        counts = patient["counts"]
        assert counts["snv"] > 400 and counts["indel"] > 40 and counts["paralog"] > 20 and counts["prs"] > 50
    assert ISSUE_VARIANTS <= planted
    assert "1|1" in genotypes and {"0|1", "1|0"} & genotypes


def test_truth_has_het_hom_snvs_and_1_to_10bp_indels(demo):
    path, _ = demo
    lengths, gts = set(), set()
    with pysam.VariantFile(str(path / "truth" / "P1.vcf.gz")) as vf:
        for rec in vf:
            lengths.add(abs(len(rec.ref) - len(rec.alts[0])))
            gts.add(rec.samples[0]["GT"])
    assert {0, 1, 10} <= lengths and max(lengths) == 10
    assert {(1, 1)} < gts


def test_reads_are_paired_150bp_at_about_30x(demo):
    path, manifest = demo
    window_bases = sum(w["end"] - w["start"] for w in manifest["windows"])
    for name, patient in manifest["patients"].items():
        with (
            gzip.open(path / f"{name}_R1.fastq.gz", "rt") as r1,
            gzip.open(path / f"{name}_R2.fastq.gz", "rt") as r2,
        ):
            h1, s1, _, q1 = (r1.readline().strip() for _ in range(4))
            h2, s2, _, q2 = (r2.readline().strip() for _ in range(4))
        assert h1 == h2 and len(s1) == len(s2) == len(q1) == len(q2) == 150
        depth = patient["read_pairs"] * 300 / window_bases
        assert 28 <= depth <= 33, depth
    prs = (path / "prs_sites.tsv").read_text().splitlines()
    assert prs[0] == "chrom\tpos\tref\talt\taf" and 200 <= len(prs) - 1 <= 1000


def test_deterministic_for_a_seed_and_seed_dependent(demo, tmp_path):
    """Same seed: byte-identical files (checked through the manifest's sha256s)."""
    _, manifest = demo
    again = generate_demo(tmp_path / "again", seed=manifest["seed"])
    assert again["files"] == manifest["files"]
    other = generate_demo(tmp_path / "other", seed=manifest["seed"] + 1, coverage=2.0)
    assert other["files"]["truth/P1.vcf.gz"] != manifest["files"]["truth/P1.vcf.gz"]
    # the sample sheet names files beside it, so the demo folder can be moved
    sheet = (tmp_path / "again" / "samples.tsv").read_text().splitlines()
    assert sheet[1].split("\t") == ["P1", "P1_R1.fastq.gz", "P1_R2.fastq.gz"]


def test_cli_reports_and_validates(tmp_path):
    cmd = ["genorx", "demo", "--out", str(tmp_path), "--coverage", "0"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=venv_env())
    assert proc.returncode == 2 and proc.stderr.startswith("genorx: error: --coverage")
    assert not any(tmp_path.iterdir())
