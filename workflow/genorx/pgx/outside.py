"""Outside calls: diplotypes from another caller, in PharmCAT's outside-call format.

One line per gene, tab-separated: ``GENE  DIPLOTYPE  [PHENOTYPE  [ACTIVITY_SCORE]]``
(``#`` comments and blank lines ignored), e.g. ``CYP2D6  *1/*3`` or ``HLA-B  *15:02/*57:01``.
This is how HLA-A, HLA-B, MT-RNR1 (no VCF definitions) and CYP2D6 structural calls (e.g.
from a dedicated CYP2D6 caller) enter the recommendations; an outside call replaces the
VCF call of its gene, as in PharmCAT.
"""

from __future__ import annotations

from pathlib import Path

from genorx.errors import input_error
from genorx.pgx.results import OutsideCall


def read_outside_calls(path: Path, known_genes: set[str]) -> dict[str, OutsideCall]:
    if not path.is_file():
        raise input_error(path, None, "outside-call file not found", "pass an existing --outside-call file")
    calls: dict[str, OutsideCall] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [f.strip() for f in line.rstrip("\n").split("\t")]
        gene = fields[0]
        where = f"line {lineno}"
        if gene not in known_genes:
            raise input_error(
                path, where, f"unknown gene {gene!r}", f"use one of {', '.join(sorted(known_genes))}"
            )
        if gene in calls:
            raise input_error(path, where, f"second call for {gene}", "give one line per gene")
        values = [f or None for f in fields[1:4]] + [None] * (4 - len(fields))
        diplotype, phenotype, score = values[0], values[1], values[2]
        if not (diplotype or phenotype or score):
            raise input_error(
                path, where, f"{gene} has no diplotype, phenotype or activity score", "fill one in"
            )
        calls[gene] = OutsideCall(gene, diplotype, phenotype, score)
    return calls
