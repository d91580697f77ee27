"""Reference percentiles, the genotype cache, scatter/gather, cohort tables and demo assets."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from conftest import require_tools
from genorx.prs.cli import main as prs_main


def _read(path):
    return pl.read_csv(path, separator="\t", infer_schema_length=0).with_columns(
        pl.col("sum").cast(pl.Float64), pl.col("denom").cast(pl.Int64)
    )


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    require_tools("bgzip", "tabix")
    from genorx.prs.synth import write_cohort, write_scorefile

    tmp = tmp_path_factory.mktemp("refcohort")
    c = write_cohort(tmp / "cohort.vcf.gz", n_samples=200, n_variants=3000, seed=11, n_chrom=3)
    files = [write_scorefile(tmp / f"R{i}.txt", c, 1200, seed=300 + i, pgs_id=f"R{i}") for i in range(2)]
    return c, files


def test_tiny1000g_percentiles_against_its_own_eur_samples(tmp_path, shared):
    vcf = shared / "prs/targets/tiny1000G.vcf.gz"
    score = shared / "prs/scorefiles/PGS001229_hmPOS_GRCh38.txt.gz"
    pops = shared / "prs/ancestry/ref.psam"
    out = tmp_path / "prs.tsv"
    args = [
        "score",
        "--vcf",
        str(vcf),
        "--scoring-file",
        str(score),
        "--out",
        str(out),
        "--min-overlap",
        "0",
        "--reference-vcf",
        str(vcf),
        "--reference-populations",
        str(pops),
        "--reference-population",
        "EUR",
    ]
    assert prs_main(args) == 0
    df = _read(out).with_columns(pl.col("percentile").cast(pl.Float64), pl.col("z").cast(pl.Float64))
    labels = pl.read_csv(pops, separator="\t", infer_schema=False)
    eur = set(labels.filter(pl.col("SuperPop") == "EUR")["#IID"].to_list())
    assert set(df["reference_n"].to_list()) == {str(len(eur))}
    assert set(df["reference_population"].to_list()) == {"EUR"}
    own = df.filter(pl.col("sample_id").is_in(list(eur)))
    # the panel scored against itself: Z has mean 0 / sd 1, percentiles are uniform
    assert abs(own["z"].mean()) < 1e-9 and abs(own["z"].std() - 1) < 1e-9
    assert abs(own["percentile"].mean() - 50) < 0.5
    assert df["percentile"].min() >= 0 and df["percentile"].max() <= 100
    doc = json.loads(out.with_suffix(".json").read_text())
    ref = doc["samples"][0]["scores"][0]["reference"]
    assert ref["n"] == len(eur) and len(ref["density"]["x"]) == len(ref["density"]["y"]) > 50
    assert "reference_note" not in doc["samples"][0]["scores"][0]


def test_no_panel_says_so(tmp_path, cohort):
    c, files = cohort
    out = tmp_path / "prs.tsv"
    assert prs_main(["score", "--vcf", str(c.vcf), "--scoring-file", str(files[0]), "--out", str(out)]) == 0
    doc = json.loads(out.with_suffix(".json").read_text())
    entry = doc["samples"][0]["scores"][0]
    assert entry["reference"] is None and "no reference panel" in entry["reference_note"]
    assert _read(out)["percentile"].null_count() == _read(out).height


def test_cache_rescoring_is_identical_and_invalidated_by_a_new_vcf(tmp_path, cohort, capsys):
    c, files = cohort
    vcf = tmp_path / "c.vcf.gz"
    shutil.copy(c.vcf, vcf)
    cache = tmp_path / "cache"
    outs = [tmp_path / f"run{i}.tsv" for i in range(3)]
    base = [
        "score",
        "--vcf",
        str(vcf),
        "--scoring-file",
        str(files[0]),
        "--scoring-file",
        str(files[1]),
        "--cache-dir",
        str(cache),
    ]
    os.environ["GENORX_PRS_TIMING"] = "1"
    try:
        assert prs_main([*base, "--out", str(outs[0])]) == 0
        assert "scan VCF" in capsys.readouterr().err
        assert prs_main([*base, "--out", str(outs[1])]) == 0
        assert "cached re-score" in capsys.readouterr().err
        os.utime(vcf, ns=(1, 1))  # another VCF (mtime) at the same path
        assert prs_main([*base, "--out", str(outs[2])]) == 0
        assert "scan VCF" in capsys.readouterr().err
    finally:
        del os.environ["GENORX_PRS_TIMING"]
    assert outs[0].read_text() == outs[1].read_text() == outs[2].read_text()
    assert len(list(cache.iterdir())) == 2


def test_per_chromosome_scatter_gathers_to_the_whole_run(tmp_path, cohort):
    c, files = cohort
    whole = tmp_path / "whole.tsv"
    args = ["--scoring-file", str(files[0]), "--scoring-file", str(files[1])]
    assert prs_main(["score", "--vcf", str(c.vcf), *args, "--out", str(whole)]) == 0
    parts = []
    for chrom in ("1", "2", "3"):
        part = tmp_path / f"part{chrom}.tsv"
        assert prs_main(["score", "--vcf", str(c.vcf), *args, "--chrom", chrom, "--out", str(part)]) == 0
        parts.append(str(part))
    gathered = tmp_path / "gathered.tsv"
    assert prs_main(["gather", *args, "--out", str(gathered), *parts]) == 0
    a = _read(whole).sort(["sample_id", "pgs_id"])
    b = _read(gathered).sort(["sample_id", "pgs_id"])
    assert a["denom"].to_list() == b["denom"].to_list()
    assert a["n_matched"].to_list() == b["n_matched"].to_list()
    assert a["match_rate"].to_list() == b["match_rate"].to_list()
    # chromosome parts impute from their own frequencies, identical to the whole run's
    np.testing.assert_allclose(b["sum"].to_numpy(), a["sum"].to_numpy(), rtol=1e-12, atol=1e-12)


def test_cohort_concatenates_and_rejects_duplicates(tmp_path, cohort):
    c, files = cohort
    out = tmp_path / "one.tsv"
    assert prs_main(["score", "--vcf", str(c.vcf), "--scoring-file", str(files[0]), "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    a, b = tmp_path / "a.tsv", tmp_path / "b.tsv"
    a.write_text("\n".join(lines[:3]) + "\n")
    b.write_text("\n".join([lines[0], *lines[3:5]]) + "\n")
    merged = tmp_path / "cohort.tsv"
    assert prs_main(["cohort", "--out", str(merged), str(a), str(b)]) == 0
    assert merged.read_text().splitlines() == lines[:5]
    from genorx.errors import GenorxError

    with pytest.raises(GenorxError, match="appears in two tables"):
        prs_main(["cohort", "--out", str(tmp_path / "dup.tsv"), str(a), str(a)])


def test_demo_assets_are_labelled_and_score_against_their_panel(tmp_path):
    from genorx.prs.demo_assets import write_demo_prs_assets

    rng = np.random.default_rng(3)
    bases = np.array(list("ACGT"))
    ref = rng.integers(0, 4, 300)
    alt = (ref + rng.integers(1, 4, 300)) % 4
    rows = [
        f"chr{c}\t{p}\t{bases[r]}\t{bases[a]}\t{f:.3f}"
        for c, p, r, a, f in zip(
            np.repeat([1, 6, 10], 100),
            np.tile(np.arange(1000, 101000, 1000), 3),
            ref,
            alt,
            rng.uniform(0.05, 0.5, 300),
            strict=True,
        )
    ]
    (tmp_path / "prs_sites.tsv").write_text("chrom\tpos\tref\talt\taf\n" + "\n".join(rows) + "\n")
    written = write_demo_prs_assets(tmp_path, seed=7)
    again = tmp_path / "again"
    again.mkdir()
    shutil.copy(tmp_path / "prs_sites.tsv", again)
    write_demo_prs_assets(again, seed=7)
    for p in written[:2]:
        assert p.read_text() == (again / "prs" / p.name).read_text()  # deterministic
    cad = (tmp_path / "prs/DEMO_CAD.txt").read_text()
    assert "#pgs_id=DEMO_CAD" in cad and "(demonstration data, not for clinical use)" in cad
    out = tmp_path / "p.tsv"
    prs = tmp_path / "prs"
    assert (
        prs_main(
            [
                "score",
                "--vcf",
                str(prs / "panel.vcf.gz"),
                "--scoring-file",
                str(prs / "DEMO_CAD.txt"),
                "--scoring-file",
                str(prs / "DEMO_BC.txt"),
                "--out",
                str(out),
                "--target-build",
                "GRCh38",
                "--reference-vcf",
                str(prs / "panel.vcf.gz"),
                "--reference-populations",
                str(prs / "panel_populations.tsv"),
                "--reference-population",
                "DEMO_EUR",
            ]
        )
        == 0
    )
    doc = json.loads(out.with_suffix(".json").read_text())
    first = doc["samples"][0]["scores"]
    assert {s["pgs_id"] for s in first} == {"DEMO_CAD", "DEMO_BC"}
    assert all(s["demonstration"] and "demonstration data" in s["trait"] for s in first)
    assert all(s["reference"]["population"] == "DEMO_EUR" and s["reference"]["n"] == 150 for s in first)


def test_positions_bed_follows_the_reference_naming(tmp_path, shared):
    fai = tmp_path / "ref.fa.fai"
    fai.write_text("chr22\t51000000\t6\t60\t61\n")
    out = tmp_path / "pos.bed"
    assert (
        prs_main(
            [
                "positions",
                "--scoring-file",
                str(shared / "prs/scorefiles/PGS001229_22.txt"),
                "--fai",
                str(fai),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    lines = out.read_text().splitlines()
    assert lines[0] == "chr22\t17080377\t17080378\tPRS"
    assert len(lines) == 835 - 4  # four positions lie beyond the .fai length


def test_gathered_parts_rank_in_the_panel_like_the_whole_run(tmp_path, cohort):
    """Per-chromosome parts scored with a panel carry their target and panel scores; gather
    adds them up and ranks: percentiles and Z equal the whole run's."""
    c, files = cohort
    from genorx.prs.synth import write_cohort

    panel = write_cohort(tmp_path / "panel.vcf.gz", n_samples=120, n_variants=3000, seed=12, n_chrom=3)
    labels = tmp_path / "pops.tsv"
    labels.write_text(
        "sample_id\tpop\n" + "".join(f"{s}\t{'A' if i % 3 else 'B'}\n" for i, s in enumerate(panel.samples))
    )
    ref = [
        "--reference-vcf",
        str(panel.vcf),
        "--reference-populations",
        str(labels),
        "--reference-population",
        "A",
    ]
    args = ["--scoring-file", str(files[0]), "--scoring-file", str(files[1]), *ref]
    whole = tmp_path / "whole.tsv"
    assert prs_main(["score", "--vcf", str(c.vcf), *args, "--out", str(whole)]) == 0
    parts = []
    for chrom in ("1", "2", "3"):
        part = tmp_path / f"part{chrom}.tsv"
        assert prs_main(["score", "--vcf", str(c.vcf), *args, "--chrom", chrom, "--out", str(part)]) == 0
        assert part.with_suffix(".reference.tsv").is_file()
        parts.append(str(part))
    gathered = tmp_path / "gathered.tsv"
    files_args = ["--scoring-file", str(files[0]), "--scoring-file", str(files[1])]
    assert prs_main(["gather", *files_args, "--out", str(gathered), *parts]) == 0
    a = _read(whole).sort(["sample_id", "pgs_id"])
    b = _read(gathered).sort(["sample_id", "pgs_id"])
    for column in ("percentile", "z"):
        np.testing.assert_allclose(
            b[column].cast(pl.Float64).to_numpy(), a[column].cast(pl.Float64).to_numpy(), rtol=1e-9, atol=1e-9
        )
    assert b["reference_n"].to_list() == a["reference_n"].to_list() == [str(80)] * a.height
    assert set(b["reference_population"].to_list()) == {"A"}
    np.testing.assert_allclose(b["sum"].to_numpy(), a["sum"].to_numpy(), rtol=1e-12, atol=1e-12)
    # a part without its reference scores is an error, not a silent gap
    Path(parts[1]).with_suffix(".reference.tsv").unlink()
    from genorx.errors import GenorxError

    with pytest.raises(GenorxError, match="reference scores missing"):
        prs_main(["gather", *files_args, "--out", str(tmp_path / "g2.tsv"), *parts])
