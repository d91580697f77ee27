"""The reference as the workflow uses it: bgzipped FASTA with ``.fai`` and ``.gzi``.

A BGZF input is linked (with its indexes when they are current); a plain or ordinary
gzip FASTA is recompressed with bgzip. Everything is renamed into place at the end.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from genorx.errors import input_error


def fasta_format(path: Path) -> str:
    """``bgzf``, ``gzip`` or ``plain``; raise when the file is not a FASTA."""
    if not path.exists():
        raise input_error(
            path, None, "reference FASTA not found", "set config key reference.fasta to an existing file"
        )
    with open(path, "rb") as fh:
        head = fh.read(18)
    if head[:2] == b"\x1f\x8b":
        bgzf = len(head) >= 16 and head[3] & 4 and head[12:14] == b"BC"
        kind = "bgzf" if bgzf else "gzip"
        import gzip

        with gzip.open(path, "rb") as gz:
            first = gz.read(1)
    else:
        kind, first = "plain", head[:1]
    if first != b">":
        raise input_error(
            path, "line 1", "not a FASTA file (no '>' header)", "give a FASTA reference (plain or bgzipped)"
        )
    return kind


def _current(index: Path, data: Path) -> bool:
    return index.exists() and index.stat().st_mtime >= data.stat().st_mtime


def prepare_reference(fasta: Path, out: Path, threads: int = 1) -> str:
    """Write ``out`` (+ ``.fai``, ``.gzi``); return how (``linked``/``indexed``/``bgzipped``)."""
    kind = fasta_format(fasta)
    src = fasta.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp.gz"
    parts = [tmp, Path(f"{tmp}.fai"), Path(f"{tmp}.gzi")]
    for p in parts:
        p.unlink(missing_ok=True)
    how = "bgzipped"
    try:
        if kind == "bgzf":
            os.symlink(src, tmp)
            fai, gzi = Path(f"{src}.fai"), Path(f"{src}.gzi")
            if _current(fai, src) and _current(gzi, src):
                os.symlink(fai, parts[1])
                os.symlink(gzi, parts[2])
                how = "linked"
            else:
                how = "indexed"
        else:
            cmd = f"gzip -dc '{src}'" if kind == "gzip" else f"cat '{src}'"
            with open(tmp, "wb") as fh:
                subprocess.run(
                    f"set -o pipefail; {cmd} | bgzip -@ {threads} -c",
                    shell=True,
                    check=True,
                    stdout=fh,
                    executable="/bin/bash",
                )
        if how != "linked":
            proc = subprocess.run(["samtools", "faidx", str(tmp)], capture_output=True, text=True)
            if proc.returncode != 0:
                problem = (proc.stderr.strip().splitlines() or ["samtools faidx failed"])[-1]
                raise input_error(fasta, None, f"cannot index the reference ({problem})", "check the FASTA")
        os.replace(parts[1], f"{out}.fai")
        os.replace(parts[2], f"{out}.gzi")
        os.replace(tmp, out)
    finally:
        for p in parts:
            if p.is_symlink() or p.exists():
                p.unlink()
    return how
