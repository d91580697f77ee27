"""``prs.tsv``, ``prs.json``, the match logs and plink2 score tables (formats in docs/contracts.md)."""

from __future__ import annotations

import io
import json
import math
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

from genorx import __version__
from genorx.atomic import atomic_path, write_text
from genorx.prs.libdeflate import gzip_member
from genorx.prs.match import MatchResult
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
                "pgs_id": m.pgs_id,
                "pgs_name": meta.pgs_name,
                "trait": meta.trait_reported,
                "trait_mapped": meta.trait_mapped,
                "citation": meta.citation,
                "genome_build": meta.positions_build,
                "demonstration": meta.demonstration,
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


def match_log_frame(match: MatchResult) -> pl.DataFrame:
    return match.log.select(
        "pgs_id",
        "row_nr",
        "line",
        "chrom",
        "pos",
        "effect_allele",
        "other_allele",
        "weight",
        "effect_type",
        "outcome",
        "match_type",
        "target_variant",
        "ambiguous",
        "multiallelic",
        "duplicate_best_match",
    )


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


def write_outputs(
    run: ScoreRun,
    out_tsv: Path,
    out_json: Path | None,
    log_prefix: Path | None,
    refs: list[ScoreReference | None] | None,
    note: str | None,
    log_gz: Future[bytes] | None = None,
    reference_part: Path | None = None,
) -> None:
    """Everything is computed first; each file is then written atomically. ``log_gz``: the
    match log already being compressed (see :func:`match_log_gz`)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        # the match log can hold millions of rows: written by polars and compressed by
        # libdeflate (both release the GIL) while the tables are built here
        log = None
        if log_prefix is not None:
            log = log_gz or pool.submit(match_log_gz, run.match)
        tsv = tsv_text(run, refs)
        doc = None
        if out_json is not None:
            # the C encoder only runs without indent: indent small documents only
            indent = 1 if len(run.samples) <= 20 else None
            doc = json.dumps(json_doc(run, refs, note), indent=indent, allow_nan=False) + "\n"
        if log is not None:
            gz = log.result()
            with atomic_path(Path(f"{log_prefix}.match.tsv.gz")) as tmp:
                tmp.write_bytes(gz)
            write_text(Path(f"{log_prefix}.match_summary.tsv"), summary_text(run))
    if reference_part is not None and refs is not None:
        write_text(reference_part, reference_part_text(run, refs))
    if out_json is not None and doc is not None:
        write_text(out_json, doc)
    write_text(out_tsv, tsv)


def match_log_gz(match: MatchResult, threads: int = 2, rows: int = 200_000) -> bytes:
    """The match log (every scoring-file row), as gzipped TSV: written ``rows`` at a time,
    each part compressed (as its own gzip member) while the next is formatted, so the
    whole text never sits in memory."""
    if match.log_gz is not None:
        return match.log_gz
    frame = match_log_frame(match)
    parts = []
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        for lo in range(0, max(frame.height, 1), rows):
            buf = io.BytesIO()
            frame.slice(lo, rows).write_csv(buf, separator="\t", null_value="", include_header=lo == 0)
            parts.append(pool.submit(gzip_member, buf.getbuffer(), 1))
        return b"".join(p.result() for p in parts)


REFERENCE_PART_COLUMNS = ["pgs_id", "role", "sample_id", "value", "n_variants_shared", "population"]


def reference_part_text(run: ScoreRun, refs: list[ScoreReference | None]) -> str:
    """A chromosome part's reference scores, for ``genorx prs gather`` to add up and rank:
    per score, each target sample's value on the variants it shares with the panel
    (``role`` target) and each panel population member's score (``role`` panel)."""
    lines = ["\t".join(REFERENCE_PART_COLUMNS)]
    for s in passed_scores(run):
        ref = refs[s]
        if ref is None:
            continue
        pgs, pop, shared = run.scores[s].meta.pgs_id, ref.population or "all", str(ref.n_variants_shared)
        for sample, value in zip(run.samples, ref.target_values, strict=True):
            lines.append("\t".join([pgs, "target", sample, num(value), shared, pop]))
        for sample, value in zip(ref.panel_samples, ref.panel_values, strict=True):
            lines.append("\t".join([pgs, "panel", sample, num(value), shared, pop]))
    return "\n".join(lines) + "\n"


def plink_score_tables(run: ScoreRun) -> list[pl.DataFrame]:
    """plink2 ``--score`` inputs for the additive matched entries: ``ID effect_allele <pgs_id>...``
    with ID = ``chrom:pos:ref:alt1`` of the target record (plink2's ``@:#:$r:$a``, first ALT);
    split so no ID repeats in a table."""
    info = run.entry_info
    wm = run.weights
    pass_idx = passed_scores(run)
    names = [run.scores[s].meta.pgs_id for s in pass_idx]
    frame = info.select(
        pl.format("{}:{}:{}:{}", "chrom", "pos", "ref", pl.col("alt").str.split(",").list.first()).alias(
            "ID"
        ),
        pl.col("eff").alias("effect_allele"),
    ).with_columns(
        [
            pl.Series(n, np.where(wm.member[:, s], wm.weights[:, s], 0.0))
            for n, s in zip(names, pass_idx, strict=True)
        ]
    )
    keep = (wm.etype == 0) & wm.member[:, pass_idx].any(axis=1) & (wm.allele >= 0)
    frame = frame.filter(pl.Series(keep)).with_columns(part=pl.col("ID").cum_count().over("ID"))
    return [p.drop("part") for p in frame.partition_by("part", maintain_order=True)]
