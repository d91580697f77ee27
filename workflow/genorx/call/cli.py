"""``genorx targets <merge|status>``: target positions and their status per sample.

merge   union of target BEDs in reference order -> results/targets/all_targets.bed
status  variant / ref / no_call for every target base -> {sample}.targets.tsv.gz + .vcf.gz
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from genorx.call.status import Thresholds
from genorx.call.targets import merge_targets, target_status
from genorx.call.write import write_tsv, write_vcf
from genorx.checks.contigs import read_fai


def _merge(args: argparse.Namespace) -> int:
    fai = args.reference if args.reference.suffix == ".fai" else Path(f"{args.reference}.fai")
    for warning in merge_targets(fai, args.bed, args.out):
        print(f"genorx targets merge: warning: {warning}", file=sys.stderr)
    return 0


def _status(args: argparse.Namespace) -> int:
    t = Thresholds(args.min_depth, args.max_mq0_fraction, args.min_alt_reads, args.min_alt_fraction)
    rows = target_status(args.reference, args.targets, args.vcf, args.bam, t, args.min_baseq, args.max_depth)
    write_tsv(args.out_tsv, rows)
    contigs = read_fai(Path(f"{args.reference}.fai"))
    write_vcf(args.out_vcf, rows, args.vcf, args.sample, contigs)
    counts = Counter(r.status if r.status != "no_call" else f"no_call:{r.reason}" for r in rows)
    print(
        f"genorx targets status: {args.sample}: {len(rows)} positions; "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="genorx targets", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("merge", help="union of target BEDs")
    p.add_argument("--reference", type=Path, required=True, help="reference FASTA (with .fai) or its .fai")
    p.add_argument("--bed", type=Path, action="append", required=True)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=_merge)
    p = sub.add_parser("status", help="status of every target position for one sample")
    p.add_argument("--sample", required=True)
    p.add_argument("--reference", type=Path, required=True, help="bgzipped/plain FASTA with .fai")
    p.add_argument("--targets", type=Path, required=True, help="merged targets BED")
    p.add_argument("--vcf", type=Path, required=True, help="the sample's normalised calls")
    p.add_argument("--bam", type=Path, help="the sample's alignment (omit for VCF-only samples)")
    p.add_argument("--out-tsv", type=Path, required=True)
    p.add_argument("--out-vcf", type=Path, required=True)
    p.add_argument("--min-depth", type=int, default=10)
    p.add_argument("--max-mq0-fraction", type=float, default=0.1)
    p.add_argument("--min-alt-reads", type=int, default=2)
    p.add_argument("--min-alt-fraction", type=float, default=0.1)
    p.add_argument("--min-baseq", type=int, default=13)
    p.add_argument("--max-depth", type=int, default=250)
    p.set_defaults(func=_status)
    args = parser.parse_args(argv)
    return int(args.func(args))
