"""The score tables as text: ``prs.tsv``, ``prs.json`` and the match summary. Plain numpy
and duck-typed runs (``samples``, ``scores[i].meta``, ``match.summary``, ``sums``, ``denom``,
``allele_ct``, ``vcf``): no data frames, so the cached re-score path imports no polars."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

import numpy as np

from genorx import __version__

if TYPE_CHECKING:
    from genorx.prs.reference import ScoreReference
    from genorx.prs.score import ScoreRun


TSV_COLUMNS = [
    "sample_id",
    "pgs_id",
    "sum",
    "avg",
    "denom",
    "n_matched",
    "n_variants",
    "match_rate",
    "percentile",
    "z",
    "reference_population",
    "reference_n",
    "allele_ct",
]
NO_PANEL_NOTE = "no reference panel configured: percentile and Z-score not computed"


def num(x: float | int | None) -> str:
    """Full precision (``repr``); empty for None/NaN."""
    if x is None:
        return ""
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    f = float(x)
    return "" if math.isnan(f) else repr(f)


def _jnum(x: float | None) -> float | None:
    return None if x is None or math.isnan(float(x)) else float(x)


def passed_scores(run: ScoreRun) -> list[int]:
    return [m.score_idx for m in run.match.summary if m.passed]


def _nums(values: np.ndarray) -> list[str]:
    """:func:`num` of every value of a float array (NaN: empty)."""
    return ["" if v != v else repr(v) for v in np.asarray(values, np.float64).tolist()]


def tsv_text(run: ScoreRun, refs: list[ScoreReference | None] | None) -> str:
    """``prs.tsv``: the cells of each score formatted column by column (one ``repr`` per
    number, as :func:`num`), then joined row by row."""
    summary = {m.score_idx: m for m in run.match.summary}
    n = len(run.samples)
    per_score = []
    for s in passed_scores(run):
        m = summary[s]
        ref = refs[s] if refs else None
        denom = run.denom[:, s].astype(np.int64)
        total = run.sums[:, s].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = np.where(denom != 0, total / np.where(denom != 0, denom, 1), np.nan)
        counts = f"{num(m.n_matched)}\t{num(m.n_variants)}\t{num(m.match_rate)}"
        pop = f"{ref.population or 'all'}\t{num(ref.n)}" if ref else "\t"
        cells = [
            [m.pgs_id] * n,
            _nums(total),
            _nums(avg),
            [str(v) for v in denom.tolist()],
            [counts] * n,
            _nums(ref.percentile) if ref else [""] * n,
            _nums(ref.z) if ref else [""] * n,
            [pop] * n,
            [str(v) for v in run.allele_ct[:, s].astype(np.int64).tolist()],
        ]
        per_score.append(cells)
    lines = ["\t".join(TSV_COLUMNS)]
    for j, sample in enumerate(run.samples):
        for cells in per_score:
            lines.append("\t".join([sample, *(c[j] for c in cells)]))
    return "\n".join(lines) + "\n"


def _score_head(meta, m) -> dict:  # noqa: ANN001 (ScoreMeta, MatchSummary)
    """The identifying fields of one score's JSON entry, in output order."""
    return {
        "pgs_id": m.pgs_id,
        "pgs_name": meta.pgs_name,
        "trait": meta.trait_reported,
        "trait_mapped": meta.trait_mapped,
        "citation": meta.citation,
        "genome_build": meta.positions_build,
        "demonstration": meta.demonstration,
    }


def json_doc(run: ScoreRun, refs: list[ScoreReference | None] | None, note: str | None) -> dict:
    summary = {m.score_idx: m for m in run.match.summary}
    passed = passed_scores(run)
    samples = []
    for j, sample in enumerate(run.samples):
        entries = []
        for s in passed:
            meta, m = run.scores[s].meta, summary[s]
            denom = int(run.denom[j, s])
            total = float(run.sums[j, s])
            ref = refs[s] if refs else None
            entry: dict = {
                **_score_head(meta, m),
                "sum": total,
                "avg": total / denom if denom else None,
                "denom": denom,
                "allele_ct": int(run.allele_ct[j, s]),
                "n_matched": m.n_matched,
                "n_variants": m.n_variants,
                "match_rate": m.match_rate,
                "reference": None,
            }
            if ref is not None:
                entry["reference"] = {
                    "population": ref.population or "all",
                    "n": ref.n,
                    "n_variants_shared": ref.n_variants_shared,
                    "target_value": float(ref.target_values[j]),
                    "mean": _jnum(ref.mean),
                    "sd": _jnum(ref.sd),
                    "percentile": _jnum(ref.percentile[j]),
                    "z": _jnum(ref.z[j]),
                    "density": {"x": ref.density_x, "y": ref.density_y},
                }
            else:
                entry["reference_note"] = note or NO_PANEL_NOTE
            entries.append(entry)
        samples.append({"sample_id": sample, "scores": entries})
    failed = [
        {
            "pgs_id": m.pgs_id,
            "n_matched": m.n_matched,
            "n_variants": m.n_variants,
            "match_rate": m.match_rate,
            "reason": "below minimum overlap",
        }
        for m in run.match.summary
        if not m.passed
    ]
    return {
        "genorx_version": __version__,
        "vcf": str(run.vcf),
        "samples": samples,
        "failed_scores": failed,
        "match": [summary_dict(m) for m in run.match.summary],
    }


def summary_dict(m: object) -> dict:
    keys = ("pgs_id", "n_rows", "n_variants", "n_matched", "match_rate", "passed", "duplicate_best_match")
    out = {k: getattr(m, k) for k in keys}
    out["outcomes"] = m.counts  # type: ignore[attr-defined]
    out["match_types"] = m.match_types  # type: ignore[attr-defined]
    return out


def summary_text(run: ScoreRun) -> str:
    outcomes = sorted({k for m in run.match.summary for k in m.counts})
    head = ["pgs_id", "n_rows", "n_variants", "n_matched", "match_rate", "passed", "duplicate_best_match"]
    lines = ["\t".join(head + outcomes)]
    for m in run.match.summary:
        cells = [m.pgs_id, num(m.n_rows), num(m.n_variants), num(m.n_matched), num(m.match_rate)]
        cells += [str(m.passed).lower(), num(m.duplicate_best_match)]
        cells += [str(m.counts.get(k, 0)) for k in outcomes]
        lines.append("\t".join(cells))
    return "\n".join(lines) + "\n"


def json_text(run: ScoreRun, refs: list[ScoreReference | None] | None, note: str | None) -> str:
    """``prs.json``: ``json.dumps(json_doc(...))``, indented for up to 20 samples. For more
    samples without a panel, each score's constant part is encoded once and only the four
    numbers per sample are formatted (``repr``, as the encoder does): the same text, ~5x
    faster for thousands of sample x score entries (tests/test_prs_kernel.py)."""
    n = len(run.samples)
    passed = passed_scores(run)
    sums = run.sums[:, passed].astype(np.float64) if passed else np.zeros((n, 0))
    simple = n > 20 and not (refs and any(r is not None for r in refs)) and np.isfinite(sums).all()
    if not simple:
        doc = json_doc(run, refs, note)
        return json.dumps(doc, indent=1 if n <= 20 else None, allow_nan=False) + "\n"
    summary = {m.score_idx: m for m in run.match.summary}
    per_score = []
    for s in passed:
        meta, m = run.scores[s].meta, summary[s]
        head = _score_head(meta, m)
        tail = {
            "n_matched": m.n_matched,
            "n_variants": m.n_variants,
            "match_rate": m.match_rate,
            "reference": None,
            "reference_note": note or NO_PANEL_NOTE,
        }
        denom = run.denom[:, s].astype(np.int64)
        total = run.sums[:, s].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            avg = total / np.where(denom != 0, denom, 1)
        avg_text = [repr(a) if d else "null" for a, d in zip(avg.tolist(), denom.tolist(), strict=True)]
        per_score.append(
            (
                json.dumps(head, allow_nan=False)[:-1] + ', "sum": ',
                [repr(v) for v in total.tolist()],
                avg_text,
                [str(v) for v in denom.tolist()],
                [str(v) for v in run.allele_ct[:, s].astype(np.int64).tolist()],
                ", " + json.dumps(tail, allow_nan=False)[1:],
            )
        )
    samples = []
    for j, sample in enumerate(run.samples):
        entries = ", ".join(
            f'{head}{t[j]}, "avg": {a[j]}, "denom": {d[j]}, "allele_ct": {c[j]}{tail}'
            for head, t, a, d, c, tail in per_score
        )
        samples.append(f'{{"sample_id": {json.dumps(sample)}, "scores": [{entries}]}}')
    doc = json_doc(_NoSamples(run), refs, note)
    top = json.dumps({"genorx_version": doc["genorx_version"], "vcf": doc["vcf"]})[:-1]
    rest = json.dumps({"failed_scores": doc["failed_scores"], "match": doc["match"]}, allow_nan=False)[1:]
    return f'{top}, "samples": [{", ".join(samples)}], {rest}\n'


class _NoSamples:
    """A run's view without samples (the document's other parts)."""

    def __init__(self, run: object) -> None:
        self.samples: list[str] = []
        self.match = run.match  # type: ignore[attr-defined]
        self.vcf = run.vcf  # type: ignore[attr-defined]
        self.scores = run.scores  # type: ignore[attr-defined]
