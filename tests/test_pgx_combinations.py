"""Research mode (combination and partial alleles) on production definitions.

Genotypes and expectations are those of PharmCAT's own NamedAlleleMatcher tests that build
their VCFs in code (CYP2B6 shell alleles, phase sets, undocumented alleles; CYP2C19 partial).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from genorx.pgx.definitions import GeneDefinition, load_pharmcat_definitions
from genorx.pgx.genotypes import SampleGenotypes
from genorx.pgx.match import call_gene

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def defs(shared: Path) -> dict[str, GeneDefinition]:
    return load_pharmcat_definitions(shared / "kb" / "pharmcat", ["CYP2B6", "CYP2C19"])


def _call(
    defn: GeneDefinition,
    alleles: dict[str, tuple[str, str]],
    phased: bool = False,
    phase_sets: dict[str, int] | None = None,
    missing: tuple[str, ...] = (),
    combinations: bool = True,
) -> list[str]:
    pos = {locus.rsid: locus.position for locus in defn.loci}
    sep = "|" if phased else "/"
    genotypes: dict[int, str | None] = {pos[r]: f"{a}{sep}{b}" for r, (a, b) in alleles.items()}
    genotypes.update({pos[r]: None for r in missing})
    sg = SampleGenotypes.from_alleles(defn, genotypes)
    if phase_sets:
        sg = replace(
            sg, calls=tuple(replace(c, phase_set=phase_sets.get(c.locus.rsid or "", 0)) for c in sg.calls)
        )
    return call_gene(defn, sg, find_combinations=combinations).diplotype_names


CASES = [
    # homozygous combination
    ("CYP2B6", {"rs8192709": ("T", "T"), "rs3211371": ("T", "T")}, False, None, (), ["[*2 + *5]/[*2 + *5]"]),
    # the shell allele *13 (phased) hides the *6, *4 and *9 it contains
    (
        "CYP2B6",
        {
            "rs35773040": ("G", "A"),
            "rs3745274": ("T", "T"),
            "rs2279343": ("G", "G"),
            "rs12721655": ("G", "A"),
        },
        True,
        None,
        (),
        ["*13/[*6 + *14]"],
    ),
    # *13's extra position missing: *6 and *13 look alike, every split is returned
    (
        "CYP2B6",
        {"rs35773040": ("G", "A"), "rs3745274": ("T", "T"), "rs2279343": ("G", "G")},
        False,
        None,
        ("rs12721655",),
        ["*6/[*6 + *14]", "*6/[*13 + *14]", "*13/[*6 + *14]", "*13/[*13 + *14]"],
    ),
    (
        "CYP2B6",
        {
            "rs34883432": ("A", "T"),
            "rs8192709": ("C", "T"),
            "rs35773040": ("A", "G"),
            "rs3745274": ("T", "G"),
        },
        True,
        None,
        (),
        ["*10/[*9 + *14]"],
    ),
    # a documented allele (rs33973337 T, part of *17) and an undocumented one (rs45482602 T): partials
    (
        "CYP2B6",
        {"rs33973337": ("A", "T"), "rs45482602": ("C", "T")},
        False,
        None,
        (),
        ["*1/[g.40991381A>T + g.41009350C>T]", "g.40991381A>T/g.41009350C>T"],
    ),
    (
        "CYP2C19",
        {
            "rs12248560": ("T", "C"),
            "rs12769205": ("A", "G"),
            "rs4244285": ("A", "A"),
            "rs3758581": ("G", "G"),
        },
        True,
        None,
        (),
        ["*2/[*17 + g.94781859G>A]"],
    ),
]


@pytest.mark.parametrize(("gene", "alleles", "phased", "sets", "missing", "expected"), CASES)
def test_combination_calls_as_pharmcat(
    defs: dict[str, GeneDefinition],
    gene: str,
    alleles: dict[str, tuple[str, str]],
    phased: bool,
    sets: dict[str, int] | None,
    missing: tuple[str, ...],
    expected: list[str],
) -> None:
    assert _call(defs[gene], alleles, phased, sets, missing) == expected


def test_phase_sets_split_combinations(defs: dict[str, GeneDefinition]) -> None:
    """Three phase sets: four splits. PharmCAT lists the two tied last ones as *14/..., *10/...;
    we list them in haplotype-name order (same set, order within a score tie differs)."""
    got = _call(
        defs["CYP2B6"],
        {
            "rs34883432": ("A", "T"),
            "rs8192709": ("C", "T"),
            "rs35773040": ("A", "G"),
            "rs3745274": ("G", "T"),
        },
        phased=True,
        phase_sets={
            "rs34883432": 40991346,
            "rs8192709": 40991346,
            "rs35773040": 41004360,
            "rs3745274": 41006915,
        },
    )
    assert got[:2] == ["*1/[*9 + *10 + *14]", "*9/[*10 + *14]"]
    assert sorted(got[2:]) == sorted(["*14/[*9 + *10]", "*10/[*9 + *14]"])


def test_research_mode_only_when_nothing_else_matches(defs: dict[str, GeneDefinition]) -> None:
    """A viable ordinary call (*1/*9 het) is never replaced by combinations; without research
    mode an unmatched sequence is no call."""
    cyp2b6 = defs["CYP2B6"]
    assert _call(cyp2b6, {"rs3745274": ("G", "T")}) == ["*1/*9"]
    assert _call(cyp2b6, {"rs8192709": ("T", "T"), "rs3211371": ("T", "T")}, combinations=False) == []
