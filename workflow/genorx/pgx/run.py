"""``genorx pgx call`` as a function: VCF -> calls -> phenotypes -> recommendations -> outputs.

Inputs are validated before any work (KB, genes, VCF, samples, targets, outside calls) and
the outputs are written together at the end, so a failed run leaves no partial output.
Samples of a multi-sample VCF are called in one pass (:func:`genorx.pgx.cohort.call_cohort`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from genorx.errors import GenorxError, input_error
from genorx.kb.load import load_kb, require_genes
from genorx.kb.model import KnowledgeBase
from genorx.pgx.calls import GeneCall
from genorx.pgx.cohort import call_cohort
from genorx.pgx.output import gene_sources, sample_json, write_outputs
from genorx.pgx.outside import read_outside_calls
from genorx.pgx.phenotype import GeneContext, gene_context
from genorx.pgx.recommend import recommend
from genorx.pgx.results import (
    NOT_CALLED_BY_DEFAULT,
    OUTSIDE_ONLY_NOTE,
    GeneResult,
    OutsideCall,
    from_call,
    from_outside,
    not_called,
)


@dataclass(slots=True)
class PgxRequest:
    vcf: Path
    kb: Path
    out: Path
    json: Path | None = None
    targets: Path | None = None
    samples: list[str] = field(default_factory=list)
    genes: list[str] = field(default_factory=list)
    threads: int = 1
    absent_as_ref: bool = False
    outside_call: Path | None = None


@dataclass(slots=True)
class PgxRun:
    kb: KnowledgeBase
    samples: list[str]
    rows: list[GeneResult]  # the TSV rows, sample-major
    per_sample: list[dict[str, GeneResult]]  # every guideline gene, called or not
    shown: list[str]  # genes with a row
    interest: set[str]  # genes whose guidelines are reported

    def documents(self) -> Iterator[dict[str, Any]]:
        """The JSON ``samples`` entries, one at a time (recommendations matched here)."""
        sources = gene_sources(self.kb)
        cache: dict[tuple, Any] = {}
        for sample, results in zip(self.samples, self.per_sample, strict=True):
            recs = recommend(self.kb, results, self.interest, cache)
            yield sample_json(sample, [results[g] for g in self.shown], recs, sources)


def _vcf_samples(vcf: Path) -> list[str]:
    from cyvcf2 import VCF

    try:
        return list(VCF(str(vcf)).samples)
    except (OSError, ValueError) as exc:
        raise input_error(vcf, None, f"not a readable VCF/BCF ({exc})", "pass a valid VCF/BCF file") from None


def _validate(req: PgxRequest, kb: KnowledgeBase) -> tuple[list[str], dict[str, OutsideCall]]:
    if not req.vcf.is_file():
        raise input_error(req.vcf, None, "VCF not found", "pass an existing VCF/BCF file with --vcf")
    if req.targets is not None and not req.targets.is_file():
        raise input_error(req.targets, None, "targets file not found", "pass the call stage's targets.tsv.gz")
    if req.threads < 1:
        raise GenorxError(f"--threads {req.threads}: must be at least 1; fix: pass --threads 1 or more")
    if req.genes:
        require_genes(kb, req.genes)
        genes = list(dict.fromkeys(req.genes))
    else:
        genes = [g for g in kb.genes if g not in NOT_CALLED_BY_DEFAULT]
    outside: dict[str, OutsideCall] = {}
    if req.outside_call is not None:
        outside = read_outside_calls(req.outside_call, set(kb.genes) | set(kb.guideline_genes))
    return genes, outside


def _assessable(result: GeneResult) -> bool:
    if result.called:
        return True
    call = result.call
    return call is not None and any(g.status == "ok" for g in call.genotypes_used)


def run_pgx(req: PgxRequest) -> PgxRun:
    kb = load_kb(req.kb)
    genes, outside = _validate(req, kb)
    to_call = [g for g in genes if g not in outside]
    if to_call:
        calls = call_cohort(
            req.vcf,
            kb.definitions,
            samples=req.samples or None,
            genes=to_call,
            targets_tsv=req.targets,
            absent_as_ref=req.absent_as_ref,
            threads=req.threads,
        )
        samples = list(dict.fromkeys(c.sample_id for c in calls))
    else:
        all_samples = _vcf_samples(req.vcf)
        unknown = [s for s in req.samples if s not in all_samples]
        if unknown:
            raise input_error(
                req.vcf, "header", f"sample(s) {', '.join(unknown)} not in the VCF", "pass --sample"
            )
        samples, calls = (list(dict.fromkeys(req.samples)) or all_samples), []
    if outside and len(samples) > 1:
        raise input_error(
            req.outside_call,
            None,
            "outside calls describe one sample but the run has several",
            "pick the sample with --sample",
        )
    by_sample: dict[str, dict[str, GeneCall]] = {s: {} for s in samples}
    for c in calls:
        by_sample[c.sample_id][c.gene] = c
    contexts = {g: gene_context(kb, g) for g in sorted(set(kb.genes) | set(kb.guideline_genes))}
    explicit = set(req.genes)
    interest = set(genes) | set(outside) | (set(kb.guideline_genes) if not req.genes else set())
    shown = [
        g for g in contexts if g in genes or g in outside or (not req.genes and g in NOT_CALLED_BY_DEFAULT)
    ]
    rows: list[GeneResult] = []
    per_sample: list[dict[str, GeneResult]] = []
    for sample in samples:
        results = {
            g: _result(ctx, sample, by_sample[sample].get(g), outside.get(g), explicit)
            for g, ctx in contexts.items()
        }
        per_sample.append(results)
        rows += [results[g] for g in shown]
    requested = [r for r in rows if r.gene in genes or r.gene in outside]
    if requested and not any(_assessable(r) for r in requested):
        reasons = sorted({f"{r.gene}: {r.no_call_reason}" for r in requested if r.no_call_reason})
        raise input_error(
            req.vcf,
            None,
            "no requested gene can be assessed (" + "; ".join(reasons[:6]) + ")",
            "check that the VCF covers the genes' defining positions (resources/kb/targets.bed) "
            "and uses GRCh38",
        )
    return PgxRun(kb, samples, rows, per_sample, shown, interest)


def _result(
    ctx: GeneContext, sample: str, call: GeneCall | None, outside: OutsideCall | None, explicit: set[str]
) -> GeneResult:
    gene = ctx.gene
    if outside is not None:
        return from_outside(ctx, sample, outside)
    if call is not None:
        return from_call(ctx, call)
    if gene in NOT_CALLED_BY_DEFAULT and gene not in explicit:
        return not_called(ctx, sample, NOT_CALLED_BY_DEFAULT[gene])
    if ctx.reference_allele is None:  # no allele definition: HLA-A, HLA-B, MT-RNR1
        return not_called(ctx, sample, OUTSIDE_ONLY_NOTE.format(gene=gene))
    return not_called(ctx, sample, f"{gene} not requested (--gene)")


def write_run(req: PgxRequest, run: PgxRun) -> int:
    """Write the outputs; returns the number of recommendations written."""
    info = {
        "vcf": str(req.vcf),
        "targets": str(req.targets) if req.targets else None,
        "samples": run.samples,
        "genes_requested": req.genes or "default: every KB gene (CYP2D6 not called from VCF, as in PharmCAT)",
        "absent_as_ref": req.absent_as_ref,
        "outside_call": str(req.outside_call) if req.outside_call else None,
    }
    return write_outputs(req.out, req.json, run.kb, run.rows, run.documents(), info)
