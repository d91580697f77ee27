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

import numpy as np
import polars as pl

from genorx.prs.alleles import CHROM_CODES, complement_series
from genorx.prs.scorefile import ScoringFile
from genorx.prs.scoremeta import MatchOptions, ScoreMatch

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
MAX_ALLELE_IDS = 1 << 13  # distinct allele strings that fit the 13-bit ids of a variant id


@dataclass(frozen=True)
class MatchResult:
    """``entries``: one row per scored (score, row): score_idx, row_nr, cand, allele,
    effect_type, weight, match_type, effect_allele (passing scores only). ``log``: every
    score row and its outcome. ``summary``: per score counts, match rate and pass/fail."""

    entries: pl.DataFrame
    log: pl.DataFrame
    summary: list[ScoreMatch]
    log_gz: bytes | None = None  # the log already written and compressed (a cached match)


def score_rows(scores: list[ScoringFile]) -> pl.DataFrame:
    """All rows of all scores, with ``score_idx`` and ``pgs_id`` (an enum: a byte or two a row)."""
    ids = pl.Enum(list(dict.fromkeys(sf.meta.pgs_id for sf in scores)))
    parts = [
        sf.rows.with_columns(score_idx=pl.lit(i, pl.Int32), pgs_id=pl.lit(sf.meta.pgs_id, dtype=ids))
        for i, sf in enumerate(scores)
    ]
    return pl.concat(parts, how="vertical")


def _site_key(chrom: pl.Expr, pos: pl.Expr) -> pl.Expr:
    """``chrom_code << 32 | pos`` (null for contigs that are never scored)."""
    code = chrom.replace_strict(CHROM_CODES, default=None, return_dtype=pl.Int64)
    return code * (1 << 32) + pos


def _explode_sites(sites: pl.DataFrame) -> pl.DataFrame:
    """One row per (record, ALT); a hom-ref-only record (ALT ``.``) gives one row, ALT null, k 0."""
    frame = sites.select(
        "cand",
        _site_key(pl.col("chrom"), pl.col("pos")).alias("key"),
        pl.col("chrom").alias("t_chrom"),
        pl.col("pos").alias("t_pos"),
        pl.col("ref").alias("t_ref"),
        pl.col("alt").alias("t_alt"),
        n_alts=pl.when(pl.col("alt") == ".")
        .then(0)
        .otherwise(pl.col("alt").str.count_matches(",", literal=True) + 1)
        .cast(pl.Int32),
    )
    simple = frame.filter(pl.col("n_alts") == 1).with_columns(k=pl.lit(1, pl.Int32))
    other = frame.filter(pl.col("n_alts") != 1)
    if other.height:  # multi-allelic and hom-ref-only records: one row per ALT
        other = (
            other.with_columns(
                t_alt=pl.when(pl.col("n_alts") == 0)
                .then(pl.lit([None], dtype=pl.List(pl.String)))
                .otherwise(pl.col("t_alt").str.split(",")),
                k=pl.when(pl.col("n_alts") == 0)
                .then(pl.lit([0], dtype=pl.List(pl.Int32)))
                .otherwise(pl.int_ranges(1, pl.col("n_alts") + 1, dtype=pl.Int32)),
            )
            .explode(["t_alt", "k"])
            .select(simple.columns)
        )
        return pl.concat([simple, other])
    return simple


def _candidate_pairs(rows: pl.DataFrame, sites: pl.DataFrame) -> pl.DataFrame:
    """Every (row, record, ALT) pair at a shared position, with its match priority (index in
    PRIORITY, null when the alleles do not agree) and the effect allele's index."""
    pairs = rows.join(_explode_sites(sites), on="key", how="inner")
    pairs = pairs.with_columns(
        ea_f=complement_series(pairs["effect_allele"]),
        oa_f=complement_series(pairs["other_allele"]),
        t_ref_f=complement_series(pairs["t_ref"]),
    )
    ea, oa = pl.col("effect_allele"), pl.col("other_allele")
    eaf, oaf = pl.col("ea_f"), pl.col("oa_f")
    ref, alt = pl.col("t_ref"), pl.col("t_alt")
    has_oa, ref_only = oa.is_not_null(), alt.is_null()
    # conditions in PRIORITY order
    rules = [
        has_oa & (ea == ref) & (ref_only | (oa == alt)),
        has_oa & (oa == ref) & (ref_only | (ea == alt)),
        has_oa & (eaf == ref) & (ref_only | (oaf == alt)),
        has_oa & (oaf == ref) & (ref_only | (eaf == alt)),
        ~has_oa & (ea == ref),
        ~has_oa & ((ea == alt) | (ref_only & (eaf != ref))),
        ~has_oa & (eaf == ref),
        ~has_oa & (eaf == alt),
    ]
    priority: pl.Expr = pl.lit(None, dtype=pl.Int32)
    for i, cond in reversed(list(enumerate(rules))):
        priority = pl.when(cond).then(pl.lit(i, pl.Int32)).otherwise(priority)
    ambiguous = (
        pl.when(alt.is_not_null())
        .then(pl.col("t_ref_f") == alt)
        .otherwise(pl.when(has_oa).then(eaf == oa).otherwise(eaf == ref))
    )
    return pairs.with_columns(
        priority=priority, ambiguous=ambiguous.fill_null(False), multiallelic=pl.col("n_alts") > 1
    ).with_columns(
        # REF-type matches score allele 0; ALT-type ones the ALT (absent at a hom-ref-only record)
        allele=pl.when(pl.col("priority") % 2 == 0)
        .then(pl.lit(0, pl.Int32))
        .when(ref_only)
        .then(pl.lit(ABSENT, pl.Int32))
        .otherwise(pl.col("k"))
    )


def _variant_ids(rows: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """One int64 per (position, effect allele, other allele) — ``key << 26 | ea << 13 | oa``
    with small ids of the distinct allele strings — so rows meet their variant by an integer
    join; with more than 8191 distinct alleles, the three columns are the join key."""
    alleles = pl.concat([rows["effect_allele"], rows["other_allele"]]).drop_nulls().unique()
    if len(alleles) >= MAX_ALLELE_IDS:
        return rows, ["key", "effect_allele", "other_allele"]
    ids = dict(zip(alleles.to_list(), range(1, len(alleles) + 1), strict=True))

    def code(column: str) -> pl.Expr:
        return pl.col(column).replace_strict(ids, default=0, return_dtype=pl.Int64).fill_null(0)

    vid = pl.col("key") * (1 << 26) + code("effect_allele") * (1 << 13) + code("other_allele")
    return rows.with_columns(vid=vid), ["vid"]


def _best_per_variant(variants: pl.DataFrame, sites: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Per distinct (position, effect allele, other allele) of the scores (``vid``): its best
    (record, ALT) and how it matched; variants without an agreeing record are ``at_site``
    only when some record is at their position."""
    pairs = _candidate_pairs(variants, sites)
    at_site = pairs.select(pl.col("rk").unique(), at_site=pl.lit(True))
    # a REF-type match without other allele repeats for every ALT of a record: keep one
    repeat = (pl.col("allele") == 0) & (pl.col("k") > 1) & (pl.col("priority") >= 4)
    ok = pairs.filter(pl.col("priority").is_not_null() & ~repeat)
    # most variants have one candidate pair: only those with several are ranked (sorting is costly)
    several = ok["rk"].is_duplicated()
    ranked = (
        ok.filter(several)
        .sort(["rk", "priority", "cand", "k"])
        .with_columns(n_best=pl.len().over(["rk", "priority"]))
        .filter(pl.col("rk").is_first_distinct())
    )
    best = pl.concat([ok.filter(~several).with_columns(n_best=pl.lit(1, pl.UInt32)), ranked])
    best = best.select(
        "rk",
        "cand",
        "k",
        "allele",
        pl.col("priority")
        .replace_strict(list(range(len(PRIORITY))), PRIORITY, return_dtype=pl.Enum(PRIORITY))
        .alias("match_type"),
        "ambiguous",
        "multiallelic",
        (pl.col("n_best") > 1).alias("duplicate_best_match"),
        # plain text: a categorical costs the match log's writer ~0.25 s of CPU per 1M rows
        pl.format("{}:{}:{}:{}", "t_chrom", "t_pos", "t_ref", pl.col("t_alt").fill_null(".")).alias(
            "target_variant"
        ),
    )
    # a dense id per target variant (cand, ALT), for the duplicate_id count per score
    best = best.with_columns(
        grp=(pl.col("cand").cast(pl.Int64) * 16 + pl.col("k")).rank("dense").cast(pl.Int64) - 1
    )
    return (
        variants.select("rk", *on)
        .join(best, on="rk", how="left")
        .join(at_site, on="rk", how="left")
        .drop("rk")
    )


def match_scores(scores: list[ScoringFile], sites: pl.DataFrame, options: MatchOptions) -> MatchResult:
    """Match every score against the target records in ``sites`` (see module docstring).

    Scores often share variants (several scores over one variant set, or a variant in many
    scores), so the distinct (position, effect allele, other allele) are matched once and the
    outcome is joined back to every row."""
    rows = score_rows(scores).with_columns(
        key=pl.when(pl.col("skip").is_null()).then(_site_key(pl.col("chrom"), pl.col("pos")))
    )
    rows, on = _variant_ids(rows)
    variants = (
        rows.filter(pl.col("key").is_not_null())
        .select(*dict.fromkeys([*on, "key", "effect_allele", "other_allele"]))
        .unique(on)
        .with_row_index("rk")
        .with_columns(pl.col("rk").cast(pl.Int64))
    )
    best = _best_per_variant(variants, sites, on)
    joined = rows.join(best, on=on, how="left", maintain_order="left", nulls_equal=True)
    log = (
        joined.with_columns(duplicate_id=_duplicate_ids(joined))
        .with_columns(
            outcome=pl.when(pl.col("skip").is_not_null())
            .then(pl.concat_str(pl.lit("skipped_"), pl.col("skip")))
            .when(pl.col("match_type").is_null() & pl.col("at_site").is_null())
            .then(pl.lit("unmatched_no_site"))
            .when(pl.col("match_type").is_null())
            .then(pl.lit("unmatched_alleles"))
            .when(pl.col("ambiguous") & (not options.keep_ambiguous))
            .then(pl.lit("excluded_ambiguous"))
            .when(pl.col("multiallelic") & (not options.keep_multiallelic))
            .then(pl.lit("excluded_multiallelic"))
            .when(pl.col("duplicate_id"))
            .then(pl.lit("excluded_duplicate_id"))
            .otherwise(pl.lit("matched"))
            .cast(pl.Categorical)
        )
        .drop("key", "at_site", "duplicate_id", "k", "vid", "grp", strict=False)
    )  # rows stay in (score, row) order
    summary = _summary(scores, log, options)
    passing = [m.score_idx for m in summary if m.passed]
    entries = (
        log.lazy()
        .filter((pl.col("outcome") == "matched") & pl.col("score_idx").is_in(passing))
        .select(
            "score_idx",
            "row_nr",
            pl.col("cand").cast(pl.Int64),
            "allele",
            "effect_type",
            "weight",
            "match_type",
            "effect_allele",
        )
        .sort(_entry_order())
        .collect()
    )
    return MatchResult(entries=entries, log=log, summary=summary)


def _duplicate_ids(rows: pl.DataFrame) -> pl.Series:
    """Per row: whether another row of its score best-matches the same target variant
    (all such rows are excluded): a count per (score, target variant) by ``bincount`` over
    the dense variant ids (no hashing of a million keys)."""
    grp = rows["grp"].fill_null(-1).to_numpy()
    dup = np.zeros(len(grp), np.bool_)
    valid = grp >= 0
    if valid.any():
        code = rows["score_idx"].to_numpy().astype(np.int64)[valid] * (int(grp.max()) + 1) + grp[valid]
        dup[valid] = np.bincount(code)[code] > 1
    return pl.Series("duplicate_id", dup)


def _entry_order() -> pl.Expr:
    """(cand, allele, effect type, score) as one int64: a single-key sort (cand < 2^32,
    allele -1..13, 3 effect types, score index < 2^16)."""
    etype = pl.col("effect_type").replace_strict(
        {"additive": 0, "dominant": 1, "recessive": 2}, default=3, return_dtype=pl.Int64
    )
    return ((pl.col("cand") * 16 + pl.col("allele") + 1) * 4 + etype) * (1 << 16) + pl.col("score_idx")


def _summary(scores: list[ScoringFile], log: pl.DataFrame, options: MatchOptions) -> list[ScoreMatch]:
    outcomes: dict[int, dict[str, int]] = {}
    types: dict[int, dict[str, int]] = {}
    dups: dict[int, int] = {}
    grouped = log.group_by(["score_idx", "outcome", "match_type", "duplicate_best_match"]).len()
    for i, outcome, mt, dup, n in grouped.iter_rows():
        outcomes.setdefault(i, {})
        outcomes[i][outcome] = outcomes[i].get(outcome, 0) + int(n)
        if outcome == "matched":
            types.setdefault(i, {})
            types[i][mt] = types[i].get(mt, 0) + int(n)
        if dup:
            dups[i] = dups.get(i, 0) + int(n)
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
                duplicate_best_match=dups.get(i, 0),
                counts=dict(sorted(counts.items())),
                match_types={k: types.get(i, {}).get(k, 0) for k in PRIORITY},
            )
        )
    return out
