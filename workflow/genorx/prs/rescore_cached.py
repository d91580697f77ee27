"""The cached re-score path: ``genorx prs score --cache-dir DIR`` when DIR already holds both
this VCF's genotypes at the scoring positions and the match of these exact scoring files
(:mod:`genorx.prs.matchcache`). Everything it needs is numpy arrays, JSON and the stored
match log, so it imports no polars (~0.25 s of start-up): header -> cache key -> arrays ->
kernel -> the same text outputs as a full run (tests/test_prs_ckernels.py compares bytes).

Runs that need data frames (a reference panel, ``--ref-freq``, ``--sex``,
``--plink-scorefile``) take the general path, which still uses the cached match.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genorx.prs.cache import read_genotypes, vcf_id
from genorx.prs.scoremeta import ScoreMatch, ScoreMeta

MATCH_FORMAT = "genorx-prs-match-v2"
ARRAYS = ("cand", "allele", "etype", "weights", "member", "first")  # WeightMatrix fields, one .npy each
SITE_ARRAYS = ("n_alts", "on_x", "x_rows")  # per entry ALT count and chrX flag; chrX candidate rows


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


@dataclass(frozen=True)
class _Score:
    meta: ScoreMeta


@dataclass(frozen=True)
class _Match:
    summary: list[ScoreMatch]


@dataclass(frozen=True)
class _Weights:
    cand: np.ndarray
    allele: np.ndarray
    etype: np.ndarray
    weights: np.ndarray
    member: np.ndarray


@dataclass(frozen=True)
class CachedRun:
    """What the text outputs read (the fields of :class:`genorx.prs.score.ScoreRun` they use)."""

    vcf: Path
    samples: list[str]
    scores: list[_Score]
    match: _Match
    sums: np.ndarray
    denom: np.ndarray
    allele_ct: np.ndarray


@dataclass(frozen=True)
class _Options:  # what match_key reads, without importing the polars-backed ScoreOptions
    match: object
    chrom: str | None
    dosage: bool


def eligible(args: object) -> bool:
    """Whether this run can take the cached path at all (else the general one)."""
    a = args
    return a.cache_dir is not None and not any(  # type: ignore[attr-defined]
        (a.reference_vcf, a.reference_populations, a.ref_freq, a.sex, a.plink_scorefile)  # type: ignore[attr-defined]
    )


def _load(entry: Path) -> tuple[dict, dict[str, np.ndarray], bytes] | None:
    try:
        meta = json.loads((entry / "meta.json").read_text())
        if meta.get("format") != MATCH_FORMAT:
            return None
        arrays = {name: np.load(entry / f"{name}.npy") for name in (*ARRAYS, *SITE_ARRAYS)}
        log_gz = (entry / "match.tsv.gz").read_bytes()
    except (OSError, ValueError, KeyError, json.JSONDecodeError):
        return None
    return meta, arrays, log_gz


def try_rescore(args: object) -> int | None:
    """Score from the cache and write the outputs (0), or None when the cache cannot serve
    this run (the caller then runs the general path)."""
    from genorx.prs.scoremeta import MatchOptions
    from genorx.prs.vcfheader import read_header

    a = args
    if not eligible(a):
        return None
    t0 = time.perf_counter(), time.process_time()
    vcf = Path(a.vcf)  # type: ignore[attr-defined]
    header = read_header(vcf, a.use_dosage)  # type: ignore[attr-defined]
    mopts = MatchOptions(a.min_overlap, a.keep_ambiguous, a.keep_multiallelic)  # type: ignore[attr-defined]
    opts = _Options(mopts, a.chrom, a.use_dosage)  # type: ignore[attr-defined]
    build = a.target_build or header.build  # type: ignore[attr-defined]
    key = match_key(list(a.scoring_files), opts, build)  # type: ignore[attr-defined]
    entry = entry_dir(a.cache_dir, vcf, a.use_dosage, key)  # type: ignore[attr-defined]
    loaded = _load(entry) if entry.is_dir() else None
    if loaded is None:
        return None
    meta, arr, log_gz = loaded
    cands = read_genotypes(entry.parent.parent / meta["candidates"])
    if cands is None or len(arr["n_alts"]) != len(arr["cand"]):
        return None
    run = _score(vcf, cands, meta, arr, a)
    if os.environ.get("GENORX_PRS_TIMING"):
        wall, cpu = time.perf_counter() - t0[0], time.process_time() - t0[1]
        print(f"genorx: timing: cached re-score wall {wall:.3f}s cpu {cpu:.3f}s", file=sys.stderr)
    _write(run, a, log_gz)
    return 0


def _score(vcf: Path, cands: object, meta: dict, arr: dict[str, np.ndarray], a: object) -> CachedRun:
    from genorx.prs.kernel_run import score_entries
    from genorx.prs.ploidy import infer_males

    genos = cands.genotypes()  # type: ignore[attr-defined]
    x_rows = arr["x_rows"]
    male = infer_males(genos, x_rows) if len(x_rows) else None  # type: ignore[arg-type]
    wm = _Weights(*(arr[name] for name in ARRAYS[:5]))
    given = np.full(len(wm.cand), np.nan)
    mean_impute = not a.no_mean_imputation  # type: ignore[attr-defined]
    sums, denom, allele_ct, _ = score_entries(
        genos,  # type: ignore[arg-type]
        cands.ds,  # type: ignore[attr-defined]
        wm,
        arr["n_alts"],
        arr["on_x"].astype(np.bool_),
        given,
        mean_impute,
        male,
        a.threads,  # type: ignore[attr-defined]
    )
    return CachedRun(
        vcf=vcf,
        samples=cands.samples,  # type: ignore[attr-defined]
        scores=[_Score(ScoreMeta(**m)) for m in meta["scores"]],
        match=_Match([ScoreMatch(**s) for s in meta["summary"]]),
        sums=sums,
        denom=denom,
        allele_ct=allele_ct,
    )


def _write(run: CachedRun, a: object, log_gz: bytes) -> None:
    """The outputs of :func:`genorx.prs.output.write_outputs`, in its order (no reference)."""
    from genorx.atomic import atomic_path, write_text
    from genorx.prs.outtext import json_text, summary_text, tsv_text

    for m in run.match.summary:
        if not m.passed and a.chrom is None:  # type: ignore[attr-defined]
            print(
                f"genorx: warning: score {m.pgs_id} skipped: {m.n_matched} of {m.n_variants} variants "
                f"matched ({m.match_rate:.1%} < {a.min_overlap:.0%})",  # type: ignore[attr-defined]
                file=sys.stderr,
            )
    out: Path = a.out  # type: ignore[attr-defined]
    out_json = a.json or out.with_suffix(".json")  # type: ignore[attr-defined]
    prefix = out.with_suffix("")
    tsv = tsv_text(run, None)  # type: ignore[arg-type]
    doc = json_text(run, None, None)  # type: ignore[arg-type]
    with atomic_path(Path(f"{prefix}.match.tsv.gz")) as tmp:
        tmp.write_bytes(log_gz)
    write_text(Path(f"{prefix}.match_summary.tsv"), summary_text(run))  # type: ignore[arg-type]
    write_text(out_json, doc)
    write_text(out, tsv)
