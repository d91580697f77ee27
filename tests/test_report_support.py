"""Helpers shared by the report tests (fixtures, running the CLI, reading the HTML rows back)."""

from __future__ import annotations

import json
import random
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from genorx.report import cli

DATA = Path(__file__).resolve().parent / "data" / "report"
PGX = DATA / "P1.pgx.json"
PRS = DATA / "P1.prs.json"
TARGETS = DATA / "P1.targets.tsv.gz"


def fixture_pgx() -> dict:
    return json.loads(PGX.read_text())


def fixture_prs() -> dict:
    return json.loads(PRS.read_text())


def write_json(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc))
    return path


def run_report(
    out: Path,
    pgx: Path = PGX,
    prs: Path | None = PRS,
    targets: Path | None = TARGETS,
    qc: Path | None = None,
    sample: str = "P1",
    extra: tuple[str, ...] = (),
) -> Path:
    """``genorx report sample`` in-process (no tool-version probes: fast and deterministic)."""
    argv = ["sample", "--pgx", str(pgx), "--sample", sample, "--out-dir", str(out), "--no-tool-versions"]
    if prs is not None:
        argv += ["--prs", str(prs)]
    if targets is not None:
        argv += ["--targets", str(targets)]
    if qc is not None:
        argv += ["--qc", str(qc)]
    assert cli.main([*argv, *extra]) == 0
    return out


class _Rows(HTMLParser):
    """Collects, per drug-summary row, the text of every ``c-<column>`` element and link hrefs."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.stack: list[str | None] = []
        self.in_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("id") == "drug-summary":
            self.in_summary = True
        if tag == "tr" and self.in_summary and "therapy-row" in (a.get("class") or ""):
            self.rows.append({})
        col = next((c[2:] for c in (a.get("class") or "").split() if c.startswith("c-")), None)
        if tag in ("br", "col", "meta", "img", "input"):
            return
        self.stack.append(col)
        if col and self.rows:
            self.rows[-1].setdefault(col, "")
        if tag == "a" and self.rows and "guideline_url" in self.stack:
            row = self.rows[-1]
            row["guideline_url"] = (row.get("guideline_url", "") + " " + (a.get("href") or "")).strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "section":
            self.in_summary = False
        if tag not in ("br", "col", "meta", "img", "input") and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.rows or not self.in_summary:
            return
        cols = [c for c in self.stack if c]
        if cols and cols[-1] != "guideline_url":
            self.rows[-1][cols[-1]] = self.rows[-1].get(cols[-1], "") + data


def html_rows(html: str) -> list[dict[str, str]]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def make_qc_dir(tmp: Path, sample: str = "P1") -> Path:
    """Real ``samtools stats``/``flagstat`` output for a small synthetic alignment."""
    rng = random.Random(7)
    ref = "".join(rng.choice("ACGT") for _ in range(5000))
    lines = ["@HD\tVN:1.6\tSO:unsorted", f"@SQ\tSN:chr1\tLN:{len(ref)}", f"@RG\tID:{sample}\tSM:{sample}"]
    for i in range(200):
        start = rng.randrange(0, len(ref) - 400)
        mate = start + 250
        r1, r2 = ref[start : start + 100], ref[mate : mate + 100]
        q = "I" * 100
        mapq = 0 if i % 10 == 0 else 60
        flag1, flag2 = (1123, 1171) if i % 25 == 0 else (99, 147)  # every 25th pair a duplicate
        lines.append(
            f"r{i}\t{flag1}\tchr1\t{start + 1}\t{mapq}\t100M\t=\t{mate + 1}\t350\t{r1}\t{q}\tRG:Z:{sample}"
        )
        lines.append(
            f"r{i}\t{flag2}\tchr1\t{mate + 1}\t{mapq}\t100M\t=\t{start + 1}\t-350\t{r2}\t{q}\tRG:Z:{sample}"
        )
    for i in range(10):  # unmapped pairs
        seq = "".join(rng.choice("ACGT") for _ in range(100))
        lines.append(f"u{i}\t77\t*\t0\t0\t*\t*\t0\t0\t{seq}\t{'I' * 100}\tRG:Z:{sample}")
        lines.append(f"u{i}\t141\t*\t0\t0\t*\t*\t0\t0\t{seq}\t{'I' * 100}\tRG:Z:{sample}")
    sam = tmp / "aln.sam"
    sam.write_text("\n".join(lines) + "\n")
    bam = tmp / "aln.bam"
    subprocess.run(["samtools", "sort", "-o", str(bam), str(sam)], check=True, capture_output=True)
    qc = tmp / "qc"
    qc.mkdir()
    with open(qc / f"{sample}.stats.txt", "w") as fh:
        subprocess.run(["samtools", "stats", str(bam)], check=True, stdout=fh)
    with open(qc / f"{sample}.flagstat.txt", "w") as fh:
        subprocess.run(["samtools", "flagstat", str(bam)], check=True, stdout=fh)
    return qc
