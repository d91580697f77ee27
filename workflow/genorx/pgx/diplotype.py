"""Pair haplotypes into diplotypes consistent with a sample's genotypes.

PharmCAT enumerates every sequence the genotypes allow (2^hets when unphased) and pairs
haplotypes whose sequences are complementary. The same set of pairs is found here
without enumerating sequences: the positions are grouped into *blocks* whose alleles
travel together (homozygous positions; all phased heterozygous positions of one phase
set; each unphased heterozygous position alone). A pair (h1, h2) is consistent when, in
every block, h1 takes one strand and h2 the other. Each block is a column of two boolean
matrices (does h accept strand 1 / strand 2 of the block), so a gene with many positions
and many heterozygous sites costs H x blocks, not 2^hets.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cmp_to_key

import numpy as np

from genorx.pgx.names import compare_haplotypes
from genorx.pgx.prepare import PreparedHaplotypes


@dataclass(frozen=True, slots=True)
class SampleStrands:
    """Observed alleles at the prepared positions: strand 1 and strand 2 + blocks."""

    strand1: list[str]
    strand2: list[str]
    blocks: list[list[int]]  # heterozygous blocks (position indices); homozygous are implicit
    haploid: bool = False


def build_strands(alleles: list[tuple[str, ...]], phased: list[bool], phase_sets: list[int]) -> SampleStrands:
    """Strands and blocks from per-position alleles (1 allele = haploid)."""
    s1: list[str] = []
    s2: list[str] = []
    blocks: dict[object, list[int]] = {}
    haploid = bool(alleles) and all(len(a) == 1 for a in alleles)
    for p, als in enumerate(alleles):
        a = als[0]
        b = als[1] if len(als) > 1 else als[0]
        s1.append(a)
        s2.append(b)
        if a == b or haploid:
            continue
        key: object = (("ps", phase_sets[p]) if phase_sets[p] else ("phased",)) if phased[p] else ("u", p)
        blocks.setdefault(key, []).append(p)
    return SampleStrands(s1, s2, list(blocks.values()), haploid)


def _block_support(m1: np.ndarray, m2: np.ndarray, strands: SampleStrands) -> tuple[np.ndarray, np.ndarray]:
    """(H, B) booleans: haplotype fits strand 1 / strand 2 over each block."""
    n_h = m1.shape[0]
    b1 = np.empty((n_h, len(strands.blocks)), dtype=bool)
    b2 = np.empty_like(b1)
    for k, block in enumerate(strands.blocks):
        b1[:, k] = m1[:, block].all(axis=1)
        b2[:, k] = m2[:, block].all(axis=1)
    return b1, b2


def consistent_pairs(prep: PreparedHaplotypes, strands: SampleStrands) -> list[tuple[int, int | None]]:
    """Index pairs (h1 <= h2) consistent with the genotypes; (h, None) for haploid calls."""
    if not len(prep):
        return []
    m1 = prep.match_matrix(strands.strand1)
    if strands.haploid:
        return [(int(h), None) for h in np.flatnonzero(m1.all(axis=1))]
    m2 = prep.match_matrix(strands.strand2)
    het = np.zeros(m1.shape[1], dtype=bool)
    for block in strands.blocks:
        het[block] = True
    # homozygous positions: both strands carry the same allele
    hom_ok = (m1[:, ~het] & m2[:, ~het]).all(axis=1)
    b1, b2 = _block_support(m1, m2, strands)
    cand = np.flatnonzero(hom_ok & (b1 | b2).all(axis=1))
    if cand.size == 0:
        return []
    c1, c2 = b1[cand], b2[cand]
    # ok[x, y] = every block: (x on strand 1 and y on 2) or (x on 2 and y on 1)
    ok = ((c1[:, None, :] & c2[None, :, :]) | (c2[:, None, :] & c1[None, :, :])).all(axis=2)
    xs, ys = np.nonzero(np.triu(ok))
    return [(int(cand[x]), int(cand[y])) for x, y in zip(xs, ys, strict=True)]


@dataclass(frozen=True, slots=True)
class RankedDiplotype:
    name: str
    haplotypes: tuple[str, ...]
    reference: tuple[bool, ...]
    score: int


def _cmp_hap(a: tuple[str, bool], b: tuple[str, bool]) -> int:
    return compare_haplotypes(a[0], a[1], b[0], b[1])


def make_diplotype(haps: list[tuple[str, bool]], score: int) -> RankedDiplotype:
    ordered = sorted(haps, key=cmp_to_key(_cmp_hap))
    return RankedDiplotype(
        name="/".join(h[0] for h in ordered),
        haplotypes=tuple(h[0] for h in ordered),
        reference=tuple(h[1] for h in ordered),
        score=score,
    )


def _cmp_diplotype(a: RankedDiplotype, b: RankedDiplotype) -> int:
    if a.score != b.score:
        return -1 if a.score > b.score else 1
    for k in range(max(len(a.haplotypes), len(b.haplotypes))):
        if k >= len(a.haplotypes):
            return -1
        if k >= len(b.haplotypes):
            return 1
        rez = compare_haplotypes(a.haplotypes[k], a.reference[k], b.haplotypes[k], b.reference[k])
        if rez:
            return rez
    return 0


def sort_diplotypes(diplotypes: list[RankedDiplotype]) -> list[RankedDiplotype]:
    """Score high to low, then by first and second haplotype (PharmCAT's order)."""
    return sorted(diplotypes, key=cmp_to_key(_cmp_diplotype))


def rank_pairs(
    prep: PreparedHaplotypes, pairs: list[tuple[int, int | None]], penalties: list[int] | None = None
) -> list[RankedDiplotype]:
    """Diplotypes of haplotype pairs, scored (minus ``penalties``, see ``wobble``) and sorted."""
    out = []
    for n, (h1, h2) in enumerate(pairs):
        haps = [(prep.names[h1], prep.reference[h1])]
        score = int(prep.scores[h1]) - (penalties[n] if penalties else 0)
        if h2 is not None:
            haps.append((prep.names[h2], prep.reference[h2]))
            score += int(prep.scores[h2])
        out.append(make_diplotype(haps, score))
    return sort_diplotypes(out)
