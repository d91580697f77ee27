"""Truth VCFs (phased, normalised) and the PRS site table of the demo."""

from __future__ import annotations

import os
from pathlib import Path

import pysam

from genorx.atomic import atomic_open, atomic_path
from genorx.demo.variants import PrsSite, Variant, in_paralog


def vcf_header(contigs: dict[str, int], sample: str, reference_name: str) -> str:
    lines = ["##fileformat=VCFv4.2", "##source=genorx-demo", f"##reference={reference_name}"]
    lines += [f"##contig=<ID={c},length={n}>" for c, n in contigs.items()]
    lines += [
        '##INFO=<ID=SOURCE,Number=1,Type=String,Description="Why planted: pgx, prs, background or paralog">',
        '##INFO=<ID=PARALOG,Number=0,Type=Flag,Description="In the duplicated segment or its diverged copy">',
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype (phased as planted)">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", sample]),
    ]
    return "\n".join(lines) + "\n"


def vcf_record(v: Variant) -> str:
    vid = v.label.split(":", 1)[1] if v.source == "pgx" else "."
    info = f"SOURCE={v.source}" + (";PARALOG" if in_paralog(v) else "")
    gt = f"{v.gt[0]}|{v.gt[1]}"
    return "\t".join([v.chrom, str(v.pos), vid, v.ref, v.alt, ".", "PASS", info, "GT", gt]) + "\n"


def write_truth_vcf(path: Path, contigs: dict[str, int], sample: str, variants: list[Variant]) -> None:
    """``path`` (.vcf.gz, bgzipped) and its tabix index, renamed into place together."""
    with atomic_path(path, suffix=".vcf") as plain:
        with open(plain, "w") as fh:
            fh.write(vcf_header(contigs, sample, "reference.fa.gz"))
            fh.writelines(vcf_record(v) for v in variants)
        compressed = pysam.tabix_index(str(plain), preset="vcf", force=True, keep_original=False)
        os.replace(f"{compressed}.tbi", f"{path}.tbi")
        os.replace(compressed, plain)


def write_prs_sites(path: Path, sites: list[PrsSite]) -> None:
    with atomic_open(path) as fh:
        fh.write("chrom\tpos\tref\talt\taf\n")
        fh.writelines(f"{s.chrom}\t{s.pos}\t{s.ref}\t{s.alt}\t{s.af}\n" for s in sites)
