"""Phenotyper + recommender cost on the 1000 Genomes PGx panel (3,202 samples, all KB genes).

Downstream of matching (``call_cohort``, measured by benchmarks/pgx_cohort.py): phenotype every
(sample, gene) call, match CPIC/DPWG recommendations for every sample (with the cohort cache,
and without it on a subset, extrapolated), build and encode the per-sample JSON; then the
whole ``genorx pgx call`` command with and without ``--json`` (wall time, peak memory).
Also the KB itself: ``genorx kb build`` and ``load_kb`` of the bundled and of a PharmCAT-format KB.

No peer tool runs here: PharmCAT (Java) cannot be installed from the reachable registries, so
the baseline is genorx's own uncached recommender. Prints a table and writes
``benchmarks/out/pgx_recommend.json``.

Usage: .venv/bin/python benchmarks/pgx_recommend.py [--shared ../shared] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "workflow"))


def _median(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _joined_vcf(panel: Path, tmp: Path) -> Path:
    listing = tmp / "files.txt"
    listing.write_text("\n".join(str(p) for p in sorted(panel.glob("*.vcf.gz"))) + "\n")
    joined, out = tmp / "joined.vcf.gz", tmp / "panel.vcf.gz"
    subprocess.run(["bcftools", "concat", "-a", "-f", str(listing), "-Oz", "-o", str(joined)], check=True)
    subprocess.run(["bcftools", "sort", "-Oz", "-o", str(out), str(joined)], check=True, capture_output=True)
    subprocess.run(["tabix", "-p", "vcf", str(out)], check=True)
    return out


def _cli(args: list[str]) -> dict:
    cmd = ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "genorx.cli", "pgx", "call", *args]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    wall, kb = done.stderr.strip().splitlines()[-1].split()
    return {"wall_s": float(wall), "peak_mb": int(kb) / 1024}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    from genorx.kb.build import build_kb
    from genorx.kb.load import load_kb
    from genorx.paths import BUNDLED_KB
    from genorx.pgx import phenotype
    from genorx.pgx.cohort import call_cohort
    from genorx.pgx.output import gene_sources, sample_json
    from genorx.pgx.phenotype import gene_context
    from genorx.pgx.recommend import recommend
    from genorx.pgx.results import from_call, not_called

    out: dict = {}
    pharmcat = args.shared / "kb" / "pharmcat"
    with tempfile.TemporaryDirectory() as tmpd:
        tmp = Path(tmpd)
        out["kb_build_s"] = _median(lambda: build_kb(pharmcat, tmp / "kb"), args.repeats)
        out["load_bundled_s"] = _median(lambda: load_kb(BUNDLED_KB), args.repeats)
        out["load_pharmcat_s"] = _median(lambda: load_kb(pharmcat), args.repeats)
        kb = load_kb(BUNDLED_KB)
        vcf = _joined_vcf(args.shared / "genomes" / "1kgp-pgx", tmp)
        genes = [g for g in kb.genes if g != "CYP2D6"]
        t0 = time.perf_counter()
        calls = call_cohort(vcf, kb.definitions, genes=genes, absent_as_ref=True, threads=2)
        out["match_s"] = time.perf_counter() - t0
        contexts = {g: gene_context(kb, g) for g in sorted(set(kb.genes) | set(kb.guideline_genes))}
        samples = list(dict.fromkeys(c.sample_id for c in calls))
        out["samples"], out["genes"] = len(samples), len(genes)

        def phenotype_all() -> list[dict]:
            phenotype._MEMO.clear()
            per: dict[str, dict] = {s: {} for s in samples}
            for c in calls:
                per[c.sample_id][c.gene] = from_call(contexts[c.gene], c)
            for s, res in per.items():
                for g, ctx in contexts.items():
                    if g not in res:
                        res[g] = not_called(ctx, s, "not called")
            return list(per.values())

        out["phenotype_s"] = _median(phenotype_all, args.repeats)
        per_sample = phenotype_all()
        interest = set(kb.guideline_genes)

        def recommend_all(cache: dict | None, n: int) -> list:
            return [recommend(kb, r, interest, cache) for r in per_sample[:n]]

        out["recommend_cached_s"] = _median(lambda: recommend_all({}, len(per_sample)), args.repeats)
        subset = 200
        uncached = _median(lambda: recommend_all(None, subset), args.repeats)
        out["recommend_uncached_s_extrapolated"] = uncached * len(per_sample) / subset
        recs = recommend_all({}, len(per_sample))
        sources = gene_sources(kb)

        def encode() -> int:
            size = 0
            for s, res, r in zip(samples, per_sample, recs, strict=True):
                doc = sample_json(s, [res[g] for g in genes], r, sources)
                size += len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))
            return size

        out["json_s"] = _median(encode, 1)
        out["json_mb"] = encode() / 1e6
        base = ["--vcf", str(vcf), "--absent-as-ref", "--threads", "2", "--out", str(tmp / "o.tsv")]
        out["cli_tsv"] = _cli(base)
        out["cli_tsv_json"] = _cli([*base, "--json", str(tmp / "o.json")])

    n = out["samples"]
    print(f"genorx phenotyper + recommender, 1000 Genomes panel: {n} samples x {out['genes']} genes")
    print(f"{'step':<40}{'median s':>10}{'per sample ms':>15}")
    for key, label in (
        ("kb_build_s", "genorx kb build (PharmCAT data)"),
        ("load_bundled_s", "load_kb(resources/kb)"),
        ("load_pharmcat_s", "load_kb(PharmCAT-format dir)"),
        ("match_s", "call_cohort (matching, 1 run)"),
        ("phenotype_s", "phenotype all calls"),
        ("recommend_cached_s", "recommend, cohort cache"),
        ("recommend_uncached_s_extrapolated", "recommend, no cache (200 samples, x16)"),
        ("json_s", "build + encode per-sample JSON"),
    ):
        per = (
            f"{out[key] / n * 1000:.3f}"
            if key not in {"kb_build_s", "load_bundled_s", "load_pharmcat_s"}
            else ""
        )
        print(f"{label:<40}{out[key]:>10.2f}{per:>15}")
    ratio = out["recommend_uncached_s_extrapolated"] / out["recommend_cached_s"]
    print(f"cache speed-up of the recommender: {ratio:.1f}x")
    for key in ("cli_tsv", "cli_tsv_json"):
        print(
            f"genorx pgx call ({key[4:]}): {out[key]['wall_s']:.1f} s wall, {out[key]['peak_mb']:.0f} MB peak"
        )
    print(f"cohort JSON: {out['json_mb']:.0f} MB")
    (REPO / "benchmarks" / "out").mkdir(exist_ok=True)
    (REPO / "benchmarks" / "out" / "pgx_recommend.json").write_text(json.dumps(out, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
