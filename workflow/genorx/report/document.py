"""The per-sample report document (``report.json``): the one source the HTML and FHIR writers read."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from genorx import __version__
from genorx.report.actions import ActionRules
from genorx.report.combine import RuleSet, pgs_url
from genorx.report.inputs import PgxSample, Reference, Score
from genorx.report.plots import cap_density, normal_density
from genorx.report.therapy import COLUMNS, TherapyRow

SCHEMA = "genorx.report/1"


@dataclass(frozen=True, slots=True)
class RunInfo:
    """What the methods section states about how the inputs were made."""

    reference_build: str = "GRCh38"
    aligner: str | None = None
    caller: str | None = None
    tools: dict[str, str] = field(default_factory=dict)
    max_density_points: int = 128


def patient_position(ref: Reference) -> float | None:
    """The patient's value on the reference axis: as given, mean + z*sd, else the density's quantile."""
    if ref.target_value is not None:
        return ref.target_value
    if ref.z is not None and ref.mean is not None and ref.sd is not None:
        return ref.mean + ref.z * ref.sd
    if ref.percentile is not None and len(ref.density_x) > 1:
        x = np.asarray(ref.density_x)
        y = np.clip(np.asarray(ref.density_y), 0, None)
        cdf = np.concatenate([[0.0], np.cumsum((y[1:] + y[:-1]) / 2 * np.diff(x))])
        if cdf[-1] > 0:
            return float(np.interp(ref.percentile / 100 * cdf[-1], cdf, x))
    return None


def _score(score: Score, max_points: int) -> dict[str, Any]:
    ref = score.reference
    out: dict[str, Any] = {
        "pgs_id": score.pgs_id,
        "trait": score.trait,
        "citation": score.citation,
        "url": pgs_url(score.pgs_id) or None,
        "genome_build": score.genome_build,
        "demonstration": score.demonstration,
        "sum": score.sum,
        "avg": score.avg,
        "n_matched": score.n_matched,
        "n_variants": score.n_variants,
        "match_rate": score.match_rate,
        "reference": None,
        "reference_note": score.reference_note,
    }
    if ref is not None:
        if ref.density_x:
            xs, ys = cap_density(ref.density_x, ref.density_y, max_points)
            density_source = "reference panel"
        elif ref.mean is not None and ref.sd:
            xs, ys = normal_density(ref.mean, ref.sd)
            density_source = "normal approximation (panel mean and SD)"
        else:
            xs, ys, density_source = [], [], None
        out["reference"] = {
            "population": ref.population,
            "n": ref.n,
            "mean": ref.mean,
            "sd": ref.sd,
            "percentile": ref.percentile,
            "z": ref.z,
            "patient_value": patient_position(ref),
            "density": {"x": xs, "y": ys, "source": density_source},
        }
    return out


def _gene(call: Any) -> dict[str, Any]:
    return {
        "gene": call.gene,
        "call_status": call.call_status,
        "diplotype": call.diplotype_text,
        "diplotypes": list(call.diplotypes),
        "phased": call.phased,
        "functions": list(call.functions),
        "phenotype": call.phenotype,
        "activity_score": call.activity_score,
        "missing_positions": [m.label for m in call.missing],
        "n_defining_positions": len(call.positions),
        "no_call_reason": call.no_call_reason,
        "candidates": [{"diplotype": d, "score": s} for d, s in call.candidates]
        if call.call_status == "ambiguous"
        else [],
        "warnings": list(call.warnings),
    }


def limitations(pgx: PgxSample, scores: tuple[Score, ...]) -> list[str]:
    """Static caveats of the method plus those that apply to this sample."""
    out = [
        "Structural variants and copy-number changes are not called from short-read small-variant calls: "
        "gene deletions and duplications (e.g. CYP2D6 *5 and xN) and hybrid genes (CYP2D6/CYP2D7) are not "
        "detected, and diplotypes assume two gene copies.",
        "Only the defining positions of the knowledge base are interrogated; a rare or novel variant "
        "elsewhere in a gene is not seen and the reference haplotype is assumed there.",
        "Unless the input was phased, genotypes are unphased: when variants could lie on either haplotype "
        "all top-scoring diplotypes are reported and the call is marked ambiguous.",
        "Positions without a confident call are dropped from every allele definition (as PharmCAT does); "
        "recommendations that depend on them are marked incomplete with the positions named.",
    ]
    cyp2d6 = pgx.gene("CYP2D6")
    if cyp2d6 is None or not cyp2d6.called:
        out.append(
            "CYP2D6 was not called for this sample; drugs that depend on it are listed as not assessed."
        )
    ambiguous = [g.gene for g in pgx.genes if g.call_status == "ambiguous"]
    if ambiguous:
        out.append(f"Ambiguous (unphased or tied) calls for: {', '.join(ambiguous)}.")
    if scores:
        out.append(
            "Polygenic-score percentiles are relative to the stated reference population and are less "
            "accurate for people whose ancestry differs from it; a percentile is not an absolute risk."
        )
        out.append(
            "Percentile thresholds in combined rows are configurable policy of this laboratory, "
            "not guideline text."
        )
    demo = [s.pgs_id for s in scores if s.demonstration]
    if demo:
        out.append(
            f"DEMONSTRATION DATA: {', '.join(demo)} are synthetic scores made for the demo; "
            "not for clinical use."
        )
    return out


def _rules_section(ruleset: RuleSet) -> dict[str, Any]:
    return {
        "name": ruleset.name,
        "version": ruleset.version,
        "released": ruleset.released,
        "sha256": ruleset.sha256,
        "policy_note": ruleset.policy_note,
        "rules": [
            {
                "id": r.id,
                "title": r.title,
                "threshold_kind": r.threshold_kind,
                "threshold_text": r.threshold_text,
                "references": list(r.references),
                "bands": [{"label": b.label, "min_percentile": b.min_percentile} for b in r.bands],
                "drugs": list(r.drugs),
                "pgx_guideline": r.pgx_guideline,
                "caveats": list(r.caveats),
            }
            for r in ruleset.rules
        ],
    }


def build_document(
    pgx: PgxSample,
    scores: tuple[Score, ...],
    rows: list[TherapyRow],
    qc: dict[str, Any],
    qc_flags: list[str],
    ruleset: RuleSet,
    actions: ActionRules,
    run: RunInfo,
) -> dict[str, Any]:
    cells = [r.cells() for r in rows]
    return {
        "schema": SCHEMA,
        "sample_id": pgx.sample_id,
        "genorx_version": __version__,
        "demonstration": any(s.demonstration for s in scores),
        "summary": {
            "rows": len(rows),
            "actions": dict(sorted(Counter(r.action for r in rows).items())),
            "evidence_status": dict(sorted(Counter(r.evidence_status for r in rows).items())),
            "qc_flags": qc_flags,
        },
        "actions": {
            a.id: {"label": a.label, "light": a.light, "rank": a.rank, "task": a.task}
            for a in sorted(actions.actions.values(), key=lambda a: a.rank)
        },
        "therapy_columns": list(COLUMNS),
        "therapy": cells,
        "row_details": [
            {
                "task": actions.task_code(r.action, str(r.extra.get("text") or r.recommendation)),
                "risk": r.extra.get("risk"),
                "band": r.extra.get("band"),
                "guideline_id": r.extra.get("guideline_id"),
            }
            for r in rows
        ],
        "genes": [_gene(g) for g in pgx.genes],
        "scores": [_score(s, run.max_density_points) for s in scores],
        "qc": qc,
        "methods": {
            "pipeline": {"name": "genorx", "version": __version__, "pgx_version": pgx.genorx_version},
            "knowledge_base": pgx.kb,
            "combined_rules": _rules_section(ruleset),
            "action_rules": {"name": actions.name, "version": actions.version},
            "reference_build": run.reference_build,
            "aligner": run.aligner,
            "caller": run.caller,
            "tools": run.tools,
        },
        "limitations": limitations(pgx, scores),
    }
