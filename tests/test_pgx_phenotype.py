"""Phenotyper: functions, activity scores, phenotypes and lookup keys, as PharmCAT assigns them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from genorx.kb.load import load_kb
from genorx.paths import BUNDLED_KB
from genorx.pgx.calls import Diplotype, GeneCall
from genorx.pgx.lowest import infer_phased, infer_unphased
from genorx.pgx.phenotype import NA, NO_RESULT, UNASSIGNED, annotate, gene_context, unknown
from genorx.pgx.results import from_call


@pytest.fixture(scope="module")
def kb():
    return load_kb(BUNDLED_KB)


@pytest.fixture(scope="module")
def ctx(kb):
    return lambda gene: gene_context(kb, gene)


def test_activity_score_gene(ctx) -> None:
    d = annotate(ctx("CYP2C9"), ("*1", "*3"))
    assert [h.function for h in d.haplotypes] == ["Normal function", "No function"]
    assert [h.activity_value for h in d.haplotypes] == ["1.0", "0.0"]
    assert (d.phenotype, d.activity_score, d.lookup_keys) == ("Intermediate Metabolizer", "1.0", ("1.0",))
    d = annotate(ctx("CYP2C9"), ("*2", "*3"))  # 0.5 + 0 -> 0.5: Poor Metabolizer (CPIC 2019 table)
    assert (d.phenotype, d.activity_score) == ("Poor Metabolizer", "0.5")
    # an allele of uncertain function gives Indeterminate; its lookup key is the table's n/a score
    d = annotate(ctx("CYP2C9"), ("*1", "*7"))
    assert (d.phenotype, d.activity_score, d.lookup_keys) == ("Indeterminate", NA, (NA,))


def test_function_gene_and_unknown_names(ctx) -> None:
    d = annotate(ctx("CYP2C19"), ("*2", "*17"))
    assert (d.phenotype, d.activity_score, d.lookup_keys) == (
        "Intermediate Metabolizer",
        None,
        ("Intermediate Metabolizer",),
    )
    d = annotate(ctx("CYP2C19"), ("*1", "*999"))  # a name the phenotype map does not know
    assert d.haplotypes[1].function == UNASSIGNED and d.phenotype == NA and d.lookup_keys == (NA,)
    # a gene without a phenotype map (CYP4F2): no phenotype, nothing to look up
    d = annotate(ctx("CYP4F2"), ("*1", "*3"))
    assert d.phenotypes == () and d.lookup_keys == ()


def test_uncalled_gene_is_no_result(ctx) -> None:
    d = unknown(ctx("CYP2D6"))
    assert (d.label, d.phenotype, d.activity_score, d.lookup_keys) == (
        "Unknown/Unknown",
        NO_RESULT,
        NO_RESULT,
        (NO_RESULT,),
    )
    assert unknown(ctx("HLA-B")).lookup_keys == (NO_RESULT,)


def test_cpic_style_labels(ctx) -> None:
    ref = "ivacaftor non-responsive CFTR sequence"
    assert annotate(ctx("CFTR"), (ref, ref)).label == "Reference/Reference"
    d = annotate(ctx("CFTR"), (ref, "G551D"))
    assert d.label == "G551D (heterozygous)" and d.phenotype == "ivacaftor responsive in CF patients"
    assert (
        annotate(ctx("RYR1"), ("Reference", "c.103T>C")).phenotype == "Malignant Hyperthermia Susceptibility"
    )
    assert annotate(ctx("CYP2C19"), ("*1", "*2")).label == "*1/*2"


def test_single_copy_calls(ctx) -> None:
    d = annotate(ctx("G6PD"), ("A- 202A_376G",))  # hemizygous (chrX, male)
    assert (d.label, d.phenotype) == ("A- 202A_376G", "Deficient")
    d = annotate(ctx("G6PD"), ("B (reference)", "A- 202A_376G"))  # heterozygous female
    assert d.phenotype == "Variable"
    assert (
        annotate(ctx("MT-RNR1"), ("m.1555A>G",)).phenotype
        == "increased risk of aminoglycoside-induced hearing loss"
    )


def test_hla_allele_status(ctx) -> None:
    d = annotate(ctx("HLA-B"), ("*15:02", "*57:01"))
    assert d.phenotypes == ("*15:02 positive", "*57:01 positive", "*58:01 negative")
    assert d.lookup_keys == d.phenotypes
    d = annotate(ctx("HLA-B"), ("*15:11", "*44:02"))  # DPWG asks about *15:11 (positive only)
    assert "*15:11 positive" in d.lookup_keys and "*15:02 negative" in d.lookup_keys
    assert annotate(ctx("HLA-A"), ("*31:01", "*02:01")).phenotypes == ("*31:01 positive",)


def test_outside_phenotype_or_score(ctx) -> None:
    d = annotate(ctx("CYP2D6"), (), activity_score="1.25")
    assert (d.phenotype, d.lookup_keys) == ("Normal Metabolizer", ("1.25",))
    d = annotate(ctx("CYP2D6"), (), phenotype="Poor Metabolizer")
    assert d.activity_score == NA and d.lookup_keys == ("0.0",)


def test_dpyd_lowest_function_unphased(ctx) -> None:
    """Three variants, unphased: the two lowest activity values make the diplotype (CPIC DPYD)."""
    c = ctx("DPYD")
    d = infer_unphased(c, ["c.85T>C (*9A)", "c.2846A>T", "c.1905+1G>A (*2A)"])
    assert d.label == "c.1905+1G>A (*2A)/c.2846A>T" and d.inferred
    assert (d.activity_score, d.phenotype) == ("0.5", "Poor Metabolizer")
    d = infer_unphased(c, ["Reference", "c.2846A>T"])  # one heterozygous variant
    assert (d.activity_score, d.phenotype, d.inferred) == ("1.5", "Intermediate Metabolizer", False)
    d = infer_unphased(c, ["c.2846A>T"])  # a single haplotype is paired with Reference
    assert d.label == "c.2846A>T/Reference" and d.activity_score == "1.5"


def test_dpyd_phased_combination(ctx) -> None:
    d = infer_phased(ctx("DPYD"), [("[c.498G>A + c.2582A>G]", "[c.2846A>T + c.1905+1G>A (*2A)]")])
    assert d.label == "c.498G>A/c.1905+1G>A (*2A)" and d.inferred
    assert d.activity_score == "1.0"


def test_gene_result_from_a_lowest_function_call(ctx) -> None:
    call = GeneCall(
        gene="DPYD",
        sample_id="S",
        call_status="ambiguous",
        diplotypes=[Diplotype("c.557A>G/c.2846A>T", ("c.557A>G", "c.2846A>T"), 2)],
        haplotype_matches=["c.557A>G", "c.2846A>T", "c.85T>C (*9A)"],
        lowest_function=True,
    )
    r = from_call(ctx("DPYD"), call)
    assert r.call_status == "called" and r.display == "c.557A>G/c.2846A>T"
    assert (r.phenotype, r.activity_score) == ("Intermediate Metabolizer", "1.0")
    assert len(r.diplotypes) == 3 and "two lowest-function" in r.notes[0]


def test_lowest_function_gene_with_several_phased_diplotypes(ctx) -> None:
    """DPYD: every diplotype that fits is kept as a source; recommendations use the lowest one."""
    call = GeneCall(
        gene="DPYD",
        sample_id="S",
        call_status="ambiguous",
        diplotypes=[
            Diplotype("Reference/c.2846A>T", ("Reference", "c.2846A>T"), 5),
            Diplotype("c.1905+1G>A (*2A)/c.2846A>T", ("c.1905+1G>A (*2A)", "c.2846A>T"), 5),
        ],
        phased=True,
    )
    r = from_call(ctx("DPYD"), call)
    assert r.call_status == "called" and r.display == "c.1905+1G>A (*2A)/c.2846A>T"
    assert (r.activity_score, r.phenotype, r.inferred) == ("0.5", "Poor Metabolizer", True)
    assert len(r.diplotypes) == 2 and "2 diplotypes fit" in r.notes[0]


def test_ambiguous_call_keeps_each_candidate(ctx) -> None:
    call = GeneCall(
        gene="CYP2C19",
        sample_id="S",
        call_status="ambiguous",
        diplotypes=[Diplotype("*1/*2", ("*1", "*2"), 3), Diplotype("*1/*17", ("*1", "*17"), 3)],
    )
    r = from_call(ctx("CYP2C19"), call)
    assert r.display == "*1/*2 OR *1/*17"
    assert r.phenotype == "Intermediate Metabolizer OR Rapid Metabolizer"


@pytest.mark.shared
def test_every_upstream_diplotype_row_is_reproduced(shared: Path, kb, ctx) -> None:
    """All 50,000+ rows of PharmCAT's phenotype maps: same phenotype, score and lookup key."""
    n = 0
    for path in sorted((shared / "kb" / "pharmcat" / "phenotype").glob("*.json")):
        raw = json.loads(path.read_text())
        c = ctx(raw["gene"])
        for row in raw["diplotypes"]:
            names = tuple(name for name, k in row["diplotypekey"].items() for _ in range(int(k)))
            d = annotate(c, names)
            expected = (row["generesult"], row.get("activityScore") if c.pmap.activity_gene else None)
            assert (d.phenotype, d.activity_score) == expected, (path.name, row["diplotype"])
            assert row["lookupkey"] in d.lookup_keys, (path.name, row["diplotype"])
            n += 1
    assert n > 50_000
