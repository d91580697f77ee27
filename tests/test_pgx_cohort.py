"""Cohort mode on real 1000 Genomes data: the one-pass cohort call equals per-sample calling.

A small multi-sample VCF is cut from the panel (../shared/genomes/1kgp-pgx) with bcftools:
four genes, 60 samples, bgzipped and indexed like the full panel.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import require_tools
from genorx.pgx.calls import GeneCall
from genorx.pgx.cohort import call_cohort
from genorx.pgx.definitions import GeneDefinition, load_pharmcat_definitions
from genorx.pgx.genotypes import read_sample_genotypes
from genorx.pgx.match import call_gene

pytestmark = pytest.mark.shared
GENES = ["CYP2C19", "NUDT15", "TPMT", "UGT1A1"]


@pytest.fixture(scope="module")
def defs(shared: Path) -> dict[str, GeneDefinition]:
    return load_pharmcat_definitions(shared / "kb" / "pharmcat", GENES)


@pytest.fixture(scope="module")
def panel(shared: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    require_tools("bcftools")
    src = shared / "genomes" / "1kgp-pgx"
    tmp = tmp_path_factory.mktemp("cohort")
    header = subprocess.run(
        ["bcftools", "query", "-l", str(src / "CYP2C19.vcf.gz")], check=True, capture_output=True, text=True
    )
    samples = header.stdout.split()[::53][:60]  # spread over the panel's populations
    (tmp / "samples.txt").write_text("\n".join(samples) + "\n")
    parts = []
    for gene in GENES:
        part = tmp / f"{gene}.vcf.gz"
        subprocess.run(
            [
                "bcftools",
                "view",
                "-S",
                str(tmp / "samples.txt"),
                "-Oz",
                "-o",
                str(part),
                str(src / f"{gene}.vcf.gz"),
            ],
            check=True,
        )
        subprocess.run(["bcftools", "index", "-t", str(part)], check=True)
        parts.append(str(part))
    joined = tmp / "panel.vcf.gz"
    subprocess.run(
        ["bcftools", "concat", "-a", "-Oz", "-o", str(joined), *parts], check=True, capture_output=True
    )
    subprocess.run(["bcftools", "index", "-t", str(joined)], check=True)
    return joined, samples


def _key(call: GeneCall) -> tuple:
    return (
        call.gene,
        call.sample_id,
        call.call_status,
        tuple(call.diplotype_names),
        tuple(call.haplotype_matches),
        tuple(m.pos for m in call.missing_positions),
        call.phased,
    )


def test_cohort_equals_per_sample_calls(
    panel: tuple[Path, list[str]], defs: dict[str, GeneDefinition]
) -> None:
    vcf, samples = panel
    cohort = call_cohort(vcf, defs, genes=GENES, absent_as_ref=True)
    assert [(c.sample_id, c.gene) for c in cohort] == [(s, g) for s in samples for g in GENES]
    gset = read_sample_genotypes(vcf, defs, absent_as_ref=True)
    per_sample = [call_gene(defs[g], gset.sample(g, s)) for s in samples for g in GENES]
    assert [_key(c) for c in cohort] == [_key(c) for c in per_sample]
    # a VCF read for one sample only gives the same calls
    for i in (0, 31, 59):
        alone = read_sample_genotypes(vcf, defs, samples=[samples[i]], absent_as_ref=True)
        calls = [call_gene(defs[g], alone.sample(g, samples[i])) for g in GENES]
        assert [_key(c) for c in calls] == [_key(c) for c in cohort[i * len(GENES) : (i + 1) * len(GENES)]]
    # real variation: not every call is the reference diplotype
    assert len({c.display for c in cohort if c.gene == "CYP2C19"}) > 3


def test_sample_and_gene_selection(panel: tuple[Path, list[str]], defs: dict[str, GeneDefinition]) -> None:
    vcf, samples = panel
    everyone = {(c.sample_id, c.gene): _key(c) for c in call_cohort(vcf, defs, absent_as_ref=True)}
    picked = [samples[7], samples[2]]
    some = call_cohort(vcf, defs, samples=picked, genes=["UGT1A1", "CYP2C19"], absent_as_ref=True)
    # samples in VCF order, genes in the order asked for
    assert [(c.sample_id, c.gene) for c in some] == [
        (s, g) for s in (samples[2], samples[7]) for g in ("UGT1A1", "CYP2C19")
    ]
    assert all(_key(c) == everyone[(c.sample_id, c.gene)] for c in some)


def test_two_processes_give_the_same_calls(
    panel: tuple[Path, list[str]], defs: dict[str, GeneDefinition], tmp_path: Path
) -> None:
    """Indexed and plain VCF: the parent reads once, forked workers match."""
    vcf, _ = panel
    plain = tmp_path / "panel.vcf"
    subprocess.run(["bcftools", "view", "-Ov", "-o", str(plain), str(vcf)], check=True)
    one = [_key(c) for c in call_cohort(vcf, defs, genes=GENES, absent_as_ref=True, threads=1)]
    assert [_key(c) for c in call_cohort(vcf, defs, genes=GENES, absent_as_ref=True, threads=2)] == one
    assert [_key(c) for c in call_cohort(plain, defs, genes=GENES, absent_as_ref=True, threads=2)] == one
