"""genorx prs score agrees with plink2 --score (live, same matched variants) and with
pgsc_calc's golden .sscore.

plink2 prints 6 significant digits, so each comparison allows the larger of the issue's
bound (1e-6 x max |sum|) and half a unit in the 6th significant digit of plink2's value.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import require_tools
from genorx.prs.cli import main as prs_main

pytestmark = pytest.mark.shared


def _ours(tsv: Path) -> pl.DataFrame:
    return pl.read_csv(tsv, separator="\t", schema_overrides={"sum": pl.Float64, "denom": pl.Int64})


def _plink_scores(
    tmp: Path, vcf: Path, tables: list[Path], extra: list[str] = (), modifiers: list[str] = ()
) -> dict[str, np.ndarray]:
    """Run plink2 --score for every table and add up the SUM columns (split tables share samples)."""
    totals: dict[str, np.ndarray] = {}
    ids: list[str] = []
    for i, table in enumerate(tables):
        ncol = len(table.read_text().splitlines()[0].split("\t"))
        out = tmp / f"plink{i}"
        cmd = [
            "plink2",
            "--vcf",
            str(vcf),
            "--set-all-var-ids",
            "@:#:$r:$a",
            "--new-id-max-allele-len",
            "1000",
            "--score",
            str(table),
            "1",
            "2",
            "header-read",
            "cols=+scoresums,+denom",
            *modifiers,
            "--score-col-nums",
            f"3-{ncol}" if ncol > 3 else "3",
            "--threads",
            "2",
            "--out",
            str(out),
            *extra,
        ]
        subprocess.run(cmd, check=True, capture_output=True)
        df = pl.read_csv(f"{out}.sscore", separator="\t", infer_schema_length=0)
        ids = df["#IID"].to_list() if "#IID" in df.columns else df["IID"].to_list()
        for col in [c for c in df.columns if c.endswith("_SUM")]:
            value = df[col].cast(pl.Float64).to_numpy()
            totals.setdefault(col[:-4], np.zeros(len(ids)))
            totals[col[:-4]] += value
            # plink2 prints 6 significant digits: half a unit of the last one, added up over tables
            totals.setdefault(f"{col[:-4]}__PRINTED", np.zeros(len(ids)))
            totals[f"{col[:-4]}__PRINTED"] += 0.5 * 10.0 ** (
                np.floor(np.log10(np.maximum(np.abs(value), 1e-300))) - 5
            )
        if len(tables) == 1:
            totals["__DENOM__"] = df["DENOM"].cast(pl.Int64).to_numpy()
    totals["__IDS__"] = np.array(ids)
    return totals


def _assert_agree(ours: np.ndarray, theirs: np.ndarray, printed: np.ndarray | None = None) -> None:
    assert ours.shape == theirs.shape
    bound = 1e-6 * np.abs(theirs).max()
    if printed is None:
        printed = 0.5 * 10.0 ** (np.floor(np.log10(np.maximum(np.abs(theirs), 1e-300))) - 5)
    diff = np.abs(ours - theirs)
    assert (diff <= np.maximum(bound, printed) * (1 + 1e-9)).all(), f"max diff {diff.max()} (bound {bound})"


def _score(tmp: Path, vcf: Path, files: list[Path], *extra: str) -> tuple[pl.DataFrame, list[Path]]:
    out = tmp / "prs.tsv"
    args = ["score", "--vcf", str(vcf), "--out", str(out), "--plink-scorefile", str(tmp / "plink.score")]
    for f in files:
        args += ["--scoring-file", str(f)]
    assert prs_main([*args, *extra]) == 0
    tables = sorted(tmp.glob("plink.score*"))
    return _ours(out), tables


def _by_score(ours: pl.DataFrame, ids: np.ndarray, pgs_id: str, column: str = "sum") -> np.ndarray:
    part = ours.filter(pl.col("pgs_id") == pgs_id)
    lookup = dict(zip(part["sample_id"].to_list(), part[column].to_list(), strict=True))
    return np.array([lookup[i] for i in ids])


def test_cineca_matches_pgsc_calc_golden_and_live_plink2(tmp_path, shared):
    require_tools("plink2")
    zstandard = pytest.importorskip("zstandard")
    vcf = shared / "prs/targets/cineca_synthetic_subset.vcf.gz"
    score = shared / "prs/scorefiles/PGS001229_22.txt"
    ours, tables = _score(tmp_path, vcf, [score])
    # golden: pgsc_calc's plink2 run on the same data (legacy single-score file)
    raw = zstandard.ZstdDecompressor().decompress(
        (shared / "prs/golden/legacy__cineca_22_additive_0.sscore.zst").read_bytes(), max_output_size=1 << 26
    )
    gold = pl.read_csv(io.BytesIO(raw), separator="\t")
    ids = np.array([f"{i}_{i}" for i in gold["#IID"].to_list()])
    _assert_agree(_by_score(ours, ids, "PGS001229"), gold["PGS001229_22_SUM"].to_numpy())
    assert (_by_score(ours, ids, "PGS001229", "denom") == gold["DENOM"].to_numpy()).all()
    assert (_by_score(ours, ids, "PGS001229", "allele_ct") == gold["ALLELE_CT"].to_numpy()).all()
    # same matched-variant set as pgsc_calc (its plink2 .vars) and the same set plink2 scores live
    golden_vars = set((shared / "prs/golden/cineca_22_additive_0.sscore.vars").read_text().split())
    ours_vars = set(pl.read_csv(tables[0], separator="\t")["ID"].to_list())
    assert ours_vars == golden_vars
    live = _plink_scores(tmp_path, vcf, tables)
    _assert_agree(_by_score(ours, live["__IDS__"], "PGS001229"), live["PGS001229"])
    assert (_by_score(ours, live["__IDS__"], "PGS001229", "denom") == live["__DENOM__"]).all()


def test_tiny1000g_two_harmonised_scores_match_plink2_with_observed_chrx_ploidy(tmp_path, shared):
    require_tools("plink2")
    vcf = shared / "prs/targets/tiny1000G.vcf.gz"
    files = [
        shared / "prs/scorefiles/PGS001229_hmPOS_GRCh38.txt.gz",
        shared / "prs/scorefiles/PGS000001_hmPOS_GRCh38.txt.gz",
    ]
    ours, tables = _score(tmp_path, vcf, files, "--min-overlap", "0")
    # chrX: haploid male calls count ploidy 1, which is plink2 with known sex and --xchr-model 1
    psam = pl.read_csv(shared / "prs/ancestry/ref.psam", separator="\t", infer_schema=False).select(
        "#IID", "SEX"
    )
    sex = tmp_path / "sex.tsv"
    psam.write_csv(sex, separator="\t")
    live = _plink_scores(tmp_path, vcf, tables, ["--update-sex", str(sex), "--xchr-model", "1"])
    assert "PGS001229" in live
    for pgs in ("PGS001229", "PGS000001"):
        if pgs in live:
            _assert_agree(_by_score(ours, live["__IDS__"], pgs), live[pgs], live[f"{pgs}__PRINTED"])
    # the same matched-variant set: what plink2 was given is exactly what genorx matched
    log = pl.read_csv(tmp_path / "prs.match.tsv.gz", separator="\t", infer_schema_length=0)
    matched = set(
        log.filter(pl.col("outcome") == "matched")["target_variant"].str.replace(",.*", "").to_list()
    )
    given = {v for t in tables for v in pl.read_csv(t, separator="\t")["ID"].to_list()}
    assert given == matched
    failed = json.loads((tmp_path / "prs.json").read_text())["failed_scores"]
    assert [(f["pgs_id"], f["n_matched"]) for f in failed] == [("PGS000001", 0)]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    """A small synthetic cohort: missing calls, strand flips, ambiguous and multi-allelic sites."""
    require_tools("bgzip", "tabix")
    from genorx.prs.synth import write_cohort, write_scorefile

    tmp = tmp_path_factory.mktemp("cohort")
    c = write_cohort(
        tmp / "cohort.vcf.gz", n_samples=300, n_variants=4000, seed=7, n_chrom=3, multiallelic=0.03
    )
    files = [write_scorefile(tmp / f"S{i}.txt", c, 1500, seed=100 + i, pgs_id=f"SYN{i}") for i in range(3)]
    return c, files


@pytest.mark.parametrize("options", [[], ["--no-mean-imputation"], ["--keep-multiallelic"]])
def test_synthetic_cohort_matches_plink2(tmp_path, cohort, options):
    require_tools("plink2")
    c, files = cohort
    ours, tables = _score(tmp_path, c.vcf, files, *options)
    modifiers = ["no-mean-imputation"] if "--no-mean-imputation" in options else []
    live = _plink_scores(tmp_path, c.vcf, tables, modifiers=modifiers)
    log = pl.read_csv(tmp_path / "prs.match.tsv.gz", separator="\t", infer_schema_length=0)
    outcomes = set(log["outcome"].to_list())
    assert {"matched", "excluded_ambiguous", "unmatched_no_site"} <= outcomes
    assert ("excluded_multiallelic" in outcomes) != ("--keep-multiallelic" in options)
    flips = log.filter(pl.col("outcome") == "matched")["match_type"].str.ends_with("_flip").sum()
    assert flips > 0
    for i in range(3):
        _assert_agree(_by_score(ours, live["__IDS__"], f"SYN{i}"), live[f"SYN{i}"], live[f"SYN{i}__PRINTED"])
