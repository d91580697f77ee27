"""``genorx prs``: score VCFs with PGS Catalog scoring files; positions BED; gather; cohort table."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from genorx.errors import GenorxError, input_error

USAGE = "genorx prs {score,positions,gather,cohort} ..."


def _score_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score every sample of a VCF with one or more scoring files")
    p.add_argument("--vcf", required=True, type=Path, help="target VCF (BGZF, gzip or plain)")
    p.add_argument("--scoring-file", required=True, action="append", type=Path, dest="scoring_files")
    p.add_argument("--out", required=True, type=Path, help="prs.tsv (prs.json and match logs beside it)")
    p.add_argument("--json", type=Path, help="prs.json path (default: OUT with .json)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-overlap", type=float, default=0.75, help="minimum match rate of a score (0-1)")
    p.add_argument("--keep-ambiguous", action="store_true", help="score strand-ambiguous A/T, C/G sites")
    p.add_argument("--keep-multiallelic", action="store_true", help="score multi-allelic sites")
    p.add_argument(
        "--no-mean-imputation", action="store_true", help="skip missing genotypes (plink2 semantics)"
    )
    p.add_argument("--ref-freq", type=Path, help="TSV chrom pos ref alt af for mean imputation")
    p.add_argument(
        "--use-dosage",
        action="store_true",
        help="score the DS dosage where a call has one (plink2 dosage=DS), else the GT",
    )
    p.add_argument("--sex", type=Path, help="TSV sample_id SEX (1/M male, 2/F female): chrX ploidy")
    p.add_argument("--target-build", help="build of the VCF (default: from its ##contig lengths)")
    p.add_argument("--reference-vcf", type=Path, help="reference panel VCF for percentiles/Z")
    p.add_argument("--reference-populations", type=Path, help="TSV: sample id + population label column(s)")
    p.add_argument("--reference-population", help="label to compare against (e.g. EUR); default all")
    p.add_argument("--cache-dir", type=Path, help="cache matched genotypes here (re-scoring is near-instant)")
    p.add_argument("--chrom", help="score one chromosome (scatter part; overlap checked by 'gather')")
    p.add_argument(
        "--plink-scorefile", type=Path, help="also write the matched variants as a plink2 --score file"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="genorx prs", description="polygenic scores")
    sub = parser.add_subparsers(dest="command", required=True)
    _score_parser(sub)
    p = sub.add_parser("positions", help="BED of the scoring files' positions (for targeted genotyping)")
    p.add_argument("--scoring-file", required=True, action="append", type=Path, dest="scoring_files")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--target-build", default=None)
    p.add_argument("--chrom-style", choices=["chr", "plain"], default="chr", help="chr1 or 1 naming")
    p.add_argument("--fai", type=Path, help="reference .fai: name contigs as it does, drop positions off it")
    p = sub.add_parser("gather", help="sum per-chromosome score tables into one (sums and denominators)")
    p.add_argument("--scoring-file", required=True, action="append", type=Path, dest="scoring_files")
    p.add_argument("--min-overlap", type=float, default=0.75)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("parts", nargs="+", type=Path)
    p = sub.add_parser("cohort", help="concatenate per-sample prs.tsv files into a cohort table")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("tables", nargs="+", type=Path)
    return parser


def _check_out(path: Path) -> None:
    if path.exists() and path.is_dir():
        raise input_error(path, None, "output path is a directory", "give a file name")


def _score(args: argparse.Namespace) -> int:
    import gc

    # a one-shot command whose objects live until it ends: the cyclic collector would only
    # walk the imported modules again and again (~0.1 s of CPU); reference counting still
    # frees. Restored on return (tests call main() in their own process).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _score_checked(args)
    finally:
        if collecting:
            gc.enable()


def _score_checked(args: argparse.Namespace) -> int:
    if not 0.0 <= args.min_overlap <= 1.0:
        raise GenorxError(f"--min-overlap {args.min_overlap}: must be within 0-1; fix: e.g. 0.75")
    if args.threads < 1:
        raise GenorxError("--threads must be at least 1; fix: e.g. --threads 2")
    if args.reference_population and not args.reference_populations:
        raise GenorxError("--reference-population needs --reference-populations; fix: give the label file")
    for path in [
        args.vcf,
        *args.scoring_files,
        args.ref_freq,
        args.reference_vcf,
        args.reference_populations,
        args.sex,
    ]:
        if path is not None and not path.is_file():
            raise input_error(path, None, "file not found", "check the path")
    _check_out(args.out)
    if args.cache_dir is not None:  # a re-score served by the cache imports no polars
        from genorx.prs.rescore_cached import try_rescore

        done = try_rescore(args)
        if done is not None:
            return done
    from concurrent.futures import Future, ThreadPoolExecutor

    from genorx.prs.match import MatchOptions, MatchResult
    from genorx.prs.output import match_log_gz
    from genorx.prs.score import ScoreOptions

    options = ScoreOptions(
        match=MatchOptions(args.min_overlap, args.keep_ambiguous, args.keep_multiallelic),
        mean_impute=not args.no_mean_imputation,
        threads=args.threads,
        target_build=args.target_build,
        ref_freq=args.ref_freq,
        cache_dir=args.cache_dir,
        chrom=args.chrom,
        dosage=args.use_dosage,
        sex=args.sex,
    )
    background = ThreadPoolExecutor(max_workers=1)
    log_gz: list[Future[bytes]] = []

    def start_log(match: MatchResult) -> None:  # written while the genotypes are scored
        log_gz.append(background.submit(match_log_gz, match, args.threads))

    try:
        return _score_run(args, options, start_log, log_gz)
    finally:
        background.shutdown(wait=True, cancel_futures=True)


def _score_run(args: argparse.Namespace, options: object, start_log: object, log_gz: list) -> int:
    from genorx.prs.output import plink_score_tables, write_outputs
    from genorx.prs.score import rescore, score_vcf

    run = score_vcf(args.vcf, args.scoring_files, options, start_log)  # type: ignore[arg-type]
    refs = None
    note = None
    if args.reference_vcf is not None:
        from genorx.prs.reference import score_reference

        refs, panel_freq = score_reference(
            run,
            args.reference_vcf,
            args.reference_populations,
            args.reference_population,
            args.threads,
            args.cache_dir,
            impute_from_panel=args.ref_freq is None,
        )
        if args.ref_freq is None and run.mean_impute:
            run = rescore(run, panel_freq)
    for m in run.match.summary:
        if not m.passed and args.chrom is None:
            print(
                f"genorx: warning: score {m.pgs_id} skipped: {m.n_matched} of {m.n_variants} variants "
                f"matched ({m.match_rate:.1%} < {args.min_overlap:.0%})",
                file=sys.stderr,
            )
    out_json = args.json or args.out.with_suffix(".json")
    prefix = args.out.with_suffix("")
    import time

    t0 = time.perf_counter(), time.process_time()
    part_ref = args.out.with_suffix(".reference.tsv") if args.chrom is not None and refs else None
    write_outputs(run, args.out, out_json, prefix, refs, note, log_gz[0] if log_gz else None, part_ref)
    if run.store_match is not None and log_gz:  # the next run with these files skips matching
        run.store_match(log_gz[0].result())
    if os.environ.get("GENORX_PRS_TIMING"):
        wall, cpu = time.perf_counter() - t0[0], time.process_time() - t0[1]
        print(f"genorx: timing: write outputs wall {wall:.3f}s cpu {cpu:.3f}s", file=sys.stderr)
    if args.plink_scorefile is not None:
        from genorx.atomic import atomic_open

        for i, table in enumerate(plink_score_tables(run)):
            path = args.plink_scorefile if i == 0 else Path(f"{args.plink_scorefile}.{i}")
            with atomic_open(path, "wb") as fh:
                table.write_csv(fh, separator="\t", float_precision=None)
    return 0


def _positions(args: argparse.Namespace) -> int:
    import polars as pl

    from genorx.atomic import write_text
    from genorx.prs.score import score_positions
    from genorx.prs.scorefile import read_scoring_files

    scores = read_scoring_files(args.scoring_files, args.target_build)
    pos = score_positions(scores)
    prefix = "chr" if args.chrom_style == "chr" else ""
    lengths: dict[str, int] | None = None
    if args.fai is not None:
        from genorx.prs.alleles import norm_chrom

        if not args.fai.is_file():
            raise input_error(args.fai, None, "file not found", "give the reference .fai")
        contigs = [line.split("\t")[:2] for line in args.fai.read_text().splitlines() if line.strip()]
        lengths = {norm_chrom(c): int(n) for c, n in contigs}
        names = {norm_chrom(c): c for c, _ in contigs}
        pos = pos.filter(pl.col("chrom").is_in(list(lengths)))
        pos = pos.filter(pl.col("pos") <= pl.col("chrom").replace_strict(lengths, return_dtype=pl.Int64))
        name = pl.col("chrom").replace_strict(names, return_dtype=pl.String)
    else:
        name = pl.concat_str(pl.lit(prefix), pl.col("chrom").replace({"MT": "M"} if prefix else {}))
    bed = pos.select(name.alias("c"), (pl.col("pos") - 1).alias("s"), pl.col("pos").alias("e"))
    lines = [f"{c}\t{s}\t{e}\tPRS" for c, s, e in bed.iter_rows()]
    write_text(args.out, "\n".join(lines) + ("\n" if lines else ""))
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.command == "score":
        return _score(args)
    if args.command == "positions":
        return _positions(args)
    from genorx.prs import tables

    if args.command == "gather":
        return tables.gather(args.parts, args.scoring_files, args.min_overlap, args.out)
    return tables.cohort(args.tables, args.out)
