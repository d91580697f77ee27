"""A binary cache of the candidate genotypes read from a VCF.

Keyed by the VCF's resolved path, mtime, size and the set of scoring positions, so a
re-score of the same VCF with the same scoring files reads one ``.npy`` (memory-mapped)
instead of the VCF. Written to a temporary directory and renamed: never half-written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

from genorx.prs.vcfscan import Candidates, VcfHeader, scan_vcf

CACHE_FORMAT = "genorx-prs-candidates-v1"


def cache_key(vcf: Path, keys: np.ndarray) -> str:
    st = vcf.stat()
    h = hashlib.sha256()
    h.update(CACHE_FORMAT.encode())
    h.update(str(vcf.resolve()).encode())
    h.update(f"{st.st_mtime_ns}:{st.st_size}".encode())
    h.update(np.ascontiguousarray(keys, dtype=np.int64).tobytes())
    return h.hexdigest()[:32]


def _read(entry: Path) -> Candidates | None:
    try:
        meta = json.loads((entry / "meta.json").read_text())
        codes = np.load(entry / "codes.npy", mmap_mode="r")
        sites = pl.read_parquet(entry / "sites.parquet")
    except (OSError, ValueError, json.JSONDecodeError, pl.exceptions.PolarsError):
        return None
    if meta.get("format") != CACHE_FORMAT or codes.shape != (sites.height, len(meta["samples"])):
        return None
    return Candidates(meta["samples"], sites, codes, int(meta["n_records"]))


def _write(entry: Path, cands: Candidates) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        np.save(tmp / "codes.npy", np.ascontiguousarray(cands.codes))
        cands.sites.write_parquet(tmp / "sites.parquet")
        meta = {"format": CACHE_FORMAT, "samples": cands.samples, "n_records": cands.n_records}
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            os.rename(tmp, entry)
        except OSError:  # another process won the race: keep its entry
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_candidates(
    vcf: Path, keys: np.ndarray, threads: int, cache_dir: Path | None, header: VcfHeader | None = None
) -> tuple[Candidates, bool]:
    """Candidates from the cache when present (second value True), else scanned (and cached)."""
    if cache_dir is None:
        return scan_vcf(vcf, keys, threads, header), False
    entry = Path(cache_dir) / cache_key(vcf, keys)
    if entry.is_dir():
        hit = _read(entry)
        if hit is not None:
            return hit, True
        with contextlib.suppress(OSError):
            shutil.rmtree(entry)
    cands = scan_vcf(vcf, keys, threads, header)
    with contextlib.suppress(OSError):
        _write(entry, cands)
    return cands, False
