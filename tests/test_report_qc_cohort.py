"""QC figures (real samtools stats/flagstat, target status) and the cohort summary."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import require_tools
from genorx.cli import main as genorx_main
from genorx.errors import GenorxError
from genorx.report.qc import parse_flagstat, parse_samtools_stats, read_targets
from test_report_support import TARGETS, fixture_pgx, fixture_prs, make_qc_dir, run_report, write_json


@pytest.fixture(scope="module")
def qc_dir(tmp_path_factory):
    require_tools("samtools")
    return make_qc_dir(tmp_path_factory.mktemp("qc"))


def test_samtools_stats_and_flagstat_parsed(qc_dir):
    stats = parse_samtools_stats(qc_dir / "P1.stats.txt")
    assert stats["total_reads"] == 420
    assert stats["reads_mapped"] == 400
    assert stats["mapped_fraction"] == pytest.approx(400 / 420)
    assert stats["reads_duplicated"] == 16
    assert stats["reads_mq0"] == 40
    assert stats["samtools_version"].split(".")[0] == "1"
    flag = parse_flagstat(qc_dir / "P1.flagstat.txt")
    assert flag["mapped"] == 400 and flag["duplicates"] == 16


def test_report_qc_section_and_flags(tmp_path, qc_dir):
    out = run_report(tmp_path / "o", qc=qc_dir, extra=("--max-duplicate-fraction", "0.02"))
    doc = json.loads((out / "report.json").read_text())
    aln = doc["qc"]["alignment"]
    assert aln["duplicate_fraction"] == pytest.approx(16 / 420)
    flags = doc["summary"]["qc_flags"]
    assert any(f.startswith("high_duplicate_fraction") for f in flags)
    # flag basis: the 13 positions of the 7 assessed genes (not the 3 CYP2D6 ones; CYP2D6 has no
    # defining position in pgx.json), 1 TPMT no-call: 12/13 < 0.95
    assert any(f.startswith("low_target_call_rate (0.923 < 0.95; 12/13") for f in flags)
    genes = {g["gene"]: g for g in doc["qc"]["targets"]["genes"]}
    assert genes["TPMT"]["n_no_call"] == 1 and genes["TPMT"]["call_rate"] == 0.5
    assert genes["CYP2C19"]["call_rate"] == 1.0
    html = (out / "report.html").read_text()
    assert "Alignment (samtools stats)" in html and "high_duplicate_fraction" in html
    assert doc["methods"]["tools"] == {}  # --no-tool-versions
    assert "samtools (stats file)" in html


def test_targets_bad_status_is_an_error(tmp_path):
    bad = tmp_path / "t.tsv.gz"
    with gzip.open(TARGETS, "rt") as src, gzip.open(bad, "wt") as dst:
        dst.write(src.read().replace("\tref\t\t", "\tmaybe\t\t", 1))
    with pytest.raises(GenorxError, match="unknown status 'maybe'"):
        read_targets(bad)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Three patients: the fixture, one with CYP2C19 *1/*1, one without a reference panel."""
    root = tmp_path_factory.mktemp("cohort")
    results = root / "results"
    for sid, pheno, pct in (("P1", None, 93.4), ("P2", "Normal Metabolizer", 12.0), ("P3", None, None)):
        pgx, prs = fixture_pgx(), fixture_prs()
        pgx["samples"][0]["sample_id"] = prs["samples"][0]["sample_id"] = sid
        if pheno:
            pgx["samples"][0]["genes"][0].update(phenotype=pheno, diplotypes=["*1/*1"])
        score = prs["samples"][0]["scores"][0]
        if pct is None:
            score["reference"] = None
        else:
            score["reference"]["percentile"] = pct
        run_report(
            results / sid,
            pgx=write_json(root / f"{sid}.pgx.json", pgx),
            prs=write_json(root / f"{sid}.prs.json", prs),
            sample=sid,
        )
    out = results / "cohort"
    assert genorx_main(["report", "cohort", "--results", str(results), "--out-dir", str(out)]) == 0
    return out


def test_cohort_summary_tsv(cohort):
    lines = (cohort / "summary.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    rows = {r.split("\t")[0]: dict(zip(header, r.split("\t"), strict=True)) for r in lines[1:]}
    assert sorted(rows) == ["P1", "P2", "P3"]
    assert rows["P2"]["phenotype:CYP2C19"] == "Normal Metabolizer"
    assert rows["P1"]["phenotype:CYP2D6"] == "no call"
    assert rows["P1"]["percentile:PGS000001"] == "93.4" and rows["P3"]["percentile:PGS000001"] == ""
    assert rows["P1"]["genes_ambiguous"] == "1" and rows["P1"]["genes_no_call"] == "1"
    assert rows["P1"]["qc_flags"].startswith("low_target_call_rate")
    assert rows["P1"]["action_not_assessed"] == "2"
    assert rows["P1"]["demonstration"] == "yes"


def test_cohort_phenotype_frequencies_and_html(cohort):
    freqs = [line.split("\t") for line in (cohort / "phenotypes.tsv").read_text().splitlines()[1:]]
    cyp2c19 = {p: (int(n), float(f)) for g, p, n, f in freqs if g == "CYP2C19"}
    assert cyp2c19 == {"Intermediate Metabolizer": (2, 0.6667), "Normal Metabolizer": (1, 0.3333)}
    html = (cohort / "summary.html").read_text()
    for section in ("qc-flags", "call-rates", "phenotypes", "scores", "samples"):
        assert f'id="{section}"' in html
    assert '<svg class="hist"' in html and "PGS000001 (2 samples with a percentile)" in html
    assert "DEMONSTRATION DATA" in html


def test_cohort_rejects_non_report_json(tmp_path, capsys):
    bad = tmp_path / "x" / "report.json"
    bad.parent.mkdir()
    bad.write_text('{"schema": "something else"}')
    code = genorx_main(["report", "cohort", "--reports", str(bad), "--out-dir", str(tmp_path / "c")])
    assert code == 2 and "not a genorx.report/1 document" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def _edited_targets(tmp_path, positions, ref):
    """The fixture's target status with ``positions`` made no_call/not_covered (reference base ``ref``
    or, with None, the original base)."""
    out = tmp_path / "edited.targets.tsv.gz"
    with gzip.open(TARGETS, "rt") as src, gzip.open(out, "wt") as dst:
        for line in src:
            f = line.rstrip("\n").split("\t")
            if f[0] != "chrom" and int(f[1]) in positions:
                f = [f[0], f[1], ref or f[2], "0", ".", "no_call", "not_covered", "."]
            dst.write("\t".join(f) + "\n")
    return out


CYP2C19_POSITIONS = {94761900, 94775507, 94781859}


@pytest.mark.parametrize("ref", ["N", None])
def test_flag_basis_tells_no_reference_sequence_from_lost_coverage(tmp_path, ref):
    """CYP2C19 uncalled: without reference sequence (as the demo's N) it is reported and not
    flagged; with reference sequence but no reads, it is flagged as uncovered."""
    targets = _edited_targets(tmp_path, CYP2C19_POSITIONS, ref)
    out = run_report(tmp_path / "o", targets=targets, extra=("--min-call-rate", "0.9"))
    doc = json.loads((out / "report.json").read_text())
    basis = doc["qc"]["targets"]["flag_basis"]
    overall = doc["qc"]["targets"]["overall"]
    assert "CYP2C19" not in basis["genes"]
    # the honest overall figure still counts every target position
    assert overall["n_positions"] == 16 and overall["n_no_call"] == 4 + 3
    flags = doc["summary"]["qc_flags"]
    if ref == "N":
        assert overall["n_no_reference_sequence"] == 3
        assert basis["genes_without_reference_sequence"] == ["CYP2C19"] and basis["genes_uncovered"] == []
        assert not any(f.startswith("uncovered_genes") for f in flags)
    else:
        assert overall["n_no_reference_sequence"] == 0
        assert basis["genes_uncovered"] == ["CYP2C19"]
        assert any(f.startswith("uncovered_genes (CYP2C19") for f in flags)
    # basis: the other assessed genes' 10 positions, TPMT's low-depth one the only no-call
    assert (basis["n_positions"], basis["n_called"]) == (10, 9)
    assert not any(f.startswith("low_target_call_rate") for f in flags)  # 0.9 >= 0.9
    html = (out / "report.html").read_text()
    assert 'id="qc-flag-basis"' in html and "where the reference has sequence" in html
