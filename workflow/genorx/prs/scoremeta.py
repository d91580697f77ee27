"""Plain records about scores and how they matched (no data frames: the cached re-score
path, :mod:`genorx.prs.rescore_cached`, imports only these)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreMeta:
    """What a score is and where its positions come from."""

    pgs_id: str
    source: str
    layout: str  # pgs_catalog | custom | normalised
    pgs_name: str | None = None
    trait_reported: str | None = None
    trait_mapped: str | None = None
    citation: str | None = None
    weight_type: str | None = None
    genome_build: str | None = None  # author-reported build (normalised name)
    hm_build: str | None = None  # HmPOS_build of a harmonised file
    positions_build: str | None = None  # build of the positions used for matching
    harmonised: bool = False
    demonstration: bool = False


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
