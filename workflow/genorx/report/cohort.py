"""Cohort summary from per-sample ``report.json`` files.

``summary.tsv``: one row per sample (QC flags, call rates, action counts, phenotype per gene,
percentile per score); ``phenotypes.tsv``: phenotype frequencies per gene; ``summary.html``:
both, plus per-gene call rates and the distribution of each score's percentiles. Reads one
report at a time and keeps only these few fields, so thousands of samples are fine.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from genorx import __version__
from genorx.atomic import write_text
from genorx.errors import input_error
from genorx.report.document import SCHEMA
from genorx.report.html import page
from genorx.report.plots import histogram_svg
from genorx.report.prose import one_line

ACTION_COLUMNS = ("avoid", "adjust", "caution", "consider", "standard", "info", "not_assessed")
FIX = "regenerate it with `genorx report sample`"


@dataclass(slots=True)
class SampleSummary:
    sample_id: str
    qc_flags: list[str]
    call_rate: float | None
    n_positions: int | None
    basis_call_rate: float | None
    basis_positions: int | None
    median_depth: float | None
    mapped_fraction: float | None
    duplicate_fraction: float | None
    gene_status: dict[str, str]
    phenotypes: dict[str, str]
    actions: dict[str, int]
    evidence: dict[str, int]
    percentiles: dict[str, float | None]
    demonstration: bool
    extra: dict[str, Any] = field(default_factory=dict)


def find_reports(results: Path) -> list[Path]:
    found = sorted(p for p in results.glob("*/report.json") if p.parent.name != "cohort")
    if not found:
        raise input_error(results, None, "no */report.json found", "run `genorx report sample` first")
    return found


def summarise(path: Path) -> SampleSummary:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise input_error(path, None, f"cannot read report ({exc.__class__.__name__})", FIX) from exc
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise input_error(path, None, f"not a {SCHEMA} document", FIX)
    qc = doc.get("qc", {})
    overall = qc.get("targets", {}).get("overall", {})
    basis = qc.get("targets", {}).get("flag_basis") or {}
    aln = qc.get("alignment", {})
    return SampleSummary(
        sample_id=doc["sample_id"],
        qc_flags=list(doc["summary"].get("qc_flags", [])),
        call_rate=overall.get("call_rate"),
        n_positions=overall.get("n_positions"),
        basis_call_rate=basis.get("call_rate"),
        basis_positions=basis.get("n_positions"),
        median_depth=overall.get("depth_median"),
        mapped_fraction=aln.get("mapped_fraction"),
        duplicate_fraction=aln.get("duplicate_fraction"),
        gene_status={g["gene"]: g["call_status"] for g in doc["genes"]},
        phenotypes={g["gene"]: g["phenotype"] or "" for g in doc["genes"] if g["call_status"] != "no_call"},
        actions=dict(doc["summary"]["actions"]),
        evidence=dict(doc["summary"]["evidence_status"]),
        percentiles={s["pgs_id"]: (s["reference"] or {}).get("percentile") for s in doc["scores"]},
        demonstration=bool(doc.get("demonstration")),
    )


def _fmt(v: float | None, spec: str = ".4f") -> str:
    return "" if v is None else format(v, spec)


def summary_table(samples: list[SampleSummary]) -> tuple[list[str], list[list[str]]]:
    genes = sorted({g for s in samples for g in s.gene_status})
    scores = sorted({p for s in samples for p in s.percentiles})
    header = [
        "sample_id",
        "qc_flags",
        "target_call_rate",
        "target_positions",
        "flag_basis_call_rate",
        "flag_basis_positions",
        "target_median_depth",
        "mapped_fraction",
        "duplicate_fraction",
        "genes_called",
        "genes_ambiguous",
        "genes_no_call",
        "rows_incomplete",
        "rows_not_assessed",
        *(f"action_{a}" for a in ACTION_COLUMNS),
        *(f"phenotype:{g}" for g in genes),
        *(f"percentile:{p}" for p in scores),
        "demonstration",
    ]
    rows = []
    for s in samples:
        status = Counter(s.gene_status.values())
        rows.append(
            [
                s.sample_id,
                "; ".join(s.qc_flags) or "none",
                _fmt(s.call_rate),
                "" if s.n_positions is None else str(s.n_positions),
                _fmt(s.basis_call_rate),
                "" if s.basis_positions is None else str(s.basis_positions),
                _fmt(s.median_depth, "g"),
                _fmt(s.mapped_fraction),
                _fmt(s.duplicate_fraction),
                str(status.get("called", 0)),
                str(status.get("ambiguous", 0)),
                str(status.get("no_call", 0)),
                str(s.evidence.get("incomplete", 0)),
                str(s.evidence.get("not_assessed", 0)),
                *(str(s.actions.get(a, 0)) for a in ACTION_COLUMNS),
                *(s.phenotypes.get(g, "no call" if g in s.gene_status else "not in report") for g in genes),
                *(_fmt(s.percentiles.get(p), ".1f") for p in scores),
                "yes" if s.demonstration else "no",
            ]
        )
    return header, rows


def phenotype_frequencies(samples: list[SampleSummary]) -> list[tuple[str, str, int, float]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for s in samples:
        for gene, status in s.gene_status.items():
            pheno = (s.phenotypes.get(gene) or "no phenotype") if status != "no_call" else "no call"
            counts[gene][pheno] += 1
    out = []
    for gene in sorted(counts):
        total = sum(counts[gene].values())
        for pheno, n in sorted(counts[gene].items(), key=lambda kv: (-kv[1], kv[0])):
            out.append((gene, pheno, n, n / total))
    return out


def _tsv(header: list[str], rows: list[list[str]]) -> str:
    lines = ["\t".join(header)] + ["\t".join(one_line(c) for c in row) for row in rows]
    return "\n".join(lines) + "\n"


def _e(v: object) -> str:
    return escape(str(v), quote=True)


def summary_html(samples: list[SampleSummary], header: list[str], rows: list[list[str]]) -> str:
    freqs = phenotype_frequencies(samples)
    parts = [
        '<header class="top"><h1>genorx cohort summary</h1>',
        f'<span class="meta">{len(samples)} samples</span></header><main>',
    ]
    if any(s.demonstration for s in samples):
        parts.append(
            '<div class="banner">DEMONSTRATION DATA: some scores are synthetic; not for clinical use.</div>'
        )
    flagged = [s for s in samples if s.qc_flags]
    parts.append('<section id="qc-flags"><h2>Per-sample QC flags</h2>')
    if flagged:
        items = "".join(
            f"<li><strong>{_e(s.sample_id)}</strong>: {_e('; '.join(s.qc_flags))}</li>" for s in flagged
        )
        parts.append(f"<ul>{items}</ul>")
    else:
        parts.append("<p>No sample is flagged.</p>")
    parts.append("</section>")
    genes = sorted({g for s in samples for g in s.gene_status})
    rate_rows = []
    for gene in genes:
        st = Counter(s.gene_status.get(gene, "absent") for s in samples)
        n = len(samples)
        rate_rows.append(
            f"<tr><td>{_e(gene)}</td><td class='num'>{st.get('called', 0)}</td>"
            f"<td class='num'>{st.get('ambiguous', 0)}</td>"
            f"<td class='num'>{st.get('no_call', 0) + st.get('absent', 0)}</td>"
            f"<td class='num'>{(st.get('called', 0) + st.get('ambiguous', 0)) / n:.1%}</td></tr>"
        )
    parts.append(
        '<section id="call-rates"><h2>Call rate per gene</h2><table><thead><tr><th>Gene</th><th>Called</th>'
        "<th>Ambiguous</th><th>No call</th><th>Call rate</th></tr></thead>"
        f"<tbody>{''.join(rate_rows)}</tbody></table></section>"
    )
    freq_rows = "".join(
        f"<tr><td>{_e(g)}</td><td>{_e(p)}</td><td class='num'>{n}</td><td class='num'>{f:.1%}</td></tr>"
        for g, p, n, f in freqs
    )
    parts.append(
        '<section id="phenotypes"><h2>Phenotype frequencies</h2>'
        "<table><thead><tr><th>Gene</th><th>Phenotype</th>"
        f"<th>Samples</th><th>Fraction</th></tr></thead><tbody>{freq_rows}</tbody></table></section>"
    )
    parts.append('<section id="scores"><h2>Score distributions (percentile of the reference)</h2>')
    scores = sorted({p for s in samples for p in s.percentiles})
    for pgs in scores:
        vals = [v for s in samples if (v := s.percentiles.get(pgs)) is not None]
        svg = histogram_svg(vals, f"{pgs} percentiles across {len(vals)} samples")
        parts.append(
            f"<h3>{_e(pgs)} ({len(vals)} samples with a percentile)</h3>{svg or '<p>No percentiles.</p>'}"
        )
    if not scores:
        parts.append("<p>No polygenic scores.</p>")
    parts.append("</section>")
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    parts.append(
        '<section id="samples"><h2>Samples</h2><div style="overflow-x:auto">'
        f'<table class="small"><thead><tr>{head}'
        f"</tr></thead><tbody>{body}</tbody></table></div></section></main>"
    )
    return page("genorx cohort summary", "".join(parts), __version__)


def write_cohort(reports: list[Path], out_dir: Path) -> list[Path]:
    samples = [summarise(p) for p in reports]
    ids = Counter(s.sample_id for s in samples)
    dup = [k for k, v in ids.items() if v > 1]
    if dup:
        raise input_error(
            reports[0], None, f"sample {dup[0]!r} appears in more than one report", "pass each once"
        )
    samples.sort(key=lambda s: s.sample_id)
    header, rows = summary_table(samples)
    freqs = phenotype_frequencies(samples)
    texts = {
        "summary.tsv": _tsv(header, rows),
        "phenotypes.tsv": _tsv(
            ["gene", "phenotype", "n_samples", "fraction"],
            [[g, p, str(n), f"{f:.4f}"] for g, p, n, f in freqs],
        ),
        "summary.html": summary_html(samples, header, rows),
    }
    out = []
    for name, text in texts.items():
        write_text(out_dir / name, text)
        out.append(out_dir / name)
    return out
