"""Typed facts of a pharmacogenomic knowledge base (KB).

One :class:`KnowledgeBase` is what the phenotyper and recommender read, whether it was
loaded from the compact project KB (``resources/kb``) or compiled on the fly from a
PharmCAT-format data directory (a fetched KB). Prose (recommendation text,
implications) is only present for the latter.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genorx.pgx.definitions import GeneDefinition


@dataclass(frozen=True, slots=True)
class AlleleFunction:
    """What the phenotype map says about one named allele."""

    function: str | None
    activity: str | None  # activity value ("1.0", "0.5", "n/a") for activity-score genes, else None
    key: str | None  # the value the diplotype rules are keyed on (activity value or function)


@dataclass(frozen=True, slots=True)
class PhenotypeRule:
    """Two allele keys (order-free; ``key2`` None for a single-copy call) -> gene result."""

    key1: str
    key2: str | None
    phenotype: str
    lookup_key: str
    activity_score: str | None


@dataclass(frozen=True, slots=True)
class PhenotypeMap:
    """Allele function/activity values and the diplotype -> phenotype rules of one gene."""

    gene: str
    version: str
    activity_gene: bool  # CPIC matches recommendations on the activity score (CYP2C9, CYP2D6, DPYD)
    alleles: dict[str, AlleleFunction]
    rules: tuple[PhenotypeRule, ...]
    _index: dict[tuple[str, str | None], PhenotypeRule] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def rule_index(self) -> dict[tuple[str, str | None], PhenotypeRule]:
        if not self._index and self.rules:
            for rule in self.rules:
                self._index[_pair(rule.key1, rule.key2)] = rule
        return self._index


def _pair(a: str, b: str | None) -> tuple[str, str | None]:
    if b is None:
        return (a, None)
    return (a, b) if a <= b else (b, a)


def rule_key(a: str, b: str | None) -> tuple[str, str | None]:
    """The order-free key a :class:`PhenotypeMap` rule is stored under."""
    return _pair(a, b)


LookupValue = str | dict[str, float]


@dataclass(frozen=True, slots=True)
class Recommendation:
    """One guideline recommendation: matched when every gene's lookup value matches."""

    id: str
    drugs: tuple[str, ...]
    population: str | None
    classification: str | None
    lookup_key: dict[str, LookupValue]
    dosing_information: bool = False
    alternate_drug_available: bool = False
    other_prescribing_guidance: bool = False
    text: str | None = None  # prose: only from a fetched KB
    implications: tuple[str, ...] | None = None  # prose: only from a fetched KB


@dataclass(frozen=True, slots=True)
class Guideline:
    id: str
    name: str
    source: str  # CPIC | DPWG
    version: str
    url: str
    drugs: tuple[str, ...]
    genes: tuple[str, ...]
    data_version: str
    pmids: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]


@dataclass(frozen=True, slots=True)
class KbInfo:
    """Identity and provenance of a KB, as written into every pgx.json."""

    name: str
    version: str
    source: str  # bundled | fetched | directory
    url: str | None
    sha256: str
    path: str
    description: str = ""
    has_prose: bool = False
    provenance: dict[str, object] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    info: KbInfo
    definitions: dict[str, GeneDefinition]
    phenotypes: dict[str, PhenotypeMap]
    guidelines: tuple[Guideline, ...]

    @property
    def genes(self) -> list[str]:
        """Every gene the KB can call from a VCF (has an allele definition)."""
        return sorted(self.definitions)

    @property
    def guideline_genes(self) -> list[str]:
        """Every gene any guideline looks up (includes outside-call-only genes such as HLA-B)."""
        return sorted({g for gl in self.guidelines for g in gl.genes})

    def phenotype_map(self, gene: str) -> PhenotypeMap | None:
        return self.phenotypes.get(gene)
