"""The compact project KB format: KB model objects <-> plain JSON.

``definitions.json`` keeps each gene's PharmCAT translation with the per-allele allele
lists stored sparsely (``{locus index: allele}``; most alleles define few of a gene's
positions) and the derivable indexes (``positionToAlleles``, ``positionToLocus``,
``corePositions``) dropped; :func:`expand_translation` restores the PharmCAT shape, so
the shared :func:`genorx.pgx.definitions.parse_translation` reads both.
"""

from __future__ import annotations

from typing import Any

from genorx.kb.model import AlleleFunction, Guideline, PhenotypeMap, PhenotypeRule, Recommendation

FORMAT = "genorx-kb"
FORMAT_VERSION = 1

_DERIVED_TOP = ("positionToAlleles", "positionToLocus")
_DERIVED_ALLELE = ("corePositions",)
_SPARSE = ("alleles", "cpicAlleles")


def compact_translation(raw: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in raw.items() if k not in _DERIVED_TOP}
    alleles = []
    for a in raw["namedAlleles"]:
        item = {k: v for k, v in a.items() if k not in _DERIVED_ALLELE}
        for key in _SPARSE:
            if key in item and isinstance(item[key], list):
                item[key] = {str(i): x for i, x in enumerate(item[key]) if x is not None}
        alleles.append(item)
    out["namedAlleles"] = alleles
    return out


def expand_translation(compact: dict[str, Any]) -> dict[str, Any]:
    n = len(compact["variants"])
    out = dict(compact)
    alleles = []
    for a in compact["namedAlleles"]:
        item = dict(a)
        for key in _SPARSE:
            if key in item and isinstance(item[key], dict):
                full: list[str | None] = [None] * n
                for i, x in item[key].items():
                    full[int(i)] = x
                item[key] = full
        item["corePositions"] = [
            compact["variants"][i]["position"] for i, x in enumerate(item["alleles"]) if x is not None
        ]
        alleles.append(item)
    out["namedAlleles"] = alleles
    out["positionToLocus"] = {str(v["position"]): i for i, v in enumerate(compact["variants"])}
    return out


def phenotype_to_json(pm: PhenotypeMap) -> dict[str, Any]:
    return {
        "gene": pm.gene,
        "version": pm.version,
        "activity_gene": pm.activity_gene,
        "alleles": {
            name: {"function": f.function, "activity": f.activity, "key": f.key}
            for name, f in pm.alleles.items()
        },
        "rules": [[r.key1, r.key2, r.phenotype, r.lookup_key, r.activity_score] for r in pm.rules],
    }


def phenotype_from_json(raw: dict[str, Any]) -> PhenotypeMap:
    return PhenotypeMap(
        gene=raw["gene"],
        version=raw["version"],
        activity_gene=bool(raw["activity_gene"]),
        alleles={
            n: AlleleFunction(a["function"], a["activity"], a["key"]) for n, a in raw["alleles"].items()
        },
        rules=tuple(PhenotypeRule(r[0], r[1], r[2], r[3], r[4]) for r in raw["rules"]),
    )


def guideline_to_json(g: Guideline) -> dict[str, Any]:
    """Facts only: recommendation text and implications (prose) are left out."""
    return {
        "id": g.id,
        "name": g.name,
        "source": g.source,
        "version": g.version,
        "url": g.url,
        "drugs": list(g.drugs),
        "genes": list(g.genes),
        "data_version": g.data_version,
        "pmids": list(g.pmids),
        "recommendations": [
            {
                "id": r.id,
                "drugs": list(r.drugs),
                "population": r.population,
                "classification": r.classification,
                "lookup_key": r.lookup_key,
                "flags": [
                    int(r.dosing_information),
                    int(r.alternate_drug_available),
                    int(r.other_prescribing_guidance),
                ],
            }
            for r in g.recommendations
        ],
    }


def guideline_from_json(raw: dict[str, Any]) -> Guideline:
    return Guideline(
        id=raw["id"],
        name=raw["name"],
        source=raw["source"],
        version=raw["version"],
        url=raw["url"],
        drugs=tuple(raw["drugs"]),
        genes=tuple(raw["genes"]),
        data_version=raw["data_version"],
        pmids=tuple(raw["pmids"]),
        recommendations=tuple(
            Recommendation(
                id=r["id"],
                drugs=tuple(r["drugs"]),
                population=r["population"],
                classification=r["classification"],
                lookup_key=r["lookup_key"],
                dosing_information=bool(r["flags"][0]),
                alternate_drug_available=bool(r["flags"][1]),
                other_prescribing_guidance=bool(r["flags"][2]),
            )
            for r in raw["recommendations"]
        ),
    )
