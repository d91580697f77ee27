"""Golden examples: PharmCAT v3.1.1's own outputs for its example VCFs.

Diplotypes, phenotypes and activity scores must equal PharmCAT's for every gene both call;
recommendations (drug, source, guideline, classification) must equal PharmCAT's wherever
the two data versions have the guideline. Known data-version differences (our guideline
data is PharmCAT's 2024-05-29 snapshot, its report used 2025-11-05 data) are listed here
and in docs/pgx-kb.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from genorx.cli import main as genorx
from genorx.kb.load import load_kb
from genorx.paths import BUNDLED_KB

pytestmark = pytest.mark.shared

# Guidelines added upstream after our guideline snapshot (PharmCAT reports them, our KB lacks them).
NEWER_GUIDELINES = {
    "PA166341321": "CPIC metoprolol/CYP2D6",
    "PA166416341": "CPIC hydralazine/NAT2",
    "PA166411701": "DPWG atazanavir/UGT1A1",
    "PA166418081": "DPWG mavacamten/CYP2C19",
    "PA166363221": "DPWG rosuvastatin/SLCO1B1",
}
# DPWG's "N/A" classification term was renamed "Unspecified" in later data.
CLASSIFICATION_RENAMES = {"N/A": "Unspecified"}
# CPIC IFNL3 has no lookup-keyed recommendation in either data version: PharmCAT lists the drugs
# without annotations, genorx lists them with the genotype and a pointer to the guideline.
NO_LOOKUP_GUIDELINES = {"PA166110235": "CPIC peginterferon/ribavirin/IFNL3"}
# CPIC warfarin is a dosing algorithm: both report one unclassified entry (population aside).
ALGORITHM_GUIDELINES = {"PA166104949": "CPIC warfarin"}

CASES = [
    ("pharmcat.example", True),  # with PharmCAT's outside calls (CYP2D6, HLA-B, MT-RNR1)
    ("pharmcat.example2", False),
]


@pytest.fixture(scope="module", params=CASES, ids=[c[0] for c in CASES])
def golden(request, shared: Path, tmp_path_factory: pytest.TempPathFactory):
    name, outside = request.param
    ex = shared / "kb" / "pharmcat-examples"
    out = tmp_path_factory.mktemp(name)
    args = [
        "pgx",
        "call",
        "--vcf",
        str(ex / f"{name}.vcf"),
        "--out",
        str(out / "pgx.tsv"),
        "--json",
        str(out / "pgx.json"),
    ]
    if outside:
        args += ["--outside-call", str(ex / "pharmcat.example.outsideCall.tsv")]
    assert genorx(args) == 0
    ours = json.loads((out / "pgx.json").read_text())["samples"][0]
    phen = json.loads((ex / f"{name}.phenotype.json").read_text())
    report = json.loads((ex / f"{name}.report.json").read_text())
    return ours, phen, report


def test_diplotypes_and_phenotypes_equal_pharmcat(golden) -> None:
    ours, phen, _ = golden
    genes = {g["gene"]: g for g in ours["genes"]}
    compared = 0
    for gene, rep in phen["geneReports"].items():
        if rep["callSource"] == "NONE":  # PharmCAT made no call (CYP2D6 without outside call, HLA-A, ...)
            assert gene not in genes or genes[gene]["call_status"] == "no_call", gene
            continue
        mine = genes[gene]
        theirs = rep["recommendationDiplotypes"]
        assert mine["diplotypes"] == [d["label"] for d in theirs], gene
        mine_dips = mine["recommendation_diplotypes"]
        assert [d["phenotypes"] for d in mine_dips] == [d["phenotypes"] for d in theirs], gene
        assert [d["activity_score"] for d in mine_dips] == [d["activityScore"] for d in theirs], gene
        assert [d["lookup_keys"] for d in mine_dips] == [d["lookupKey"] for d in theirs], gene
        for md, td in zip(mine_dips, theirs, strict=True):
            for mh, th in zip(md["haplotypes"], [td["allele1"], td["allele2"]], strict=False):
                assert th is not None and mh["name"] == th["name"], gene
                assert mh["function"] == th["function"] or (
                    mh["function"] is None and th["function"] is None
                ), gene
        compared += 1
    assert compared >= 18


def _theirs(report: dict) -> set[tuple]:
    out = set()
    for section, source in (("CPIC Guideline Annotation", "CPIC"), ("DPWG Guideline Annotation", "DPWG")):
        for drug, entry in report["drugs"][section].items():
            for gl in entry["guidelines"]:
                for ann in gl["annotations"]:
                    population = "" if gl["id"] in ALGORITHM_GUIDELINES else ann.get("population") or ""
                    out.add((drug, source, gl["id"], ann["classification"], population))
    return out


def test_recommendations_equal_pharmcat_where_data_versions_agree(golden) -> None:
    ours, _, report = golden
    mine = {
        (
            r["drug"],
            r["source"],
            r["guideline_id"],
            CLASSIFICATION_RENAMES.get(r["classification"], r["classification"]),
            r["population"] or "",
        )
        for r in ours["recommendations"]
        if r["guideline_id"] not in NO_LOOKUP_GUIDELINES
    }
    theirs = {t for t in _theirs(report) if t[2] not in NEWER_GUIDELINES}
    assert mine == theirs
    assert len(mine) > 80
    # every drug PharmCAT reports is accounted for on our side too (where our guideline data has it:
    # the 2025 MT-RNR1 guideline names four more aminoglycosides, e.g. dibekacin)
    ours_drugs = {(gl.id, d) for gl in load_kb(BUNDLED_KB).guidelines for d in gl.drugs}
    listed = {(u["drug"], u["source"]) for u in ours["not_assessed"] + ours["no_recommendation"]}
    listed |= {(r["drug"], r["source"]) for r in ours["recommendations"]}
    for section, source in (("CPIC Guideline Annotation", "CPIC"), ("DPWG Guideline Annotation", "DPWG")):
        for drug, entry in report["drugs"][section].items():
            if not any((gl["id"], drug) in ours_drugs for gl in entry["guidelines"]):
                continue
            assert (drug, source) in listed, (drug, source)
