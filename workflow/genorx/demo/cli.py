"""``genorx demo --out DIR [--seed N] [--coverage X]``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from genorx.demo.generate import DEFAULT_COVERAGE, DEFAULT_SEED, generate_demo
from genorx.errors import GenorxError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="genorx demo", description=__doc__)
    parser.add_argument("--out", required=True, type=Path, help="directory to write the demo into")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    parser.add_argument(
        "--coverage", type=float, default=DEFAULT_COVERAGE, help=f"read depth (default {DEFAULT_COVERAGE:g})"
    )
    args = parser.parse_args(argv)
    if args.coverage <= 0:
        raise GenorxError(f"--coverage: {args.coverage} is not positive; fix: give a depth such as 30")
    t0 = time.perf_counter()
    manifest = generate_demo(args.out, seed=args.seed, coverage=args.coverage)
    pairs = sum(p["read_pairs"] for p in manifest["patients"].values())
    print(
        f"genorx demo: {len(manifest['patients'])} patients, {pairs} read pairs, seed {args.seed}, "
        f"written to {args.out} in {time.perf_counter() - t0:.1f} s"
    )
    return 0
