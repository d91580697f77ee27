"""The C scan kernels (compiled with the system cc) equal their numba twins byte for byte:
the whole-file C pipeline (parts scanned by several threads), the chunked scan with C
kernels, and the chunked scan with numba kernels give the same candidates, codes, counts,
exception lists, DS dosages and errors."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import require_tools
from genorx.errors import GenorxError
from genorx.prs import ckernels, vcfscan, vcfscan_c
from genorx.prs.vcfheader import site_keys

MODES = {  # name -> (GENORX_PRS_KERNELS, GENORX_PRS_SCAN)
    "c-whole": ("c", "whole"),
    "c-chunked": ("c", "chunked"),
    "numba-chunked": ("numba", "chunked"),
}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    require_tools("bgzip", "tabix")
    if ckernels.load() is None:
        pytest.skip("no C compiler: only the numba kernels exist here")
    from genorx.prs.synth import write_cohort

    tmp = tmp_path_factory.mktemp("ck")
    return write_cohort(
        tmp / "c.vcf.gz", n_samples=301, n_variants=3000, seed=11, n_chrom=3, multiallelic=0.03
    )


def _scan(monkeypatch, mode, path, keys, threads=2, dosage=False):
    kernels, scan = MODES[mode]
    monkeypatch.setenv("GENORX_PRS_KERNELS", kernels)
    monkeypatch.setenv("GENORX_PRS_SCAN", scan)
    return vcfscan.scan_vcf(path, keys, threads=threads, dosage=dosage)


def _same(a, b) -> None:
    assert a.n_records == b.n_records
    assert a.sites.equals(b.sites)
    assert np.array_equal(np.asarray(a.packed), np.asarray(b.packed))
    for f in ("counts", "ptr", "sample", "code"):
        assert np.array_equal(getattr(a.stats, f), getattr(b.stats, f)), f
    assert (a.ds is None) == (b.ds is None)
    if a.ds is not None:
        assert np.array_equal(a.ds, b.ds)


def test_c_pipeline_parts_equal_numba(cohort, monkeypatch):
    keys = site_keys(list(cohort.chrom[::2]), cohort.pos[::2])
    ref = _scan(monkeypatch, "numba-chunked", cohort.vcf, keys)
    assert ref.sites.height >= len(keys)
    monkeypatch.setattr(vcfscan_c, "MIN_PART", 20_000)  # many parts: lines cross every cut
    for threads in (1, 2, 7):
        _same(_scan(monkeypatch, "c-whole", cohort.vcf, keys, threads), ref)
    _same(_scan(monkeypatch, "c-chunked", cohort.vcf, keys), ref)


def test_odd_records_decode_alike(tmp_path, monkeypatch):
    require_tools("bgzip")
    if ckernels.load() is None:
        pytest.skip("no C compiler")
    head = (
        '##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="G">\n'
        '##FORMAT=<ID=DS,Number=A,Type=Float,Description="D">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\td\te\tf\tg\n"
    )
    body = (
        "chr1\t100\t.\tA\tC,G,T\t.\t.\t.\tDP:GT\t3:1\t4:.\t5:3|2\t6:./1\t7:0/1/1\t8:0/14\t9:2/2\n"
        "1\t200\t.\tA\tC\t.\t.\t.\tGT\t1|0\t0/1\t1/1\t./.\t0|0\t.|1\t0/0\n"
        "1\t300\t.\tA\tC\t.\t.\t.\tGT:DS\t0/0:0.123\t./.:1.5E-1\t0/1:.\t1:0.9\t0/1:2\t0/0:3e-5\t1/1:1.99999\n"
        "1\t400\t.\tG\tT\t.\t.\t.\tGT\t0/1\t1/1\t0/0\t0/1\t1/1\t0/0\t0/1\n"
        "chrX\t500\t.\tG\t.\t.\t.\t.\tGT\t0\t0\t.\t0/0\t0\t0\t0\n"
        "22\t600\t.\tG\tA\t.\t.\t.\tGT\t0/1\t1/1\t0/0\t0/1\t1/1\t0/0\t0/1"  # no final newline
    )
    keys = site_keys(["1", "1", "1", "1", "X", "22"], np.array([100, 200, 300, 400, 500, 600]))
    plain = tmp_path / "odd.vcf"
    plain.write_text(head + body)
    subprocess.run(["bgzip", "-k", str(plain)], check=True)
    for dosage in (False, True):
        ref = _scan(monkeypatch, "numba-chunked", plain, keys, 1, dosage)
        assert ref.n_records == 6 and ref.sites.height == 6
        for mode in ("c-whole", "c-chunked"):
            path = plain.with_suffix(".vcf.gz") if mode == "c-whole" else plain
            _same(_scan(monkeypatch, mode, path, keys, 2, dosage), ref)
    bad = tmp_path / "bad.vcf"
    bad.write_text(head + body.replace("1.99999", "2.5"))
    subprocess.run(["bgzip", "-k", str(bad)], check=True)
    for mode in MODES:
        with pytest.raises(GenorxError, match="1:300: DS value"):
            _scan(monkeypatch, mode, bad.with_suffix(".vcf.gz"), keys, 2, True)


def test_truncated_bgzf_is_a_clear_error(cohort, tmp_path, monkeypatch):
    data = cohort.vcf.read_bytes()
    cut = tmp_path / "cut.vcf.gz"
    cut.write_bytes(data[: len(data) - 5000])
    keys = site_keys(list(cohort.chrom[:5]), cohort.pos[:5])
    for mode in ("c-whole", "numba-chunked"):
        with pytest.raises(GenorxError, match="corrupt or truncated BGZF"):
            _scan(monkeypatch, mode, cut, keys)
    assert gzip.decompress(data)  # the intact file reads


def test_cached_match_gives_the_same_outputs(cohort, tmp_path, monkeypatch, capfd):
    """A re-score with --cache-dir reads the match (weights, summary, log) instead of matching:
    every output file is the same as the first run's, and a changed scoring file misses."""
    require_tools("bgzip")
    from genorx.prs.cli import main
    from genorx.prs.synth import write_scorefile

    monkeypatch.delenv("GENORX_PRS_KERNELS", raising=False)
    monkeypatch.delenv("GENORX_PRS_SCAN", raising=False)
    score = tmp_path / "s.txt"
    write_scorefile(score, cohort, 800, seed=3, pgs_id="CK1")
    cache = tmp_path / "cache"
    runs = {}
    monkeypatch.setenv("GENORX_PRS_TIMING", "1")  # stage names show which path ran
    for name in ("first", "hit"):
        out = tmp_path / name / "prs.tsv"
        out.parent.mkdir()
        argv = ["score", "--vcf", str(cohort.vcf), "--scoring-file", str(score), "--out", str(out)]
        assert main([*argv, "--cache-dir", str(cache), "--threads", "2"]) == 0
        runs[name] = out.parent
        assert ("cached re-score" in capfd.readouterr().err) == (name == "hit")
    assert len(list(cache.glob("*/matches/*/meta.json"))) == 1
    # the general path with a cached match (a plink score file needs data frames)
    out = tmp_path / "general" / "prs.tsv"
    out.parent.mkdir()
    argv = ["score", "--vcf", str(cohort.vcf), "--scoring-file", str(score), "--out", str(out)]
    assert main([*argv, "--cache-dir", str(cache), "--plink-scorefile", str(tmp_path / "m.score")]) == 0
    assert "genotypes and match" in capfd.readouterr().err
    runs["general"] = out.parent
    for f in ("prs.tsv", "prs.json", "prs.match.tsv.gz", "prs.match_summary.tsv"):
        assert (runs["first"] / f).read_bytes() == (runs["hit"] / f).read_bytes(), f
        assert (runs["first"] / f).read_bytes() == (runs["general"] / f).read_bytes(), f
    # the cached path imports no polars (its start-up is what a re-score costs)
    code = (
        "import sys; from genorx.prs.cli import main; "
        f"assert main({[*argv, '--cache-dir', str(cache)]!r}) == 0; print('polars' in sys.modules)"
    )
    env = {k: v for k, v in os.environ.items() if k != "GENORX_PRS_TIMING"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert proc.stdout.strip() == "False"
    write_scorefile(score, cohort, 800, seed=4, pgs_id="CK1")  # other rows: another key
    out = tmp_path / "changed" / "prs.tsv"
    out.parent.mkdir()
    argv = ["score", "--vcf", str(cohort.vcf), "--scoring-file", str(score), "--out", str(out)]
    assert main([*argv, "--cache-dir", str(cache)]) == 0
    assert len(list(cache.glob("*/matches/*/meta.json"))) == 2
    assert (out.parent / "prs.tsv").read_bytes() != (runs["first"] / "prs.tsv").read_bytes()
