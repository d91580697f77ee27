"""The report's inputs as typed records: one sample of ``pgx.json`` and of ``prs.json``.

Formats are documented in ``docs/contracts.md``; this module validates what the report
relies on and ignores keys it does not use, so the producing stages may add keys freely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genorx.report.fields import Fields

PGX_FIX = "regenerate it with `genorx pgx call ... --json pgx.json`"
PRS_FIX = "regenerate it with `genorx prs score ...`"

# Optional per-recommendation booleans (PharmCAT's dosingInformation, alternateDrugAvailable,
# otherPrescribingGuidance), accepted in snake_case or camelCase, top level or under "flags".
FLAG_KEYS = {
    "dosing_information": "dosingInformation",
    "alternate_drug_available": "alternateDrugAvailable",
    "other_prescribing_guidance": "otherPrescribingGuidance",
}


@dataclass(frozen=True, slots=True)
class MissingPosition:
    chrom: str
    pos: int
    rsid: str | None
    reason: str | None

    @property
    def label(self) -> str:
        extra = ", ".join(x for x in (self.rsid, self.reason) if x)
        return f"{self.chrom}:{self.pos}" + (f" ({extra})" if extra else "")


@dataclass(frozen=True, slots=True)
class GeneCall:
    gene: str
    call_status: str  # called | ambiguous | no_call
    diplotypes: tuple[str, ...]
    phased: bool
    phenotype: str | None
    activity_score: str | None
    functions: tuple[str, ...]
    missing: tuple[MissingPosition, ...]
    no_call_reason: str | None
    candidates: tuple[tuple[str, float | None], ...]
    positions: tuple[tuple[str, int], ...]  # every defining position seen (called or missing)
    warnings: tuple[str, ...]
    notes: tuple[str, ...] = ()

    @property
    def diplotype_text(self) -> str:
        return " OR ".join(self.diplotypes)

    @property
    def called(self) -> bool:
        return self.call_status != "no_call" and bool(self.diplotypes)


@dataclass(frozen=True, slots=True)
class Recommendation:
    drug: str
    source: str
    guideline_id: str | None
    guideline_name: str | None
    guideline_url: str | None
    genes: tuple[str, ...]
    phenotypes: dict[str, str]
    lookup_key: dict[str, str]
    classification: str | None
    population: str | None
    text: str | None
    implications: tuple[str, ...]
    kb_version: str | None
    evidence_status: str
    evidence_notes: tuple[str, ...]
    flags: dict[str, bool] = field(default_factory=dict)
    text_note: str | None = None


@dataclass(frozen=True, slots=True)
class NotAssessed:
    """A drug without a matching recommendation: genes not called, or no guideline entry."""

    drug: str
    source: str | None
    genes: tuple[str, ...]
    reason: str | None
    guideline_url: str | None = None


@dataclass(frozen=True, slots=True)
class PgxSample:
    sample_id: str
    genorx_version: str | None
    kb: dict[str, Any]
    genes: tuple[GeneCall, ...]
    recommendations: tuple[Recommendation, ...]
    not_assessed: tuple[NotAssessed, ...]
    no_recommendation: tuple[NotAssessed, ...] = ()

    def gene(self, name: str) -> GeneCall | None:
        return next((g for g in self.genes if g.gene == name), None)


@dataclass(frozen=True, slots=True)
class Reference:
    population: str | None
    n: int | None
    mean: float | None
    sd: float | None
    percentile: float | None
    z: float | None
    density_x: tuple[float, ...]
    density_y: tuple[float, ...]
    target_value: float | None = None  # the patient's value on the panel's axis


@dataclass(frozen=True, slots=True)
class Score:
    pgs_id: str
    trait: str | None
    citation: str | None
    genome_build: str | None
    demonstration: bool
    sum: float | None
    avg: float | None
    n_matched: int | None
    n_variants: int | None
    match_rate: float | None
    reference: Reference | None
    reference_note: str | None
    trait_mapped: str | None = None


def _pick_sample(f: Fields, doc: Any, sample_id: str) -> tuple[dict[str, Any], str]:
    doc = f.obj(doc, "top level")
    samples = f.get(doc, "samples", "top level", list)
    ids = []
    for i, rec in enumerate(samples):
        rec = f.obj(rec, f"samples[{i}]")
        sid = f.get(rec, "sample_id", f"samples[{i}]", str)
        ids.append(sid)
        if sid == sample_id:
            return rec, f"samples[{i}]"
    shown = ", ".join(ids[:5]) + (" ..." if len(ids) > 5 else "")
    raise f.error("samples", f"sample {sample_id!r} not found (has: {shown or 'none'})")


def _gene(f: Fields, g: dict[str, Any], w: str) -> GeneCall:
    status = f.get(g, "call_status", w, str)
    if status not in {"called", "ambiguous", "no_call"}:
        raise f.error(w, f"call_status {status!r} is not called, ambiguous or no_call")
    missing = []
    for j, m in enumerate(f.opt(g, "missing_positions", w, list, [])):
        mw = f"{w}.missing_positions[{j}]"
        m = f.obj(m, mw)
        missing.append(
            MissingPosition(
                chrom=f.get(m, "chrom", mw, str),
                pos=f.get(m, "pos", mw, int),
                rsid=f.opt(m, "rsid", mw, str),
                reason=f.opt(m, "reason", mw, str),
            )
        )
    positions = [(m.chrom, m.pos) for m in missing]
    for j, gt in enumerate(f.opt(g, "genotypes", w, list, [])):
        gw = f"{w}.genotypes[{j}]"
        gt = f.obj(gt, gw)
        positions.append((f.get(gt, "chrom", gw, str), f.get(gt, "pos", gw, int)))
    candidates = []
    for j, c in enumerate(f.opt(g, "candidates", w, list, [])):
        cw = f"{w}.candidates[{j}]"
        c = f.obj(c, cw)
        candidates.append((f.get(c, "diplotype", cw, str), f.opt(c, "score", cw, float)))
    activity = f.opt(g, "activity_score", w, (str, float))
    return GeneCall(
        gene=f.get(g, "gene", w, str),
        call_status=status,
        diplotypes=f.strings(g, "diplotypes", w, required=False),
        phased=bool(f.opt(g, "phased", w, bool, False)),
        phenotype=f.opt(g, "phenotype", w, str),
        activity_score=None if activity is None else _num_text(activity),
        functions=f.strings(g, "functions", w, required=False),
        missing=tuple(missing),
        no_call_reason=f.opt(g, "no_call_reason", w, str),
        candidates=tuple(candidates),
        positions=tuple(sorted(set(positions))),
        warnings=f.strings(g, "warnings", w, required=False),
        notes=f.strings(g, "notes", w, required=False),
    )


def _flags(f: Fields, r: dict[str, Any], w: str) -> dict[str, bool]:
    nested = f.opt(r, "flags", w, dict, {})
    out: dict[str, bool] = {}
    for snake, camel in FLAG_KEYS.items():
        for src in (nested, r):
            for key in (snake, camel):
                if isinstance(src.get(key), bool):
                    out[snake] = src[key]
    return out


def _recommendation(f: Fields, r: dict[str, Any], w: str) -> Recommendation:
    status = f.opt(r, "evidence_status", w, str, "complete")
    if status not in {"complete", "incomplete"}:
        raise f.error(w, f"evidence_status {status!r} is not complete or incomplete")
    return Recommendation(
        drug=f.get(r, "drug", w, str),
        source=f.get(r, "source", w, str),
        guideline_id=f.opt(r, "guideline_id", w, str),
        guideline_name=f.opt(r, "guideline_name", w, str),
        guideline_url=f.opt(r, "guideline_url", w, str),
        genes=f.strings(r, "genes", w),
        phenotypes=f.string_map(r, "phenotypes", w),
        lookup_key=f.string_map(r, "lookup_key", w),
        classification=f.opt(r, "classification", w, str),
        population=f.opt(r, "population", w, str),
        text=f.opt(r, "recommendation", w, str),
        implications=f.strings(r, "implications", w, required=False),
        kb_version=f.opt(r, "kb_version", w, str),
        evidence_status=status,
        evidence_notes=f.strings(r, "evidence_notes", w, required=False),
        flags=_flags(f, r, w),
        text_note=f.opt(r, "text_note", w, str),
    )


def load_pgx(path: str | Path, sample_id: str) -> PgxSample:
    """One sample of ``pgx.json``."""
    f = Fields(path, PGX_FIX)
    doc = f.load()
    rec, w = _pick_sample(f, doc, sample_id)
    genes = tuple(
        _gene(f, f.obj(g, f"{w}.genes[{i}]"), f"{w}.genes[{i}]")
        for i, g in enumerate(f.get(rec, "genes", w, list))
    )
    recs = tuple(
        _recommendation(f, f.obj(r, f"{w}.recommendations[{i}]"), f"{w}.recommendations[{i}]")
        for i, r in enumerate(f.opt(rec, "recommendations", w, list, []))
    )
    unmatched: dict[str, list[NotAssessed]] = {"not_assessed": [], "no_recommendation": []}
    for key, items in unmatched.items():
        for i, n in enumerate(f.opt(rec, key, w, list, [])):
            nw = f"{w}.{key}[{i}]"
            n = f.obj(n, nw)
            items.append(
                NotAssessed(
                    drug=f.get(n, "drug", nw, str),
                    source=f.opt(n, "source", nw, str),
                    genes=f.strings(n, "genes", nw, required=False),
                    reason=f.opt(n, "reason", nw, str),
                    guideline_url=f.opt(n, "guideline_url", nw, str),
                )
            )
    kb = f.opt(doc, "kb", "top level", dict, {})
    return PgxSample(
        sample_id=sample_id,
        genorx_version=f.opt(doc, "genorx_version", "top level", str),
        kb=kb,
        genes=genes,
        recommendations=recs,
        not_assessed=tuple(unmatched["not_assessed"]),
        no_recommendation=tuple(unmatched["no_recommendation"]),
    )


def _reference(f: Fields, ref: dict[str, Any], w: str) -> Reference:
    dens = f.opt(ref, "density", w, dict, {})
    xs = f.opt(dens, "x", f"{w}.density", list, [])
    ys = f.opt(dens, "y", f"{w}.density", list, [])
    if len(xs) != len(ys):
        raise f.error(f"{w}.density", f"x has {len(xs)} values but y has {len(ys)}")
    for i, v in enumerate([*xs, *ys]):
        if not isinstance(v, int | float) or isinstance(v, bool):
            raise f.error(f"{w}.density", f"value {i} is not a number")
    n = f.opt(ref, "n", w, int)
    return Reference(
        population=f.opt(ref, "population", w, str),
        n=n,
        mean=f.opt(ref, "mean", w, float),
        sd=f.opt(ref, "sd", w, float),
        percentile=f.opt(ref, "percentile", w, float),
        z=f.opt(ref, "z", w, float),
        density_x=tuple(float(x) for x in xs),
        density_y=tuple(float(y) for y in ys),
        target_value=f.opt(ref, "target_value", w, float),
    )


def load_prs(path: str | Path, sample_id: str) -> tuple[Score, ...]:
    """Every score of one sample in ``prs.json``."""
    f = Fields(path, PRS_FIX)
    doc = f.load()
    rec, w = _pick_sample(f, doc, sample_id)
    scores = []
    for i, s in enumerate(f.get(rec, "scores", w, list)):
        sw = f"{w}.scores[{i}]"
        s = f.obj(s, sw)
        ref = f.opt(s, "reference", sw, dict)
        scores.append(
            Score(
                pgs_id=f.get(s, "pgs_id", sw, str),
                trait=f.opt(s, "trait", sw, str),
                citation=f.opt(s, "citation", sw, str),
                genome_build=f.opt(s, "genome_build", sw, str),
                demonstration=bool(f.opt(s, "demonstration", sw, bool, False)),
                sum=f.opt(s, "sum", sw, float),
                avg=f.opt(s, "avg", sw, float),
                n_matched=f.opt(s, "n_matched", sw, int),
                n_variants=f.opt(s, "n_variants", sw, int),
                match_rate=f.opt(s, "match_rate", sw, float),
                reference=None if ref is None else _reference(f, ref, f"{sw}.reference"),
                reference_note=f.opt(s, "reference_note", sw, str),
                trait_mapped=f.opt(s, "trait_mapped", sw, str),
            )
        )
    # Scores that failed the minimum overlap are reported, not silently missing.
    scored = {s.pgs_id for s in scores}
    for i, fs in enumerate(f.opt(doc, "failed_scores", "top level", list, [])):
        fw = f"failed_scores[{i}]"
        fs = f.obj(fs, fw)
        pgs_id = f.get(fs, "pgs_id", fw, str)
        if pgs_id in scored:
            continue
        rate = f.opt(fs, "match_rate", fw, float)
        why = f.opt(fs, "reason", fw, str) or "failed"
        scores.append(
            Score(
                pgs_id=pgs_id,
                trait=None,
                citation=None,
                genome_build=None,
                demonstration=False,
                sum=None,
                avg=None,
                n_matched=f.opt(fs, "n_matched", fw, int),
                n_variants=f.opt(fs, "n_variants", fw, int),
                match_rate=rate,
                reference=None,
                reference_note=f"not scored: {why}" + ("" if rate is None else f" (match rate {rate:.2f})"),
            )
        )
    return tuple(scores)


def _num_text(value: str | float) -> str:
    if isinstance(value, str):
        return value
    return f"{value:g}"
