"""Lowest-function genes: the diplotype recommendations are looked up with.

CPIC's DPYD guideline scores a patient by "the two DPYD variants with the lowest variant
activity score" (two different decreased/no-function variants are presumed to be on
different copies). PharmCAT reports DPYD (and RYR1 combination calls) that way:

- unphased, several variants (the matcher lists every matched haplotype): the two
  lowest-activity haplotypes form the diplotype (a single one is paired with the
  reference allele); the result is marked *inferred* when more than two were found;
- phased, with combination haplotypes (``[a + b]``): each copy is represented by its
  lowest-function component; among tied diplotypes the lowest total activity wins.

RYR1 ranks "Malignant Hyperthermia" alleles first instead of by activity value.
"""

from __future__ import annotations

from functools import cmp_to_key

from genorx.pgx.names import COMBINATION_JOINER, compare_names
from genorx.pgx.phenotype import DiplotypeResult, GeneContext, annotate

LOWEST_FUNCTION_GENES = frozenset({"DPYD", "RYR1"})


def components(name: str) -> list[str]:
    """Component haplotypes of a combination name (``[a + b]`` or ``a + b``)."""
    core = name[1:-1] if name.startswith("[") and name.endswith("]") else name
    return [p.strip() for p in core.split(COMBINATION_JOINER)] if COMBINATION_JOINER in core else [name]


def _activity(ctx: GeneContext, name: str) -> float | None:
    fn = ctx.pmap.alleles.get(name) if ctx.pmap else None
    try:
        return float(fn.activity) if fn and fn.activity else None
    except ValueError:
        return None


def _malignant(ctx: GeneContext, name: str) -> bool:
    fn = ctx.pmap.alleles.get(name) if ctx.pmap else None
    return bool(fn and fn.function and "Malignant" in fn.function)


def _hap_cmp(ctx: GeneContext) -> object:
    def cmp(a: str, b: str) -> int:
        if ctx.gene == "RYR1":
            ma, mb = _malignant(ctx, a), _malignant(ctx, b)
            if ma != mb:
                return -1 if ma else 1
        else:
            va, vb = _activity(ctx, a), _activity(ctx, b)
            if va != vb:  # a haplotype without an activity value sorts first, as in PharmCAT
                if va is None:
                    return -1
                if vb is None:
                    return 1
                return -1 if va < vb else 1
        return compare_names(a, b)

    return cmp


def lowest_first(ctx: GeneContext, names: list[str]) -> list[str]:
    return sorted(names, key=cmp_to_key(_hap_cmp(ctx)))  # type: ignore[arg-type]


def infer_unphased(ctx: GeneContext, haplotype_matches: list[str]) -> DiplotypeResult:
    """The recommendation diplotype from every haplotype matched in an unphased sample."""
    names = lowest_first(ctx, [c for n in haplotype_matches for c in components(n)])
    if not names:
        return annotate(ctx, ())
    chosen = names[:2]
    if len(chosen) == 1 and ctx.reference_allele:
        chosen.append(ctx.reference_allele)
        chosen = lowest_first(ctx, chosen)
    return annotate(ctx, tuple(chosen), inferred=len(names) > 2)


def _diplotype_activity(ctx: GeneContext, names: tuple[str, ...]) -> float:
    return sum(v if (v := _activity(ctx, n)) is not None else 2.0 for n in names)


def infer_phased(ctx: GeneContext, diplotypes: list[tuple[str, ...]]) -> DiplotypeResult:
    """One recommendation diplotype from (possibly combination) phased diplotypes."""
    options: list[tuple[tuple[str, ...], bool]] = []
    for haps in diplotypes:
        picked, inferred = [], False
        for hap in haps:
            parts = components(hap)
            inferred = inferred or len(parts) > 1
            picked.append(lowest_first(ctx, parts)[0])
        options.append((tuple(picked), inferred))
    if not options:
        return annotate(ctx, ())

    def cmp(a: tuple[tuple[str, ...], bool], b: tuple[tuple[str, ...], bool]) -> int:
        if ctx.gene == "RYR1":
            ma = sum(_malignant(ctx, n) for n in a[0])
            mb = sum(_malignant(ctx, n) for n in b[0])
            if ma != mb:
                return -1 if ma > mb else 1
        else:
            sa, sb = _diplotype_activity(ctx, a[0]), _diplotype_activity(ctx, b[0])
            if sa != sb:
                return -1 if sa < sb else 1
        for x, y in zip(a[0], b[0], strict=False):
            if rez := compare_names(x, y):
                return rez
        return 0

    names, inferred = sorted(options, key=cmp_to_key(cmp))[0]
    return annotate(ctx, names, inferred=inferred or len(options) > 1)
