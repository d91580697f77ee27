"""genorx pgx call: the CLI contract, cohort mode, targets, and bad inputs (real VCFs, real KB)."""

from __future__ import annotations

import csv
import gzip
import json
import shutil
from pathlib import Path

import pytest
from genorx.cli import main as genorx
from genorx.paths import BUNDLED_KB

pytestmark = pytest.mark.shared

COLUMNS = [
    "sample_id",
    "gene",
    "diplotype",
    "call_status",
    "phenotype",
    "activity_score",
    "missing_positions",
]
RS4244285 = ("chr10", 94781859)  # CYP2C19*2 defining position


@pytest.fixture(scope="module")
def examples(shared: Path) -> Path:
    return shared / "kb" / "pharmcat-examples"


def _lines(vcf: Path) -> list[str]:
    return vcf.read_text().splitlines(keepends=True)


def _write_vcf(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(lines))
    return path


def _edit(lines: list[str], chrom: str, pos: int, ref: str | None = None, gt: str | None = None) -> list[str]:
    out = []
    for line in lines:
        f = line.rstrip("\n").split("\t")
        if not line.startswith("#") and f[0] == chrom and int(f[1]) == pos:
            if ref is not None:
                f[3] = ref
            if gt is not None:
                f[9] = gt
            line = "\t".join(f) + "\n"
        out.append(line)
    return out


def _tsv(path: Path) -> list[dict[str, str]]:
    with open(path) as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return rows


def _run(capsys, *args: str) -> tuple[int, str]:
    code = genorx(["pgx", "call", *args])
    return code, capsys.readouterr().err


def test_contract_single_sample(examples: Path, tmp_path: Path, capsys) -> None:
    out, js = tmp_path / "pgx.tsv", tmp_path / "pgx.json"
    code, err = _run(
        capsys, "--vcf", str(examples / "pharmcat.example2.vcf"), "--out", str(out), "--json", str(js)
    )
    assert code == 0, err
    assert out.read_text().splitlines()[0].split("\t") == COLUMNS
    rows = {r["gene"]: r for r in _tsv(out)}
    assert len(rows) == 20
    assert (rows["CYP2C19"]["diplotype"], rows["CYP2C19"]["phenotype"]) == ("*2/*2", "Poor Metabolizer")
    assert (rows["CYP2B6"]["diplotype"], rows["CYP2B6"]["call_status"]) == ("*1/*6", "called")
    assert (rows["CYP2C9"]["activity_score"], rows["DPYD"]["activity_score"]) == ("2.0", "2.0")
    assert rows["CYP2D6"]["call_status"] == "no_call" and rows["CYP2D6"]["diplotype"] == ""
    doc = json.loads(js.read_text())
    assert doc["kb"]["source"] == "bundled" and doc["kb"]["version"]
    (sample,) = doc["samples"]
    genes = {g["gene"]: g for g in sample["genes"]}
    g = genes["CYP2C19"]
    for key in (
        "call_status",
        "diplotypes",
        "phased",
        "phenotype",
        "activity_score",
        "functions",
        "lookup_keys",
        "missing_positions",
        "no_call_reason",
        "candidates",
        "genotypes",
        "warnings",
    ):
        assert key in g
    assert g["functions"] == ["No function", "No function"] and g["lookup_keys"]["CPIC"] == "Poor Metabolizer"
    assert any(x["rsid"] == "rs4244285" and x["genotype"] == "A/A" for x in g["genotypes"])
    assert "not called from VCF by default" in genes["CYP2D6"]["no_call_reason"]
    clop = [r for r in sample["recommendations"] if r["drug"] == "clopidogrel" and r["source"] == "CPIC"]
    assert clop and all(r["lookup_key"] == {"CYP2C19": "Poor Metabolizer"} for r in clop)
    assert any(u["drug"] == "codeine" and "CYP2D6" in u["reason"] for u in sample["not_assessed"])
    assert any(u["drug"] == "abacavir" for u in sample["not_assessed"])  # HLA-B: outside calls only


def test_cohort_mode_matches_single_sample_runs(examples: Path, tmp_path: Path, capsys) -> None:
    code, err = _run(
        capsys, "--vcf", str(examples / "multisample.vcf"), "--out", str(tmp_path / "c.tsv"), "--threads", "2"
    )
    assert code == 0, err
    cohort = _tsv(tmp_path / "c.tsv")
    assert [r["sample_id"] for r in cohort[::20]] == ["Sample_1", "Sample_2"] and len(cohort) == 40
    for sample, vcf in (("Sample_1", "pharmcat.example.vcf"), ("Sample_2", "pharmcat.example2.vcf")):
        code, _ = _run(capsys, "--vcf", str(examples / vcf), "--out", str(tmp_path / f"{sample}.tsv"))
        assert code == 0
        assert [r for r in cohort if r["sample_id"] == sample] == _tsv(tmp_path / f"{sample}.tsv")
    code, _ = _run(
        capsys,
        "--vcf",
        str(examples / "multisample.vcf"),
        "--sample",
        "Sample_2",
        "--gene",
        "CYP2C19",
        "--gene",
        "CYP2B6",
        "--out",
        str(tmp_path / "one.tsv"),
    )
    rows = _tsv(tmp_path / "one.tsv")
    assert [(r["sample_id"], r["gene"], r["diplotype"]) for r in rows] == [
        ("Sample_2", "CYP2B6", "*1/*6"),
        ("Sample_2", "CYP2C19", "*2/*2"),
    ]


def test_targets_no_call_is_missing_and_absent_as_ref(examples: Path, tmp_path: Path, capsys) -> None:
    lines = _lines(examples / "pharmcat.example2.vcf")
    vcf = _write_vcf(tmp_path / "s.vcf", lines)
    targets = tmp_path / "s.targets.tsv.gz"
    with gzip.open(targets, "wt") as fh:
        fh.write("chrom\tpos\tref\tdepth\tmq0_fraction\tstatus\treason\tgenotype\n")
        fh.write(f"{RS4244285[0]}\t{RS4244285[1]}\tG\t3\t0.0\tno_call\tlow_depth\t.\n")
    code, err = _run(
        capsys,
        "--vcf",
        str(vcf),
        "--targets",
        str(targets),
        "--gene",
        "CYP2C19",
        "--out",
        str(tmp_path / "t.tsv"),
        "--json",
        str(tmp_path / "t.json"),
    )
    assert code == 0, err
    (row,) = _tsv(tmp_path / "t.tsv")
    assert row["missing_positions"] == "chr10:94781859" and row["diplotype"] != "*2/*2"
    gene = json.loads((tmp_path / "t.json").read_text())["samples"][0]["genes"][0]
    assert gene["missing_positions"][0]["reason"] == "low_depth"
    recs = json.loads((tmp_path / "t.json").read_text())["samples"][0]["recommendations"]
    assert recs and all(r["evidence_status"] == "incomplete" for r in recs)
    # a position absent from a joint-called panel: missing by default, reference with --absent-as-ref
    panel = _write_vcf(tmp_path / "p.vcf", [x for x in lines if not x.startswith("chr10\t94781859\t")])
    code, _ = _run(capsys, "--vcf", str(panel), "--gene", "CYP2C19", "--out", str(tmp_path / "p.tsv"))
    assert _tsv(tmp_path / "p.tsv")[0]["missing_positions"] == "chr10:94781859"
    code, _ = _run(
        capsys, "--vcf", str(panel), "--gene", "CYP2C19", "--absent-as-ref", "--out", str(tmp_path / "r.tsv")
    )
    assert _tsv(tmp_path / "r.tsv")[0]["missing_positions"] == ""


def test_vcf_without_a_genes_contig(examples: Path, tmp_path: Path, capsys) -> None:
    lines = [
        x
        for x in _lines(examples / "pharmcat.example2.vcf")
        if not x.startswith(("chr10\t", "##contig=<ID=chr10,"))
    ]
    vcf = _write_vcf(tmp_path / "no10.vcf", lines)
    code, err = _run(
        capsys, "--vcf", str(vcf), "--out", str(tmp_path / "o.tsv"), "--json", str(tmp_path / "o.json")
    )
    assert code == 0, err
    rows = {r["gene"]: r for r in _tsv(tmp_path / "o.tsv")}
    assert rows["CYP2C19"]["call_status"] == rows["CYP2C9"]["call_status"] == "no_call"
    assert rows["CYP2B6"]["call_status"] == "called"
    genes = {g["gene"]: g for g in json.loads((tmp_path / "o.json").read_text())["samples"][0]["genes"]}
    assert "contig chr10 not in the VCF" in genes["CYP2C19"]["no_call_reason"]


def test_ref_mismatch_marks_the_gene(examples: Path, tmp_path: Path, capsys) -> None:
    vcf = _write_vcf(
        tmp_path / "m.vcf", _edit(_lines(examples / "pharmcat.example2.vcf"), *RS4244285, ref="T")
    )
    code, err = _run(
        capsys,
        "--vcf",
        str(vcf),
        "--gene",
        "CYP2C19",
        "--out",
        str(tmp_path / "m.tsv"),
        "--json",
        str(tmp_path / "m.json"),
    )
    assert code == 0, err
    (row,) = _tsv(tmp_path / "m.tsv")
    assert "chr10:94781859" in row["missing_positions"]
    gene = json.loads((tmp_path / "m.json").read_text())["samples"][0]["genes"][0]
    assert any("94781859" in w and "REF" in w.upper() for w in gene["warnings"])


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--gene", "CYP2C91"], "CYP2C91 not in the knowledge base; fix: choose from"),
        (["--sample", "NOPE"], "sample(s) NOPE not in the VCF"),
        (["--kb", "{tmp}/nokb"], "knowledge base directory not found"),
        (["--targets", "{tmp}/none.tsv.gz"], "targets file not found"),
    ],
)
def test_bad_inputs_fail_cleanly_without_outputs(examples, tmp_path, capsys, extra, message) -> None:
    out = tmp_path / "pgx.tsv"
    out.write_text("previous\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in extra]
    code, err = _run(
        capsys,
        "--vcf",
        str(examples / "pharmcat.example.vcf"),
        "--out",
        str(out),
        "--json",
        str(tmp_path / "j.json"),
        *args,
    )
    assert code == 2 and message in err
    assert err.startswith("genorx: error: ") and err.count("\n") == 1 and "fix:" in err
    assert out.read_text() == "previous\n" and not (tmp_path / "j.json").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_broken_kb_and_unusable_vcf(examples: Path, tmp_path: Path, capsys) -> None:
    kb = tmp_path / "kb"
    shutil.copytree(BUNDLED_KB, kb)
    (kb / "guidelines.json").unlink()
    code, err = _run(
        capsys,
        "--vcf",
        str(examples / "pharmcat.example.vcf"),
        "--kb",
        str(kb),
        "--out",
        str(tmp_path / "a.tsv"),
    )
    assert code == 2 and "guidelines.json: file missing from the knowledge base" in err
    shutil.copy2(BUNDLED_KB / "guidelines.json", kb / "guidelines.json")
    (kb / "phenotypes.json").write_text('{"CYP2C19": ')
    code, err = _run(
        capsys,
        "--vcf",
        str(examples / "pharmcat.example.vcf"),
        "--kb",
        str(kb),
        "--out",
        str(tmp_path / "a.tsv"),
    )
    assert code == 2 and "phenotypes.json" in err
    # a VCF with none of the genes' chromosomes: nothing can be assessed -> error, no output
    lines = [
        x
        for x in _lines(examples / "pharmcat.example.vcf")
        if x.startswith("#") and not x.startswith("##contig")
    ]
    lines.append("chr3\t1000\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\n")
    vcf = _write_vcf(tmp_path / "chr3.vcf", lines)
    code, err = _run(capsys, "--vcf", str(vcf), "--out", str(tmp_path / "a.tsv"))
    assert code == 2 and "no requested gene can be assessed" in err
    assert not (tmp_path / "a.tsv").exists()


def test_dpyd_unphased_variants_end_to_end(examples: Path, tmp_path: Path, capsys) -> None:
    """Three heterozygous DPYD variants, unphased: reported as found, scored by the lowest two."""
    lines = _lines(examples / "pharmcat.example2.vcf")
    for pos in (97082391, 97450058, 97883329):  # c.2846A>T, c.1905+1G>A (*2A), c.85T>C (*9A)
        lines = _edit(lines, "chr1", pos, gt="0/1")
    vcf = _write_vcf(tmp_path / "dpyd.vcf", lines)
    code, err = _run(
        capsys,
        "--vcf",
        str(vcf),
        "--gene",
        "DPYD",
        "--out",
        str(tmp_path / "d.tsv"),
        "--json",
        str(tmp_path / "d.json"),
    )
    assert code == 0, err
    (row,) = _tsv(tmp_path / "d.tsv")
    assert (row["diplotype"], row["call_status"]) == ("c.1905+1G>A (*2A)/c.2846A>T", "called")
    assert (row["phenotype"], row["activity_score"]) == ("Poor Metabolizer", "0.5")
    sample = json.loads((tmp_path / "d.json").read_text())["samples"][0]
    gene = sample["genes"][0]
    assert set(gene["haplotype_matches"]) == {"c.1905+1G>A (*2A)", "c.2846A>T", "c.85T>C (*9A)"}
    cape = [r for r in sample["recommendations"] if r["drug"] == "capecitabine"]
    assert {r["source"] for r in cape} == {"CPIC", "DPWG"}
    assert all(r["lookup_key"]["DPYD"].startswith("0.5") for r in cape)


def test_cyp2d6_on_request_and_outside_calls(examples: Path, tmp_path: Path, capsys) -> None:
    code, err = _run(
        capsys,
        "--vcf",
        str(examples / "pharmcat.example.vcf"),
        "--gene",
        "CYP2D6",
        "--out",
        str(tmp_path / "d.tsv"),
        "--json",
        str(tmp_path / "d.json"),
    )
    assert code == 0, err
    (row,) = _tsv(tmp_path / "d.tsv")
    assert row["call_status"] == "called" and row["activity_score"]
    notes = json.loads((tmp_path / "d.json").read_text())["samples"][0]["genes"][0]["notes"]
    assert any("SNVs only" in n for n in notes)
    bad = tmp_path / "bad_outside.tsv"
    bad.write_text("HLA-Q\t*01:01/*02:01\n")
    code, err = _run(
        capsys,
        "--vcf",
        str(examples / "pharmcat.example.vcf"),
        "--outside-call",
        str(bad),
        "--out",
        str(tmp_path / "x.tsv"),
    )
    assert code == 2 and "bad_outside.tsv:line 1: unknown gene 'HLA-Q'" in err
