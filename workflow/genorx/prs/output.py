"""``prs.tsv``, ``prs.json``, the match logs and plink2 score tables (formats in docs/contracts.md)."""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl

from genorx.atomic import atomic_path, write_text
from genorx.prs.libdeflate import gzip_member
from genorx.prs.match import MatchResult
from genorx.prs.outtext import TSV_COLUMNS, json_text, num, passed_scores, summary_text, tsv_text
from genorx.prs.reference import ScoreReference
from genorx.prs.score import ScoreRun

__all__ = ["TSV_COLUMNS", "match_log_gz", "num", "plink_score_tables", "write_outputs"]


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
            doc = json_text(run, refs, note)
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
