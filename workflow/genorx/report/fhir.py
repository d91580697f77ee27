"""``report.fhir.json``: a FHIR R4 Genomics Reporting bundle built and validated with fhir.resources (R4B).

Resources: Patient; GenomicReport (DiagnosticReport, LOINC 51969-4); per gene a genotype
Observation (84413-4, gene component 48018-6) derived from haplotype Observations (84414-2);
per PGx and combined therapy row a TherapeuticImplication (phenotype component, medication
assessed 51963-7, evidence level 93044-6); a MedicationRecommendation Task where an action is
recommended; per polygenic score a RiskAssessment. Every id is a uuid5 of the sample and the
resource's content and every reference is a ``urn:uuid:`` fullUrl inside the bundle, so a
re-run gives a byte-identical file.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.diagnosticreport import DiagnosticReport
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.riskassessment import RiskAssessment
from fhir.resources.R4B.task import Task

from genorx.report import fhir_codes as C

NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/genorx/genorx/report.fhir")
MODELS = {
    "Patient": Patient,
    "Observation": Observation,
    "DiagnosticReport": DiagnosticReport,
    "Task": Task,
    "RiskAssessment": RiskAssessment,
}


class _Builder:
    def __init__(self, sample_id: str, demonstration: bool) -> None:
        self.sample_id = sample_id
        self.demonstration = demonstration
        self.entries: list[dict[str, Any]] = []

    def add(self, resource: dict[str, Any]) -> str:
        """Validate, give a content-derived id, append; return the ``urn:uuid:`` reference."""
        if self.demonstration:
            resource.setdefault("meta", {})["security"] = C.DEMO_SECURITY
        content = json.dumps(resource, sort_keys=True, separators=(",", ":"))
        rid = str(uuid.uuid5(NAMESPACE, f"{self.sample_id}\n{content}"))
        resource = {"id": rid, **resource}
        model = MODELS[resource["resourceType"]].model_validate(resource)
        url = f"urn:uuid:{rid}"
        self.entries.append({"fullUrl": url, "resource": model})
        return url


def _ref(url: str, display: str | None = None) -> dict[str, str]:
    return {"reference": url, "display": display} if display else {"reference": url}


def _haplotypes(diplotype: str) -> list[str]:
    parts = diplotype.split("/")
    return parts if len(parts) == 2 and all(parts) else []


def _genotype(b: _Builder, patient: str, g: dict[str, Any]) -> tuple[str, list[str]]:
    """Haplotype and genotype Observations of one gene; returns (genotype ref, all refs)."""
    refs = []
    base = {"status": "final", "category": C.CATEGORY_LAB + C.CATEGORY_GENETICS, "subject": _ref(patient)}
    gene_component = {"code": C.GENE_STUDIED, "valueCodeableConcept": C.gene_concept(g["gene"])}
    if g["call_status"] == "called":
        for i, hap in enumerate(_haplotypes(g["diplotype"])):
            func = g["functions"][i] if i < len(g["functions"]) else None
            obs = {
                "resourceType": "Observation",
                "meta": {"profile": [C.PROFILE["haplotype"]]},
                **base,
                "code": C.HAPLOTYPE,
                "valueCodeableConcept": C.concept(f"{g['gene']}{hap}"),
                "component": [gene_component],
                "note": [{"text": f"haplotype {i + 1} of {g['diplotype']}" + (f"; {func}" if func else "")}],
            }
            refs.append(b.add(obs))
    genotype: dict[str, Any] = {
        "resourceType": "Observation",
        "meta": {"profile": [C.PROFILE["genotype"]]},
        **base,
        "code": C.GENOTYPE,
        "component": [gene_component],
    }
    notes = []
    if g["call_status"] == "no_call" or not g["diplotype"]:
        genotype["dataAbsentReason"] = C.concept(
            "Unknown",
            C.coding("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown", "Unknown"),
        )
        notes.append(f"not called: {g['no_call_reason'] or 'no call'}")
    else:
        genotype["valueCodeableConcept"] = C.concept(f"{g['gene']} {g['diplotype']}")
        if g["call_status"] == "ambiguous":
            notes.append(f"ambiguous call: {g['diplotype']}")
    if g["phenotype"]:
        notes.append(f"phenotype: {g['phenotype']}")
    if g["missing_positions"]:
        notes.append("missing positions: " + ", ".join(g["missing_positions"]))
    if notes:
        genotype["note"] = [{"text": n} for n in notes]
    if refs:
        genotype["derivedFrom"] = [_ref(r) for r in refs]
    gref = b.add(genotype)
    return gref, [*refs, gref]


def _implication(
    b: _Builder, patient: str, row: dict[str, str], genotype_refs: dict[str, str], risk: str | None
) -> str:
    components: list[dict[str, Any]] = []
    for pair in filter(None, row["phenotypes"].split("; ")):
        components.append({"code": C.IMPLICATION, "valueCodeableConcept": C.concept(pair)})
        if "metabolizer" in pair.lower():
            components.append({"code": C.DRUG_METABOLISM, "valueCodeableConcept": C.concept(pair)})
    components.append({"code": C.MEDICATION_ASSESSED, "valueCodeableConcept": C.concept(row["drug"])})
    if row["classification"]:
        level = f"{row['source']}: {row['classification']}"
        components.append({"code": C.EVIDENCE_LEVEL, "valueCodeableConcept": C.concept(level)})
    obs: dict[str, Any] = {
        "resourceType": "Observation",
        "meta": {"profile": [C.PROFILE["implication"]]},
        "status": "final",
        "category": C.CATEGORY_LAB + C.CATEGORY_GENETICS,
        "code": C.IMPLICATION,
        "subject": _ref(patient),
        "derivedFrom": [_ref(genotype_refs[g], g) for g in filter(None, row["genes"].split(","))],
        "component": components,
        "note": [
            {"text": row["recommendation"]},
            {"text": f"evidence {row['evidence_status']}: {row['evidence_notes']}"},
        ],
    }
    urls = row["guideline_url"].split()
    if urls:
        obs["extension"] = [
            {"url": C.EXT_RELATED_ARTIFACT, "valueRelatedArtifact": {"type": "documentation", "url": u}}
            for u in urls
        ]
    if risk:
        obs.setdefault("extension", []).append({"url": C.EXT_RISK_ASSESSMENT, "valueReference": _ref(risk)})
    if not obs["derivedFrom"]:
        del obs["derivedFrom"]
    return b.add(obs)


def _risk(b: _Builder, patient: str, score: dict[str, Any], risk_level: str | None) -> str:
    ref = score["reference"]
    method = (
        C.concept(score["pgs_id"], C.coding(C.PGS_CATALOG, score["pgs_id"]))
        if score["url"]
        else C.concept(score["pgs_id"])
    )
    prediction: dict[str, Any] = {"outcome": C.concept(score["trait"] or score["pgs_id"])}
    if ref and ref["percentile"] is not None:
        prediction["rationale"] = (
            f"percentile {ref['percentile']:.1f} of {ref['population']} reference (n={ref['n']})"
            + (f", z={ref['z']:.3f}" if ref["z"] is not None else "")
        )
    else:
        prediction["rationale"] = score["reference_note"] or "no reference panel: no percentile"
    if risk_level:
        prediction["qualitativeRisk"] = C.concept(risk_level, C.coding(C.RISK_PROBABILITY, risk_level))
    notes = [f"match rate {score['match_rate']}" if score["match_rate"] is not None else "match rate unknown"]
    if score["citation"]:
        notes.append(f"citation: {score['citation']}")
    if score["demonstration"]:
        notes.append("DEMONSTRATION DATA: synthetic score, not for clinical use")
    return b.add(
        {
            "resourceType": "RiskAssessment",
            "status": "final",
            "subject": _ref(patient),
            "method": method,
            "code": C.concept("Polygenic risk score"),
            "prediction": [prediction],
            "note": [{"text": n} for n in notes],
        }
    )


def build_bundle(doc: dict[str, Any]) -> Bundle:
    sample = doc["sample_id"]
    b = _Builder(sample, doc["demonstration"])
    patient = b.add(
        {
            "resourceType": "Patient",
            "identifier": [{"system": C.SAMPLE_SYSTEM, "value": sample}],
            "active": True,
        }
    )
    genotype_refs: dict[str, str] = {}
    results: list[str] = []
    genes = {g["gene"]: g for g in doc["genes"]}
    for row in doc["therapy"]:  # genes a row names but pgx.json does not list: an absent genotype
        for gene in filter(None, row["genes"].split(",")):
            genes.setdefault(gene, _absent_gene(gene))
    for g in genes.values():
        gref, refs = _genotype(b, patient, g)
        genotype_refs[g["gene"]] = gref
        results += refs
    risks: dict[str, str] = {}
    details = doc["row_details"]
    risk_levels = {
        r["prs_pgs_id"]: d["risk"] for r, d in zip(doc["therapy"], details, strict=True) if r["prs_pgs_id"]
    }
    for score in doc["scores"]:
        risks[score["pgs_id"]] = _risk(b, patient, score, risk_levels.get(score["pgs_id"]))
    tasks = []
    for row, detail in zip(doc["therapy"], details, strict=True):
        if row["row_type"] in ("not_assessed", "no_recommendation"):
            continue
        ti = _implication(b, patient, row, genotype_refs, risks.get(row["prs_pgs_id"]))
        results.append(ti)
        code = _task_code(detail["task"])
        if code is not None:
            task = {
                "resourceType": "Task",
                "meta": {"profile": [C.PROFILE["task"]]},
                "status": "requested",
                "intent": "proposal",
                "code": code,
                "description": f"{row['drug']}: {row['recommendation']}",
                "for": _ref(patient),
                "reasonReference": _ref(ti),
            }
            tasks.append(b.add(task))
    conclusion = f"{len(doc['therapy'])} therapy rows; " + ", ".join(
        f"{k}: {v}" for k, v in doc["summary"]["evidence_status"].items()
    )
    for kind, label in (("not_assessed", "Not assessed"), ("no_recommendation", "No recommendation")):
        drugs = [f"{r['drug']} ({r['source']})" for r in doc["therapy"] if r["row_type"] == kind]
        if drugs:
            conclusion += f". {label}: " + ", ".join(drugs)
    report: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [C.PROFILE["report"]]},
        "status": "final",
        "category": C.CATEGORY_GENETICS,
        "code": C.REPORT,
        "subject": _ref(patient),
        "result": [_ref(r) for r in results],
        "conclusion": conclusion,
    }
    ext = [{"url": C.EXT_RECOMMENDED_ACTION, "valueReference": _ref(t)} for t in tasks]
    ext += [{"url": C.EXT_RISK_ASSESSMENT, "valueReference": _ref(r)} for r in risks.values()]
    if ext:
        report["extension"] = ext
    report_ref = b.add(report)
    # The report first, as a reader expects; the bundle id derives from every entry.
    entries = [b.entries[-1], *b.entries[:-1]]
    ids = "\n".join(e["fullUrl"] for e in entries)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(NAMESPACE, f"{sample}\nbundle\n{ids}")),
        "identifier": {"system": "urn:genorx:report", "value": report_ref},
        "type": "collection",
        "entry": entries,
    }
    if doc["demonstration"]:
        bundle["meta"] = {"security": C.DEMO_SECURITY}
    return Bundle.model_validate(bundle)


def _absent_gene(gene: str) -> dict[str, Any]:
    return {
        "gene": gene,
        "call_status": "no_call",
        "diplotype": "",
        "functions": [],
        "phenotype": None,
        "missing_positions": [],
        "no_call_reason": "gene not in pgx.json",
    }


def _task_code(task: dict[str, str] | None) -> dict[str, Any] | None:
    if not task:
        return None
    if "code" in task:
        return C.concept(task["display"], C.coding(task["system"], task["code"], task["display"]))
    return C.concept(task["text"])


def to_json(bundle: Bundle) -> str:
    """Compact JSON (a machine format; per-patient files stay small)."""
    data = json.loads(bundle.model_dump_json(exclude_none=True))
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"
