"""DS dosages and chrX ploidy agree with live plink2.

- ``--use-dosage`` = plink2 ``--vcf FILE dosage=DS``: DS where a call has one (read at
  plink2's 1/16384 resolution), else the GT; GT missing but DS present is observed.
- chrX: samples known (``--sex``) or seen (mostly haploid calls) to be male count ploidy 1
  for every call, a missing ``./.`` or ``.`` included and a diploid call halved, as plink2
  with ``--update-sex`` and ``--xchr-model 1``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import require_tools
from genorx.prs.cli import main as prs_main

BASES = "ACGT"


def _write_vcf(
    path: Path, chrom: str, samples: list[str], records: list[tuple[int, str, str, list[str]]]
) -> None:
    head = [
        "##fileformat=VCFv4.2",
        "##contig=<ID=1,length=248956422>",
        "##contig=<ID=X,length=156040895>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=DS,Number=A,Type=Float,Description="ALT dosage">',
        "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples]),
    ]
    fmt = "GT:DS" if ":" in records[0][3][0] else "GT"
    lines = [
        "\t".join([chrom, str(pos), ".", ref, alt, ".", ".", ".", fmt, *calls])
        for pos, ref, alt, calls in records
    ]
    path.write_text("\n".join(head + lines) + "\n")


def _score_file(path: Path, records: list[tuple[int, str, str, list[str]]], chrom: str, rng) -> None:
    rows = [
        "#pgs_id=T",
        "#genome_build=GRCh38",
        "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight",
    ]
    for pos, ref, alt, _ in records:
        ea, oa = (alt, ref) if rng.random() < 0.5 else (ref, alt)
        rows.append(f"{chrom}\t{pos}\t{ea}\t{oa}\t{rng.normal(0, 0.3)!r}")
    path.write_text("\n".join(rows) + "\n")


def _sites(rng, n: int) -> list[tuple[int, str, str]]:
    out = []
    for i in range(n):
        r = int(rng.integers(4))
        a = (r + 1 + int(rng.integers(2))) % 4
        if BASES[a] == "ACGT"[3 - r]:  # keep strand-ambiguous pairs out
            a = (a + 1) % 4 if (a + 1) % 4 != r else (a + 2) % 4
        out.append((1000 + 100 * i, BASES[r], BASES[a]))
    return out


def _plink(tmp: Path, vcf: Path, table: Path, *extra: str) -> pl.DataFrame:
    out = tmp / "plink"
    cmd = [
        "plink2",
        "--vcf",
        str(vcf),
        *[e for e in extra if e == "dosage=DS"],
        "--set-all-var-ids",
        "@:#:$r:$a",
        "--score",
        str(table),
        "1",
        "2",
        "header-read",
        "cols=+scoresums,+denom",
        *[e for e in extra if e == "no-mean-imputation"],
        *[e for e in extra if e not in ("dosage=DS", "no-mean-imputation")],
        "--threads",
        "1",
        "--out",
        str(out),
    ]
    subprocess.run(cmd, check=True, capture_output=True)
    df = pl.read_csv(f"{out}.sscore", separator="\t", infer_schema_length=0)
    return df.rename({"#IID": "IID"} if "#IID" in df.columns else {})


def _ours(tmp: Path, vcf: Path, score: Path, *extra: str) -> tuple[pl.DataFrame, Path]:
    out = tmp / "prs.tsv"
    table = tmp / "plink.score"
    args = ["score", "--vcf", str(vcf), "--scoring-file", str(score), "--out", str(out), "--min-overlap", "0"]
    assert prs_main([*args, "--plink-scorefile", str(table), *extra]) == 0
    return pl.read_csv(out, separator="\t", infer_schema_length=0), table


def _compare(ours: pl.DataFrame, theirs: pl.DataFrame) -> None:
    a = ours.select("sample_id", pl.col("sum").cast(pl.Float64), pl.col("denom").cast(pl.Int64))
    b = theirs.select(
        pl.col("IID").alias("sample_id"), pl.col("T_SUM").cast(pl.Float64), pl.col("DENOM").cast(pl.Int64)
    )
    j = a.join(b, on="sample_id")
    assert j.height == b.height
    # plink2 prints 6 significant digits
    printed = 0.5 * 10.0 ** (np.floor(np.log10(np.maximum(np.abs(j["T_SUM"].to_numpy()), 1e-300))) - 5)
    bound = np.maximum(printed, 1e-6 * np.abs(j["T_SUM"].to_numpy()).max()) * (1 + 1e-9)
    diff = np.abs(j["sum"].to_numpy() - j["T_SUM"].to_numpy())
    assert (diff <= bound).all(), f"max diff {diff.max()}"
    assert j["denom"].to_list() == j["DENOM"].to_list()


@pytest.fixture(scope="module")
def dosage_cohort(tmp_path_factory):
    """120 samples x 300 biallelic sites, GT:DS with DS missing, GT missing and both missing."""
    rng = np.random.default_rng(11)
    tmp = tmp_path_factory.mktemp("ds")
    samples = [f"S{i}" for i in range(120)]
    records = []
    for pos, ref, alt in _sites(rng, 300):
        f = rng.uniform(0.05, 0.6)
        calls = []
        for _ in samples:
            g = int((rng.random() < f) + (rng.random() < f))
            ds = min(2.0, max(0.0, g + rng.normal(0, 0.15)))
            gt = ["0/0", "0/1", "1/1"][g]
            u = rng.random()
            if u < 0.03:
                calls.append(f"{gt}:.")  # no DS: the GT is scored
            elif u < 0.06:
                calls.append(f"./.:{ds:.3f}")  # no GT but a DS: observed
            elif u < 0.08:
                calls.append("./.:.")  # missing: mean-imputed from dosages
            else:
                calls.append(f"{gt}:{ds:.4f}")
        records.append((pos, ref, alt, calls))
    vcf = tmp / "ds.vcf"
    _write_vcf(vcf, "1", samples, records)
    score = tmp / "T.txt"
    _score_file(score, records, "1", rng)
    return vcf, score


@pytest.mark.parametrize("extra", [[], ["no-mean-imputation"]])
def test_dosages_match_plink2_dosage_ds(tmp_path, dosage_cohort, extra):
    require_tools("plink2")
    vcf, score = dosage_cohort
    ours, table = _ours(tmp_path, vcf, score, "--use-dosage", *(["--no-mean-imputation"] if extra else []))
    _compare(ours, _plink(tmp_path, vcf, table, "dosage=DS", *extra))
    # and without --use-dosage the GT hardcalls are scored, as plink2 without dosage=DS
    gt_only, table = _ours(tmp_path, vcf, score, *(["--no-mean-imputation"] if extra else []))
    _compare(gt_only, _plink(tmp_path, vcf, table, *extra))
    assert (gt_only["sum"] != ours["sum"]).any()


@pytest.fixture(scope="module")
def chrx_cohort(tmp_path_factory):
    """80 samples (40 male) x 200 chrX sites; males haploid with '.' and './.' missing calls and
    some diploid calls (hom and het), females diploid with './.'."""
    rng = np.random.default_rng(5)
    tmp = tmp_path_factory.mktemp("chrx")
    samples = [f"M{i}" for i in range(40)] + [f"F{i}" for i in range(40)]
    records = []
    for pos, ref, alt in _sites(rng, 200):
        f = rng.uniform(0.05, 0.6)
        calls = []
        for s in samples:
            u = rng.random()
            if s.startswith("M"):
                a = int(rng.random() < f)
                if u < 0.04:
                    calls.append(".")
                elif u < 0.08:
                    calls.append("./.")
                elif u < 0.10:
                    calls.append(f"{a}/{a}")  # a diploid-written hom call
                elif u < 0.11:
                    calls.append("0/1")  # a het call on a male chrX: half a copy
                else:
                    calls.append(str(a))
            else:
                g = (int(rng.random() < f), int(rng.random() < f))
                calls.append("./." if u < 0.05 else f"{g[0]}/{g[1]}")
        records.append((pos, ref, alt, calls))
    vcf = tmp / "x.vcf"
    _write_vcf(vcf, "X", samples, records)
    score = tmp / "T.txt"
    _score_file(score, records, "X", rng)
    sex = tmp / "sex.tsv"
    sex.write_text("#IID\tSEX\n" + "".join(f"{s}\t{1 if s.startswith('M') else 2}\n" for s in samples))
    return vcf, score, sex


@pytest.mark.parametrize("extra", [[], ["no-mean-imputation"]])
@pytest.mark.parametrize("given_sex", [True, False])
def test_male_chrx_ploidy_matches_plink2_xchr_model_1(tmp_path, chrx_cohort, extra, given_sex):
    require_tools("plink2")
    vcf, score, sex = chrx_cohort
    flags = (["--sex", str(sex)] if given_sex else []) + (["--no-mean-imputation"] if extra else [])
    ours, table = _ours(tmp_path, vcf, score, *flags)
    theirs = _plink(tmp_path, vcf, table, *extra, "--update-sex", str(sex), "--xchr-model", "1")
    _compare(ours, theirs)
    # a male's './.' counts ploidy 1: every male's denominator is one per variant
    males = ours.filter(pl.col("sample_id").str.starts_with("M"))
    if not extra:
        assert set(males["denom"].cast(pl.Int64).to_list()) == {int(ours["n_matched"][0])}
