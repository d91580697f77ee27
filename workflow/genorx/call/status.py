"""Status of one target position: ``variant``, ``ref`` or ``no_call`` (with a reason).

``variant``: a passing call with an alternate allele starts at the position (an indel's
anchor base counts) or spans it (a deletion). ``ref``: no such call, depth at least
``min_depth``, mapping-quality-0 fraction at most ``max_mq0_fraction`` and no alternate
evidence (fewer than ``min_alt_reads`` reads, or less than ``min_alt_fraction``, carry
another allele). Anything else is ``no_call``: ``not_covered`` (no reads, or the contig or
position is absent from the reference), ``low_depth``, ``low_mapq``, ``alt_evidence``
(reads or a filtered call show another allele that no passing call explains).
"""

from __future__ import annotations

from dataclasses import dataclass

from genorx.call.evidence import Evidence


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_depth: int = 10
    max_mq0_fraction: float = 0.1
    min_alt_reads: int = 2
    min_alt_fraction: float = 0.1


@dataclass(frozen=True, slots=True)
class Call:
    """A normalised record overlapping a target: its span and genotype alleles."""

    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    gt: tuple[int | None, ...]
    phased: bool
    passed: bool
    line: str = ""  # the VCF line, for the targets VCF

    @property
    def end(self) -> int:
        return self.pos + len(self.ref) - 1

    @property
    def carries_alt(self) -> bool:
        return any(a is not None and a > 0 for a in self.gt)


@dataclass(frozen=True, slots=True)
class TargetStatus:
    chrom: str
    pos: int
    ref: str
    depth: int
    mq0_fraction: float | None
    status: str
    reason: str
    genotype: str
    calls: tuple[Call, ...] = ()


def genotype_of(calls: list[Call], pos: int, ref_base: str) -> str:
    """Alleles as bases at ``pos`` from the calls that carry an alternate there."""
    ploidy = max(len(c.gt) for c in calls)
    starting = [c for c in calls if c.pos == pos]
    haps: list[str] = []
    for i in range(ploidy):
        allele = None
        for c in calls:
            a = c.gt[i] if i < len(c.gt) else None
            if a is None:
                continue
            if a > 0:
                allele = c.alts[a - 1] if c.pos == pos else "*"
                break
        if allele is None:
            missing = all((c.gt[i] if i < len(c.gt) else None) is None for c in calls)
            allele = "." if missing else (starting[0].ref if starting else ref_base)
        haps.append(allele)
    sep = "|" if all(c.phased for c in calls) else "/"
    return sep.join(haps)


def classify(
    chrom: str,
    pos: int,
    ref_base: str,
    evidence: Evidence | None,
    calls: list[Call],
    t: Thresholds,
    known_contig: bool = True,
) -> TargetStatus:
    depth = evidence.depth if evidence else 0
    mq0 = evidence.mq0_fraction if evidence else None

    def no_call(reason: str) -> TargetStatus:
        return TargetStatus(chrom, pos, ref_base, depth, mq0, "no_call", reason, ".", tuple(calls))

    if not known_contig:
        return no_call("not_covered")
    passing = [c for c in calls if c.passed and c.carries_alt]
    if passing:
        return TargetStatus(
            chrom,
            pos,
            ref_base,
            depth,
            mq0,
            "variant",
            "",
            genotype_of(passing, pos, ref_base),
            tuple(passing),
        )
    if evidence is None or depth == 0:
        return no_call("not_covered")
    if depth < t.min_depth:
        return no_call("low_depth")
    if mq0 is not None and mq0 > t.max_mq0_fraction:
        return no_call("low_mapq")
    filtered = [c for c in calls if not c.passed and c.carries_alt]
    alt = evidence.alt_reads
    if filtered or (alt >= t.min_alt_reads and alt >= t.min_alt_fraction * depth):
        return no_call("alt_evidence")
    return TargetStatus(chrom, pos, ref_base, depth, mq0, "ref", "", f"{ref_base}/{ref_base}")
