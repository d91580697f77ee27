"""``pgx.tsv`` and ``pgx.json`` (docs/contracts.md), written together or not at all."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any

from genorx import __version__
from genorx.atomic import atomic_path
from genorx.kb.model import KnowledgeBase
from genorx.pgx.recommend import RecommendationSet
from genorx.pgx.results import GeneResult

TSV_COLUMNS = (
    "sample_id",
    "gene",
    "diplotype",
    "call_status",
    "phenotype",
    "activity_score",
    "missing_positions",
)


_FIELDS: dict[type, tuple[str, ...]] = {}


def _flat(obj: Any) -> dict[str, Any]:
    """A dataclass as a dict, shallow (``dataclasses.asdict`` deep-copies, too slow for cohorts)."""
    names = _FIELDS.get(type(obj))
    if names is None:
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj))
    return {n: getattr(obj, n) for n in names}


def gene_sources(kb: KnowledgeBase) -> dict[str, dict[str, set[str]]]:
    """Per gene, the guideline sources (CPIC, DPWG) that look it up and the string keys they use."""
    out: dict[str, dict[str, set[str]]] = {}
    for gl in kb.guidelines:
        for g in gl.genes:
            values = out.setdefault(g, {}).setdefault(gl.source, set())
            for rec in gl.recommendations:
                value = rec.lookup_key.get(g)
                if isinstance(value, str):
                    values.add(value)
    return out


def _source_key(result: GeneResult, used: set[str]) -> str | None:
    """The gene's lookup key as one source sees it (CPIC: CYP2C9 activity score, DPWG: phenotype)."""
    keys: list[str] = []
    for d in result.recommendation_diplotypes:
        kinds = [d.lookup_keys, d.phenotypes]
        chosen = next((k for k in kinds if set(k) & used), d.lookup_keys)
        keys += chosen
    return " OR ".join(dict.fromkeys(keys)) or None


_ROWS: dict[int, tuple[list, list[dict[str, Any]]]] = {}


def _rows(items: list) -> list[dict[str, Any]]:
    """Dicts of a call's genotype / missing-position records. Cohort calls share these lists
    between samples with the same genotypes, so the dicts are built once per list."""
    hit = _ROWS.get(id(items))
    if hit is not None and hit[0] is items:
        return hit[1]
    if len(_ROWS) > 100_000:
        _ROWS.clear()
    rows = [_flat(x) for x in items]
    _ROWS[id(items)] = (items, rows)
    return rows


def _missing(result: GeneResult) -> list[dict[str, Any]]:
    if result.call is None:
        return []
    return _rows(result.call.missing_positions)


def gene_json(result: GeneResult, sources: dict[str, set[str]]) -> dict[str, Any]:
    call = result.call
    first = result.recommendation_diplotypes[0] if result.recommendation_diplotypes else None
    return {
        "gene": result.gene,
        "call_status": result.call_status,
        "call_source": result.source,
        "diplotypes": [d.label for d in result.recommendation_diplotypes] if result.called else [],
        "phased": bool(call.phased) if call is not None else False,
        "phenotype": result.phenotype,
        "activity_score": result.activity_score,
        "functions": [h.function for h in first.haplotypes] if first is not None and result.called else [],
        "lookup_keys": {s: _source_key(result, used) for s, used in sorted(sources.items())},
        "missing_positions": _missing(result),
        "no_call_reason": result.no_call_reason,
        "candidates": [{"diplotype": d.name, "score": d.score} for d in call.candidates] if call else [],
        "genotypes": _rows(call.genotypes_used) if call else [],
        "warnings": list(call.warnings) if call else [],
        "notes": list(result.notes),
        # the matcher's diplotypes, only where they differ from those used for recommendations
        # (lowest-function genes: DPYD); null otherwise
        "source_diplotypes": (
            None
            if result.diplotypes == result.recommendation_diplotypes
            else [d.to_dict() for d in result.diplotypes]
        ),
        "recommendation_diplotypes": [d.to_dict() for d in result.recommendation_diplotypes],
        "haplotype_matches": list(call.haplotype_matches) if call else [],
    }


def tsv_row(result: GeneResult) -> list[str]:
    missing = ",".join(f"{m['chrom']}:{m['pos']}" for m in _missing(result))
    return [
        result.sample_id,
        result.gene,
        result.display,
        result.call_status,
        result.phenotype or "",
        result.activity_score or "",
        missing,
    ]


def sample_json(
    sample_id: str,
    results: list[GeneResult],
    recs: RecommendationSet,
    sources: dict[str, dict[str, set[str]]],
) -> dict[str, Any]:
    return {
        "sample_id": sample_id,
        "genes": [gene_json(r, sources.get(r.gene, {})) for r in results],
        "recommendations": [_flat(r) for r in recs.recommendations],
        "not_assessed": [_flat(u) for u in recs.not_assessed],
        "no_recommendation": [_flat(u) for u in recs.no_recommendation],
    }


def kb_json(kb: KnowledgeBase) -> dict[str, Any]:
    info = kb.info
    return {
        "name": info.name,
        "version": info.version,
        "source": info.source,
        "url": info.url,
        "sha256": info.sha256,
        "path": info.path,
        "prose": info.has_prose,
    }


def write_outputs(
    out_tsv: Path,
    out_json: Path | None,
    kb: KnowledgeBase,
    rows: list[GeneResult],
    samples: Iterable[dict[str, Any]],
    run: dict[str, Any],
) -> int:
    """Write the TSV (and JSON) under temporary names; rename only when both are complete.

    The JSON is streamed one sample at a time (a cohort's document does not sit in memory),
    indented for one sample, compact for several. Returns the number of recommendations.
    """
    n_recs = 0
    tsv_text = "\t".join(TSV_COLUMNS) + "\n" + "".join("\t".join(tsv_row(r)) + "\n" for r in rows)
    with atomic_path(out_tsv) as tmp_tsv:
        tmp_tsv.write_text(tsv_text, encoding="utf-8")
        if out_json is None:
            return 0
        head = {"genorx_version": __version__, "kb": kb_json(kb), "run": run}
        one = len(run.get("samples") or ()) == 1
        with atomic_path(out_json) as tmp_json, open(tmp_json, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(head, indent=1 if one else None, ensure_ascii=False)[:-1].rstrip())
            fh.write(',\n "samples": [\n' if one else ',"samples":[\n')
            for i, doc in enumerate(samples):
                n_recs += len(doc["recommendations"])
                if i:
                    fh.write(",\n")
                # json.dumps without indent runs the C encoder (~10x faster than json.dump)
                if one:
                    fh.write(json.dumps(doc, indent=1, ensure_ascii=False))
                else:
                    fh.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
            fh.write("\n]}\n")
    return n_recs
