"""Research mode: combination and partial alleles, as PharmCAT's CombinationMatcher calls them.

Used only when ordinary matching finds no diplotype and ``find_combinations`` is on. The
definitions are used *without* filling blanks with the reference. For every sequence the
genotypes allow (2^blocks, each heterozygous block in either orientation):

1. *Covered* alleles: non-reference named alleles whose every defined (core) position the
   sequence carries (IUPAC codes accepted).
2. None covered: the reference allele; one: that allele; several: the *viable
   combinations* - alleles taken by decreasing number of core positions (then name) and
   added to every combination they do not overlap; an allele overlapping a bigger one
   already placed (a "shell" containing it) is dropped, one overlapping only same-sized
   ones (a missing position made them look alike) starts a combination of its own.
3. *Partials*: variant positions of the sequence that no component covers, named as
   ``g.`` HGVS (``g.233760973C>T``); they also cover undocumented alleles.
4. Name: non-reference components, then partials, joined by `` + ``; bracketed when more
   than one item (``[*6 + *28]``, ``[*9 + g.41012316T>G]``, ``g.41012316T>G``).
5. Score: positions the components define minus the number of partials.

Diplotypes pair the matches of complementary sequences (all pairs when homozygous), are
ordered by score (high first), then by first and second haplotype (PharmCAT's name order,
then the sequence as a tie-break), and are all returned (PharmCAT does not restrict
combination calls to the top score).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cmp_to_key

import numpy as np

from genorx.pgx.alleles import hgvs_for
from genorx.pgx.definitions import GeneDefinition, Locus
from genorx.pgx.diplotype import RankedDiplotype, SampleStrands, build_strands
from genorx.pgx.match import UsableData, prepared_for
from genorx.pgx.names import COMBINATION_JOINER, compare_names
from genorx.pgx.prepare import PreparedHaplotypes

MAX_BLOCKS = 16  # 2^16 sequences; beyond that research mode gives up (no call)


@dataclass(frozen=True, slots=True)
class StrandMatch:
    """One sequence explained by a named allele, a combination and/or partials."""

    name: str
    kind: str  # "hap" (a single named allele, no partials) or "combo"
    score: int
    sequence: tuple[str, ...]  # alleles by genomic position (tie-break of equal names, as PharmCAT)
    components: tuple[str, ...]
    partials: tuple[str, ...]
    alleles: tuple[str, ...] = ()  # the sequence, one allele per usable position


Pair = tuple[StrandMatch, StrandMatch | None]


def _combo_sort(prep_names: tuple[str, ...], ref_flags: tuple[bool, ...]):  # noqa: ANN202
    """NamedAllele order: reference first, then PharmCAT's haplotype-name order."""

    def cmp(a: int, b: int) -> int:
        if ref_flags[a] != ref_flags[b]:
            return -1 if ref_flags[a] else 1
        return compare_names(prep_names[a], prep_names[b])

    return cmp_to_key(cmp)


def viable_combinations(
    covered: list[int], cores: list[frozenset[int]], names: tuple[str, ...]
) -> list[list[int]]:
    """Non-overlapping groups of covered alleles (PharmCAT's computeViableCombinations)."""
    order = sorted(covered, key=lambda h: (-len(cores[h]), names[h]))
    combos: list[list[int]] = []
    for h in order:
        added = False
        bigger_overlap = 0
        for combo in combos:
            overlaps = False
            for other in combo:
                if cores[other] & cores[h]:
                    overlaps = True
                    if len(cores[other]) != len(cores[h]):
                        bigger_overlap += 1
                        break
            if not overlaps:
                combo.append(h)
                added = True
        if not added and bigger_overlap == 0:
            combos.append([h])
    return combos


def _sequences(data: UsableData) -> tuple[list[list[str]], int]:
    """Every sequence the genotypes allow (index bits = block orientations) + all-ones mask."""
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    if strands.haploid or not strands.blocks:
        return [list(strands.strand1)], 0
    n_blocks = len(strands.blocks)
    seqs = []
    for mask in range(1 << n_blocks):
        seq = list(strands.strand1)
        for b, block in enumerate(strands.blocks):
            if mask >> b & 1:
                for p in block:
                    seq[p] = strands.strand2[p]
        seqs.append(seq)
    return seqs, (1 << n_blocks) - 1


@dataclass(frozen=True, slots=True)
class _Context:
    names: tuple[str, ...]
    reference: tuple[bool, ...]
    cores: list[frozenset[int]]  # per haplotype: positions it defines
    ref_idx: int
    loci: list[Locus]  # per usable position
    order: list[int]  # usable positions by genomic position


def _covered(prep: PreparedHaplotypes, strands: SampleStrands, n_seqs: int) -> np.ndarray:
    """(sequences, H) bool: non-reference alleles whose defined alleles a sequence carries.

    Sequence ``mask`` takes strand 2 in the blocks whose bit is set (``_sequences`` order);
    an allele is carried when it fits both strands at homozygous positions and the chosen
    strand in every heterozygous block."""
    m1 = prep.match_matrix(strands.strand1)
    nonref = ~np.asarray(prep.reference, dtype=bool)
    if n_seqs == 1:
        return (m1.all(axis=1) & nonref)[None, :]
    m2 = prep.match_matrix(strands.strand2)
    het = np.zeros(m1.shape[1], dtype=bool)
    for block in strands.blocks:
        het[block] = True
    base = (m1[:, ~het] & m2[:, ~het]).all(axis=1) & nonref
    b1 = np.stack([m1[:, block].all(axis=1) for block in strands.blocks], axis=1)  # (H, B)
    b2 = np.stack([m2[:, block].all(axis=1) for block in strands.blocks], axis=1)
    bits = ((np.arange(n_seqs)[:, None] >> np.arange(len(strands.blocks))) & 1).astype(bool)  # (S, B)
    out = np.empty((n_seqs, len(base)), dtype=bool)
    step = max(1, 4_000_000 // max(1, b1.size))
    for start in range(0, n_seqs, step):
        chosen = np.where(bits[start : start + step, None, :], b2[None], b1[None])  # (s, H, B)
        out[start : start + step] = chosen.all(axis=2) & base[None, :]
    return out


def _strand_matches(
    ctx: _Context, seq: list[str], covered: list[int], find_partials: bool = True
) -> list[StrandMatch]:
    """What explains one sequence: a named allele, the reference, or combinations/partials."""
    seq_key = tuple(seq[p] for p in ctx.order)
    variant = [p for p in ctx.order if seq[p] != ctx.loci[p].ref]
    groups = (
        viable_combinations(covered, ctx.cores, ctx.names) if len(covered) > 1 else [covered or [ctx.ref_idx]]
    )
    key = _combo_sort(ctx.names, ctx.reference)
    out = []
    for group in groups:
        comps = sorted(group, key=key)
        explained = frozenset().union(*(ctx.cores[h] for h in comps if h != ctx.ref_idx))
        partials = tuple(
            hgvs_for(ctx.loci[p], seq[p]) for p in variant if find_partials and p not in explained
        )
        if len(covered) <= 1 and not partials:
            h = comps[0]
            hap = StrandMatch(
                ctx.names[h], "hap", len(ctx.cores[h]), seq_key, (ctx.names[h],), (), tuple(seq)
            )
            out.append(hap)
            continue
        items = [ctx.names[h] for h in comps if h != ctx.ref_idx] + list(partials)
        name = f"[{COMBINATION_JOINER.join(items)}]" if len(items) > 1 else items[0]
        defined = len(frozenset().union(*(ctx.cores[h] for h in comps)))
        components = tuple(ctx.names[h] for h in comps)
        score = defined - len(partials)
        out.append(StrandMatch(name, "combo", score, seq_key, components, partials, tuple(seq)))
    return out


def combination_diplotypes(defn: GeneDefinition, data: UsableData) -> list[RankedDiplotype]:
    """Every combination/partial diplotype consistent with the genotypes, PharmCAT-ordered."""
    return rank_pairs(combination_pairs(defn, data))


def combination_pairs(
    defn: GeneDefinition, data: UsableData, find_partials: bool = True, skip: frozenset[str] = frozenset()
) -> list[Pair]:
    """Strand-level matches of every pair of complementary sequences (all pairs when homozygous)."""
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    if len(strands.blocks) > MAX_BLOCKS:
        return []
    # PharmCAT leaves UGT1A1's predefined combinations (*80+*28 ...) out of research mode
    skip = skip | frozenset(a.name for a in defn.named_alleles if defn.gene == "UGT1A1" and "+" in a.name)
    prep = prepared_for(defn, data.positions, assume_reference=False, skip=skip)
    ref_idx = next((h for h, r in enumerate(prep.reference) if r), None)
    if ref_idx is None:
        return []
    loci = [defn.loci[j] for j in data.positions]
    ctx = _Context(
        names=prep.names,
        reference=prep.reference,
        cores=prep.core_sets(),
        ref_idx=ref_idx,
        loci=loci,
        order=sorted(range(len(loci)), key=lambda p: loci[p].position),
    )
    seqs, full = _sequences(data)
    covered = _covered(prep, strands, len(seqs))
    per_seq = [
        _strand_matches(ctx, seq, [int(h) for h in np.flatnonzero(row)], find_partials)
        for seq, row in zip(seqs, covered, strict=True)
    ]

    pairs: list[Pair] = []
    if full == 0:
        only = per_seq[0]
        if strands.haploid:
            pairs = [(m, None) for m in only]
        elif len(only) == 1:
            pairs = [(only[0], only[0])]
        else:
            pairs = [(only[x], only[y]) for x in range(len(only)) for y in range(x, len(only))]
    else:
        for mask in range(full + 1):
            comp = mask ^ full
            if comp > mask:
                pairs.extend((m1, m2) for m1 in per_seq[mask] for m2 in per_seq[comp])
    return pairs


def compare_matches(a: StrandMatch, b: StrandMatch) -> int:
    """PharmCAT's BaseMatch order: haplotype-name order, then score (plain alleles), then sequence."""
    rez = compare_names(a.name, b.name) if a.name != b.name else 0
    if rez:
        return rez
    if a.kind == b.kind == "hap" and a.score != b.score:
        return -1 if a.score < b.score else 1
    return (a.sequence > b.sequence) - (a.sequence < b.sequence)


def rank_pairs(pairs: list[Pair]) -> list[RankedDiplotype]:
    """Diplotypes of strand pairs: score high to low, then PharmCAT's haplotype order; one per name."""
    dips = []
    for m1, m2 in pairs:
        haps = [m1] if m2 is None else sorted([m1, m2], key=cmp_to_key(compare_matches))
        score = sum(h.score for h in haps)
        dips.append((score, haps))

    def cmp(x: tuple[int, list[StrandMatch]], y: tuple[int, list[StrandMatch]]) -> int:
        if x[0] != y[0]:
            return -1 if x[0] > y[0] else 1
        for a, b in zip(x[1], y[1], strict=False):
            rez = compare_matches(a, b)
            if rez:
                return rez
        return len(x[1]) - len(y[1])

    out: list[RankedDiplotype] = []
    seen: set[str] = set()
    for score, haps in sorted(dips, key=cmp_to_key(cmp)):
        name = "/".join(h.name for h in haps)
        if name in seen:
            continue
        seen.add(name)
        out.append(RankedDiplotype(name, tuple(h.name for h in haps), tuple(False for _ in haps), score))
    return out


__all__ = [
    "Pair",
    "StrandMatch",
    "combination_diplotypes",
    "combination_pairs",
    "rank_pairs",
    "viable_combinations",
]
