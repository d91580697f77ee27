"""Contig names of the reference against those of the inputs (BAM/CRAM, VCF, target BEDs).

The usual failure is a naming convention mismatch (``1`` against ``chr1``), which would
otherwise give an empty result; it is an error that says so. Contigs of a BED that the
reference lacks are tolerated (those targets are reported ``not_covered``) as long as
some are shared and none is a renamed twin of a reference contig.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from pathlib import Path

import pysam

from genorx.errors import input_error


def read_fai(path: Path) -> dict[str, int]:
    """Contig -> length from a ``.fai`` index, in file order."""
    out: dict[str, int] = {}
    with open(path) as fh:
        for n, line in enumerate(fh, start=1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 2 or not parts[1].isdigit():
                raise input_error(
                    path, f"line {n}", "not a FASTA index line", "rebuild it with samtools faidx"
                )
            out[parts[0]] = int(parts[1])
    return out


def fasta_contigs(fasta: Path) -> dict[str, int] | None:
    """Contigs of a FASTA when an index sits next to it, else None (checked later by a rule)."""
    fai = Path(f"{fasta}.fai")
    if fai.exists() and fai.stat().st_mtime >= fasta.stat().st_mtime:
        return read_fai(fai)
    return None


def alignment_contigs(path: Path) -> dict[str, int]:
    with pysam.AlignmentFile(str(path), "rc" if str(path).endswith(".cram") else "rb", check_sq=False) as af:
        return dict(zip(af.references, af.lengths, strict=True))


def vcf_contigs(path: Path) -> dict[str, int | None]:
    with pysam.VariantFile(str(path)) as vf:
        names: dict[str, int | None] = {c: vf.header.contigs[c].length for c in vf.header.contigs}
        if not names:  # no ##contig lines: the contigs actually used
            for rec in vf:
                names.setdefault(rec.chrom, None)
    return names


def bed_contigs(path: Path) -> dict[str, int | None]:
    opener = gzip.open if str(path).endswith(".gz") else open
    names: dict[str, int | None] = {}
    with opener(path, "rt") as fh:
        for line in fh:
            if line.startswith(("#", "track", "browser")) or not line.strip():
                continue
            names.setdefault(line.split("\t", 1)[0], None)
    return names


def _twin(name: str) -> str:
    return name[3:] if name.startswith("chr") else f"chr{name}"


def check_contigs(
    reference: dict[str, int],
    source: Path,
    contigs: dict[str, int | None],
    kind: str,
    ref_label: str = "reference",
) -> list[str]:
    """Raise on a naming or length mismatch; return the input's contigs absent from the reference."""
    if not contigs:
        return []
    shared = [c for c in contigs if c in reference]
    renamed = [c for c in contigs if c not in reference and _twin(c) in reference]
    if renamed:
        c = renamed[0]
        raise input_error(
            source,
            None,
            f"{kind} names contigs like {c!r} but the {ref_label} calls it {_twin(c)!r} "
            "(chr-prefix mismatch)",
            f"use a {ref_label} and inputs with the same naming (rename with "
            "'bcftools annotate --rename-chrs' or 'samtools reheader'), or the matching reference build",
        )
    if not shared:
        example = ", ".join(list(contigs)[:3])
        raise input_error(
            source,
            None,
            f"none of the {kind}'s contigs ({example}, ...) is in the {ref_label}",
            f"give the {ref_label} these inputs were made with (config key reference.fasta)",
        )
    for c in shared:
        length = contigs[c]
        if length is not None and length != reference[c]:
            raise input_error(
                source,
                f"contig {c}",
                f"length {length} differs from the {ref_label}'s {reference[c]}",
                "the input was made against another reference build; use the same reference",
            )
    return [c for c in contigs if c not in reference]


def check_inputs(reference: dict[str, int], inputs: Iterable[tuple[Path, str]]) -> dict[Path, list[str]]:
    """Check each (path, kind) with kind ``bam``/``vcf``/``bed``; return absent contigs per BED."""
    readers = {"bam": alignment_contigs, "vcf": vcf_contigs, "bed": bed_contigs}
    absent: dict[Path, list[str]] = {}
    for path, kind in inputs:
        try:
            contigs = readers[kind](path)
        except (OSError, ValueError) as exc:
            raise input_error(
                path, None, f"cannot read it as {kind.upper()} ({exc})", "check the file"
            ) from exc
        label = {"bam": "alignment", "vcf": "VCF", "bed": "targets BED"}[kind]
        missing = check_contigs(reference, path, contigs, label)  # type: ignore[arg-type]
        if missing and kind == "bed":
            absent[path] = missing
    return absent
