"""What a VCF scan yields, and the numba-free parts of reading a VCF: the header (samples,
GT/DS declared, build from ``##contig`` lengths), scoring-position keys, and the
:class:`Candidates` a scan (or the cache) returns."""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from genorx.errors import input_error
from genorx.prs.alleles import CHR1_LENGTH, CHROM_CODES, norm_chrom

if TYPE_CHECKING:
    import polars as pl

_CONTIG = re.compile(r"##contig=<.*?ID=([^,>]+).*?length=(\d+)")


@dataclass(frozen=True)
class VcfHeader:
    path: Path
    samples: list[str]
    has_gt: bool
    has_ds: bool
    build: str | None  # from ##contig lengths (chr1), when declared


def _open_text(path: Path) -> object:
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rt", encoding="utf-8", errors="replace") if magic == b"\x1f\x8b" else open(path)


def read_header(path: str | Path, dosage: bool = False) -> VcfHeader:
    """Sample names, whether GT (and DS) are declared, and the build implied by contig lengths.
    A VCF must declare GT, or with ``dosage`` at least DS."""
    path = Path(path)
    if not path.exists():
        raise input_error(path, None, "VCF not found", "check the path")
    has_gt = has_ds = False
    build = None
    try:
        with _open_text(path) as fh:  # type: ignore[attr-defined]
            for no, line in enumerate(fh, 1):
                if line.startswith("##FORMAT=<ID=GT,"):
                    has_gt = True
                elif line.startswith("##FORMAT=<ID=DS,"):
                    has_ds = True
                elif line.startswith("##contig="):
                    m = _CONTIG.match(line)
                    if m and norm_chrom(m.group(1)) == "1":
                        build = CHR1_LENGTH.get(int(m.group(2)))
                elif line.startswith("#CHROM"):
                    cols = line.rstrip("\n\r").split("\t")
                    if cols[:8] != ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO"]:
                        raise input_error(path, f"line {no}", "malformed #CHROM header", "write a valid VCF")
                    samples = cols[9:]
                    if not samples:
                        raise input_error(
                            path,
                            f"line {no}",
                            "VCF has no sample columns (empty sample list)",
                            "score a VCF with genotypes",
                        )
                    if len(set(samples)) != len(samples):
                        dup = next(s for s in samples if samples.count(s) > 1)
                        raise input_error(
                            path, f"line {no}", f"sample {dup!r} appears twice", "rename samples"
                        )
                    if not has_gt and not (dosage and has_ds):
                        raise input_error(
                            path,
                            None,
                            "VCF declares no GT FORMAT field (no genotypes)"
                            + (" and no DS" if dosage else ""),
                            "score a VCF with GT calls" + (" or DS dosages" if dosage else ""),
                        )
                    return VcfHeader(path, samples, has_gt, has_ds, build)
                elif not line.startswith("#"):
                    break
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise input_error(path, None, f"cannot read VCF ({exc})", "check the file") from None
    raise input_error(path, None, "no #CHROM header line", "write a valid VCF header")


@dataclass(frozen=True)
class Candidates:
    """Records at scoring positions: their sites and every sample's genotype code
    (:mod:`genorx.prs.gtcodes`), two bits per call (``packed``, uint8 [n_cand, (n+3)//4], or
    its cached file) + the exact codes of the other calls (``stats``); with dosages asked
    for, also DS in 1/16384 units (65535 = no usable DS: the GT code is used)."""

    samples: list[str]
    sites: pl.DataFrame  # cand (u32), chrom (str), pos (i64), ref (str), alt (str, "." when none)
    packed: object  # np.ndarray or genorx.prs.rows.RowSource
    n_records: int  # data lines scanned
    stats: CallStats
    ds: object = None  # uint16 [n_cand, n_samples] (array or RowSource), or None

    def genotypes(self) -> object:
        """A :class:`genorx.prs.rows.Genotypes` over these records."""
        from genorx.prs.rows import Genotypes, source

        return Genotypes(source(self.packed), self.stats, len(self.samples))  # type: ignore[arg-type]

    @property
    def codes(self) -> np.ndarray:
        """All exact codes, [n_cand, n_samples] (one byte per call: for tests and small data)."""
        return self.genotypes().codes(np.arange(self.sites.height))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class CallStats:
    """Per record: copies of each allele over observed calls (``counts[:, :N_ALLELES]``) and
    their ploidy (last column); the calls whose code is above PLAIN_MAX, as sample + code,
    record ``r`` owning ``ptr[r]:ptr[r + 1]``. Computed by the scan; spares the kernel a pass."""

    counts: np.ndarray  # int32 [n_cand, N_ALLELES + 1]
    ptr: np.ndarray  # int64 [n_cand + 1]
    sample: np.ndarray  # int32
    code: np.ndarray  # uint8


def site_keys(chroms: pl.Series | list[str], positions: np.ndarray | pl.Series) -> np.ndarray:
    """Sorted unique ``chrom_code << 32 | pos`` keys of scorable positions."""
    import polars as pl

    frame = pl.DataFrame(
        {"chrom": pl.Series(chroms, dtype=pl.String), "pos": pl.Series(positions, dtype=pl.Int64)}
    )
    keys = (
        frame.lazy()
        .select(
            key=(pl.col("chrom").replace_strict(CHROM_CODES, default=0, return_dtype=pl.Int64) * (1 << 32))
            + pl.col("pos"),
            ok=pl.col("chrom").is_in(list(CHROM_CODES)) & (pl.col("pos") > 0),
        )
        .filter(pl.col("ok"))
        .select(pl.col("key").unique().sort())
        .collect()
        .to_series()
    )
    return keys.to_numpy().astype(np.int64)


def sites_frame(text: bytes) -> pl.DataFrame:
    """``CHROM POS ID REF ALT`` lines -> the sites table (normalised names, upper-case alleles)."""
    import polars as pl

    if not text:
        return pl.DataFrame(
            schema={
                "cand": pl.UInt32,
                "chrom": pl.String,
                "pos": pl.Int64,
                "ref": pl.String,
                "alt": pl.String,
            }
        )
    df = pl.read_csv(
        text,
        separator="\t",
        has_header=False,
        new_columns=["chrom", "pos", "id", "ref", "alt"],
        schema_overrides={
            "chrom": pl.String,
            "pos": pl.Int64,
            "id": pl.String,
            "ref": pl.String,
            "alt": pl.String,
        },
        quote_char=None,
    )
    df = df.drop("id").with_columns(
        pl.col("chrom").str.replace(r"^(?i)chr", "").str.to_uppercase().replace({"M": "MT", "23": "X"}),
        pl.col("ref").str.to_uppercase(),
        pl.col("alt").str.to_uppercase(),
    )
    return df.with_row_index("cand")
