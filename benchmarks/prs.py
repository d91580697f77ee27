"""PRS scoring speed: `genorx prs score` against plink2 (Debian's plink2) in the same run.

Generates (once, cached under benchmarks/out/prs_data/) a synthetic cohort of 2,000 samples
x 200,000 variants (missing calls, strand flips, ambiguous and multi-allelic sites) and a
100,000-row scoring file, then times, median of --repeats runs each:

  genorx (VCF)       genorx prs score from the raw BGZF VCF, no cache
  genorx (cache)     the same with --cache-dir, cache already written
  genorx x10 (VCF)   ten 100,000-row scoring files at once (union ~ all 200,000 sites)
  plink2 (VCF)       plink2 --vcf --score with the variants genorx matched
  plink2 convert     plink2 --vcf --make-pgen (timed separately)
  plink2 (pgen)      plink2 --pfile --score

Wall and CPU time and peak RSS come from /usr/bin/time -v. Agreement (max |sum diff| and
the matched-variant set) is checked on the pgen run. Writes benchmarks/out/prs.json.

    .venv/bin/python benchmarks/prs.py [--samples 2000 --variants 200000 --repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "benchmarks" / "out"
GENORX = [str(REPO / ".venv" / "bin" / "genorx")] if (REPO / ".venv/bin/genorx").exists() else ["genorx"]


def timed(cmd: list[str], cwd: Path) -> dict:
    """Run under /usr/bin/time -v: wall, user+sys CPU seconds, peak RSS (MB)."""
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    err = proc.stderr

    def field(name: str) -> str:
        return re.search(rf"{re.escape(name)}: (.+)", err).group(1).strip()  # type: ignore[union-attr]

    parts = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    wall = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024,
    }


def median_of(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]} | {"runs": runs}


def make_data(samples: int, variants: int, n_scores: int) -> tuple[Path, list[Path]]:
    from genorx.prs.synth import Cohort, write_cohort, write_scorefile

    data = OUT / f"prs_data_{samples}x{variants}"
    vcf = data / "cohort.vcf.gz"
    meta = data / "sites.npz"
    if not (vcf.exists() and meta.exists()):
        data.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        c = write_cohort(vcf, samples, variants, seed=1)
        np.savez(meta, chrom=c.chrom, pos=c.pos, ref=c.ref, alt=c.alt, af=c.af)
        print(f"generated {samples} x {variants} cohort in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    m = np.load(meta)
    cohort = Cohort(vcf, [], m["chrom"], m["pos"], m["ref"], m["alt"], m["af"])
    files = []
    for i in range(n_scores):
        path = data / f"score{i}.txt"
        if not path.exists():
            write_scorefile(path, cohort, variants // 2, seed=1000 + i, pgs_id=f"BENCH{i}")
        files.append(path)
    return vcf, files


def plink_sums(sscore: Path) -> dict[str, float]:
    df = pl.read_csv(sscore, separator="\t", infer_schema_length=0)
    ids = df["#IID"] if "#IID" in df.columns else df["IID"]
    col = next(c for c in df.columns if c.endswith("_SUM") and c != "NAMED_ALLELE_DOSAGE_SUM")
    return dict(zip(ids.to_list(), df[col].cast(pl.Float64).to_list(), strict=True))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--variants", type=int, default=200_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if shutil.which("plink2") is None or not Path("/usr/bin/time").exists():
        print("needs plink2 and /usr/bin/time (apt-get install plink2 time)", file=sys.stderr)
        return 2
    vcf, files = make_data(args.samples, args.variants, 10)
    work = Path(tempfile.mkdtemp(prefix="genorx-prs-bench-"))
    th = str(args.threads)
    load_before = os.getloadavg()
    try:
        base = [*GENORX, "prs", "score", "--vcf", str(vcf), "--threads", th]
        # warm-up: numba's on-disk compile cache, the page cache, and the matched set for plink2
        subprocess.run(
            [
                *base,
                "--scoring-file",
                str(files[0]),
                "--out",
                "warm.tsv",
                "--plink-scorefile",
                "matched.score",
            ],
            cwd=work,
            check=True,
            capture_output=True,
        )
        cache = work / "cache"
        subprocess.run(
            [*base, "--scoring-file", str(files[0]), "--out", "c.tsv", "--cache-dir", str(cache)],
            cwd=work,
            check=True,
            capture_output=True,
        )
        ten = [x for f in files for x in ("--scoring-file", str(f))]
        plink_common = ["--set-all-var-ids", "@:#:$r:$a", "--new-id-max-allele-len", "1000", "--threads", th]
        score_args = ["--score", "matched.score", "1", "2", "header-read", "cols=+scoresums,+denom"]
        cases = {
            "genorx (VCF)": [*base, "--scoring-file", str(files[0]), "--out", "g.tsv"],
            "genorx (cache)": [
                *base,
                "--scoring-file",
                str(files[0]),
                "--out",
                "gc.tsv",
                "--cache-dir",
                str(cache),
            ],
            "genorx x10 (VCF)": [*base, *ten, "--out", "g10.tsv"],
            "plink2 (VCF)": ["plink2", "--vcf", str(vcf), *plink_common, *score_args, "--out", "pv"],
            "plink2 convert": ["plink2", "--vcf", str(vcf), *plink_common, "--make-pgen", "--out", "pg"],
            "plink2 (pgen)": ["plink2", "--pfile", "pg", "--threads", th, *score_args, "--out", "pp"],
        }
        results = {}
        for name, cmd in cases.items():
            results[name] = median_of([timed(cmd, work) for _ in range(args.repeats)])
            print(f"{name:18s} wall {results[name]['wall_s']:6.2f} s", file=sys.stderr)
        # agreement on the same matched variants
        ours = pl.read_csv(work / "g.tsv", separator="\t", infer_schema_length=0)
        ours_sum = dict(zip(ours["sample_id"].to_list(), ours["sum"].cast(pl.Float64).to_list(), strict=True))
        theirs = plink_sums(work / "pp.sscore")
        ids = sorted(theirs)
        a = np.array([ours_sum[i] for i in ids])
        b = np.array([theirs[i] for i in ids])
        n_matched = int(ours["n_matched"][0])
        n_table = len((work / "matched.score").read_text().splitlines()) - 1
        vars_ok = n_table == n_matched
        ten_tsv = pl.read_csv(work / "g10.tsv", separator="\t", infer_schema_length=0)
        ten_matched = ten_tsv.unique("pgs_id")["n_matched"].cast(pl.Int64).sum()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    genos = args.samples * n_matched
    for r in results.values():
        r["genotypes_per_s"] = genos / r["wall_s"]
    results["genorx x10 (VCF)"]["genotypes_per_s"] = (
        args.samples * int(ten_matched) / results["genorx x10 (VCF)"]["wall_s"]
    )
    g, gc, g10 = results["genorx (VCF)"], results["genorx (cache)"], results["genorx x10 (VCF)"]
    pv, pp = results["plink2 (VCF)"], results["plink2 (pgen)"]
    ratios = {
        "genorx_vcf_over_plink2_vcf_wall": g["wall_s"] / pv["wall_s"],
        "genorx_vcf_over_plink2_vcf_cpu": g["cpu_s"] / pv["cpu_s"],
        "genorx_peak_rss_over_plink2_vcf": g["peak_rss_mb"] / pv["peak_rss_mb"],
        "genorx_cache_over_plink2_pgen_wall": gc["wall_s"] / pp["wall_s"],
        "ten_scores_over_one_wall": g10["wall_s"] / g["wall_s"],
    }
    goals = {
        "vcf_wall_le_half_plink2": ratios["genorx_vcf_over_plink2_vcf_wall"] <= 0.5,
        "peak_rss_le_plink2": ratios["genorx_peak_rss_over_plink2_vcf"] <= 1.0,
        "cache_le_plink2_pgen": ratios["genorx_cache_over_plink2_pgen_wall"] <= 1.0,
        "ten_scores_lt_2x_one": ratios["ten_scores_over_one_wall"] < 2.0,
    }
    agreement = {
        "max_abs_sum_diff": float(np.abs(a - b).max()),
        "max_abs_sum": float(np.abs(b).max()),
        "note": "plink2 prints 6 significant digits; the difference is bounded by that rounding",
        "same_matched_set": vars_ok,
        "n_matched": n_matched,
    }
    doc = {
        "benchmark": "prs",
        "samples": args.samples,
        "variants_in_vcf": args.variants,
        "scoring_rows": args.variants // 2,
        "repeats": args.repeats,
        "threads": args.threads,
        "plink2": subprocess.run(["plink2", "--version"], capture_output=True, text=True).stdout.strip(),
        "load_average_before_after": [load_before[0], load_after[0]],
        "results": results,
        "ratios": ratios,
        "goals_met": goals,
        "agreement": agreement,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "prs.json").write_text(json.dumps(doc, indent=1) + "\n")
    print(
        f"\n{args.samples} samples x {args.variants} variants, {n_matched} matched; "
        f"median of {args.repeats}; {args.threads} threads; "
        f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}"
    )
    print(f"{'case':18s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>9s} {'genotypes/s':>13s}")
    for name, r in results.items():
        print(
            f"{name:18s} {r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_rss_mb']:9.0f} "
            f"{r['genotypes_per_s']:13.3g}"
        )
    for k, v in ratios.items():
        print(f"{k:38s} {v:6.2f}")
    for k, v in goals.items():
        print(f"goal {k:30s} {'met' if v else 'NOT met'}")
    print(
        f"agreement: max |sum diff| {agreement['max_abs_sum_diff']:.3g} "
        f"(max |sum| {agreement['max_abs_sum']:.3g}), same matched set: {vars_ok}"
    )
    print(f"wrote {OUT / 'prs.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
