"""PRS scoring speed: `genorx prs score` against plink2 (Debian's plink2) in the same run.

Generates once (cached under benchmarks/out/prs_data_<samples>x<variants>_seed<seed>/) a
synthetic cohort of 2,000 samples x 200,000 variants (missing calls, strand flips,
ambiguous and multi-allelic sites) and its scoring files: ten independent 100,000-row
draws (``score<i>.txt``, together covering every site) and ten scores over the variants of
the first with other weights (``same<i>.txt``, the usual multi-score case). Then times:

  genorx 1 (VCF)          one score, from the raw BGZF VCF, no cache
  genorx 1 (cache)        the same with --cache-dir, cache already written
  genorx 10 same (VCF)    ten scores over one variant set, raw VCF
  genorx 10 indep (VCF)   ten independent scores (2x the records, 10x the rows), raw VCF
  plink2 1 (VCF)          plink2 --vcf --score with the variants genorx matched
  plink2 10 same (VCF)    the same with ten score columns
  plink2 convert          plink2 --vcf --make-pgen (timed separately)
  plink2 1 (pgen)         plink2 --pfile --score

Runs are interleaved (every case once per round, genorx and plink2 alternating) so they
see the same machine load; the one-minute load average is recorded at the start of every
run, and with --max-load each round waits (up to --wait s) for the load to drop. Wall and
CPU time and peak RSS come from /usr/bin/time -v; medians over --repeats rounds, ratios
between medians of the same run. Agreement (max |sum diff|, matched-variant set) is
checked against the plink2 pgen and 10-column runs. Writes benchmarks/out/prs.json.

    .venv/bin/python benchmarks/prs.py [--samples 2000 --variants 200000 --repeats 3]
        [--max-load 3 --wait 900] [--pythonpath SNAPSHOT/workflow]

--pythonpath runs genorx from a copy of the package (so editing the checkout while the
benchmark runs cannot change what is measured).
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
PYTHON = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv/bin/python").exists() else sys.executable


def timed(cmd: list[str], cwd: Path, env: dict) -> dict:
    """Run under /usr/bin/time -v: wall, user+sys CPU seconds, peak RSS (MB), load at start."""
    load = os.getloadavg()[0]
    proc = subprocess.run(["/usr/bin/time", "-v", *cmd], cwd=cwd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    err = proc.stderr

    def field(name: str) -> str:
        return re.search(rf"{re.escape(name)}: (.+)", err).group(1).strip()  # type: ignore[union-attr]

    parts = [float(x) for x in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")]
    return {
        "wall_s": sum(p * 60**i for i, p in enumerate(reversed(parts))),
        "cpu_s": float(field("User time (seconds)")) + float(field("System time (seconds)")),
        "peak_rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024,
        "load_1min": load,
    }


def summary(runs: list[dict]) -> dict:
    keys = ("wall_s", "cpu_s", "peak_rss_mb", "load_1min")
    return {k: statistics.median(r[k] for r in runs) for k in keys} | {"runs": runs}


def make_data(samples: int, variants: int, seed: int) -> tuple[Path, list[Path], list[Path], float | None]:
    """The cohort and scoring files, generated once per (size, seed)."""
    from genorx.prs.synth import Cohort, write_cohort, write_scorefile

    data = OUT / f"prs_data_{samples}x{variants}_seed{seed}"
    vcf, meta = data / "cohort.vcf.gz", data / "sites.npz"
    took = None
    if not (vcf.exists() and meta.exists()):
        data.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        c = write_cohort(vcf, samples, variants, seed=seed)
        np.savez(meta, chrom=c.chrom, pos=c.pos, ref=c.ref, alt=c.alt, af=c.af)
        took = time.perf_counter() - t
        print(f"generated {samples} x {variants} cohort in {took:.1f} s", file=sys.stderr)
    m = np.load(meta)
    cohort = Cohort(vcf, [], m["chrom"], m["pos"], m["ref"], m["alt"], m["af"])
    indep, same = [], []
    for i in range(10):
        path = data / f"score{i}.txt"
        if not path.exists():
            write_scorefile(path, cohort, variants // 2, seed=seed * 1000 + i, pgs_id=f"BENCH{i}")
        indep.append(path)
        path = data / f"same{i}.txt"
        if not path.exists():  # the variants of score0, other weights
            write_scorefile(
                path, cohort, variants // 2, seed=seed * 1000, pgs_id=f"SAME{i}", weight_seed=seed * 5000 + i
            )
        same.append(path)
    return vcf, indep, same, took


def plink_sums(sscore: Path) -> pl.DataFrame:
    df = pl.read_csv(sscore, separator="\t", infer_schema_length=0)
    df = df.rename({"#IID": "IID"} if "#IID" in df.columns else {})
    cols = [c for c in df.columns if c.endswith("_SUM") and c != "NAMED_ALLELE_DOSAGE_SUM"]
    return df.select("IID", *[pl.col(c).cast(pl.Float64).alias(c[:-4]) for c in cols])


def agreement(ours_tsv: Path, theirs: pl.DataFrame) -> dict:
    ours = pl.read_csv(ours_tsv, separator="\t", infer_schema_length=0).select(
        "sample_id", "pgs_id", pl.col("sum").cast(pl.Float64)
    )
    long = theirs.unpivot(index="IID", variable_name="pgs_id", value_name="plink2").rename(
        {"IID": "sample_id"}
    )
    j = ours.join(long, on=["sample_id", "pgs_id"])
    diff = (j["sum"] - j["plink2"]).abs()
    return {
        "compared": j.height,
        "max_abs_sum_diff": float(diff.max()),
        "max_abs_sum": float(j["plink2"].abs().max()),
        "note": "plink2 prints 6 significant digits; the difference is bounded by that rounding",
    }


def wait_for_load(max_load: float | None, wait: float) -> None:
    if max_load is None:
        return
    end = time.time() + wait
    while os.getloadavg()[0] > max_load and time.time() < end:
        time.sleep(15)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--variants", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--max-load", type=float, help="wait before each round until the 1-min load is below")
    ap.add_argument("--wait", type=float, default=900, help="longest wait for --max-load (s)")
    ap.add_argument("--pythonpath", type=Path, help="run genorx from this copy of workflow/")
    args = ap.parse_args()
    if shutil.which("plink2") is None or not Path("/usr/bin/time").exists():
        print("needs plink2 and /usr/bin/time (apt-get install plink2 time)", file=sys.stderr)
        return 2
    vcf, indep, same, generated = make_data(args.samples, args.variants, args.seed)
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = str(args.pythonpath.resolve())
    work = Path(tempfile.mkdtemp(prefix="genorx-prs-bench-"))
    th = str(args.threads)
    genorx = [PYTHON, "-m", "genorx.cli", "prs", "score", "--vcf", str(vcf), "--threads", th]

    def files(paths: list[Path]) -> list[str]:
        return [x for p in paths for x in ("--scoring-file", str(p))]

    plink_common = ["--set-all-var-ids", "@:#:$r:$a", "--new-id-max-allele-len", "1000", "--threads", th]
    load_before = os.getloadavg()
    try:
        # warm-up: numba's on-disk compile cache, the page cache, the matched sets for plink2, the cache
        for cmd in (
            [*genorx, *files(indep[:1]), "--out", "w1.tsv", "--plink-scorefile", "m1.score"],
            [*genorx, *files(same), "--out", "w10.tsv", "--plink-scorefile", "m10.score"],
            [*genorx, *files(indep[:1]), "--out", "c.tsv", "--cache-dir", "cache"],
        ):
            subprocess.run(cmd, cwd=work, env=env, check=True, capture_output=True)
        score1 = ["--score", "m1.score", "1", "2", "header-read", "cols=+scoresums,+denom"]
        score10 = [*score1[:1], "m10.score", *score1[2:], "--score-col-nums", "3-12"]
        cases = {
            "genorx 1 (VCF)": [*genorx, *files(indep[:1]), "--out", "g1.tsv"],
            "plink2 1 (VCF)": ["plink2", "--vcf", str(vcf), *plink_common, *score1, "--out", "p1"],
            "genorx 1 (cache)": [*genorx, *files(indep[:1]), "--out", "gc.tsv", "--cache-dir", "cache"],
            "plink2 1 (pgen)": ["plink2", "--pfile", "pg", "--threads", th, *score1, "--out", "pp"],
            "genorx 10 same (VCF)": [*genorx, *files(same), "--out", "g10.tsv"],
            "plink2 10 same (VCF)": ["plink2", "--vcf", str(vcf), *plink_common, *score10, "--out", "p10"],
            "genorx 10 indep (VCF)": [*genorx, *files(indep), "--out", "g10i.tsv"],
            "plink2 convert": ["plink2", "--vcf", str(vcf), *plink_common, "--make-pgen", "--out", "pg"],
        }
        subprocess.run(cases["plink2 convert"], cwd=work, check=True, capture_output=True)
        runs: dict[str, list[dict]] = {name: [] for name in cases}
        for r in range(args.repeats):  # interleaved: every case once per round
            wait_for_load(args.max_load, args.wait)
            for name, cmd in cases.items():
                runs[name].append(timed(cmd, work, env))
                print(f"round {r + 1} {name:22s} wall {runs[name][-1]['wall_s']:6.2f} s", file=sys.stderr)
        agree1 = agreement(work / "g1.tsv", plink_sums(work / "pp.sscore"))
        agree10 = agreement(work / "g10.tsv", plink_sums(work / "p10.sscore"))
        ours1 = pl.read_csv(work / "g1.tsv", separator="\t", infer_schema_length=0)
        n_matched = int(ours1["n_matched"][0])
        same_set = len((work / "m1.score").read_text().splitlines()) - 1 == n_matched
        ten_indep = pl.read_csv(work / "g10i.tsv", separator="\t", infer_schema_length=0)
        matched_indep = int(ten_indep.unique("pgs_id")["n_matched"].cast(pl.Int64).sum())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()
    results = {name: summary(r) for name, r in runs.items()}
    genos = {"1": n_matched, "10 same": 10 * n_matched, "10 indep": matched_indep}
    for name, r in results.items():
        if "convert" not in name:
            key = "10 same" if "10 same" in name else "10 indep" if "indep" in name else "1"
            r["genotypes_per_s"] = args.samples * genos[key] / r["wall_s"]
    res = results
    ratios = {
        "genorx_vcf_over_plink2_vcf_wall": res["genorx 1 (VCF)"]["wall_s"] / res["plink2 1 (VCF)"]["wall_s"],
        "genorx_vcf_over_plink2_vcf_cpu": res["genorx 1 (VCF)"]["cpu_s"] / res["plink2 1 (VCF)"]["cpu_s"],
        "genorx_peak_over_plink2_vcf_peak": res["genorx 1 (VCF)"]["peak_rss_mb"]
        / res["plink2 1 (VCF)"]["peak_rss_mb"],
        "genorx_cache_over_plink2_pgen_wall": res["genorx 1 (cache)"]["wall_s"]
        / res["plink2 1 (pgen)"]["wall_s"],
        "genorx_cache_over_plink2_pgen_cpu": res["genorx 1 (cache)"]["cpu_s"]
        / res["plink2 1 (pgen)"]["cpu_s"],
        "ten_same_over_one_wall": res["genorx 10 same (VCF)"]["wall_s"] / res["genorx 1 (VCF)"]["wall_s"],
        "ten_same_over_one_cpu": res["genorx 10 same (VCF)"]["cpu_s"] / res["genorx 1 (VCF)"]["cpu_s"],
        "ten_indep_over_one_wall": res["genorx 10 indep (VCF)"]["wall_s"] / res["genorx 1 (VCF)"]["wall_s"],
        "genorx_ten_same_over_plink2_ten_same_wall": res["genorx 10 same (VCF)"]["wall_s"]
        / res["plink2 10 same (VCF)"]["wall_s"],
        "largest_genorx_peak_over_plink2_vcf_peak": max(
            r["peak_rss_mb"] for n, r in res.items() if "genorx" in n
        )
        / min(res["plink2 1 (VCF)"]["peak_rss_mb"], res["plink2 10 same (VCF)"]["peak_rss_mb"]),
    }
    goals = {
        "vcf_wall_le_half_plink2": ratios["genorx_vcf_over_plink2_vcf_wall"] <= 0.5,
        "peak_rss_le_plink2_vcf_every_genorx_case": ratios["largest_genorx_peak_over_plink2_vcf_peak"] <= 1.0,
        "cache_le_plink2_pgen": ratios["genorx_cache_over_plink2_pgen_wall"] <= 1.0,
        "ten_scores_lt_2x_one": ratios["ten_same_over_one_wall"] < 2.0,
    }
    doc = {
        "benchmark": "prs",
        "samples": args.samples,
        "variants_in_vcf": args.variants,
        "scoring_rows": args.variants // 2,
        "seed": args.seed,
        "cohort_generated_s": generated,
        "repeats": args.repeats,
        "threads": args.threads,
        "interleaved": True,
        "plink2": subprocess.run(["plink2", "--version"], capture_output=True, text=True).stdout.strip(),
        "load_average_before_after": [load_before[0], load_after[0]],
        "load_average_median_of_runs": statistics.median(x["load_1min"] for r in runs.values() for x in r),
        "results": results,
        "ratios": ratios,
        "goals_met": goals,
        "agreement": {"one_score_vs_plink2_pgen": agree1, "ten_same_vs_plink2_ten_columns": agree10},
        "matched": {"one": n_matched, "same_set_given_to_plink2": same_set, "ten_indep_total": matched_indep},
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "prs.json").write_text(json.dumps(doc, indent=1) + "\n")
    load_runs = doc["load_average_median_of_runs"]
    print(
        f"\n{args.samples} samples x {args.variants} variants, {n_matched} of {args.variants // 2} rows "
        f"matched; median of {args.repeats} interleaved rounds; {args.threads} threads; load average "
        f"{load_before[0]:.1f} -> {load_after[0]:.1f} (median at run starts {load_runs:.1f})"
    )
    print(f"{'case':22s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>9s} {'genotypes/s':>13s} {'load':>6s}")
    for name, r in results.items():
        gps = f"{r['genotypes_per_s']:13.3g}" if "genotypes_per_s" in r else " " * 13
        cells = f"{r['wall_s']:8.2f} {r['cpu_s']:8.2f} {r['peak_rss_mb']:9.0f} {gps} {r['load_1min']:6.1f}"
        print(f"{name:22s} {cells}")
    for k, v in ratios.items():
        print(f"{k:44s} {v:6.2f}")
    for k, v in goals.items():
        print(f"goal {k:40s} {'met' if v else 'NOT met'}")
    for k, a in doc["agreement"].items():
        print(f"agreement {k}: max |sum diff| {a['max_abs_sum_diff']:.3g} (max |sum| {a['max_abs_sum']:.3g})")
    print(f"wrote {OUT / 'prs.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
