"""Typed star-allele definitions, read from PharmCAT's data layout.

PharmCAT's ``definition/alleles/<GENE>_translation.json`` lists a gene's defining
positions (``variants``) and its named alleles, each with one allele per position
(``None`` where the allele says nothing about that position). ``exemptions.json`` adds
gene-specific rules. These dataclasses are what the matcher, the KB builder and the
cohort caller share; the compact project KB serialises the same fields.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genorx.errors import GenorxError, input_error

# IUPAC codes used in definitions for "either of these bases".
IUPAC: dict[str, frozenset[str]] = {
    "R": frozenset("AG"),
    "Y": frozenset("CT"),
    "S": frozenset("GC"),
    "W": frozenset("AT"),
    "K": frozenset("GT"),
    "M": frozenset("AC"),
    "B": frozenset("CGT"),
    "D": frozenset("AGT"),
    "H": frozenset("ACT"),
    "V": frozenset("ACG"),
    "N": frozenset("ACGT"),
}


@dataclass(frozen=True, slots=True)
class Locus:
    """One defining position (VCF coordinates, GRCh38)."""

    chrom: str
    position: int
    ref: str
    alts: tuple[str, ...]
    rsid: str | None = None
    hgvs: str | None = None
    cpic_position: int | None = None
    cpic_to_vcf: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def key(self) -> tuple[str, int]:
        return (self.chrom, self.position)

    def same_variant(self, other: Locus) -> bool:
        """PharmCAT's identity of an exemption locus: the rsid when it has one, else the HGVS name
        (a position can carry two different variants, e.g. a SNP and a deletion)."""
        if other.rsid is not None:
            return other.rsid == self.rsid
        return other.hgvs is not None and other.hgvs == self.hgvs

    @property
    def label(self) -> str:
        return f"{self.chrom}:{self.position}" + (f" ({self.rsid})" if self.rsid else "")


@dataclass(frozen=True, slots=True)
class NamedAllele:
    """A haplotype definition: one allele (VCF spelling, may be IUPAC) or None per locus."""

    name: str
    id: str
    alleles: tuple[str | None, ...]
    reference: bool = False
    structural_variant: bool = False

    @property
    def defined_count(self) -> int:
        return sum(a is not None for a in self.alleles)


@dataclass(frozen=True, slots=True)
class Exemptions:
    """Gene-specific rules from ``exemptions.json`` (empty when absent)."""

    ignored_positions: frozenset[int] = frozenset()  # positions of ``ignored_loci``
    ignored_loci: tuple[Locus, ...] = ()  # matched by rsid, else HGVS name (as PharmCAT)
    extra_positions: tuple[Locus, ...] = ()
    required_positions: frozenset[int] = frozenset()
    ignored_alleles: frozenset[str] = frozenset()
    unphased_priorities: dict[str, str] = field(default_factory=dict, hash=False, compare=False)
    amp1_alleles: tuple[str, ...] = ()
    amp1_positions: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class GeneDefinition:
    gene: str
    chromosome: str
    genome_build: str
    version: str
    source: str
    loci: tuple[Locus, ...]
    named_alleles: tuple[NamedAllele, ...]
    exemptions: Exemptions = field(default_factory=Exemptions)

    @property
    def reference_allele(self) -> NamedAllele:
        for allele in self.named_alleles:
            if allele.reference:
                return allele
        return self.named_alleles[0]


def _locus(raw: dict[str, Any]) -> Locus:
    return Locus(
        chrom=raw["chromosome"],
        position=int(raw["position"]),
        ref=raw["ref"],
        alts=tuple(raw.get("alts") or ()),
        rsid=raw.get("rsid"),
        hgvs=raw.get("chromosomeHgvsName"),
        cpic_position=raw.get("cpicPosition"),
        cpic_to_vcf=dict(raw.get("cpicToVcfAlleleMap") or {}),
    )


def parse_exemptions(raw: dict[str, Any]) -> Exemptions:
    return Exemptions(
        ignored_positions=frozenset(int(p["position"]) for p in raw.get("ignoredPositions") or ()),
        ignored_loci=tuple(_locus(p) for p in raw.get("ignoredPositions") or ()),
        extra_positions=tuple(_locus(p) for p in raw.get("extraPositions") or ()),
        required_positions=frozenset(int(p) for p in raw.get("requiredPositions") or ()),
        ignored_alleles=frozenset(raw.get("ignoredAlleles") or ()),
        unphased_priorities={p["id"]: p["pick"] for p in raw.get("unphasedDiplotypePriorities") or ()},
        amp1_alleles=tuple(raw.get("amp1Alleles") or ()),
        amp1_positions=tuple(int(p) for p in raw.get("amp1Positions") or ()),
    )


def parse_translation(raw: dict[str, Any], exemptions: Exemptions | None = None) -> GeneDefinition:
    """A GeneDefinition from one parsed ``<GENE>_translation.json``."""
    loci = tuple(_locus(v) for v in raw["variants"])
    alleles = tuple(
        NamedAllele(
            name=a["name"],
            id=a.get("id") or a["name"],
            alleles=tuple(a["alleles"]),
            reference=bool(a.get("reference")),
            structural_variant=bool(a.get("structuralVariant")),
        )
        for a in raw["namedAlleles"]
    )
    for allele in alleles:
        if len(allele.alleles) != len(loci):
            raise GenorxError(
                f"definition for {raw.get('gene')}: allele {allele.name} has {len(allele.alleles)} "
                f"positions but the gene has {len(loci)}; fix: use an unmodified definition file"
            )
    return GeneDefinition(
        gene=raw["gene"],
        chromosome=raw["chromosome"],
        genome_build=raw.get("genomeBuild") or "GRCh38",
        version=str(raw.get("version") or ""),
        source=str(raw.get("source") or ""),
        loci=loci,
        named_alleles=alleles,
        exemptions=exemptions or Exemptions(),
    )


def read_json(path: Path) -> Any:
    """Parse a JSON file; a missing or corrupt file is a one-line error naming it."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise input_error(path, None, "file not found", "fetch or build the knowledge base again") from None
    except json.JSONDecodeError as exc:
        raise input_error(
            path, f"line {exc.lineno}", f"corrupt JSON ({exc.msg})", "fetch the knowledge base again"
        ) from None


def load_pharmcat_definitions(
    directory: str | Path, genes: list[str] | None = None, use_exemptions: bool = True
) -> dict[str, GeneDefinition]:
    """Every ``*_translation.json`` under ``directory`` (a PharmCAT data dir or its
    ``definition/alleles`` folder), keyed by gene."""
    root = Path(directory)
    folder = root / "definition" / "alleles" if (root / "definition" / "alleles").is_dir() else root
    exemptions_raw: dict[str, Any] = {}
    if use_exemptions and (folder / "exemptions.json").exists():
        exemptions_raw = read_json(folder / "exemptions.json")
    wanted = set(genes) if genes else None
    out: dict[str, GeneDefinition] = {}
    for path in sorted(folder.glob("*_translation.json")):
        gene = path.name.removesuffix("_translation.json")
        if wanted is not None and gene not in wanted:
            continue
        ex = parse_exemptions(exemptions_raw[gene]) if gene in exemptions_raw else None
        try:
            out[gene] = parse_translation(read_json(path), ex)
        except (KeyError, TypeError) as exc:
            raise input_error(
                path,
                None,
                f"not a PharmCAT allele definition (missing {exc})",
                "fetch the knowledge base again",
            ) from None
    return out
