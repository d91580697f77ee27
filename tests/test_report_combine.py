"""Combined PRS + PGx rows: driven by the rule file, cite both inputs, label demonstration data."""

from __future__ import annotations

import copy
import json

import pytest
from genorx.errors import GenorxError
from genorx.report.actions import load_action_rules
from genorx.report.combine import RULES_FILE, load_rule_set
from genorx.report.therapy import read_tsv
from test_report_support import fixture_pgx, fixture_prs, run_report, write_json


def _combined(out, rule_id):
    rows = [r for r in read_tsv((out / "therapy.tsv").read_text()) if r["rule_id"] == rule_id]
    assert len(rows) == 1, rows
    return rows[0]


def _prs_with(**changes):
    doc = fixture_prs()
    for pgs_id, fields in changes.items():
        score = next(s for s in doc["samples"][0]["scores"] if s["pgs_id"] == pgs_id)
        for key, value in fields.items():
            if key.startswith("ref_"):
                score["reference"][key[4:]] = value
            else:
                score[key] = value
    return doc


def test_bundled_rule_set_is_valid_versioned_and_policy_labelled():
    rules = load_rule_set(None, load_action_rules())
    assert rules.version.count(".") == 2 and len(rules.sha256) == 64
    assert "NOT guideline text" in rules.policy_note
    for rule in rules.rules:
        assert rule.threshold_kind == "configurable policy"
        assert rule.references, rule.id
    assert {r.id for r in rules.rules} == {"statin-cad-risk", "breast-cancer-risk-reduction"}


def test_statin_row_cites_both_inputs_and_says_which_statin_and_dose(tmp_path):
    out = run_report(tmp_path / "P1")
    row = _combined(out, "statin-cad-risk")
    assert row["prs_pgs_id"] == "GENORX_DEMO_CAD" and row["prs_percentile"] == "65.5"
    assert row["prs_reference_population"] == "DEMO"
    assert "PRS GENORX_DEMO_CAD" in row["source"] and "CPIC" in row["source"]
    urls = row["guideline_url"].split()
    assert "https://www.pharmgkb.org/guidelineAnnotation/PA166105005" in urls  # simvastatin
    assert "https://www.pharmgkb.org/guidelineAnnotation/PA166262321" in urls  # rosuvastatin
    text = row["recommendation"]
    assert "percentile 65.5 of DEMO" in text and "polygenic risk not high" in text
    assert "Avoid / consider alternative: simvastatin" in text
    assert "rosuvastatin (≤10mg as a starting dose; CPIC Moderate; ABCG2 Decreased Function" in text
    assert "fluvastatin (≤40mg as a starting dose" in text and "CYP2C9" in row["genes"]
    assert row["action"] == "info" and row["evidence_status"] == "complete"


def test_demonstration_label_in_every_output(tmp_path):
    out = run_report(tmp_path / "P1")
    row = _combined(out, "statin-cad-risk")
    assert row["demonstration"] == "yes"
    assert row["recommendation"].startswith("[DEMONSTRATION DATA")
    doc = json.loads((out / "report.json").read_text())
    assert doc["demonstration"] is True
    assert any("DEMONSTRATION DATA" in x for x in doc["limitations"])
    html = (out / "report.html").read_text()
    assert 'id="demo-banner"' in html and "DEMO DATA" in html
    fhir = (out / "report.fhir.json").read_text()
    assert '"code":"HTEST"' in fhir and "DEMONSTRATION DATA" in fhir
    breast = _combined(out, "breast-cancer-risk-reduction")
    assert breast["demonstration"] == "no"


def test_high_band_and_cyp2d6_not_called_gives_not_assessed_row(tmp_path):
    out = run_report(tmp_path / "P1")
    row = _combined(out, "breast-cancer-risk-reduction")
    assert row["prs_pgs_id"] == "PGS000001" and row["prs_percentile"] == "93.4"
    assert row["classification"].startswith("high polygenic risk")
    assert row["action"] == "consider"
    assert row["evidence_status"] == "not_assessed"
    assert "tamoxifen not assessed (CYP2D6 not called)" in row["recommendation"]
    assert "https://www.pgscatalog.org/score/PGS000001/" in row["guideline_url"]
    assert "Mavaddat" in row["source"]


@pytest.mark.parametrize(
    ("percentile", "band"), [(90.0, "high polygenic risk"), (89.9, "polygenic risk not high")]
)
def test_threshold_boundary(tmp_path, percentile, band):
    prs = write_json(tmp_path / "prs.json", _prs_with(PGS000001={"ref_percentile": percentile}))
    out = run_report(tmp_path / "o", prs=prs)
    assert _combined(out, "breast-cancer-risk-reduction")["classification"].startswith(band)


def test_no_reference_panel_is_incomplete_not_guessed(tmp_path):
    doc = fixture_prs()
    cad = doc["samples"][0]["scores"][1]
    cad["reference"] = None
    cad["reference_note"] = "no reference panel configured"
    out = run_report(tmp_path / "o", prs=write_json(tmp_path / "prs.json", doc))
    row = _combined(out, "statin-cad-risk")
    assert row["evidence_status"] == "incomplete" and row["prs_percentile"] == ""
    assert "no reference panel configured, so no percentile" in row["recommendation"]
    assert "No reference panel" in (out / "report.html").read_text()


def test_low_match_rate_is_incomplete(tmp_path):
    prs = write_json(tmp_path / "prs.json", _prs_with(PGS000001={"match_rate": 0.5}))
    row = _combined(run_report(tmp_path / "o", prs=prs), "breast-cancer-risk-reduction")
    assert "match rate 0.50 below 0.75" in row["evidence_notes"]


def test_missing_score_and_statin_not_assessed(tmp_path):
    doc = fixture_prs()
    doc["samples"][0]["scores"] = doc["samples"][0]["scores"][:1]  # no CAD score
    out = run_report(tmp_path / "o", prs=write_json(tmp_path / "prs.json", doc))
    row = _combined(out, "statin-cad-risk")
    assert row["evidence_status"] == "not_assessed" and row["prs_pgs_id"] == ""
    assert "no coronary artery disease polygenic risk score was computed" in row["evidence_notes"]


def test_without_prs_input_no_combined_rows(tmp_path):
    out = run_report(tmp_path / "o", prs=None)
    assert not [r for r in read_tsv((out / "therapy.tsv").read_text()) if r["row_type"] == "combined"]


def test_a_new_rule_is_data_only(tmp_path):
    rules = json.loads(RULES_FILE.read_text())
    new = copy.deepcopy(rules["rules"][0])
    new.update(id="antiplatelet-test", title="test rule", therapy="antiplatelet therapy (test)")
    new["prs"] = {"label": "test risk", "trait_keywords": ["breast"], "min_match_rate": 0.5}
    new["pgx"] = {"drugs": ["clopidogrel"]}
    new["bands"][0]["min_percentile"] = 95
    rules["rules"].append(new)
    path = write_json(tmp_path / "rules.json", rules)
    out = run_report(tmp_path / "o", extra=("--rules", str(path)))
    row = _combined(out, "antiplatelet-test")
    assert row["drug"] == "antiplatelet therapy (test)"
    assert row["classification"].startswith("polygenic risk not high")  # 93.4 < 95
    assert "Avoid / consider alternative: clopidogrel" in row["recommendation"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["rules"][0]["bands"].pop(), "no band starts at percentile 0"),
        (lambda r: r["rules"][0]["bands"][0].update(action="panic"), "unknown action 'panic'"),
        (lambda r: r.update(version="one"), "does not match"),
        (lambda r: r["rules"][0]["threshold_source"].update(kind="opinion"), "'opinion' is not one of"),
    ],
)
def test_invalid_rule_files_are_rejected(tmp_path, mutate, message):
    rules = json.loads(RULES_FILE.read_text())
    mutate(rules)
    with pytest.raises(GenorxError, match=message):
        load_rule_set(write_json(tmp_path / "r.json", rules), load_action_rules())


def test_pgx_gene_incomplete_propagates_to_combined_row(tmp_path):
    doc = fixture_pgx()
    slco = next(g for g in doc["samples"][0]["genes"] if g["gene"] == "SLCO1B1")
    slco["missing_positions"] = [
        {"chrom": "chr12", "pos": 21176804, "rsid": "rs2306283", "reason": "not_covered"}
    ]
    out = run_report(tmp_path / "o", pgx=write_json(tmp_path / "pgx.json", doc))
    row = _combined(out, "statin-cad-risk")
    assert row["evidence_status"] == "incomplete"
    assert "simvastatin: SLCO1B1: missing chr12:21176804 (rs2306283, not_covered)" in row["evidence_notes"]


def test_score_failing_minimum_overlap_is_reported_not_missing(tmp_path):
    doc = fixture_prs()
    doc["samples"][0]["scores"] = doc["samples"][0]["scores"][1:]  # PGS000001 failed the run
    doc["failed_scores"] = [
        {
            "pgs_id": "PGS000001",
            "n_matched": 31,
            "n_variants": 77,
            "match_rate": 0.4,
            "reason": "below minimum overlap",
        }
    ]
    out = run_report(tmp_path / "o", prs=write_json(tmp_path / "prs.json", doc))
    row = _combined(out, "breast-cancer-risk-reduction")
    assert row["prs_pgs_id"] == "PGS000001" and row["prs_percentile"] == ""
    assert "not scored: below minimum overlap (match rate 0.40)" in row["evidence_notes"]
    assert row["evidence_status"] == "not_assessed"  # CYP2D6 still not called
    html = (out / "report.html").read_text()
    assert "not scored: below minimum overlap (match rate 0.40)." in html


def test_patient_marker_uses_target_value(tmp_path):
    doc = fixture_prs()
    doc["samples"][0]["scores"][0]["reference"]["target_value"] = 0.7345
    out = run_report(tmp_path / "o", prs=write_json(tmp_path / "prs.json", doc))
    score = json.loads((out / "report.json").read_text())["scores"][0]
    assert score["reference"]["patient_value"] == 0.7345
