"""``genorx report sample|cohort``: per-patient therapy table and reports, cohort summary."""

from __future__ import annotations

import argparse
from pathlib import Path

from genorx.errors import input_error
from genorx.report.document import RunInfo
from genorx.report.qc import QcThresholds
from genorx.report.sample import SampleInputs, build_sample, write_sample
from genorx.report.versions import tool_versions


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="genorx report", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser(
        "sample",
        help="therapy.tsv, report.json, report.html and report.fhir.json for one sample",
        description="Writes OUT_DIR/therapy.tsv, report.json, report.html and report.fhir.json.",
    )
    s.add_argument("--pgx", required=True, type=Path, help="pgx.json of the PGx stage")
    s.add_argument("--prs", type=Path, help="prs.json of the PRS stage (optional)")
    s.add_argument("--qc", type=Path, help="results/{sample}/qc directory (samtools stats/flagstat)")
    s.add_argument("--targets", type=Path, help="{sample}.targets.tsv.gz (target-position status)")
    s.add_argument("--sample", required=True, help="sample id (as in pgx.json)")
    s.add_argument("--out-dir", required=True, type=Path)
    s.add_argument("--rules", type=Path, help="combined PRS+PGx rule set (default: the bundled one)")
    s.add_argument("--actions", type=Path, help="traffic-light action rules (default: the bundled ones)")
    s.add_argument("--reference-build", default="GRCh38")
    s.add_argument("--aligner", help="aligner used (for the methods section)")
    s.add_argument("--caller", help="variant caller used (for the methods section)")
    s.add_argument("--max-density-points", type=int, default=128, help="cap on reference-density points")
    s.add_argument("--min-call-rate", type=float, default=QcThresholds.min_call_rate)
    s.add_argument("--min-median-depth", type=float, default=QcThresholds.min_median_depth)
    s.add_argument("--min-mapped-fraction", type=float, default=QcThresholds.min_mapped_fraction)
    s.add_argument("--max-duplicate-fraction", type=float, default=QcThresholds.max_duplicate_fraction)
    s.add_argument("--no-tool-versions", action="store_true", help="do not probe tool versions on PATH")

    c = sub.add_parser(
        "cohort",
        help="results/cohort/summary.tsv and summary.html from per-sample report.json files",
        description="Reads per-sample report.json files; writes summary.tsv, summary.html, phenotypes.tsv.",
    )
    c.add_argument("--reports", nargs="+", type=Path, help="per-sample report.json files")
    c.add_argument("--results", type=Path, help="or: a results directory holding */report.json")
    c.add_argument("--out-dir", required=True, type=Path)
    return p


def _sample(args: argparse.Namespace) -> int:
    if args.max_density_points < 8:
        raise input_error("--max-density-points", None, "must be at least 8", "pass a larger value")
    for opt in ("pgx", "prs", "targets"):
        path = getattr(args, opt)
        if path is not None and not path.is_file():
            raise input_error(path, None, "file not found", f"pass an existing --{opt} file")
    tools = {} if args.no_tool_versions else tool_versions()
    run = RunInfo(
        reference_build=args.reference_build,
        aligner=args.aligner,
        caller=args.caller,
        tools=tools,
        max_density_points=args.max_density_points,
    )
    thresholds = QcThresholds(
        min_call_rate=args.min_call_rate,
        min_median_depth=args.min_median_depth,
        min_mapped_fraction=args.min_mapped_fraction,
        max_duplicate_fraction=args.max_duplicate_fraction,
    )
    inputs = SampleInputs(
        sample_id=args.sample,
        pgx=args.pgx,
        prs=args.prs,
        qc_dir=args.qc,
        targets=args.targets,
        rules=args.rules,
        actions=args.actions,
    )
    doc = build_sample(inputs, run, thresholds)
    for path in write_sample(doc, args.out_dir):
        print(path)
    return 0


def _cohort(args: argparse.Namespace) -> int:
    from genorx.report.cohort import find_reports, write_cohort

    if bool(args.reports) == bool(args.results):
        raise input_error(
            "genorx report cohort", None, "give either --reports or --results", "pass one of them"
        )
    reports = args.reports or find_reports(args.results)
    for path in write_cohort(reports, args.out_dir):
        print(path)
    return 0


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return _sample(args) if args.command == "sample" else _cohort(args)
