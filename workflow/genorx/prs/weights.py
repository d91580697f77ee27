"""Matched entries -> the kernel's arrays (one row per distinct record/allele/effect type)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from genorx.prs.kernel import EFFECT_CODES

if TYPE_CHECKING:
    import polars as pl


@dataclass(frozen=True)
class WeightMatrix:
    """``keys``: one row per kernel entry (entry, cand, allele, effect_type); arrays aligned to it."""

    keys: pl.DataFrame
    cand: np.ndarray  # int64
    allele: np.ndarray  # int64
    etype: np.ndarray  # int64
    weights: np.ndarray  # float64 [M, S]
    member: np.ndarray  # bool [M, S]
    first: np.ndarray | None = None  # per entry, its first row in the entries table


def build_weights(entries: pl.DataFrame, n_scores: int) -> WeightMatrix:
    """Group matched entries (sorted by cand, allele, effect type, score, as the matcher
    returns them) into kernel entries. Several rows of one score on the same entry cannot
    happen (those rows are excluded as duplicate_id), so each weight is assigned once."""
    import polars as pl

    cand = entries["cand"].to_numpy().astype(np.int64)
    allele = entries["allele"].to_numpy().astype(np.int64)
    etype = entries["effect_type"].replace_strict(EFFECT_CODES, return_dtype=pl.Int64).to_numpy()
    new = np.ones(len(cand), np.bool_)
    if len(cand) > 1:
        new[1:] = (np.diff(cand) != 0) | (np.diff(allele) != 0) | (np.diff(etype) != 0)
    entry = np.cumsum(new) - 1
    first = np.flatnonzero(new)
    m = len(first)
    weights = np.zeros((m, n_scores), np.float64)
    member = np.zeros((m, n_scores), np.bool_)
    score = entries["score_idx"].to_numpy().astype(np.int64)
    weights[entry, score] = entries["weight"].to_numpy()
    member[entry, score] = True
    keys = pl.DataFrame(
        {
            "entry": np.arange(m, dtype=np.int64),
            "cand": cand[first],
            "allele": allele[first],
            "effect_type": entries["effect_type"].gather(first),
        }
    )
    return WeightMatrix(keys, cand[first], allele[first], etype[first], weights, member, first)
