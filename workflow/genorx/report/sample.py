"""One sample's report: read the inputs, build the rows and the document, write the four outputs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from genorx.atomic import write_text
from genorx.errors import input_error
from genorx.report.actions import load_action_rules
from genorx.report.combine import combined_rows, load_rule_set
from genorx.report.document import RunInfo, build_document
from genorx.report.fhir import build_bundle, to_json
from genorx.report.html import render_report
from genorx.report.inputs import load_pgx, load_prs
from genorx.report.qc import (
    QcThresholds,
    pgx_gene_summary,
    qc_flags,
    read_qc_dir,
    read_targets,
    target_summary,
)
from genorx.report.therapy import ordered, pgx_rows

OUTPUTS = ("therapy.tsv", "report.json", "report.html", "report.fhir.json")


@dataclass(frozen=True, slots=True)
class SampleInputs:
    sample_id: str
    pgx: Path
    prs: Path | None = None
    qc_dir: Path | None = None
    targets: Path | None = None
    rules: Path | None = None
    actions: Path | None = None


def build_sample(inputs: SampleInputs, run: RunInfo, thresholds: QcThresholds) -> dict[str, Any]:
    """The report document of one sample (nothing written)."""
    actions = load_action_rules(str(inputs.actions) if inputs.actions else None)
    ruleset = load_rule_set(inputs.rules, actions)
    pgx = load_pgx(inputs.pgx, inputs.sample_id)
    scores = load_prs(inputs.prs, inputs.sample_id) if inputs.prs else ()
    qc: dict[str, Any] = {}
    if inputs.qc_dir is not None:
        if not inputs.qc_dir.is_dir():
            raise input_error(inputs.qc_dir, None, "QC directory not found", "pass results/{sample}/qc")
        qc.update(read_qc_dir(inputs.qc_dir, inputs.sample_id))
    if inputs.targets is not None:
        qc["targets"] = target_summary(read_targets(inputs.targets), pgx)
    else:
        qc["genes"] = pgx_gene_summary(pgx)
    rows = pgx_rows(pgx, actions)
    if inputs.prs is not None:  # combined rows need the PRS stage; without it the PGx rows stand alone
        rows += combined_rows(ruleset, rows, scores, inputs.sample_id, actions)
    rows = ordered(rows, actions)
    return build_document(pgx, scores, rows, qc, qc_flags(qc, thresholds), ruleset, actions, run)


def render(doc: dict[str, Any]) -> dict[str, str]:
    """Every output's text, rendered before anything is written."""
    rows = doc["therapy"]
    header = "\t".join(doc["therapy_columns"])
    tsv = "\n".join([header, *("\t".join(r[c] for c in doc["therapy_columns"]) for r in rows)]) + "\n"
    return {
        "therapy.tsv": tsv,
        "report.json": json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
        "report.html": render_report(doc),
        "report.fhir.json": to_json(build_bundle(doc)),
    }


def write_sample(doc: dict[str, Any], out_dir: Path) -> list[Path]:
    texts = render(doc)
    paths = []
    for name in OUTPUTS:
        path = out_dir / name
        write_text(path, texts[name])
        paths.append(path)
    return paths
