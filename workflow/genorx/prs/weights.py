"""Matched entries -> the kernel's arrays (one row per distinct record/allele/effect type)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from genorx.prs.kernel import EFFECT_CODES


@dataclass(frozen=True)
class WeightMatrix:
    """``keys``: one row per kernel entry (cand, allele, effect_type, entry); arrays aligned to it."""

    keys: pl.DataFrame
    cand: np.ndarray  # int64
    allele: np.ndarray  # int64
    etype: np.ndarray  # int64
    weights: np.ndarray  # float64 [M, S]
    member: np.ndarray  # bool [M, S]


def build_weights(entries: pl.DataFrame, n_scores: int) -> WeightMatrix:
    """Group matched entries by (cand, allele, effect_type); weights of several rows of one
    score on the same entry cannot happen (those rows are excluded as duplicate_id)."""
    keys = (
        entries.select("cand", "allele", "effect_type")
        .unique(maintain_order=True)
        .sort(["cand", "allele", "effect_type"], maintain_order=True)
        .with_row_index("entry")
    )
    joined = entries.select("cand", "allele", "effect_type", "score_idx", "weight").join(
        keys, on=["cand", "allele", "effect_type"], how="left"
    )
    m = keys.height
    weights = np.zeros((m, n_scores), np.float64)
    member = np.zeros((m, n_scores), np.bool_)
    e = joined["entry"].to_numpy().astype(np.int64)
    s = joined["score_idx"].to_numpy().astype(np.int64)
    np.add.at(weights, (e, s), joined["weight"].to_numpy())
    member[e, s] = True
    etype = keys["effect_type"].replace_strict(EFFECT_CODES, return_dtype=pl.Int64).to_numpy()
    return WeightMatrix(
        keys=keys,
        cand=keys["cand"].to_numpy().astype(np.int64),
        allele=keys["allele"].to_numpy().astype(np.int64),
        etype=etype,
        weights=weights,
        member=member,
    )


def with_subset(wm: WeightMatrix, keep: np.ndarray) -> WeightMatrix:
    """Append one column per score holding only the entries where ``keep`` is true."""
    extra = wm.member & keep[:, None]
    return WeightMatrix(
        keys=wm.keys,
        cand=wm.cand,
        allele=wm.allele,
        etype=wm.etype,
        weights=np.concatenate([wm.weights, np.where(extra, wm.weights, 0.0)], axis=1),
        member=np.concatenate([wm.member, extra], axis=1),
    )
