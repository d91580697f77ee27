"""Reading genotypes at defining positions: formats, naming, phasing, targets, bad input.

Uses a small hand-written CYP3A5-like definition (real GRCh38 positions of CYP3A5) and
VCFs written here, compressed/indexed/converted with the real bgzip/tabix/bcftools.
"""

from __future__ import annotations

import gzip
import subprocess
from pathlib import Path

import pytest
from conftest import require_tools
from genorx.errors import GenorxError
from genorx.pgx.cohort import call_cohort
from genorx.pgx.definitions import GeneDefinition, Locus, NamedAllele
from genorx.pgx.genotypes import read_sample_genotypes
from genorx.pgx.match import call_gene

LOCI = (
    Locus("chr7", 99652770, "T", ("C",), "rs41303343"),
    Locus("chr7", 99665212, "C", ("T",), "rs10264272"),
    Locus("chr7", 99672916, "T", ("C",), "rs776746"),
)
DEFN = GeneDefinition(
    gene="TOY",
    chromosome="chr7",
    genome_build="GRCh38",
    version="test",
    source="test",
    loci=LOCI,
    named_alleles=(
        NamedAllele("*1", "A1", ("T", "C", "T"), reference=True),
        NamedAllele("*3", "A3", (None, None, "C")),
        NamedAllele("*6", "A6", (None, "T", None)),
        NamedAllele("*7", "A7", ("C", None, None)),
    ),
)
DEFS = {"TOY": DEFN}


def write_vcf(
    path: Path, rows: list[str], samples: tuple[str, ...] = ("S1",), chrom_prefix: str = "chr"
) -> Path:
    header = [
        "##fileformat=VCFv4.2",
        f"##contig=<ID={chrom_prefix}7,length=159345973>",
        '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
        '##FORMAT=<ID=PS,Number=1,Type=Integer,Description="Phase set">',
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\t" + "\t".join(samples),
    ]
    body = [r.replace("CHR", f"{chrom_prefix}7") for r in rows]
    path.write_text("\n".join(header + body) + "\n")
    return path


def bgzip_index(path: Path) -> Path:
    require_tools("bgzip", "tabix")
    subprocess.run(["bgzip", "-f", str(path)], check=True)
    gz = Path(str(path) + ".gz")
    subprocess.run(["tabix", "-p", "vcf", str(gz)], check=True)
    return gz


def call(vcf: Path, sample: str = "S1", **kw):
    gset = read_sample_genotypes(vcf, DEFS, **kw)
    return call_gene(DEFN, gset.sample("TOY", sample))


HET_3 = [
    "CHR\t99652770\trs41303343\tT\tC\t.\tPASS\t.\tGT\t0/0",
    "CHR\t99665212\trs10264272\tC\tT\t.\tPASS\t.\tGT\t0/0",
    "CHR\t99672916\trs776746\tT\tC\t.\tPASS\t.\tGT\t0/1",
]


@pytest.mark.parametrize("prefix", ["chr", ""])
@pytest.mark.parametrize("packed", ["plain", "bgzip", "bcf"])
def test_formats_and_chrom_naming(tmp_path: Path, prefix: str, packed: str) -> None:
    vcf = write_vcf(tmp_path / "s.vcf", HET_3, chrom_prefix=prefix)
    if packed == "bgzip":
        vcf = bgzip_index(vcf)
    elif packed == "bcf":
        require_tools("bcftools")
        bcf = tmp_path / "s.bcf"
        subprocess.run(["bcftools", "view", "-Ob", "-o", str(bcf), str(vcf)], check=True)
        vcf = bcf
    c = call(vcf)
    assert c.diplotype_names == ["*1/*3"]
    assert c.call_status == "called"


def test_split_and_joined_multiallelic_records(tmp_path: Path) -> None:
    # position 99665212 as two split records (one allele unknown to the definition) + joined
    rows = [
        "CHR\t99652770\t.\tT\tC\t.\tPASS\t.\tGT\t0/1",
        "CHR\t99665212\t.\tC\tT\t.\tPASS\t.\tGT\t0/0",
        "CHR\t99665212\t.\tC\tG\t.\tPASS\t.\tGT\t0/0",
        "CHR\t99672916\t.\tT\tC,G\t.\tPASS\t.\tGT\t1/2",
    ]
    c = call(write_vcf(tmp_path / "m.vcf", rows))
    assert c.call_status == "no_call"  # G at rs776746 is in no definition
    assert any("not in any TOY definition" in w for w in c.warnings)
    used = {g.pos: g.genotype for g in c.genotypes_used}
    assert used[99672916] == "C/G"


def test_phasing_and_phase_sets(tmp_path: Path) -> None:
    # *7 and *3 on different haplotypes (phased) -> *3/*7; same haplotype -> no named pair
    trans = [
        "CHR\t99652770\t.\tT\tC\t.\tPASS\t.\tGT\t0|1",
        HET_3[1],
        "CHR\t99672916\t.\tT\tC\t.\tPASS\t.\tGT\t1|0",
    ]
    cis = [
        "CHR\t99652770\t.\tT\tC\t.\tPASS\t.\tGT\t0|1",
        HET_3[1],
        "CHR\t99672916\t.\tT\tC\t.\tPASS\t.\tGT\t0|1",
    ]
    assert call(write_vcf(tmp_path / "t.vcf", trans)).diplotype_names == ["*3/*7"]
    assert call(write_vcf(tmp_path / "c.vcf", cis)).call_status == "no_call"
    # different phase sets: phases are independent -> both arrangements possible
    ps = [
        "CHR\t99652770\t.\tT\tC\t.\tPASS\t.\tGT:PS\t0|1:100",
        HET_3[1],
        "CHR\t99672916\t.\tT\tC\t.\tPASS\t.\tGT:PS\t0|1:200",
    ]
    c = call(write_vcf(tmp_path / "p.vcf", ps))
    assert c.diplotype_names == ["*3/*7"]
    unphased = call(write_vcf(tmp_path / "u.vcf", [r.replace("|", "/") for r in cis]))
    assert unphased.diplotype_names == ["*3/*7"] and not unphased.phased


def test_missing_position_dropped_and_reported(tmp_path: Path) -> None:
    rows = [HET_3[0], "CHR\t99665212\t.\tC\tT\t.\tPASS\t.\tGT\t./.", HET_3[2]]
    c = call(write_vcf(tmp_path / "x.vcf", rows))
    assert c.diplotype_names == ["*1/*3"]
    assert [(m.pos, m.reason) for m in c.missing_positions] == [(99665212, "no_call")]
    c2 = call(write_vcf(tmp_path / "y.vcf", HET_3[2:]))
    assert {m.pos for m in c2.missing_positions} == {99652770, 99665212}


def test_absent_as_ref_and_targets(tmp_path: Path) -> None:
    vcf = write_vcf(tmp_path / "a.vcf", HET_3[2:])
    assert call(vcf, absent_as_ref=True).missing_positions == []
    targets = tmp_path / "S1.targets.tsv.gz"
    with gzip.open(targets, "wt") as fh:
        fh.write("chrom\tpos\tref\tdepth\tmq0_fraction\tstatus\treason\tgenotype\n")
        fh.write("chr7\t99652770\tT\t30\t0\tref\t\tT/T\n")
        fh.write("chr7\t99665212\tC\t2\t0\tno_call\tlow_depth\t.\n")
        fh.write("chr7\t99672916\tT\t30\t0\tvariant\t\tT/C\n")
    c = call(vcf, targets_tsv=targets)
    assert c.diplotype_names == ["*1/*3"]
    assert [(m.pos, m.reason) for m in c.missing_positions] == [(99665212, "low_depth")]
    # a no_call in the targets file wins over the VCF: never read as reference
    c = call(write_vcf(tmp_path / "b.vcf", HET_3), targets_tsv=targets)
    assert 99665212 in {m.pos for m in c.missing_positions}


def test_contig_absent_is_no_call(tmp_path: Path) -> None:
    rows = ["chr1\t1000\t.\tA\tG\t.\tPASS\t.\tGT\t0/1"]
    vcf = write_vcf(tmp_path / "other.vcf", rows)
    c = call(vcf, absent_as_ref=True)
    assert c.call_status == "no_call"
    assert "contig chr7 not in the VCF" in (c.no_call_reason or "")


def test_ref_mismatch_marks_gene(tmp_path: Path) -> None:
    rows = [HET_3[0], "CHR\t99665212\t.\tA\tT\t.\tPASS\t.\tGT\t0/1", HET_3[2]]
    vcf = write_vcf(tmp_path / "r.vcf", rows)
    c = call(vcf)
    msg = next(w for w in c.warnings if "REF A differs" in w)
    assert str(vcf) in msg and "chr7:99665212" in msg and "fix:" in msg
    assert [(m.pos, m.reason.split(":")[0]) for m in c.missing_positions] == [(99665212, str(vcf))]


def test_sample_selection_and_unknown_sample(tmp_path: Path) -> None:
    rows = [r + "\t0/0" for r in HET_3]
    vcf = write_vcf(tmp_path / "two.vcf", rows, samples=("S1", "S2"))
    calls = call_cohort(vcf, DEFS)
    assert [(c.sample_id, c.display) for c in calls] == [("S1", "*1/*3"), ("S2", "*1/*1")]
    assert [c.sample_id for c in call_cohort(vcf, DEFS, samples=["S2"])] == ["S2"]
    with pytest.raises(GenorxError, match=r"sample.*NOPE.*not in the VCF"):
        read_sample_genotypes(vcf, DEFS, samples=["NOPE"])


def test_corrupt_and_missing_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.vcf.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage-not-gzip")
    with pytest.raises(GenorxError, match=r"bad\.vcf\.gz"):
        read_sample_genotypes(bad, DEFS)
    with pytest.raises(GenorxError, match="VCF not found"):
        read_sample_genotypes(tmp_path / "nope.vcf", DEFS)
    truncated = write_vcf(tmp_path / "t.vcf", [*HET_3[:2], "CHR\t99672916\trs776746\tT"])
    with pytest.raises(GenorxError, match=r"t\.vcf"):
        read_sample_genotypes(truncated, DEFS)
