"""The self-contained HTML report: one file, inline CSS/JS/SVG, no network, printable.

Built only from the report document (``report.json``), so the drug summary carries exactly
the rows of ``therapy.tsv``. Every value is escaped: recommendation texts come from a
knowledge base and are never trusted as markup.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib import resources
from string import Template
from typing import Any

from genorx.report import html_sections

HEADLINE = ("drug", "genes", "phenotypes", "classification", "recommendation")


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


@cache
def _asset(name: str) -> str:
    return resources.files("genorx.report").joinpath("templates").joinpath(name).read_text(encoding="utf-8")


def _links(urls: str) -> str:
    """Guideline links labelled by their last path segment (the full URL is the href)."""
    out = []
    for url in urls.split():
        label = url.rstrip("/").rsplit("/", 1)[-1] or url
        if url.startswith(("https://", "http://")):
            out.append(f'<a href="{e(url)}" title="{e(url)}" rel="noopener noreferrer">{e(label)}</a>')
        else:
            out.append(e(url))
    return " ".join(out)


def _span(cls: str, value: str, extra: str = "") -> str:
    return f'<span class="{extra + " " if extra else ""}c-{cls}">{e(value)}</span>'


def _row(cells: dict[str, str], actions: dict[str, Any]) -> str:
    """One drug-summary row; every therapy.tsv column is in a ``c-<column>`` element."""
    action = actions.get(cells["action"], {"label": cells["action"], "light": "grey"})
    status = cells["evidence_status"]
    combined = cells["row_type"] == "combined"
    prs = ""
    if cells["prs_pgs_id"]:
        prs = (
            f'<span class="meta-line">PRS {_span("prs_pgs_id", cells["prs_pgs_id"])}'
            f" &middot; percentile {_span('prs_percentile', cells['prs_percentile'])}"
            f" &middot; {_span('prs_reference_population', cells['prs_reference_population'])}</span>"
        )
    else:
        prs = "".join(
            _span(c, cells[c], "sr-only")
            for c in ("prs_pgs_id", "prs_percentile", "prs_reference_population")
        )
    demo = cells["demonstration"] == "yes"
    return (
        f'<tr class="therapy-row action-{e(cells["action"])}{" combined" if combined else ""}" '
        f'data-action="{e(cells["action"])}" data-status="{e(status)}">'
        f'<td><span class="light light-{e(action["light"])}" aria-hidden="true"></span>'
        f'<span class="action-label">{e(action["label"])}</span>{_span("action", cells["action"], "sr-only")}'
        f"{_span('row_type', cells['row_type'], 'sr-only')}"
        f"{_span('sample_id', cells['sample_id'], 'sr-only')}</td>"
        f"<td>{_span('drug', cells['drug'])}"
        f"{' <span class=demo-badge>DEMO DATA</span>' if demo else ''}"
        f"{_span('demonstration', cells['demonstration'], 'sr-only')}</td>"
        f"<td>{_span('genes', cells['genes'])}<br>{_span('phenotypes', cells['phenotypes'], 'small')}</td>"
        f"<td>{_span('classification', cells['classification'])}"
        f"{_span('population', cells['population'], 'meta-line')}</td>"
        f"<td>{_span('recommendation', cells['recommendation'])}{prs}</td>"
        f"<td>{_span('evidence_status', status, f'status status-{status}')}"
        f"{_span('evidence_notes', cells['evidence_notes'], 'notes')}</td>"
        f"<td>{_span('source', cells['source'])}"
        f'<span class="meta-line c-guideline_url">{_links(cells["guideline_url"])}</span>'
        f'<span class="meta-line">KB {_span("kb_version", cells["kb_version"])}</span>'
        f'<span class="meta-line">{"rule " if cells["rule_id"] else ""}'
        f"{_span('rule_id', cells['rule_id'])}</span></td>"
        "</tr>"
    )


def drug_summary(doc: dict[str, Any]) -> str:
    actions = doc["actions"]
    rows = doc["therapy"]
    present = [a for a in actions if any(r["action"] == a for r in rows)]
    chips = ['<button type="button" class="chip" data-filter="all" aria-pressed="true">all</button>']
    chips.append(
        '<button type="button" class="chip" data-filter="actionable" aria-pressed="false">actionable</button>'
    )
    for a in present:
        n = sum(r["action"] == a for r in rows)
        chips.append(
            f'<button type="button" class="chip" data-filter="{e(a)}" aria-pressed="false">'
            f'<span class="light light-{e(actions[a]["light"])}"></span>'
            f"{e(actions[a]['label'])} ({n})</button>"
        )
    body = "".join(_row(r, actions) for r in rows) or '<tr><td colspan="7">No drug recommendations.</td></tr>'
    return (
        '<section id="drug-summary" aria-labelledby="h-drugs">'
        '<h2 id="h-drugs">Drug summary '
        '<button type="button" id="print" class="print no-print">Print</button></h2>'
        f'<div class="chips no-print">{"".join(chips)}</div>'
        '<table class="therapy"><colgroup><col class="w-action"><col class="w-drug"><col class="w-genes">'
        '<col class="w-class"><col class="w-rec"><col class="w-evidence"><col class="w-source"></colgroup>'
        "<thead><tr><th>Action</th><th>Drug</th><th>Genes / phenotypes</th>"
        "<th>Classification</th><th>Recommendation</th><th>Evidence</th><th>Source</th></tr></thead>"
        f"<tbody>{body}</tbody></table></section>"
    )


def header(doc: dict[str, Any]) -> str:
    summary = doc["summary"]
    counts = ", ".join(f"{e(k)}: {v}" for k, v in summary["evidence_status"].items())
    parts = [
        '<header class="top">',
        f"<h1>Pharmacogenomic therapy report &mdash; {e(doc['sample_id'])}</h1>",
        f'<span class="meta">genorx {e(doc["genorx_version"])} &middot; {summary["rows"]} rows ({counts}) '
        f"&middot; reference {e(doc['methods']['reference_build'])}</span>",
        "</header><main>",
    ]
    if doc["demonstration"]:
        parts.append(
            '<div class="banner" id="demo-banner">DEMONSTRATION DATA: this report uses synthetic '
            "demonstration scores; not for clinical use.</div>"
        )
    if summary["qc_flags"]:
        flags = "; ".join(e(f) for f in summary["qc_flags"])
        parts.append(f'<div class="flags"><strong>QC flags:</strong> {flags}</div>')
    return "".join(parts)


def render_report(doc: dict[str, Any]) -> str:
    """The complete HTML page for one sample."""
    body = "".join(
        [
            header(doc),
            drug_summary(doc),
            html_sections.genes(doc),
            html_sections.scores(doc),
            html_sections.qc(doc),
            html_sections.methods(doc),
            html_sections.limitations(doc),
            "</main>",
            f"<footer>genorx {e(doc['genorx_version'])} &middot; report schema {e(doc['schema'])} &middot; "
            "decision support only: interpret with the clinical context.</footer>",
        ]
    )
    return page(f"genorx report {doc['sample_id']}", body, doc["genorx_version"])


def page(title: str, body: str, version: str) -> str:
    return Template(_asset("page.html")).substitute(
        title=e(title), css=_asset("report.css"), js=_asset("report.js"), body=body, version=e(version)
    )
