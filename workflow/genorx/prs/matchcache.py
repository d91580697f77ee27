"""Cached match results: re-scoring a cached VCF with the same scoring files skips reading
them, matching and building the weights.

With ``--cache-dir``, after a run the matched weights (the kernel's entries, weights and
per-entry sites), the per-score match summaries and metadata, and the compressed match log
are stored under ``DIR/<VCF id>/matches/<key>``, the key being a hash of the scoring files'
bytes (SHA-256 of each), the matching options, the chromosome, the build and whether DS is
read. The entry names the genotype entry it was matched against (``DIR/<VCF id>/<positions
hash>``); when that is gone, it is not used. Plain formats only (JSON, ``.npy``, parquet,
the log's gzip bytes): nothing executable is read back. A hit gives the same outputs as
matching again (tests/test_prs_ckernels.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from genorx.prs.match import MatchResult
from genorx.prs.rescore_cached import ARRAYS as _ARRAYS
from genorx.prs.rescore_cached import MATCH_FORMAT, SITE_ARRAYS, entry_dir, match_key
from genorx.prs.scorefile import ScoringFile
from genorx.prs.scoremeta import ScoreMatch, ScoreMeta
from genorx.prs.weights import WeightMatrix


@dataclass(frozen=True)
class MatchedWeights:
    """What matching produced and scoring needs."""

    scores: list[ScoringFile]  # metadata only (no rows)
    match: MatchResult  # summary and the compressed log (no rows)
    weights: WeightMatrix
    info: pl.DataFrame  # entry_table(): entry, cand, allele, effect_type, eff, chrom, pos, ref, alt


def load(entry: Path) -> tuple[MatchedWeights, str] | None:
    """The cached match and the name of its genotype entry, or None."""
    try:
        meta = json.loads((entry / "meta.json").read_text())
        if meta.get("format") != MATCH_FORMAT:
            return None
        arrays = {name: np.load(entry / f"{name}.npy") for name in _ARRAYS}
        keys = pl.read_parquet(entry / "keys.parquet")
        info = pl.read_parquet(entry / "info.parquet")
        log_gz = (entry / "match.tsv.gz").read_bytes()
    except (OSError, ValueError, KeyError, json.JSONDecodeError, pl.exceptions.PolarsError):
        return None
    scores = [ScoringFile(ScoreMeta(**m), pl.DataFrame()) for m in meta["scores"]]
    summary = [ScoreMatch(**s) for s in meta["summary"]]
    match = MatchResult(pl.DataFrame(), pl.DataFrame(), summary, log_gz)
    wm = WeightMatrix(keys, *(arrays[name] for name in _ARRAYS))
    return MatchedWeights(scores, match, wm, info), meta["candidates"]


def store(entry: Path, matched: MatchedWeights, candidates: str, sites: pl.DataFrame, log_gz: bytes) -> None:
    """Write the entry atomically (a temporary directory renamed); errors are ignored (a
    cache that cannot be written only costs the next run the matching). ``sites``: the
    candidates' sites, from which the per-entry ALT counts and chrX flags and the chrX
    records are stored (the cached re-score path reads no sites)."""
    from genorx.prs.score import entry_site_arrays

    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    except OSError:
        return
    try:
        wm = matched.weights
        for name in _ARRAYS:
            value = getattr(wm, name)
            np.save(tmp / f"{name}.npy", value if value is not None else np.zeros(0, np.int64))
        n_alts, on_x = entry_site_arrays(sites, wm.cand)
        x_rows = np.flatnonzero((sites["chrom"] == "X").to_numpy())
        for name, value in zip(SITE_ARRAYS, (n_alts, on_x, x_rows), strict=True):
            np.save(tmp / f"{name}.npy", value)
        wm.keys.write_parquet(tmp / "keys.parquet")
        matched.info.write_parquet(tmp / "info.parquet")
        (tmp / "match.tsv.gz").write_bytes(log_gz)
        meta = {
            "format": MATCH_FORMAT,
            "candidates": candidates,
            "scores": [dataclasses.asdict(s.meta) for s in matched.scores],
            "summary": [dataclasses.asdict(s) for s in matched.match.summary],
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        os.rename(tmp, entry)
    except (OSError, ValueError, pl.exceptions.PolarsError):
        pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


__all__ = ["MATCH_FORMAT", "MatchedWeights", "entry_dir", "load", "match_key", "store"]
