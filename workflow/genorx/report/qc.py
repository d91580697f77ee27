"""Quality figures for the report: samtools stats/flagstat and target-position status.

Everything here is a summary of a few numbers per sample, so per-patient reports stay small
however large the target set is.

Call rate is reported over every target position (the honest figure, denominator stated) and per
gene. The QC flags use a narrower basis, ``flag_basis`` (docs/report.md "QC flags"): the defining
positions of the genes that were assessed at all (at least one defining position called), where
the reference has sequence (reference base not ``N``). A gene whose positions all lack reference
sequence cannot be genotyped against this reference (the demo's ``N`` outside its windows) and is
reported, not flagged; a gene with reference sequence but no call at any position is flagged
(``uncovered_genes``), since whole-gene dropout would otherwise leave the call rate untouched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from genorx.errors import input_error
from genorx.report.inputs import PgxSample

TARGET_COLUMNS = ("chrom", "pos", "ref", "depth", "mq0_fraction", "status", "reason", "genotype")
STATS_KEYS = {
    "raw total sequences": "total_reads",
    "reads mapped": "reads_mapped",
    "reads properly paired": "reads_properly_paired",
    "reads duplicated": "reads_duplicated",
    "reads MQ0": "reads_mq0",
    "average length": "average_length",
    "insert size average": "insert_size_average",
    "insert size standard deviation": "insert_size_sd",
    "error rate": "error_rate",
    "average quality": "average_quality",
    "bases mapped (cigar)": "bases_mapped_cigar",
}


@dataclass(frozen=True)
class QcThresholds:
    min_call_rate: float = 0.95
    min_median_depth: float = 20.0
    min_mapped_fraction: float = 0.95
    max_duplicate_fraction: float = 0.30


def parse_samtools_stats(path: Path) -> dict[str, Any]:
    """The summary numbers (SN lines) and the samtools version of a ``samtools stats`` file."""
    out: dict[str, Any] = {"file": path.name}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("# This file was produced by samtools stats"):
            m = re.search(r"\(([^)]+)\)", line)
            if m:
                out["samtools_version"] = m.group(1)
        elif line.startswith("SN\t"):
            parts = line.split("\t")
            key = parts[1].rstrip(":")
            if key in STATS_KEYS and len(parts) > 2:
                try:
                    value = float(parts[2])
                except ValueError:
                    continue
                out[STATS_KEYS[key]] = int(value) if value.is_integer() else value
    if "total_reads" not in out:
        raise input_error(
            path, None, "no 'SN raw total sequences' line", "regenerate it with `samtools stats`"
        )
    total = out["total_reads"] or 0
    if total:
        out["mapped_fraction"] = out.get("reads_mapped", 0) / total
        out["duplicate_fraction"] = out.get("reads_duplicated", 0) / total
        out["properly_paired_fraction"] = out.get("reads_properly_paired", 0) / total
    return out


def parse_flagstat(path: Path) -> dict[str, int]:
    """``samtools flagstat`` counts (QC-passed) by description, e.g. ``in total``, ``mapped``."""
    out: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        m = re.match(r"^(\d+) \+ (\d+) (.+?)(?: \(.*)?$", line.strip())
        if m:
            out[m.group(3).strip()] = int(m.group(1))
    return out


def read_qc_dir(qc_dir: Path, sample_id: str) -> dict[str, Any]:
    """Alignment figures from ``results/{sample}/qc/`` (empty when the files are absent)."""
    out: dict[str, Any] = {}
    stats = _first(qc_dir, [f"{sample_id}.stats.txt", "*.stats.txt"])
    if stats:
        out["alignment"] = parse_samtools_stats(stats)
    flag = _first(qc_dir, [f"{sample_id}.flagstat.txt", "*.flagstat.txt"])
    if flag:
        out["flagstat"] = parse_flagstat(flag)
    return out


def _first(folder: Path, patterns: list[str]) -> Path | None:
    for pattern in patterns:
        hits = sorted(folder.glob(pattern))
        if hits:
            return hits[0]
    return None


def read_targets(path: Path) -> pl.DataFrame:
    """A ``{sample}.targets.tsv.gz`` as a frame (columns as in docs/contracts.md)."""
    fix = "regenerate it with `genorx targets`"
    try:
        frame = pl.read_csv(
            path,
            separator="\t",
            schema_overrides={"chrom": pl.Utf8, "pos": pl.Int64, "depth": pl.Float64, "status": pl.Utf8},
            null_values=["", "."],
            infer_schema_length=0,
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise input_error(path, None, f"cannot read target status ({exc.__class__.__name__})", fix) from exc
    missing = [c for c in ("chrom", "pos", "depth", "status") if c not in frame.columns]
    if missing:
        raise input_error(path, "1", f"missing columns {', '.join(missing)}", fix)
    bad = frame.filter(~pl.col("status").is_in(["variant", "ref", "no_call"]))
    if bad.height:
        raise input_error(path, None, f"unknown status {bad['status'][0]!r}", fix)
    return frame.select(
        pl.col("chrom"),
        pl.col("pos").cast(pl.Int64),
        pl.col("depth").cast(pl.Float64).fill_null(0.0),
        pl.col("status"),
        (pl.col("reason") if "reason" in frame.columns else pl.lit(None, pl.Utf8)).alias("reason"),
        # no reference sequence: reference base N (or a contig the reference lacks, written as N)
        (
            pl.col("ref").fill_null("N").str.to_uppercase().str.contains("^N+$")
            if "ref" in frame.columns
            else pl.lit(False)
        ).alias("no_reference"),
    )


def _summary(frame: pl.DataFrame) -> dict[str, Any]:
    n = frame.height
    if n == 0:
        return {"n_positions": 0}
    status = dict(frame.group_by("status").len().iter_rows())
    depth = frame["depth"].to_numpy()
    called = n - status.get("no_call", 0)
    reasons = frame.filter(pl.col("status") == "no_call").group_by("reason").len().sort("reason")
    return {
        "n_positions": n,
        "n_variant": status.get("variant", 0),
        "n_ref": status.get("ref", 0),
        "n_no_call": status.get("no_call", 0),
        "call_rate": called / n,
        "depth_median": float(np.median(depth)),
        "depth_mean": float(depth.mean()),
        "depth_min": float(depth.min()),
        "fraction_depth_ge_20": float((depth >= 20).mean()),
        "no_call_reasons": {str(k): int(v) for k, v in reasons.iter_rows()},
        "n_no_reference_sequence": int(frame["no_reference"].sum()),
    }


def target_summary(frame: pl.DataFrame, pgx: PgxSample | None) -> dict[str, Any]:
    """Overall and per-gene coverage and call rate at target positions, and the flag basis."""
    out: dict[str, Any] = {"overall": _summary(frame), "genes": []}
    basis_keys: list[pl.DataFrame] = []
    for call in pgx.genes if pgx is not None else ():
        if not call.positions:
            continue
        keys = pl.DataFrame(
            {"chrom": [c for c, _ in call.positions], "pos": [p for _, p in call.positions]},
            schema={"chrom": pl.Utf8, "pos": pl.Int64},
        )
        sub = frame.join(keys, on=["chrom", "pos"], how="inner")
        row = {"gene": call.gene, "n_defining_positions": len(call.positions), **_summary(sub)}
        row["n_not_in_targets"] = len(call.positions) - sub.height
        row["assessed"] = bool(sub.height) and bool((sub["status"] != "no_call").any())
        out["genes"].append(row)
        if row["assessed"]:
            basis_keys.append(keys)
    out["flag_basis"] = _flag_basis(frame, out["genes"], basis_keys)
    return out


BASIS_RULE = (
    "defining positions of the genes assessed (at least one defining position called), "
    "where the reference has sequence"
)
BASIS_ALL = "every target position where the reference has sequence (no gene was assessed)"


def _flag_basis(frame: pl.DataFrame, genes: list[dict[str, Any]], keys: list[pl.DataFrame]) -> dict[str, Any]:
    """The positions the call-rate and depth flags are computed over (see the module doc)."""
    sequenced = frame.filter(~pl.col("no_reference"))
    if keys:
        wanted = pl.concat(keys).unique()
        sub = sequenced.join(wanted, on=["chrom", "pos"], how="inner")
        rule = BASIS_RULE
    else:
        sub, rule = sequenced, BASIS_ALL
    n = sub.height
    called = int((sub["status"] != "no_call").sum()) if n else 0
    not_assessed = [g for g in genes if not g["assessed"]]
    return {
        "rule": rule,
        "genes": [g["gene"] for g in genes if g["assessed"]],
        "n_positions": n,
        "n_called": called,
        "call_rate": called / n if n else None,
        "depth_median": float(np.median(sub["depth"].to_numpy())) if n else None,
        # genes with reference sequence at a defining position but no call anywhere: flagged
        "genes_uncovered": [
            g["gene"] for g in not_assessed if g.get("n_positions", 0) > g.get("n_no_reference_sequence", 0)
        ],
        # genes whose target positions all lack reference sequence: reported, not flagged
        "genes_without_reference_sequence": [
            g["gene"]
            for g in not_assessed
            if g.get("n_positions", 0) and g["n_positions"] == g["n_no_reference_sequence"]
        ],
    }


def pgx_gene_summary(pgx: PgxSample) -> list[dict[str, Any]]:
    """Per-gene call rate from pgx.json alone (used when no target file is given)."""
    rows = []
    for call in pgx.genes:
        n = len(call.positions)
        rows.append(
            {
                "gene": call.gene,
                "n_defining_positions": n,
                "n_no_call": len(call.missing),
                "call_rate": (n - len(call.missing)) / n if n else None,
            }
        )
    return rows


def qc_flags(qc: dict[str, Any], thresholds: QcThresholds) -> list[str]:
    """Named flags for the cohort summary and the report header (rule: module doc)."""
    flags = []
    targets = qc.get("targets", {})
    basis = targets.get("flag_basis") or {}
    if basis.get("n_positions"):
        rate, depth = basis["call_rate"], basis["depth_median"]
        where = f"{basis['n_called']}/{basis['n_positions']} positions"
        if rate < thresholds.min_call_rate:
            flags.append(f"low_target_call_rate ({rate:.3f} < {thresholds.min_call_rate:g}; {where})")
        if depth < thresholds.min_median_depth:
            flags.append(f"low_target_depth (median {depth:g} < {thresholds.min_median_depth:g})")
    if basis.get("genes_uncovered"):
        flags.append(f"uncovered_genes ({', '.join(basis['genes_uncovered'])}: no defining position called)")
    aln = qc.get("alignment", {})
    if "mapped_fraction" in aln and aln["mapped_fraction"] < thresholds.min_mapped_fraction:
        flags.append(
            f"low_mapped_fraction ({aln['mapped_fraction']:.3f} < {thresholds.min_mapped_fraction:g})"
        )
    if "duplicate_fraction" in aln and aln["duplicate_fraction"] > thresholds.max_duplicate_fraction:
        flags.append(
            f"high_duplicate_fraction ({aln['duplicate_fraction']:.3f} > "
            f"{thresholds.max_duplicate_fraction:g})"
        )
    return flags
