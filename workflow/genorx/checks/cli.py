"""``genorx check <what>``: validate inputs before work starts.

fastq      paired FASTQ: readable to the end, equal mate counts
reference  prepare the reference (bgzip + .fai/.gzi, linked when already indexed)
contigs    contig names of BAM/VCF/BED inputs against the reference
samples    a sample sheet
config     a workflow config (keys, schema, sample sheet, files, contigs)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import jsonschema
import yaml

from genorx.atomic import write_text
from genorx.checks.config import check_config_keys, load_schema, schema_error_line
from genorx.checks.contigs import check_inputs, read_fai
from genorx.checks.fastq import check_pair
from genorx.checks.reference import prepare_reference
from genorx.checks.run import Resolver, plan_run
from genorx.checks.sheet import read_sample_sheet
from genorx.errors import GenorxError, input_error
from genorx.paths import REPO_ROOT

SCHEMA = REPO_ROOT / "config" / "schemas" / "config.schema.yaml"


def _fastq(args: argparse.Namespace) -> int:
    s1, s2 = check_pair(args.r1, args.r2)
    if args.out:
        summary = {"fastq_1": str(s1.path), "fastq_2": str(s2.path), "read_pairs": s1.records}
        write_text(args.out, json.dumps(summary, indent=1) + "\n")
    print(f"genorx check fastq: {s1.records} read pairs")
    return 0


def _reference(args: argparse.Namespace) -> int:
    how = prepare_reference(args.fasta, args.out, args.threads)
    print(f"genorx check reference: {args.out} ({how})")
    return 0


def _reference_contigs(path: Path) -> dict[str, int]:
    fai = path if path.suffix == ".fai" else Path(f"{path}.fai")
    if not fai.exists():
        raise input_error(path, None, "no .fai index next to the reference", f"run 'samtools faidx {path}'")
    return read_fai(fai)


def _contigs(args: argparse.Namespace) -> int:
    ref = _reference_contigs(args.reference)
    inputs = [(p, "bam") for p in args.bam] + [(p, "vcf") for p in args.vcf] + [(p, "bed") for p in args.bed]
    absent = check_inputs(ref, inputs)
    for path, names in absent.items():
        print(
            f"genorx check contigs: warning: {path}: {len(names)} contig(s) not in the reference "
            f"({', '.join(names[:5])}); their targets are reported not_covered"
        )
    if args.out:
        write_text(args.out, "ok\n")
    return 0


def _samples(args: argparse.Namespace) -> int:
    samples = read_sample_sheet(args.sheet, Resolver(Path.cwd()).with_fallback(args.sheet.parent))
    print(
        f"genorx check samples: {len(samples)} samples: "
        + ", ".join(f"{s.sample_id} ({s.start})" for s in samples)
    )
    return 0


def _config(args: argparse.Namespace) -> int:
    with open(args.config) as fh:
        config = yaml.safe_load(fh) or {}
    source = str(args.config)
    check_config_keys(config, SCHEMA, source)
    validator = jsonschema.Draft202012Validator(load_schema(SCHEMA))
    error = next(iter(validator.iter_errors(config)), None)
    if error is not None:
        raise GenorxError(schema_error_line(error, source))
    for key, spec in load_schema(SCHEMA)["properties"].items():
        if "default" in spec:
            config.setdefault(key, spec["default"])
    plan = plan_run(config, args.workdir or Path.cwd(), REPO_ROOT, source)
    print(f"genorx check config: {args.config} is valid ({len(plan.samples)} samples)")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="genorx check", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("fastq", help="check a FASTQ pair")
    p.add_argument("--r1", type=Path, required=True)
    p.add_argument("--r2", type=Path, required=True)
    p.add_argument("--out", type=Path, help="write a JSON summary here when the pair is good")
    p.set_defaults(func=_fastq)
    p = sub.add_parser("reference", help="bgzip and index the reference")
    p.add_argument("--fasta", type=Path, required=True)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--threads", type=int, default=1)
    p.set_defaults(func=_reference)
    p = sub.add_parser("contigs", help="compare contig names with the reference")
    p.add_argument("--reference", type=Path, required=True, help="FASTA (with .fai) or .fai")
    p.add_argument("--bam", type=Path, action="append", default=[])
    p.add_argument("--vcf", type=Path, action="append", default=[])
    p.add_argument("--bed", type=Path, action="append", default=[])
    p.add_argument("--out", type=Path, help="write 'ok' here when all match")
    p.set_defaults(func=_contigs)
    p = sub.add_parser("samples", help="check a sample sheet")
    p.add_argument("--sheet", type=Path, required=True)
    p.set_defaults(func=_samples)
    p = sub.add_parser("config", help="check a workflow config file")
    p.add_argument("--config", type=Path, required=True)
    p.add_argument("--workdir", type=Path, help="working directory the run will use (default: here)")
    p.set_defaults(func=_config)
    args = parser.parse_args(argv)
    return int(args.func(args))
