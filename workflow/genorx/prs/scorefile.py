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

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from genorx.errors import GenorxError, input_error
from genorx.prs.alleles import norm_build
from genorx.prs.scoremeta import ScoreMeta
from genorx.prs.scoretable import DOSAGE_WEIGHTS, SKIP_FLAGS, read_bytes, read_table, split_header

EFFECT_TYPES = ("additive", "dominant", "recessive")
_TRUE = {"true", "t", "1", "yes"}


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


def _clean(column: str) -> pl.Expr:
    """A text column without surrounding blanks; empty cells are null."""
    return pl.col(column).str.strip_chars().replace("", None)


def _number(df: pl.DataFrame, column: str, dtype: type[pl.DataType]) -> tuple[pl.Expr, pl.Expr]:
    """(value, text) of a numeric column: read as numbers already, or cast from text (null
    where a cell is not a number; the text says which)."""
    if df.schema[column] == dtype:  # every cell parsed (or empty): no text needed for errors
        return pl.col(column), pl.lit(None, pl.String)
    text = _clean(column)
    return text.cast(dtype, strict=False), text


def _flag(columns: list[str], column: str) -> pl.Expr:
    if column not in columns:
        return pl.lit(False)
    return _clean(column).str.to_lowercase().is_in(list(_TRUE)).fill_null(False)


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


def _rows_query(df: pl.DataFrame, chrom_col: str, pos_col: str, n_header: int) -> list[pl.Expr]:
    """Every column of the rows table (and the checks on it) as one query: a scoring file
    is read in one pass over its columns."""
    cols = df.columns
    ea = _clean("effect_allele").str.to_uppercase()
    oa = _clean("other_allele") if "other_allele" in cols else pl.lit(None, pl.String)
    if "hm_inferOtherAllele" in cols:
        inferred = _clean("hm_inferOtherAllele")
        oa = pl.coalesce(oa, pl.when(inferred.str.contains("/", literal=True)).then(None).otherwise(inferred))
    chrom = (
        _clean(chrom_col)
        .str.to_uppercase()
        .str.strip_prefix("CHR")
        .replace({"23": "X", "24": "Y", "25": "XY", "26": "MT", "M": "MT"})
    )
    pos, pos_text = _number(df, pos_col, pl.Int64)
    weight, weight_text = _number(df, "effect_weight", pl.Float64)
    if "effect_type" in cols:
        etype = _clean("effect_type").fill_null("additive").str.to_lowercase()
        bad_etype = ~etype.is_in(list(EFFECT_TYPES))
        both = pl.lit(False)
    else:
        dom, rec = _flag(cols, "is_dominant"), _flag(cols, "is_recessive")
        etype = (
            pl.when(dom)
            .then(pl.lit("dominant"))
            .when(rec)
            .then(pl.lit("recessive"))
            .otherwise(pl.lit("additive"))
        )
        bad_etype, both = pl.lit(False), dom & rec
    skip: pl.Expr = pl.lit(None, dtype=pl.String)
    for column, reason in reversed(list(SKIP_FLAGS.items())):
        skip = pl.when(_flag(cols, column)).then(pl.lit(reason)).otherwise(skip)
    dna = ea.str.contains(r"^[ACGT]+$").fill_null(False)
    base = (
        pl.when(~dna)
        .then(pl.lit("non_dna_allele"))
        .when(chrom.is_null() | pos.is_null())
        .then(pl.lit("no_position"))
    )
    return [
        (pl.int_range(pl.len(), dtype=pl.Int64) + n_header + 2).alias("line"),
        chrom.alias("chrom"),
        pos.alias("pos"),
        ea.alias("effect_allele"),
        oa.str.to_uppercase().alias("other_allele"),
        weight.alias("weight"),
        etype.alias("effect_type"),
        pl.coalesce(skip, base.otherwise(None)).alias("skip"),
        (pos.is_null() & pos_text.is_not_null()).alias("_bad_pos"),
        pos_text.alias("_pos_text"),
        (weight.is_null() & weight_text.is_not_null()).alias("_bad_weight"),
        weight_text.alias("_weight_text"),
        bad_etype.alias("_bad_etype"),
        _clean("effect_type").alias("_etype_text") if "effect_type" in cols else pl.lit(None, pl.String),
        both.alias("_both"),
    ]


def _check_rows(path: Path, rows: pl.DataFrame, pos_col: str) -> None:
    """The first row that cannot be read, as a one-line error naming its line."""
    checks = [
        (
            "_bad_weight",
            lambda r: (
                f"effect weight {r['_weight_text']!r} in column effect_weight is not a number",
                "fix or remove the row",
            ),
        ),
        (
            "_bad_pos",
            lambda r: (
                f"position {r['_pos_text']!r} in column {pos_col} is not a number",
                "fix or remove the row",
            ),
        ),
        ("_bad_etype", lambda r: (f"effect_type {r['_etype_text']!r}", "use additive/dominant/recessive")),
        ("_both", lambda r: ("row is both is_dominant and is_recessive", "set at most one of them")),
    ]
    for column, text in checks:
        if rows[column].any():
            row = rows.filter(pl.col(column)).row(0, named=True)
            problem, fix = text(row)
            raise input_error(path, f"{row['line']}", problem, fix)


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
    raw = read_bytes(path)
    meta, n_header, start = split_header(path, raw)
    df = read_table(path, raw[start:])
    present = [c for c in DOSAGE_WEIGHTS if c in df.columns]
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
            f"missing column(s) {', '.join(missing)} (found: {', '.join(df.columns)})",
            "a scoring file needs chr_name, chr_position, effect_allele, effect_weight",
        )
    if df.height == 0:
        raise input_error(path, None, "scoring file has no variant rows", "use a non-empty scoring file")
    chrom_col, pos_col, harmonised, build = _positions(path, df, meta)
    extra = []
    if "accession" in df.columns:
        extra = [
            _clean("accession").fill_null("score").alias("accession"),
            (
                _clean("row_nr").cast(pl.Int64, strict=False)
                if "row_nr" in df.columns
                else pl.lit(None, pl.Int64)
            ).alias("row_nr"),
        ]
    rows = df.select(*_rows_query(df, chrom_col, pos_col, n_header), *extra)
    _check_rows(path, rows, pos_col)
    rows = rows.select(pl.exclude("^_.*$"))
    layout = (
        "normalised" if "accession" in df.columns else ("pgs_catalog" if meta.get("pgs_id") else "custom")
    )
    if "accession" in df.columns:
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


def read_scoring_files(
    paths: list[str | Path], target_build: str | None, threads: int = 2
) -> list[ScoringFile]:
    """All scores of all files, build-checked, with unique ids (files read in parallel:
    polars releases the GIL while it parses)."""
    if threads > 1 and len(paths) > 1:
        with ThreadPoolExecutor(max_workers=min(threads, len(paths))) as pool:
            per_file = list(pool.map(read_scoring_file, paths))
    else:
        per_file = [read_scoring_file(p) for p in paths]
    scores: list[ScoringFile] = []
    seen: dict[str, str] = {}
    for p, file_scores in zip(paths, per_file, strict=True):
        for sf in file_scores:
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
