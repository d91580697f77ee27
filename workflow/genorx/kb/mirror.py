"""``genorx kb mirror``: publish a directory of PharmCAT-format data as a KB mirror.

Copies every data file of ``--from`` to ``--out`` (or works in place when they are the
same folder) and writes ``index.json`` (``name``, ``description``, ``files`` with path,
sha256 and size) that ``genorx kb fetch`` reads. The data are compiled once first, so a
broken directory is never published.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from genorx.atomic import write_text
from genorx.errors import input_error
from genorx.kb.load import load_kb, load_pharmcat_kb
from genorx.kb.pharmcat import is_pharmcat_dir
from genorx.kb.staging import sha256_file, staged_dir

SKIP = {"index.json", "provenance.json"}


def _data_files(src: Path) -> list[Path]:
    return sorted(
        p
        for p in src.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(src).parts)
        and p.relative_to(src).as_posix() not in SKIP
        and not p.name.endswith(".part")
    )


def make_index(root: Path, name: str, description: str) -> dict[str, Any]:
    files = [
        {"path": p.relative_to(root).as_posix(), "sha256": sha256_file(p), "size": p.stat().st_size}
        for p in _data_files(root)
    ]
    return {"name": name, "description": description, "files": files}


def mirror_kb(
    src: str | Path, out: str | Path, name: str | None = None, description: str | None = None
) -> dict:
    src, out = Path(src), Path(out)
    if not src.is_dir():
        raise input_error(src, None, "directory not found", "pass --from a folder of PharmCAT-format data")
    old_index: dict[str, Any] = {}
    if (src / "index.json").exists():
        try:
            old_index = json.loads((src / "index.json").read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            old_index = {}
    name = name or old_index.get("name") or src.resolve().name
    description = description if description is not None else str(old_index.get("description", ""))
    if src.resolve() == out.resolve():
        _validate(src)
        index = make_index(src, name, description)
        write_text(src / "index.json", json.dumps(index, indent=1, ensure_ascii=False) + "\n")
        return index
    with staged_dir(out) as stage:
        for path in _data_files(src):
            dest = stage / path.relative_to(src)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, dest)
        _validate(stage)
        index = make_index(stage, name, description)
        write_text(stage / "index.json", json.dumps(index, indent=1, ensure_ascii=False) + "\n")
    return index


def _validate(root: Path) -> None:
    if (root / "kb.json").exists():
        load_kb(root)
    elif is_pharmcat_dir(root):
        load_pharmcat_kb(root, verify_index=False)  # the index is about to be rewritten
    else:
        raise input_error(
            root,
            None,
            "not PharmCAT-format data (no definition/alleles) nor a built KB (no kb.json)",
            "pass --from a PharmCAT data folder or a folder written by 'genorx kb build'",
        )
