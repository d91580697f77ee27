"""Phenotyper: haplotype function/activity, activity score, phenotype and lookup keys.

Follows PharmCAT's Phenotyper for each diplotype (one per tied matcher call):

- each haplotype gets its function and (activity-score genes) activity value from the
  gene's phenotype map; a name the map does not know has "Unassigned function";
- the diplotype's phenotype comes from the map's rules (keyed on the two alleles'
  function/activity values); a pair the rules do not cover is ``n/a``; an uncalled gene is
  ``No Result``;
- activity-score genes (CPIC: CYP2C9, CYP2D6, DPYD) get an activity score, and the score
  is their recommendation lookup key; other genes look up by phenotype;
- HLA genes (outside calls only) are "allele status" genes: one ``*57:01 positive`` /
  ``negative`` result per allele the guidelines ask about;
- CACNA1S, CFTR and RYR1 are labelled CPIC-style (``Reference/Reference``,
  ``c.520C>T (heterozygous)``), as PharmCAT does.

Lowest-function genes (DPYD; RYR1 for combination calls) are inferred in
:mod:`genorx.pgx.lowest`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from genorx.kb.model import KnowledgeBase, PhenotypeMap, rule_key

NA = "n/a"
NO_RESULT = "No Result"
UNASSIGNED = "Unassigned function"
CPIC_STYLE_LABELS = frozenset({"CACNA1S", "CFTR", "RYR1"})
ALLELE_STATUS_GENES = frozenset({"HLA-A", "HLA-B"})
_STATUS_KEY = re.compile(r"^(\*\d+:\d+) (positive|negative)$")


@dataclass(frozen=True, slots=True)
class Haplotype:
    name: str
    function: str | None
    activity_value: str | None
    reference: bool = False

    def to_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "function": self.function,
            "activity_value": self.activity_value,
            "reference": self.reference,
        }


@dataclass(frozen=True, slots=True)
class DiplotypeResult:
    """One diplotype with everything the recommender needs."""

    gene: str
    label: str
    haplotypes: tuple[Haplotype, ...]  # 0 (unknown), 1 (haploid) or 2
    phenotypes: tuple[str, ...]
    activity_score: str | None
    lookup_keys: tuple[str, ...]
    diplotype_key: dict[str, int] = field(default_factory=dict, hash=False, compare=False)
    inferred: bool = False

    @property
    def unknown(self) -> bool:
        return not self.haplotypes

    @property
    def phenotype(self) -> str | None:
        return "; ".join(self.phenotypes) if self.phenotypes else None

    def to_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "haplotypes": [h.to_dict() for h in self.haplotypes],
            "phenotypes": list(self.phenotypes),
            "activity_score": self.activity_score,
            "lookup_keys": list(self.lookup_keys),
            "inferred": self.inferred,
        }


@dataclass(frozen=True, slots=True)
class GeneContext:
    """What the phenotyper needs to know about one gene."""

    gene: str
    pmap: PhenotypeMap | None
    reference_allele: str | None
    status_alleles: tuple[str, ...] = ()  # HLA: alleles reported positive AND negative
    positive_only_alleles: tuple[str, ...] = ()  # HLA: alleles reported only when present


def gene_context(kb: KnowledgeBase, gene: str) -> GeneContext:
    defn = kb.definitions.get(gene)
    ref = defn.reference_allele.name if defn is not None and defn.named_alleles else None
    status, positive_only = _status_alleles(kb, gene) if gene in ALLELE_STATUS_GENES else ((), ())
    return GeneContext(gene, kb.phenotype_map(gene), ref, status, positive_only)


def _status_alleles(kb: KnowledgeBase, gene: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    seen: dict[str, set[str]] = {}
    for gl in kb.guidelines:
        for rec in gl.recommendations:
            value = rec.lookup_key.get(gene)
            m = _STATUS_KEY.match(value) if isinstance(value, str) else None
            if m:
                seen.setdefault(m.group(1), set()).add(m.group(2))
    both = tuple(sorted(a for a, kinds in seen.items() if len(kinds) == 2))
    positive_only = tuple(sorted(a for a, kinds in seen.items() if len(kinds) == 1 and "positive" in kinds))
    return both, positive_only


def haplotype(ctx: GeneContext, name: str) -> Haplotype:
    ref = name == ctx.reference_allele
    if ctx.pmap is None:
        return Haplotype(name, None, None, ref)
    fn = ctx.pmap.alleles.get(name)
    if fn is None:
        return Haplotype(name, UNASSIGNED, NA if ctx.pmap.activity_gene else None, ref)
    activity = (fn.activity or NA) if ctx.pmap.activity_gene else None
    return Haplotype(name, fn.function, activity, ref)


def diplotype_key(names: tuple[str, ...]) -> dict[str, int]:
    key: dict[str, int] = {}
    for n in names:
        key[n] = key.get(n, 0) + 1
    return key


def label(gene: str, haps: tuple[Haplotype, ...]) -> str:
    """PharmCAT's diplotype label (haplotypes in the matcher's order)."""
    if not haps:
        return "Unknown/Unknown"
    if gene in CPIC_STYLE_LABELS:
        refs = [h.reference for h in haps]
        if all(refs):
            return "Reference" if len(haps) == 1 else "Reference/Reference"
        if len(haps) == 2 and any(refs):
            other = haps[1] if refs[0] else haps[0]
            return f"{other.name} (heterozygous)"
    return "/".join(h.name for h in haps)


def _hla(ctx: GeneContext, names: tuple[str, ...]) -> tuple[str, ...]:
    def present(allele: str) -> bool:
        return any(allele in n for n in names)

    out = [f"{a} {'positive' if present(a) else 'negative'}" for a in ctx.status_alleles]
    out += [f"{a} positive" for a in ctx.positive_only_alleles if present(a)]
    return tuple(out)


_MEMO: dict[tuple, tuple[GeneContext, DiplotypeResult]] = {}


def annotate(
    ctx: GeneContext,
    names: tuple[str, ...],
    phenotype: str | None = None,
    activity_score: str | None = None,
    inferred: bool = False,
) -> DiplotypeResult:
    """Phenotype, activity score and lookup keys of one diplotype (``names``: 0-2 haplotypes).

    ``phenotype`` / ``activity_score`` given (an outside call) are kept, as PharmCAT keeps them.
    Results are shared between samples with the same call (cohorts repeat few diplotypes).
    """
    key = (id(ctx), names, phenotype, activity_score, inferred)
    hit = _MEMO.get(key)
    if hit is not None and hit[0] is ctx:
        return hit[1]
    if len(_MEMO) > 65536:
        _MEMO.clear()
    result = _annotate(ctx, names, phenotype, activity_score, inferred)
    _MEMO[key] = (ctx, result)
    return result


def _annotate(
    ctx: GeneContext,
    names: tuple[str, ...],
    phenotype: str | None,
    activity_score: str | None,
    inferred: bool,
) -> DiplotypeResult:
    gene = ctx.gene
    haps = tuple(haplotype(ctx, n) for n in names)
    lab = label(gene, haps)
    dkey = diplotype_key(names)
    if gene in ALLELE_STATUS_GENES:
        if phenotype:
            return DiplotypeResult(gene, lab, haps, (phenotype,), None, (phenotype,), dkey, inferred)
        if not haps:
            return DiplotypeResult(gene, lab, haps, (), None, (NO_RESULT,), dkey, inferred)
        phen = _hla(ctx, names)
        return DiplotypeResult(gene, lab, haps, phen, None, phen, dkey, inferred)
    pm = ctx.pmap
    if pm is None:  # CYP4F2, IFNL3-like genes without a phenotype map: no phenotype, no lookup
        return DiplotypeResult(gene, lab, haps, (), None, (), dkey, inferred)
    if not haps and phenotype is None and activity_score is None:
        score = NO_RESULT if pm.activity_gene else None
        return DiplotypeResult(gene, lab, haps, (NO_RESULT,), score, (NO_RESULT,), dkey, inferred)
    rule = None
    if haps and len(haps) <= 2:
        keys = [_key(pm, h.name) for h in haps]
        if all(k is not None for k in keys):
            rule = pm.rule_index().get(rule_key(keys[0], keys[1] if len(keys) == 2 else None))  # type: ignore[arg-type]
    phen = phenotype or (rule.phenotype if rule else NA)
    if not pm.activity_gene:
        return DiplotypeResult(gene, lab, haps, (phen,), None, (phen,), dkey, inferred)
    if activity_score is not None:
        score = activity_score
    elif phenotype is not None:  # outside phenotype without a score: look up by phenotype, as PharmCAT
        score = NA
    else:
        score = rule.activity_score if rule and rule.activity_score else NA
    if phenotype is None and activity_score is not None:
        phen = _phenotype_for_score(pm, activity_score)
    lookup = (score,) if score != NA else _scores_for_phenotype(pm, phen)
    return DiplotypeResult(gene, lab, haps, (phen,), score, lookup, dkey, inferred)


def _key(pm: PhenotypeMap, name: str) -> str | None:
    fn = pm.alleles.get(name)
    return fn.key if fn else None


def _phenotype_for_score(pm: PhenotypeMap, score: str) -> str:
    found = sorted({r.phenotype for r in pm.rules if r.lookup_key == score})
    return found[0] if len(found) == 1 else NA


def _scores_for_phenotype(pm: PhenotypeMap, phenotype: str) -> tuple[str, ...]:
    scores = sorted({r.activity_score for r in pm.rules if r.phenotype == phenotype and r.activity_score})
    return tuple(scores) or (NA,)


def unknown(ctx: GeneContext) -> DiplotypeResult:
    """The result PharmCAT gives a gene with no call (lookup key ``No Result``)."""
    return annotate(ctx, ())
