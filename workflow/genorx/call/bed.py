"""Target BEDs: read, check, union, sort in reference order, write.

Intervals are 0-based half-open (BED). The union of the configured targets and every
stage's extra BED becomes ``results/targets/all_targets.bed``, one merged interval per
stretch, sorted by the reference's contig order; a 4th column keeps the names (``;``-joined).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genorx.atomic import atomic_open
from genorx.errors import input_error


@dataclass(frozen=True, slots=True)
class Interval:
    chrom: str
    start: int  # 0-based
    end: int  # exclusive
    name: str = ""


def read_bed(path: Path) -> list[Interval]:
    opener = gzip.open if str(path).endswith(".gz") else open
    out: list[Interval] = []
    with opener(path, "rt") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            parts = line.rstrip("\n\r").split("\t")
            if len(parts) < 3:
                raise input_error(
                    path, f"line {n}", "fewer than 3 tab-separated columns", "write chrom, start, end"
                )
            try:
                start, end = int(parts[1]), int(parts[2])
            except ValueError as exc:
                raise input_error(
                    path, f"line {n}", "start/end are not integers", "write 0-based start, end"
                ) from exc
            if start < 0 or end <= start:
                raise input_error(
                    path,
                    f"line {n}",
                    f"empty or negative interval {start}-{end}",
                    "BED is 0-based half-open: a single position p (1-based) is 'p-1  p'",
                )
            out.append(Interval(parts[0], start, end, parts[3] if len(parts) > 3 else ""))
    return out


def merge(intervals: Iterable[Interval], contig_order: dict[str, int]) -> list[Interval]:
    """Sorted union; overlapping or touching intervals are joined and their names kept."""

    def key(iv: Interval) -> tuple[int, str, int, int]:
        return (contig_order.get(iv.chrom, len(contig_order)), iv.chrom, iv.start, iv.end)

    merged: list[Interval] = []
    for iv in sorted(intervals, key=key):
        last = merged[-1] if merged else None
        if last and last.chrom == iv.chrom and iv.start <= last.end:
            names = last.name.split(";") if last.name else []
            if iv.name and iv.name not in names:
                names.append(iv.name)
            merged[-1] = Interval(last.chrom, last.start, max(last.end, iv.end), ";".join(names))
        else:
            merged.append(iv)
    return merged


def write_bed(path: Path, intervals: Iterable[Interval]) -> None:
    with atomic_open(path) as fh:
        for iv in intervals:
            fh.write(f"{iv.chrom}\t{iv.start}\t{iv.end}" + (f"\t{iv.name}" if iv.name else "") + "\n")


def positions(intervals: list[Interval]) -> tuple[list[str], np.ndarray]:
    """Every base of every interval: (contig per interval-run, 1-based positions)."""
    chroms: list[str] = []
    pos: list[np.ndarray] = []
    for iv in intervals:
        chroms += [iv.chrom] * (iv.end - iv.start)
        pos.append(np.arange(iv.start + 1, iv.end + 1, dtype=np.int64))
    return chroms, (np.concatenate(pos) if pos else np.zeros(0, dtype=np.int64))
