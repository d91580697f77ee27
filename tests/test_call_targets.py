"""Target status from edited reads: remove reads (low_depth, not_covered), set mapping
quality 0 (low_mapq), plant another base (alt_evidence) at covered hom-ref targets of the
demo's P1 alignment, then run `genorx targets status` on the edited BAM."""

from __future__ import annotations

import csv
import gzip
import subprocess
import sys
from pathlib import Path

import pysam
import pytest
from conftest import venv_env
from genorx.call.evidence import Evidence
from genorx.call.status import Call, Thresholds, classify, genotype_of

CASES = ("low_depth", "not_covered", "low_mapq", "alt_evidence")


def read_rows(path: Path) -> dict[tuple[str, int], dict]:
    with gzip.open(path, "rt", newline="") as fh:
        return {(r["chrom"], int(r["pos"])): r for r in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def edited(demo_workflow, tmp_path_factory):
    run = demo_workflow
    res = run.workdir / "results" / "P1"
    rows = read_rows(res / "P1.targets.tsv.gz")
    refs = [k for k, r in rows.items() if r["status"] == "ref" and k[0] != "chr22"]
    # four well-separated hom-ref targets, one per case
    chosen: dict[str, tuple[str, int]] = {}
    for key in refs:
        if all(key[0] != c or abs(key[1] - p) > 2000 for c, p in chosen.values()):
            chosen[CASES[len(chosen)]] = key
        if len(chosen) == len(CASES):
            break
    out_dir = tmp_path_factory.mktemp("edited")
    bam_out = out_dir / "P1.edited.bam"
    with (
        pysam.AlignmentFile(str(res / "P1.bam")) as src,
        pysam.AlignmentFile(str(bam_out), "wb", template=src) as dst,
    ):
        for n, read in enumerate(src):
            hit = None
            for case, (chrom, pos) in chosen.items():
                if read.reference_name == chrom and read.reference_start < pos <= (read.reference_end or 0):
                    hit = case
            if hit == "not_covered" or (hit == "low_depth" and n % 5):
                continue
            if hit == "low_mapq" and n % 2:
                read.mapping_quality = 0
            if hit == "alt_evidence" and n % 3 == 0:
                chrom, pos = chosen["alt_evidence"]
                qpos = dict((r, q) for q, r in read.get_aligned_pairs(matches_only=True)).get(pos - 1)
                if qpos is not None:
                    seq, quals = list(read.query_sequence), read.query_qualities
                    seq[qpos] = {"A": "C", "C": "G", "G": "T", "T": "A"}[seq[qpos]]
                    read.query_sequence = "".join(seq)
                    read.query_qualities = quals
            dst.write(read)
    pysam.index(str(bam_out))
    bed = out_dir / "targets.bed"
    bed.write_text("".join(f"{c}\t{p - 1}\t{p}\n" for c, p in chosen.values()))
    cmd = [
        str(Path(sys.executable).parent / "genorx"), "targets", "status", "--sample", "P1",
        "--reference", str(run.workdir / "results/reference/genome.fa.gz"), "--targets", str(bed),
        "--vcf", str(res / "P1.vcf.gz"), "--bam", str(bam_out),
        "--out-tsv", str(out_dir / "t.tsv.gz"), "--out-vcf", str(out_dir / "t.vcf.gz"),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, env=venv_env(), capture_output=True, text=True)
    return chosen, read_rows(out_dir / "t.tsv.gz"), rows


@pytest.mark.parametrize("case", CASES)
def test_edited_reads_give_no_call(edited, case):
    chosen, after, before = edited
    key = chosen[case]
    assert before[key]["status"] == "ref"
    row = after[key]
    assert (row["status"], row["reason"], row["genotype"]) == ("no_call", case, "."), (before[key], row)
    if case == "not_covered":
        assert row["depth"] == "0"
    if case == "low_depth":
        assert 0 < int(row["depth"]) < 10


T = Thresholds()


def _call(pos, ref, alt, gt, passed=True):
    return Call("chr1", pos, ref, (alt,), gt, False, passed)


def test_indel_anchor_and_deleted_bases_are_variant():
    deletion = _call(100, "CTG", "C", (0, 1))
    ev = Evidence(30, 0.0, 0)
    anchor = classify("chr1", 100, "C", ev, [deletion], T)
    inside = classify("chr1", 101, "T", ev, [deletion], T)
    assert (anchor.status, anchor.genotype) == ("variant", "CTG/C")
    assert (inside.status, inside.genotype) == ("variant", "T/*")
    insertion = _call(200, "A", "AGG", (1, 1))
    assert classify("chr1", 200, "A", ev, [insertion], T).genotype == "AGG/AGG"


def test_missing_evidence_is_never_ref():
    assert classify("chr1", 5, "A", None, [], T).reason == "not_covered"
    assert classify("chr1", 5, "A", Evidence(9, 0.0, 0), [], T).reason == "low_depth"
    assert classify("chr1", 5, "A", Evidence(30, 0.5, 0), [], T).reason == "low_mapq"
    assert classify("chr1", 5, "A", Evidence(30, 0.0, 6), [], T).reason == "alt_evidence"
    filtered = _call(5, "A", "G", (0, 1), passed=False)
    assert classify("chr1", 5, "A", Evidence(30, 0.0, 1), [filtered], T).reason == "alt_evidence"
    assert classify("chr1", 5, "A", Evidence(30, 0.0, 1), [], T).status == "ref"
    assert classify("chrZ", 5, "N", Evidence(30, 0.0, 0), [], T, known_contig=False).reason == "not_covered"


def test_split_multiallelic_genotype():
    a = _call(10, "A", "C", (1, 0))
    b = _call(10, "A", "T", (0, 1))
    assert genotype_of([a, b], 10, "A") == "C/T"
