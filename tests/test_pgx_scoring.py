"""Scoring and exemption details that decide ties, as PharmCAT's matcher has them."""

from __future__ import annotations

from pathlib import Path

import pytest
from genorx.pgx.definitions import GeneDefinition, load_pharmcat_definitions
from genorx.pgx.genotypes import SampleGenotypes
from genorx.pgx.match import call_gene
from genorx.pgx.prepare import excluded_positions

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def defs(shared: Path) -> dict[str, GeneDefinition]:
    return load_pharmcat_definitions(shared / "kb" / "pharmcat", ["CYP2D6", "G6PD", "RYR1"])


def test_wobble_scores_only_when_used(defs: dict[str, GeneDefinition]) -> None:
    """PharmCAT's testWobbleScoring: *12's wobble position carries the reference base, so *12
    does not outscore *2 (without wobble scoring only *1/*2 would be called)."""
    cyp2d6 = defs["CYP2D6"]
    pos = {locus.rsid: locus.position for locus in cyp2d6.loci}
    genotypes = {
        pos["rs1135840"]: "C|G",
        pos["rs16947"]: "G|A",
        pos["rs28371710"]: "C|C",
        pos["rs1058164"]: "G|G",
        pos["rs5030862"]: None,
    }
    call = call_gene(cyp2d6, SampleGenotypes.from_alleles(cyp2d6, genotypes))
    assert call.diplotype_names == ["*1/*2", "*1/*12"]


def test_ignored_positions_match_by_rsid_or_hgvs(defs: dict[str, GeneDefinition]) -> None:
    """G6PD's exemption ignores a deletion at 154532990; the Chatham SNP at the same position
    (rs5030869) stays callable, as in PharmCAT (ignored loci match by rsid, else HGVS name)."""
    g6pd = defs["G6PD"]
    chatham = next(j for j, locus in enumerate(g6pd.loci) if locus.rsid == "rs5030869")
    assert g6pd.loci[chatham].position in g6pd.exemptions.ignored_positions
    assert chatham not in excluded_positions(g6pd)
    call = call_gene(g6pd, SampleGenotypes.from_alleles(g6pd, {g6pd.loci[chatham].position: "C/T"}))
    assert call.diplotype_names == ["B (reference)/Chatham"]
