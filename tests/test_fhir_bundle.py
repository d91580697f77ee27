"""FHIR Genomics Reporting bundle: parses back with fhir.resources, every reference resolves."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle
from test_report_support import fixture_pgx, run_report, write_json

LOINC = "http://loinc.org"


def _references(node, path=""):
    """Every ``reference`` string anywhere in a JSON tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "reference" and isinstance(v, str):
                yield path, v
            else:
                yield from _references(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _references(v, f"{path}[{i}]")


def _codes(concept):
    return {(c.get("system"), c.get("code")) for c in (concept or {}).get("coding", [])}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = run_report(tmp_path_factory.mktemp("f") / "P1")
    text = (out / "report.fhir.json").read_text()
    return {"text": text, "model": Bundle.model_validate_json(text), "json": json.loads(text), "dir": out}


def test_parses_back_and_every_reference_resolves_inside(bundle):
    model = bundle["model"]
    assert model.type == "collection"
    full_urls = [e.fullUrl for e in model.entry]
    assert len(full_urls) == len(set(full_urls)) and all(u.startswith("urn:uuid:") for u in full_urls)
    for entry in model.entry:
        assert entry.fullUrl == f"urn:uuid:{entry.resource.id}"
    refs = list(_references(bundle["json"]))
    assert len(refs) > 50
    unresolved = [(p, r) for p, r in refs if r not in set(full_urls)]
    assert not unresolved, unresolved[:5]


def test_profiles_and_codes(bundle):
    resources = [e["resource"] for e in bundle["json"]["entry"]]
    by_type = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    report = by_type["DiagnosticReport"]
    assert len(report) == 1 and (LOINC, "51969-4") in _codes(report[0]["code"])
    assert resources[0]["resourceType"] == "DiagnosticReport"
    obs = by_type["Observation"]
    genotypes = [o for o in obs if (LOINC, "84413-4") in _codes(o["code"])]
    haplotypes = [o for o in obs if (LOINC, "84414-2") in _codes(o["code"])]
    implications = [o for o in obs if o["meta"]["profile"][0].endswith("therapeutic-implication")]
    assert {g["component"][0]["valueCodeableConcept"]["text"] for g in genotypes} >= {
        "CYP2C19",
        "TPMT",
        "CYP2D6",
    }
    for g in genotypes:
        assert (LOINC, "48018-6") in _codes(g["component"][0]["code"])
    cyp2c19 = next(g for g in genotypes if g["component"][0]["valueCodeableConcept"]["text"] == "CYP2C19")
    assert cyp2c19["valueCodeableConcept"]["text"] == "CYP2C19 *1/*2"
    assert ("http://www.genenames.org/geneId", "HGNC:2621") in _codes(
        cyp2c19["component"][0]["valueCodeableConcept"]
    )
    assert {h["valueCodeableConcept"]["text"] for h in haplotypes} >= {"CYP2C19*1", "CYP2C19*2"}
    cyp2d6 = next(g for g in genotypes if g["component"][0]["valueCodeableConcept"]["text"] == "CYP2D6")
    assert "dataAbsentReason" in cyp2d6 and "valueCodeableConcept" not in cyp2d6
    clopi = next(
        i
        for i in implications
        if any(c["valueCodeableConcept"]["text"] == "clopidogrel" for c in i["component"])
    )
    comps = {next(iter(_codes(c["code"])))[1]: c["valueCodeableConcept"]["text"] for c in clopi["component"]}
    assert comps["51963-7"] == "clopidogrel"
    assert comps["therapeutic-implication"] == "CYP2C19: Intermediate Metabolizer"
    assert comps["53040-2"] == "CYP2C19: Intermediate Metabolizer"
    assert comps["93044-6"] == "CPIC: Moderate"
    # one implication per PGx and combined row (not for drugs that were not assessed)
    rows = [r for r in json.loads((bundle["dir"] / "report.json").read_text())["therapy"]]
    assert len(implications) == sum(r["row_type"] in ("pgx", "combined") for r in rows)


def test_tasks_where_an_action_is_recommended(bundle):
    resources = [e["resource"] for e in bundle["json"]["entry"]]
    tasks = [r for r in resources if r["resourceType"] == "Task"]
    by_drug = {t["description"].split(":")[0]: t for t in tasks}
    assert (LOINC, "LA26421-0") in _codes(by_drug["clopidogrel"]["code"])  # consider alternative
    assert (LOINC, "LA26422-8") in _codes(by_drug["atorvastatin"]["code"])  # decrease dose (≤40mg)
    assert by_drug["pravastatin"]["code"]["text"] == "Use caution"
    assert "tacrolimus" not in by_drug and "voriconazole" not in by_drug  # standard / no action
    for t in tasks:
        assert t["status"] == "requested" and t["intent"] == "proposal"
        assert t["meta"]["profile"] == [
            "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/medication-recommendation"
        ]
    report = resources[0]
    actions = [
        e["valueReference"]["reference"]
        for e in report["extension"]
        if e["url"].endswith("recommended-action")
    ]
    assert sorted(actions) == sorted(f"urn:uuid:{t['id']}" for t in tasks)


def test_risk_assessments_for_scores(bundle):
    resources = [e["resource"] for e in bundle["json"]["entry"]]
    risks = {r["method"]["text"]: r for r in resources if r["resourceType"] == "RiskAssessment"}
    assert set(risks) == {"PGS000001", "GENORX_DEMO_CAD"}
    pgs1 = risks["PGS000001"]
    assert ("https://www.pgscatalog.org", "PGS000001") in _codes(pgs1["method"])
    assert pgs1["prediction"][0]["outcome"]["text"] == "breast carcinoma"
    assert "percentile 93.4 of EUR" in pgs1["prediction"][0]["rationale"]
    assert ("http://terminology.hl7.org/CodeSystem/risk-probability", "high") in _codes(
        pgs1["prediction"][0]["qualitativeRisk"]
    )
    assert any("DEMONSTRATION" in n["text"] for n in risks["GENORX_DEMO_CAD"]["note"])


def test_ids_are_deterministic_and_content_derived(tmp_path, bundle):
    again = run_report(tmp_path / "again")
    assert (again / "report.fhir.json").read_text() == bundle["text"]
    doc = fixture_pgx()
    doc["samples"][0]["genes"][0]["phenotype"] = "Poor Metabolizer"
    other = run_report(tmp_path / "other", pgx=write_json(tmp_path / "pgx.json", doc))
    ids_a = {e["fullUrl"] for e in bundle["json"]["entry"]}
    ids_b = {e["fullUrl"] for e in json.loads((other / "report.fhir.json").read_text())["entry"]}
    assert ids_a != ids_b and len(ids_a & ids_b) > 10  # changed resources get new ids, others keep theirs


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Increase starting dose 1.5 to 2 times recommended starting dose.", "LA26423-6"),
        ("Reduce starting dose by 50% followed by titration of dose.", "LA26422-8"),
        ("Prescribe ≤20mg as a starting dose.", "LA26422-8"),
    ],
)
def test_task_code_follows_dose_direction(text, code):
    from genorx.report.actions import load_action_rules

    task = load_action_rules().task_code("adjust", text)
    assert task["code"] == code and task["system"] == LOINC
    assert load_action_rules().task_code("adjust", "See the guideline.") == {
        "text": "Adjust dose as the guideline recommends"
    }
    assert load_action_rules().task_code("standard", text) is None
