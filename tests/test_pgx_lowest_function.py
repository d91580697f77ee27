"""Lowest-function genes (DPYD, RYR1) and DPYD's HapB3, on the production definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from genorx.pgx.calls import GeneCall
from genorx.pgx.definitions import GeneDefinition, load_pharmcat_definitions
from genorx.pgx.dpyd_hapb3 import HAPB3, HAPB3_INTRONIC
from genorx.pgx.genotypes import SampleGenotypes
from genorx.pgx.match import call_gene

pytestmark = pytest.mark.shared
STAR2A = "c.1905+1G>A (*2A)"  # rs3918290 C>T, no function


@pytest.fixture(scope="module")
def defs(shared: Path) -> dict[str, GeneDefinition]:
    return load_pharmcat_definitions(shared / "kb" / "pharmcat", ["DPYD", "RYR1"])


def _dpyd(defn: GeneDefinition, phased: bool = False, **gts: str) -> GeneCall:
    """Genotypes by name: exon (rs56038477 C>T), intron (rs75017182 G>C), star2a (rs3918290 C>T)."""
    rsid = {"exon": "rs56038477", "intron": "rs75017182", "star2a": "rs3918290"}
    pos = {locus.rsid: locus.position for locus in defn.loci}
    sep = "|" if phased else "/"
    return call_gene(
        defn, SampleGenotypes.from_alleles(defn, {pos[rsid[k]]: v.replace("/", sep) for k, v in gts.items()})
    )


def test_unphased_hapb3_with_another_variant_lists_haplotypes(defs: dict[str, GeneDefinition]) -> None:
    call = _dpyd(defs["DPYD"], exon="C/T", intron="G/C", star2a="C/T")
    assert call.lowest_function
    assert call.haplotype_matches == [STAR2A, HAPB3]


def test_unphased_hapb3_alone_keeps_reference(defs: dict[str, GeneDefinition]) -> None:
    call = _dpyd(defs["DPYD"], exon="C/T", intron="G/C")
    assert call.haplotype_matches == ["Reference", HAPB3]


def test_intronic_variant_alone_is_the_intronic_allele(defs: dict[str, GeneDefinition]) -> None:
    call = _dpyd(defs["DPYD"], intron="G/C", star2a="C/T")
    assert call.haplotype_matches == [STAR2A, HAPB3_INTRONIC]


def test_more_exonic_than_intronic_variants_trusts_the_intron(defs: dict[str, GeneDefinition]) -> None:
    call = _dpyd(defs["DPYD"], exon="T/T", intron="G/C", star2a="C/T")
    assert call.haplotype_matches == [STAR2A, HAPB3]
    assert any("disagree" in w for w in call.warnings)


@pytest.mark.parametrize(
    ("gts", "expected"),
    [
        ({"exon": "T/C", "intron": "C/G", "star2a": "C/T"}, f"{HAPB3}/{STAR2A}"),
        ({"exon": "T/C", "intron": "C/G", "star2a": "T/C"}, f"Reference/[{HAPB3} + {STAR2A}]"),
        ({"exon": "T/T", "intron": "C/C"}, f"{HAPB3}/{HAPB3}"),
        ({"exon": "C/T", "intron": "C/C"}, f"{HAPB3_INTRONIC}/{HAPB3}"),
    ],
)
def test_phased_hapb3_is_merged_per_strand(
    defs: dict[str, GeneDefinition], gts: dict[str, str], expected: str
) -> None:
    call = _dpyd(defs["DPYD"], phased=True, **gts)
    assert not call.lowest_function
    assert call.display == expected


def test_one_variant_is_an_ordinary_diplotype(defs: dict[str, GeneDefinition]) -> None:
    assert _dpyd(defs["DPYD"], star2a="C/T").display == f"Reference/{STAR2A}"


def test_ryr1_is_a_lowest_function_gene(defs: dict[str, GeneDefinition]) -> None:
    ryr1 = defs["RYR1"]
    variants = [a for a in ryr1.named_alleles if not a.reference and a.defined_count == 1][:2]
    genotypes = {}
    for allele in variants:
        j = next(j for j, a in enumerate(allele.alleles) if a)
        genotypes[ryr1.loci[j].position] = f"{ryr1.loci[j].ref}/{allele.alleles[j]}"
    call = call_gene(ryr1, SampleGenotypes.from_alleles(ryr1, genotypes))
    assert call.lowest_function
    assert sorted(call.haplotype_matches) == sorted(a.name for a in variants)
