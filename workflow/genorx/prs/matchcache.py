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
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from genorx.prs.cache import vcf_id
from genorx.prs.match import MatchResult, ScoreMatch
from genorx.prs.scorefile import ScoreMeta, ScoringFile
from genorx.prs.weights import WeightMatrix

MATCH_FORMAT = "genorx-prs-match-v1"
_ARRAYS = ("cand", "allele", "etype", "weights", "member", "first")


@dataclass(frozen=True)
class MatchedWeights:
    """What matching produced and scoring needs."""

    scores: list[ScoringFile]  # metadata only (no rows)
    match: MatchResult  # summary and the compressed log (no rows)
    weights: WeightMatrix
    info: pl.DataFrame  # entry_table(): entry, cand, allele, effect_type, eff, chrom, pos, ref, alt


def match_key(scoring_files: list[Path], options: object, target_build: str | None) -> str:
    """Hash of the scoring files' bytes and everything that changes how they match."""
    h = hashlib.sha256(MATCH_FORMAT.encode())
    for path in scoring_files:
        with open(path, "rb") as fh:
            h.update(hashlib.file_digest(fh, "sha256").digest())
    m = options.match  # type: ignore[attr-defined]
    opts = [m.min_overlap, m.keep_ambiguous, m.keep_multiallelic, options.chrom, target_build]  # type: ignore[attr-defined]
    h.update(json.dumps([*opts, options.dosage]).encode())  # type: ignore[attr-defined]
    return h.hexdigest()[:24]


def entry_dir(cache_dir: Path, vcf: Path, dosage: bool, key: str) -> Path:
    return Path(cache_dir) / vcf_id(vcf, dosage) / "matches" / key


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


def store(entry: Path, matched: MatchedWeights, candidates: str, log_gz: bytes) -> None:
    """Write the entry atomically (a temporary directory renamed); errors are ignored (a
    cache that cannot be written only costs the next run the matching)."""
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
