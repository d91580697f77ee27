"""Typed scoring-file models and readers.

Three layouts are read, all tab-separated:

- PGS Catalog scoring files (format v2): a ``#key=value`` header (``pgs_id``,
  ``genome_build``, ``HmPOS_build`` ...) then ``chr_name chr_position effect_allele
  other_allele effect_weight ...``; harmonised files add ``hm_chr hm_pos
  hm_inferOtherAllele`` and those positions are used (their build is ``HmPOS_build``).
- custom files: ``chr_name chr_position effect_allele [other_allele] effect_weight``
  (optionally ``is_dominant is_recessive``) with an optional ``#`` header.
- normalised files (pgscatalog-format output): ``... effect_type accession row_nr``;
  one file may hold several scores (one per ``accession``).

What cannot be scored additively is rejected (``dosage_0/1/2_weight`` columns) or
reported and skipped row by row (haplotypes, diplotypes, interactions, non-DNA alleles).
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from genorx.errors import GenorxError, input_error
from genorx.prs.alleles import norm_build

EFFECT_TYPES = ("additive", "dominant", "recessive")
_TRUE = {"true", "t", "1", "yes"}
_SKIP_FLAGS = {"is_haplotype": "haplotype", "is_diplotype": "diplotype", "is_interaction": "interaction"}
_DOSAGE_WEIGHTS = ("dosage_0_weight", "dosage_1_weight", "dosage_2_weight")


@dataclass(frozen=True)
class ScoreMeta:
    """What a score is and where its positions come from."""

    pgs_id: str
    source: str
    layout: str  # pgs_catalog | custom | normalised
    pgs_name: str | None = None
    trait_reported: str | None = None
    trait_mapped: str | None = None
    citation: str | None = None
    weight_type: str | None = None
    genome_build: str | None = None  # author-reported build (normalised name)
    hm_build: str | None = None  # HmPOS_build of a harmonised file
    positions_build: str | None = None  # build of the positions used for matching
    harmonised: bool = False
    demonstration: bool = False


@dataclass(frozen=True)
class ScoringFile:
    """One score: metadata and its rows.

    ``rows`` columns: ``row_nr`` (0-based within the score), ``line`` (1-based line in the
    file), ``chrom`` (normalised, null when absent), ``pos``, ``effect_allele``,
    ``other_allele`` (null when absent), ``weight`` (float64), ``effect_type``
    (additive|dominant|recessive) and ``skip`` (null, or why the row cannot be scored).
    """

    meta: ScoreMeta
    rows: pl.DataFrame

    @property
    def n_rows(self) -> int:
        return self.rows.height

    @property
    def n_scorable(self) -> int:
        return int(self.rows["skip"].is_null().sum())


def _open_text(path: Path) -> str:
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
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def _split_header(path: Path, text: str) -> tuple[dict[str, str], int, str]:
    """``#key=value`` pairs, the number of header lines, and the table text."""
    meta: dict[str, str] = {}
    lines = text.splitlines(keepends=True)
    n = 0
    for line in lines:
        if not line.startswith("#"):
            break
        n += 1
        body = line.lstrip("#").strip()
        if "=" in body:
            key, _, value = body.partition("=")
            meta[key.strip()] = value.strip().strip("\t").strip()
    if n == len(lines):
        raise input_error(path, None, "no column header line after the # header", "add the table of variants")
    return meta, n, "".join(lines[n:])


def _table(path: Path, table: str, n_header: int) -> pl.DataFrame:
    try:
        df = pl.read_csv(
            io.StringIO(table),
            separator="\t",
            infer_schema=False,
            quote_char='"',
            truncate_ragged_lines=False,
        )
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable table"
        raise input_error(path, None, f"not a tab-separated table ({first})", "use tab separators") from None
    df = df.rename({c: c.strip() for c in df.columns})
    df = df.with_columns(pl.col(c).str.strip_chars() for c in df.columns)
    df = df.with_columns(
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in df.columns
    )
    return df.with_row_index("row_idx").with_columns(
        (pl.col("row_idx") + n_header + 2).cast(pl.Int64).alias("line")
    )


def _numeric(path: Path, df: pl.DataFrame, column: str, dtype: type[pl.DataType], label: str) -> pl.Series:
    values = df[column].cast(dtype, strict=False)
    bad = df.filter(values.is_null() & df[column].is_not_null())
    if bad.height:
        line, value = bad["line"][0], bad[column][0]
        raise input_error(
            path, f"{line}", f"{label} {value!r} in column {column} is not a number", "fix or remove the row"
        )
    return values


def _flag(df: pl.DataFrame, column: str) -> pl.Series:
    if column not in df.columns:
        return pl.Series(column, [False] * df.height, dtype=pl.Boolean)
    return df[column].str.to_lowercase().is_in(list(_TRUE)).fill_null(False)


def _positions(path: Path, df: pl.DataFrame, meta: dict[str, str]) -> tuple[str, str, bool, str | None]:
    if {"hm_chr", "hm_pos"} <= set(df.columns):
        return "hm_chr", "hm_pos", True, norm_build(meta.get("HmPOS_build"))
    if {"chr_name", "chr_position"} <= set(df.columns):
        return "chr_name", "chr_position", False, norm_build(meta.get("genome_build"))
    raise input_error(
        path,
        None,
        "scoring file has no chr_name/chr_position (or hm_chr/hm_pos) columns, so its variants cannot be "
        "placed on the genome",
        "use the PGS Catalog harmonised file (e.g. PGSxxxxxx_hmPOS_GRCh38.txt.gz) or add positions",
    )


def _effect_types(path: Path, df: pl.DataFrame) -> pl.Series:
    if "effect_type" in df.columns:
        et = df["effect_type"].fill_null("additive").str.to_lowercase()
        bad = df.filter(~et.is_in(list(EFFECT_TYPES)))
        if bad.height:
            raise input_error(
                path,
                f"{bad['line'][0]}",
                f"effect_type {bad['effect_type'][0]!r}",
                "use additive/dominant/recessive",
            )
        return et
    dom, rec = _flag(df, "is_dominant"), _flag(df, "is_recessive")
    both = df.filter(dom & rec)
    if both.height:
        raise input_error(
            path, f"{both['line'][0]}", "row is both is_dominant and is_recessive", "set at most one of them"
        )
    return (
        pl.select(
            pl.when(dom)
            .then(pl.lit("dominant"))
            .when(rec)
            .then(pl.lit("recessive"))
            .otherwise(pl.lit("additive"))
        )
        .to_series()
        .alias("effect_type")
    )


def _skip_reasons(df: pl.DataFrame, chrom: pl.Series, pos: pl.Series) -> pl.Series:
    expr = pl.lit(None, dtype=pl.String)
    ea = df["effect_allele"].str.to_uppercase()
    for column, reason in reversed(list(_SKIP_FLAGS.items())):
        expr = pl.when(_flag(df, column)).then(pl.lit(reason)).otherwise(expr)
    frame = pl.DataFrame({"ea": ea, "chrom": chrom, "pos": pos})
    base = pl.when(pl.col("ea").is_null() | ~pl.col("ea").str.contains(r"^[ACGT]+$")).then(
        pl.lit("non_dna_allele")
    )
    base = base.when(pl.col("chrom").is_null() | pl.col("pos").is_null()).then(pl.lit("no_position"))
    flagged = frame.with_columns(flag=expr).select(pl.coalesce("flag", base.otherwise(None)))
    return flagged.to_series().alias("skip")


def _other_allele(df: pl.DataFrame) -> pl.Series:
    oa = (
        df["other_allele"] if "other_allele" in df.columns else pl.Series([None] * df.height, dtype=pl.String)
    )
    if "hm_inferOtherAllele" in df.columns:
        inferred = df["hm_inferOtherAllele"]
        single = pl.select(pl.when(inferred.str.contains("/")).then(None).otherwise(inferred)).to_series()
        oa = pl.select(pl.coalesce(oa, single)).to_series()
    return oa.str.to_uppercase().alias("other_allele")


def _score_meta(
    path: Path, meta: dict[str, str], layout: str, harmonised: bool, build: str | None
) -> ScoreMeta:
    trait = meta.get("trait_reported")
    demo = meta.get("demonstration", "").lower() in _TRUE or "demonstration data" in (trait or "").lower()
    stem = path.name.split(".")[0]
    return ScoreMeta(
        pgs_id=meta.get("pgs_id") or meta.get("pgs_name") or stem,
        source=str(path),
        layout=layout,
        pgs_name=meta.get("pgs_name"),
        trait_reported=trait,
        trait_mapped=meta.get("trait_mapped"),
        citation=meta.get("citation"),
        weight_type=meta.get("weight_type"),
        genome_build=norm_build(meta.get("genome_build")),
        hm_build=norm_build(meta.get("HmPOS_build")),
        positions_build=build,
        harmonised=harmonised,
        demonstration=demo,
    )


def read_scoring_file(path: str | Path) -> list[ScoringFile]:
    """Every score in ``path`` (one, or several for a normalised multi-accession file)."""
    path = Path(path)
    text = _open_text(path)
    meta, n_header, table = _split_header(path, text)
    df = _table(path, table, n_header)
    present = [c for c in _DOSAGE_WEIGHTS if c in df.columns]
    if present:
        raise input_error(
            path,
            None,
            f"non-additive dosage weights ({', '.join(present)}) cannot be scored as an additive sum",
            "use a score with effect_weight (additive/dominant/recessive)",
        )
    missing = [c for c in ("effect_allele", "effect_weight") if c not in df.columns]
    if missing:
        raise input_error(
            path,
            "header",
            f"missing column(s) {', '.join(missing)} (found: {', '.join(c for c in df.columns[1:-1])})",
            "a scoring file needs chr_name, chr_position, effect_allele, effect_weight",
        )
    if df.height == 0:
        raise input_error(path, None, "scoring file has no variant rows", "use a non-empty scoring file")
    chrom_col, pos_col, harmonised, build = _positions(path, df, meta)
    weight = _numeric(path, df, "effect_weight", pl.Float64, "effect weight")
    pos = _numeric(path, df, pos_col, pl.Int64, "position")
    chrom = (
        df.select(
            pl.col(chrom_col)
            .str.replace(r"^(?i)chr", "")
            .str.to_uppercase()
            .replace({"23": "X", "24": "Y", "25": "XY", "26": "MT", "M": "MT"})
        )
        .to_series()
        .alias("chrom")
    )
    layout = (
        "normalised" if "accession" in df.columns else ("pgs_catalog" if meta.get("pgs_id") else "custom")
    )
    rows = pl.DataFrame(
        {
            "line": df["line"],
            "chrom": chrom,
            "pos": pos,
            "effect_allele": df["effect_allele"].str.to_uppercase(),
            "other_allele": _other_allele(df),
            "weight": weight,
            "effect_type": _effect_types(path, df),
            "skip": _skip_reasons(df, chrom, pos),
        }
    )
    if "accession" in df.columns:
        rows = rows.with_columns(accession=df["accession"].fill_null("score"))
        rows = rows.with_columns(
            row_nr=(df["row_nr"].cast(pl.Int64, strict=False) if "row_nr" in df.columns else pl.lit(None)),
        )
        groups = rows.partition_by("accession", maintain_order=True, as_dict=True)
        scores = []
        for (accession,), part in groups.items():
            sm = replace(_score_meta(path, meta, layout, harmonised, build), pgs_id=str(accession))
            scores.append(_finish(path, sm, part.drop("accession")))
        return scores
    return [_finish(path, _score_meta(path, meta, layout, harmonised, build), rows)]


def _finish(path: Path, meta: ScoreMeta, rows: pl.DataFrame) -> ScoringFile:
    if "row_nr" not in rows.columns or rows["row_nr"].null_count():
        rows = (
            rows.drop("row_nr", strict=False)
            .with_row_index("row_nr")
            .with_columns(pl.col("row_nr").cast(pl.Int64))
        )
    nan = rows.filter(pl.col("weight").is_null() & pl.col("skip").is_null())
    if nan.height:
        raise input_error(path, f"{nan['line'][0]}", "effect weight is empty", "give every row a weight")
    cols = [
        "row_nr",
        "line",
        "chrom",
        "pos",
        "effect_allele",
        "other_allele",
        "weight",
        "effect_type",
        "skip",
    ]
    sf = ScoringFile(meta=meta, rows=rows.select(cols))
    if sf.n_scorable == 0:
        reasons = rows["skip"].value_counts(sort=True)
        top = ", ".join(f"{r}={n}" for r, n in reasons.iter_rows())
        raise input_error(path, None, f"score {meta.pgs_id} has no scorable rows ({top})", "check the file")
    return sf


def check_build(sf: ScoringFile, target_build: str | None) -> None:
    """Fail when the positions' build and the target's build are both known and differ."""
    have = sf.meta.positions_build
    want = norm_build(target_build)
    if have and want and have != want:
        which = "HmPOS_build" if sf.meta.harmonised else "genome_build"
        raise GenorxError(
            f"{sf.meta.source}: header: score {sf.meta.pgs_id} positions are on {have} ({which}) "
            f"but the target is {want}; fix: use the PGS Catalog file harmonised to {want} "
            f"(…_hmPOS_{want}.txt.gz)"
        )


def read_scoring_files(paths: list[str | Path], target_build: str | None) -> list[ScoringFile]:
    """All scores of all files, build-checked, with unique ids."""
    scores: list[ScoringFile] = []
    seen: dict[str, str] = {}
    for p in paths:
        for sf in read_scoring_file(p):
            check_build(sf, target_build)
            if sf.meta.pgs_id in seen:
                raise input_error(
                    p,
                    "header",
                    f"score id {sf.meta.pgs_id} also comes from {seen[sf.meta.pgs_id]}",
                    "pass it once",
                )
            seen[sf.meta.pgs_id] = str(p)
            scores.append(sf)
    return scores
