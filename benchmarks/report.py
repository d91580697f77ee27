"""Report stage: time per patient report, output sizes, and the cohort summary at scale.

    .venv/bin/python benchmarks/report.py [--cohort 2000] [--repeats 5] [--pgx pgx.json --sample ID]

Per-patient: builds the four outputs (therapy.tsv, report.json, report.html, report.fhir.json)
for the test patient (tests/data/report, 14 rows) and, when given, a real ``pgx.json`` (e.g.
``genorx pgx call`` on PharmCAT's example VCF, ~150 rows); median wall time of --repeats runs
and each file's size. Cohort: --cohort copies of the test patient's report.json under distinct
sample ids, then ``genorx report cohort``: wall time, peak RSS, output sizes.

No public peer is measured: PharmCAT's reporter (the closest tool) is a Java jar distributed
outside the package registries this project can use (PyPI, Debian, npm).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "workflow"))

from genorx.report.cohort import write_cohort  # noqa: E402
from genorx.report.document import RunInfo  # noqa: E402
from genorx.report.qc import QcThresholds  # noqa: E402
from genorx.report.sample import SampleInputs, build_sample, write_sample  # noqa: E402

DATA = REPO / "tests" / "data" / "report"


def time_sample(inputs: SampleInputs, out: Path, repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        doc = build_sample(inputs, RunInfo(), QcThresholds())
        paths = write_sample(doc, out)
        times.append(time.perf_counter() - t0)
    return {
        "rows": len(doc["therapy"]),
        "median_s": statistics.median(times),
        "sizes_bytes": {p.name: p.stat().st_size for p in paths},
    }


def time_cohort(n: int, tmp: Path) -> dict:
    template = json.loads((tmp / "P1" / "report.json").read_text())
    paths = []
    for i in range(n):
        template["sample_id"] = f"S{i:05d}"
        d = tmp / "cohort_in" / template["sample_id"]
        d.mkdir(parents=True)
        (d / "report.json").write_text(json.dumps(template))
        paths.append(d / "report.json")
    t0 = time.perf_counter()
    outs = write_cohort(paths, tmp / "cohort")
    wall = time.perf_counter() - t0
    return {
        "samples": n,
        "wall_s": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "sizes_bytes": {p.name: p.stat().st_size for p in outs},
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cohort", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--pgx", type=Path, help="a real pgx.json to time as well")
    ap.add_argument("--sample", help="sample id in --pgx")
    args = ap.parse_args()
    results: dict = {"per_patient": {}, "peer": "none available (see module docstring)"}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        fixture = SampleInputs(
            "P1", DATA / "P1.pgx.json", DATA / "P1.prs.json", targets=DATA / "P1.targets.tsv.gz"
        )
        results["per_patient"]["test patient"] = time_sample(fixture, tmp / "P1", args.repeats)
        if args.pgx:
            real = SampleInputs(args.sample, args.pgx)
            results["per_patient"][str(args.pgx.name)] = time_sample(real, tmp / "real", args.repeats)
        results["cohort"] = time_cohort(args.cohort, tmp)
    print(f"{'input':<16} {'rows':>5} {'median s':>9}  sizes (KB): tsv / json / html / fhir")
    for name, r in results["per_patient"].items():
        s = r["sizes_bytes"]
        kb = " / ".join(
            f"{s[n] / 1024:.0f}" for n in ("therapy.tsv", "report.json", "report.html", "report.fhir.json")
        )
        print(f"{name:<16} {r['rows']:>5} {r['median_s']:>9.3f}  {kb}")
    c = results["cohort"]
    print(
        f"cohort summary: {c['samples']} samples in {c['wall_s']:.2f} s, peak RSS {c['peak_rss_mb']:.0f} MB, "
        + ", ".join(f"{k} {v / 1024:.0f} KB" for k, v in c["sizes_bytes"].items())
    )
    print(f"peer: {results['peer']}")
    out = REPO / "benchmarks" / "out" / "report.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
