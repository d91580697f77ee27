"""Combined PRS + PGx rows, driven by the rule set in ``resources/rules/combined_rules.json``.

A rule names a polygenic score (by PGS id, or by trait keywords), percentile bands with
their statements, and the drugs whose pharmacogenomic rows it summarises. Nothing here is
specific to a drug or trait: a new combination is a new entry in the data file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from genorx.errors import input_error
from genorx.paths import bundled
from genorx.report.actions import ActionRules
from genorx.report.inputs import Score
from genorx.report.therapy import STATUS_ORDER, TherapyRow

RULES_FILE = bundled("rules/combined_rules.json")
SCHEMA_FILE = bundled("rules/combined_rules.schema.json")
PGS_ID = re.compile(r"^PGS\d{6}$")


@dataclass(frozen=True, slots=True)
class Band:
    id: str
    min_percentile: float
    label: str
    risk: str
    action: str
    statement: str


@dataclass(frozen=True, slots=True)
class CombinedRule:
    id: str
    title: str
    therapy: str
    prs_label: str
    pgs_ids: tuple[str, ...]
    trait_keywords: tuple[str, ...]
    min_match_rate: float
    bands: tuple[Band, ...]  # highest threshold first
    threshold_kind: str
    threshold_text: str
    references: tuple[str, ...]
    drugs: tuple[str, ...]
    pgx_guideline: str
    question: str
    caveats: tuple[str, ...]
    dose_pattern: re.Pattern[str] | None

    def band(self, percentile: float) -> Band:
        return next(b for b in self.bands if percentile >= b.min_percentile)


@dataclass(frozen=True, slots=True)
class RuleSet:
    name: str
    version: str
    released: str
    policy_note: str
    rules: tuple[CombinedRule, ...]
    path: str
    sha256: str


def _rule(doc: dict[str, Any]) -> CombinedRule:
    prs, pgx, src = doc["prs"], doc["pgx"], doc["threshold_source"]
    bands = sorted((Band(**b) for b in doc["bands"]), key=lambda b: -b.min_percentile)
    return CombinedRule(
        id=doc["id"],
        title=doc["title"],
        therapy=doc["therapy"],
        prs_label=prs["label"],
        pgs_ids=tuple(prs.get("pgs_ids", [])),
        trait_keywords=tuple(prs.get("trait_keywords", [])),
        min_match_rate=float(prs["min_match_rate"]),
        bands=tuple(bands),
        threshold_kind=src["kind"],
        threshold_text=src["text"],
        references=tuple(src.get("references", [])),
        drugs=tuple(d.lower() for d in pgx["drugs"]),
        pgx_guideline=pgx.get("guideline", ""),
        question=pgx.get("question", ""),
        caveats=tuple(doc.get("caveats", [])),
        dose_pattern=re.compile(pgx["dose_pattern"], re.IGNORECASE) if pgx.get("dose_pattern") else None,
    )


def load_rule_set(path: str | Path | None, actions: ActionRules) -> RuleSet:
    """Read and validate a rule set (the bundled one when ``path`` is None)."""
    p = Path(path) if path else RULES_FILE
    fix = "correct the rule file (its format is resources/rules/combined_rules.schema.json)"
    try:
        raw = p.read_bytes()
        doc = json.loads(raw)
    except OSError as exc:
        raise input_error(p, None, f"cannot read combined rules ({exc.strerror})", fix) from exc
    except json.JSONDecodeError as exc:
        raise input_error(p, f"{exc.lineno}", f"not valid JSON ({exc.msg})", fix) from exc
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(x) for x in exc.absolute_path) or "top level"
        raise input_error(p, where, exc.message, fix) from exc
    try:
        rules = tuple(_rule(r) for r in doc["rules"])
    except re.error as exc:
        raise input_error(p, "rules", f"invalid dose_pattern ({exc})", fix) from exc
    for i, rule in enumerate(rules):
        if rule.bands[-1].min_percentile != 0:
            raise input_error(p, f"rules/{i}/bands", "no band starts at percentile 0", fix)
        unknown = [b.action for b in rule.bands if b.action not in actions.actions]
        if unknown:
            raise input_error(p, f"rules/{i}/bands", f"unknown action {unknown[0]!r}", fix)
        if not rule.pgs_ids and not rule.trait_keywords:
            raise input_error(p, f"rules/{i}/prs", "give pgs_ids or trait_keywords", fix)
    if len({r.id for r in rules}) != len(rules):
        raise input_error(p, "rules", "duplicate rule id", fix)
    return RuleSet(
        name=doc["name"],
        version=doc["version"],
        released=doc["released"],
        policy_note=doc["policy_note"],
        rules=rules,
        path=str(p),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def select_score(rule: CombinedRule, scores: tuple[Score, ...]) -> Score | None:
    """The rule's score: the first listed PGS id present, else the first trait keyword match."""
    by_id = {s.pgs_id: s for s in scores}
    for pgs_id in rule.pgs_ids:
        if pgs_id in by_id:
            return by_id[pgs_id]
    for keyword in rule.trait_keywords:
        rx = re.compile(rf"\b{re.escape(keyword)}\b", re.IGNORECASE)
        for s in scores:
            if any(t and rx.search(t) for t in (s.trait, s.trait_mapped)):
                return s
    return None


def pgs_url(pgs_id: str) -> str:
    return f"https://www.pgscatalog.org/score/{pgs_id}/" if PGS_ID.match(pgs_id) else ""


def _prs_part(rule: CombinedRule, score: Score | None) -> tuple[str, list[str], Band | None, str]:
    """(status, notes, band, sentence) for the score side of a rule."""
    if score is None:
        note = (
            f"PRS: no {rule.prs_label} score was computed (configure a scoring file under prs.scoring_files)"
        )
        return "not_assessed", [note], None, f"{rule.prs_label.capitalize()}: not scored."
    demo = " [DEMONSTRATION DATA: synthetic score, not for clinical use]" if score.demonstration else ""
    notes, status = ([f"PRS {score.pgs_id}: demonstration data"] if score.demonstration else []), "complete"
    ref = score.reference
    rate = "" if score.match_rate is None else f", match rate {score.match_rate:.0%}"
    if score.match_rate is not None and score.match_rate < rule.min_match_rate:
        status = "incomplete"
        notes.append(f"PRS {score.pgs_id}: match rate {score.match_rate:.2f} below {rule.min_match_rate:.2f}")
    if ref is None or ref.percentile is None:
        why = score.reference_note or "no reference panel"
        notes.append(f"PRS {score.pgs_id}: {why}; percentile unavailable")
        sentence = f"{rule.prs_label.capitalize()} ({score.pgs_id}{rate}): {why}, so no percentile."
        status = "not_assessed" if score.sum is None else "incomplete"  # failed scores were not scored
        return status, notes, None, demo.strip() + (" " if demo else "") + sentence
    band = rule.band(ref.percentile)
    pop = ref.population or "reference"
    n = f", n={ref.n}" if ref.n else ""
    policy = "configurable policy" if rule.threshold_kind == "configurable policy" else "guideline"
    threshold = rule.bands[0].min_percentile
    sentence = (
        f"{rule.prs_label.capitalize()}: percentile {ref.percentile:.1f} of {pop}{n} ({score.pgs_id}{rate}); "
        f"{band.label} (threshold: percentile >= {threshold:g}, {policy}). {band.statement}"
    )
    return status, notes, band, (demo.strip() + " " if demo else "") + sentence


def _pgx_part(rule: CombinedRule, rows: list[TherapyRow], actions: ActionRules) -> tuple[str, list[str], str]:
    """(status, notes, sentence) for the drug side of a rule."""
    assessed = [r for r in rows if r.row_type in ("pgx", "no_recommendation")]
    skipped = [r for r in rows if r.row_type == "not_assessed"]
    notes = []
    for r in skipped:
        notes.append(f"PGx: {r.drug} not assessed ({'; '.join(r.evidence_notes) or 'genes not called'})")
    for r in assessed:
        notes += [f"{r.drug}: {n}" for n in r.evidence_notes]
    if not assessed:
        drugs = ", ".join(sorted({r.drug for r in skipped})) or ", ".join(rule.drugs)
        reason = "; ".join(dict.fromkeys(n for r in skipped for n in r.evidence_notes)) or "no recommendation"
        return "not_assessed", notes, f"Genotype: {drugs} not assessed ({reason})."
    status = "incomplete" if skipped or any(r.evidence_status != "complete" for r in assessed) else "complete"
    groups: dict[str, list[str]] = {}
    for r in sorted(assessed, key=lambda r: (actions.action(r.action).rank, r.drug, r.source)):
        phen = ", ".join(f"{g} {p}" for g, p in r.phenotypes)
        dose = rule.dose_pattern.search(r.recommendation) if rule.dose_pattern else None
        hint = f"{dose.group(0)}; " if dose and r.action == "adjust" else ""
        label = f"{r.drug} ({hint}{r.source} {r.classification or 'unclassified'}; {phen})"
        if r.evidence_status != "complete":
            label += " [incomplete]"
        groups.setdefault(actions.action(r.action).label, []).append(label)
    body = "; ".join(f"{label}: {', '.join(items)}" for label, items in groups.items())
    lead = f"Genotype ({rule.question})" if rule.question else "Genotype"
    sentence = f"{lead}: {body}."
    if skipped:
        sentence += " Not assessed: " + ", ".join(sorted({r.drug for r in skipped})) + "."
    return status, notes, sentence


def combined_rows(
    ruleset: RuleSet,
    rows: list[TherapyRow],
    scores: tuple[Score, ...],
    sample_id: str,
    actions: ActionRules,
) -> list[TherapyRow]:
    """One row per rule that has at least one of its inputs for this sample."""
    out = []
    for rule in ruleset.rules:
        drug_rows = [r for r in rows if r.drug.lower() in rule.drugs]
        score = select_score(rule, scores)
        if not drug_rows and score is None:
            continue
        prs_status, prs_notes, band, prs_sentence = _prs_part(rule, score)
        pgx_status, pgx_notes, pgx_sentence = _pgx_part(rule, drug_rows, actions)
        status = max(prs_status, pgx_status, key=STATUS_ORDER.__getitem__)
        genes = tuple(dict.fromkeys(g for r in drug_rows for g in r.genes))
        phenotypes = tuple(dict.fromkeys(p for r in drug_rows for p in r.phenotypes))
        sources = sorted({r.source for r in drug_rows if r.source})
        cite = f" ({score.citation})" if score and score.citation else ""
        source = (
            f"{ruleset.name} {ruleset.version} ({rule.id}): PRS {score.pgs_id if score else 'none'}{cite}"
        )
        source += " + " + ("/".join(sources) if sources else "PGx none")
        urls = [pgs_url(score.pgs_id) if score else ""] + [u for r in drug_rows for u in r.guideline_urls]
        kb_versions = sorted({r.kb_version for r in drug_rows if r.kb_version})
        ref = score.reference if score else None
        if band is not None:
            classification = f"{band.label} (policy threshold)"
            action = band.action
        else:
            classification = "polygenic risk not assessed"
            action = "not_assessed" if status == "not_assessed" else "info"
        out.append(
            TherapyRow(
                sample_id=sample_id,
                drug=rule.therapy,
                genes=genes,
                phenotypes=phenotypes,
                classification=classification,
                action=action,
                source=source,
                recommendation=f"{prs_sentence} {pgx_sentence}",
                guideline_urls=tuple(dict.fromkeys(u for u in urls if u)),
                kb_version="; ".join([*kb_versions, f"rules {ruleset.version}"]),
                evidence_status=status,
                evidence_notes=tuple(dict.fromkeys(prs_notes + pgx_notes)),
                row_type="combined",
                rule_id=rule.id,
                prs_pgs_id=score.pgs_id if score else "",
                prs_percentile=ref.percentile if ref else None,
                prs_reference_population=(ref.population or "") if ref else "",
                demonstration=bool(score and score.demonstration),
                extra={"band": band.id if band else None, "risk": band.risk if band else None},
            )
        )
    return out
