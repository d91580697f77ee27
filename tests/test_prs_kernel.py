"""The scoring kernel's two paths agree, genotype storage round-trips, and the matcher's
integer variant ids give what the three-column join gives."""

from __future__ import annotations

import gzip
import json

import numpy as np
import polars as pl
import pytest
from conftest import require_tools
from genorx.prs import kernel_linear, kernel_run, match
from genorx.prs.cli import main as prs_main
from genorx.prs.libdeflate import gzip_bytes
from genorx.prs.rows import NpyRows, RowSource


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """Missing calls, multi-allelic sites, and scores using the same sites in both orientations."""
    require_tools("bgzip", "tabix")
    from genorx.prs.synth import write_cohort, write_scorefile

    tmp = tmp_path_factory.mktemp("kernel")
    c = write_cohort(tmp / "c.vcf.gz", n_samples=150, n_variants=2500, seed=21, n_chrom=2, multiallelic=0.05)
    files = [write_scorefile(tmp / f"K{i}.txt", c, 1500, seed=40 + i, pgs_id=f"K{i}") for i in range(3)]
    dominant = tmp / "D.txt"
    text = files[0].read_text().splitlines()
    text[4] += "\tis_dominant"
    dominant.write_text(
        "\n".join(
            [
                *text[:4],
                text[4],
                *[f"{r}\t{'True' if i % 3 == 0 else 'False'}" for i, r in enumerate(text[5:])],
            ]
        ).replace("#pgs_id=K0", "#pgs_id=D")
        + "\n"
    )
    return c, [*files, dominant]


def _run(tmp_path, vcf, files, *extra) -> pl.DataFrame:
    out = tmp_path / "o.tsv"
    args = ["score", "--vcf", str(vcf), "--out", str(out), "--min-overlap", "0", *extra]
    for f in files:
        args += ["--scoring-file", str(f)]
    assert prs_main(args) == 0
    return pl.read_csv(out, separator="\t", infer_schema_length=0).sort(["sample_id", "pgs_id"])


@pytest.mark.parametrize("c_scores", [0, 8])  # the linear path in BLAS / in C (ckernels)
@pytest.mark.parametrize("extra", [[], ["--no-mean-imputation"], ["--keep-multiallelic"]])
def test_linear_and_generic_paths_agree(tmp_path, cohort, monkeypatch, extra, c_scores):
    """Every entry scored by the 256-code tables equals the linear path (REF/ALT folded per
    record, exceptions rewritten in place or corrected in C, denominators corrected sparsely)."""
    c, files = cohort
    monkeypatch.setattr(kernel_linear, "C_SCORES", c_scores)
    fast = _run(tmp_path, c.vcf, files, *extra)
    monkeypatch.setattr(kernel_run, "is_linear", lambda *a: np.zeros(len(a[0]), np.bool_))
    slow = _run(tmp_path, c.vcf, files, *extra)
    for column in ("denom", "allele_ct", "n_matched"):
        assert fast[column].to_list() == slow[column].to_list()
    np.testing.assert_allclose(
        fast["sum"].cast(pl.Float64).to_numpy(),
        slow["sum"].cast(pl.Float64).to_numpy(),
        rtol=1e-12,
        atol=1e-12,
    )
    assert kernel_linear.is_linear(
        np.array([1, 2, 1]), np.array([1, 1, -1]), np.array([0, 0, 0])
    ).tolist() == [
        True,
        False,
        False,
    ]


def test_match_without_allele_ids_gives_the_same_log(cohort, monkeypatch):
    """More distinct allele strings than the integer ids hold: the join on the three columns."""
    from genorx.prs.scorefile import read_scoring_files
    from genorx.prs.vcfheader import site_keys
    from genorx.prs.vcfscan import scan_vcf

    c, files = cohort
    scores = read_scoring_files(files[:3], None)
    rows = pl.concat([s.rows for s in scores])
    # rows without an other allele at several positions must not meet each other's variant
    scores[0] = type(scores[0])(
        scores[0].meta, scores[0].rows.with_columns(other_allele=pl.lit(None, pl.String))
    )
    cands = scan_vcf(c.vcf, site_keys(rows["chrom"], rows["pos"]), threads=1)
    opts = match.MatchOptions(0.0)
    with_ids = match.match_scores(scores, cands.sites, opts)
    monkeypatch.setattr(match, "MAX_ALLELE_IDS", 0)
    without = match.match_scores(scores, cands.sites, opts)
    assert with_ids.log.select(pl.all().cast(pl.String)).equals(without.log.select(pl.all().cast(pl.String)))
    assert with_ids.entries.equals(without.entries)
    no_oa = with_ids.log.filter(pl.col("score_idx") == 0)
    assert no_oa["match_type"].cast(pl.String).str.starts_with("no_oa").sum() > 0


def test_rows_from_a_cached_file_equal_rows_in_memory(tmp_path):
    rng = np.random.default_rng(1)
    matrix = rng.integers(0, 256, (50, 13), dtype=np.uint8)
    np.save(tmp_path / "m.npy", matrix)
    disk, mem = NpyRows(tmp_path / "m.npy"), RowSource(matrix)
    for cand in ([3, 4, 5], [0, 2, 2, 7], [1, 40, 41, 49], [10]):
        cand = np.array(cand)
        assert np.array_equal(disk.rows(cand), matrix[cand])
        assert np.array_equal(mem.rows(cand), matrix[cand])
    disk.close()


def test_parallel_gzip_members_read_as_one_stream():
    data = bytes(np.random.default_rng(2).integers(65, 70, 9 << 20, dtype=np.uint8))
    packed = gzip_bytes(data, level=1, threads=2)
    assert gzip.decompress(packed) == data
    assert gzip.decompress(gzip_bytes(b"", level=1)) == b""


def test_json_text_equals_the_encoder_on_many_samples():
    """The templated prs.json (many samples, no panel) is the text json.dumps gives for the
    same document: a zero denominator (avg null), non-ASCII ids, a failed score, tiny and
    huge sums; with <= 20 samples the indented encoder is used."""
    from types import SimpleNamespace

    from genorx.prs.outtext import json_doc, json_text
    from genorx.prs.scoremeta import ScoreMatch, ScoreMeta

    rng = np.random.default_rng(5)
    for n in (25, 7):
        metas = [
            ScoreMeta("PGS1", "a.txt", "pgs_catalog", "näme", 'tr"ait', None, "Cit\u00e9 \\ x", None, None),
            ScoreMeta("PGS2", "b.txt", "custom", demonstration=True),
            ScoreMeta("PGS3", "c.txt", "custom"),
        ]
        summary = [
            ScoreMatch(0, "PGS1", 10, 9, 8, 8 / 9, True, 0, {"matched": 8}, {"refalt": 8}),
            ScoreMatch(1, "PGS2", 5, 5, 1, 0.2, False, 0, {"matched": 1}, {"altref": 1}),
            ScoreMatch(2, "PGS3", 4, 4, 4, 1.0, True, 1, {"matched": 4}, {"refalt": 4}),
        ]
        sums = rng.normal(size=(n, 3)) * np.array([1e-300, 1.0, 1e12])
        denom = rng.integers(0, 5, size=(n, 3))
        denom[0, :] = 0
        run = SimpleNamespace(
            vcf="x.vcf.gz",
            samples=[f"s\u00e9{i}" for i in range(n)],
            scores=[SimpleNamespace(meta=m) for m in metas],
            match=SimpleNamespace(summary=summary),
            sums=sums,
            denom=denom,
            allele_ct=denom * 2,
        )
        want = json.dumps(json_doc(run, None, None), indent=1 if n <= 20 else None, allow_nan=False) + "\n"
        assert json_text(run, None, None) == want
