"""Every allele-defining position of a KB as ``positions.tsv`` and ``targets.bed``.

``positions.tsv``: ``chrom pos ref alts gene rsid`` (1-based, header, ``.`` for no rsid);
``targets.bed``: ``chrom pos-1 pos-1+len(ref) GENE:rsid``. Both list each gene's defining
positions plus its exemptions' extra positions, in chromosome then position order. The
call stage and the demo generator read these (docs/contracts.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from genorx.atomic import write_text
from genorx.pgx.definitions import GeneDefinition


@dataclass(frozen=True, slots=True)
class Position:
    chrom: str
    pos: int
    ref: str
    alts: tuple[str, ...]
    gene: str
    rsid: str | None


def chrom_order(chrom: str) -> tuple[int, str]:
    name = re.sub(r"^chr", "", chrom, flags=re.IGNORECASE)
    if name.isdigit():
        return (int(name), "")
    return ({"X": 23, "Y": 24, "M": 25, "MT": 25}.get(name.upper(), 99), name)


def kb_positions(definitions: dict[str, GeneDefinition]) -> list[Position]:
    """Defining + extra positions of every gene, one row per (chrom, pos), sorted."""
    seen: dict[tuple[str, int], Position] = {}
    for gene in sorted(definitions):
        d = definitions[gene]
        for locus in (*d.loci, *d.exemptions.extra_positions):
            key = (locus.chrom, locus.position)
            if key not in seen:
                seen[key] = Position(locus.chrom, locus.position, locus.ref, locus.alts, gene, locus.rsid)
    return sorted(seen.values(), key=lambda p: (chrom_order(p.chrom), p.pos))


def positions_tsv(positions: list[Position]) -> str:
    lines = ["chrom\tpos\tref\talts\tgene\trsid"]
    lines += [
        f"{p.chrom}\t{p.pos}\t{p.ref}\t{','.join(p.alts)}\t{p.gene}\t{p.rsid or '.'}" for p in positions
    ]
    return "\n".join(lines) + "\n"


def targets_bed(positions: list[Position]) -> str:
    lines = [f"{p.chrom}\t{p.pos - 1}\t{p.pos - 1 + len(p.ref)}\t{p.gene}:{p.rsid or '.'}" for p in positions]
    return "\n".join(lines) + "\n"


def write_positions(definitions: dict[str, GeneDefinition], out_dir: Path) -> None:
    positions = kb_positions(definitions)
    write_text(out_dir / "positions.tsv", positions_tsv(positions))
    write_text(out_dir / "targets.bed", targets_bed(positions))
