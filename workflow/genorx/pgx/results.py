"""Per sample and gene: the matcher's call (or an outside call) phenotyped.

A :class:`GeneResult` carries the diplotypes as called (one per tied call, phenotyped) and
the diplotypes recommendations are looked up with (the same, except for lowest-function
genes, see :mod:`genorx.pgx.lowest`). Genes that are not called (no data, contig absent,
not requested, CYP2D6 by default, HLA without an outside call) get PharmCAT's ``No Result``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genorx.pgx.calls import GeneCall
from genorx.pgx.lowest import LOWEST_FUNCTION_GENES, components, infer_phased, infer_unphased
from genorx.pgx.phenotype import NA, NO_RESULT, DiplotypeResult, GeneContext, annotate, unknown

# Genes PharmCAT does not call from a VCF by default, and why.
NOT_CALLED_BY_DEFAULT = {
    "CYP2D6": (
        "CYP2D6 is not called from VCF by default, as in PharmCAT: SNV calls miss its gene deletions, "
        "duplications and hybrids; request it with --gene CYP2D6 (research use) or supply an outside call"
    ),
}
OUTSIDE_ONLY_NOTE = "{gene} is not called from VCF (as in PharmCAT); supply an outside call (--outside-call)"
CYP2D6_VCF_NOTE = (
    "CYP2D6 called from SNVs only (PharmCAT research mode): deletions (*5), duplications (xN) and hybrids "
    "are not detected, so the phenotype may be wrong"
)


@dataclass(frozen=True, slots=True)
class OutsideCall:
    gene: str
    diplotype: str | None
    phenotype: str | None = None
    activity_score: str | None = None


@dataclass(slots=True)
class GeneResult:
    gene: str
    sample_id: str
    call_status: str  # called | ambiguous | no_call
    source: str  # matcher | outside | none
    diplotypes: tuple[DiplotypeResult, ...]
    recommendation_diplotypes: tuple[DiplotypeResult, ...]
    call: GeneCall | None = None
    no_call_reason: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def called(self) -> bool:
        return self.call_status != "no_call"

    @property
    def display(self) -> str:
        """TSV ``diplotype``: the recommendation diplotypes, tied ones joined by `` OR ``."""
        if not self.called:
            return ""
        return " OR ".join(dict.fromkeys(d.label for d in self.recommendation_diplotypes))

    @property
    def phenotype(self) -> str | None:
        if not self.called:
            return None
        values = [d.phenotype for d in self.recommendation_diplotypes if d.phenotype]
        return " OR ".join(dict.fromkeys(values)) or None

    @property
    def activity_score(self) -> str | None:
        if not self.called:
            return None
        values = [d.activity_score for d in self.recommendation_diplotypes if d.activity_score]
        return " OR ".join(dict.fromkeys(values)) or None

    @property
    def inferred(self) -> bool:
        return any(d.inferred for d in self.recommendation_diplotypes)


def _names(haplotypes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(haplotypes)


def from_call(ctx: GeneContext, call: GeneCall) -> GeneResult:
    """Phenotype a matcher call."""
    notes: list[str] = []
    if call.call_status == "no_call" or (not call.diplotypes and not call.haplotype_matches):
        res = unknown(ctx)
        return GeneResult(
            ctx.gene, call.sample_id, "no_call", "matcher", (), (res,), call, call.no_call_reason, notes
        )
    if call.lowest_function and call.haplotype_matches:
        # Unphased DPYD with several variants: the matcher lists every matched haplotype.
        source = tuple(annotate(ctx, (n,)) for n in dict.fromkeys(call.haplotype_matches))
        rec = (infer_unphased(ctx, list(call.haplotype_matches)),)
        notes.append(
            f"{ctx.gene}: unphased, {len(call.haplotype_matches)} haplotypes matched "
            f"({', '.join(call.haplotype_matches)}); recommendations use the two lowest-function ones"
        )
        status = "called"
    else:
        source = tuple(annotate(ctx, _names(d.haplotypes)) for d in call.diplotypes)
        combos = any(len(components(h)) > 1 for d in call.diplotypes for h in d.haplotypes)
        status = call.call_status
        if ctx.gene in LOWEST_FUNCTION_GENES and (combos or len(call.diplotypes) > 1):
            # PharmCAT reports one diplotype for these genes: the lowest-function one
            rec = (infer_phased(ctx, [tuple(d.haplotypes) for d in call.diplotypes]),)
            status = "called"
            if len(call.diplotypes) > 1:
                notes.append(
                    f"{ctx.gene}: {len(call.diplotypes)} diplotypes fit ({call.display}); recommendations "
                    "use the lowest-function one (CPIC lowest-function rule, as PharmCAT)"
                )
            if combos:
                notes.append(f"{ctx.gene}: recommendations use the lowest-function allele of each copy")
        else:
            rec = source
    if ctx.gene == "CYP2D6":
        notes.append(CYP2D6_VCF_NOTE)
    for d in rec:
        if NA in d.phenotypes and d.haplotypes:
            notes.append(f"{ctx.gene}: no phenotype is defined for {d.label} (n/a)")
    return GeneResult(ctx.gene, call.sample_id, status, "matcher", source, rec, call, None, notes)


def from_outside(ctx: GeneContext, sample_id: str, oc: OutsideCall) -> GeneResult:
    """Phenotype a diplotype (and/or phenotype, activity score) from another caller."""
    names: tuple[str, ...] = ()
    if oc.diplotype:
        names = tuple(p.strip() for p in oc.diplotype.split("/") if p.strip())
    res = annotate(ctx, names, phenotype=oc.phenotype, activity_score=oc.activity_score)
    what = oc.diplotype or oc.phenotype or oc.activity_score
    note = f"{ctx.gene}: outside call {what} (no position-level data)"
    return GeneResult(ctx.gene, sample_id, "called", "outside", (res,), (res,), None, None, [note])


def not_called(ctx: GeneContext, sample_id: str, reason: str) -> GeneResult:
    return GeneResult(ctx.gene, sample_id, "no_call", "none", (), (unknown(ctx),), None, reason, [])


def lookup_summary(result: GeneResult) -> str:
    """The gene's recommendation lookup key(s) as one string (`` OR `` between tied calls)."""
    keys = [" / ".join(d.lookup_keys) for d in result.recommendation_diplotypes if d.lookup_keys]
    return " OR ".join(dict.fromkeys(keys)) or NO_RESULT
