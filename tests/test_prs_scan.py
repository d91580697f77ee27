"""The chunked BGZF scan: chunk boundaries, compressed reads, lines longer than the headroom,
plain text input, the genotype code space and DS dosages."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from conftest import require_tools
from genorx.errors import GenorxError
from genorx.prs import vcfscan
from genorx.prs.gtcodes import DS_NONE, HAPLOID_BASE, MISSING, MISSING_HAPLOID, describe, pair_code
from genorx.prs.vcfheader import site_keys


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    require_tools("bgzip", "tabix")
    from genorx.prs.synth import write_cohort

    tmp = tmp_path_factory.mktemp("scan")
    return write_cohort(
        tmp / "c.vcf.gz", n_samples=300, n_variants=2000, seed=5, n_chrom=2, multiallelic=0.02
    )


def _keys(c):
    return site_keys(list(c.chrom[::3]), c.pos[::3])


def test_small_chunks_and_long_lines_give_the_same_candidates(cohort, monkeypatch):
    whole = vcfscan.scan_vcf(cohort.vcf, _keys(cohort), threads=2)
    assert whole.codes.shape == (len(_keys(cohort)), 300)
    monkeypatch.setattr(vcfscan, "CHUNK_BYTES", 50_000)  # ~40 lines per chunk
    monkeypatch.setattr(vcfscan, "HEADROOM", 512)  # shorter than a line: the join path
    monkeypatch.setattr(vcfscan, "COMPRESSED_BYTES", 70_000)  # compressed reads end mid-block
    small = vcfscan.scan_vcf(cohort.vcf, _keys(cohort), threads=2)
    assert small.n_records == whole.n_records == 2000
    assert np.array_equal(small.codes, whole.codes)
    assert small.sites.equals(whole.sites)


def test_plain_text_and_gzip_match_bgzf(cohort, tmp_path):
    whole = vcfscan.scan_vcf(cohort.vcf, _keys(cohort), threads=1)
    text = gzip.decompress(cohort.vcf.read_bytes())
    plain = tmp_path / "c.vcf"
    plain.write_bytes(text)
    gz = tmp_path / "c.gz.vcf.gz"
    gz.write_bytes(gzip.compress(text))
    for path in (plain, gz):
        other = vcfscan.scan_vcf(path, _keys(cohort), threads=1)
        assert np.array_equal(other.codes, whole.codes) and other.sites.equals(whole.sites)


def test_haploid_and_multidigit_alleles_decode(tmp_path):
    vcf = tmp_path / "h.vcf"
    vcf.write_text(
        '##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="G">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\td\te\tf\n"
        "chrX\t100\t.\tA\tC,G,T,AA,AC,AG,AT,CA,CC,CG,CT,GA,GC,GG\t.\t.\t.\tDP:GT\t3:1\t4:.\t5:13|11\t6:./1"
        "\t7:0/1/1\t8:0/14\n"
        "chrX\t200\t.\tA\tC\t.\t.\t.\tGT\t1|0\t0/1\t1/1\t./.\t0|0\t.|1\n"
    )
    c = vcfscan.scan_vcf(vcf, site_keys(["X", "X"], np.array([100, 200])), threads=1)
    first = [HAPLOID_BASE + 1, MISSING_HAPLOID, pair_code(11, 13), MISSING, MISSING, MISSING]
    assert c.codes[0].tolist() == first
    # fixed-width layout: unordered pairs, so the code of a biallelic call is its ALT dosage
    assert c.codes[1].tolist() == [1, 1, 2, MISSING, 0, MISSING]
    assert [describe(x) for x in c.codes[0]] == ["1", ".", "11/13", "./.", "./.", "./."]


def test_dosages_are_read_at_plink2_resolution(tmp_path):
    vcf = tmp_path / "d.vcf"
    vcf.write_text(
        '##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description="G">\n'
        '##FORMAT=<ID=DS,Number=A,Type=Float,Description="D">\n'
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\td\te\tf\tg\n"
        "1\t100\t.\tA\tC\t.\t.\t.\tGT:DS\t0/0:0.123\t./.:1.5E-1\t0/1:.\t1:0.9\t0/1:2\t0/0:0.000030517578125"
        "\t1/1:1.99999\n"
    )
    c = vcfscan.scan_vcf(vcf, site_keys(["1"], np.array([100])), threads=1, dosage=True)
    # round(ds x 16384) half up; '.' and haploid calls fall back to the GT code
    assert c.ds[0].tolist() == [2015, 2458, DS_NONE, DS_NONE, 32768, 1, 32768]
    assert c.codes[0].tolist() == [0, MISSING, 1, HAPLOID_BASE + 1, 1, 0, 2]
    assert vcfscan.scan_vcf(vcf, site_keys(["1"], np.array([100])), threads=1).ds is None
    bad = tmp_path / "bad.vcf"
    bad.write_text(vcf.read_text().replace("1.99999", "2.5"))
    with pytest.raises(GenorxError, match="DS value"):
        vcfscan.scan_vcf(bad, site_keys(["1"], np.array([100])), threads=1, dosage=True)
