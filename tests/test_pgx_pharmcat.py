"""PharmCAT's own matcher expectations (../shared/pharmcat-tests): file-based cases and NAT2 sheet."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from genorx.pgx.definitions import load_pharmcat_definitions, parse_translation
from genorx.pgx.genotypes import SampleGenotypes, read_sample_genotypes
from genorx.pgx.match import MatchOptions, call_gene

pytestmark = pytest.mark.shared


def _cases(shared: Path) -> list[dict[str, str]]:
    with open(shared / "pharmcat-tests" / "expected_calls.tsv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _options(text: str) -> dict[str, str]:
    return dict(o.strip().split("=", 1) for o in text.split(";") if o.strip())


def _run_case(shared: Path, row: dict[str, str]) -> str:
    tests = shared / "pharmcat-tests"
    opts = _options(row["options"])
    if "definition" in opts:
        defn = parse_translation(json.loads((tests / "vcf" / opts["definition"]).read_text()))
        defs = {defn.gene: defn}
    else:
        defs = load_pharmcat_definitions(
            shared / "kb" / "pharmcat", [row["gene"]], use_exemptions=opts.get("exemptions") != "off"
        )
    options = MatchOptions(
        top_candidate_only=opts.get("topCandidateOnly") != "false",
        find_combinations=opts.get("combinations") == "on",
    )
    gset = read_sample_genotypes(tests / "vcf" / row["vcf"], defs)
    call = call_gene(defs[row["gene"]], gset.sample(row["gene"], gset.samples[0]), options)
    return " OR ".join(call.diplotype_names) or "NO_CALL"


def _agreement(shared: Path, rows: list[dict[str, str]]) -> list[tuple[str, ...]]:
    per_gene: Counter[str] = Counter()
    agree: Counter[str] = Counter()
    failures = []
    for row in rows:
        got = _run_case(shared, row)
        per_gene[row["gene"]] += 1
        if got == row["expected"]:
            agree[row["gene"]] += 1
        else:
            failures.append((row["vcf"], row["options"], row["expected"], got))
    print("agreement per gene:", {g: f"{agree[g]}/{n}" for g, n in sorted(per_gene.items())})
    return failures


def _is_research(row: dict[str, str]) -> bool:
    return "combinations=on" in row["options"]


def test_expected_calls_default_mode(shared: Path) -> None:
    """Every case without research (combination) mode: production and test-only definitions."""
    rows = _cases(shared)
    assert len(rows) == 44
    plain = [r for r in rows if not _is_research(r)]
    assert len(plain) == 35
    assert _agreement(shared, plain) == []


def test_expected_calls_research_mode(shared: Path) -> None:
    """Combination and partial alleles (PharmCAT research mode): every case agrees, order included."""
    research = [r for r in _cases(shared) if _is_research(r)]
    assert len(research) == 9
    assert _agreement(shared, research) == []


def test_nat2_sheet(shared: Path) -> None:
    defn = load_pharmcat_definitions(shared / "kb" / "pharmcat", ["NAT2"])["NAT2"]
    pos = {locus.rsid: locus.position for locus in defn.loci}
    path = shared / "pharmcat-tests" / "vcf" / "haplotype" / "NAT2" / "tests.tsv"
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))[1:]
    assert len(rows) == 75
    bad = []
    for row in rows:
        genotypes: dict[int, str | None] = {}
        for rsid, gt in zip(
            ("rs1801279", "rs1801280", "rs1799930", "rs1208", "rs1799931"), row[2:7], strict=True
        ):
            genotypes[pos[rsid]] = gt
        if row[0] != "none":
            for part in row[0].split("),"):
                genotypes[pos[part.split("(")[0].strip()]] = None
        call = call_gene(defn, SampleGenotypes.from_alleles(defn, genotypes))
        if row[7] == "not called":
            expected: list[str] = []
        elif len(row) > 8 and row[8]:
            expected = [row[8]]
        else:
            expected = [x.strip() for x in row[7].split(" or ")]
        if call.diplotype_names != expected:
            bad.append((row[:7], expected, call.diplotype_names))
        assert call.call_status == (
            "no_call" if not expected else "called" if len(expected) == 1 else "ambiguous"
        )
    assert not bad, bad


def test_nat2_required_position_missing_is_no_call(shared: Path) -> None:
    defn = load_pharmcat_definitions(shared / "kb" / "pharmcat", ["NAT2"])["NAT2"]
    rs1801279 = next(locus.position for locus in defn.loci if locus.rsid == "rs1801279")
    call = call_gene(defn, SampleGenotypes.from_alleles(defn, {rs1801279: None}))
    assert call.call_status == "no_call"
    assert "required" in (call.no_call_reason or "")
    assert [m.pos for m in call.missing_positions] == [rs1801279]
