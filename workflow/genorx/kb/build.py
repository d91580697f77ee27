"""``genorx kb build``: a PharmCAT-format directory -> the compact project KB.

Writes, in a staging folder swapped into place at the end:
``definitions.json`` (allele definitions + exemptions), ``phenotypes.json`` (allele
function/activity values and diplotype -> phenotype rules), ``guidelines.json``
(recommendation lookup keys, classification, flags, population, source, guideline
id/name/URL/version; no prose), ``positions.tsv`` + ``targets.bed`` (every defining
position) and ``kb.json`` (name, version, provenance, sha256 of every file).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from genorx.atomic import write_text
from genorx.errors import input_error
from genorx.kb.load import kb_version, load_pharmcat_kb
from genorx.kb.pharmcat import is_pharmcat_dir
from genorx.kb.positions import write_positions
from genorx.kb.serialize import (
    FORMAT,
    FORMAT_VERSION,
    compact_translation,
    guideline_to_json,
    phenotype_to_json,
)
from genorx.kb.staging import sha256_file, staged_dir
from genorx.pgx.definitions import read_json

KB_FILES = ("definitions.json", "phenotypes.json", "guidelines.json", "positions.tsv", "targets.bed")


def _lines_object(items: dict[str, Any]) -> str:
    """A JSON object with one member per line (small diffs when one gene changes)."""
    body = ",\n".join(
        f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False, separators=(',', ':'))}"
        for k, v in items.items()
    )
    return "{\n" + body + "\n}\n"


def _lines_array(items: list[Any]) -> str:
    body = ",\n".join(json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in items)
    return "[\n" + body + "\n]\n"


def _input_files(src: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    for pattern in ("definition/alleles/*.json", "phenotype/*.json", "reporter/guidelines/*.json"):
        for path in sorted(src.glob(pattern)):
            files[str(path.relative_to(src))] = sha256_file(path)
    return files


def build_kb(src: str | Path, out: str | Path) -> dict[str, Any]:
    """Compile ``src`` (PharmCAT layout) into the project KB at ``out``; returns the manifest."""
    src, out = Path(src), Path(out)
    if not is_pharmcat_dir(src):
        raise input_error(
            src,
            None,
            "not a PharmCAT-format data directory (no definition/alleles)",
            "pass --from a fetched KB",
        )
    kb = load_pharmcat_kb(src, with_prose=False)
    folder = src / "definition" / "alleles"
    exemptions = read_json(folder / "exemptions.json") if (folder / "exemptions.json").exists() else {}
    definitions = {
        gene: {
            "translation": compact_translation(read_json(folder / f"{gene}_translation.json")),
            "exemptions": exemptions.get(gene),
        }
        for gene in sorted(kb.definitions)
    }
    index = read_json(src / "index.json") if (src / "index.json").exists() else {}
    provenance = read_json(src / "provenance.json") if (src / "provenance.json").exists() else {}
    built_from: dict[str, Any] = {
        "name": index.get("name") or src.name,
        "description": index.get("description", ""),
        "fetched_from": provenance.get("url"),
        "fetched_at": provenance.get("fetched_at"),
        "files": _input_files(src),
    }
    with staged_dir(out) as stage:
        write_text(stage / "definitions.json", _lines_object(definitions))
        write_text(
            stage / "phenotypes.json",
            _lines_object({g: phenotype_to_json(kb.phenotypes[g]) for g in sorted(kb.phenotypes)}),
        )
        write_text(stage / "guidelines.json", _lines_array([guideline_to_json(g) for g in kb.guidelines]))
        write_positions(kb.definitions, stage)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "name": "genorx-pgx-kb",
            "version": kb_version(kb.definitions, kb.guidelines),
            "description": (
                "Compact facts compiled from PharmCAT-format data: allele definitions, allele "
                "function/activity values, diplotype-to-phenotype rules and CPIC/DPWG recommendation "
                "lookup keys. Recommendation and implication texts are not included; they come with a "
                "fetched KB."
            ),
            "genes": sorted(kb.definitions),
            "guideline_genes": kb.guideline_genes,
            "versions": {
                "definitions": dict(Counter(d.version for d in kb.definitions.values())),
                "phenotypes": {g: p.version for g, p in sorted(kb.phenotypes.items())},
                "guidelines": dict(Counter(g.data_version for g in kb.guidelines)),
            },
            "counts": {
                "genes": len(kb.definitions),
                "positions": sum(1 for _ in open(stage / "positions.tsv", encoding="utf-8")) - 1,
                "guidelines": len(kb.guidelines),
                "recommendations": sum(len(g.recommendations) for g in kb.guidelines),
            },
            "built_from": built_from,
            "files": {name: sha256_file(stage / name) for name in KB_FILES},
        }
        write_text(stage / "kb.json", json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    return manifest
