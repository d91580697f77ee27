"""Bad input stops the workflow with ONE line naming the file/row/key and the fix, and
leaves no partial output. Config and sample-sheet problems stop before any job runs
(a dry run is enough to show it); FASTQ content problems stop at the first rule."""

from __future__ import annotations

import gzip
import shutil
import subprocess
from pathlib import Path

import pysam
import pytest
from conftest import REPO, snakemake_cmd, venv_env


def write_config(
    workdir: Path, demo: Path, sheet: str = "samples.tsv", targets: str | None = None, **extra
) -> Path:
    lines = [
        f"samples: {sheet}",
        "reference:",
        f"  fasta: {demo / 'reference.fa.gz'}",
        "  build: GRCh38",
        f"targets: {targets or REPO / 'resources/kb/targets.bed'}",
    ]
    lines += [f"{k}: {v}" for k, v in extra.items()]
    config = workdir / "config.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def write_sheet(workdir: Path, rows: list[str], header: str = "sample_id\tfastq_1\tfastq_2") -> None:
    (workdir / "samples.tsv").write_text("\n".join([header, *rows]) + "\n")


def fastq_row(demo: Path, sample: str, patient: str = "P1") -> str:
    return f"{sample}\t{demo / f'{patient}_R1.fastq.gz'}\t{demo / f'{patient}_R2.fastq.gz'}"


def run(workdir: Path, config: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        snakemake_cmd(workdir, config, *extra, cores=1), env=venv_env(), capture_output=True, text=True
    )


def assert_one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode != 0
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    line = lines[0]
    assert line.startswith("genorx: error: ") and "; fix: " in line, line
    for needle in needles:
        assert needle in line, line
    return line


def assert_no_outputs(workdir: Path) -> None:
    assert not (workdir / "results").exists() or not any(
        p.is_file() for p in (workdir / "results").rglob("*")
    ), sorted((workdir / "results").rglob("*"))


@pytest.fixture
def demo(demo_workdir) -> Path:
    return demo_workdir.demo


def test_missing_fastq(tmp_path, demo):
    write_sheet(tmp_path, [fastq_row(demo, "P1"), f"P2\t{demo / 'P2_R1.fastq.gz'}\tnot_there_R2.fastq.gz"])
    proc = run(tmp_path, write_config(tmp_path, demo), "-n")
    assert_one_line(proc, "samples.tsv:row 3 (P2), column fastq_2", "not_there_R2.fastq.gz", "not found")
    assert_no_outputs(tmp_path)


def test_duplicate_sample_id(tmp_path, demo):
    write_sheet(tmp_path, [fastq_row(demo, "P1"), fastq_row(demo, "P1", "P2")])
    proc = run(tmp_path, write_config(tmp_path, demo), "-n")
    assert_one_line(proc, "samples.tsv:row 3", "duplicate sample_id 'P1' (also on row 2)")
    assert_no_outputs(tmp_path)


def test_missing_sample_id(tmp_path, demo):
    write_sheet(tmp_path, [fastq_row(demo, "P1"), fastq_row(demo, "", "P2")])
    proc = run(tmp_path, write_config(tmp_path, demo), "-n")
    assert_one_line(proc, "samples.tsv:row 3", "sample_id is missing")
    assert_no_outputs(tmp_path)


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ({"aligner_": "bwa"}, "unknown config key 'aligner_'; fix: did you mean 'aligner'?"),
        (
            {"calling": "{min_dept: 5}"},
            "unknown config key 'calling.min_dept'; fix: did you mean 'min_depth'?",
        ),
        ({"aligner": "bowtie2"}, "config key aligner: 'bowtie2' is not one of"),
    ],
)
def test_bad_config_key_or_value(tmp_path, demo, extra, needle):
    write_sheet(tmp_path, [fastq_row(demo, "P1")])
    proc = run(tmp_path, write_config(tmp_path, demo, **extra), "-n")
    assert_one_line(proc, "config.yaml", needle)
    assert_no_outputs(tmp_path)


def test_targets_with_chr_naming_mismatch(tmp_path, demo):
    bed = tmp_path / "targets_nochr.bed"
    bed.write_text("10\t94781858\t94781859\tCYP2C19:rs4244285\n")
    write_sheet(tmp_path, [fastq_row(demo, "P1")])
    proc = run(tmp_path, write_config(tmp_path, demo, targets=str(bed)), "-n")
    assert_one_line(proc, "targets_nochr.bed", "'10'", "'chr10'", "chr-prefix mismatch")
    assert_no_outputs(tmp_path)


def _bam(path: Path, contigs: list[tuple[str, int]]) -> Path:
    header = {"HD": {"VN": "1.6", "SO": "coordinate"}, "SQ": [{"SN": c, "LN": n} for c, n in contigs]}
    with pysam.AlignmentFile(str(path), "wb", header=header) as out:
        rec = pysam.AlignedSegment(out.header)
        rec.query_name, rec.query_sequence = "r1", "ACGT" * 25
        rec.reference_id, rec.reference_start, rec.mapping_quality = 0, 1000, 60
        rec.cigarstring, rec.query_qualities = "100M", pysam.qualitystring_to_array("I" * 100)
        out.write(rec)
    pysam.index(str(path))
    return path


@pytest.mark.parametrize(
    ("contigs", "needles"),
    [
        ([("chrUn_decoy1", 50_000)], ["none of the alignment's contigs", "chrUn_decoy1", "reference.fasta"]),
        ([("10", 95_040_023)], ["alignment names contigs like '10'", "'chr10'", "chr-prefix mismatch"]),
        ([("chr10", 133_797_422)], ["contig chr10", "length 133797422 differs", "another reference build"]),
    ],
    ids=["reference-lacks-contigs", "chr-naming", "other-build"],
)
def test_bam_input_against_wrong_reference(tmp_path, demo, contigs, needles):
    bam = _bam(tmp_path / "S1.bam", contigs)
    write_sheet(tmp_path, [f"S1\t{bam}"], header="sample_id\tbam")
    proc = run(tmp_path, write_config(tmp_path, demo), "-n")
    assert_one_line(proc, "S1.bam", *needles)
    assert_no_outputs(tmp_path)


def _rule_failure(tmp_path: Path, demo: Path, r1: Path, r2: Path) -> str:
    """Run the first rule on a bad FASTQ pair; return its one genorx error line."""
    write_sheet(tmp_path, [f"S1\t{r1}\t{r2}"])
    target = "results/S1/S1.bam"
    proc = run(tmp_path, write_config(tmp_path, demo), target)
    assert proc.returncode != 0
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("genorx: error: ")]
    assert len(errors) == 1, proc.stderr
    for name in ("S1.bam", "S1.bam.bai", "qc/S1.fastq_check.json"):
        assert not (tmp_path / "results" / "S1" / name).exists(), name
    leftovers = [p for p in (tmp_path / "results" / "S1").rglob("*") if p.is_file()]
    assert not leftovers, leftovers
    return errors[0]


def test_truncated_gzip_stops_before_alignment(tmp_path, demo):
    r1 = tmp_path / "S1_R1.fastq.gz"
    data = (demo / "P1_R1.fastq.gz").read_bytes()
    r1.write_bytes(data[: len(data) // 2])
    line = _rule_failure(tmp_path, demo, r1, demo / "P1_R2.fastq.gz")
    assert "S1_R1.fastq.gz: the file is truncated or corrupt" in line and "; fix: " in line


def test_mate_count_mismatch_stops_before_alignment(tmp_path, demo):
    r2 = tmp_path / "S1_R2.fastq.gz"
    with gzip.open(demo / "P1_R2.fastq.gz", "rt") as src, gzip.open(r2, "wt") as dst:
        for i, line in enumerate(src):
            if i >= 4 * 1000:
                break
            dst.write(line)
    line = _rule_failure(tmp_path, demo, demo / "P1_R1.fastq.gz", r2)
    assert "S1_R2.fastq.gz: 1000 reads but its mate file P1_R1.fastq.gz has" in line
    assert "mate counts differ" in line


def test_check_cli_one_line_and_exit_2(tmp_path, demo):
    """The same checks, as `genorx check` commands (what the rules call)."""
    genorx = str(Path(shutil.which("genorx", path=venv_env()["PATH"]) or "genorx"))
    truncated = tmp_path / "t.fastq.gz"
    truncated.write_bytes((demo / "P1_R1.fastq.gz").read_bytes()[:5000])
    cases = [
        ["check", "fastq", "--r1", str(truncated), "--r2", str(demo / "P1_R2.fastq.gz")],
        ["check", "fastq", "--r1", str(demo / "P1_R1.fastq.gz"), "--r2", str(demo / "P2_R2.fastq.gz")],
        ["check", "reference", "--fasta", str(tmp_path / "absent.fa"), "--out", str(tmp_path / "ref.fa.gz")],
    ]
    for args in cases:
        proc = subprocess.run([genorx, *args], capture_output=True, text=True, env=venv_env())
        assert proc.returncode == 2, (args, proc.stderr)
        assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("genorx: error: "), proc.stderr
    assert not (tmp_path / "ref.fa.gz").exists()
