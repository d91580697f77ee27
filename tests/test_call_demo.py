"""Variant calls and target-position status on the demo, against the planted truth.

All assertions come from the session's one workflow run (tests/conftest.py: demo_workflow).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pysam
import pytest
from genorx.demo.evaluate import evaluate, read_genotypes

PATIENTS = ("P1", "P2", "P3")


def passing_genotypes(vcf: Path) -> dict:
    """Like read_genotypes, over records that pass (LowQual-filtered calls are not calls)."""
    out = {}
    with pysam.VariantFile(str(vcf)) as vf:
        for rec in vf:
            if any(f != "PASS" for f in rec.filter.keys()):
                continue
            gt = rec.samples[0]["GT"]
            for i, alt in enumerate(rec.alts or (), start=1):
                dose = sum(1 for a in gt if a == i)
                if dose:
                    out[(rec.chrom, rec.pos, rec.ref, alt)] = dose
    return out


def read_targets(path: Path) -> dict[tuple[str, int], dict]:
    with gzip.open(path, "rt", newline="") as fh:
        return {(r["chrom"], int(r["pos"])): r for r in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def run(demo_workflow):
    for p in PATIENTS:
        for name in (f"{p}.vcf.gz", f"{p}.targets.tsv.gz", f"{p}.targets.vcf.gz"):
            path = demo_workflow.workdir / "results" / p / name
            assert path.exists(), f"{path} missing; snakemake said:\n{demo_workflow.log[-3000:]}"
    return demo_workflow


@pytest.fixture(scope="module")
def evaluations(run) -> dict:
    out = {}
    for p in PATIENTS:
        truth = read_genotypes(run.demo / "truth" / f"{p}.vcf.gz")
        calls = passing_genotypes(run.workdir / "results" / p / f"{p}.vcf.gz")
        out[p] = evaluate(truth, calls)
    return out


@pytest.mark.parametrize("patient", PATIENTS)
def test_accuracy_against_truth(evaluations, patient):
    e = evaluations[patient]
    assert e.snv.tp > 500 and e.indel.tp > 50, e.as_dict()
    assert e.snv.precision >= 0.995 and e.snv.recall >= 0.995, (e.snv, e.false, e.missed)
    assert e.indel.precision >= 0.97 and e.indel.recall >= 0.97, (e.indel, e.false, e.missed)
    assert e.gt_concordance >= 0.99, e.discordant


def test_paralog_figures_reported_and_no_false_calls(evaluations):
    """The paralog is scored apart; with minimap2 most planted variants there are found."""
    tp = sum(e.paralog.tp for e in evaluations.values())
    fn = sum(e.paralog.fn for e in evaluations.values())
    fp = sum(e.paralog.fp for e in evaluations.values())
    assert tp + fn >= 90  # both copies carry planted variants in every patient
    assert tp / (tp + fn) >= 0.8 and fp <= 2, (tp, fn, fp)


@pytest.mark.parametrize("patient", PATIENTS)
def test_every_planted_pgx_variant_called_with_its_genotype(run, patient):
    calls = passing_genotypes(run.workdir / "results" / patient / f"{patient}.vcf.gz")
    targets = read_targets(run.workdir / "results" / patient / f"{patient}.targets.tsv.gz")
    planted = run.manifest["patients"][patient]["pgx_variants"]
    assert len(planted) >= 8
    for v in planted:
        dose = v["genotype"].count("1")
        key = (v["chrom"], v["pos"], v["ref"], v["alt"])
        assert calls.get(key) == dose, (v, calls.get(key))
        row = targets[(v["chrom"], v["pos"])]
        assert row["status"] == "variant", (v, row)
        alleles = sorted(row["genotype"].replace("|", "/").split("/"))
        expected = sorted([v["ref"] if a == "0" else v["alt"] for a in v["genotype"].split("|")])
        assert alleles == expected, (v, row)


@pytest.mark.parametrize("patient", PATIENTS)
def test_target_status(run, patient):
    """Planted variants are `variant`; covered hom-ref positions `ref`; N windows `no_call`;
    in the paralog a truly variant position is never `ref`."""
    rows = read_targets(run.workdir / "results" / patient / f"{patient}.targets.tsv.gz")
    truth = read_genotypes(run.demo / "truth" / f"{patient}.vcf.gz")
    variant_positions = {(c, p) for c, p, _, _ in truth}
    for c, p, ref, _ in truth:  # deletions: every base of the REF span is variant
        variant_positions |= {(c, p + i) for i in range(len(ref))}

    statuses = {r["status"] for r in rows.values()}
    assert statuses <= {"variant", "ref", "no_call"}
    for key, r in rows.items():
        if r["status"] == "no_call":
            assert (
                r["reason"] in {"not_covered", "low_depth", "low_mapq", "alt_evidence"}
                and r["genotype"] == "."
            )
        else:
            assert r["reason"] == ""
        if r["status"] == "ref":
            assert key not in variant_positions, r
            assert int(r["depth"]) >= 10 and float(r["mq0_fraction"]) <= 0.1, r
        if key in variant_positions and r["status"] != "no_call":
            assert r["status"] == "variant", r
        covered = int(r["depth"]) >= 10 and r["mq0_fraction"] != "." and float(r["mq0_fraction"]) <= 0.1
        if key not in variant_positions and covered and r["ref"] != "N":
            assert r["status"] == "ref", r

    for c, p in run.extra_targets["n_window"]:
        r = rows[(c, p)]
        assert (r["status"], r["reason"], r["ref"]) == ("no_call", "not_covered", "N"), r
    paralog_variant = [rows[k] for k in run.extra_targets["paralog_variant"] if k in variant_positions]
    assert paralog_variant and all(r["status"] != "ref" for r in paralog_variant)
    # the planted paralog positions this patient does not carry: each is ref or a no_call
    invariant = [rows[k] for k in run.extra_targets["paralog_invariant"]]
    assert {r["status"] for r in invariant} <= {"ref", "no_call"}
    assert any(r["reason"] == "low_mapq" for r in invariant), "the paralog should show MQ0 no_calls"
    # genes the demo genome leaves out (chrX G6PD, chr2 UGT1A1) are reported, not dropped
    assert any(k[0] == "chrX" and r["reason"] == "not_covered" for k, r in rows.items())


@pytest.mark.parametrize("patient", PATIENTS)
def test_targets_vcf_one_record_per_position(run, patient):
    rows = read_targets(run.workdir / "results" / patient / f"{patient}.targets.tsv.gz")
    seen: dict[tuple[str, int], str] = {}
    with pysam.VariantFile(str(run.workdir / "results" / patient / f"{patient}.targets.vcf.gz")) as vf:
        assert list(vf.header.samples) == [patient]
        for rec in vf:
            status = rec.info["TSTATUS"]
            gt = rec.samples[0]["GT"]
            if status == "ref":
                assert gt == (0, 0)
            elif status == "no_call":
                assert gt == (None, None) and rec.info["TREASON"]
            else:
                assert any(a is not None and a > 0 for a in gt)
            for p in range(rec.pos, rec.pos + len(rec.ref)):
                seen.setdefault((rec.chrom, p), status)
    for key, r in rows.items():
        if r["status"] == "variant":
            assert seen.get(key) == "variant", (key, r)
        else:
            assert seen.get(key) == r["status"], (key, r)
