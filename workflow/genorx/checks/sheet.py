"""The sample sheet: one row per sample, paired FASTQ or a BAM/CRAM or VCF to start later.

Every problem is reported as ``<sheet>:row <n>: <problem>; fix: <fix>`` (row 1 is the
header). A row may give ``fastq_1``+``fastq_2`` (align), ``bam`` (skip alignment; a BAM
or CRAM with its index) or ``vcf`` (skip alignment and calling); when several are given
the latest stage wins (vcf, then bam, then FASTQ).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from genorx.errors import input_error

COLUMNS = ("sample_id", "fastq_1", "fastq_2", "bam", "vcf")
SAMPLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Sample:
    sample_id: str
    row: int
    fastq_1: Path | None = None
    fastq_2: Path | None = None
    bam: Path | None = None
    vcf: Path | None = None

    @property
    def start(self) -> str:
        """Where the sample enters the workflow: ``fastq``, ``bam`` or ``vcf``."""
        if self.vcf is not None:
            return "vcf"
        return "bam" if self.bam is not None else "fastq"


Resolver = Callable[[str], Path]


def _index_of(alignment: Path) -> Path | None:
    name = str(alignment)
    candidates = (
        [f"{name}.crai", name[:-5] + ".crai"]
        if name.endswith(".cram")
        else [f"{name}.bai", name[:-4] + ".bai", f"{name}.csi"]
    )
    return next((Path(c) for c in candidates if Path(c).exists()), None)


def read_sample_sheet(path: Path, resolve: Resolver) -> list[Sample]:
    """Parse and check ``path``; relative file names go through ``resolve``."""
    if not path.exists():
        raise input_error(path, None, "sample sheet not found", "set config key 'samples' to an existing TSV")
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]
    if not rows:
        raise input_error(path, None, "sample sheet is empty", "add a header line and one row per sample")
    header = [h.strip() for h in rows[0]]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise input_error(
            path, "row 1", f"unknown column {unknown[0]!r}", f"use only these columns: {', '.join(COLUMNS)}"
        )
    if "sample_id" not in header:
        raise input_error(path, "row 1", "no sample_id column", "add a sample_id column (first column)")
    samples: list[Sample] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(rows[1:], start=2):
        if len(raw) > len(header):
            raise input_error(
                path, f"row {n}", f"{len(raw)} fields for {len(header)} columns", "tab-separate"
            )
        values = {h: (raw[i].strip() if i < len(raw) else "") for i, h in enumerate(header)}
        samples.append(_sample(path, n, values, seen, resolve))
    if not samples:
        raise input_error(path, None, "no samples listed", "add one row per sample under the header")
    return samples


def _sample(path: Path, n: int, values: dict[str, str], seen: dict[str, int], resolve: Resolver) -> Sample:
    where = f"row {n}"
    sid = values.get("sample_id", "")
    if not sid:
        raise input_error(path, where, "sample_id is missing", "give every row a unique sample_id")
    if not SAMPLE_ID.match(sid):
        raise input_error(
            path,
            where,
            f"sample_id {sid!r} has characters other than letters, digits, '.', '_', '-'",
            "rename the sample (start with a letter or digit, at most 64 characters)",
        )
    if sid in seen:
        raise input_error(
            path,
            where,
            f"duplicate sample_id {sid!r} (also on row {seen[sid]})",
            "give every row a unique sample_id",
        )
    seen[sid] = n

    def existing(column: str) -> Path | None:
        value = values.get(column, "")
        if not value:
            return None
        p = resolve(value)
        if not p.exists():
            raise input_error(
                path,
                f"{where} ({sid}), column {column}",
                f"file {value!r} not found",
                "correct the path (relative paths are read from the working directory or the sheet's folder)",
            )
        return p

    vcf, bam = existing("vcf"), existing("bam")
    r1, r2 = (None, None) if vcf or bam else (existing("fastq_1"), existing("fastq_2"))
    if vcf is None and bam is None:
        if r1 is None or r2 is None:
            missing = "fastq_1" if r1 is None else "fastq_2"
            raise input_error(
                path,
                f"{where} ({sid})",
                f"{missing} is empty",
                "give paired FASTQ files (fastq_1 and fastq_2), or a bam or vcf column",
            )
        if r1 == r2:
            raise input_error(
                path, f"{where} ({sid})", "fastq_1 and fastq_2 are the same file", "give both mates"
            )
    if bam is not None and vcf is None and _index_of(bam) is None:
        raise input_error(
            path,
            f"{where} ({sid}), column bam",
            f"{bam} has no index (.bai/.crai/.csi)",
            f"run 'samtools index {bam}'",
        )
    return Sample(sid, n, r1, r2, bam, vcf)
