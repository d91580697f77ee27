"""Synthetic cohorts for agreement tests and benchmarks: a multi-sample VCF with missing
calls, strand-ambiguous and multi-allelic sites, and PGS Catalog scoring files whose rows
are a mix of REF/ALT orientations, strand flips and positions absent from the VCF.

The VCF text is built with numpy a block of variants at a time and compressed by
``bgzip`` (threads), so a 2,000 x 200,000 cohort takes seconds, not minutes.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genorx.prs.alleles import complement

BASES = np.array(list("ACGT"))
GRCH38_CHR1 = 248956422


@dataclass(frozen=True)
class Cohort:
    vcf: Path
    samples: list[str]
    chrom: np.ndarray  # str
    pos: np.ndarray  # int64
    ref: np.ndarray  # str
    alt: np.ndarray  # str ("G" or "G,T")
    af: np.ndarray  # float64 (first ALT)


def _sites(rng: np.random.Generator, n: int, n_chrom: int, ambiguous: float, multiallelic: float) -> tuple:
    per = np.bincount(rng.integers(0, n_chrom, n), minlength=n_chrom)
    chrom = np.repeat(np.arange(1, n_chrom + 1), per).astype(str)
    pos = np.concatenate(
        [np.sort(rng.choice(np.arange(10_000, 10_000 + 40 * k + 100), k, replace=False)) for k in per]
    )
    ref_i = rng.integers(0, 4, n)
    alt_i = (ref_i + rng.integers(1, 4, n)) % 4
    amb = rng.random(n) < ambiguous
    alt_i[amb] = 3 - ref_i[amb]  # A<->T, C<->G
    non_amb = ~amb & ((ref_i + alt_i) == 3)
    alt_i[non_amb] = (alt_i[non_amb] + 1) % 4
    alt_i[non_amb & (alt_i == ref_i)] = (ref_i[non_amb & (alt_i == ref_i)] + 2) % 4
    ref = BASES[ref_i]
    alt = BASES[alt_i].astype(object)
    multi = rng.random(n) < multiallelic
    for i in np.flatnonzero(multi):
        other = next(b for b in "ACGT" if b not in (ref[i], alt[i]))
        alt[i] = f"{alt[i]},{other}"
    return chrom, pos.astype(np.int64), ref, alt.astype(str), multi


def _gt_block(
    rng: np.random.Generator, af: np.ndarray, multi: np.ndarray, n: int, missing: float
) -> np.ndarray:
    """uint8 [v, n, 4]: ``a/b<TAB>`` per sample; ``./.`` at rate ``missing``."""
    v = len(af)
    a = (rng.random((v, n, 2)) < af[:, None, None]).astype(np.uint8)
    if multi.any():
        second = rng.random((int(multi.sum()), n, 2)) < 0.3
        a[multi] = a[multi] + (a[multi] & second)
    miss = rng.random((v, n)) < missing
    out = np.empty((v, n, 4), np.uint8)
    out[:, :, 0] = a[:, :, 0] + 48
    out[:, :, 1] = 47
    out[:, :, 2] = a[:, :, 1] + 48
    out[:, :, 3] = 9
    out[miss, 0] = 46
    out[miss, 2] = 46
    return out


def write_cohort(
    path: Path,
    n_samples: int,
    n_variants: int,
    seed: int = 1,
    n_chrom: int = 22,
    missing: float = 0.01,
    ambiguous: float = 0.03,
    multiallelic: float = 0.01,
    threads: int = 2,
    block: int = 4000,
) -> Cohort:
    """Write a BGZF VCF (and its tabix index) of ``n_samples`` x ``n_variants``."""
    rng = np.random.default_rng(seed)
    chrom, pos, ref, alt, multi = _sites(rng, n_variants, n_chrom, ambiguous, multiallelic)
    af = rng.uniform(0.02, 0.5, n_variants)
    samples = [f"S{i:05d}" for i in range(n_samples)]
    header = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID=1,length={GRCH38_CHR1}>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]),
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as fh:
        proc = subprocess.Popen(["bgzip", "-@", str(threads), "-c"], stdin=subprocess.PIPE, stdout=fh)
        assert proc.stdin is not None
        proc.stdin.write(("\n".join(header) + "\n").encode())
        for lo in range(0, n_variants, block):
            hi = min(n_variants, lo + block)
            gts = _gt_block(rng, af[lo:hi], multi[lo:hi], n_samples, missing)
            gts[:, -1, 3] = 10
            body = gts.reshape(hi - lo, -1)
            prefixes = [
                f"{c}\t{p}\t.\t{r}\t{a}\t.\t.\t.\tGT\t".encode()
                for c, p, r, a in zip(chrom[lo:hi], pos[lo:hi], ref[lo:hi], alt[lo:hi], strict=True)
            ]
            proc.stdin.write(b"".join(pre + row.tobytes() for pre, row in zip(prefixes, body, strict=True)))
        proc.stdin.close()
        if proc.wait() != 0:
            raise RuntimeError("bgzip failed")
    subprocess.run(["tabix", "-f", "-p", "vcf", str(path)], check=True)
    return Cohort(path, samples, chrom, pos, ref, alt, af)


def write_scorefile(
    path: Path,
    cohort: Cohort,
    n_rows: int,
    seed: int,
    pgs_id: str,
    flip: float = 0.05,
    swap: float = 0.5,
    absent: float = 0.02,
    build: str = "GRCh38",
    subset: np.ndarray | None = None,
    weight_seed: int | None = None,
) -> Path:
    """A PGS Catalog style scoring file over a random ``n_rows`` sites of ``cohort``. With
    ``weight_seed``, the rows (sites, orientations, flips) come from ``seed`` and only the
    weights from ``weight_seed``: files differing only in it share their variants."""
    rng = np.random.default_rng(seed)
    pool = np.arange(len(cohort.pos)) if subset is None else subset
    idx = np.sort(rng.choice(pool, min(n_rows, len(pool)), replace=False))
    lines = [
        f"#pgs_id={pgs_id}",
        f"#pgs_name={pgs_id}_synthetic",
        "#trait_reported=synthetic trait (benchmark data)",
        f"#genome_build={build}",
        "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight",
    ]
    weights = rng.normal(0, 0.05, len(idx))
    if weight_seed is not None:
        weights = np.random.default_rng(weight_seed).normal(0, 0.05, len(idx))
    flips = rng.random(len(idx)) < flip
    swaps = rng.random(len(idx)) < swap
    gone = rng.random(len(idx)) < absent
    for k, i in enumerate(idx):
        ea, oa = cohort.ref[i], cohort.alt[i].split(",")[-1]
        if swaps[k]:
            ea, oa = oa, ea
        if flips[k]:
            ea, oa = complement(ea), complement(oa)
        p = cohort.pos[i] + (1 if gone[k] else 0)
        lines.append(f"{cohort.chrom[i]}\t{p}\t{ea}\t{oa}\t{float(weights[k])!r}")
    path.write_text("\n".join(lines) + "\n")
    return path
