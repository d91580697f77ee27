"""``load_kb(path)``: a built project KB (``resources/kb``) or a PharmCAT-format directory.

A built KB has a ``kb.json`` manifest naming each file with its sha256; a fetched
PharmCAT-format directory has ``index.json`` (and ``provenance.json`` when
``genorx kb fetch`` wrote it). Both are checked file by file before anything is parsed,
so a missing or altered file is one clear error naming it and the fix.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from genorx.errors import GenorxError, input_error
from genorx.kb.model import Guideline, KbInfo, KnowledgeBase, PhenotypeMap
from genorx.kb.pharmcat import is_pharmcat_dir, read_guidelines, read_phenotype_maps
from genorx.kb.serialize import (
    FORMAT,
    expand_translation,
    guideline_from_json,
    phenotype_from_json,
)
from genorx.kb.staging import sha256_file, sha256_text
from genorx.paths import BUNDLED_KB
from genorx.pgx.definitions import (
    GeneDefinition,
    load_pharmcat_definitions,
    parse_exemptions,
    parse_translation,
    read_json,
)

REBUILD = "restore it (git checkout resources/kb) or rebuild it with 'genorx kb build'"
REFETCH = "fetch the knowledge base again with 'genorx kb fetch'"


def load_kb(path: str | Path) -> KnowledgeBase:
    """The KB at ``path``: a built project KB or a PharmCAT-format data directory."""
    root = Path(path)
    if not root.is_dir():
        raise input_error(
            root,
            None,
            "knowledge base directory not found",
            "pass --kb resources/kb or a fetched KB directory",
        )
    if (root / "kb.json").exists():
        return _load_built(root)
    if is_pharmcat_dir(root):
        return load_pharmcat_kb(root)
    raise input_error(
        root,
        None,
        "not a knowledge base (no kb.json and no definition/alleles folder)",
        "pass --kb resources/kb, or a directory written by 'genorx kb fetch' or 'genorx kb build'",
    )


def _check_files(root: Path, listed: dict[str, str], fix: str) -> None:
    for rel, digest in listed.items():
        path = root / rel
        if not path.is_file():
            raise input_error(path, None, "file missing from the knowledge base", fix)
        if sha256_file(path) != digest:
            raise input_error(
                path, None, "file differs from the knowledge base manifest (sha256 mismatch)", fix
            )


def _load_built(root: Path) -> KnowledgeBase:
    manifest_path = root / "kb.json"
    manifest = read_json(manifest_path)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise input_error(manifest_path, None, f"not a {FORMAT} manifest", REBUILD)
    files: dict[str, str] = manifest.get("files") or {}
    _check_files(root, files, REBUILD)
    where = root / "definitions.json"
    try:
        raw_defs = read_json(where)
        definitions: dict[str, GeneDefinition] = {}
        for gene, entry in raw_defs.items():
            ex = parse_exemptions(entry["exemptions"]) if entry.get("exemptions") else None
            definitions[gene] = parse_translation(expand_translation(entry["translation"]), ex)
        where = root / "phenotypes.json"
        phenotypes = {g: phenotype_from_json(v) for g, v in read_json(where).items()}
        where = root / "guidelines.json"
        guidelines = tuple(guideline_from_json(g) for g in read_json(where))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise input_error(
            where, None, f"malformed knowledge base file ({type(exc).__name__}: {exc})", REBUILD
        ) from None
    bundled = root.resolve() == BUNDLED_KB.resolve()
    info = KbInfo(
        name=str(manifest.get("name", "")),
        version=str(manifest.get("version", "")),
        source="bundled" if bundled else "built",
        url=None,
        sha256=sha256_text(json.dumps(files, sort_keys=True)),
        path=str(root),
        description=str(manifest.get("description", "")),
        has_prose=False,
        provenance=dict(manifest.get("built_from") or {}),
    )
    return KnowledgeBase(info, definitions, phenotypes, guidelines)


def _index_checksums(root: Path) -> dict[str, str] | None:
    index_path = root / "index.json"
    if not index_path.exists():
        return None
    index = read_json(index_path)
    try:
        return {f["path"]: f["sha256"] for f in index["files"]}
    except (KeyError, TypeError):
        raise input_error(
            index_path, None, "malformed index (needs files[].path and .sha256)", REFETCH
        ) from None


def kb_version(definitions: dict[str, GeneDefinition], guidelines: tuple[Guideline, ...]) -> str:
    """``<allele/phenotype data version> (guidelines <guideline data version>)``."""
    defs = Counter(d.version for d in definitions.values() if d.version).most_common(1)
    gls = Counter(g.data_version for g in guidelines if g.data_version).most_common(1)
    version = defs[0][0] if defs else "unknown"
    return f"{version} (guidelines {gls[0][0]})" if gls else version


def load_pharmcat_kb(root: Path, with_prose: bool = True, verify_index: bool = True) -> KnowledgeBase:
    """Compile a PharmCAT-format directory (verified against its index.json when present)."""
    checksums = _index_checksums(root) if verify_index else None
    if checksums is not None:
        _check_files(root, checksums, REFETCH)
    definitions = load_pharmcat_definitions(root)
    if not definitions:
        raise input_error(
            root / "definition" / "alleles", None, "no *_translation.json allele definitions", REFETCH
        )
    phenotypes: dict[str, PhenotypeMap] = read_phenotype_maps(root)
    guidelines = read_guidelines(root, with_prose)
    provenance: dict[str, Any] = {}
    if (root / "provenance.json").exists():
        provenance = read_json(root / "provenance.json")
    index: dict[str, Any] = read_json(root / "index.json") if (root / "index.json").exists() else {}
    if checksums is not None:
        digest = sha256_text(json.dumps(checksums, sort_keys=True))
    else:
        digest = sha256_text(
            json.dumps({str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*.json"))})
        )
    info = KbInfo(
        name=str(index.get("name") or root.name),
        version=kb_version(definitions, guidelines),
        source="fetched" if provenance else "directory",
        url=provenance.get("url") if provenance else None,
        sha256=digest,
        path=str(root),
        description=str(index.get("description", "")),
        has_prose=with_prose,
        provenance=provenance,
    )
    return KnowledgeBase(info, definitions, phenotypes, guidelines)


def require_genes(kb: KnowledgeBase, genes: list[str]) -> None:
    """Unknown genes are one error listing what the KB has."""
    known = set(kb.genes)
    unknown = [g for g in genes if g not in known]
    if unknown:
        raise GenorxError(
            f"{kb.info.path}: gene(s) {', '.join(unknown)} not in the knowledge base; "
            f"fix: choose from {', '.join(kb.genes)}"
        )
