"""Recommender: lookup-key matching over single- and multi-gene CPIC/DPWG guidelines."""

from __future__ import annotations

from pathlib import Path

import pytest
from genorx.kb.load import load_kb
from genorx.paths import BUNDLED_KB
from genorx.pgx.calls import Diplotype, GeneCall, MissingPosition
from genorx.pgx.phenotype import gene_context
from genorx.pgx.recommend import recommend
from genorx.pgx.results import GeneResult, OutsideCall, from_call, from_outside, not_called


@pytest.fixture(scope="module")
def kb():
    return load_kb(BUNDLED_KB)


def _results(kb, calls: dict[str, list[tuple[str, ...]]], outside: dict[str, str] | None = None, missing=()):
    """GeneResults for every guideline gene: ``calls`` gene -> tied diplotypes, others not called."""
    out: dict[str, GeneResult] = {}
    for gene in sorted(set(kb.genes) | set(kb.guideline_genes)):
        ctx = gene_context(kb, gene)
        if outside and gene in outside:
            out[gene] = from_outside(ctx, "S", OutsideCall(gene, outside[gene]))
        elif gene in calls:
            dips = [Diplotype("/".join(h), h, 10) for h in calls[gene]]
            call = GeneCall(gene, "S", "called" if len(dips) == 1 else "ambiguous", dips, dips)
            if gene in missing:
                call.missing_positions = [MissingPosition("chr10", 94761900, "rs12248560", "low_depth")]
            out[gene] = from_call(ctx, call)
        else:
            out[gene] = not_called(ctx, "S", "no data")
    return out


def _by(recs, drug: str, source: str):
    return [r for r in recs.recommendations if r.drug == drug and r.source == source]


def test_single_gene_guideline_every_population(kb) -> None:
    recs = recommend(kb, _results(kb, {"CYP2C19": [("*2", "*2")]}), {"CYP2C19"})
    cpic = _by(recs, "clopidogrel", "CPIC")
    assert {r.population for r in cpic} == {"CVI ACS PCI", "CVI non-ACS non-PCI", "NVI"}
    assert all(r.lookup_key == {"CYP2C19": "Poor Metabolizer"} for r in cpic)
    assert {r.classification for r in cpic} == {"Strong", "Moderate"}
    r = cpic[0]
    assert r.guideline_id == "PA166104948" and r.guideline_url.endswith("PA166104948")
    assert r.evidence_status == "complete" and r.kb_version == kb.info.version
    assert r.recommendation is None and "fetched KB" in r.text_note  # the bundled KB has no prose
    dpwg = _by(recs, "clopidogrel", "DPWG")
    assert len(dpwg) == 1 and dpwg[0].alternate_drug_available
    # only guidelines that involve the requested gene are reported
    assert {r.drug for r in recs.recommendations} >= {"citalopram", "voriconazole", "clopidogrel"}
    assert not _by(recs, "codeine", "CPIC")


def test_multi_gene_guideline_needs_every_key(kb) -> None:
    both = recommend(
        kb,
        _results(
            kb, {"ABCG2": [("rs2231142 variant (T)", "rs2231142 reference (G)")], "SLCO1B1": [("*1", "*5")]}
        ),
        {"ABCG2", "SLCO1B1"},
    )
    (r,) = _by(both, "rosuvastatin", "CPIC")
    assert r.lookup_key == {"ABCG2": "Decreased Function", "SLCO1B1": "Decreased Function"}
    assert r.evidence_status == "complete" and r.classification == "Moderate"
    # SLCO1B1 not called: PharmCAT's "No Result" key still finds the ABCG2-only recommendation
    half = recommend(
        kb, _results(kb, {"ABCG2": [("rs2231142 reference (G)", "rs2231142 reference (G)")]}), {"ABCG2"}
    )
    (r,) = _by(half, "rosuvastatin", "CPIC")
    assert r.lookup_key == {"ABCG2": "Normal Function", "SLCO1B1": "No Result"}
    assert r.evidence_status == "incomplete" and any("SLCO1B1: not called" in n for n in r.evidence_notes)
    # neither gene: not assessed, never silently dropped
    none = recommend(kb, _results(kb, {}), {"ABCG2", "SLCO1B1"})
    assert not _by(none, "rosuvastatin", "CPIC")
    (na,) = [u for u in none.not_assessed if u.drug == "rosuvastatin" and u.source == "CPIC"]
    assert "ABCG2 not called" in na.reason and "SLCO1B1 not called" in na.reason


def test_warfarin_cpic_reports_all_three_genes(kb) -> None:
    calls = {
        "CYP2C9": [("*1", "*3")],
        "VKORC1": [("rs9923231 variant (T)", "rs9923231 reference (C)")],
        "CYP4F2": [("*1", "*3")],
    }
    recs = recommend(kb, _results(kb, calls), set(calls))
    (r,) = _by(recs, "warfarin", "CPIC")
    assert r.lookup_key == {"CYP2C9": "1.0", "CYP4F2": "*1/*3", "VKORC1": "-1639 AG"}
    assert r.classification is None and any("algorithm" in n for n in r.evidence_notes)
    # DPWG: the CYP2C9 guideline is keyed on phenotype and on exact diplotypes; both match *1/*3
    dpwg = [r.lookup_key for r in _by(recs, "warfarin", "DPWG")]
    assert {"CYP2C9": "Intermediate Metabolizer"} in dpwg
    assert {"CYP2C9": {"*1": 1.0, "*3": 1.0}} in dpwg
    assert {"VKORC1": "-1639 AG"} in dpwg


def test_dpwg_dpyd_score_keys_and_cpic_scores(kb) -> None:
    recs = recommend(kb, _results(kb, {"DPYD": [("Reference", "c.2846A>T")]}), {"DPYD"})
    (cpic,) = _by(recs, "capecitabine", "CPIC")
    assert cpic.lookup_key == {"DPYD": "1.5"} and cpic.phenotypes == {"DPYD": "Intermediate Metabolizer"}
    (dpwg,) = _by(recs, "capecitabine", "DPWG")
    assert dpwg.lookup_key == {"DPYD": "1.5 (Intermediate Metabolizer)"}


def test_ambiguous_call_gives_each_candidates_recommendations(kb) -> None:
    recs = recommend(kb, _results(kb, {"CYP2C19": [("*1", "*2"), ("*1", "*17")]}), {"CYP2C19"})
    keys = {r.lookup_key["CYP2C19"] for r in _by(recs, "citalopram", "CPIC")}
    assert keys == {"Intermediate Metabolizer", "Rapid Metabolizer"}
    assert all(r.evidence_status == "incomplete" for r in _by(recs, "citalopram", "CPIC"))
    assert any(
        "ambiguous call (*1/*2 OR *1/*17)" in n for n in _by(recs, "citalopram", "CPIC")[0].evidence_notes
    )


def test_missing_positions_make_evidence_incomplete(kb) -> None:
    recs = recommend(kb, _results(kb, {"CYP2C19": [("*1", "*1")]}, missing={"CYP2C19"}), {"CYP2C19"})
    r = _by(recs, "clopidogrel", "CPIC")[0]
    assert r.evidence_status == "incomplete"
    assert "CYP2C19: missing chr10:94761900 (low_depth)" in r.evidence_notes


def test_hla_outside_call_and_unmatched_results(kb) -> None:
    res = _results(kb, {"CYP2C9": [("*1", "*1")]}, outside={"HLA-B": "*15:02/*57:01"})
    recs = recommend(kb, res, {"CYP2C9", "HLA-B"})
    assert _by(recs, "abacavir", "CPIC")[0].lookup_key == {"HLA-B": "*57:01 positive"}
    assert _by(recs, "allopurinol", "CPIC")[0].lookup_key == {"HLA-B": "*58:01 negative"}
    pht = {tuple(sorted(r.lookup_key.items())) for r in _by(recs, "phenytoin", "CPIC")}
    assert (("CYP2C9", "2.0"), ("HLA-B", "*15:02 positive")) in pht
    # DPWG allopurinol looks only at *58:01 positive: called, nothing matches -> no_recommendation
    assert any(u.drug == "allopurinol" and u.source == "DPWG" for u in recs.no_recommendation)


@pytest.mark.shared
def test_fetched_kb_brings_the_recommendation_text(shared: Path) -> None:
    kb = load_kb(shared / "kb" / "pharmcat")
    recs = recommend(kb, _results(kb, {"CYP2C19": [("*2", "*2")]}), {"CYP2C19"})
    (dpwg,) = _by(recs, "clopidogrel", "DPWG")
    assert dpwg.recommendation and "PERCUTANEOUS CORONARY INTERVENTION" in dpwg.recommendation
    assert "<p>" not in dpwg.recommendation and dpwg.implications and dpwg.text_note is None
