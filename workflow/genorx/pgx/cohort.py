"""Cohort mode: every sample of a multi-sample VCF, all genes, in one pass.

The VCF is read once (``read_sample_genotypes``: per record, the genotype array of all
samples at once). Per gene, samples with identical genotype vectors (allele codes,
phasing, phase sets and statuses at every defining position) form one group: the group
is matched once and its call copied to every member. Real cohorts have few distinct
vectors per gene (the 1000 Genomes panel: tens to a few hundred out of 3,202), so the
matching cost follows the number of distinct vectors, not the number of samples.
``threads > 1``: the parent reads once, forked worker processes match the genes (spread by
cost: distinct genotype vectors x positions).
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

import numpy as np

from genorx.errors import GenorxError
from genorx.pgx.calls import GeneCall
from genorx.pgx.definitions import GeneDefinition
from genorx.pgx.genotypes import GeneGenotypes, GenotypeSet, LocusCall, SampleGenotypes, read_sample_genotypes
from genorx.pgx.match import MatchOptions, call_gene


def genotype_groups(gg: GeneGenotypes) -> tuple[np.ndarray, np.ndarray]:
    """(representative sample index per group, group index per sample) over identical rows."""
    n = gg.codes.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    het = gg.codes[:, :, 0] != gg.codes[:, :, 1]
    phased = gg.phased & het  # phasing only matters at heterozygous positions
    ps = np.where(phased, gg.phase_set, 0)
    # overall "phased" flag of the call depends on every position's separator
    all_phased = (gg.phased | (gg.status != 0)).all(axis=1)
    rows = np.concatenate(
        [
            gg.codes.reshape(n, -1).astype(np.int64),
            phased.astype(np.int64),
            ps,
            gg.status.astype(np.int64),
            all_phased[:, None].astype(np.int64),
        ],
        axis=1,
    )
    # only columns that differ between samples tell groups apart (most are constant)
    rows = rows[:, (rows != rows[:1]).any(axis=0)]
    if rows.shape[1] == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(n, dtype=np.int64)
    rows = np.ascontiguousarray(rows)
    view = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(view, return_index=True, return_inverse=True)
    return first, inverse.ravel()


def call_groups(
    defn: GeneDefinition, gg: GeneGenotypes, samples: list[str], options: MatchOptions
) -> tuple[list[GeneCall], np.ndarray]:
    """One call per distinct genotype vector + the group index of every sample."""
    first, inverse = genotype_groups(gg)
    group_calls = []
    # LocusCalls repeat across groups (most positions are reference): build each once
    made: dict[tuple, LocusCall] = {}
    codes, phased, ps, status = (
        gg.codes.tolist(),
        gg.phased.tolist(),
        gg.phase_set.tolist(),
        gg.status.tolist(),
    )
    for rep in first.tolist():
        calls = []
        for j in range(len(gg.loci)):
            key = (j, *codes[rep][j], phased[rep][j], ps[rep][j], status[rep][j])
            call = made.get(key)
            if call is None:
                call = made[key] = gg.locus_call(rep, j)
            calls.append(call)
        sg = SampleGenotypes(defn.gene, samples[rep], tuple(calls), tuple(gg.warnings), gg.contig_absent)
        group_calls.append(call_gene(defn, sg, options))
    return group_calls, inverse


def call_gene_cohort(
    defn: GeneDefinition, gg: GeneGenotypes, samples: list[str], options: MatchOptions
) -> list[GeneCall]:
    """Calls for every sample of one gene, matching each distinct genotype vector once."""
    group_calls, inverse = call_groups(defn, gg, samples, options)
    return _expand(group_calls, inverse, samples)


_FIELDS = tuple(f.name for f in fields(GeneCall))
_SAMPLE_AT = _FIELDS.index("sample_id")
_VALUES = attrgetter(*_FIELDS)


def _expand(group_calls: list[GeneCall], inverse: np.ndarray, samples: list[str]) -> list[GeneCall]:
    """One GeneCall per sample (a shallow copy of its group's call, as ``dataclasses.replace``)."""
    values = [list(_VALUES(c)) for c in group_calls]
    out = []
    for i, g in enumerate(inverse.tolist()):
        row = values[g]
        row[_SAMPLE_AT] = samples[i]
        out.append(GeneCall(*row))
    return out


# State handed to forked worker processes (inherited, never pickled): definitions, options,
# VCF arguments and, for VCFs without an index, the genotypes the parent already read.
_SHARED: dict[str, Any] = {}


def _match_genes(genes: list[str]) -> tuple[list[str], dict[str, tuple[list[GeneCall], np.ndarray]]]:
    """Read (unless the parent did) and match some genes; returns compact groups."""
    st = _SHARED
    defs = {g: st["defs"][g] for g in genes}
    gset = st.get("gset")
    if gset is None:
        gset = read_sample_genotypes(st["vcf"], defs, st["samples"], st["targets"], st["absent_as_ref"])
    return gset.samples, {g: call_groups(defs[g], gset.genes[g], gset.samples, st["opts"]) for g in genes}


def _chunks(gset: GenotypeSet, defs: dict[str, GeneDefinition], workers: int) -> list[list[str]]:
    """Genes spread over workers by matching cost (distinct genotype vectors x positions),
    most expensive first onto the least loaded worker."""
    cost = {g: len(genotype_groups(gset.genes[g])[0]) * len(defs[g].loci) for g in defs}
    load = [0.0] * workers
    chunks: list[list[str]] = [[] for _ in range(workers)]
    for g in sorted(defs, key=lambda g: -cost[g]):
        k = load.index(min(load))
        chunks[k].append(g)
        load[k] += cost[g]
    return [c for c in chunks if c]


def call_cohort(
    vcf: Path,
    definitions: dict[str, GeneDefinition],
    samples: list[str] | None = None,
    genes: Sequence[str] | None = None,
    targets_tsv: Path | None = None,
    absent_as_ref: bool = False,
    threads: int = 1,
    options: MatchOptions | None = None,
) -> list[GeneCall]:
    """GeneCalls for every (sample, gene), sample-major in VCF sample order, genes in the
    order given (default: the definitions' order).

    ``threads > 1``: the parent reads the VCF once; forked worker processes (sharing its
    memory: nothing large is pickled) match the genes, spread by matching cost."""
    opts = options or MatchOptions()
    wanted = list(genes) if genes else list(definitions)
    unknown = [g for g in wanted if g not in definitions]
    if unknown:
        raise GenorxError(
            f"unknown gene(s) {', '.join(unknown)}; fix: use one of {', '.join(sorted(definitions))}"
        )
    defs = {g: definitions[g] for g in wanted}
    vcf = Path(vcf)
    workers = max(1, min(int(threads), len(defs)))
    _SHARED.clear()
    _SHARED.update(
        defs=defs, vcf=vcf, samples=samples, targets=targets_tsv, absent_as_ref=absent_as_ref, opts=opts
    )
    try:
        if workers == 1 or "fork" not in mp.get_all_start_methods():
            names, per_gene = _match_genes(wanted)
        else:
            # the parent reads once (reading is a fraction of the work); forked workers share
            # the arrays and match the genes, split by cost known from the data
            gset = _SHARED["gset"] = read_sample_genotypes(vcf, defs, samples, targets_tsv, absent_as_ref)
            per_gene = {}
            chunks = _chunks(gset, defs, workers)
            # the parent matches the first chunk itself while forked workers do the others
            with ProcessPoolExecutor(
                max_workers=max(1, len(chunks) - 1), mp_context=mp.get_context("fork")
            ) as pool:
                futures = [pool.submit(_match_genes, c) for c in chunks[1:]]
                names, per_gene = _match_genes(chunks[0])
                for fut in futures:
                    per_gene.update(fut.result()[1])
    finally:
        _SHARED.clear()
    expanded = {g: _expand(*per_gene[g], names) for g in wanted}
    return [expanded[g][i] for i in range(len(names)) for g in wanted]
