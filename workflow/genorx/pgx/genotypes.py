"""Genotypes at allele-defining positions, per gene and sample.

``read_sample_genotypes`` reads a single- or multi-sample VCF/BCF (bgzipped or plain)
once, keeping only records at the defining positions of the requested genes, and returns
a :class:`GenotypeSet`: per gene, integer allele codes ``(n_samples, n_loci, 2)`` into a
per-locus allele table spelled like the definition, phasing (``|`` and ``PS``), and a
status per sample and locus (why a position is missing, REF mismatch, unknown ALT,
contig absent). ``GenotypeSet.sample(gene, sample_id)`` gives one sample's view, the input
of :func:`genorx.pgx.match.call_gene`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from genorx.errors import input_error
from genorx.pgx.definitions import GeneDefinition, Locus

# Per sample and locus status codes (GeneGenotypes.status).
OK = 0
ABSENT = 1  # position not in the VCF (and no targets row saying reference)
NO_CALL = 2  # ./. in the VCF
TARGET_NO_CALL = 3  # targets file says no_call (never read as reference)
REF_MISMATCH = 4  # VCF REF disagrees with the definition's reference
CONTIG_ABSENT = 5  # the VCF has no record on the gene's chromosome
UNKNOWN_ALT = 6  # genotype carries an allele the definition does not know
STATUS_NAMES = ("ok", "absent", "no_call", "target_no_call", "ref_mismatch", "contig_absent", "unknown_alt")
MISSING_STATUSES = frozenset({ABSENT, NO_CALL, TARGET_NO_CALL, REF_MISMATCH, CONTIG_ABSENT})

MISSING_CODE = -1  # allele missing (``.``)
HAPLOID_CODE = -2  # no second allele (haploid call, e.g. chrX in males)


@dataclass(frozen=True, slots=True)
class LocusCall:
    """One sample's genotype at one defining position."""

    locus: Locus
    alleles: tuple[str, ...] | None  # bases in the definition's spelling; 1 allele = haploid
    phased: bool = False
    phase_set: int = 0
    status: str = "ok"
    reason: str | None = None

    @property
    def missing(self) -> bool:
        return self.alleles is None

    @property
    def genotype(self) -> str:
        if self.alleles is None:
            return "."
        return ("|" if self.phased else "/").join(self.alleles)


@dataclass(frozen=True, slots=True)
class SampleGenotypes:
    """A sample's genotypes at every defining position of one gene (input of ``call_gene``)."""

    gene: str
    sample_id: str
    calls: tuple[LocusCall, ...]
    warnings: tuple[str, ...] = ()
    contig_absent: bool = False

    @staticmethod
    def from_alleles(
        defn: GeneDefinition,
        genotypes: dict[int, str | None],
        sample_id: str = "sample",
        absent: str = "ref",
    ) -> SampleGenotypes:
        """Build from ``{position: "A/G" | "A|G" | None}``; positions not given are
        reference (``absent="ref"``) or missing (``absent="missing"``)."""
        calls = []
        for locus in defn.loci:
            text = genotypes.get(locus.position, "" if absent == "ref" else None)
            if text == "":
                calls.append(LocusCall(locus, (locus.ref, locus.ref)))
            elif text is None or text in (".", "./.", ".|."):
                status = "absent" if locus.position not in genotypes else "no_call"
                calls.append(LocusCall(locus, None, status=status, reason=status))
            else:
                phased = "|" in text
                alleles = tuple(text.replace("|", "/").split("/"))
                known = {locus.ref, *locus.alts}
                status = "ok" if all(a in known for a in alleles) else "unknown_alt"
                calls.append(LocusCall(locus, alleles, phased=phased, status=status))
        return SampleGenotypes(defn.gene, sample_id, tuple(calls))


@dataclass(slots=True)
class GeneGenotypes:
    """All samples' genotypes at one gene's defining positions (arrays over samples)."""

    gene: str
    loci: tuple[Locus, ...]
    allele_table: list[list[str]]  # per locus: code -> bases (0 = definition REF)
    codes: np.ndarray  # int16 (n_samples, n_loci, 2)
    phased: np.ndarray  # bool (n_samples, n_loci)
    phase_set: np.ndarray  # int64 (n_samples, n_loci), 0 = none
    status: np.ndarray  # int8 (n_samples, n_loci)
    locus_reasons: dict[int, str] = field(default_factory=dict)  # locus index -> message
    warnings: list[str] = field(default_factory=list)
    contig_absent: bool = False

    @classmethod
    def empty(cls, defn: GeneDefinition, n_samples: int) -> GeneGenotypes:
        n = len(defn.loci)
        return cls(
            gene=defn.gene,
            loci=defn.loci,
            allele_table=[[locus.ref, *locus.alts] for locus in defn.loci],
            codes=np.full((n_samples, n, 2), MISSING_CODE, dtype=np.int16),
            phased=np.zeros((n_samples, n), dtype=bool),
            phase_set=np.zeros((n_samples, n), dtype=np.int64),
            status=np.full((n_samples, n), ABSENT, dtype=np.int8),
        )

    def known_count(self, j: int) -> int:
        """Alleles of locus j that the definition knows (REF + ALTs); later codes are unknown."""
        return 1 + len(self.loci[j].alts)

    def locus_call(self, i: int, j: int) -> LocusCall:
        locus = self.loci[j]
        st = int(self.status[i, j])
        name = STATUS_NAMES[st]
        if st in MISSING_STATUSES:
            return LocusCall(locus, None, status=name, reason=self.locus_reasons.get(j, name))
        a, b = int(self.codes[i, j, 0]), int(self.codes[i, j, 1])
        if a == MISSING_CODE or b == MISSING_CODE:
            return LocusCall(locus, None, status="no_call", reason="no_call")
        table = self.allele_table[j]
        alleles = (table[a],) if b == HAPLOID_CODE else (table[a], table[b])
        return LocusCall(
            locus,
            alleles,
            phased=bool(self.phased[i, j]),
            phase_set=int(self.phase_set[i, j]),
            status=name,
            reason=self.locus_reasons.get(j),
        )


@dataclass(slots=True)
class GenotypeSet:
    """What ``read_sample_genotypes`` returns: samples x genes."""

    vcf: Path
    samples: list[str]
    genes: dict[str, GeneGenotypes]
    warnings: list[str] = field(default_factory=list)

    def sample_index(self, sample_id: str) -> int:
        try:
            return self.samples.index(sample_id)
        except ValueError:
            raise input_error(
                self.vcf, None, f"sample {sample_id!r} is not in the VCF", "pass a sample the VCF contains"
            ) from None

    def sample(self, gene: str, sample_id: str) -> SampleGenotypes:
        gg = self.genes[gene]
        i = self.sample_index(sample_id)
        calls = tuple(gg.locus_call(i, j) for j in range(len(gg.loci)))
        return SampleGenotypes(gene, sample_id, calls, tuple(gg.warnings), gg.contig_absent)


def read_sample_genotypes(
    vcf: Path,
    definitions: dict[str, GeneDefinition],
    samples: list[str] | None = None,
    targets_tsv: Path | None = None,
    absent_as_ref: bool = False,
) -> GenotypeSet:
    """Genotypes of ``samples`` (default: all in the VCF) at every defining position.

    ``targets_tsv`` (the call stage's ``{sample}.targets.tsv.gz``): positions with status
    ``ref`` and no VCF record are homozygous reference, ``no_call`` positions are missing
    (even if the VCF has a record). ``absent_as_ref``: a defining position absent from the
    VCF is homozygous reference for every sample (PharmCAT preprocessor ``-0``), on
    chromosomes the VCF has records or a header contig for.
    """
    from genorx.pgx.targets import apply_targets
    from genorx.pgx.vcf_reader import scan_vcf

    gset = scan_vcf(Path(vcf), definitions, samples)
    if targets_tsv is not None:
        apply_targets(gset, Path(targets_tsv))
    if absent_as_ref:
        for gg in gset.genes.values():
            if gg.contig_absent:
                continue
            absent = gg.status == ABSENT
            gg.codes[absent] = 0
            gg.status[absent] = OK
    return gset
