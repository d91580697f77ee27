"""Read evidence at target positions: depth, mapping-quality-0 fraction, alternate reads.

One ``bcftools mpileup -R targets.bed -a FORMAT/AD,FORMAT/DP`` over the alignment (index
jumps, so a few thousand positions take seconds on a whole genome). Per position:
``depth`` = FORMAT/DP (bases passing the base-quality threshold), ``mq0_fraction`` =
INFO/MQ0F (reads with mapping quality 0, of all reads), ``alt_reads`` = the largest
non-reference allele depth among SNV and indel candidates anchored there.
A position with no reads gets no record, hence no evidence: it can never look reference.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from genorx.errors import GenorxError


@dataclass(frozen=True, slots=True)
class Evidence:
    depth: int
    mq0_fraction: float | None
    alt_reads: int


def mpileup_command(
    bam: Path, reference: Path, targets_bed: Path, min_baseq: int, max_depth: int
) -> list[str]:
    return [
        "bcftools", "mpileup", "--no-version", "-f", str(reference), "-R", str(targets_bed),
        "-a", "FORMAT/AD,FORMAT/DP", "-q", "0", "-Q", str(min_baseq), "-d", str(max_depth),
        "--ignore-RG", "-Ov", str(bam),
    ]  # fmt: skip


def _info(field: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in field.split(";"):
        k, _, v = item.partition("=")
        out[k] = v
    return out


def parse_mpileup(lines: list[str] | object) -> dict[tuple[str, int], Evidence]:
    """(chrom, pos) -> Evidence from mpileup VCF text (SNV and INDEL records merged)."""
    out: dict[tuple[str, int], Evidence] = {}
    for line in lines:  # type: ignore[attr-defined]
        if line.startswith("#"):
            continue
        f = line.rstrip("\n").split("\t")
        chrom, pos, alts = f[0], int(f[1]), f[4].split(",")
        info = _info(f[7])
        fmt = dict(zip(f[8].split(":"), f[9].split(":"), strict=False))
        ad = [int(x) if x != "." else 0 for x in fmt.get("AD", "0").split(",")]
        alt = max([n for a, n in zip(alts, ad[1:], strict=False) if a != "<*>"] or [0])
        key = (chrom, pos)
        prev = out.get(key)
        if "INDEL" in info:
            # indel records share the position's depth; keep the SNV record's depth/MQ0F
            if prev is None:
                out[key] = Evidence(int(fmt.get("DP", 0) or 0), float(info.get("MQ0F", 0) or 0), alt)
            else:
                out[key] = Evidence(prev.depth, prev.mq0_fraction, max(prev.alt_reads, alt))
            continue
        depth = int(fmt.get("DP", 0) or 0)
        mq0 = float(info.get("MQ0F", 0) or 0)
        out[key] = Evidence(depth, mq0, max(alt, prev.alt_reads if prev else 0))
    return out


def gather(
    bam: Path, reference: Path, targets_bed: Path, min_baseq: int = 13, max_depth: int = 250
) -> dict[tuple[str, int], Evidence]:
    cmd = mpileup_command(bam, reference, targets_bed, min_baseq, max_depth)
    with tempfile.TemporaryFile("w+") as errfh:
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errfh, text=True) as proc:
            assert proc.stdout is not None
            evidence = parse_mpileup(proc.stdout)
        errfh.seek(0)
        err = errfh.read()
    if proc.returncode != 0:
        last = (err.strip().splitlines() or ["bcftools mpileup failed"])[-1]
        raise GenorxError(
            f"{bam}: bcftools mpileup at targets failed ({last}); fix: check the alignment and reference"
        )
    return evidence
