"""Read genotypes at defining positions from a VCF/BCF with cyvcf2 (htslib).

One pass over the file (or over each gene's region when the file is indexed); for every
record at a defining position the genotype array of all samples is taken at once
(``Variant.genotype.array()``: allele indices + phase bit per sample), re-coded into the
locus' allele table and merged with earlier records at the same position (split
multi-allelic records). Chromosome names match with or without ``chr``.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
from cyvcf2 import VCF

from genorx.errors import input_error
from genorx.pgx.alleles import ref_compatible, respell
from genorx.pgx.definitions import GeneDefinition
from genorx.pgx.genotypes import (
    ABSENT,
    CONTIG_ABSENT,
    HAPLOID_CODE,
    MISSING_CODE,
    NO_CALL,
    OK,
    REF_MISMATCH,
    UNKNOWN_ALT,
    GeneGenotypes,
    GenotypeSet,
)


def norm_chrom(chrom: str) -> str:
    return chrom[3:] if chrom.lower().startswith("chr") else chrom


def _open(path: Path, samples: list[str] | None) -> tuple[VCF, list[str]]:
    if not path.exists():
        raise input_error(path, None, "VCF not found", "pass an existing VCF/BCF file")
    try:
        vcf = VCF(str(path), gts012=False, lazy=True)
    except (OSError, ValueError) as exc:
        raise input_error(
            path, None, f"not a readable VCF/BCF ({exc})", "pass a valid VCF/BCF file"
        ) from None
    all_samples = list(vcf.samples)
    if not all_samples:
        raise input_error(path, "header", "the VCF has no sample columns", "pass a VCF with genotypes")
    if samples:
        unknown = [s for s in samples if s not in all_samples]
        if unknown:
            raise input_error(
                path,
                "header",
                f"sample(s) {', '.join(unknown)} not in the VCF (it has {len(all_samples)}: "
                f"{', '.join(all_samples[:5])}{'...' if len(all_samples) > 5 else ''})",
                "pass --sample with a sample ID from the VCF header",
            )
        vcf.set_samples(list(dict.fromkeys(samples)))
    return vcf, list(vcf.samples)


def _has_index(path: Path) -> bool:
    return any(Path(str(path) + ext).exists() for ext in (".tbi", ".csi"))


def scan_vcf(path: Path, definitions: dict[str, GeneDefinition], samples: list[str] | None) -> GenotypeSet:
    vcf, names = _open(path, samples)
    n = len(names)
    genes = {g: GeneGenotypes.empty(d, n) for g, d in definitions.items()}
    wanted: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for g, d in definitions.items():
        for j, locus in enumerate(d.loci):
            wanted[(norm_chrom(locus.chrom), locus.position)].append((g, j))
    seen_contigs: set[str] = {norm_chrom(c) for c in (vcf.seqnames or [])}
    touched: dict[tuple[str, int], int] = defaultdict(int)
    try:
        for rec in _records(vcf, path, definitions):
            chrom = norm_chrom(rec.CHROM)
            seen_contigs.add(chrom)
            targets = wanted.get((chrom, rec.POS))
            if not targets:
                continue
            _take_record(rec, path, targets, genes, touched)
    except (OSError, ValueError, RuntimeError) as exc:
        raise input_error(path, None, f"corrupt or truncated VCF ({exc})", "re-create the VCF file") from None
    for g, d in definitions.items():
        gg = genes[g]
        if norm_chrom(d.chromosome) not in seen_contigs:
            gg.contig_absent = True
            gg.status[:] = CONTIG_ABSENT
            for j in range(len(d.loci)):
                gg.locus_reasons[j] = f"contig {d.chromosome} not in the VCF"
    vcf.close()
    return GenotypeSet(vcf=path, samples=names, genes=genes)


def _records(vcf: VCF, path: Path, definitions: dict[str, GeneDefinition]):  # noqa: ANN202
    if not _has_index(path):
        yield from vcf
        return
    contigs = list(vcf.seqnames or [])
    by_norm = {norm_chrom(c): c for c in contigs}
    done: set[tuple[str, int]] = set()
    for d in definitions.values():
        if not d.loci:
            continue
        chrom = by_norm.get(norm_chrom(d.chromosome))
        if chrom is None:
            continue
        start = min(locus.position for locus in d.loci)
        end = max(locus.position + len(locus.ref) for locus in d.loci)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no intervals found": the gene has no record
            region = list(vcf(f"{chrom}:{start}-{end}"))
        for rec in region:
            key = (rec.CHROM, rec.POS, rec.REF, ",".join(rec.ALT))
            if (rec.POS, hash(key)) in done:
                continue
            done.add((rec.POS, hash(key)))
            yield rec


def _take_record(rec, path: Path, targets, genes: dict[str, GeneGenotypes], touched) -> None:  # noqa: ANN001
    gt = rec.genotype
    n = next(iter(genes.values())).codes.shape[0]
    if gt is None:
        arr = np.full((n, 3), -1, dtype=np.int16)
    else:
        arr = np.asarray(gt.array(), dtype=np.int16)
        if arr.shape[1] < 3:  # haploid-only records: [allele, phase]
            arr = np.column_stack([arr[:, 0], np.full(n, HAPLOID_CODE, np.int16), arr[:, -1]])
        elif arr.shape[1] > 3:  # polyploid: keep the first two alleles
            arr = np.column_stack([arr[:, 0], arr[:, 1], arr[:, -1]])
    ps_arr = _phase_sets(rec, n)
    vcf_alleles = [rec.REF, *rec.ALT]
    for gene, j in targets:
        gg = genes[gene]
        locus = gg.loci[j]
        where = f"{rec.CHROM}:{rec.POS}"
        if not ref_compatible(rec.REF, locus.ref):
            gg.status[:, j] = REF_MISMATCH
            msg = (
                f"{path}:{where}: REF {rec.REF} differs from the reference {locus.ref} of "
                f"{gene} {locus.rsid or ''} (GRCh38); fix: call variants against GRCh38 and "
                f"normalise with bcftools norm -f GRCh38.fa"
            )
            gg.locus_reasons[j] = msg
            if msg not in gg.warnings:
                gg.warnings.append(msg)
            continue
        # map VCF allele index -> code in the locus allele table
        table = gg.allele_table[j]
        mapping = np.empty(len(vcf_alleles), dtype=np.int16)
        for k, allele in enumerate(vcf_alleles):
            spelled = respell(rec.REF, allele, locus.ref) if allele not in ("*", ".") else None
            spelled = spelled if spelled is not None else f"{allele}?"
            if spelled not in table:
                table.append(spelled)
            mapping[k] = table.index(spelled)
        _merge(gg, j, arr, mapping, ps_arr, first=touched[(gene, j)] == 0)
        touched[(gene, j)] += 1


def _phase_sets(rec, n: int) -> np.ndarray:  # noqa: ANN001
    """PS per sample (0 = none); PS may be undeclared (then cyvcf2 gives strings)."""
    try:
        ps = rec.format("PS")
    except KeyError:
        ps = None
    if ps is None:
        return np.zeros(n, dtype=np.int64)
    ps = np.asarray(ps).reshape(n, -1)[:, 0]
    if ps.dtype.kind in "iu":
        out = ps.astype(np.int64)
    else:
        out = np.array([int(x) if str(x).lstrip("-").isdigit() else 0 for x in ps], dtype=np.int64)
    out[out < 0] = 0
    return out


def _merge(
    gg: GeneGenotypes, j: int, arr: np.ndarray, mapping: np.ndarray, ps: np.ndarray, first: bool
) -> None:
    raw = arr[:, :2]
    coded = np.where(raw >= 0, mapping[np.clip(raw, 0, None)], raw).astype(np.int16)
    phased = arr[:, 2].astype(bool) & (raw[:, 1] != HAPLOID_CODE)
    if first:
        gg.codes[:, j, :] = coded
        gg.phased[:, j] = phased
        gg.phase_set[:, j] = np.where(phased, ps, 0)
    else:
        old = gg.codes[:, j, :]
        missing = (old == MISSING_CODE) | (coded == MISSING_CODE)
        take_new = (old == 0) & (coded > 0)
        merged = np.where(take_new, coded, old)
        merged[missing] = MISSING_CODE
        conflict = (old > 0) & (coded > 0) & (old != coded)
        if conflict.any():
            msg = f"{gg.gene}: overlapping records at {gg.loci[j].label} give conflicting alleles"
            if msg not in gg.warnings:
                gg.warnings.append(msg)
        gg.codes[:, j, :] = merged
        gg.phased[:, j] &= phased
    codes = gg.codes[:, j, :]
    is_missing = (codes == MISSING_CODE).any(axis=1)
    unknown = (codes >= gg.known_count(j)).any(axis=1)
    gg.status[:, j] = np.where(is_missing, NO_CALL, np.where(unknown, UNKNOWN_ALT, OK))
    gg.status[:, j][gg.status[:, j] == ABSENT] = OK
