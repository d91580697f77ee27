"""``{sample}.targets.tsv.gz`` and ``{sample}.targets.vcf.gz`` (see docs/contracts.md).

The VCF has one record per target position: the passing call(s) as written in the
sample's VCF for ``variant``, an explicit ``0/0`` for ``ref`` and ``./.`` for ``no_call``,
so a reader never mistakes a missing position for a reference call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pysam

from genorx.atomic import atomic_open, atomic_path
from genorx.call.status import TargetStatus

TSV_COLUMNS = ("chrom", "pos", "ref", "depth", "mq0_fraction", "status", "reason", "genotype")
EXTRA_HEADER = (
    '##INFO=<ID=TSTATUS,Number=1,Type=String,Description="Target status: variant, ref or no_call">',
    '##INFO=<ID=TREASON,Number=1,Type=String,Description="Why no_call: not_covered, low_depth, low_mapq, '
    'alt_evidence">',
    '##INFO=<ID=TDP,Number=1,Type=Integer,Description="Depth at the target (bases passing base quality)">',
    '##INFO=<ID=TMQ0F,Number=1,Type=Float,Description="Fraction of reads with mapping quality 0 '
    'at the target">',
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
    '##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Depth at the target">',
)


def _fmt_mq0(x: float | None) -> str:
    return "." if x is None else f"{x:.4g}"


def write_tsv(path: Path, rows: Iterable[TargetStatus]) -> None:
    with atomic_open(path) as fh:
        fh.write("\t".join(TSV_COLUMNS) + "\n")
        for r in rows:
            fh.write(
                f"{r.chrom}\t{r.pos}\t{r.ref}\t{r.depth}\t{_fmt_mq0(r.mq0_fraction)}\t"
                f"{r.status}\t{r.reason}\t{r.genotype}\n"
            )


def _header(source_vcf: Path, sample: str, contigs: dict[str, int | None]) -> list[str]:
    with pysam.VariantFile(str(source_vcf)) as vf:
        lines = str(vf.header).rstrip("\n").split("\n")
    meta = [ln for ln in lines if ln.startswith("##") and not ln.startswith("##contig=")]
    have = {ln.split(",", 1)[0] for ln in meta}
    extra = [ln for ln in EXTRA_HEADER if ln.split(",", 1)[0] not in have]
    contig_lines = [
        f"##contig=<ID={c}" + ("" if n is None else f",length={n}") + ">" for c, n in contigs.items()
    ]
    cols = ["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]
    return [*meta, *contig_lines, *extra, "\t".join(cols)]


def _tagged(line: str, status: str, depth: int, mq0: float | None, sample_col: int = 9) -> str:
    f = line.rstrip("\n").split("\t")
    tags = f"TSTATUS={status};TDP={depth}" + ("" if mq0 is None else f";TMQ0F={mq0:.4g}")
    f[7] = tags if f[7] in (".", "") else f"{f[7]};{tags}"
    return "\t".join(f[: sample_col + 1])


def write_vcf(
    path: Path, rows: list[TargetStatus], source_vcf: Path, sample: str, contigs: dict[str, int]
) -> None:
    """bgzipped, tabix-indexed; records sorted by reference order, duplicates dropped.

    Targets on contigs the reference lacks are kept (``./.``, ``not_covered``) under a
    ``##contig`` line without length.
    """
    all_contigs: dict[str, int | None] = dict(contigs)
    for r in rows:
        all_contigs.setdefault(r.chrom, None)
    order = {c: i for i, c in enumerate(all_contigs)}
    records: dict[tuple[int, int, str], str] = {}
    for r in rows:
        if r.status == "variant":
            for c in r.calls:
                records.setdefault(
                    (order[c.chrom], c.pos, c.line), _tagged(c.line, "variant", r.depth, r.mq0_fraction)
                )
            continue
        gt = "0/0" if r.status == "ref" else "./."
        info = f"TSTATUS={r.status};TDP={r.depth}"
        info += "" if r.mq0_fraction is None else f";TMQ0F={r.mq0_fraction:.4g}"
        info += f";TREASON={r.reason}" if r.reason else ""
        line = f"{r.chrom}\t{r.pos}\t.\t{r.ref}\t.\t.\t.\t{info}\tGT:DP\t{gt}:{r.depth}"
        records.setdefault((order[r.chrom], r.pos, line), line)
    with atomic_path(path, suffix=".vcf") as plain:
        with open(plain, "w") as fh:
            fh.write("\n".join(_header(source_vcf, sample, all_contigs)) + "\n")
            for key in sorted(records):
                fh.write(records[key] + "\n")
        compressed = pysam.tabix_index(str(plain), preset="vcf", force=True, keep_original=False)
        os.replace(f"{compressed}.tbi", f"{path}.tbi")
        os.replace(compressed, plain)
