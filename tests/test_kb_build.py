"""genorx kb build / load: the compact project KB against the PharmCAT data it is built from."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from genorx.errors import GenorxError
from genorx.kb.build import KB_FILES, build_kb
from genorx.kb.load import load_kb, require_genes
from genorx.kb.staging import sha256_file
from genorx.paths import BUNDLED_KB

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def pharmcat(shared: Path) -> Path:
    return shared / "kb" / "pharmcat"


@pytest.fixture(scope="module")
def built(pharmcat: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kb") / "kb"
    build_kb(pharmcat, out)
    return out


@pytest.fixture(scope="module")
def fetched_kb(pharmcat: Path):
    return load_kb(pharmcat)


def _without_prose(kb):
    return tuple(
        dataclasses.replace(
            g,
            recommendations=tuple(
                dataclasses.replace(r, text=None, implications=None) for r in g.recommendations
            ),
        )
        for g in kb.guidelines
    )


def test_built_kb_holds_the_same_facts_as_the_pharmcat_data(built: Path, fetched_kb) -> None:
    kb = load_kb(built)
    assert kb.definitions == fetched_kb.definitions
    assert kb.phenotypes == fetched_kb.phenotypes
    assert kb.guidelines == _without_prose(fetched_kb)
    assert kb.info.version == fetched_kb.info.version == "2025-11-05-00-25 (guidelines 2024-03-25-16-13)"
    assert not kb.info.has_prose and fetched_kb.info.has_prose
    assert len(kb.definitions) == 20 and len(kb.guidelines) == 118


def test_committed_kb_is_what_the_build_writes(built: Path) -> None:
    """resources/kb is reproducible: a fresh build gives byte-identical files."""
    for name in KB_FILES:
        assert sha256_file(BUNDLED_KB / name) == sha256_file(built / name), name
    manifest = json.loads((BUNDLED_KB / "kb.json").read_text())
    assert manifest["files"] == {n: sha256_file(BUNDLED_KB / n) for n in KB_FILES}
    assert load_kb(BUNDLED_KB).info.source == "bundled"


def test_committed_kb_is_compact_and_carries_no_prose(fetched_kb) -> None:
    total = sum(p.stat().st_size for p in BUNDLED_KB.iterdir() if p.is_file())
    assert total < 3_000_000, total
    text = (BUNDLED_KB / "guidelines.json").read_text()
    assert "<p>" not in text and '"implications"' not in text and '"text"' not in text
    # no recommendation sentence of the upstream data is in the committed KB
    sentences = [r.text for g in fetched_kb.guidelines for r in g.recommendations if r.text]
    assert sentences and not any(s[:60] in text for s in sentences if len(s) > 60)


def test_phenotype_maps_reduce_to_rules_without_loss(fetched_kb, pharmcat: Path) -> None:
    """Every diplotype row of every upstream phenotype map is reproduced by the rules."""
    from genorx.kb.model import rule_key

    for path in sorted((pharmcat / "phenotype").glob("*.json")):
        raw = json.loads(path.read_text())
        pm = fetched_kb.phenotypes[raw["gene"]]
        index = pm.rule_index()
        for row in raw["diplotypes"]:
            names = [n for n, c in row["diplotypekey"].items() for _ in range(int(c))]
            keys = [pm.alleles[n].key for n in names]
            rule = index[rule_key(keys[0], keys[1] if len(keys) == 2 else None)]
            assert (rule.phenotype, rule.lookup_key, rule.activity_score) == (
                row["generesult"],
                row["lookupkey"],
                row.get("activityScore"),
            ), (path.name, row["diplotype"])
    assert len(fetched_kb.phenotypes["CYP2D6"].rules) < 100  # 15,051 diplotype rows -> a few dozen rules


def test_positions_and_targets_format(built: Path) -> None:
    rows = (built / "positions.tsv").read_text().splitlines()
    bed = (built / "targets.bed").read_text().splitlines()
    assert rows[0] == "chrom\tpos\tref\talts\tgene\trsid"
    assert len(rows) - 1 == len(bed) == 1202
    for row, interval in zip(rows[1:], bed, strict=True):
        chrom, pos, ref, _alts, gene, rsid = row.split("\t")
        assert interval.split("\t") == [
            chrom,
            str(int(pos) - 1),
            str(int(pos) - 1 + len(ref)),
            f"{gene}:{rsid}",
        ]
    # CYP2C9's exemption extra position (rs12777823) is a target too
    assert any(line.endswith("CYP2C9:rs12777823") for line in bed)


def test_build_replaces_only_on_success(pharmcat: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    build_kb(pharmcat, out)
    before = {p.name: sha256_file(p) for p in out.iterdir()}
    broken = tmp_path / "broken"
    shutil.copytree(pharmcat, broken, ignore=shutil.ignore_patterns("index.json"))
    (broken / "phenotype" / "CYP2C19.json").write_text('{"gene": "CYP2C19", "diplotypes": [')
    with pytest.raises(GenorxError, match=r"CYP2C19\.json:line 1: corrupt JSON"):
        build_kb(broken, out)
    assert {p.name: sha256_file(p) for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".kb.")]  # no staging left behind


def test_load_errors_name_the_file_and_the_fix(built: Path, tmp_path: Path) -> None:
    kb_dir = tmp_path / "kb"
    shutil.copytree(built, kb_dir)
    (kb_dir / "phenotypes.json").unlink()
    with pytest.raises(GenorxError, match=r"phenotypes\.json: file missing .*; fix: restore it"):
        load_kb(kb_dir)
    shutil.copy2(built / "phenotypes.json", kb_dir / "phenotypes.json")
    (kb_dir / "kb.json").write_text("{not json")
    with pytest.raises(GenorxError, match=r"kb\.json:line 1: corrupt JSON"):
        load_kb(kb_dir)
    shutil.copy2(built / "kb.json", kb_dir / "kb.json")
    with open(kb_dir / "guidelines.json", "a") as fh:
        fh.write(" ")
    with pytest.raises(GenorxError, match=r"guidelines\.json: file differs .*sha256"):
        load_kb(kb_dir)
    with pytest.raises(GenorxError, match="not a knowledge base"):
        load_kb(tmp_path)
    with pytest.raises(GenorxError, match="directory not found"):
        load_kb(tmp_path / "nope")


def test_unknown_gene_lists_the_choices(built: Path) -> None:
    kb = load_kb(built)
    with pytest.raises(GenorxError, match=r"CYP2C91 not in the knowledge base; fix: choose from ABCG2"):
        require_genes(kb, ["CYP2C19", "CYP2C91"])


def test_cli_build_and_info(pharmcat: Path, tmp_path: Path) -> None:
    out = tmp_path / "kb"
    genorx = [sys.executable, "-m", "genorx.cli"]
    done = subprocess.run(
        [*genorx, "kb", "build", "--from", str(pharmcat), "--out", str(out)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "20 genes, 1202 positions, 118 guidelines" in done.stdout
    info = subprocess.run([*genorx, "kb", "info", "--kb", str(out)], capture_output=True, text=True)
    assert "version\t2025-11-05-00-25 (guidelines 2024-03-25-16-13)" in info.stdout
    bad = subprocess.run(
        [*genorx, "kb", "build", "--from", str(tmp_path / "x"), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("genorx: error: ") and bad.stderr.count("\n") == 1
