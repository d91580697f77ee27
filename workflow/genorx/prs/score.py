"""Score a VCF: scoring files -> positions -> candidate genotypes -> match -> kernel."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from genorx.errors import GenorxError
from genorx.prs import freqs as freqmod
from genorx.prs import matchcache, ploidy
from genorx.prs.alleles import norm_chrom
from genorx.prs.cache import cache_key, has_entries, load_candidates, read_entry
from genorx.prs.kernel_run import score_entries
from genorx.prs.match import MatchOptions, MatchResult, match_scores
from genorx.prs.scorefile import ScoringFile, read_scoring_files
from genorx.prs.vcfheader import Candidates, read_header, site_keys
from genorx.prs.weights import WeightMatrix, build_weights


@dataclass(frozen=True)
class ScoreOptions:
    match: MatchOptions = field(default_factory=MatchOptions)
    mean_impute: bool = True
    threads: int = 2
    target_build: str | None = None
    ref_freq: Path | None = None
    cache_dir: Path | None = None
    chrom: str | None = None  # score one chromosome only (scatter); no min-overlap check
    dosage: bool = False  # use DS where present (plink2 dosage=DS)
    sex: Path | None = None  # sample sexes (else inferred from chrX calls)


@dataclass(frozen=True)
class ScoreRun:
    """Everything one scoring run produced; arrays are ``[n_samples, n_scores]``."""

    vcf: Path
    samples: list[str]
    scores: list[ScoringFile]  # metadata only: the rows are in match.log
    match: MatchResult
    weights: WeightMatrix
    entry_info: pl.DataFrame  # entry, chrom, pos, ref, alt, eff, freq
    sums: np.ndarray
    denom: np.ndarray
    allele_ct: np.ndarray
    from_cache: bool
    candidates: Candidates
    mean_impute: bool
    male: np.ndarray | None  # samples scored haploid on chrX (None: no chrX record)
    threads: int = 2
    store_match: Callable[[bytes], None] | None = None  # caches the match, given the log's gzip

    @property
    def n_records(self) -> int:
        return self.candidates.n_records


def rescore(run: ScoreRun, freq: np.ndarray) -> ScoreRun:
    """The same run with other imputation frequencies (NaN entries keep the current ones)."""
    current = run.entry_info["freq"].to_numpy()
    freq = np.where(np.isnan(freq), current, freq)
    sums, denom, allele_ct, freq = run_kernel(
        run.candidates, run.weights, freq, run.mean_impute, run.male, run.threads
    )
    return replace(
        run,
        entry_info=run.entry_info.with_columns(freq=pl.Series(freq)),
        sums=sums,
        denom=denom,
        allele_ct=allele_ct,
    )


def score_positions(scores: list[ScoringFile], chrom: str | None = None) -> pl.DataFrame:
    """Distinct (chrom, pos) of every scorable row."""
    rows = pl.concat(
        [s.rows.filter(pl.col("skip").is_null()).select("chrom", "pos") for s in scores]
    ).unique()
    if chrom is not None:
        rows = rows.filter(pl.col("chrom") == norm_chrom(chrom))
    return rows.sort(["chrom", "pos"])


def entry_table(wm: WeightMatrix, match: MatchResult, sites: pl.DataFrame) -> pl.DataFrame:
    """Per kernel entry: the target site and the effect allele as it reads on the target strand."""
    first = match.entries[wm.first] if wm.first is not None else match.entries.head(0)
    eff = freqmod.effect_sequences(first).select("eff")
    return pl.concat([wm.keys, eff], how="horizontal").join(
        sites.select(pl.col("cand").cast(pl.Int64), "chrom", "pos", "ref", "alt"),
        on="cand",
        how="left",
        maintain_order="left",
    )


def entry_site_arrays(sites: pl.DataFrame, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per entry: its record's ALT count (0 for ``.``) and whether it is on chrX."""
    n_alts = (
        sites.select(
            pl.when(pl.col("alt") == ".").then(0).otherwise(pl.col("alt").str.count_matches(",") + 1)
        )
        .to_series()
        .to_numpy()
        .astype(np.int64)
    )
    on_x = (sites["chrom"] == "X").to_numpy()
    return n_alts[cand], on_x[cand]


def run_kernel(
    cands: Candidates,
    wm: WeightMatrix,
    given: np.ndarray,
    mean_impute: bool,
    male: np.ndarray | None,
    threads: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(sums, denom, allele_ct) ``[n_samples, n_scores]`` and the imputation frequency of
    every entry (``given`` where not NaN, else the cohort's)."""
    n_alts, on_x = entry_site_arrays(cands.sites, wm.cand)
    genos = cands.genotypes()
    return score_entries(genos, cands.ds, wm, n_alts, on_x, given, mean_impute, male, threads)  # type: ignore[arg-type]


def given_freqs(info: pl.DataFrame, ref_table: pl.DataFrame | None) -> np.ndarray:
    """Per entry: the frequency from ``--ref-freq`` where it lists the allele, else NaN."""
    if ref_table is None or info.height == 0:
        return np.full(info.height, np.nan)
    return freqmod.table_freqs(info.select("entry", "chrom", "pos", "ref", "eff"), ref_table)


def failure_message(match: MatchResult, options: MatchOptions) -> str:
    parts = [
        f"{m.pgs_id} matched {m.n_matched} of {m.n_variants} variants ({m.match_rate:.1%})"
        for m in match.summary
    ]
    return f"no score reaches the minimum overlap {options.min_overlap:.0%}: " + "; ".join(parts)


def _stage(name: str, t0: list[float]) -> None:
    """With GENORX_PRS_TIMING set, print the seconds each stage took (and the resident set
    at its end) to stderr."""
    if os.environ.get("GENORX_PRS_TIMING"):
        now, cpu = time.perf_counter(), time.process_time()
        rss = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") >> 20
        print(
            f"genorx: timing: {name} wall {now - t0[0]:.3f}s cpu {cpu - t0[1]:.3f}s rss {rss} MB",
            file=sys.stderr,
        )
        t0[0], t0[1] = now, cpu


def _warm_scan() -> None:
    from genorx.prs.vcfscan import warm_up

    warm_up()


def score_vcf(
    vcf: Path,
    scoring_files: list[Path],
    options: ScoreOptions,
    on_match: Callable[[MatchResult], None] | None = None,
) -> ScoreRun:
    """Score every sample of ``vcf`` with every score of ``scoring_files``; ``on_match`` is
    called with the match result as soon as it is known (the CLI starts writing the match
    log then, while the genotypes are scored)."""
    t0 = [time.perf_counter(), time.process_time()]
    vcf = Path(vcf)
    header = read_header(vcf, options.dosage)
    target_build = options.target_build or header.build
    ref_table = freqmod.read_ref_freq(options.ref_freq) if options.ref_freq else None
    mentry = None
    if options.cache_dir is not None:
        mentry = matchcache.entry_dir(
            options.cache_dir, vcf, options.dosage, matchcache.match_key(scoring_files, options, target_build)
        )
        hit = matchcache.load(mentry) if mentry.is_dir() else None
        cands = read_entry(mentry.parent.parent / hit[1]) if hit is not None else None
        if hit is not None and cands is not None:  # scoring files, matching, weights: all cached
            _stage("cache load (genotypes and match)", t0)
            if on_match is not None:
                on_match(hit[0].match)
            return _score_matched(vcf, cands, hit[0], options, ref_table, True, t0)
    warm = None
    if not has_entries(options.cache_dir, vcf, options.dosage):  # the VCF will be scanned
        warm = threading.Thread(target=_warm_scan, daemon=True)
        warm.start()  # the scan kernels load (a first run builds them) while polars reads the scores
    scores = read_scoring_files(list(scoring_files), target_build, options.threads)
    rows = pl.concat([s.rows.filter(pl.col("skip").is_null()).select("chrom", "pos") for s in scores])
    if options.chrom is not None:
        rows = rows.filter(pl.col("chrom") == norm_chrom(options.chrom))
    keys = site_keys(rows["chrom"], rows["pos"])
    _stage("read scoring files", t0)
    if warm is not None:
        warm.join()
    cands, hit = load_candidates(vcf, keys, options.threads, options.cache_dir, header, options.dosage)
    _stage("cache load" if hit else "scan VCF", t0)
    run = score_candidates(vcf, cands, scores, options, ref_table, hit, t0, on_match)
    if mentry is None:
        return run
    matched = matchcache.MatchedWeights(run.scores, run.match, run.weights, run.entry_info.drop("freq"))
    name = cache_key(vcf, keys, options.dosage).rsplit("/", 1)[1]
    sites = run.candidates.sites
    return replace(run, store_match=lambda gz: matchcache.store(mentry, matched, name, sites, gz))


def score_candidates(
    vcf: Path,
    cands: Candidates,
    scores: list[ScoringFile],
    options: ScoreOptions,
    ref_table: pl.DataFrame | None = None,
    from_cache: bool = False,
    t0: list[float] | None = None,
    on_match: Callable[[MatchResult], None] | None = None,
) -> ScoreRun:
    t0 = t0 or [time.perf_counter(), time.process_time()]
    mopts = options.match
    if options.chrom is not None:  # a scatter part: the gather step checks the overlap
        mopts = MatchOptions(0.0, mopts.keep_ambiguous, mopts.keep_multiallelic)
        chrom = norm_chrom(options.chrom)
        scores = [
            type(s)(meta=s.meta, rows=s.rows.filter(pl.col("chrom") == chrom)) if s.rows.height else s
            for s in scores
        ]
    match = match_scores(scores, cands.sites, mopts)
    _stage("match", t0)
    if options.chrom is None and not any(m.passed for m in match.summary):
        raise GenorxError(
            f"{vcf}: {failure_message(match, mopts)}; fix: check the genome build and the "
            "chromosome naming, or lower --min-overlap"
        )
    if on_match is not None:
        on_match(match)
    wm = build_weights(match.entries, len(scores))
    info = entry_table(wm, match, cands.sites)
    # what matching needed and nothing later does: released before the genotypes are scored
    match = replace(match, entries=match.entries.clear())
    scores = [type(s)(meta=s.meta, rows=s.rows.clear()) for s in scores]
    matched = matchcache.MatchedWeights(scores, match, wm, info)
    return _score_matched(vcf, cands, matched, options, ref_table, from_cache, t0)


def _score_matched(
    vcf: Path,
    cands: Candidates,
    matched: matchcache.MatchedWeights,
    options: ScoreOptions,
    ref_table: pl.DataFrame | None,
    from_cache: bool,
    t0: list[float],
) -> ScoreRun:
    """Score the matched weights over the candidates' genotypes."""
    scores, match, wm, info = matched.scores, matched.match, matched.weights, matched.info
    sex = ploidy.read_sex(options.sex, cands.samples) if options.sex else None
    male = ploidy.males(cands.genotypes(), cands.sites["chrom"], sex)  # type: ignore[arg-type]
    _stage("weights", t0)
    sums, denom, allele_ct, freq = run_kernel(
        cands, wm, given_freqs(info, ref_table), options.mean_impute, male, options.threads
    )
    _stage("score kernel", t0)
    return ScoreRun(
        vcf=vcf,
        samples=cands.samples,
        scores=scores,
        match=match,
        weights=wm,
        entry_info=info.with_columns(freq=pl.Series(freq)),
        sums=sums,
        denom=denom,
        allele_ct=allele_ct,
        from_cache=from_cache,
        candidates=cands,
        mean_impute=options.mean_impute,
        male=male,
        threads=options.threads,
    )
