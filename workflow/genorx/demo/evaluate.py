"""Calls against the demo truth: SNV and indel precision/recall, genotype concordance.

Both VCFs are expected normalised (left-aligned, biallelic records), as the call stage and
the demo write them. A site matches on (chrom, pos, ref, alt); genotype concordance is
the fraction of true positives whose alternate-allele count (het 1, hom 2) agrees. The
paralog pair (the duplicated segment and its copy) is scored separately, since that is
where aligners differ; the overall figures exclude it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import pysam

from genorx.demo.layout import PARALOG_CHROM, PARALOG_SOURCE, paralog_copy_interval

Key = tuple[str, int, str, str]


@dataclass(frozen=True, slots=True)
class Counts:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def as_dict(self) -> dict[str, float]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall}


@dataclass(slots=True)
class Evaluation:
    snv: Counts
    indel: Counts
    gt_concordance: float
    paralog: Counts
    paralog_gt_concordance: float
    missed: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)
    discordant: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "snv": self.snv.as_dict(),
            "indel": self.indel.as_dict(),
            "gt_concordance": self.gt_concordance,
            "paralog": self.paralog.as_dict(),
            "paralog_gt_concordance": self.paralog_gt_concordance,
            "missed": self.missed,
            "false": self.false,
            "discordant": self.discordant,
        }


def read_genotypes(
    path: Path, sample: str | None = None, min_qual: float = 0.0, pass_only: bool = False
) -> dict[Key, int]:
    """(chrom, pos, ref, alt) -> alternate-allele count, for records carrying the alternate.

    ``pass_only``: skip FILTERed records (e.g. ``LowQual``), which are not calls.
    """
    out: dict[Key, int] = {}
    with pysam.VariantFile(str(path)) as vf:
        idx = 0 if sample is None else list(vf.header.samples).index(sample)
        for rec in vf:
            if rec.qual is not None and rec.qual < min_qual:
                continue
            if pass_only and any(f != "PASS" for f in rec.filter.keys()):
                continue
            gt = rec.samples[idx]["GT"]
            for i, alt in enumerate(rec.alts or (), start=1):
                if alt.startswith("<") or alt == "*":
                    continue
                dose = sum(1 for a in gt if a == i)
                if dose:
                    out[(rec.chrom, rec.pos, rec.ref, alt)] = dose
    return out


def in_paralog(chrom: str, pos: int) -> bool:
    if chrom != PARALOG_CHROM:
        return False
    return any(a < pos <= b for a, b in (PARALOG_SOURCE, paralog_copy_interval()))


def _is_snv(key: Key) -> bool:
    return len(key[2]) == 1 and len(key[3]) == 1


def _label(key: Key, dose: int | None = None) -> str:
    text = f"{key[0]}:{key[1]}:{key[2]}>{key[3]}"
    return text if dose is None else f"{text}({'het' if dose == 1 else 'hom'})"


def evaluate(truth: dict[Key, int], calls: dict[Key, int]) -> Evaluation:
    def counts(select: object) -> tuple[Counts, float, list[Key]]:
        t = {k: v for k, v in truth.items() if select(k)}  # type: ignore[operator]
        c = {k: v for k, v in calls.items() if select(k)}  # type: ignore[operator]
        tp = [k for k in t if k in c]
        concordant = sum(t[k] == c[k] for k in tp)
        conc = concordant / len(tp) if tp else 1.0
        return Counts(len(tp), len(c) - len(tp), len(t) - len(tp)), conc, tp

    snv, _, snv_tp = counts(lambda k: _is_snv(k) and not in_paralog(k[0], k[1]))
    indel, _, indel_tp = counts(lambda k: not _is_snv(k) and not in_paralog(k[0], k[1]))
    par, par_conc, _ = counts(lambda k: in_paralog(k[0], k[1]))
    tp_all = snv_tp + indel_tp
    gt_conc = sum(truth[k] == calls[k] for k in tp_all) / len(tp_all) if tp_all else 1.0
    return Evaluation(
        snv=snv,
        indel=indel,
        gt_concordance=gt_conc,
        paralog=par,
        paralog_gt_concordance=par_conc,
        missed=[_label(k, d) for k, d in truth.items() if k not in calls],
        false=[_label(k, d) for k, d in calls.items() if k not in truth],
        discordant=[
            f"{_label(k)} truth {truth[k]} called {calls[k]}"
            for k in truth
            if k in calls and truth[k] != calls[k]
        ],
    )


def extra_target_positions(demo: Path, manifest: dict) -> dict[str, list[tuple[str, int]]]:
    """Positions to add to the bundled targets when checking target status on the demo:
    inside ``N`` (no sequence), every planted variant of the paralog pair, and some of the
    pair's invariant bases (a truly variant position there must never be ``ref``)."""
    par = manifest["paralog"]
    variant: set[tuple[str, int]] = set()
    for patient in manifest["patients"]:
        with pysam.VariantFile(str(demo / "truth" / f"{patient}.vcf.gz")) as vf:
            for rec in vf:
                if "PARALOG" in rec.info:
                    variant.add((rec.chrom, rec.pos))
    invariant = [
        (par["chrom"], p)
        for a, b in (par["source"], par["copy"])
        for p in range(a + 101, b, 211)
        if (par["chrom"], p) not in variant
    ]
    return {
        "n_window": [("chr10", 50_000_001), ("chr10", 50_000_002), ("chr1", 10_000_000)],
        "paralog_variant": sorted(variant),
        "paralog_invariant": invariant,
    }


def write_targets_bed(path: Path, bundled: Path, extra: dict[str, list[tuple[str, int]]]) -> str:
    """The bundled BED plus ``extra`` (named ``test:<label>``); returns the text written."""
    lines = bundled.read_text().splitlines()
    for label, positions in extra.items():
        lines += [f"{c}\t{p - 1}\t{p}\ttest:{label}" for c, p in positions]
    text = "\n".join(lines) + "\n"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    return text
