"""Records of the sample's normalised VCF that overlap the targets.

Besides the calls themselves, a VCF given as input (no alignment) is the only evidence
there is: a ``0/0`` record or gVCF reference block covering a position, with its depth
(``DP`` or ``MIN_DP``) and ``MQ0F`` when present, stands in for the read pileup.
"""

from __future__ import annotations

from pathlib import Path

import pysam

from genorx.call.bed import Interval
from genorx.call.evidence import Evidence
from genorx.call.status import Call

PASS = {"PASS", "."}


def _call(rec: pysam.VariantRecord, sample: int) -> Call:
    s = rec.samples[sample]
    gt = tuple(s.get("GT") or (None, None))
    filters = list(rec.filter.keys()) or ["."]
    alts = tuple(a for a in (rec.alts or ()))
    return Call(
        rec.chrom, rec.pos, rec.ref, alts, gt, bool(s.phased), all(f in PASS for f in filters), str(rec)
    )


def _real_alts(call: Call) -> Call:
    """Symbolic alleles (<*>, <NON_REF>) never make a call a variant."""
    gt = tuple(
        None if a is None else (0 if a > 0 and call.alts[a - 1].startswith("<") else a) for a in call.gt
    )
    return Call(call.chrom, call.pos, call.ref, call.alts, gt, call.phased, call.passed, call.line)


def overlapping(vcf: Path, intervals: list[Interval]) -> dict[tuple[str, int], list[Call]]:
    """(chrom, pos) of each target base -> the records covering it."""
    out: dict[tuple[str, int], list[Call]] = {}
    with pysam.VariantFile(str(vcf)) as vf:
        contigs = set(vf.header.contigs)
        for iv in intervals:
            if iv.chrom not in contigs:
                continue
            for rec in vf.fetch(iv.chrom, iv.start, iv.end):
                call = _real_alts(_call(rec, 0))
                end = rec.stop  # honours INFO/END of gVCF blocks
                for p in range(max(rec.pos, iv.start + 1), min(end, iv.end) + 1):
                    bucket = out.setdefault((iv.chrom, p), [])
                    if call not in bucket:
                        bucket.append(call)
    return out


def vcf_evidence(vcf: Path, intervals: list[Interval]) -> dict[tuple[str, int], Evidence]:
    """Depth / MQ0F / alternate reads per target base, from the VCF records alone."""
    out: dict[tuple[str, int], Evidence] = {}
    with pysam.VariantFile(str(vcf)) as vf:
        contigs = set(vf.header.contigs)
        fmt_keys = set(vf.header.formats)
        info_keys = set(vf.header.info)
        for iv in intervals:
            if iv.chrom not in contigs:
                continue
            for rec in vf.fetch(iv.chrom, iv.start, iv.end):
                s = rec.samples[0]
                depth = None
                for key in ("MIN_DP", "DP"):
                    if key in fmt_keys and s.get(key) is not None:
                        depth = int(s[key])
                        break
                if depth is None and "DP" in info_keys and rec.info.get("DP") is not None:
                    depth = int(rec.info["DP"])
                mq0 = float(rec.info["MQ0F"]) if "MQ0F" in info_keys and "MQ0F" in rec.info else None
                ad = s.get("AD") if "AD" in fmt_keys else None
                alt = max((int(x) for x in (ad or (0,))[1:] if x is not None), default=0)
                ev = Evidence(depth or 0, mq0, alt)  # type: ignore[arg-type]
                for p in range(max(rec.pos, iv.start + 1), min(rec.stop, iv.end) + 1):
                    prev = out.get((iv.chrom, p))
                    out[(iv.chrom, p)] = (
                        ev
                        if prev is None
                        else Evidence(
                            max(prev.depth, ev.depth), prev.mq0_fraction, max(prev.alt_reads, ev.alt_reads)
                        )
                    )
    return out
