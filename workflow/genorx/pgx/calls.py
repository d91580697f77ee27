"""Result types of the star-allele matcher (what ``call_gene`` returns)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Diplotype:
    """A diplotype call: ``name`` like ``*1/*2``; one haplotype for haploid calls (chrX males)."""

    name: str
    haplotypes: tuple[str, ...]
    score: int


@dataclass(frozen=True, slots=True)
class MissingPosition:
    chrom: str
    pos: int
    rsid: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class GenotypeUsed:
    chrom: str
    pos: int
    rsid: str | None
    ref: str
    genotype: str  # bases, "/" unphased, "|" phased, "." missing
    status: (
        str  # ok | absent | no_call | target_no_call | ref_mismatch | contig_absent | unknown_alt | ignored
    )


@dataclass(slots=True)
class GeneCall:
    """One gene called for one sample.

    ``diplotypes``: every diplotype tied at the top score (all candidates when
    ``top_candidate_only=False``), ordered as PharmCAT orders them. ``candidates``: every
    diplotype consistent with the genotypes, with its score. For genes reported as
    lowest-function variants (DPYD, unphased with several variants) ``haplotype_matches``
    lists every matched haplotype (twice when homozygous) and ``lowest_function`` is True;
    the phenotyper then picks the two lowest-function ones.
    """

    gene: str
    sample_id: str
    call_status: str  # called | ambiguous | no_call
    diplotypes: list[Diplotype] = field(default_factory=list)
    candidates: list[Diplotype] = field(default_factory=list)
    phased: bool = False
    missing_positions: list[MissingPosition] = field(default_factory=list)
    genotypes_used: list[GenotypeUsed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    no_call_reason: str | None = None
    haplotype_matches: list[str] = field(default_factory=list)
    lowest_function: bool = False

    @property
    def diplotype_names(self) -> list[str]:
        return [d.name for d in self.diplotypes]

    @property
    def display(self) -> str:
        """The TSV ``diplotype`` column: tied calls joined by `` OR ``."""
        return " OR ".join(self.diplotype_names)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["diplotypes"] = self.diplotype_names
        out["candidates"] = [{"diplotype": d.name, "score": d.score} for d in self.candidates]
        out["genotypes"] = out.pop("genotypes_used")
        return out
