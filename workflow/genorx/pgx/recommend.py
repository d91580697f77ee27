"""Recommender: every CPIC/DPWG recommendation whose lookup key matches a sample.

As PharmCAT's Reporter: for each guideline, every combination of the genes' recommendation
diplotypes (ties of an ambiguous call give several) and of each diplotype's lookup keys
(HLA gives one per allele of interest) is a candidate genotype ``{gene: key}``; a
recommendation matches when each of its ``lookupKey`` entries is in that genotype. A gene
that was not called takes PharmCAT's ``No Result`` key, so multi-gene guidelines
(rosuvastatin: ABCG2 + SLCO1B1, carbamazepine: HLA-A + HLA-B) still match on the other
genes, and the recommendation is marked ``incomplete``.

Beyond string keys, DPWG entries may be keyed on a diplotype (``{"*1": 1, "*3": 1}``,
matched on the allele counts) or on ``"<score> (<label>)"`` (DPYD, matched on the activity
score). Guidelines no gene of which was called are listed in ``not_assessed``; drugs whose
genes were called but whose guideline has no entry for the result in ``no_recommendation``.
Nothing is dropped silently.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from genorx.kb.model import Guideline, KnowledgeBase, LookupValue, Recommendation
from genorx.pgx.phenotype import NO_RESULT, DiplotypeResult
from genorx.pgx.results import GeneResult

SOURCE_ORDER = {"CPIC": 0, "DPWG": 1}
NO_LOOKUP_NOTE = (
    "the knowledge base has no phenotype-keyed recommendations for this guideline; "
    "apply the guideline ({url}) to the genotypes above"
)
ALGORITHM_NOTES = {
    ("CPIC", "warfarin"): (
        "CPIC doses warfarin with an algorithm of CYP2C9, VKORC1 and CYP4F2 genotypes and clinical "
        "factors, not by phenotype lookup; apply it ({url}) to the genotypes above"
    ),
}
_SCORE_LABEL = re.compile(r"^(\d+(?:\.\d+)?) \((.+)\)$")
TEXT_NOTE = (
    "recommendation text is not in the bundled KB; it comes with a fetched KB (genorx kb fetch); see {url}"
)


@dataclass(slots=True)
class RecommendationResult:
    drug: str
    source: str
    guideline_id: str
    guideline_name: str
    guideline_url: str
    genes: list[str]
    lookup_key: dict[str, LookupValue]
    phenotypes: dict[str, str]
    diplotypes: dict[str, str]
    classification: str | None
    population: str | None
    recommendation: str | None
    implications: list[str]
    recommendation_id: str | None
    dosing_information: bool
    alternate_drug_available: bool
    other_prescribing_guidance: bool
    kb_version: str
    evidence_status: str
    evidence_notes: list[str] = field(default_factory=list)
    text_note: str | None = None


@dataclass(slots=True)
class Unmatched:
    """A drug of a guideline without a matching recommendation, and why."""

    drug: str
    source: str
    guideline_id: str
    guideline_url: str
    genes: list[str]
    reason: str


@dataclass(slots=True)
class RecommendationSet:
    recommendations: list[RecommendationResult]
    not_assessed: list[Unmatched]
    no_recommendation: list[Unmatched]


def value_matches(value: LookupValue, key: str | None, dip: DiplotypeResult) -> bool:
    """Does a recommendation's lookup value for one gene match this diplotype and key?"""
    if isinstance(value, dict):
        if dip.unknown:
            return False
        counts = {k: float(v) for k, v in dip.diplotype_key.items()}
        return counts == {k: float(v) for k, v in value.items()}
    if key is not None and value == key:
        return True
    m = _SCORE_LABEL.match(value)
    return bool(m and dip.activity_score is not None and key == dip.activity_score == m.group(1))


def _matches(rec: Recommendation, genes: tuple[str, ...], keys: tuple[str | None, ...], dips: tuple) -> bool:
    index = {g: i for i, g in enumerate(genes)}
    for gene, value in rec.lookup_key.items():
        i = index.get(gene)
        if i is None or not value_matches(value, keys[i], dips[i]):
            return False
    return bool(rec.lookup_key)


def _gene_evidence(g: str, r: GeneResult) -> tuple[bool, tuple[str, ...]]:
    """(incomplete?, notes) of one gene's result."""
    if not r.called:
        return True, (f"{g}: not called ({r.no_call_reason or 'no data'}); looked up as {NO_RESULT}",)
    notes: list[str] = []
    incomplete = False
    if r.call_status == "ambiguous":
        incomplete = True
        notes.append(f"{g}: ambiguous call ({r.display})")
    missing = r.call.missing_positions if r.call is not None else []
    if missing:
        incomplete = True
        shown = ", ".join(f"{m.chrom}:{m.pos} ({m.reason})" for m in missing[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        notes.append(f"{g}: missing {shown}{more}")
    if r.inferred:
        notes.append(f"{g}: recommendation diplotype inferred from the lowest-function alleles")
    if r.source == "outside":
        notes.append(f"{g}: from an outside call")
    return incomplete, tuple(notes)


def _evidence(
    genes: tuple[str, ...], results: dict[str, GeneResult], memo: dict[str, tuple[bool, tuple[str, ...]]]
) -> tuple[str, tuple[str, ...]]:
    """``complete``/``incomplete`` and the notes of a guideline's genes (``memo``: per sample)."""
    incomplete, notes = False, ()
    for g in genes:
        if g not in memo:
            memo[g] = _gene_evidence(g, results[g])
        inc, n = memo[g]
        incomplete = incomplete or inc
        notes += n
    return ("incomplete" if incomplete else "complete"), notes


def _describe(genes: list[str], results: dict[str, GeneResult]) -> str:
    parts = []
    for g in genes:
        r = results[g]
        if r.called:
            keys = " OR ".join(dict.fromkeys(k for d in r.recommendation_diplotypes for k in d.lookup_keys))
            parts.append(f"{g}={keys or 'no lookup key'}")
    return ", ".join(parts)


def _candidate_keys(dip: DiplotypeResult) -> tuple[str | None, ...]:
    """The gene's lookup keys, then its phenotypes: CPIC looks CYP2C9 up by activity score but
    DPWG by phenotype, and a guideline uses one kind per gene, so offering both is safe."""
    keys = tuple(dict.fromkeys((*dip.lookup_keys, *dip.phenotypes)))
    return keys or (None,)


def _matched(gl: Guideline, genes: tuple[str, ...], results: dict[str, GeneResult]) -> dict[str, tuple]:
    """Recommendation id -> (recommendation, genotype keys, diplotypes) of the first match."""
    out: dict[str, tuple] = {}
    options = [results[g].recommendation_diplotypes for g in genes]
    for dips in itertools.product(*options):
        key_options = [_candidate_keys(d) for d in dips]
        for keys in itertools.product(*key_options):
            for rec in gl.recommendations:
                if rec.id not in out and _matches(rec, genes, keys, dips):
                    out[rec.id] = (rec, keys, dips)
    return out


def _gene_signature(r: GeneResult) -> tuple:
    """Everything of a gene result that the outcome of a guideline depends on."""
    dips = tuple(
        (d.label, d.lookup_keys, d.phenotypes, d.activity_score, tuple(sorted(d.diplotype_key.items())))
        for d in r.recommendation_diplotypes
    )
    return (r.called, r.no_call_reason, r.display, dips)


Outcome = tuple[list[RecommendationResult], list[Unmatched], list[Unmatched]]


def _outcome(kb: KnowledgeBase, gl: Guideline, results: dict[str, GeneResult], evidence: tuple) -> Outcome:
    """Recommendations, not-assessed and unmatched drugs of one guideline for one sample."""
    genes = tuple(gl.genes)
    uncalled = [g for g in genes if not results[g].called]
    if len(uncalled) == len(genes):
        reason = "; ".join(f"{g} not called ({results[g].no_call_reason or 'no data'})" for g in genes)
        return [], [Unmatched(d, gl.source, gl.id, gl.url, list(genes), reason) for d in gl.drugs], []
    status, notes = evidence
    if not gl.recommendations:
        return [_algorithm_entry(kb, gl, d, results, status, list(notes)) for d in gl.drugs], [], []
    recs: list[RecommendationResult] = []
    not_assessed: list[Unmatched] = []
    no_rec: list[Unmatched] = []
    matched = _matched(gl, genes, results)
    for drug in gl.drugs:
        hits = [m for m in matched.values() if not m[0].drugs or drug in m[0].drugs]
        if hits:
            recs += [
                _entry(kb, gl, drug, rec, genes, keys, dips, status, list(notes)) for rec, keys, dips in hits
            ]
            continue
        what = _describe(list(genes), results)
        if uncalled:
            reason = f"{', '.join(uncalled)} not called and no recommendation matches {what}"
            not_assessed.append(Unmatched(drug, gl.source, gl.id, gl.url, list(genes), reason))
        else:
            reason = f"the {gl.source} guideline has no recommendation for {what}"
            no_rec.append(Unmatched(drug, gl.source, gl.id, gl.url, list(genes), reason))
    return recs, not_assessed, no_rec


def recommend(
    kb: KnowledgeBase,
    results: dict[str, GeneResult],
    genes_of_interest: set[str],
    cache: dict[tuple, Any] | None = None,
) -> RecommendationSet:
    """Recommendations for one sample (``results``: every guideline gene, called or not).

    ``cache`` (shared across the samples of a cohort) reuses a guideline's outcome for every
    sample with the same gene results and evidence (entries are shared, never modified).
    """
    recs: list[RecommendationResult] = []
    not_assessed: list[Unmatched] = []
    no_rec: list[Unmatched] = []
    evidence_memo: dict[str, tuple[bool, tuple[str, ...]]] = {}
    ids = cache.setdefault(("__gene_result_ids__",), {}) if cache is not None else {}
    gene_ids: dict[str, int] = {}
    for gl in kb.guidelines:
        genes = tuple(gl.genes)
        if not genes or not set(genes) & genes_of_interest:
            continue
        if cache is None:
            outcome = _outcome(kb, gl, results, _evidence(genes, results, evidence_memo))
        else:
            # each gene result (call + evidence) becomes a small int, so a guideline's key is cheap
            for g in genes:
                if g not in gene_ids:
                    if g not in evidence_memo:
                        evidence_memo[g] = _gene_evidence(g, results[g])
                    token = (g, _gene_signature(results[g]), evidence_memo[g])
                    gene_ids[g] = ids.setdefault(token, len(ids))
            key = (gl.id, tuple(gene_ids[g] for g in genes))
            outcome = cache.get(key)
            if outcome is None:
                outcome = cache[key] = _outcome(kb, gl, results, _evidence(genes, results, evidence_memo))
        recs += outcome[0]
        not_assessed += outcome[1]
        no_rec += outcome[2]
    recs.sort(
        key=lambda r: (r.drug.lower(), SOURCE_ORDER.get(r.source, 9), r.population or "", r.guideline_id)
    )
    return RecommendationSet(recs, not_assessed, no_rec)


def _entry(
    kb: KnowledgeBase,
    gl: Guideline,
    drug: str,
    rec: Recommendation,
    genes: tuple[str, ...],
    keys: tuple[str | None, ...],
    dips: tuple[DiplotypeResult, ...],
    status: str,
    notes: list[str],
) -> RecommendationResult:
    used = [i for i, g in enumerate(genes) if g in rec.lookup_key]
    return RecommendationResult(
        drug=drug,
        source=gl.source,
        guideline_id=gl.id,
        guideline_name=gl.name,
        guideline_url=gl.url,
        genes=list(genes),
        lookup_key=dict(rec.lookup_key),
        phenotypes={genes[i]: dips[i].phenotype or NO_RESULT for i in used},
        diplotypes={genes[i]: dips[i].label for i in used},
        classification=rec.classification,
        population=rec.population,
        recommendation=rec.text,
        implications=list(rec.implications or ()),
        recommendation_id=rec.id,
        dosing_information=rec.dosing_information,
        alternate_drug_available=rec.alternate_drug_available,
        other_prescribing_guidance=rec.other_prescribing_guidance,
        kb_version=kb.info.version,
        evidence_status=status,
        evidence_notes=list(notes),
        text_note=None if rec.text else TEXT_NOTE.format(url=gl.url),
    )


def _algorithm_key(result: GeneResult, dip: DiplotypeResult) -> str:
    if dip.lookup_keys:
        return dip.lookup_keys[0]
    return result.display or NO_RESULT  # genes without phenotypes (CYP4F2): the diplotype itself


def _algorithm_entry(
    kb: KnowledgeBase,
    gl: Guideline,
    drug: str,
    results: dict[str, GeneResult],
    status: str,
    notes: list[str],
) -> RecommendationResult:
    """A guideline without phenotype-keyed recommendations (CPIC warfarin: a dosing algorithm)."""
    genes = list(gl.genes)
    first = {g: results[g].recommendation_diplotypes[0] for g in genes}
    return RecommendationResult(
        drug=drug,
        source=gl.source,
        guideline_id=gl.id,
        guideline_name=gl.name,
        guideline_url=gl.url,
        genes=genes,
        lookup_key={g: _algorithm_key(results[g], first[g]) for g in genes},
        phenotypes={g: p for g in genes if (p := first[g].phenotype)},
        diplotypes={g: results[g].display or NO_RESULT for g in genes},
        classification=None,
        population=None,
        recommendation=None,
        implications=[],
        recommendation_id=None,
        dosing_information=True,
        alternate_drug_available=False,
        other_prescribing_guidance=False,
        kb_version=kb.info.version,
        evidence_status=status,
        evidence_notes=[*notes, ALGORITHM_NOTES.get((gl.source, drug), NO_LOOKUP_NOTE).format(url=gl.url)],
        text_note=f"see the guideline: {gl.url}",
    )
