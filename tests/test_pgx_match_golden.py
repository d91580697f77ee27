"""PharmCAT's golden example (../shared/kb/pharmcat-examples): same diplotypes per gene."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from genorx.pgx.cohort import call_cohort
from genorx.pgx.definitions import load_pharmcat_definitions
from genorx.pgx.genotypes import read_sample_genotypes
from genorx.pgx.match import call_gene

pytestmark = pytest.mark.shared


def _expected(match_json: Path) -> dict[str, list[str]]:
    data = json.loads(match_json.read_text())
    return {r["gene"]: [d["name"] for d in r["diplotypes"]] for r in data["results"]}


@pytest.fixture(scope="module")
def defs(shared: Path):
    return load_pharmcat_definitions(shared / "kb" / "pharmcat")


@pytest.mark.parametrize("name", ["pharmcat.example", "pharmcat.example2"])
def test_golden_example_diplotypes(shared: Path, defs, name: str) -> None:
    ex = shared / "kb" / "pharmcat-examples"
    expected = _expected(ex / f"{name}.match.json")
    gset = read_sample_genotypes(ex / f"{name}.vcf", defs)
    assert len(gset.samples) == 1
    both = sorted(set(expected) & set(defs))
    assert len(both) == 19  # PharmCAT does not call CYP2D6 from a VCF by default
    diffs = {}
    for gene in both:
        call = call_gene(defs[gene], gset.sample(gene, gset.samples[0]))
        if call.diplotype_names != expected[gene]:
            diffs[gene] = (expected[gene], call.diplotype_names)
    assert diffs == {}


def test_multisample_matches_single_sample_outputs(shared: Path, defs) -> None:
    ex = shared / "kb" / "pharmcat-examples"
    calls = call_cohort(ex / "multisample.vcf", defs, genes=sorted(defs))
    by_sample: dict[str, dict[str, list[str]]] = {}
    for c in calls:
        by_sample.setdefault(c.sample_id, {})[c.gene] = c.diplotype_names
    assert sorted(by_sample) == ["Sample_1", "Sample_2"]
    for sample, name in (("Sample_1", "pharmcat.example"), ("Sample_2", "pharmcat.example2")):
        expected = _expected(ex / f"{name}.match.json")
        for gene, names in expected.items():
            assert by_sample[sample][gene] == names, (sample, gene)
