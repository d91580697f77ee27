"""Target-position status for one sample: evidence + calls -> one row per target base."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pysam

from genorx.call.bed import Interval, merge, read_bed, write_bed
from genorx.call.calls import overlapping, vcf_evidence
from genorx.call.evidence import Evidence, gather
from genorx.call.status import TargetStatus, Thresholds, classify
from genorx.checks.contigs import check_contigs, read_fai


def merge_targets(reference_fai: Path, beds: list[Path], out: Path) -> list[str]:
    """Union of the BEDs in reference order; return warnings (contigs the reference lacks)."""
    contigs = read_fai(reference_fai)
    warnings: list[str] = []
    intervals: list[Interval] = []
    for bed in beds:
        ivs = read_bed(bed)
        names = {iv.chrom: None for iv in ivs}
        absent = check_contigs(contigs, bed, names, "targets BED")  # type: ignore[arg-type]
        if absent:
            n = sum(iv.chrom in absent for iv in ivs)
            warnings.append(
                f"{bed}: {n} target interval(s) on {len(absent)} contig(s) the reference lacks "
                f"({', '.join(absent[:5])}); reported as no_call/not_covered"
            )
        beyond = [iv for iv in ivs if iv.chrom in contigs and iv.end > contigs[iv.chrom]]
        if beyond:
            warnings.append(
                f"{bed}: {len(beyond)} interval(s) run past their contig's end; those bases are not_covered"
            )
        intervals += ivs
    write_bed(out, merge(intervals, {c: i for i, c in enumerate(contigs)}))
    return warnings


def _reference_bases(
    fasta: Path, intervals: list[Interval], contigs: dict[str, int]
) -> dict[tuple[str, int], str]:
    out: dict[tuple[str, int], str] = {}
    with pysam.FastaFile(str(fasta)) as fa:
        for iv in intervals:
            if iv.chrom not in contigs:
                continue
            end = min(iv.end, contigs[iv.chrom])
            if end <= iv.start:
                continue
            seq = fa.fetch(iv.chrom, iv.start, end).upper()
            for i, base in enumerate(seq):
                out[(iv.chrom, iv.start + 1 + i)] = base
    return out


def target_status(
    reference: Path,
    targets_bed: Path,
    vcf: Path,
    bam: Path | None,
    thresholds: Thresholds,
    min_baseq: int = 13,
    max_depth: int = 250,
) -> list[TargetStatus]:
    """One row per base of every target interval, in BED order."""
    contigs = read_fai(Path(f"{reference}.fai"))
    intervals = read_bed(targets_bed)
    known = [iv for iv in intervals if iv.chrom in contigs and iv.start < contigs[iv.chrom]]
    bases = _reference_bases(reference, known, contigs)
    calls = overlapping(vcf, known)
    if bam is not None:
        with tempfile.TemporaryDirectory() as tmp:
            bed = Path(tmp) / "targets.bed"
            write_bed(bed, [Interval(iv.chrom, iv.start, min(iv.end, contigs[iv.chrom])) for iv in known])
            evidence: dict[tuple[str, int], Evidence] = (
                gather(bam, reference, bed, min_baseq, max_depth) if known else {}
            )
    else:
        evidence = vcf_evidence(vcf, known)
    rows: list[TargetStatus] = []
    for iv in intervals:
        for pos in range(iv.start + 1, iv.end + 1):
            key = (iv.chrom, pos)
            ref = bases.get(key)
            rows.append(
                classify(
                    iv.chrom,
                    pos,
                    ref or "N",
                    evidence.get(key),
                    calls.get(key, []),
                    thresholds,
                    known_contig=ref is not None,
                )
            )
    return rows
