"""Lowest-function genes (DPYD, RYR1): PharmCAT's calling rules.

CPIC scores these genes by the two lowest-function variants, so PharmCAT only builds a
diplotype when the strands are known and otherwise reports every matched haplotype:

1. Effectively phased (phased, or at most one heterozygous position): every diplotype
   consistent with the genotypes (definitions filled with the reference), all returned.
2. Nothing found, and the data is effectively phased or uses phase sets (PS): combination
   and partial alleles per strand (research-mode matching, see ``combinations``).
3. Otherwise (unphased): combination diplotypes without partials show which alleles sit on
   both strands; the haplotypes whose defined alleles the sample carries (blanks not
   filled) are listed, twice when on both strands; the reference is left out when more than
   two were found. ``GeneCall.haplotype_matches`` holds them (``lowest_function=True``);
   ``diplotypes`` lists every pair of them so a caller without function data still sees
   every possibility; the phenotyper takes the two lowest-function ones.

DPYD's HapB3 is matched apart from the other alleles and merged back (``dpyd_hapb3``).
"""

from __future__ import annotations

from functools import cmp_to_key
from itertools import combinations_with_replacement

import numpy as np

from genorx.pgx.calls import Diplotype, GeneCall
from genorx.pgx.combinations import Pair, StrandMatch, combination_pairs, rank_pairs
from genorx.pgx.definitions import GeneDefinition
from genorx.pgx.diplotype import RankedDiplotype, build_strands, make_diplotype, sort_diplotypes
from genorx.pgx.dpyd_hapb3 import HapB3
from genorx.pgx.match import MatchOptions, UsableData, diplotypes_for, prepared_for
from genorx.pgx.names import compare_haplotypes

LOWEST_FUNCTION_GENES = frozenset({"DPYD", "RYR1"})


def call_lowest_function(
    defn: GeneDefinition, data: UsableData, call: GeneCall, opts: MatchOptions
) -> GeneCall:
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    effectively_phased = strands.haploid or len(strands.blocks) <= 1
    uses_phase_sets = any(ps and ph for ps, ph in zip(data.phase_sets, data.phased, strict=True))
    hb3 = HapB3.for_gene(defn, data) if defn.gene == "DPYD" else None
    with_hb3 = hb3 is not None and hb3.has_variants
    skip = hb3.allele_names if hb3 is not None else frozenset()

    if effectively_phased and not with_hb3:
        exact = diplotypes_for(defn, data, assume_reference=True)
        if exact:
            return _diplotypes(call, exact, hb3)
    if effectively_phased or uses_phase_sets:
        if hb3 is not None and with_hb3 and not hb3.has_other_variants:
            return _diplotypes(call, rank_pairs(_reference_pairs(data, hb3)), hb3)
        pairs = combination_pairs(defn, data, find_partials=True, skip=skip if with_hb3 else frozenset())
        if pairs:
            if hb3 is not None and with_hb3:
                pairs = [_merge(hb3, (hb3.strip_partials(a), b and hb3.strip_partials(b))) for a, b in pairs]
            return _diplotypes(call, rank_pairs(pairs), hb3)

    pairs = combination_pairs(defn, data, find_partials=False, skip=skip)
    if pairs and (effectively_phased or uses_phase_sets):
        if hb3 is not None and with_hb3:
            pairs = [_merge(hb3, p) for p in pairs]
        return _diplotypes(call, rank_pairs(pairs), hb3)
    haps = haplotype_matches(defn, data, pairs, skip, hb3, effectively_phased)
    return _haplotype_call(defn, call, haps, len(strands.blocks), hb3)


def _merge(hb3: HapB3, pair: Pair) -> Pair:
    a, b = pair
    return hb3.merge(a), (hb3.merge(b) if b is not None else None)


def _reference_pairs(data: UsableData, hb3: HapB3) -> list[Pair]:
    """Phased sample whose only variants are HapB3's: each strand is HapB3, intronic or reference."""
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    seqs = [tuple(strands.strand1)] if strands.haploid else [tuple(strands.strand1), tuple(strands.strand2)]
    matches = [hb3.reference_match(s, s) for s in seqs]
    if strands.haploid:
        return [(matches[0], None)]
    return [(matches[0], matches[1])]


def haplotype_matches(
    defn: GeneDefinition,
    data: UsableData,
    pairs: list[Pair],
    skip: frozenset[str],
    hb3: HapB3 | None,
    effectively_phased: bool,
) -> list[str]:
    """Unphased: every haplotype whose defined alleles the sample carries (twice on both strands)."""
    ref = defn.reference_allele.name
    hb3_names = hb3.unphased_matches(data, effectively_phased) if hb3 is not None else []
    homozygous: set[str] = set()
    for a, b in pairs:
        names = [*a.components, *(b.components if b is not None else ())]
        homozygous.update(n for n in names if names.count(n) > 1)
    if hb3_names:
        homozygous.discard(ref)
    prep = prepared_for(defn, data.positions, assume_reference=False, skip=skip)
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    m1 = prep.match_matrix(strands.strand1)
    m2 = m1 if strands.haploid else prep.match_matrix(strands.strand2)
    het = np.zeros(len(data.positions), dtype=bool)
    for block in strands.blocks:
        het[block] = True
    fits = (m1[:, ~het] & m2[:, ~het]).all(axis=1)
    for block in strands.blocks:
        fits &= m1[:, block].all(axis=1) | m2[:, block].all(axis=1)
    found = [(prep.names[h], prep.reference[h]) for h in np.flatnonzero(fits)]
    if len(found) + len(hb3_names) > 2:
        found = [f for f in found if not f[1]]
    found.sort(key=cmp_to_key(lambda x, y: compare_haplotypes(x[0], x[1], y[0], y[1])))
    out: list[str] = []
    for name, _ in found:
        out.extend([name, name] if name in homozygous else [name])
    return out + hb3_names


def _diplotypes(call: GeneCall, ranked: list[RankedDiplotype], hb3: HapB3 | None) -> GeneCall:
    """Every diplotype found (PharmCAT returns all of them for these genes)."""
    call.candidates = [Diplotype(d.name, d.haplotypes, d.score) for d in ranked]
    call.diplotypes = list(call.candidates)
    call.call_status = "called" if len(ranked) == 1 else "ambiguous"
    if hb3 is not None:
        call.warnings.extend(hb3.warnings)
    if not ranked:
        call.call_status = "no_call"
        call.no_call_reason = "the genotypes match no pair of named alleles"
    return call


def _haplotype_call(
    defn: GeneDefinition, call: GeneCall, haps: list[str], n_blocks: int, hb3: HapB3 | None
) -> GeneCall:
    ref = defn.reference_allele.name
    if hb3 is not None:
        call.warnings.extend(hb3.warnings)
    if not haps:
        call.call_status = "no_call"
        call.no_call_reason = "no haplotype matches the genotypes"
        return call
    call.lowest_function = True
    call.haplotype_matches = list(haps)
    listed = haps if len(haps) > 1 else [*haps, *haps]
    pairs = {tuple(sorted(p)) for p in combinations_with_replacement(range(len(listed)), 2) if p[0] != p[1]}
    made = [
        make_diplotype([(listed[a], listed[a] == ref), (listed[b], listed[b] == ref)], 0) for a, b in pairs
    ]
    ranked = sort_diplotypes(made)
    seen: set[str] = set()
    unique = [d for d in ranked if not (d.name in seen or seen.add(d.name))]
    call.candidates = [Diplotype(d.name, d.haplotypes, d.score) for d in unique]
    call.diplotypes = list(call.candidates)
    call.call_status = "called" if len(unique) == 1 else "ambiguous"
    call.warnings.append(
        f"{defn.gene}: unphased with {n_blocks} heterozygous positions; reported as the matched "
        f"haplotypes {', '.join(haps)} (lowest-function rule)"
    )
    return call


__all__ = ["LOWEST_FUNCTION_GENES", "StrandMatch", "call_lowest_function", "haplotype_matches"]
