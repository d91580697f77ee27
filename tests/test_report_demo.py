"""End to end on the demo: every planted diplotype is in the report with its phenotype, the expected
recommendation rows are there, and TSV, JSON, HTML and FHIR agree, for every patient.

Uses the workflow run of the foundation's session fixture (tests/conftest.py), not a run of its own.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from html import escape
from pathlib import Path

import pytest
from conftest import snakemake_cmd, venv_env
from fhir.resources.R4B.bundle import Bundle
from genorx.report.therapy import read_tsv
from test_report_support import html_rows

pytestmark = pytest.mark.slow

# CPIC phenotypes of the planted diplotypes (CYP2D6 is not called from short-read VCFs, as in PharmCAT).
PHENOTYPES = {
    "P1": {
        "CYP2C19": "Intermediate Metabolizer",
        "CYP2C9": "Intermediate Metabolizer",
        "SLCO1B1": "Decreased Function",
        "VKORC1": "-1639 AA",
        "TPMT": "Normal Metabolizer",
        "DPYD": "Normal Metabolizer",
        "CYP3A5": "Poor Metabolizer",
        "NUDT15": "Normal Metabolizer",
    },
    "P2": {
        "CYP2C19": "Poor Metabolizer",
        "CYP2C9": "Poor Metabolizer",
        "SLCO1B1": "Normal Function",
        "VKORC1": "-1639 AG",
        "TPMT": "Intermediate Metabolizer",
        "DPYD": "Intermediate Metabolizer",
        "CYP3A5": "Intermediate Metabolizer",
        "NUDT15": "Intermediate Metabolizer",
    },
    "P3": {
        "CYP2C19": "Ultrarapid Metabolizer",
        "CYP2C9": "Poor Metabolizer",
        "SLCO1B1": "Poor Function",
        "VKORC1": "-1639 GG",
        "TPMT": "Poor Metabolizer",
        "DPYD": "Normal Metabolizer",
        "CYP3A5": "Normal Metabolizer",
        "NUDT15": "Poor Metabolizer",
    },
}
# (patient, drug, gene, phenotype, action) of a CPIC row that must be in the table.
EXPECTED_ROWS = [
    ("P1", "clopidogrel", "CYP2C19", "Intermediate Metabolizer", "avoid"),
    ("P1", "simvastatin", "SLCO1B1", "Decreased Function", "avoid"),
    ("P1", "tacrolimus", "CYP3A5", "Poor Metabolizer", "standard"),
    ("P1", "azathioprine", "TPMT", "Normal Metabolizer", "standard"),
    ("P2", "clopidogrel", "CYP2C19", "Poor Metabolizer", "avoid"),
    ("P2", "fluorouracil", "DPYD", "Intermediate Metabolizer", "adjust"),
    ("P2", "azathioprine", "TPMT", "Intermediate Metabolizer", "adjust"),
    ("P2", "tacrolimus", "CYP3A5", "Intermediate Metabolizer", "adjust"),
    ("P2", "simvastatin", "SLCO1B1", "Normal Function", "standard"),
    ("P3", "simvastatin", "SLCO1B1", "Poor Function", "avoid"),
    ("P3", "azathioprine", "TPMT", "Poor Metabolizer", "avoid"),
    ("P3", "voriconazole", "CYP2C19", "Ultrarapid Metabolizer", "avoid"),
    ("P3", "tacrolimus", "CYP3A5", "Normal Metabolizer", "adjust"),
    ("P3", "clopidogrel", "CYP2C19", "Ultrarapid Metabolizer", "standard"),
]


@pytest.fixture(scope="module")
def demo(demo_workflow) -> dict:
    """The foundation's single workflow run on the demo (tests/conftest.py)."""
    run = demo_workflow
    missing = [p for p in PHENOTYPES if not (run.workdir / "results" / p / "report.json").is_file()]
    assert not missing, f"report outputs missing for {missing}:\n{run.log[-3000:]}"
    return {"workdir": run.workdir, "manifest": run.manifest, "config": run.config}


def _results(demo, patient) -> Path:
    return demo["workdir"] / "results" / patient


def _same_haplotype(planted: str, called: str) -> bool:
    """PGx names differ from the demo's shorthand: *1 = Reference, T = 'rs... variant (T)'."""
    called = called.strip()
    return called == planted or called.endswith(f"({planted})") or (planted == "*1" and called == "Reference")


def _diplotype_matches(planted: str, called: str) -> bool:
    a, b = planted.split("/")
    parts = called.split("/")
    if len(parts) != 2:
        return False
    x, y = parts
    return (_same_haplotype(a, x) and _same_haplotype(b, y)) or (
        _same_haplotype(a, y) and _same_haplotype(b, x)
    )


@pytest.mark.parametrize("patient", sorted(PHENOTYPES))
def test_planted_diplotypes_and_phenotypes_in_report(demo, patient):
    planted = demo["manifest"]["patients"][patient]["planted_diplotypes"]
    doc = json.loads((_results(demo, patient) / "report.json").read_text())
    genes = {g["gene"]: g for g in doc["genes"]}
    html = (_results(demo, patient) / "report.html").read_text()
    pgx_tsv = {r["gene"]: r for r in read_tsv((_results(demo, patient) / "pgx.tsv").read_text())}
    for gene, diplotype in planted.items():
        g = genes[gene]
        if gene == "CYP2D6":  # not called from VCF; the report says so and its drugs are not assessed
            assert g["call_status"] == "no_call"
            continue
        assert g["call_status"] == "called", (gene, g)
        assert _diplotype_matches(diplotype, g["diplotype"]), (gene, diplotype, g["diplotype"])
        assert g["phenotype"] == PHENOTYPES[patient][gene], (gene, g["phenotype"])
        row = html[html.index(f'<tr data-gene="{gene}">') :]
        row = row[: row.index("</tr>")]
        assert f'<td class="phenotype">{escape(g["phenotype"])}</td>' in row, (gene, row[:300])
        assert pgx_tsv[gene]["phenotype"] == g["phenotype"] and pgx_tsv[gene]["diplotype"] == g["diplotype"]


@pytest.mark.parametrize("patient", sorted(PHENOTYPES))
def test_expected_recommendation_rows(demo, patient):
    rows = read_tsv((_results(demo, patient) / "therapy.tsv").read_text())
    for p, drug, gene, phenotype, action in EXPECTED_ROWS:
        if p != patient:
            continue
        hits = [
            r
            for r in rows
            if r["drug"] == drug and r["source"] == "CPIC" and f"{gene}: {phenotype}" in r["phenotypes"]
        ]
        assert hits, (drug, gene, phenotype)
        assert action in {r["action"] for r in hits}, (drug, [r["action"] for r in hits])
    for drug in ("tamoxifen", "codeine"):
        row = next(r for r in rows if r["drug"] == drug and r["source"] == "CPIC")
        assert row["evidence_status"] == "not_assessed" and "CYP2D6" in row["evidence_notes"]


@pytest.mark.parametrize("patient", sorted(PHENOTYPES))
def test_outputs_agree_row_for_row_and_fhir_resolves(demo, patient):
    out = _results(demo, patient)
    rows = read_tsv((out / "therapy.tsv").read_text())
    doc = json.loads((out / "report.json").read_text())
    assert doc["therapy"] == rows
    assert html_rows((out / "report.html").read_text()) == rows
    text = (out / "report.fhir.json").read_text()
    bundle = Bundle.model_validate_json(text)
    urls = {e.fullUrl for e in bundle.entry}
    refs = {part.split('"')[0] for part in text.split('"reference":"')[1:]}
    assert refs and refs <= urls
    assert doc["scores"], "the session run configures the demo's PRS block"
    if doc["scores"]:  # PRS configured: the statin rule cites the CAD score and the statin rows
        statin = next(r for r in rows if r["rule_id"] == "statin-cad-risk")
        assert statin["prs_pgs_id"] and "simvastatin" in statin["recommendation"]
        demo_scores = [s["pgs_id"] for s in doc["scores"] if s["demonstration"]]
        if statin["prs_pgs_id"] in demo_scores:
            assert statin["demonstration"] == "yes" and "DEMONSTRATION DATA" in statin["recommendation"]


def test_cohort_summary_lists_every_patient(demo):
    lines = (demo["workdir"] / "results" / "cohort" / "summary.tsv").read_text().splitlines()
    assert sorted(line.split("\t")[0] for line in lines[1:]) == sorted(PHENOTYPES)
    assert (demo["workdir"] / "results" / "cohort" / "summary.html").stat().st_size > 0


def test_snakemake_report_builds_the_run_record(demo, tmp_path):
    out = tmp_path / "run-record.zip"
    done = subprocess.run(
        snakemake_cmd(demo["workdir"], demo["config"], "--report", str(out), cores=1),
        env=venv_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    names = zipfile.ZipFile(out).namelist()
    for name in ("therapy.tsv", "report.html", "report.fhir.json"):
        assert sum(n.endswith(f"/{name}") and "/data/" in n for n in names) == len(PHENOTYPES), name
    assert any(n.endswith("/summary.html") for n in names)


@pytest.mark.parametrize("patient", sorted(PHENOTYPES))
def test_rows_depending_on_missing_positions_are_incomplete_and_name_them(demo, patient):
    out = _results(demo, patient)
    doc = json.loads((out / "report.json").read_text())
    missing = {g["gene"]: g["missing_positions"] for g in doc["genes"] if g["missing_positions"]}
    assert missing, "the demo leaves some defining positions uncovered"
    checked = 0
    for row in doc["therapy"]:
        if row["row_type"] != "pgx":
            continue
        for gene in row["genes"].split(","):
            if gene in missing:
                assert row["evidence_status"] == "incomplete", (row["drug"], gene)
                first = missing[gene][0].split(" ")[0]  # chrom:pos
                assert first in row["evidence_notes"], (row["drug"], gene, row["evidence_notes"][:200])
                checked += 1
    assert checked > 0


# The session run's config carries the demo's PRS block (tests/conftest.py demo_config): two
# demonstration scores, each combined with PGx rows by a rule of resources/rules/combined_rules.json.
COMBINED = {"DEMO_CAD": "statin-cad-risk", "DEMO_BC": "breast-cancer-risk-reduction"}
POPULATION = "DEMO_EUR"


def _prs_rows(demo, patient) -> dict[str, dict[str, str]]:
    return {r["pgs_id"]: r for r in read_tsv((_results(demo, patient) / "prs.tsv").read_text())}


@pytest.mark.parametrize("patient", sorted(PHENOTYPES))
def test_prs_scored_against_the_reference_panel(demo, patient):
    prs = _prs_rows(demo, patient)
    assert sorted(prs) == sorted(COMBINED)
    panel = (demo["workdir"] / "resources/demo/prs/panel_populations.tsv").read_text().split()
    for row in prs.values():
        assert float(row["match_rate"]) >= 0.75 and int(row["n_matched"]) > 0
        assert 0 <= float(row["percentile"]) <= 100
        assert row["reference_population"] == POPULATION
        assert int(row["reference_n"]) == panel.count(POPULATION)


@pytest.mark.parametrize("patient", sorted(PHENOTYPES))
def test_combined_rows_cite_the_score_and_the_pgx_input(demo, patient):
    out = _results(demo, patient)
    prs = _prs_rows(demo, patient)
    doc = json.loads((out / "report.json").read_text())
    rows = doc["therapy"]
    pgx_rows = {(r["drug"], r["source"]): r for r in rows if r["row_type"] != "combined"}
    for pgs, rule in COMBINED.items():
        row = next(r for r in rows if r["rule_id"] == rule)
        assert row["row_type"] == "combined" and row["demonstration"] == "yes"
        assert row["prs_pgs_id"] == pgs and row["prs_reference_population"] == POPULATION
        assert row["prs_percentile"] == f"{float(prs[pgs]['percentile']):.1f}"
        assert (
            f"PRS {pgs}" in row["source"]
            and f"percentile {row['prs_percentile']} of {POPULATION}" in (row["recommendation"])
        )
        if rule == "statin-cad-risk":  # SLCO1B1 statin rows: phenotype, drugs and their guideline links
            assert f"SLCO1B1: {PHENOTYPES[patient]['SLCO1B1']}" in row["phenotypes"]
            for drug in ("simvastatin", "atorvastatin", "rosuvastatin"):
                assert drug in row["recommendation"], drug
            assert pgx_rows[("simvastatin", "CPIC")]["guideline_url"] in row["guideline_url"].split()
        else:  # CYP2D6/tamoxifen: not called from short reads, said so, percentile still given
            assert row["genes"] == "CYP2D6" and row["evidence_status"] == "not_assessed"
            assert "tamoxifen" in row["evidence_notes"] and "CYP2D6" in row["evidence_notes"]
            assert pgx_rows[("tamoxifen", "CPIC")]["guideline_url"] in row["guideline_url"].split()
    scores = {s["pgs_id"]: s for s in doc["scores"]}
    for pgs in COMBINED:
        assert scores[pgs]["reference"]["percentile"] == pytest.approx(float(prs[pgs]["percentile"]))
    fhir = json.loads((out / "report.fhir.json").read_text())
    kinds = [e["resource"]["resourceType"] for e in fhir["entry"]]
    assert kinds.count("RiskAssessment") == len(COMBINED)


@pytest.mark.parametrize("patient", sorted(PHENOTYPES))
def test_html_shows_each_score_on_a_density_plot(demo, patient):
    html = (_results(demo, patient) / "report.html").read_text()
    section = html[html.index('<section id="scores"') :]
    section = section[: section.index("</section>")]
    for pgs, row in _prs_rows(demo, patient).items():
        block = section[section.index(f'data-pgs="{pgs}"') :]
        block = block[: block.index("</svg>")]
        assert '<svg class="density"' in block and 'class="marker"' in block
        assert f"patient at percentile {float(row['percentile']):.1f}" in block
        assert "DEMONSTRATION DATA" in block
