"""Cohort-mode star-allele calling on the 1000 Genomes PGx panel (3,202 samples).

Joins the per-gene panel VCFs (../shared/genomes/1kgp-pgx) into one multi-sample VCF with
bcftools (setup, timed separately), then runs ``call_cohort`` on every panel gene with a
PharmCAT definition (19 of 20: CYP2C8 has none; DPYD has a definition but no panel file,
so it is not called), ``absent_as_ref`` on (joint-called panel), with 1 and 2 worker
processes. Prints wall time, peak memory and samples x genes per second; writes
``benchmarks/out/pgx_cohort.json``.

PharmCAT itself is not installable here (no Java artifact repository); its cost is quoted:
PharmCAT runs each sample of a multi-sample VCF as its own matcher+phenotyper+reporter
pass, reported at a few seconds per sample (the issue's figure "PharmCAT needs seconds per
sample"); at 2 s/sample the panel would take ~6,400 s.

Usage: .venv/bin/python benchmarks/pgx_cohort.py [--shared ../shared] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUOTED_PHARMCAT_S_PER_SAMPLE = 2.0


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the machine is shared, so CPU
    time is the load-independent figure; wall time depends on the other jobs)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _run(vcf: Path, kb: Path, genes: list[str], threads: int, queue: mp.Queue) -> None:
    from genorx.pgx.cohort import call_cohort
    from genorx.pgx.definitions import load_pharmcat_definitions

    defs = load_pharmcat_definitions(kb, genes)
    t0 = time.perf_counter()
    cpu0 = _cpu()
    calls = call_cohort(vcf, defs, genes=genes, absent_as_ref=True, threads=threads)
    wall = time.perf_counter() - t0
    cpu = _cpu() - cpu0
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    status = Counter((c.gene, c.call_status) for c in calls)
    samples = len({c.sample_id for c in calls})
    queue.put(
        {
            "wall_s": wall,
            "cpu_s": cpu,
            "peak_mb": max(peak_self, peak_children),
            "calls": len(calls),
            "samples": samples,
            "genes": len(defs),
            "status": {f"{g}:{s}": n for (g, s), n in sorted(status.items())},
        }
    )


def measure(vcf: Path, kb: Path, genes: list[str], threads: int) -> dict:
    """One run in a fresh process (clean peak-memory figure)."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_run, args=(vcf, kb, genes, threads, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    panel = args.shared / "genomes" / "1kgp-pgx"
    kb = args.shared / "kb" / "pharmcat"
    files = sorted(panel.glob("*.vcf.gz"))
    if not files:
        print(f"no panel VCFs under {panel}", file=sys.stderr)
        return 2
    from genorx.pgx.definitions import load_pharmcat_definitions

    defined = set(load_pharmcat_definitions(kb))
    panel_genes = [f.name.removesuffix(".vcf.gz") for f in files]
    # only genes whose panel VCF is present: a definition without data (DPYD here) would come
    # out Reference/Reference through absent_as_ref, which says nothing
    genes = [g for g in panel_genes if g in defined]
    print(
        f"panel genes: {len(panel_genes)}; with a PharmCAT definition: {len(genes)}; "
        f"without: {sorted(set(panel_genes) - defined)}; definitions without panel data (not called): "
        f"{sorted(defined - set(panel_genes))}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        joined = Path(tmp) / "1kgp-pgx.vcf.gz"
        (Path(tmp) / "list.txt").write_text("\n".join(map(str, files)) + "\n")
        t0 = time.perf_counter()
        subprocess.run(
            ["bcftools", "concat", "-a", "-f", str(Path(tmp) / "list.txt"), "-Oz", "-o", str(joined)],
            check=True,
            capture_output=True,
        )
        subprocess.run(["bcftools", "index", "-t", str(joined)], check=True)
        setup = time.perf_counter() - t0
        rows = []
        for threads in (1, 2):
            runs = [measure(joined, kb, genes, threads) for _ in range(args.repeats)]
            wall = statistics.median(r["wall_s"] for r in runs)
            last = runs[-1]
            pairs = last["samples"] * last["genes"]
            rows.append(
                {
                    "threads": threads,
                    "wall_s_median": round(wall, 2),
                    "wall_s_runs": [round(r["wall_s"], 2) for r in runs],
                    "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 2),
                    "peak_mb": round(max(r["peak_mb"] for r in runs), 1),
                    "samples": last["samples"],
                    "genes": last["genes"],
                    "sample_genes_per_s": round(pairs / wall, 1),
                    "pharmcat_quoted_s": QUOTED_PHARMCAT_S_PER_SAMPLE * last["samples"],
                    "status": last["status"],
                }
            )
    print(f"setup (bcftools concat+index of {len(files)} panel VCFs): {setup:.1f} s")
    print(
        f"{'threads':>7} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'samples':>8} {'genes':>6} "
        f"{'sxg/s':>9} {'vs PharmCAT*':>12}"
    )
    for r in rows:
        ratio = r["pharmcat_quoted_s"] / r["wall_s_median"]
        print(
            f"{r['threads']:>7} {r['wall_s_median']:>8.2f} {r['cpu_s_median']:>8.2f} {r['peak_mb']:>8.1f} "
            f"{r['samples']:>8} "
            f"{r['genes']:>6} {r['sample_genes_per_s']:>9.0f} {ratio:>11.0f}x"
        )
    print(f"* PharmCAT quoted at {QUOTED_PHARMCAT_S_PER_SAMPLE} s/sample (not run here)")
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    out = REPO / "benchmarks" / "out"
    out.mkdir(parents=True, exist_ok=True)
    payload = {
        "setup_s": round(setup, 2),
        "files": [f.name for f in files],
        "genes_called": genes,
        "panel_genes_without_definition": sorted(set(panel_genes) - defined),
        "definitions_without_panel_data": sorted(defined - set(panel_genes)),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "runs": rows,
    }
    (out / "pgx_cohort.json").write_text(json.dumps(payload, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
