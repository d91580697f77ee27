"""Matching rules (pgsc_calc's), scoring-file layouts and the match log."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from genorx.prs.match import ABSENT, MatchOptions, match_scores
from genorx.prs.scorefile import ScoreMeta, ScoringFile, read_scoring_file


def _score(rows: list[tuple], pgs_id: str = "T") -> ScoringFile:
    """rows: (chrom, pos, effect, other or None, weight)."""
    df = pl.DataFrame(
        {
            "row_nr": list(range(len(rows))),
            "line": [i + 2 for i in range(len(rows))],
            "chrom": [r[0] for r in rows],
            "pos": [r[1] for r in rows],
            "effect_allele": [r[2] for r in rows],
            "other_allele": [r[3] for r in rows],
            "weight": [float(r[4]) for r in rows],
            "effect_type": ["additive"] * len(rows),
            "skip": [None] * len(rows),
        },
        schema_overrides={"other_allele": pl.String, "skip": pl.String, "row_nr": pl.Int64, "line": pl.Int64},
    )
    return ScoringFile(ScoreMeta(pgs_id=pgs_id, source="test", layout="custom"), df)


def _sites(records: list[tuple]) -> pl.DataFrame:
    """records: (chrom, pos, ref, alt)."""
    return pl.DataFrame(
        {
            "chrom": [r[0] for r in records],
            "pos": [r[1] for r in records],
            "ref": [r[2] for r in records],
            "alt": [r[3] for r in records],
        },
        schema_overrides={"pos": pl.Int64},
    ).with_row_index("cand")


def _outcomes(score: ScoringFile, sites: pl.DataFrame, **opts) -> list[tuple]:
    res = match_scores([score], sites, MatchOptions(min_overlap=0.0, **opts))
    return list(res.log.select("outcome", "match_type", "allele", "cand").iter_rows())


def test_match_types_in_priority_order():
    sites = _sites(
        [
            ("1", 10, "A", "G"),
            ("1", 20, "A", "G"),
            ("1", 30, "A", "G"),
            ("1", 40, "A", "G"),
            ("1", 50, "A", "G"),
            ("1", 60, "A", "G"),
            ("1", 70, "C", "T"),
        ]
    )
    score = _score(
        [
            ("1", 10, "A", "G", 1),  # effect = REF
            ("1", 20, "G", "A", 1),  # effect = ALT
            ("1", 30, "T", "C", 1),  # REF/ALT on the other strand
            ("1", 40, "C", "T", 1),  # ALT/REF on the other strand
            ("1", 50, "A", None, 1),
            ("1", 60, "G", None, 1),
            ("1", 70, "G", None, 1),  # complement of REF C
        ]
    )
    got = [(o, t, a) for o, t, a, _ in _outcomes(score, sites)]
    assert got == [
        ("matched", "refalt", 0),
        ("matched", "altref", 1),
        ("matched", "refalt_flip", 0),
        ("matched", "altref_flip", 1),
        ("matched", "no_oa_ref", 0),
        ("matched", "no_oa_alt", 1),
        ("matched", "no_oa_ref_flip", 0),
    ]


def test_ambiguous_and_multiallelic_are_excluded_unless_kept():
    sites = _sites([("1", 10, "A", "T"), ("1", 20, "A", "G,C")])
    score = _score([("1", 10, "T", "A", 1), ("1", 20, "C", "A", 1)])
    assert [o for o, *_ in _outcomes(score, sites)] == ["excluded_ambiguous", "excluded_multiallelic"]
    kept = _outcomes(score, sites, keep_ambiguous=True, keep_multiallelic=True)
    assert kept[0][:3] == ("matched", "altref", 1)
    assert kept[1][:3] == ("matched", "altref", 2)  # the ALT that agrees: second ALT


def test_duplicate_best_match_keeps_first_and_duplicate_ids_are_excluded():
    # two records at one position both REF-match a no-other-allele row: first kept, flagged
    sites = _sites([("1", 10, "A", "G"), ("1", 10, "A", "C"), ("1", 20, "C", "T")])
    score = _score([("1", 10, "A", None, 1), ("1", 20, "C", "T", 1), ("1", 20, "T", "C", 2)])
    res = match_scores([score], sites, MatchOptions(min_overlap=0.0))
    log = res.log.sort("row_nr")
    assert log["outcome"].to_list() == ["matched", "excluded_duplicate_id", "excluded_duplicate_id"]
    assert log["duplicate_best_match"].to_list()[0] is True and log["cand"][0] == 0
    assert res.summary[0].duplicate_best_match == 1


def test_hom_ref_only_records_match_on_ref():
    # a single-sample targets VCF: confirmed hom-ref positions have ALT '.'
    sites = _sites([("1", 10, "A", "."), ("1", 20, "C", "."), ("1", 30, "G", ".")])
    score = _score([("1", 10, "A", "G", 1), ("1", 20, "T", "C", 1), ("1", 30, "T", None, 1)])
    got = [(o, t, a) for o, t, a, _ in _outcomes(score, sites)]
    assert got == [("matched", "refalt", 0), ("matched", "altref", ABSENT), ("matched", "no_oa_alt", ABSENT)]


def test_match_rate_and_min_overlap():
    sites = _sites([("1", 10, "A", "G")])
    score = _score(
        [("1", 10, "G", "A", 1), ("1", 11, "G", "A", 1), ("1", 12, "G", "A", 1), ("1", 13, "C", "T", 1)]
    )
    res = match_scores([score], sites, MatchOptions(min_overlap=0.25))
    m = res.summary[0]
    assert (m.n_matched, m.n_variants, m.match_rate, m.passed) == (1, 4, 0.25, True)
    assert not match_scores([score], sites, MatchOptions(min_overlap=0.26)).summary[0].passed
    assert m.counts == {"matched": 1, "unmatched_no_site": 3}


def test_pgs_catalog_layouts(tmp_path, shared):
    hm = read_scoring_file(shared / "prs/scorefiles/PGS000802_hmPOS_GRCh37.txt")[0]
    assert hm.meta.harmonised and hm.meta.positions_build == "GRCh37" and hm.meta.pgs_id == "PGS000802"
    # harmonised positions (hm_pos), not the author's
    assert hm.rows["pos"][0] == 169492101
    assert hm.rows["effect_type"].value_counts().sort("effect_type").rows() == [
        ("additive", 5),
        ("dominant", 7),
        ("recessive", 7),
    ]
    multi = read_scoring_file(shared / "prs/scorefiles/duplicated_scorefile.txt")
    assert [s.meta.pgs_id for s in multi] == ["test", "test2", "test3"]
    custom = read_scoring_file(shared / "prs/scorefiles/custom_no_oa.txt")[0]
    assert custom.rows["other_allele"].to_list() == [None]


def test_haplotype_and_interaction_rows_are_skipped_and_logged(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text(
        "#pgs_id=CX\n#genome_build=GRCh38\n"
        "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\tis_haplotype\tis_interaction\n"
        "1\t10\tA\tG\t0.5\tFALSE\tFALSE\n1\t20\tHLA-A*24\t\t0.4\tTRUE\tFALSE\n1\t30\tC\tT\t0.1\tFALSE\tTRUE\n"
    )
    sf = read_scoring_file(path)[0]
    assert sf.rows["skip"].to_list() == [None, "haplotype", "interaction"]
    assert sf.n_scorable == 1
    res = match_scores([sf], _sites([("1", 10, "A", "G")]), MatchOptions())
    assert res.log["outcome"].to_list() == ["matched", "skipped_haplotype", "skipped_interaction"]
    assert res.summary[0].match_rate == 1.0


@pytest.mark.parametrize("name", ["multiallelic.pvar", "good_match.pvar"])
def test_shared_match_cases_run_and_count_every_row(shared, name):
    pvar = pl.read_csv(
        shared / "prs/match-cases" / name, separator="\t", comment_prefix="##", infer_schema=False
    )
    sites = pvar.select(
        pl.col("#CHROM").alias("chrom"),
        pl.col("POS").cast(pl.Int64).alias("pos"),
        pl.col("REF").alias("ref"),
        pl.col("ALT").alias("alt"),
    ).with_row_index("cand")
    scores = read_scoring_file(Path(shared / "prs/scorefiles/good_match_scorefile.txt"))
    res = match_scores(scores, sites, MatchOptions(min_overlap=0.0))
    for s, m in zip(scores, res.summary, strict=True):
        assert sum(m.counts.values()) == s.n_rows
    if name == "multiallelic.pvar":
        assert any(m.counts.get("excluded_multiallelic", 0) for m in res.summary)
