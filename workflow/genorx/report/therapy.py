"""Therapy-table rows: one per drug recommendation, one per drug not assessed, plus combined rows.

The same rows, in the same order and with the same cell strings, are written to
``therapy.tsv``, ``report.json`` (``therapy``) and ``report.html`` (drug summary).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from genorx.report.actions import ActionRules
from genorx.report.inputs import NotAssessed, PgxSample, Recommendation
from genorx.report.prose import one_line, plain_text

COLUMNS: tuple[str, ...] = (
    "sample_id",
    "drug",
    "genes",
    "phenotypes",
    "classification",
    "population",
    "action",
    "source",
    "recommendation",
    "guideline_url",
    "kb_version",
    "evidence_status",
    "evidence_notes",
    "row_type",
    "rule_id",
    "prs_pgs_id",
    "prs_percentile",
    "prs_reference_population",
    "demonstration",
)

MAX_NAMED = 10  # missing positions named per gene in a row's notes (report.json lists them all)
STATUS_ORDER = {"complete": 0, "incomplete": 1, "not_assessed": 2}
ROW_TYPE_ORDER = {"combined": 0, "pgx": 1, "no_recommendation": 2, "not_assessed": 3}


@dataclass(frozen=True, slots=True)
class TherapyRow:
    sample_id: str
    drug: str
    genes: tuple[str, ...]
    phenotypes: tuple[tuple[str, str], ...]
    classification: str
    action: str
    source: str
    recommendation: str
    guideline_urls: tuple[str, ...]
    kb_version: str
    evidence_status: str  # complete | incomplete | not_assessed
    evidence_notes: tuple[str, ...]
    row_type: str  # combined | pgx | no_recommendation | not_assessed
    rule_id: str = ""
    prs_pgs_id: str = ""
    prs_percentile: float | None = None
    prs_reference_population: str = ""
    demonstration: bool = False
    population: str = ""
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    def cells(self) -> dict[str, str]:
        """The row as the strings written to every output (one line each)."""
        cells = {
            "sample_id": self.sample_id,
            "drug": self.drug,
            "genes": ",".join(self.genes),
            "phenotypes": "; ".join(f"{g}: {p}" for g, p in self.phenotypes),
            "classification": self.classification,
            "population": self.population,
            "action": self.action,
            "source": self.source,
            "recommendation": self.recommendation,
            "guideline_url": " ".join(self.guideline_urls),
            "kb_version": self.kb_version,
            "evidence_status": self.evidence_status,
            "evidence_notes": "; ".join(self.evidence_notes),
            "row_type": self.row_type,
            "rule_id": self.rule_id,
            "prs_pgs_id": self.prs_pgs_id,
            "prs_percentile": "" if self.prs_percentile is None else f"{self.prs_percentile:.1f}",
            "prs_reference_population": self.prs_reference_population,
            "demonstration": "yes" if self.demonstration else "no",
        }
        return {k: one_line(v) for k, v in cells.items()}


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def evidence(rec: Recommendation, pgx: PgxSample) -> tuple[str, tuple[str, ...]]:
    """``complete``/``incomplete`` and notes naming every missing position and ambiguous call.

    The PGx stage's own status and notes are kept; the report adds what it finds in the gene
    calls, so a recommendation that depends on a gene with missing positions is never
    reported as complete.
    """
    notes = list(rec.evidence_notes)
    found = False  # a gap found in the gene calls (the PGx stage's own notes may be informational)
    for gene in rec.genes:
        call = pgx.gene(gene)
        if call is None:
            notes.append(f"{gene}: no genotype call in pgx.json")
            found = True
            continue
        said = [n for n in notes if n.startswith(f"{gene}: ")]  # the PGx stage may have named it already
        if call.call_status == "no_call":
            if not any(n.startswith(f"{gene}: not called") for n in said):
                notes.append(
                    f"{gene}: not called" + (f" ({call.no_call_reason})" if call.no_call_reason else "")
                )
            found = True
        elif call.call_status == "ambiguous":
            if not any(n.startswith(f"{gene}: ambiguous") for n in said):
                notes.append(f"{gene}: ambiguous call {call.diplotype_text}")
            found = True
        found = found or bool(call.missing)
        unnamed = [m for m in call.missing if not any(f"{m.chrom}:{m.pos}" in n for n in notes)]
        if unnamed:
            more = f" and {len(unnamed) - MAX_NAMED} more" if len(unnamed) > MAX_NAMED else ""
            notes.append(f"{gene}: missing " + ", ".join(m.label for m in unnamed[:MAX_NAMED]) + more)
    notes = [one_line(n) for n in _unique(notes)]
    status = "incomplete" if rec.evidence_status == "incomplete" or found else "complete"
    return status, tuple(notes)


FLAG_PHRASES = {
    "alternate_drug_available": "alternative-drug advice",
    "dosing_information": "dosing guidance",
    "other_prescribing_guidance": "other prescribing guidance",
}


def _no_prose(rec: Recommendation) -> str:
    """What a recommendation without KB prose says: its flags, and where the text is."""
    said = [phrase for flag, phrase in FLAG_PHRASES.items() if rec.flags.get(flag)]
    if said:
        lead = "Guideline gives " + ", ".join(said)
    elif rec.flags:
        lead = "No dosing or alternative-drug guidance for this genotype"
    else:
        lead = "See the guideline"
    where = (rec.guideline_url or "").rstrip("/").rsplit("/", 1)[-1] or rec.guideline_name or rec.source
    text = f"{lead}. Text not in the bundled KB (genorx kb fetch adds it); guideline {where}."
    if rec.implications:
        text += " Implications: " + "; ".join(plain_text(i) for i in rec.implications) + "."
    return text


def _phenotypes(genes: Iterable[str], given: dict[str, str], pgx: PgxSample) -> tuple[tuple[str, str], ...]:
    out = []
    for gene in genes:
        pheno = given.get(gene)
        call = pgx.gene(gene)
        if not pheno and call is not None:
            if call.called:
                pheno = call.phenotype or f"{call.diplotype_text} (no phenotype assigned)"
            else:
                pheno = "not called"
        out.append((gene, one_line(pheno or "not called")))
    return tuple(out)


def pgx_rows(pgx: PgxSample, actions: ActionRules) -> list[TherapyRow]:
    """Rows for every recommendation and every drug not assessed, in pgx.json order."""
    rows = []
    kb_version = str(pgx.kb.get("version") or "")
    for rec in pgx.recommendations:
        status, notes = evidence(rec, pgx)
        text = plain_text(rec.text)
        action = actions.classify(text or None, rec.classification, rec.flags)
        rows.append(
            TherapyRow(
                sample_id=pgx.sample_id,
                drug=one_line(rec.drug),
                genes=tuple(one_line(g) for g in rec.genes),
                phenotypes=_phenotypes(rec.genes, rec.phenotypes, pgx),
                classification=one_line(rec.classification or ""),
                action=action,
                source=one_line(rec.source),
                recommendation=one_line(text or _no_prose(rec)),
                guideline_urls=_unique([one_line(rec.guideline_url or "")]),
                kb_version=one_line(rec.kb_version or kb_version),
                evidence_status=status,
                evidence_notes=notes,
                row_type="pgx",
                population=one_line(rec.population or ""),
                extra={"guideline_id": rec.guideline_id, "text": text},
            )
        )
    for na in pgx.no_recommendation:
        reason = one_line(na.reason or "no recommendation for this genotype")
        rows.append(_unmatched_row(pgx, na, kb_version, "no_recommendation", f"No recommendation: {reason}."))
    for na in pgx.not_assessed:
        reason = one_line(na.reason or "genes not called")
        text = f"Not assessed: {reason}."
        rows.append(_unmatched_row(pgx, na, kb_version, "not_assessed", text, (reason,)))
    return rows


def _unmatched_row(
    pgx: PgxSample,
    na: NotAssessed,
    kb_version: str,
    row_type: str,
    text: str,
    notes: tuple[str, ...] = (),
) -> TherapyRow:
    """A drug row without a matched recommendation: ``no_recommendation`` (action ``info``,
    evidence complete) or ``not_assessed`` (its genes were not called)."""
    assessed = row_type == "no_recommendation"
    return TherapyRow(
        sample_id=pgx.sample_id,
        drug=one_line(na.drug),
        genes=tuple(one_line(g) for g in na.genes),
        phenotypes=_phenotypes(na.genes, {}, pgx),
        classification="",
        action="info" if assessed else "not_assessed",
        source=one_line(na.source or ""),
        recommendation=text,
        guideline_urls=_unique([one_line(na.guideline_url or "")]),
        kb_version=kb_version,
        evidence_status="complete" if assessed else "not_assessed",
        evidence_notes=notes,
        row_type=row_type,
    )


def ordered(rows: Iterable[TherapyRow], actions: ActionRules) -> list[TherapyRow]:
    """Combined rows first, then by action (most urgent first), drug and source."""
    return sorted(
        rows,
        key=lambda r: (
            ROW_TYPE_ORDER.get(r.row_type, 9),
            actions.action(r.action).rank,
            r.drug.lower(),
            r.source,
        ),
    )


def to_tsv(rows: Iterable[TherapyRow]) -> str:
    buf = io.StringIO()
    buf.write("\t".join(COLUMNS) + "\n")
    for row in rows:
        cells = row.cells()
        buf.write("\t".join(one_line(cells[c]) for c in COLUMNS) + "\n")
    return buf.getvalue()


def read_tsv(text: str) -> list[dict[str, str]]:
    """Rows of a therapy.tsv as dicts (used by the cohort summary and the tests)."""
    lines = text.rstrip("\n").split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:] if line]
