"""HTML sections after the drug summary: genotypes, polygenic scores, QC, methods, limitations."""

from __future__ import annotations

from html import escape
from typing import Any

from genorx.report.plots import density_svg


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


def _num(value: Any, fmt: str = "{:.3g}") -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return fmt.format(value)
    return e(value)


def _kv(items: list[tuple[str, Any]]) -> str:
    rows = "".join(f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in items if v not in (None, ""))
    return f'<dl class="kv">{rows}</dl>'


def _positions(missing: list[str], n_defining: int, shown: int = 10) -> str:
    """Missing positions, at most ``shown`` named (report.json lists every one)."""
    if not missing:
        return ""
    if len(missing) == n_defining and len(missing) > shown:
        reasons: dict[str, int] = {}
        for label in missing:
            inner = label[label.find("(") + 1 : label.rfind(")")] if "(" in label else ""
            reason = inner.split(", ")[-1] or "unknown"
            reasons[reason] = reasons.get(reason, 0) + 1
        why = ", ".join(f"{k} {v}" for k, v in sorted(reasons.items()))
        return f"all {len(missing)} defining positions ({why})"
    more = f" and {len(missing) - shown} more (see report.json)" if len(missing) > shown else ""
    return ", ".join(missing[:shown]) + more


def _warnings(warnings: list[str], shown: int = 3) -> str:
    more = f"; and {len(warnings) - shown} more warnings (see report.json)" if len(warnings) > shown else ""
    return "; ".join(warnings[:shown]) + more


def genes(doc: dict[str, Any]) -> str:
    rows = []
    for g in doc["genes"]:
        status = g["call_status"]
        detail = ""
        if status == "ambiguous" and g["candidates"]:
            top = max((c["score"] for c in g["candidates"] if c["score"] is not None), default=None)
            tied = [c["diplotype"] for c in g["candidates"] if top is None or c["score"] == top]
            detail = "tied: " + ", ".join(tied)
        elif status == "no_call":
            detail = g["no_call_reason"] or "not called"
        missing = _positions(g["missing_positions"], g["n_defining_positions"])
        rows.append(
            f'<tr data-gene="{e(g["gene"])}"><td><strong>{e(g["gene"])}</strong></td>'
            f'<td class="diplotype">{e(g["diplotype"]) or "&ndash;"}</td>'
            f"<td>{e(', '.join(g['functions']))}</td>"
            f'<td class="phenotype">{e(g["phenotype"] or "")}</td>'
            f"<td>{e(g['activity_score'] or '')}</td>"
            f'<td><span class="status status-{"complete" if status == "called" else "incomplete"}">'
            f"{e(status)}</span>"
            f'<span class="notes">{e(detail)}</span></td>'
            f"<td>{'phased' if g['phased'] else 'unphased'}</td>"
            f'<td class="small">{e(missing) or "none"}'
            f"{'<br>' + e(_warnings(g['warnings'])) if g['warnings'] else ''}</td></tr>"
        )
    body = "".join(rows) or '<tr><td colspan="8">No genes in pgx.json.</td></tr>'
    return (
        '<section id="genotypes" aria-labelledby="h-genes"><h2 id="h-genes">Genotype summary</h2>'
        "<table><thead><tr><th>Gene</th><th>Diplotype</th><th>Allele functions</th><th>Phenotype</th>"
        "<th>Activity score</th><th>Call</th><th>Phase</th><th>Missing positions / warnings</th></tr></thead>"
        f"<tbody>{body}</tbody></table></section>"
    )


def _score(s: dict[str, Any]) -> str:
    ref = s["reference"]
    demo = (
        '<p class="demo">DEMONSTRATION DATA: synthetic score made for the demo; not for clinical use.</p>'
        if s["demonstration"]
        else ""
    )
    match = ""
    if s["match_rate"] is not None:
        match = f"{s['match_rate']:.1%}"
        if s["n_matched"] is not None and s["n_variants"] is not None:
            match += f" ({s['n_matched']} of {s['n_variants']} variants)"
    pgs = (
        f'<a href="{e(s["url"])}" rel="noopener noreferrer">{e(s["pgs_id"])}</a>'
        if s["url"]
        else e(s["pgs_id"])
    )
    items = [
        ("PGS id", pgs),
        ("Trait", e(s["trait"])),
        ("Citation", e(s["citation"])),
        ("Genome build", e(s["genome_build"])),
        ("Match rate", e(match)),
        ("Score (sum / avg)", f"{_num(s['sum'], '{:.6g}')} / {_num(s['avg'], '{:.6g}')}"),
    ]
    if s["sum"] is None and ref is None:
        plot = f'<p class="no-ref"><strong>{e(s["reference_note"] or "not scored")}.</strong></p>'
    elif ref is None or ref["percentile"] is None:
        note = s["reference_note"] or "no reference panel configured"
        plot = (
            f'<p class="no-ref"><strong>No reference panel:</strong> {e(note)}. '
            "No percentile is reported.</p>"
        )
    else:
        items += [
            ("Reference population", f"{e(ref['population'])} (n={e(ref['n'])})"),
            ("Percentile", f"<strong>{ref['percentile']:.1f}</strong>"),
            ("Z-score", _num(ref["z"], "{:.2f}")),
        ]
        caption = (
            f"{s['pgs_id']} reference distribution ({ref['population']}); "
            f"patient at percentile {ref['percentile']:.1f}"
        )
        svg = density_svg(
            ref["density"]["x"], ref["density"]["y"], ref["patient_value"], ref["percentile"], caption
        )
        src = ref["density"]["source"]
        plot = (
            (svg + f'<div class="small">Density: {e(src)}.</div>')
            if svg
            else '<p class="small">No density.</p>'
        )
    title = f"<h3>{e(s['pgs_id'])} &mdash; {e(s['trait'] or '')}</h3>"
    return f'<div class="score" data-pgs="{e(s["pgs_id"])}">{title}{demo}{_kv(items)}{plot}</div>'


def scores(doc: dict[str, Any]) -> str:
    body = (
        "".join(_score(s) for s in doc["scores"])
        or "<p>No polygenic scores were computed for this sample.</p>"
    )
    return (
        f'<section id="scores" aria-labelledby="h-prs"><h2 id="h-prs">Polygenic scores</h2>{body}</section>'
    )


def qc(doc: dict[str, Any]) -> str:
    q = doc["qc"]
    parts = ['<section id="qc" aria-labelledby="h-qc"><h2 id="h-qc">Quality control</h2>']
    aln = q.get("alignment")
    if aln:
        parts.append("<h3>Alignment (samtools stats)</h3>")
        parts.append(
            _kv(
                [
                    ("Reads", _num(aln.get("total_reads"), "{:,}")),
                    ("Mapped", _pct(aln.get("mapped_fraction"))),
                    ("Properly paired", _pct(aln.get("properly_paired_fraction"))),
                    ("Duplicates", _pct(aln.get("duplicate_fraction"))),
                    ("Reads with MAPQ 0", _num(aln.get("reads_mq0"))),
                    ("Mean read length", _num(aln.get("average_length"))),
                    (
                        "Insert size",
                        f"{_num(aln.get('insert_size_average'))} ± {_num(aln.get('insert_size_sd'))}",
                    ),
                    ("Error rate", _num(aln.get("error_rate"))),
                ]
            )
        )
    overall = q.get("targets", {}).get("overall")
    if overall and overall.get("n_positions"):
        reasons = ", ".join(f"{k}: {v}" for k, v in overall["no_call_reasons"].items()) or "none"
        parts.append("<h3>Target positions</h3>")
        parts.append(
            _kv(
                [
                    ("Positions", _num(overall["n_positions"])),
                    ("Call rate (all target positions)", _pct(overall["call_rate"])),
                    ("Without reference sequence (N)", _num(overall.get("n_no_reference_sequence"))),
                    (
                        "Variant / ref / no call",
                        f"{overall['n_variant']} / {overall['n_ref']} / {overall['n_no_call']}",
                    ),
                    (
                        "Depth median (mean, min)",
                        f"{overall['depth_median']:g} "
                        f"({overall['depth_mean']:.1f}, {overall['depth_min']:g})",
                    ),
                    ("Depth >= 20", _pct(overall["fraction_depth_ge_20"])),
                    ("No-call reasons", e(reasons)),
                ]
            )
        )
    basis = q.get("targets", {}).get("flag_basis")
    if basis:
        parts.append(_flag_basis(basis))
    gene_rows = q.get("targets", {}).get("genes") or q.get("genes") or []
    if gene_rows:
        rows = "".join(
            f"<tr><td>{e(g['gene'])}</td><td class='num'>{e(g.get('n_defining_positions'))}</td>"
            f"<td class='num'>{_pct(g.get('call_rate'))}</td>"
            f"<td class='num'>{_num(g.get('depth_median'), '{:g}')}</td>"
            f"<td class='num'>{e(g.get('n_no_call', ''))}</td>"
            f"<td>{'' if 'assessed' not in g else ('yes' if g['assessed'] else 'no')}</td></tr>"
            for g in gene_rows
        )
        parts.append(
            "<h3>Per gene</h3><table><thead><tr><th>Gene</th><th>Defining positions</th><th>Call rate</th>"
            "<th>Median depth</th><th>No calls</th><th>Assessed</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    if len(parts) == 1:
        parts.append("<p>No QC inputs were given.</p>")
    parts.append("</section>")
    return "".join(parts)


def _flag_basis(basis: dict[str, Any]) -> str:
    """What the call-rate and depth flags were computed over (docs/report.md, QC flags)."""
    items = [
        ("Flag basis", e(basis["rule"])),
        ("Positions (called / total)", f"{_num(basis['n_called'])} / {_num(basis['n_positions'])}"),
        ("Call rate (flag basis)", _pct(basis["call_rate"])),
        ("Depth median (flag basis)", _num(basis["depth_median"], "{:g}")),
    ]
    if basis["genes_uncovered"]:
        items.append(("Genes with no call (flagged)", e(", ".join(basis["genes_uncovered"]))))
    if basis["genes_without_reference_sequence"]:
        items.append(
            (
                "Genes without reference sequence (not flagged)",
                e(", ".join(basis["genes_without_reference_sequence"])),
            )
        )
    return '<div id="qc-flag-basis">' + _kv(items) + "</div>"


def _pct(value: Any) -> str:
    return "" if value is None else f"{value:.1%}"


def methods(doc: dict[str, Any]) -> str:
    m = doc["methods"]
    kb = m.get("knowledge_base") or {}
    rules = m["combined_rules"]
    tools = dict(m.get("tools") or {})
    stats_version = (doc["qc"].get("alignment") or {}).get("samtools_version")
    if stats_version:
        tools["samtools (stats file)"] = stats_version
    tool_rows = ", ".join(f"{e(k)} {e(v)}" for k, v in sorted(tools.items())) or "not recorded"
    parts = [
        '<section id="methods" aria-labelledby="h-methods"><h2 id="h-methods">Methods and versions</h2>',
        _kv(
            [
                ("Pipeline", e(f"genorx {m['pipeline']['version']}")),
                ("Reference build", e(m["reference_build"])),
                ("Aligner / caller", e(" / ".join(x for x in (m.get("aligner"), m.get("caller")) if x))),
                ("Tools", tool_rows),
                ("Knowledge base", e(" ".join(str(kb.get(k) or "") for k in ("name", "version")).strip())),
                ("KB source", e(" ".join(str(kb.get(k) or "") for k in ("source", "url")).strip())),
                ("KB sha256", e(kb.get("sha256"))),
                (
                    "Combined rules",
                    e(f"{rules['name']} {rules['version']} ({rules['released']}), sha256 {rules['sha256']}"),
                ),
                ("Action rules", e(f"{m['action_rules']['name']} {m['action_rules']['version']}")),
            ]
        ),
        f'<p class="small"><strong>Threshold policy:</strong> {e(rules["policy_note"])}</p>',
    ]
    for r in rules["rules"]:
        bands = ", ".join(f"{b['label']} >= {b['min_percentile']:g}" for b in r["bands"])
        refs = "".join(f"<li>{e(x)}</li>" for x in r["references"])
        cav = "".join(f"<li>{e(x)}</li>" for x in r["caveats"])
        parts.append(
            f'<div class="rule" data-rule="{e(r["id"])}"><h3>{e(r["title"])}</h3>'
            f"<p class='small'>Bands: {e(bands)} ({e(r['threshold_kind'])}). {e(r['threshold_text'])}</p>"
            f"<p class='small'>Drugs: {e(', '.join(r['drugs']))}. PGx: {e(r['pgx_guideline'])}.</p>"
            f"{'<ul class=small>' + refs + '</ul>' if refs else ''}"
            f"{'<ul class=small>' + cav + '</ul>' if cav else ''}</div>"
        )
    parts.append("</section>")
    return "".join(parts)


def limitations(doc: dict[str, Any]) -> str:
    items = "".join(f"<li>{e(x)}</li>" for x in doc["limitations"])
    return (
        '<section id="limitations" aria-labelledby="h-lim"><h2 id="h-lim">Limitations</h2>'
        f'<ul class="limits">{items}</ul></section>'
    )
