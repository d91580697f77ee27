"""Therapy table: rows, evidence status, actions, and TSV = JSON = HTML row for row."""

from __future__ import annotations

import json
import os

import pytest
from genorx.cli import main as genorx_main
from genorx.report.therapy import COLUMNS, read_tsv
from test_report_support import PGX, PRS, fixture_pgx, html_rows, run_report, write_json

REQUIRED = (
    "sample_id drug genes phenotypes classification source recommendation guideline_url kb_version "
    "evidence_status"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = run_report(tmp_path_factory.mktemp("report") / "P1")
    return {
        "tsv": read_tsv((out / "therapy.tsv").read_text()),
        "json": json.loads((out / "report.json").read_text()),
        "html": (out / "report.html").read_text(),
        "dir": out,
    }


def _by_drug(rows, drug, source="CPIC"):
    hits = [r for r in rows if r["drug"] == drug and r["source"] == source]
    assert len(hits) == 1, (drug, hits)
    return hits[0]


def test_columns_and_every_input_row_present(report):
    rows = report["tsv"]
    assert set(REQUIRED.split()) <= set(COLUMNS)
    assert list(rows[0]) == list(COLUMNS)
    pgx = fixture_pgx()["samples"][0]
    expected = {(r["drug"], r["source"]) for r in pgx["recommendations"]}
    expected |= {(n["drug"], n["source"]) for n in pgx["not_assessed"]}
    got = {(r["drug"], r["source"]) for r in rows if r["row_type"] != "combined"}
    assert got == expected
    assert {r["sample_id"] for r in rows} == {"P1"}


def test_missing_positions_make_recommendation_incomplete_and_are_named(report):
    aza = _by_drug(report["tsv"], "azathioprine")
    assert aza["evidence_status"] == "incomplete"
    assert "chr6:18138997" in aza["evidence_notes"]


def test_missing_positions_named_even_when_pgx_said_complete(tmp_path):
    doc = fixture_pgx()
    rec = next(r for r in doc["samples"][0]["recommendations"] if r["drug"] == "azathioprine")
    rec["evidence_status"], rec["evidence_notes"] = "complete", []
    out = run_report(tmp_path / "out", pgx=write_json(tmp_path / "pgx.json", doc), prs=None, targets=None)
    aza = _by_drug(read_tsv((out / "therapy.tsv").read_text()), "azathioprine")
    assert aza["evidence_status"] == "incomplete"
    assert "TPMT: missing chr6:18138997 (rs1800460, low_depth)" in aza["evidence_notes"]


def test_ambiguous_call_is_incomplete(report):
    efv = _by_drug(report["tsv"], "efavirenz")
    assert efv["evidence_status"] == "incomplete"
    assert "ambiguous call *1/*6 OR *4/*9" in efv["evidence_notes"]


def test_not_assessed_drugs_are_rows_not_dropped(report):
    for drug in ("tamoxifen", "codeine"):
        row = _by_drug(report["tsv"], drug)
        assert row["evidence_status"] == "not_assessed"
        assert row["action"] == "not_assessed"
        assert "CYP2D6 not called" in row["evidence_notes"]
        assert row["phenotypes"] == "CYP2D6: not called"


def test_actions_follow_kb_flags(report):
    rows = report["tsv"]
    assert _by_drug(rows, "clopidogrel")["action"] == "avoid"
    assert _by_drug(rows, "simvastatin")["action"] == "avoid"
    assert _by_drug(rows, "atorvastatin")["action"] == "adjust"
    assert _by_drug(rows, "pravastatin")["action"] == "caution"
    assert _by_drug(rows, "tacrolimus")["action"] == "standard"


def test_kb_html_prose_becomes_plain_text(report):
    simva = _by_drug(report["tsv"], "simvastatin")
    assert simva["recommendation"].startswith("Prescribe an alternative statin")
    assert "<p>" not in simva["recommendation"] and "limit dose to <20mg/day" in simva["recommendation"]


def test_recommendation_without_prose_names_the_guideline(report):
    vori = _by_drug(report["tsv"], "voriconazole")
    assert "Text not in the bundled KB" in vori["recommendation"]
    assert "PA166161537" in vori["recommendation"]
    assert "Higher dose-adjusted trough concentrations" in vori["recommendation"]
    assert vori["action"] == "info"


def test_rows_ordered_combined_then_by_urgency(report):
    rows = report["tsv"]
    types = [r["row_type"] for r in rows]
    assert types[:2] == ["combined", "combined"]
    ranks = {a: v["rank"] for a, v in report["json"]["actions"].items()}
    pgx_ranks = [ranks[r["action"]] for r in rows if r["row_type"] == "pgx"]
    assert pgx_ranks == sorted(pgx_ranks)
    assert types[-2:] == ["not_assessed", "not_assessed"]


def test_tsv_json_html_agree_row_for_row(report):
    tsv, doc = report["tsv"], report["json"]
    assert doc["therapy_columns"] == list(COLUMNS)
    assert doc["therapy"] == tsv
    html = html_rows(report["html"])
    assert len(html) == len(tsv)
    for h, t in zip(html, tsv, strict=True):
        assert set(h) == set(COLUMNS), set(COLUMNS) ^ set(h)
        assert h == t


def test_cli_writes_four_outputs_and_reruns_identically(tmp_path):
    out = tmp_path / "P1"
    argv = ["report", "sample", "--pgx", str(PGX), "--prs", str(PRS), "--sample", "P1", "--out-dir", str(out)]
    assert genorx_main(argv) == 0
    names = sorted(os.listdir(out))
    assert names == ["report.fhir.json", "report.html", "report.json", "therapy.tsv"]
    first = {n: (out / n).read_bytes() for n in names}
    assert genorx_main(argv) == 0
    assert {n: (out / n).read_bytes() for n in names} == first


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["samples"][0].update(sample_id="OTHER"), "sample 'P1' not found (has: OTHER)"),
        (
            lambda d: d["samples"][0]["genes"][0].pop("call_status"),
            "samples[0].genes[0]: missing key 'call_status'",
        ),
        (
            lambda d: d["samples"][0]["recommendations"][0].update(genes="CYP2C19"),
            "key 'genes' must be a list",
        ),
        (
            lambda d: d["samples"][0]["genes"][1].update(call_status="maybe"),
            "call_status 'maybe' is not called",
        ),
    ],
)
def test_bad_pgx_json_one_line_error_no_output(tmp_path, capsys, mutate, message):
    doc = fixture_pgx()
    mutate(doc)
    bad = write_json(tmp_path / "pgx.json", doc)
    out = tmp_path / "out"
    argv = [
        "report",
        "sample",
        "--pgx",
        str(bad),
        "--sample",
        "P1",
        "--out-dir",
        str(out),
        "--no-tool-versions",
    ]
    assert genorx_main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("genorx: error: ") and message in err and "fix:" in err
    assert not out.exists()


def test_corrupt_json_and_missing_file(tmp_path, capsys):
    bad = tmp_path / "pgx.json"
    bad.write_text('{"samples": [')
    argv = ["report", "sample", "--pgx", str(bad), "--sample", "P1", "--out-dir", str(tmp_path / "o")]
    assert genorx_main(argv) == 2
    assert "not valid JSON" in capsys.readouterr().err
    argv[3] = str(tmp_path / "absent.json")
    assert genorx_main(argv) == 2
    assert "file not found" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_failure_leaves_previous_outputs_untouched(tmp_path, capsys):
    out = run_report(tmp_path / "P1")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    doc = json.loads(PRS.read_text())
    doc["samples"][0]["scores"][0]["reference"]["density"]["y"].pop()
    bad = write_json(tmp_path / "prs.json", doc)
    argv = ["report", "sample", "--pgx", str(PGX), "--prs", str(bad), "--sample", "P1", "--out-dir", str(out)]
    assert genorx_main(argv) == 2
    assert "x has 200 values but y has 199" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
