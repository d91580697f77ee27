"""Where the demo genome has sequence: pharmacogene windows, a paralog pair, PRS windows.

Coordinates are real GRCh38 positions. Everything outside a window is ``N``; a contig is
only as long as its last window (plus a margin), which keeps indexing quick.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from pathlib import Path

from genorx.errors import input_error

# Pharmacogenes whose allele-defining positions get sequence. Genes on contigs that would
# have to be much longer (UGT1A1 on chr2 at 233 Mb, G6PD on chrX, CFTR, CACNA1S, ABCG2)
# are left out: their targets are reported `no_call` / `not_covered`, as on a real panel.
DEMO_GENES: tuple[str, ...] = (
    "DPYD",
    "TPMT",
    "CYP3A5",
    "CYP3A4",
    "NAT2",
    "CYP2C9",
    "CYP2C19",
    "SLCO1B1",
    "NUDT15",
    "VKORC1",
    "CYP4F2",
    "CYP2B6",
    "IFNL3",
    "RYR1",
    "CYP2D6",
)
FLANK = 1000  # bases of sequence either side of a defining position
MERGE_GAP = 3000  # windows closer than this are joined
CONTIG_MARGIN = 50_000  # N after the last window of a contig

# A CYP2D6/CYP2D7-like pair next to CYP2D6: the source segment lies just upstream of CYP2D6's
# defining positions, the copy about where CYP2D7 lies, diverged by PARALOG_DIVERGENCE. Reads
# there get mapping quality 0 often enough to show why depth alone cannot make a `ref` call;
# the defining positions themselves stay unique, so the planted star alleles remain callable.
PARALOG_CHROM = "chr22"
PARALOG_SOURCE = (42_131_000, 42_137_600)  # 0-based half-open
PARALOG_COPY_START = 42_140_000
PARALOG_WINDOW = (42_118_000, 42_152_000)
PARALOG_DIVERGENCE = 0.005

# Windows that hold the PRS demonstration sites (0-based start, length).
PRS_WINDOWS: tuple[tuple[str, int, int], ...] = (
    ("chr1", 50_000_000, 40_000),
    ("chr6", 10_000_000, 40_000),
    ("chr10", 60_000_000, 40_000),
    ("chr13", 30_000_000, 40_000),
    ("chr19", 20_000_000, 40_000),
)


@dataclass(frozen=True, slots=True)
class KbPosition:
    """One allele-defining position of the bundled knowledge base (1-based)."""

    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    gene: str
    rsid: str

    @property
    def end(self) -> int:
        """1-based inclusive end of the reference allele."""
        return self.pos + len(self.ref) - 1


@dataclass(frozen=True, slots=True)
class Window:
    """A stretch of synthetic sequence, 0-based half-open."""

    chrom: str
    start: int
    end: int
    kind: str  # "pgx" | "paralog" | "prs"
    name: str

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Layout:
    contigs: dict[str, int]  # name -> length, in output order
    windows: tuple[Window, ...]
    kb: tuple[KbPosition, ...]  # defining positions that lie inside a window

    def windows_on(self, chrom: str) -> list[Window]:
        return [w for w in self.windows if w.chrom == chrom]


def read_kb_positions(path: Path) -> list[KbPosition]:
    """``chrom pos ref alts gene rsid`` (1-based) as written by ``genorx kb build``."""
    out: list[KbPosition] = []
    with open(path, newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        for n, row in enumerate(reader, start=2):
            try:
                out.append(
                    KbPosition(
                        chrom=row["chrom"],
                        pos=int(row["pos"]),
                        ref=row["ref"].upper(),
                        alts=tuple(a for a in row["alts"].split(",") if a),
                        gene=row["gene"],
                        rsid=row["rsid"],
                    )
                )
            except (KeyError, ValueError, TypeError) as exc:
                raise input_error(
                    path, f"line {n}", f"not a positions row ({exc})", "regenerate it with genorx kb build"
                ) from exc
    return out


def _merge(intervals: list[tuple[int, int]], gap: int) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + gap:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _contig_key(name: str) -> tuple[int, str]:
    tail = name.removeprefix("chr")
    return (int(tail), "") if tail.isdigit() else (1000, tail)


def build_layout(kb: list[KbPosition]) -> Layout:
    """Windows around the demo genes' defining positions, the paralog pair and PRS windows."""
    per_chrom: dict[str, list[tuple[int, int]]] = {}
    names: dict[str, set[str]] = {}
    for p in kb:
        if p.gene not in DEMO_GENES:
            continue
        per_chrom.setdefault(p.chrom, []).append((p.pos - 1 - FLANK, p.end + FLANK))
        names.setdefault(p.chrom, set()).add(p.gene)
    per_chrom.setdefault(PARALOG_CHROM, []).append(PARALOG_WINDOW)

    windows: list[Window] = []
    for chrom, intervals in per_chrom.items():
        for start, end in _merge(intervals, MERGE_GAP):
            if start <= PARALOG_WINDOW[0] < end and chrom == PARALOG_CHROM:
                windows.append(Window(chrom, start, end, "paralog", "CYP2D6/CYP2D7-like"))
                continue
            genes = sorted(
                {p.gene for p in kb if p.chrom == chrom and start <= p.pos - 1 < end and p.gene in DEMO_GENES}
            )
            windows.append(Window(chrom, start, end, "pgx", ",".join(genes)))
    for chrom, start, length in PRS_WINDOWS:
        windows.append(Window(chrom, start, start + length, "prs", f"prs-{chrom}"))
    windows.sort(key=lambda w: (_contig_key(w.chrom), w.start))
    _check_disjoint(windows)

    contigs: dict[str, int] = {}
    for w in windows:
        contigs[w.chrom] = max(contigs.get(w.chrom, 0), w.end + CONTIG_MARGIN)
    inside = tuple(
        p for p in kb if any(w.chrom == p.chrom and w.start <= p.pos - 1 and p.end <= w.end for w in windows)
    )
    return Layout(contigs=contigs, windows=tuple(windows), kb=inside)


def _check_disjoint(windows: list[Window]) -> None:
    for a, b in itertools.pairwise(windows):
        if a.chrom == b.chrom and b.start < a.end:
            raise AssertionError(f"demo windows overlap: {a} / {b}")


def paralog_copy_interval() -> tuple[int, int]:
    """0-based half-open interval of the diverged copy."""
    length = PARALOG_SOURCE[1] - PARALOG_SOURCE[0]
    return PARALOG_COPY_START, PARALOG_COPY_START + length
