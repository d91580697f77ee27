"""Names that must compare equal across files: chromosomes, genome builds, alleles."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl


_COMPLEMENT = str.maketrans("ACGT", "TGCA")
_DNA = re.compile(r"^[ACGT]+$")
_BUILDS = {
    "GRCH38": "GRCh38",
    "HG38": "GRCh38",
    "GRCH37": "GRCh37",
    "HG19": "GRCh37",
    "NCBI36": "NCBI36",
    "HG18": "NCBI36",
}
# chr1 length tells the build of a VCF that declares its contigs.
CHR1_LENGTH = {248956422: "GRCh38", 249250621: "GRCh37", 247249719: "NCBI36"}

# Chromosome codes used by the scan kernel (0 = not scored).
CHROM_CODES: dict[str, int] = {str(i): i for i in range(1, 23)} | {"X": 23, "Y": 24, "MT": 25}
CODE_CHROMS: dict[int, str] = {v: k for k, v in CHROM_CODES.items()}


def norm_chrom(name: str) -> str:
    """``chr1``/``1`` -> ``1``; ``23``/``chrX`` -> ``X``; ``M``/``chrM`` -> ``MT``."""
    c = name.strip()
    if c[:3].lower() == "chr":
        c = c[3:]
    c = c.upper()
    return {"23": "X", "24": "Y", "25": "XY", "26": "MT", "M": "MT"}.get(c, c)


def norm_build(name: str | None) -> str | None:
    """A canonical build name, or None when not reported (``NR``, empty)."""
    if name is None:
        return None
    key = name.strip().upper()
    if key in {"", "NR", "NA", "NONE"}:
        return None
    return _BUILDS.get(key, name.strip())


def complement(allele: str) -> str:
    """Reverse strand of a DNA allele (base-wise complement); non-DNA alleles unchanged."""
    return allele.translate(_COMPLEMENT) if _DNA.match(allele) else allele


def is_dna(allele: str) -> bool:
    return bool(_DNA.match(allele))


def complement_series(s: pl.Series) -> pl.Series:
    """:func:`complement` of every value (null stays null), computed once per distinct allele."""
    import polars as pl

    mapping = {u: complement(u) for u in s.drop_nulls().unique().to_list()}
    if not mapping:
        return s.cast(pl.String)
    return s.replace_strict(mapping, default=None, return_dtype=pl.String)
