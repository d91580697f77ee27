"""Read genotypes at defining positions from a VCF/BCF with cyvcf2 (htslib).

One pass over the file (or over each gene's region when the file is indexed); for every
record at a defining position the genotype array of all samples is taken at once
(``Variant.genotype.array()``: allele indices + phase bit per sample), re-coded into the
locus' allele table and merged with earlier records at the same position (split
multi-allelic records). Chromosome names match with or without ``chr``.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from pathlib import Path

import numpy as np
import pysam
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


def _open(path: Path, samples: list[str] | None) -> tuple[VCF, list[str], list[str]]:
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
    return vcf, list(vcf.samples), all_samples


def _has_index(path: Path) -> bool:
    return any(Path(str(path) + ext).exists() for ext in (".tbi", ".csi"))


def scan_vcf(path: Path, definitions: dict[str, GeneDefinition], samples: list[str] | None) -> GenotypeSet:
    vcf, names, header_samples = _open(path, samples)
    n = len(names)
    genes = {g: GeneGenotypes.empty(d, n) for g, d in definitions.items()}
    wanted: dict[tuple[str, int], list[tuple[str, int]]] = defaultdict(list)
    for g, d in definitions.items():
        for j, locus in enumerate(d.loci):
            wanted[(norm_chrom(locus.chrom), locus.position)].append((g, j))
    # a chromosome counts as present when the VCF has records on it (header contigs do not)
    seen_contigs: set[str] = set()
    touched: dict[tuple[str, int], int] = defaultdict(int)
    try:
        if _is_bcf(path):
            for rec in vcf:
                seen_contigs.add(norm_chrom(rec.CHROM))
                targets = wanted.get((norm_chrom(rec.CHROM), rec.POS))
                if targets:
                    arr, ps = _cyvcf2_arrays(rec, n)
                    _take_record(
                        rec.CHROM, rec.POS, rec.REF, list(rec.ALT), arr, ps, path, targets, genes, touched
                    )
        else:
            columns = _sample_columns(header_samples, names)
            for line in _text_lines(path, vcf, definitions, seen_contigs):
                chrom, pos_text, _rest = line.split("\t", 2)
                pos = int(pos_text)
                targets = wanted.get((norm_chrom(chrom), pos))
                if targets:
                    fields = line.rstrip("\n").split("\t", 9)
                    arr, ps = _text_arrays(fields, columns, len(header_samples))
                    alts = [] if fields[4] == "." else fields[4].split(",")
                    _take_record(chrom, pos, fields[3], alts, arr, ps, path, targets, genes, touched)
    except (OSError, ValueError, RuntimeError, IndexError, EOFError) as exc:
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


def _is_bcf(path: Path) -> bool:
    with gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb") as fh:
        return fh.read(3) == b"BCF"


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _sample_columns(header_samples: list[str], names: list[str]) -> np.ndarray:
    index = {s: k for k, s in enumerate(header_samples)}
    return np.array([index[s] for s in names], dtype=np.int64)


def _windows(positions: list[int], gap: int = 10_000) -> list[tuple[int, int]]:
    """Merge sorted positions closer than ``gap`` into query windows: a tabix seek per position
    costs more than skipping the few lines between close positions, while very wide windows
    decompress many lines far from any position (10 kb was fastest on the 1000 Genomes panel)."""
    out: list[tuple[int, int]] = []
    for pos in sorted(set(positions)):
        if out and pos - out[-1][1] <= gap:
            out[-1] = (out[-1][0], pos)
        else:
            out.append((pos, pos))
    return out


def _text_lines(path: Path, vcf: VCF, definitions: dict[str, GeneDefinition], seen: set[str]):  # noqa: ANN202
    """Data lines: the windows around defining positions (bgzipped + indexed file) or all.

    Only the CHROM/POS of a line are looked at before it is known to be needed, so lines
    at other positions cost little (no genotype parsing)."""
    if _has_index(path) and _is_gzip(path):
        tbx = pysam.TabixFile(str(path))
        contigs = list(tbx.contigs)
        seen.update(norm_chrom(c) for c in contigs)
        by_norm = {norm_chrom(c): c for c in contigs}
        per_chrom: dict[str, list[int]] = defaultdict(list)
        for d in definitions.values():
            chrom = by_norm.get(norm_chrom(d.chromosome))
            if chrom is not None:
                per_chrom[chrom].extend(locus.position for locus in d.loci)
        for chrom, positions in per_chrom.items():
            for start, end in _windows(positions):
                yield from tbx.fetch(chrom, start - 1, end)
        tbx.close()
        return
    opener = gzip.open if _is_gzip(path) else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            seen.add(norm_chrom(line.split("\t", 1)[0]))
            yield line


_GT_CACHE: dict[str, tuple[int, int, int]] = {}


def _parse_gt(gt: str) -> tuple[int, int, int]:
    """'0|1' -> (0, 1, 1); '1/.' -> (1, -1, 0); '0' -> (0, -2, 0) (haploid)."""
    hit = _GT_CACHE.get(gt)
    if hit is not None:
        return hit
    phased = 1 if "|" in gt else 0
    parts = gt.replace("|", "/").split("/")
    codes = [-1 if p in (".", "") else int(p) for p in parts]
    value = (codes[0], codes[1] if len(codes) > 1 else HAPLOID_CODE, phased)
    if len(_GT_CACHE) < 100_000:
        _GT_CACHE[gt] = value
    return value


def _fixed_width_gt(samples_text: str, n_all: int, columns: np.ndarray) -> np.ndarray | None:
    """GT-only sample columns that are all diploid one-digit calls ("0|1", "1/1"), decoded at
    once from the bytes: (samples, 3) = allele 1, allele 2, phased. None when any differs."""
    raw = np.frombuffer(samples_text.encode("ascii", "replace"), dtype=np.uint8)
    if raw.size != 4 * n_all - 1:
        return None
    cells = np.empty(4 * n_all, dtype=np.uint8)
    cells[:-1] = raw
    cells[-1] = 9  # tab
    cells = cells.reshape(n_all, 4)[columns]
    a, sep, b, tab = cells[:, 0], cells[:, 1], cells[:, 2], cells[:, 3]
    digits = (a >= 48) & (a <= 57) & (b >= 48) & (b <= 57)
    if not (digits.all() and ((sep == 124) | (sep == 47)).all() and (tab == 9).all()):
        return None
    out = np.empty((len(columns), 3), dtype=np.int16)
    out[:, 0] = a.astype(np.int16) - 48
    out[:, 1] = b.astype(np.int16) - 48
    out[:, 2] = sep == 124
    return out


def _text_arrays(fields: list[str], columns: np.ndarray, n_all: int) -> tuple[np.ndarray, np.ndarray]:
    """Genotype array of a record split as ``line.split("\\t", 9)`` (samples not split yet)."""
    n = len(columns)
    fmt = fields[8].split(":") if len(fields) > 8 else []
    if fmt == ["GT"]:
        fast = _fixed_width_gt(fields[9], n_all, columns)
        if fast is not None:
            return fast, np.zeros(n, dtype=np.int64)
    fields = fields[:9] + (fields[9].split("\t") if len(fields) > 9 else [])
    if not fmt or fmt[0] != "GT":
        return np.full((n, 3), MISSING_CODE, dtype=np.int16), np.zeros(n, dtype=np.int64)
    samples = fields[9:]
    ps_at = fmt.index("PS") if "PS" in fmt else -1
    if len(fmt) == 1:
        gts = [samples[c] for c in columns]
        ps = np.zeros(n, dtype=np.int64)
    else:
        split = [samples[c].split(":") for c in columns]
        gts = [s[0] for s in split]
        ps = np.zeros(n, dtype=np.int64)
        if ps_at >= 0:
            ps = np.array(
                [int(s[ps_at]) if len(s) > ps_at and s[ps_at].isdigit() else 0 for s in split], dtype=np.int64
            )
    arr = np.array([_parse_gt(g) for g in gts], dtype=np.int16).reshape(n, 3)
    return arr, ps


def _cyvcf2_arrays(rec, n: int) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    gt = rec.genotype
    if gt is None:
        arr = np.full((n, 3), -1, dtype=np.int16)
    else:
        arr = np.asarray(gt.array(), dtype=np.int16)
        if arr.shape[1] < 3:  # haploid-only records: [allele, phase]
            arr = np.column_stack([arr[:, 0], np.full(n, HAPLOID_CODE, np.int16), arr[:, -1]])
        elif arr.shape[1] > 3:  # polyploid: keep the first two alleles
            arr = np.column_stack([arr[:, 0], arr[:, 1], arr[:, -1]])
    return arr, _phase_sets(rec, n)


def _take_record(
    chrom: str,
    pos: int,
    ref: str,
    alts: list[str],
    arr: np.ndarray,
    ps_arr: np.ndarray,
    path: Path,
    targets: list[tuple[str, int]],
    genes: dict[str, GeneGenotypes],
    touched: dict[tuple[str, int], int],
) -> None:
    vcf_alleles = [ref, *alts]
    for gene, j in targets:
        gg = genes[gene]
        locus = gg.loci[j]
        where = f"{chrom}:{pos}"
        if not ref_compatible(ref, locus.ref):
            gg.status[:, j] = REF_MISMATCH
            msg = (
                f"{path}:{where}: REF {ref} differs from the reference {locus.ref} of "
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
            spelled = respell(ref, allele, locus.ref) if allele not in ("*", ".") else None
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
