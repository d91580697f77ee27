"""Allele spelling: VCF alleles re-expressed in a definition's spelling, IUPAC matching.

A VCF record and an allele definition may describe the same indel with reference spans of
different length (``CAT>C`` vs ``CATAT>CAT``). Both are anchored at the same position
(left-aligned, as ``bcftools norm`` writes them), so extending the shorter span with the
reference bases of the longer one makes the spellings comparable.
"""

from __future__ import annotations

from genorx.pgx.definitions import IUPAC, Locus


def respell(vcf_ref: str, allele: str, def_ref: str) -> str | None:
    """``allele`` (from a record whose REF is ``vcf_ref``) spelled against ``def_ref``.

    None when the two reference spans disagree (a REF mismatch) or the allele cannot be
    expressed on the definition's span.
    """
    vcf_ref, allele, def_ref = vcf_ref.upper(), allele.upper(), def_ref.upper()
    if vcf_ref == def_ref:
        return allele
    if len(vcf_ref) < len(def_ref):
        if not def_ref.startswith(vcf_ref):
            return None
        return allele + def_ref[len(vcf_ref) :]
    if not vcf_ref.startswith(def_ref):
        return None
    tail = vcf_ref[len(def_ref) :]
    if not allele.endswith(tail) or len(allele) <= len(tail):
        return None
    return allele[: len(allele) - len(tail)]


def ref_compatible(vcf_ref: str, def_ref: str) -> bool:
    """True when the record's REF agrees with the definition's REF on their common span."""
    a, b = vcf_ref.upper(), def_ref.upper()
    return a.startswith(b) or b.startswith(a)


def allele_matches(defined: str, observed: str) -> bool:
    """Does an observed allele satisfy a definition allele (which may be an IUPAC code)?"""
    if defined == observed:
        return True
    if len(defined) == 1 and len(observed) == 1:
        codes = IUPAC.get(defined)
        return codes is not None and observed in codes
    return False


def is_wobble(allele: str | None) -> bool:
    return allele is not None and len(allele) == 1 and allele in IUPAC


def hgvs_for(locus: Locus, allele: str) -> str:
    """A ``g.`` name for an (undocumented or partial) allele at a locus, as PharmCAT names partials."""
    ref = locus.ref
    pos = locus.position
    if len(ref) == 1 and len(allele) == 1:
        return f"g.{pos}{ref}>{allele}"
    if allele.startswith(ref) and len(allele) > len(ref):
        inserted = allele[len(ref) :]
        return f"g.{pos + len(ref) - 1}_{pos + len(ref)}ins{inserted}"
    if ref.startswith(allele) and len(ref) > len(allele):
        deleted = ref[len(allele) :]
        start = pos + len(allele)
        end = start + len(deleted) - 1
        return f"g.{start}del{deleted}" if start == end else f"g.{start}_{end}del{deleted}"
    return f"g.{pos}_{pos + len(ref) - 1}delins{allele}"
