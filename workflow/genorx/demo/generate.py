"""``genorx demo``: the whole embedded demo, deterministic for a given seed.

Writes into ``out``: ``reference.fa.gz`` (+ ``.fai``, ``.gzi``), ``{patient}_R1/R2.fastq.gz``,
``truth/{patient}.vcf.gz`` (+ ``.tbi``), ``prs_sites.tsv``, ``samples.tsv`` and
``manifest.json``; then, when the PRS stage provides it, its demonstration scoring files.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from genorx import __version__
from genorx.atomic import atomic_path, write_text
from genorx.demo import layout as lay
from genorx.demo.genome import Genome, synthesize, write_reference
from genorx.demo.panel import PATIENTS, expected_diplotypes
from genorx.demo.reads import READ_LEN, fastq_bytes, gzip_bytes, haplotype, simulate
from genorx.demo.truth import write_prs_sites, write_truth_vcf
from genorx.demo.variants import PrsSite, Variant, in_paralog, patient_variants, prs_sites
from genorx.paths import BUNDLED_KB

DEFAULT_SEED = 7
DEFAULT_COVERAGE = 30.0


@dataclass(frozen=True, slots=True)
class PatientResult:
    name: str
    variants: list[Variant]
    read_pairs: int


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def _write_gz(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(gzip_bytes(data))


def _patient(
    out: Path, genome: Genome, sites: list[PrsSite], name: str, index: int, seed: int, coverage: float
) -> PatientResult:
    variants = patient_variants(name, genome, sites, _rng(seed, 100 + index))
    write_truth_vcf(out / "truth" / f"{name}.vcf.gz", genome.layout.contigs, name, variants)
    seqs = []
    for w in genome.layout.windows:
        inside = [v for v in variants if v.chrom == w.chrom and w.start < v.pos <= w.end]
        seqs += [haplotype(genome, w.chrom, w.start, inside, h) for h in (0, 1)]
    pairs = simulate(seqs, coverage, _rng(seed, 200 + index))
    _write_gz(out / f"{name}_R1.fastq.gz", fastq_bytes(name, pairs.r1, pairs.q1))
    _write_gz(out / f"{name}_R2.fastq.gz", fastq_bytes(name, pairs.r2, pairs.q2))
    return PatientResult(name, variants, len(pairs.r1))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _manifest(
    out: Path, genome: Genome, seed: int, coverage: float, patients: list[PatientResult], n_sites: int
) -> dict:
    copy = lay.paralog_copy_interval()
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.name != "manifest.json")
    return {
        "generator": f"genorx demo {__version__}",
        "seed": seed,
        "coverage": coverage,
        "read_length": READ_LEN,
        "reference": {"file": "reference.fa.gz", "build": "GRCh38", "contigs": genome.layout.contigs},
        "windows": [
            {"chrom": w.chrom, "start": w.start, "end": w.end, "kind": w.kind, "name": w.name}
            for w in genome.layout.windows
        ],
        "paralog": {
            "chrom": lay.PARALOG_CHROM,
            "source": list(lay.PARALOG_SOURCE),
            "copy": list(copy),
            "divergence": lay.PARALOG_DIVERGENCE,
            "differences": len(genome.paralog_differences),
            "note": "0-based half-open; the copy is the source with ~0.5% substitutions",
        },
        "prs_sites": {"file": "prs_sites.tsv", "n": n_sites},
        "patients": {
            p.name: {
                "fastq": [f"{p.name}_R1.fastq.gz", f"{p.name}_R2.fastq.gz"],
                "truth": f"truth/{p.name}.vcf.gz",
                "read_pairs": p.read_pairs,
                "planted_diplotypes": expected_diplotypes(p.name),
                "pgx_variants": [
                    {
                        "chrom": v.chrom,
                        "pos": v.pos,
                        "ref": v.ref,
                        "alt": v.alt,
                        "label": v.label,
                        "genotype": f"{v.gt[0]}|{v.gt[1]}",
                    }
                    for v in p.variants
                    if v.source == "pgx"
                ],
                "counts": {
                    "snv": sum(v.is_snv for v in p.variants),
                    "indel": sum(not v.is_snv for v in p.variants),
                    "paralog": sum(in_paralog(v) for v in p.variants),
                    "prs": sum(v.source == "prs" for v in p.variants),
                },
            }
            for p in patients
        },
        "files": {str(f.relative_to(out)): _sha256(f) for f in files},
    }


def _prs_assets(out: Path, seed: int) -> None:
    try:
        from genorx.prs.demo_assets import write_demo_prs_assets  # type: ignore[import-not-found]
    except ImportError:
        return
    write_demo_prs_assets(out, seed)


def generate_demo(out: Path, seed: int = DEFAULT_SEED, coverage: float = DEFAULT_COVERAGE) -> dict:
    """Write the demo into ``out``; return the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    kb = lay.read_kb_positions(BUNDLED_KB / "positions.tsv")
    genome = synthesize(lay.build_layout(kb), _rng(seed, 0))
    sites = prs_sites(genome, _rng(seed, 1))
    threads = max(1, min(len(PATIENTS), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=threads) as pool:
        ref_job = pool.submit(write_reference, genome, out / "reference.fa.gz")
        jobs = [
            pool.submit(_patient, out, genome, sites, name, i, seed, coverage)
            for i, name in enumerate(PATIENTS)
        ]
        patients = [j.result() for j in jobs]
        ref_job.result()
    write_prs_sites(out / "prs_sites.tsv", sites)
    rows = ["sample_id\tfastq_1\tfastq_2"] + [f"{p}\t{p}_R1.fastq.gz\t{p}_R2.fastq.gz" for p in PATIENTS]
    write_text(out / "samples.tsv", "\n".join(rows) + "\n")
    _prs_assets(out, seed)
    manifest = _manifest(out, genome, seed, coverage, patients, len(sites))
    write_text(out / "manifest.json", json.dumps(manifest, indent=1) + "\n")
    return manifest
