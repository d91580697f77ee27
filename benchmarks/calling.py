"""Calling accuracy and cost on a second demo seed: minimap2 vs bwa (and freebayes as peer caller).

For each configuration the workflow runs on the demo (3 patients, ~30x, paired 150 bp) up to
the call stage; calls are scored against the planted truth after normalisation (SNV/indel
precision and recall, genotype concordance over true positives, the paralog pair apart),
the target-position status is checked (planted PGx variants `variant`, no `ref` at a truly
variant paralog position), and every rule's wall time, CPU time and peak memory are read
from Snakemake's `benchmark:` files.

    .venv/bin/python benchmarks/calling.py [--seed 2] [--runs minimap2/bcftools,bwa/bcftools,...]

Writes benchmarks/out/calling.json; keeps the working directories under
benchmarks/out/calling/ (the bwa index, ~11 min of CPU on the 0.5 Gbp mostly-N demo genome,
is reused, with its cost, by later invocations unless --fresh).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from genorx.demo.evaluate import evaluate, extra_target_positions, read_genotypes, write_targets_bed

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_RUNS = "minimap2/bcftools,bwa/bcftools,minimap2/freebayes"


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PATH"] = f"{BIN}{os.pathsep}{e.get('PATH', '')}"
    return e


def generate(demo: Path, seed: int) -> float:
    if (demo / "manifest.json").exists() and json.loads((demo / "manifest.json").read_text())["seed"] == seed:
        return float("nan")  # reused
    t0 = time.perf_counter()
    subprocess.run(
        [str(BIN / "genorx"), "demo", "--out", str(demo), "--seed", str(seed)], check=True, env=env()
    )
    return time.perf_counter() - t0


def run_workflow(
    workdir: Path, demo: Path, targets: Path, aligner: str, caller: str, fresh: bool, calling: dict[str, str]
) -> float:
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(workdir / ".snakemake", ignore_errors=True)
    keep_reference = aligner == "bwa" and not fresh  # the bwa index is the one slow step
    for sub in ("logs", "benchmarks", "results"):
        if (workdir / sub).exists():
            for child in (workdir / sub).iterdir():
                if not (keep_reference and child.name.startswith("reference")):
                    shutil.rmtree(child)
    config = workdir / "config.yaml"
    config.write_text(
        f"samples: {demo / 'samples.tsv'}\nreference:\n  fasta: {demo / 'reference.fa.gz'}\n  build: GRCh38\n"
        f"aligner: {aligner}\ncaller: {caller}\ntargets: {targets}\nthreads: 2\n"
        + ("calling:\n" + "".join(f"  {k}: {v}\n" for k, v in calling.items()) if calling else "")
    )
    patients = json.loads((demo / "manifest.json").read_text())["patients"]
    wanted = [f"results/{p}/{p}.targets.tsv.gz" for p in patients] + [
        f"results/{p}/qc/{p}.stats.txt" for p in patients
    ]
    cmd = [str(BIN / "snakemake"), "-s", str(REPO / "Snakefile"), "--configfile", str(config),
           "--directory", str(workdir), "--cores", "2", *wanted]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env(), capture_output=True, text=True)
    (workdir / "snakemake.stderr.txt").write_text(proc.stderr)
    if proc.returncode != 0:
        sys.exit(f"workflow failed in {workdir}:\n{proc.stderr[-3000:]}")
    return time.perf_counter() - t0


def rule_costs(workdir: Path) -> dict[str, dict[str, float]]:
    """Per rule: jobs, median and total wall s, CPU s, and the largest peak RSS (MB)."""
    out: dict[str, dict[str, float]] = {}
    for rule_dir in sorted((workdir / "benchmarks").iterdir()):
        rows = []
        for tsv in rule_dir.glob("*.tsv"):
            with open(tsv, newline="") as fh:
                rows += list(csv.DictReader(fh, delimiter="\t"))
        wall = [float(r["s"]) for r in rows]
        cpu = [float(r["cpu_time"]) for r in rows]
        rss = [float(r["max_rss"]) for r in rows if r["max_rss"] not in ("-", "NA")]
        out[rule_dir.name] = {
            "jobs": len(rows),
            "wall_s_median": statistics.median(wall),
            "wall_s_total": sum(wall),
            "cpu_s_median": statistics.median(cpu),
            "cpu_s_total": sum(cpu),
            "max_rss_mb": max(rss) if rss else float("nan"),
        }
    return out


def score(workdir: Path, demo: Path, extra: dict) -> dict:
    manifest = json.loads((demo / "manifest.json").read_text())
    per_patient = {}
    total = {k: [0, 0, 0] for k in ("snv", "indel", "paralog")}
    concordant = tp_all = 0
    pgx_ok = pgx_n = ref_at_variant = paralog_targets = 0
    for p, info in manifest["patients"].items():
        truth = read_genotypes(demo / "truth" / f"{p}.vcf.gz")
        calls = read_genotypes(workdir / "results" / p / f"{p}.vcf.gz", pass_only=True)
        e = evaluate(truth, calls)
        per_patient[p] = e.as_dict()
        for k in total:
            c = getattr(e, k)
            total[k] = [total[k][0] + c.tp, total[k][1] + c.fp, total[k][2] + c.fn]
        tps = e.snv.tp + e.indel.tp
        concordant += round(e.gt_concordance * tps)
        tp_all += tps
        for v in info["pgx_variants"]:
            pgx_n += 1
            pgx_ok += calls.get((v["chrom"], v["pos"], v["ref"], v["alt"])) == v["genotype"].count("1")
        with gzip.open(workdir / "results" / p / f"{p}.targets.tsv.gz", "rt") as fh:
            rows = {(r["chrom"], int(r["pos"])): r for r in csv.DictReader(fh, delimiter="\t")}
        variant_here = {(c, pos) for c, pos, _, _ in truth}
        for key in extra["paralog_variant"]:
            if key in variant_here:
                paralog_targets += 1
                ref_at_variant += rows[key]["status"] == "ref"

    def pr(t: list[int]) -> dict[str, float]:
        tp, fp, fn = t
        return {"tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else 1.0,
                "recall": tp / (tp + fn) if tp + fn else 1.0}  # fmt: skip

    return {
        "snv": pr(total["snv"]),
        "indel": pr(total["indel"]),
        "gt_concordance": concordant / tp_all if tp_all else 1.0,
        "paralog": pr(total["paralog"]),
        "pgx_planted_correct": f"{pgx_ok}/{pgx_n}",
        "paralog_variant_targets_reported_ref": f"{ref_at_variant}/{paralog_targets}",
        "per_patient": per_patient,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=2)
    ap.add_argument("--runs", default=DEFAULT_RUNS, help=f"aligner/caller list (default {DEFAULT_RUNS})")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "out")
    ap.add_argument("--json", default="calling.json", help="file name of the JSON under --out")
    ap.add_argument("--fresh", action="store_true", help="rebuild reference indexes too")
    ap.add_argument("--calling", action="append", default=[], metavar="KEY=VALUE", help="a calling: setting")
    args = ap.parse_args()
    base = args.out / "calling" / f"seed{args.seed}"
    demo = base / "demo"
    gen_s = generate(demo, args.seed)
    manifest = json.loads((demo / "manifest.json").read_text())
    extra = extra_target_positions(demo, manifest)
    targets = base / "targets.bed"
    write_targets_bed(targets, REPO / "resources" / "kb" / "targets.bed", extra)

    calling = dict(kv.split("=", 1) for kv in args.calling)
    report: dict = {"seed": args.seed, "calling": calling, "demo_generation_s": gen_s, "runs": {}}
    for spec in args.runs.split(","):
        aligner, caller = spec.split("/")
        workdir = base / f"{aligner}-{caller}"
        print(f"== {aligner} + {caller}", flush=True)
        wall = run_workflow(workdir, demo, targets, aligner, caller, args.fresh, calling)
        report["runs"][spec] = {
            "workflow_wall_s": wall,
            **score(workdir, demo, extra),
            "rules": rule_costs(workdir),
        }

    print(f"\ndemo seed {args.seed}: 3 patients; generation {gen_s:.1f} s (nan = reused)\n")
    head = f"{'aligner/caller':<20}{'SNV P':>8}{'SNV R':>8}{'indel P':>9}{'indel R':>9}{'GT conc':>9}"
    print(head + f"{'paralog recall':>17}{'paralog FP':>11}{'PGx ok':>8}{'ref@var':>9}{'wall s':>8}")
    for spec, r in report["runs"].items():
        par = r["paralog"]
        par_recall = f"{par['tp']}/{par['tp'] + par['fn']}"
        print(
            f"{spec:<20}{r['snv']['precision']:>8.4f}{r['snv']['recall']:>8.4f}{r['indel']['precision']:>9.4f}"
            f"{r['indel']['recall']:>9.4f}{r['gt_concordance']:>9.4f}"
            f"{par_recall:>17}{par['fp']:>11}{r['pgx_planted_correct']:>8}"
            f"{r['paralog_variant_targets_reported_ref']:>9}{r['workflow_wall_s']:>8.0f}"
        )
    cols = f"{'jobs':>5}{'wall med s':>11}{'CPU med s':>10}{'CPU tot s':>10}{'peak MB':>9}"
    print(f"\n{'rule (per aligner/caller)':<44}{cols}")
    for spec, r in report["runs"].items():
        for rule, c in r["rules"].items():
            print(
                f"{spec + ' ' + rule:<44}{c['jobs']:>5}{c['wall_s_median']:>11.1f}{c['cpu_s_median']:>10.1f}"
                f"{c['cpu_s_total']:>10.1f}{c['max_rss_mb']:>9.0f}"
            )
    out = args.out / args.json
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
