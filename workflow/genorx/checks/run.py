"""Everything the Snakefile checks before any job runs, in one call.

``plan_run`` resolves configured paths (working directory first, then the sample sheet's
folder for sheet entries, then the workflow's bundled resources), reads and checks the
sample sheet, the reference and the targets, and compares contig names wherever an index
is already at hand (otherwise a rule repeats the check right after indexing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genorx.checks.contigs import check_inputs, fasta_contigs
from genorx.checks.reference import fasta_format
from genorx.checks.sheet import Sample, read_sample_sheet
from genorx.errors import input_error


@dataclass(frozen=True, slots=True)
class Resolver:
    """Find a configured path: as given (absolute or relative to the working directory),
    then relative to each fallback folder in turn."""

    workdir: Path
    fallbacks: tuple[Path, ...] = ()

    def __call__(self, value: str) -> Path:
        p = Path(value).expanduser()
        if p.is_absolute():
            return p
        for base in (self.workdir, *self.fallbacks):
            if (base / p).exists():
                return base / p
        return self.workdir / p

    def with_fallback(self, folder: Path) -> Resolver:
        return Resolver(self.workdir, (folder, *self.fallbacks))


@dataclass(slots=True)
class RunPlan:
    samples: dict[str, Sample]
    reference: Path
    targets: Path
    reference_contigs: dict[str, int] | None
    absent_target_contigs: dict[Path, list[str]] = field(default_factory=dict)

    def ids(self, start: str | None = None) -> list[str]:
        return [s for s, v in self.samples.items() if start is None or v.start == start]


def plan_run(config: dict[str, Any], workdir: Path, workflow_dir: Path, source: str = "config") -> RunPlan:
    """Check the configured inputs; raise a one-line GenorxError at the first problem."""
    resolve = Resolver(workdir, (workflow_dir,))
    sheet = resolve(config["samples"])
    samples = read_sample_sheet(sheet, resolve.with_fallback(sheet.parent))

    reference = resolve(config["reference"]["fasta"])
    if not reference.exists():
        raise input_error(
            source,
            "reference.fasta",
            f"file {config['reference']['fasta']!r} not found",
            "give an existing plain or bgzipped FASTA (for the demo run 'make demo' first)",
        )
    fasta_format(reference)
    targets = resolve(config["targets"])
    if not targets.exists():
        raise input_error(
            source, "targets", f"BED file {config['targets']!r} not found", "give an existing BED file"
        )

    contigs = fasta_contigs(reference)
    absent: dict[Path, list[str]] = {}
    if contigs is not None:
        inputs: list[tuple[Path, str]] = [(targets, "bed")]
        for s in samples:
            if s.start == "vcf" and s.vcf is not None:
                inputs.append((s.vcf, "vcf"))
            elif s.start == "bam" and s.bam is not None:
                inputs.append((s.bam, "bam"))
        absent = check_inputs(contigs, inputs)
    return RunPlan({s.sample_id: s for s in samples}, reference, targets, contigs, absent)
