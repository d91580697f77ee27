"""QC flags on real runs: the demo patients are not flagged because of the demo's design (genes
outside its synthetic windows lie in N sequence), while a sample with genuinely removed reads is.

The demo patients come from the session run (tests/conftest.py). The edited samples are P1's
alignment with reads removed, entered as BAMs in a second, small run of the workflow (call,
target status, PGx, report), so every figure comes from the real tools.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import require_tools, snakemake_cmd, venv_env
from genorx.report.therapy import read_tsv

pytestmark = pytest.mark.slow

PATIENTS = ("P1", "P2", "P3")
CUT_GENE = "SLCO1B1"  # every read over its demo windows removed
DOWNSAMPLE = 0.15  # ~30x -> ~4.5x: most positions below calling.min_depth (10)


def _report(workdir: Path, sample: str) -> dict:
    return json.loads((workdir / "results" / sample / "report.json").read_text())


@pytest.fixture(scope="module")
def demo(demo_workflow):
    run = demo_workflow
    missing = [p for p in PATIENTS if not (run.workdir / "results" / p / "report.json").is_file()]
    assert not missing, f"report outputs missing for {missing}:\n{run.log[-3000:]}"
    return run


@pytest.mark.parametrize("patient", PATIENTS)
def test_demo_patients_not_flagged_for_the_demos_design(demo, patient):
    doc = _report(demo.workdir, patient)
    targets = doc["qc"]["targets"]
    overall, basis = targets["overall"], targets["flag_basis"]
    # honest overall figure: the N positions are no-calls and count in it
    assert overall["call_rate"] < 0.95 and overall["n_no_reference_sequence"] > 0
    assert overall["no_call_reasons"]["not_covered"] >= overall["n_no_reference_sequence"]
    # genes lying wholly in N are reported, not flagged; the assessed genes are fully called
    assert {"ABCG2", "G6PD", "CFTR"} <= set(basis["genes_without_reference_sequence"])
    assert basis["genes_uncovered"] == []
    assert basis["call_rate"] >= 0.95 and {"CYP2C19", "SLCO1B1", "DPYD", "TPMT"} <= set(basis["genes"])
    assert doc["summary"]["qc_flags"] == []
    genes = {g["gene"]: g for g in targets["genes"]}
    assert genes["G6PD"]["call_rate"] == 0.0 and genes["CYP2C19"]["call_rate"] == 1.0


def test_cohort_summary_states_denominators_and_flags_nobody(demo):
    rows = read_tsv((demo.workdir / "results" / "cohort" / "summary.tsv").read_text())
    assert [r["sample_id"] for r in rows] == list(PATIENTS)
    for r in rows:
        assert r["qc_flags"] == "none", r
        assert int(r["target_positions"]) > int(r["flag_basis_positions"]) > 0
        assert float(r["target_call_rate"]) < 0.95 <= float(r["flag_basis_call_rate"])


@pytest.fixture(scope="module")
def edited(demo, tmp_path_factory):
    """A run on two edited copies of P1's alignment: CUT (no reads over SLCO1B1) and LOW
    (reads downsampled to 15%)."""
    require_tools("samtools")
    work = tmp_path_factory.mktemp("qc_edited")
    bam = demo.workdir / "results" / "P1" / "P1.bam"
    windows = [w for w in demo.manifest["windows"] if w["name"] == CUT_GENE]
    assert windows, f"the demo has no {CUT_GENE} window"
    bed = work / "cut.bed"
    bed.write_text("".join(f"{w['chrom']}\t{w['start']}\t{w['end']}\n" for w in windows))
    cut, low = work / "CUT.bam", work / "LOW.bam"
    sh = dict(check=True, capture_output=True, text=True)
    # reads overlapping the windows go to /dev/null, every other read (-U) is kept
    subprocess.run(
        ["samtools", "view", "-b", "-L", str(bed), "-o", "/dev/null", "-U", str(cut), str(bam)], **sh
    )
    subprocess.run(["samtools", "view", "-b", "-s", f"{7 + DOWNSAMPLE}", "-o", str(low), str(bam)], **sh)
    for b in (cut, low):
        subprocess.run(["samtools", "index", str(b)], **sh)
    (work / "samples.tsv").write_text(f"sample_id\tbam\nCUT\t{cut}\nLOW\t{low}\n")
    config = work / "config.yaml"
    config.write_text(
        f"samples: samples.tsv\nreference:\n  fasta: {demo.demo / 'reference.fa.gz'}\n  build: GRCh38\n"
        f"targets: {demo.targets}\nthreads: 2\n"
    )
    wanted = [f"results/{s}/report.json" for s in ("CUT", "LOW")]
    proc = subprocess.run(
        snakemake_cmd(work, config, *wanted), env=venv_env(), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return work


def test_whole_gene_dropout_is_flagged(edited):
    doc = _report(edited, "CUT")
    basis = doc["qc"]["targets"]["flag_basis"]
    assert basis["genes_uncovered"] == [CUT_GENE] and CUT_GENE not in basis["genes"]
    genes = {g["gene"]: g for g in doc["qc"]["targets"]["genes"]}
    assert genes[CUT_GENE]["call_rate"] == 0.0 and genes[CUT_GENE]["n_no_reference_sequence"] == 0
    assert any(f.startswith(f"uncovered_genes ({CUT_GENE}") for f in doc["summary"]["qc_flags"])
    assert f"uncovered_genes ({CUT_GENE}" in (edited / "results" / "CUT" / "report.html").read_text()


def test_low_coverage_sample_is_flagged(edited):
    doc = _report(edited, "LOW")
    basis = doc["qc"]["targets"]["flag_basis"]
    assert basis["genes"], "some defining positions still reach the minimum depth"
    assert basis["call_rate"] < 0.95
    flags = doc["summary"]["qc_flags"]
    assert any(f.startswith("low_target_call_rate") for f in flags), flags
    assert any(f.startswith("low_target_depth") for f in flags), flags
