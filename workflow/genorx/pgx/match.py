"""Call one gene for one sample: PharmCAT's NamedAlleleMatcher, reimplemented.

1. Usable positions: genotyped defining positions minus exemption-ignored ones; missing
   positions are dropped from every allele (and reported); a missing *required* position
   (exemptions) means no call.
2. Undocumented ALT alleles: read as reference for the genes PharmCAT treats that way
   (CACNA1S, DPYD, G6PD, NUDT15, RYR1, TPMT), otherwise they match no allele.
3. Haplotype pairs consistent with the genotypes (phased blocks respected), scored by the
   number of defined positions, ordered as PharmCAT orders them; top-scoring ones kept
   (``top_candidate_only``), NAT2-style unphased priorities applied.
4. Nothing found and ``find_combinations``: combination and partial alleles (research).
5. DPYD, RYR1: PharmCAT's lowest-function rules (and DPYD's HapB3), see ``lowest_function``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from genorx.pgx.calls import Diplotype, GeneCall, GenotypeUsed, MissingPosition
from genorx.pgx.definitions import GeneDefinition
from genorx.pgx.diplotype import RankedDiplotype, build_strands, consistent_pairs, rank_pairs
from genorx.pgx.genotypes import LocusCall, SampleGenotypes
from genorx.pgx.prepare import PreparedHaplotypes, excluded_positions, prepare
from genorx.pgx.wobble import wobble_penalties

__all__ = ["Diplotype", "GeneCall", "MatchOptions", "call_gene"]

TREAT_UNDOCUMENTED_AS_REFERENCE = frozenset({"CACNA1S", "DPYD", "G6PD", "NUDT15", "RYR1", "TPMT"})
LOWEST_FUNCTION_GENES = frozenset({"DPYD", "RYR1"})


@dataclass(frozen=True, slots=True)
class MatchOptions:
    """Matcher options (PharmCAT defaults)."""

    top_candidate_only: bool = True
    find_combinations: bool = False  # research mode: combination and partial alleles
    use_exemptions: bool = True
    lowest_function: bool = True  # DPYD-style reporting of unphased multi-variant calls


_PREP_CACHE: dict[
    tuple[int, tuple[int, ...], bool, frozenset[str]], tuple[GeneDefinition, PreparedHaplotypes]
] = {}


def prepared_for(
    defn: GeneDefinition,
    positions: tuple[int, ...],
    assume_reference: bool = True,
    skip: frozenset[str] = frozenset(),
) -> PreparedHaplotypes:
    """Cached ``prepare`` (cohorts share few distinct sets of usable positions)."""
    key = (id(defn), positions, assume_reference, skip)
    hit = _PREP_CACHE.get(key)
    if hit is not None and hit[0] is defn:
        return hit[1]
    if len(_PREP_CACHE) > 4096:
        _PREP_CACHE.clear()
    prep = prepare(defn, positions, assume_reference, skip)
    _PREP_CACHE[key] = (defn, prep)
    return prep


@dataclass(slots=True)
class UsableData:
    positions: tuple[int, ...]
    alleles: list[tuple[str, ...]]
    phased: list[bool]
    phase_sets: list[int]
    undocumented: list[int]  # indices (into positions) with an allele the definition lacks
    warnings: list[str]


def usable_data(defn: GeneDefinition, sg: SampleGenotypes, excluded: frozenset[int]) -> UsableData:
    positions, alleles, phased, sets, undocumented, warnings = [], [], [], [], [], []
    known_sets = _known_alleles(defn, sg)
    for j, call in enumerate(sg.calls):
        if j in excluded or call.alleles is None:
            continue
        locus = call.locus
        als = call.alleles
        known = known_sets[j]
        if len(als) == 2 and als[0] in known and als[1] in known:
            unknown = []
        else:
            unknown = [a for a in als if a not in known]
        if unknown:
            if defn.gene in TREAT_UNDOCUMENTED_AS_REFERENCE:
                als = tuple(a if a in known else locus.ref for a in als)
                warnings.append(
                    f"{locus.label}: undocumented allele {','.join(unknown)} read as reference "
                    f"({defn.gene} treats undocumented variation as reference)"
                )
            else:
                undocumented.append(len(positions))
                warnings.append(
                    f"{locus.label}: allele {','.join(unknown)} is not in any {defn.gene} definition"
                )
        positions.append(j)
        alleles.append(als)
        phased.append(call.phased)
        sets.append(call.phase_set)
    return UsableData(tuple(positions), alleles, phased, sets, undocumented, warnings)


_KNOWN: dict[int, tuple[GeneDefinition, list[frozenset[str]]]] = {}


def _known_alleles(defn: GeneDefinition, sg: SampleGenotypes) -> list[frozenset[str]]:
    """Per locus of ``sg``, REF + ALTs (cached per definition)."""
    hit = _KNOWN.get(id(defn))
    if hit is None or hit[0] is not defn or len(hit[1]) != len(sg.calls):
        if len(_KNOWN) > 256:
            _KNOWN.clear()
        hit = _KNOWN[id(defn)] = (defn, [frozenset((c.locus.ref, *c.locus.alts)) for c in sg.calls])
    return hit[1]


def _report_rows(
    sg: SampleGenotypes, excluded: frozenset[int]
) -> tuple[list[GenotypeUsed], list[MissingPosition]]:
    used, missing = [], []
    for j, call in enumerate(sg.calls):
        loc = call.locus
        status = "ignored" if j in excluded else call.status
        used.append(GenotypeUsed(loc.chrom, loc.position, loc.rsid, loc.ref, call.genotype, status))
        if call.alleles is None and j not in excluded:
            missing.append(MissingPosition(loc.chrom, loc.position, loc.rsid, call.reason or call.status))
    return used, missing


def _is_phased(calls: list[LocusCall]) -> bool:
    with_data = [c for c in calls if c.alleles is not None]
    return bool(with_data) and all(c.phased or len(c.alleles or ()) == 1 for c in with_data)


def apply_unphased_priorities(
    defn: GeneDefinition, top: list[RankedDiplotype], ranked: list[RankedDiplotype]
) -> list[RankedDiplotype]:
    """NAT2: unphased genotypes that fit every diplotype of a listed group (whatever their
    scores) are reported as the group's pick (exemptions ``unphasedDiplotypePriorities``)."""
    names = {d.name for d in ranked}
    for ident, pick in defn.exemptions.unphased_priorities.items():
        if len(ranked) > 1 and set(ident.split("|")) <= names:
            return [d for d in ranked if d.name == pick]
    return top


def _no_call(base: GeneCall, reason: str) -> GeneCall:
    base.call_status = "no_call"
    base.no_call_reason = reason
    base.diplotypes = []
    return base


def call_gene(
    defn: GeneDefinition,
    sample_genotypes: SampleGenotypes,
    options: MatchOptions | None = None,
    **kwargs: bool,
) -> GeneCall:
    """Diplotype call for one gene and one sample (options as ``MatchOptions`` or keywords:
    ``top_candidate_only``, ``find_combinations``, ``use_exemptions``, ``lowest_function``)."""
    opts = options or MatchOptions(**kwargs)
    if not opts.use_exemptions:
        from genorx.pgx.definitions import Exemptions

        defn = replace(defn, exemptions=Exemptions())
    sg = sample_genotypes
    excluded = excluded_positions(defn)
    used, missing = _report_rows(sg, excluded)
    data = usable_data(defn, sg, excluded)
    call = GeneCall(
        gene=defn.gene,
        sample_id=sg.sample_id,
        call_status="no_call",
        phased=_is_phased(list(sg.calls)),
        missing_positions=missing,
        genotypes_used=used,
        warnings=list(sg.warnings) + data.warnings,
    )
    if sg.contig_absent:
        return _no_call(call, f"contig {defn.chromosome} not in the VCF")
    if not data.positions:
        return _no_call(call, "no defining position of the gene has a genotype")
    required = defn.exemptions.required_positions
    missing_required = sorted(m.pos for m in missing if m.pos in required)
    if missing_required:
        return _no_call(call, f"required position(s) missing: {', '.join(map(str, missing_required))}")

    if defn.gene in LOWEST_FUNCTION_GENES and opts.lowest_function:
        from genorx.pgx.lowest_function import call_lowest_function

        return call_lowest_function(defn, data, call, opts)

    ranked = diplotypes_for(defn, data, assume_reference=True)
    if not ranked and opts.find_combinations:
        from genorx.pgx.combinations import combination_diplotypes

        combos = combination_diplotypes(defn, data)
        if combos:  # research mode returns every combination call, whatever the score
            call.warnings.append(f"{defn.gene}: research mode combination/partial call")
            return finish(defn, call, combos, replace(opts, top_candidate_only=False))
    return finish(defn, call, ranked, opts)


def diplotypes_for(
    defn: GeneDefinition, data: UsableData, assume_reference: bool = True
) -> list[RankedDiplotype]:
    prep = prepared_for(defn, data.positions, assume_reference)
    strands = build_strands(data.alleles, data.phased, data.phase_sets)
    pairs = consistent_pairs(prep, strands)
    refs = [defn.loci[j].ref for j in data.positions]
    return rank_pairs(prep, pairs, wobble_penalties(prep, strands, refs, pairs) if pairs else None)


def finish(
    defn: GeneDefinition, call: GeneCall, ranked: list[RankedDiplotype], opts: MatchOptions
) -> GeneCall:
    call.candidates = [Diplotype(d.name, d.haplotypes, d.score) for d in ranked]
    if not ranked:
        reason = "the genotypes match no pair of named alleles"
        if any("not in any" in w for w in call.warnings):
            reason += " (an allele at a defining position is in no definition)"
        return _no_call(call, reason)
    top = [d for d in ranked if d.score == ranked[0].score] if opts.top_candidate_only else ranked
    if not call.phased and opts.top_candidate_only:
        top = apply_unphased_priorities(defn, top, ranked)
    call.diplotypes = [Diplotype(d.name, d.haplotypes, d.score) for d in top]
    call.call_status = "called" if len(top) == 1 else "ambiguous"
    return call
