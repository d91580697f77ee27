"""A scoring file's raw parts: its bytes (gunzipped), the ``#key=value`` header, and the
table of the columns genorx uses (positions and weights parsed as numbers where they all
are). :mod:`genorx.prs.scorefile` turns them into typed rows."""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl

from genorx.errors import input_error

SKIP_FLAGS = {"is_haplotype": "haplotype", "is_diplotype": "diplotype", "is_interaction": "interaction"}
DOSAGE_WEIGHTS = ("dosage_0_weight", "dosage_1_weight", "dosage_2_weight")


def read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise input_error(
            path, None, f"cannot read scoring file ({exc.strerror})", "check the path"
        ) from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise input_error(path, None, f"corrupt gzip ({exc})", "re-download the file") from None
    return raw


def split_header(path: Path, raw: bytes) -> tuple[dict[str, str], int, int]:
    """``#key=value`` pairs, the number of header lines, and where the table starts."""
    meta: dict[str, str] = {}
    pos = n = 0
    while raw.startswith(b"#", pos):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        body = raw[pos:end].decode("utf-8", "replace").lstrip("#").strip()
        if "=" in body:
            key, _, value = body.partition("=")
            meta[key.strip()] = value.strip().strip("\t").strip()
        n += 1
        pos = end + 1
    if not raw[pos : pos + 4096].strip() and not raw[pos:].strip():  # (a copy only when needed)
        raise input_error(path, None, "no column header line after the # header", "add the table of variants")
    return meta, n, pos


_USED = {
    "chr_name",
    "chr_position",
    "hm_chr",
    "hm_pos",
    "effect_allele",
    "other_allele",
    "hm_inferOtherAllele",
    "effect_weight",
    "effect_type",
    "is_dominant",
    "is_recessive",
    *SKIP_FLAGS,
    "accession",
    "row_nr",
    *DOSAGE_WEIGHTS,
}


def read_table(path: Path, table: bytes) -> pl.DataFrame:
    """The columns genorx uses, positions and weights parsed as numbers when every cell is
    one (else all as text, and the bad cell is reported with its line)."""
    end = table.find(b"\n")
    header = table[: end if end >= 0 else len(table)].decode("utf-8", "replace").rstrip("\r").split("\t")
    names = [c.strip() for c in header]
    wanted = [c for c, n in zip(header, names, strict=True) if n in _USED] or header
    pos = "hm_pos" if {"hm_chr", "hm_pos"} <= set(names) else "chr_position"
    numeric = {c: t for c, t in ((pos, pl.Int64), ("effect_weight", pl.Float64)) if c in header}
    for schema in (numeric, {}):
        try:
            df = pl.read_csv(
                table,
                separator="\t",
                columns=wanted,
                infer_schema=False,
                schema_overrides=schema or None,
                quote_char='"',
                truncate_ragged_lines=False,
                encoding="utf8-lossy",
            )
            break
        except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
            if schema:
                continue  # a cell that is not a number: read as text to report it
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable table"
            raise input_error(
                path, None, f"not a tab-separated table ({first})", "use tab separators"
            ) from None
    return df.rename({c: c.strip() for c in df.columns})
