"""HTML report: sections in order, everything escaped, self-contained, printable, small."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from genorx.report.plots import cap_density, density_svg
from test_report_support import fixture_pgx, fixture_prs, html_rows, run_report, write_json

ATTACK = '<img src=x onerror="alert(1)"><script>alert("kb")</script>Prescribe ≤20 mg & "monitor"'


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = _Tags()
    p.feed(html)
    return p.tags


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    return (run_report(tmp_path_factory.mktemp("h") / "P1") / "report.html").read_text()


def test_sections_in_order_drug_summary_first(html):
    ids = [a["id"] for t, a in _tags(html) if t == "section"]
    assert ids == ["drug-summary", "genotypes", "scores", "qc", "methods", "limitations"]
    assert html.index('id="drug-summary"') < html.index('id="genotypes"')


def test_self_contained_no_external_resources(html):
    for tag, attrs in _tags(html):
        assert tag not in {"link", "img", "iframe", "object", "embed", "base", "form"}, tag
        if tag == "script":
            assert "src" not in attrs
        for key in ("src", "srcset", "poster", "data"):
            assert key not in attrs, (tag, attrs)
        if tag == "a":
            assert attrs["href"].startswith("https://") and attrs.get("rel") == "noopener noreferrer"
    assert "@import" not in html and "url(" not in html.replace("url(s)", "")
    assert "font-face" not in html
    csp = next(a for t, a in _tags(html) if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp["content"]


def test_printable(html):
    assert "@media print" in html and "@page" in html and "print-color-adjust: exact" in html


def test_sections_content(html):
    assert "*1/*2" in html and "Intermediate Metabolizer" in html  # genotype summary
    assert "chr6:18138997 (rs1800460, low_depth)" in html  # missing positions
    assert "tied: *1/*6, *4/*9" in html  # ambiguity
    assert '<svg class="density"' in html and "percentile 93.4" in html  # density plot
    assert "Mavaddat" in html and "98.7%" in html and "76 of 77 variants" in html  # citation, match rate
    assert "Call rate" in html and "low_mapq: 3" in html  # QC from targets
    assert "genorx-combined-prs-pgx 1.0.0" in html and "Reference build" in html  # methods
    assert "Structural variants and copy-number changes are not called" in html  # limitations
    assert "unphased" in html


def test_kb_text_and_identifiers_are_escaped(tmp_path):
    doc = fixture_pgx()
    sample = doc["samples"][0]
    sample["recommendations"][0]["recommendation"] = ATTACK
    sample["recommendations"][0]["drug"] = 'clopi<b>"dogrel"</b>'
    sample["genes"][0]["phenotype"] = "<i>Intermediate</i> & co"
    sample["sample_id"] = "P1<script>x</script>"
    prs = fixture_prs()
    prs["samples"][0]["sample_id"] = sample["sample_id"]
    prs["samples"][0]["scores"][0]["citation"] = "</script><script>alert(2)</script>"
    out = run_report(
        tmp_path / "o",
        pgx=write_json(tmp_path / "pgx.json", doc),
        prs=write_json(tmp_path / "prs.json", prs),
        targets=None,
        sample=sample["sample_id"],
    )
    html = (out / "report.html").read_text()
    scripts = [m for m in re.finditer(r"<script", html)]
    assert len(scripts) == 1  # only the report's own inline script
    assert "onerror" not in html and "<img" not in html and "<b>" not in html and "<i>" not in html
    assert "clopi&lt;b&gt;&quot;dogrel&quot;&lt;/b&gt;" in html
    assert "&lt;i&gt;Intermediate&lt;/i&gt; &amp; co" in html
    assert "P1&lt;script&gt;x&lt;/script&gt;" in html
    assert "&lt;/script&gt;&lt;script&gt;alert(2)&lt;/script&gt;" in html
    row = next(r for r in html_rows(html) if r["drug"].startswith("clopi"))
    assert row["recommendation"] == 'Prescribe ≤20 mg & "monitor"'  # tags and script content dropped


def test_density_is_capped_and_file_stays_small(tmp_path):
    prs = fixture_prs()
    big = prs["samples"][0]["scores"][0]["reference"]["density"]
    xs = [i / 1000 for i in range(20000)]
    big["x"], big["y"] = xs, [1.0 - abs(x - 10) / 10 for x in xs]
    out = run_report(
        tmp_path / "o", prs=write_json(tmp_path / "prs.json", prs), extra=("--max-density-points", "64")
    )
    doc = json.loads((out / "report.json").read_text())
    dens = doc["scores"][0]["reference"]["density"]
    assert len(dens["x"]) == len(dens["y"]) == 64
    assert (out / "report.html").stat().st_size < 120_000
    assert (out / "report.json").stat().st_size < 80_000


def test_cap_density_preserves_shape():
    xs = [i / 10 for i in range(1001)]
    ys = [max(0.0, 1 - abs(x - 50) / 50) for x in xs]
    cx, cy = cap_density(xs, ys, 101)
    assert len(cx) == 101 and cx[0] == 0 and cx[-1] == 100
    assert max(cy) == pytest.approx(1.0) and cy[50] == pytest.approx(1.0)


def test_density_svg_marks_patient_and_escapes_caption():
    svg = density_svg([0, 1, 2], [0.1, 0.5, 0.1], 1.5, 80.0, 'a <b> & "c"')
    assert 'class="marker"' in svg and "percentile 80.0" in svg
    assert "a &lt;b&gt; &amp; &quot;c&quot;" in svg and "<b>" not in svg
    assert density_svg([0], [1], None, None, "x") == ""
