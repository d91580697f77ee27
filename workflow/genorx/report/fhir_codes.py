"""Code systems, profiles and codes used by the FHIR Genomics Reporting bundle (STU3, R4)."""

from __future__ import annotations

from typing import Any

GR = "http://hl7.org/fhir/uv/genomics-reporting"
PROFILE = {
    "report": f"{GR}/StructureDefinition/genomic-report",
    "genotype": f"{GR}/StructureDefinition/genotype",
    "haplotype": f"{GR}/StructureDefinition/haplotype",
    "implication": f"{GR}/StructureDefinition/therapeutic-implication",
    "task": f"{GR}/StructureDefinition/medication-recommendation",
}
EXT_RECOMMENDED_ACTION = f"{GR}/StructureDefinition/recommended-action"
EXT_RISK_ASSESSMENT = f"{GR}/StructureDefinition/genomic-risk-assessment"
EXT_RELATED_ARTIFACT = "http://hl7.org/fhir/StructureDefinition/workflow-relatedArtifact"
TBD = f"{GR}/CodeSystem/tbd-codes"
LOINC = "http://loinc.org"
HGNC = "http://www.genenames.org/geneId"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
PGS_CATALOG = "https://www.pgscatalog.org"
SAMPLE_SYSTEM = "urn:genorx:sample-id"

# HGNC identifiers of pharmacogenes, checked against two independent sources each.
HGNC_IDS = {
    "CYP2B6": "HGNC:2615",
    "CYP2C19": "HGNC:2621",
    "CYP2C9": "HGNC:2623",
    "CYP2D6": "HGNC:2625",
    "CYP3A4": "HGNC:2637",
    "CYP3A5": "HGNC:2638",
    "DPYD": "HGNC:3012",
    "NAT2": "HGNC:7646",
    "SLCO1B1": "HGNC:10959",
    "TPMT": "HGNC:12014",
    "UGT1A1": "HGNC:12530",
    "VKORC1": "HGNC:23663",
}


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(text: str, *codings: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"text": text}
    if codings:
        out["coding"] = list(codings)
    return out


def loinc(code: str, display: str) -> dict[str, Any]:
    return concept(display, coding(LOINC, code, display))


def gene_concept(gene: str) -> dict[str, Any]:
    hgnc = HGNC_IDS.get(gene)
    return concept(gene, coding(HGNC, hgnc, gene)) if hgnc else concept(gene)


CATEGORY_LAB = [concept("Laboratory", coding(OBS_CATEGORY, "laboratory", "Laboratory"))]
CATEGORY_GENETICS = [concept("Genetics", coding(V2_0074, "GE", "Genetics"))]
GENE_STUDIED = loinc("48018-6", "Gene studied [ID]")
GENOTYPE = loinc("84413-4", "Genotype display name")
HAPLOTYPE = loinc("84414-2", "Haplotype name")
REPORT = loinc("51969-4", "Genetic analysis report")
MEDICATION_ASSESSED = loinc("51963-7", "Medication assessed [ID]")
EVIDENCE_LEVEL = loinc("93044-6", "Level of evidence")
DRUG_METABOLISM = loinc("53040-2", "Genetic variation's effect on drug metabolism")
IMPLICATION = concept(
    "Therapeutic implication", coding(TBD, "therapeutic-implication", "Therapeutic Implication")
)
DEMO_SECURITY = [coding(ACT_REASON, "HTEST", "test health data")]
