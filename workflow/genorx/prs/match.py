"""Match score rows to target records the way pgsc_calc (pgscatalog-match) does.

Join on chromosome + position, then label each (row, record, ALT) pair with the best
allele agreement, in priority order::

    refalt > altref > refalt_flip > altref_flip > no_oa_ref > no_oa_alt > no_oa_ref_flip > no_oa_alt_flip

(``refalt``: effect allele = REF and other allele = ALT; ``_flip``: after complementing
the score's alleles; ``no_oa_*``: rows without an other allele). A row keeps its best
candidates; when several records tie, the first in file order is kept and the row is
flagged ``duplicate_best_match``. Then, as pgsc_calc does, a best match is excluded when
the site is strand-ambiguous (A/T, C/G; unless ``keep_ambiguous``), multi-allelic
(unless ``keep_multiallelic``: the row then matches the ALT that agrees), or when several
rows of one score best-match the same target variant (``duplicate_id``, all excluded).

A record whose ALT is ``.`` (a confirmed hom-ref site of a single-sample targets VCF)
matches on REF: the effect allele is REF (dosage = ploidy) or, when the other allele
(or, with none, any other effect allele) is REF, absent (dosage 0).

Match rate = matched rows / scorable rows of the score (skipped rows are logged only).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from genorx.prs.alleles import complement_series
from genorx.prs.scorefile import ScoringFile

PRIORITY = [
    "refalt",
    "altref",
    "refalt_flip",
    "altref_flip",
    "no_oa_ref",
    "no_oa_alt",
    "no_oa_ref_flip",
    "no_oa_alt_flip",
]
ABSENT = -1  # effect allele not among the record's alleles (hom-ref site): dosage 0


@dataclass(frozen=True)
class MatchOptions:
    min_overlap: float = 0.75
    keep_ambiguous: bool = False
    keep_multiallelic: bool = False


@dataclass(frozen=True)
class ScoreMatch:
    """How one score matched."""

    score_idx: int
    pgs_id: str
    n_rows: int  # rows in the file, skipped ones included
    n_variants: int  # scorable rows (the match-rate denominator)
    n_matched: int
    match_rate: float
    passed: bool
    duplicate_best_match: int
    counts: dict[str, int]  # outcome -> rows
    match_types: dict[str, int]  # match type -> matched rows


@dataclass(frozen=True)
class MatchResult:
    """``entries``: one row per scored (score, row): score_idx, row_nr, cand, allele,
    effect_type, weight (passing scores only). ``log``: every score row and its outcome.
    ``summary``: per score counts, match rate and pass/fail."""

    entries: pl.DataFrame
    log: pl.DataFrame
    summary: list[ScoreMatch]


def score_rows(scores: list[ScoringFile]) -> pl.DataFrame:
    """All rows of all scores, with ``score_idx`` and ``pgs_id``."""
    parts = [
        sf.rows.with_columns(score_idx=pl.lit(i, pl.Int32), pgs_id=pl.lit(sf.meta.pgs_id))
        for i, sf in enumerate(scores)
    ]
    return pl.concat(parts, how="vertical")


def _explode_sites(sites: pl.DataFrame) -> pl.DataFrame:
    alts = pl.col("alt").str.split(",")
    return (
        sites.with_columns(
            alts=pl.when(pl.col("alt") == ".").then(pl.lit([], dtype=pl.List(pl.String))).otherwise(alts)
        )
        .with_columns(n_alts=pl.col("alts").list.len())
        .with_columns(
            alts=pl.when(pl.col("n_alts") == 0)
            .then(pl.lit([None], dtype=pl.List(pl.String)))
            .otherwise(pl.col("alts")),
            k=pl.when(pl.col("n_alts") == 0)
            .then(pl.lit([0], dtype=pl.List(pl.Int32)))
            .otherwise(pl.int_ranges(1, pl.col("n_alts") + 1, dtype=pl.Int32)),
        )
        .explode(["alts", "k"])
        .rename({"alts": "t_alt"})
        .select("cand", "chrom", "pos", pl.col("ref").alias("t_ref"), "t_alt", "k", "n_alts")
    )


def _candidate_pairs(rows: pl.DataFrame, sites: pl.DataFrame) -> pl.DataFrame:
    """Every (row, record, ALT) pair at a shared position, labelled with its match type."""
    pairs = rows.join(_explode_sites(sites), on=["chrom", "pos"], how="inner")
    pairs = pairs.with_columns(
        ea_f=complement_series(pairs["effect_allele"]),
        oa_f=complement_series(pairs["other_allele"]),
        t_ref_f=complement_series(pairs["t_ref"]),
    )
    ea, oa, eaf, oaf = pl.col("effect_allele"), pl.col("other_allele"), pl.col("ea_f"), pl.col("oa_f")
    ref, alt = pl.col("t_ref"), pl.col("t_alt")
    has_oa, ref_only = oa.is_not_null(), alt.is_null()
    alt_or_any = alt.is_null() | (oa == alt)
    alt_or_any_f = alt.is_null() | (oaf == alt)
    # (condition, match type, effect allele index) in priority order
    rules = [
        (has_oa & (ea == ref) & alt_or_any, "refalt", pl.lit(0)),
        (has_oa & (oa == ref) & (ref_only | (ea == alt)), "altref", pl.col("k")),
        (has_oa & (eaf == ref) & alt_or_any_f, "refalt_flip", pl.lit(0)),
        (has_oa & (oaf == ref) & (ref_only | (eaf == alt)), "altref_flip", pl.col("k")),
        (~has_oa & (ea == ref), "no_oa_ref", pl.lit(0)),
        (~has_oa & ((ea == alt) | (ref_only & (eaf != ref))), "no_oa_alt", pl.col("k")),
        (~has_oa & (eaf == ref), "no_oa_ref_flip", pl.lit(0)),
        (~has_oa & (eaf == alt), "no_oa_alt_flip", pl.col("k")),
    ]
    mt: pl.Expr = pl.lit(None, dtype=pl.String)
    allele: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for cond, name, idx in reversed(rules):
        mt = pl.when(cond).then(pl.lit(name)).otherwise(mt)
        allele = pl.when(cond).then(idx.cast(pl.Int32)).otherwise(allele)
    pairs = pairs.with_columns(match_type=mt, allele=allele)
    # an effect allele that is ALT at a hom-ref-only record is absent (dosage 0)
    pairs = pairs.with_columns(
        allele=pl.when(
            ref_only
            & (pl.col("allele") == 0)
            & pl.col("match_type").is_in(["altref", "altref_flip", "no_oa_alt"])
        )
        .then(pl.lit(ABSENT, pl.Int32))
        .otherwise(pl.col("allele"))
    )
    site_ref_flip = pl.col("t_ref_f")
    ambiguous = (
        pl.when(alt.is_not_null())
        .then(site_ref_flip == alt)
        .otherwise(pl.when(has_oa).then(eaf == oa).otherwise(eaf == ref))
    )
    return pairs.with_columns(
        ambiguous=ambiguous.fill_null(False),
        priority=pl.col("match_type").replace_strict(PRIORITY, list(range(len(PRIORITY))), default=None),
        multiallelic=pl.col("n_alts") > 1,
    )


def match_scores(scores: list[ScoringFile], sites: pl.DataFrame, options: MatchOptions) -> MatchResult:
    """Match every score against the target records in ``sites`` (see module docstring)."""
    rows = score_rows(scores)
    scorable = rows.filter(pl.col("skip").is_null())
    pairs = _candidate_pairs(
        scorable.select("score_idx", "row_nr", "chrom", "pos", "effect_allele", "other_allele"), sites
    )
    key = pl.col("score_idx").cast(pl.Int64) * (1 << 32) + pl.col("row_nr")
    pairs = pairs.with_columns(rk=key)
    at_site = pairs.select("rk").unique()
    # a REF-type match without other allele repeats for every ALT of a record: keep one
    repeat = (pl.col("allele") == 0) & (pl.col("k") > 1) & pl.col("match_type").str.starts_with("no_oa")
    best = (
        pairs.filter(pl.col("match_type").is_not_null() & ~repeat)
        .sort(["rk", "priority", "cand", "k"])
        .with_columns(n_best=pl.len().over(["rk", "priority"]))
        .filter(pl.col("rk").is_first_distinct())
        .with_columns(duplicate_best_match=pl.col("n_best") > 1)
    )
    best = best.with_columns(
        duplicate_id=pl.len().over(["score_idx", "cand", "k"]) > 1,
    ).with_columns(
        exclude=pl.when(pl.col("ambiguous") & (not options.keep_ambiguous))
        .then(pl.lit("excluded_ambiguous"))
        .when(pl.col("multiallelic") & (not options.keep_multiallelic))
        .then(pl.lit("excluded_multiallelic"))
        .when(pl.col("duplicate_id"))
        .then(pl.lit("excluded_duplicate_id"))
        .otherwise(None)
    )
    target = pl.format("{}:{}:{}:{}", "chrom", "pos", "t_ref", pl.col("t_alt").fill_null("."))
    best = best.select(
        "rk",
        "score_idx",
        "row_nr",
        "cand",
        "allele",
        "match_type",
        "ambiguous",
        "multiallelic",
        "duplicate_best_match",
        "exclude",
        target.alias("target_variant"),
    )
    log = (
        rows.with_columns(rk=key)
        .join(best.drop("score_idx", "row_nr"), on="rk", how="left")
        .join(at_site.with_columns(at_site=pl.lit(True)), on="rk", how="left")
        .with_columns(
            outcome=pl.when(pl.col("skip").is_not_null())
            .then(pl.concat_str(pl.lit("skipped_"), pl.col("skip")))
            .when(pl.col("match_type").is_null() & pl.col("at_site").is_null())
            .then(pl.lit("unmatched_no_site"))
            .when(pl.col("match_type").is_null())
            .then(pl.lit("unmatched_alleles"))
            .when(pl.col("exclude").is_not_null())
            .then(pl.col("exclude"))
            .otherwise(pl.lit("matched"))
        )
        .drop("at_site", "exclude", "rk")
        .sort(["score_idx", "row_nr"])
    )
    summary = _summary(scores, log, options)
    passing = [m.score_idx for m in summary if m.passed]
    entries = (
        log.filter((pl.col("outcome") == "matched") & pl.col("score_idx").is_in(passing))
        .select(
            "score_idx",
            "row_nr",
            pl.col("cand").cast(pl.Int64),
            "allele",
            "effect_type",
            "weight",
            "match_type",
        )
        .sort(["cand", "allele", "score_idx", "row_nr"])
    )
    return MatchResult(entries=entries, log=log, summary=summary)


def _summary(scores: list[ScoringFile], log: pl.DataFrame, options: MatchOptions) -> list[ScoreMatch]:
    outcomes: dict[int, dict[str, int]] = {}
    for i, outcome, n in log.group_by(["score_idx", "outcome"]).len().iter_rows():
        outcomes.setdefault(i, {})[outcome] = int(n)
    types: dict[int, dict[str, int]] = {}
    matched = log.filter(pl.col("outcome") == "matched")
    for i, mt, n in matched.group_by(["score_idx", "match_type"]).len().iter_rows():
        types.setdefault(i, {})[mt] = int(n)
    dups = dict(
        log.group_by("score_idx").agg(pl.col("duplicate_best_match").fill_null(False).sum()).iter_rows()
    )
    out = []
    for i, sf in enumerate(scores):
        counts = outcomes.get(i, {})
        n_variants = sf.n_scorable
        n_matched = counts.get("matched", 0)
        rate = n_matched / n_variants if n_variants else 0.0
        out.append(
            ScoreMatch(
                score_idx=i,
                pgs_id=sf.meta.pgs_id,
                n_rows=sf.n_rows,
                n_variants=n_variants,
                n_matched=n_matched,
                match_rate=rate,
                passed=rate >= options.min_overlap - 1e-12 and n_matched > 0,
                duplicate_best_match=int(dups.get(i, 0)),
                counts=dict(sorted(counts.items())),
                match_types={k: types.get(i, {}).get(k, 0) for k in PRIORITY},
            )
        )
    return out
