"""The planted variants: pharmacogenomic haplotypes, PRS sites, background SNVs and indels.

Every variant is written left-aligned and minimal (as ``bcftools norm`` would), with a
phased genotype: ``gt[h]`` is 1 when haplotype ``h`` carries the alternate allele.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genorx.demo.genome import Genome, decode
from genorx.demo.layout import PARALOG_CHROM, PARALOG_SOURCE, KbPosition, paralog_copy_interval
from genorx.demo.panel import PATIENTS, haplotype_alleles

SNV_RATE = 1.0e-3
INDEL_RATE = 1.6e-4
PARALOG_SNV_RATE = 3.0e-3
PARALOG_INDEL_RATE = 3.0e-4
HOM_FRACTION = 0.4
EDGE = 400  # no background variant this close to a window edge
SPACING = 15  # bases kept free around every planted variant
PRS_SITES_PER_WINDOW = 60
INDEL_LENGTHS = np.arange(1, 11)
INDEL_WEIGHTS = 1.0 / INDEL_LENGTHS / np.sum(1.0 / INDEL_LENGTHS)


@dataclass(frozen=True, slots=True)
class Variant:
    chrom: str
    pos: int  # 1-based
    ref: str
    alt: str
    gt: tuple[int, int]
    source: str  # "pgx" | "background" | "paralog" | "prs"
    label: str = ""

    @property
    def is_snv(self) -> bool:
        return len(self.ref) == 1 and len(self.alt) == 1

    @property
    def end(self) -> int:
        return self.pos + len(self.ref) - 1


@dataclass(frozen=True, slots=True)
class PrsSite:
    chrom: str
    pos: int
    ref: str
    alt: str
    af: float


def pgx_variants(patient: str, kb: tuple[KbPosition, ...]) -> list[Variant]:
    """The patient's planted star-allele variants at their GRCh38 positions."""
    by_rsid = {p.rsid: p for p in kb}
    out: list[Variant] = []
    for gene, (h1, h2) in PATIENTS[patient].items():
        a1, a2 = haplotype_alleles(gene, h1), haplotype_alleles(gene, h2)
        for rsid in sorted(set(a1) | set(a2)):
            p = by_rsid[rsid]
            alt = a1.get(rsid) or a2[rsid]
            if alt not in p.alts:
                raise AssertionError(f"{rsid}: planted allele {alt} is not a KB alternate {p.alts}")
            gt = (int(rsid in a1), int(rsid in a2))
            out.append(Variant(p.chrom, p.pos, p.ref, alt, gt, "pgx", f"{gene}:{rsid}"))
    return out


def prs_sites(genome: Genome, rng: np.random.Generator) -> list[PrsSite]:
    """A few hundred biallelic SNVs in the PRS windows, with an allele frequency each."""
    sites: list[PrsSite] = []
    for w in genome.layout.windows:
        if w.kind != "prs":
            continue
        seq = genome.window_seq(w.chrom, w.start)
        offs = np.arange(EDGE, w.length - EDGE, w.length // (PRS_SITES_PER_WINDOW + 2))
        offs = offs + rng.integers(-60, 60, size=len(offs))
        for off in offs[:PRS_SITES_PER_WINDOW]:
            ref = int(seq[off])
            alt = (ref + int(rng.integers(1, 4))) % 4
            af = round(float(rng.uniform(0.05, 0.5)), 3)
            sites.append(PrsSite(w.chrom, w.start + int(off) + 1, "ACGT"[ref], "ACGT"[alt], af))
    return sites


def prs_variants(sites: list[PrsSite], rng: np.random.Generator) -> list[Variant]:
    """One patient's genotypes at the PRS sites, each haplotype drawn from ``af``."""
    draws = rng.random((len(sites), 2))
    out = []
    for site, (u1, u2) in zip(sites, draws, strict=True):
        gt = (int(u1 < site.af), int(u2 < site.af))
        if gt != (0, 0):
            out.append(
                Variant(site.chrom, site.pos, site.ref, site.alt, gt, "prs", f"{site.chrom}:{site.pos}")
            )
    return out


class _Occupancy:
    """Bases already used (planted variants, defining positions) per window."""

    def __init__(self, genome: Genome) -> None:
        self.genome = genome
        self.masks = {(w.chrom, w.start): np.zeros(w.length, dtype=bool) for w in genome.layout.windows}
        for (_, _), m in self.masks.items():
            m[:EDGE] = True
            m[-EDGE:] = True

    def window_of(self, chrom: str, pos0: int) -> tuple[int, np.ndarray] | None:
        for w in self.genome.layout.windows_on(chrom):
            if w.start <= pos0 < w.end:
                return w.start, self.masks[(chrom, w.start)]
        return None

    def block(self, chrom: str, start0: int, end0: int, pad: int = SPACING) -> None:
        hit = self.window_of(chrom, start0)
        if hit:
            wstart, mask = hit
            mask[max(0, start0 - wstart - pad) : max(0, end0 - wstart + pad)] = True

    def free(self, chrom: str, start0: int, end0: int) -> bool:
        hit = self.window_of(chrom, start0)
        if hit is None:
            return False
        wstart, mask = hit
        lo, hi = start0 - wstart - SPACING, end0 - wstart + SPACING
        return lo >= 0 and hi <= len(mask) and not mask[lo:hi].any()


def _left_align_deletion(seq: np.ndarray, d: int, length: int) -> int:
    while d - 1 >= 1 and seq[d - 1] == seq[d + length - 1]:
        d -= 1
    return d


def _left_align_insertion(seq: np.ndarray, a: int, ins: np.ndarray) -> tuple[int, np.ndarray]:
    while a >= 1 and seq[a] == ins[-1]:
        ins = np.concatenate([ins[-1:], ins[:-1]])
        a -= 1
    return a, ins


def _genotype(rng: np.random.Generator) -> tuple[int, int]:
    if rng.random() < HOM_FRACTION:
        return (1, 1)
    return (1, 0) if rng.random() < 0.5 else (0, 1)


def _draw(
    genome: Genome,
    occ: _Occupancy,
    rng: np.random.Generator,
    chrom: str,
    wstart: int,
    lo: int,
    hi: int,
    rates: tuple[float, float],
    source: str,
) -> list[Variant]:
    """Background SNVs and 1-10 bp indels in window offsets [lo, hi)."""
    seq = genome.window_seq(chrom, wstart)
    out: list[Variant] = []
    n_snv = rng.poisson(rates[0] * (hi - lo))
    n_indel = rng.poisson(rates[1] * (hi - lo))
    kinds = rng.permutation(np.array([0] * n_snv + [1] * n_indel, dtype=np.int8))
    for kind in kinds:
        off = int(rng.integers(lo, hi))
        if kind == 0:
            if not occ.free(chrom, wstart + off, wstart + off + 1):
                continue
            ref = int(seq[off])
            alt = (ref + int(rng.integers(1, 4))) % 4
            v = Variant(chrom, wstart + off + 1, "ACGT"[ref], "ACGT"[alt], _genotype(rng), source)
            occ.block(chrom, wstart + off, wstart + off + 1)
        else:
            length = int(rng.choice(INDEL_LENGTHS, p=INDEL_WEIGHTS))
            if rng.random() < 0.5:  # deletion of seq[d:d+length] after anchor d-1
                d = _left_align_deletion(seq, off, length)
                span = (d - 1, off + length)
                ref, alt = decode(seq[d - 1 : d + length]), decode(seq[d - 1 : d])
                pos0 = d - 1
            else:  # insertion after anchor a
                ins = rng.choice(4, size=length, p=[0.3, 0.2, 0.2, 0.3]).astype(np.uint8)
                a, ins = _left_align_insertion(seq, off, ins)
                span = (a, off + 1)
                ref, alt = decode(seq[a : a + 1]), decode(seq[a : a + 1]) + decode(ins)
                pos0 = a
            if not occ.free(chrom, wstart + span[0], wstart + span[1]):
                continue
            v = Variant(chrom, wstart + pos0 + 1, ref, alt, _genotype(rng), source)
            occ.block(chrom, wstart + span[0], wstart + span[1])
        out.append(v)
    return out


def background_variants(
    genome: Genome, planted: list[Variant], sites: list[PrsSite], rng: np.random.Generator
) -> list[Variant]:
    """Random SNVs and indels in every window, denser in both paralog copies."""
    occ = _Occupancy(genome)
    for p in genome.layout.kb:
        occ.block(p.chrom, p.pos - 1, p.end)
    for s in sites:
        occ.block(s.chrom, s.pos - 1, s.pos)
    for v in planted:
        occ.block(v.chrom, v.pos - 1, v.end)
    for pos in genome.paralog_differences:
        occ.block(PARALOG_CHROM, pos - 1, pos, pad=2)
    out: list[Variant] = []
    copy = paralog_copy_interval()
    for w in genome.layout.windows:
        if w.kind == "paralog":
            for a, b in (PARALOG_SOURCE, copy):
                rates = (PARALOG_SNV_RATE, PARALOG_INDEL_RATE)
                out += _draw(genome, occ, rng, w.chrom, w.start, a - w.start, b - w.start, rates, "paralog")
        out += _draw(genome, occ, rng, w.chrom, w.start, 0, w.length, (SNV_RATE, INDEL_RATE), "background")
    return out


def patient_variants(
    patient: str, genome: Genome, sites: list[PrsSite], rng: np.random.Generator
) -> list[Variant]:
    """Everything planted in one patient, sorted by contig order then position."""
    planted = pgx_variants(patient, genome.layout.kb) + prs_variants(sites, rng)
    planted += background_variants(genome, planted, sites, rng)
    order = {c: i for i, c in enumerate(genome.layout.contigs)}
    return sorted(planted, key=lambda v: (order[v.chrom], v.pos, v.ref, v.alt))


def in_paralog(v: Variant) -> bool:
    """True when the variant lies in the source segment or its diverged copy."""
    if v.chrom != PARALOG_CHROM:
        return False
    copy = paralog_copy_interval()
    return any(a < v.pos <= b for a, b in (PARALOG_SOURCE, copy))
