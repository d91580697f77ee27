"""DPYD-style calling: unphased genotypes with several variants are reported as variants.

PharmCAT calls DPYD diplotypes only when the data is effectively phased (phased, or at
most one heterozygous position). Otherwise it lists every DPYD haplotype whose defining
alleles are all present in the sample (twice when homozygous), without assuming the
reference for blank cells; the Reference haplotype is kept only when at most two
haplotypes matched. The phenotyper then reports the two lowest-function haplotypes
(CPIC DPYD guideline). Here those matches go to ``GeneCall.haplotype_matches`` with
``lowest_function=True``; ``diplotypes`` lists every pair of them so a caller without
function data still sees every possibility.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

from genorx.pgx.calls import Diplotype, GeneCall
from genorx.pgx.definitions import GeneDefinition
from genorx.pgx.diplotype import build_strands, make_diplotype, sort_diplotypes
from genorx.pgx.match import MatchOptions, UsableData, prepared_for


def matched_haplotypes(defn: GeneDefinition, data: UsableData) -> list[tuple[str, bool, int]]:
    """(name, is_reference, copies) of every haplotype whose defined alleles the sample carries."""
    prep = prepared_for(defn, data.positions, assume_reference=False)
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    m1 = prep.match_matrix(strands.strand1)
    m2 = prep.match_matrix(strands.strand2)
    out = []
    for h, name in enumerate(prep.names):
        present = (m1[h] | m2[h]).all()
        if not present:
            continue
        copies = 2 if (m1[h] & m2[h]).all() else 1
        out.append((name, prep.reference[h], copies))
    return out


def call_lowest_function(
    defn: GeneDefinition, data: UsableData, call: GeneCall, opts: MatchOptions
) -> GeneCall | None:
    """The lowest-function call, or None when normal diplotype matching applies (phased)."""
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    if len(strands.blocks) <= 1 or strands.haploid:
        return None  # effectively phased: exact diplotype matching
    matches = matched_haplotypes(defn, data)
    variants = [m for m in matches if not m[1]]
    total = sum(m[2] for m in variants)
    keep = variants if total > 2 or not variants else matches
    haps: list[tuple[str, bool]] = []
    for name, ref, copies in keep:
        haps.extend([(name, ref)] * (2 if copies == 2 and not ref else 1))
    if len(haps) == 1:
        haps.append(haps[0])  # one matched haplotype, homozygous by exclusion
    if not haps:
        return None
    call.lowest_function = True
    call.haplotype_matches = [h[0] for h in haps]
    pairs = sorted(
        {tuple(sorted(p)) for p in combinations_with_replacement(range(len(haps)), 2) if p[0] != p[1]}
    )
    ranked = sort_diplotypes([make_diplotype([haps[a], haps[b]], 0) for a, b in pairs])
    seen: set[str] = set()
    unique = [d for d in ranked if not (d.name in seen or seen.add(d.name))]
    call.candidates = [Diplotype(d.name, d.haplotypes, d.score) for d in unique]
    call.diplotypes = list(call.candidates)
    call.call_status = "called" if len(unique) == 1 else "ambiguous"
    call.warnings.append(
        f"{defn.gene}: unphased with {len(strands.blocks)} heterozygous positions; reported as the "
        f"matched haplotypes {', '.join(call.haplotype_matches)} (lowest-function rule)"
    )
    return call
