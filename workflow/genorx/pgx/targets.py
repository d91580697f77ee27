"""Apply the call stage's target-position status (``{sample}.targets.tsv.gz``) to genotypes.

``ref`` positions without a VCF record become homozygous reference; ``no_call`` positions
are missing with the file's reason, whatever the VCF says (a no-call is never reference);
``variant`` positions without a VCF record stay missing (the VCF should have carried them).
"""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

from genorx.errors import input_error
from genorx.pgx.genotypes import ABSENT, CONTIG_ABSENT, OK, TARGET_NO_CALL, GenotypeSet
from genorx.pgx.vcf_reader import norm_chrom

REQUIRED = ("chrom", "pos", "status")


def read_targets(path: Path) -> dict[tuple[str, int], tuple[str, str]]:
    """``{(chrom without chr, pos): (status, reason)}`` from a targets TSV (gzipped or plain)."""
    if not path.exists():
        raise input_error(path, None, "targets file not found", "pass the call stage's targets.tsv.gz")
    opener = gzip.open if path.suffix == ".gz" else open
    out: dict[tuple[str, int], tuple[str, str]] = {}
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise input_error(
                    path, "line 1", f"missing column(s) {', '.join(missing)}", "pass a genorx targets TSV"
                )
            for lineno, row in enumerate(reader, start=2):
                status = row["status"]
                if status not in ("ref", "variant", "no_call"):
                    raise input_error(
                        path, f"line {lineno}", f"unknown status {status!r}", "use ref, variant or no_call"
                    )
                try:
                    pos = int(row["pos"])
                except ValueError:
                    raise input_error(
                        path, f"line {lineno}", f"bad pos {row['pos']!r}", "re-create the targets file"
                    ) from None
                out[(norm_chrom(row["chrom"]), pos)] = (status, row.get("reason") or "")
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as exc:
        raise input_error(
            path, None, f"unreadable targets file ({exc})", "re-create the targets file"
        ) from None
    return out


def apply_targets(gset: GenotypeSet, path: Path) -> None:
    table = read_targets(path)
    for gg in gset.genes.values():
        for j, locus in enumerate(gg.loci):
            entry = table.get((norm_chrom(locus.chrom), locus.position))
            if entry is None:
                continue
            status, reason = entry
            col = gg.status[:, j]
            if status == "no_call":
                gg.status[:, j] = TARGET_NO_CALL
                gg.locus_reasons[j] = reason or "no_call"
            elif status == "ref":
                absent = (col == ABSENT) | (col == CONTIG_ABSENT)
                gg.codes[absent, j, :] = 0
                gg.status[absent, j] = OK
            elif status == "variant":
                absent = col == ABSENT
                if absent.any():
                    gg.locus_reasons[j] = "variant in the targets file but no record in the VCF"
        if gg.contig_absent and (gg.status != CONTIG_ABSENT).any():
            gg.contig_absent = False
