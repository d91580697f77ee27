"""Input checks as functions: sample sheet rules, FASTQ summaries, BED parsing and merging,
contig comparison. Small files written by the tests; no workflow run."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from genorx.call.bed import Interval, merge, positions, read_bed
from genorx.checks.config import check_config_keys
from genorx.checks.contigs import check_contigs
from genorx.checks.fastq import check_pair, summarise
from genorx.checks.run import Resolver
from genorx.checks.sheet import read_sample_sheet
from genorx.errors import GenorxError

REPO = Path(__file__).resolve().parent.parent


def fastq(path: Path, n: int, prefix: str = "r", gz: bool = True) -> Path:
    text = "".join(f"@{prefix}{i}/1\nACGT\n+\nIIII\n" for i in range(n))
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def sheet(tmp: Path, text: str) -> list:
    path = tmp / "samples.tsv"
    path.write_text(text)
    return read_sample_sheet(path, Resolver(tmp))


def test_sheet_start_points_and_paths(tmp_path):
    fastq(tmp_path / "a_1.fq.gz", 2)
    fastq(tmp_path / "a_2.fq.gz", 2)
    (tmp_path / "b.bam").write_bytes(b"")
    (tmp_path / "b.bam.bai").write_bytes(b"")
    (tmp_path / "c.vcf.gz").write_bytes(b"")
    rows = sheet(
        tmp_path,
        "sample_id\tfastq_1\tfastq_2\tbam\tvcf\n"
        "A\ta_1.fq.gz\ta_2.fq.gz\t\t\n"
        "B\t\t\tb.bam\t\n"
        "C\ta_1.fq.gz\ta_2.fq.gz\tb.bam\tc.vcf.gz\n",
    )
    assert [(s.sample_id, s.start) for s in rows] == [("A", "fastq"), ("B", "bam"), ("C", "vcf")]
    assert rows[0].fastq_1 == tmp_path / "a_1.fq.gz"


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("sample_id\tfastq_1\tfastq_2\tlane\nA\tx\ty\t1\n", "row 1: unknown column 'lane'"),
        ("fastq_1\tfastq_2\nx\ty\n", "row 1: no sample_id column"),
        ("sample_id\tfastq_1\tfastq_2\nA B\tx\ty\n", "row 2: sample_id 'A B' has characters"),
        ("sample_id\tfastq_1\tfastq_2\nA\ta_1.fq.gz\t\n", "row 2 (A): fastq_2 is empty"),
        ("sample_id\tfastq_1\tfastq_2\nA\ta_1.fq.gz\ta_1.fq.gz\n", "fastq_1 and fastq_2 are the same file"),
        ("sample_id\tbam\nA\tnoindex.bam\n", "noindex.bam has no index"),
        ("sample_id\tfastq_1\tfastq_2\n", "no samples listed"),
    ],
)
def test_sheet_errors_are_one_line(tmp_path, text, needle):
    fastq(tmp_path / "a_1.fq.gz", 1)
    (tmp_path / "noindex.bam").write_bytes(b"")
    with pytest.raises(GenorxError) as err:
        sheet(tmp_path, text)
    message = str(err.value)
    assert needle in message and "; fix: " in message and "\n" not in message


def test_fastq_plain_gz_bgzf_multimember(tmp_path):
    assert summarise(fastq(tmp_path / "p.fq", 3, gz=False)).records == 3
    two = tmp_path / "m.fq.gz"  # concatenated gzip members (as from `cat a.gz b.gz`)
    two.write_bytes(gzip.compress(b"@a\nAC\n+\nII\n") + gzip.compress(b"@b\nAC\n+\nII\n"))
    assert summarise(two).records == 2
    r1, r2 = fastq(tmp_path / "r1.fq.gz", 5, "x"), fastq(tmp_path / "r2.fq.gz", 5, "y")
    with pytest.raises(GenorxError, match="does not pair with"):
        check_pair(r1, r2)
    bad = tmp_path / "bad.fq"
    bad.write_text(">not fastq\nACGT\n")
    with pytest.raises(GenorxError, match="not FASTQ"):
        summarise(bad)


def test_bed_parse_merge_and_positions(tmp_path):
    bed = tmp_path / "t.bed"
    bed.write_text("track name=x\nchr2\t10\t12\tB\nchr1\t5\t6\tA\nchr1\t5\t8\tA2\n#c\n")
    ivs = read_bed(bed)
    merged = merge(ivs, {"chr1": 0, "chr2": 1})
    assert merged == [Interval("chr1", 5, 8, "A;A2"), Interval("chr2", 10, 12, "B")]
    chroms, pos = positions(merged)
    assert chroms == ["chr1"] * 3 + ["chr2"] * 2 and pos.tolist() == [6, 7, 8, 11, 12]
    bad = tmp_path / "bad.bed"
    bad.write_text("chr1\t5\t5\n")
    with pytest.raises(GenorxError, match=r"bad\.bed:line 1: empty or negative interval"):
        read_bed(bad)


def test_contig_rules():
    ref = {"chr1": 1000, "chr2": 500}
    assert check_contigs(ref, Path("x.bed"), {"chr1": None, "chrX": None}, "targets BED") == ["chrX"]
    with pytest.raises(GenorxError, match="chr-prefix mismatch"):
        check_contigs(ref, Path("x.bed"), {"chr1": None, "2": None}, "targets BED")
    with pytest.raises(GenorxError, match="none of the alignment's contigs"):
        check_contigs(ref, Path("x.bam"), {"chrUn": 10}, "alignment")
    with pytest.raises(GenorxError, match="length 999 differs"):
        check_contigs(ref, Path("x.bam"), {"chr1": 999}, "alignment")


def test_unknown_nested_key_suggests_the_right_one():
    schema = REPO / "config" / "schemas" / "config.schema.yaml"
    check_config_keys({"samples": "s", "reference": {"fasta": "f"}, "calling": {"min_depth": 3}}, schema)
    with pytest.raises(
        GenorxError, match=r"unknown config key 'reference.fast'; fix: did you mean 'fasta'\?"
    ):
        check_config_keys({"samples": "s", "reference": {"fast": "f"}}, schema, "my.yaml")
