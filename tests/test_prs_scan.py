"""The chunked BGZF scan: chunk boundaries, lines longer than the headroom, plain text input."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from conftest import require_tools
from genorx.prs import vcfscan


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    require_tools("bgzip", "tabix")
    from genorx.prs.synth import write_cohort

    tmp = tmp_path_factory.mktemp("scan")
    return write_cohort(
        tmp / "c.vcf.gz", n_samples=300, n_variants=2000, seed=5, n_chrom=2, multiallelic=0.02
    )


def _keys(c):
    return vcfscan.site_keys(list(c.chrom[::3]), c.pos[::3])


def test_small_chunks_and_long_lines_give_the_same_candidates(cohort, monkeypatch):
    whole = vcfscan.scan_vcf(cohort.vcf, _keys(cohort), threads=2)
    assert whole.codes.shape == (len(_keys(cohort)), 300)
    monkeypatch.setattr(vcfscan, "CHUNK_BYTES", 50_000)  # ~40 lines per chunk
    monkeypatch.setattr(vcfscan, "HEADROOM", 512)  # shorter than a line: the join path
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
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\ta\tb\tc\td\n"
        "chrX\t100\t.\tA\tC,G,T,AA,AC,AG,AT,CA,CC,CG,CT\t.\t.\t.\tDP:GT\t3:1\t4:.\t5:0|11\t6:./1\n"
    )
    c = vcfscan.scan_vcf(vcf, vcfscan.site_keys(["X"], np.array([100])), threads=1)
    assert c.codes[0].tolist() == [(1 << 4) | 14, (15 << 4) | 14, (0 << 4) | 11, (15 << 4) | 1]
