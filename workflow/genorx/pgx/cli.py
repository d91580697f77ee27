"""``genorx pgx call``: star-allele diplotypes, phenotypes and drug recommendations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from genorx.paths import BUNDLED_KB


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genorx pgx", description="Pharmacogenomic calls and recommendations.")
    sub = p.add_subparsers(dest="command", required=True)
    c = sub.add_parser(
        "call",
        help="diplotypes, phenotypes and CPIC/DPWG recommendations per sample and gene",
        description=(
            "Call star-allele diplotypes from a VCF (one sample or a cohort), assign phenotypes and "
            "match CPIC/DPWG recommendations. Writes OUT.tsv (one row per sample and gene) and, with "
            "--json, the full result (genotypes used, candidates, recommendations)."
        ),
    )
    c.add_argument("--vcf", required=True, type=Path, help="VCF/BCF (plain or bgzipped), GRCh38")
    c.add_argument(
        "--targets", type=Path, help="target-position status (call stage's {sample}.targets.tsv.gz)"
    )
    c.add_argument("--sample", action="append", default=[], help="sample to call (repeatable; default: all)")
    c.add_argument("--gene", action="append", default=[], help="gene to call (repeatable; default: all)")
    c.add_argument("--kb", type=Path, default=BUNDLED_KB, help="KB folder: built (resources/kb) or fetched")
    c.add_argument("--out", required=True, type=Path, help="output TSV")
    c.add_argument("--json", type=Path, help="output JSON (docs/contracts.md)")
    c.add_argument("--threads", type=int, default=1, help="worker processes over genes (default 1)")
    c.add_argument(
        "--absent-as-ref",
        action="store_true",
        help="positions absent from the VCF are homozygous reference (PharmCAT -0, for joint-called panels)",
    )
    c.add_argument(
        "--outside-call",
        type=Path,
        help="TSV of other callers' calls: GENE DIPLOTYPE [PHENOTYPE [ACTIVITY]] (HLA, MT-RNR1, CYP2D6)",
    )
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from genorx.pgx.run import PgxRequest, run_pgx, write_run

    req = PgxRequest(
        vcf=args.vcf,
        kb=args.kb,
        out=args.out,
        json=args.json,
        targets=args.targets,
        samples=args.sample,
        genes=args.gene,
        threads=args.threads,
        absent_as_ref=args.absent_as_ref,
        outside_call=args.outside_call,
    )
    run = run_pgx(req)
    n_recs = write_run(req, run)
    n_called = sum(r.called for r in run.rows)
    recs = f", {n_recs} recommendations" if args.json else ""
    print(
        f"genorx pgx call: {len(run.samples)} sample(s), {n_called}/{len(run.rows)} gene calls{recs} "
        f"-> {args.out}",
        file=sys.stderr,
    )
    return 0
