"""Bad input to `genorx prs score`: one clear line on stderr, exit 2, and no output files."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from genorx.cli import main

VCF_HEAD = [
    "##fileformat=VCFv4.2",
    "##contig=<ID=chr1,length=248956422>",
    '##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">',
]
RECORDS = [
    "chr1\t1000\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\t0/0",
    "chr1\t2000\t.\tC\tT\t.\tPASS\t.\tGT\t0/0\t0/1\t./.",
    "chr1\t3000\t.\tG\tA\t.\tPASS\t.\tGT\t1/1\t0/1\t0/1",
]
SCORE = [
    "#pgs_id=TEST1",
    "#genome_build=GRCh38",
    "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight",
    "1\t1000\tG\tA\t0.5",
    "1\t2000\tT\tC\t-0.25",
    "1\t3000\tA\tG\t1.5",
]


def _vcf(
    path: Path, head: list[str] = VCF_HEAD, samples: list[str] = ("A", "B", "C"), records=RECORDS
) -> Path:
    cols = "\t".join(["#CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO", "FORMAT", *samples])
    with gzip.open(path, "wt") as fh:
        fh.write("\n".join([*head, cols, *records]) + "\n")
    return path


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(tmp: Path, capsys, vcf: Path, score: Path, *extra: str) -> tuple[int, str]:
    out = tmp / "out" / "prs.tsv"
    code = main(["prs", "score", "--vcf", str(vcf), "--scoring-file", str(score), "--out", str(out), *extra])
    err = capsys.readouterr().err
    return code, err


def _assert_clean_failure(tmp: Path, code: int, err: str, *needles: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("genorx: error: "), err
    assert "; fix: " in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    out = tmp / "out"
    assert not out.exists() or not any(out.iterdir()), list(out.iterdir())


def test_good_input_scores(tmp_path, capsys):
    code, err = _run(tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz"), _write(tmp_path / "s.txt", SCORE))
    assert code == 0, err
    rows = (tmp_path / "out/prs.tsv").read_text().splitlines()
    assert rows[1].split("\t")[:3] == ["A", "TEST1", repr(0.5 * 1 + 0.0 + 1.5 * 2)]
    # sample C misses chr1:2000: mean-imputed with 2 x freq(T) = 2 x 1/4
    c = rows[3].split("\t")
    assert float(c[2]) == pytest.approx(0.0 - 0.25 * 0.5 + 1.5 * 1)
    assert c[4] == "6" and c[-1] == "4"  # denom counts the imputed call, allele_ct does not


def test_missing_columns(tmp_path, capsys):
    bad = _write(tmp_path / "s.txt", ["#pgs_id=X", "chr_name\tchr_position\teffect_allele", "1\t1000\tG"])
    code, err = _run(tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz"), bad)
    _assert_clean_failure(tmp_path, code, err, "s.txt", "missing column(s) effect_weight")


def test_non_numeric_weight_names_the_line(tmp_path, capsys):
    bad = _write(tmp_path / "s.txt", [*SCORE[:4], "1\t2000\tT\tC\tabc"])
    code, err = _run(tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz"), bad)
    _assert_clean_failure(tmp_path, code, err, "s.txt:5:", "'abc'", "not a number")


def test_wrong_build(tmp_path, capsys):
    bad = _write(tmp_path / "s.txt", [SCORE[0], "#genome_build=GRCh37", *SCORE[2:]])
    code, err = _run(tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz"), bad)
    _assert_clean_failure(tmp_path, code, err, "GRCh37", "GRCh38", "hmPOS_GRCh38")


def test_zero_matches(tmp_path, capsys):
    bad = _write(tmp_path / "s.txt", [*SCORE[:3], "2\t1000\tG\tA\t0.5", "2\t2000\tT\tC\t0.1"])
    code, err = _run(tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz"), bad)
    _assert_clean_failure(tmp_path, code, err, "TEST1 matched 0 of 2 variants", "minimum overlap")


def test_vcf_without_gt(tmp_path, capsys):
    head = [h for h in VCF_HEAD if "GT" not in h]
    records = [r.replace("\tGT\t", "\tDP\t") for r in RECORDS]
    code, err = _run(
        tmp_path,
        capsys,
        _vcf(tmp_path / "t.vcf.gz", head, records=records),
        _write(tmp_path / "s.txt", SCORE),
    )
    _assert_clean_failure(tmp_path, code, err, "t.vcf.gz", "no GT")


def test_gt_missing_from_a_record(tmp_path, capsys):
    records = [RECORDS[0], RECORDS[1].replace("\tGT\t", "\tDP\t"), RECORDS[2]]
    code, err = _run(
        tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz", records=records), _write(tmp_path / "s.txt", SCORE)
    )
    _assert_clean_failure(tmp_path, code, err, "chr1:2000", "no GT")


def test_empty_sample_list(tmp_path, capsys):
    records = ["\t".join(r.split("\t")[:8]) for r in RECORDS]
    vcf = _vcf(tmp_path / "t.vcf.gz", [h for h in VCF_HEAD if "FORMAT" not in h], samples=[], records=records)
    code, err = _run(tmp_path, capsys, vcf, _write(tmp_path / "s.txt", SCORE))
    _assert_clean_failure(tmp_path, code, err, "empty sample list")


def test_dosage_weights_are_rejected(tmp_path, capsys):
    bad = _write(
        tmp_path / "s.txt",
        [
            "#pgs_id=D",
            "chr_name\tchr_position\teffect_allele\tother_allele\tdosage_0_weight\tdosage_1_weight\t"
            "dosage_2_weight",
            "1\t1000\tG\tA\t0\t0.1\t0.3",
        ],
    )
    code, err = _run(tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz"), bad)
    _assert_clean_failure(tmp_path, code, err, "dosage_0_weight", "additive")


def test_rsid_only_file_is_rejected(tmp_path, capsys):
    bad = _write(tmp_path / "s.txt", ["#pgs_id=R", "rsID\teffect_allele\teffect_weight", "rs1\tA\t0.1"])
    code, err = _run(tmp_path, capsys, _vcf(tmp_path / "t.vcf.gz"), bad)
    _assert_clean_failure(tmp_path, code, err, "hmPOS")


def test_one_failing_score_is_skipped_with_a_warning(tmp_path, capsys):
    good = _write(tmp_path / "s.txt", SCORE)
    poor = _write(tmp_path / "p.txt", ["#pgs_id=POOR", *SCORE[1:4], "2\t5\tA\tG\t1", "2\t6\tA\tG\t1"])
    out = tmp_path / "out/prs.tsv"
    code = main(
        [
            "prs",
            "score",
            "--vcf",
            str(_vcf(tmp_path / "t.vcf.gz")),
            "--scoring-file",
            str(good),
            "--scoring-file",
            str(poor),
            "--out",
            str(out),
        ]
    )
    err = capsys.readouterr().err
    assert code == 0
    assert "score POOR skipped: 1 of 3 variants matched" in err
    assert {line.split("\t")[1] for line in out.read_text().splitlines()[1:]} == {"TEST1"}
