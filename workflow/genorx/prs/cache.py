"""A binary cache of the candidate genotypes read from a VCF.

Keyed by the VCF's resolved path, mtime, size, the set of scoring positions and whether
DS dosages were read, so a re-score of the same VCF with the same scoring positions
reads the genotype codes (two bits per call, ``packed.npy``, + the exact codes of the
non-plain calls and per-record allele counts; DS in ``ds.npy``) instead of the VCF. The
kernel reads rows on demand with ``pread``: only the matched rows are touched and none
stays resident. Written to a temporary directory and renamed: never half-written.
Loading it imports no compiler (numba): the scan module is imported only on a miss.
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

from genorx.prs.gtcodes import packed_width
from genorx.prs.rows import NpyRows
from genorx.prs.vcfheader import CallStats, Candidates, VcfHeader

CACHE_FORMAT = "genorx-prs-candidates-v3"
_STATS = ("counts", "ptr", "sample", "code")  # CallStats fields, one .npy each


def vcf_id(vcf: Path, dosage: bool = False) -> str:
    """The VCF's identity: resolved path, mtime, size, and whether DS was read."""
    st = vcf.stat()
    h = hashlib.sha256()
    h.update(CACHE_FORMAT.encode())
    h.update(b"ds" if dosage else b"gt")
    h.update(str(vcf.resolve()).encode())
    h.update(f"{st.st_mtime_ns}:{st.st_size}".encode())
    return h.hexdigest()[:24]


def cache_key(vcf: Path, keys: np.ndarray, dosage: bool = False) -> str:
    """``<vcf id>/<positions hash>``: one directory per VCF, one entry per set of positions."""
    h = hashlib.sha256(np.ascontiguousarray(keys, dtype=np.int64).tobytes())
    return f"{vcf_id(vcf, dosage)}/{h.hexdigest()[:24]}"


def has_entries(cache_dir: Path | None, vcf: Path, dosage: bool = False) -> bool:
    """Whether the cache holds anything for this VCF (a re-score will likely skip the scan)."""
    return cache_dir is not None and (Path(cache_dir) / vcf_id(vcf, dosage)).is_dir()


def read_entry(entry: Path) -> Candidates | None:
    """The candidates stored in ``entry`` (None when absent or unreadable)."""
    return _read(entry) if entry.is_dir() else None


def _read(entry: Path, with_sites: bool = True) -> Candidates | None:
    """The entry's candidates; without ``with_sites`` their ``sites`` are None (the cached
    re-score path needs only the genotypes and imports no polars)."""
    errors: tuple[type[BaseException], ...] = (OSError, ValueError, KeyError, json.JSONDecodeError)
    if with_sites:
        import polars as pl

        errors = (*errors, pl.exceptions.PolarsError)
    try:
        meta = json.loads((entry / "meta.json").read_text())
        packed = NpyRows(entry / "packed.npy")
        ds = NpyRows(entry / "ds.npy") if meta.get("ds") else None
        sites = pl.read_parquet(entry / "sites.parquet") if with_sites else None
        stats = CallStats(*(np.load(entry / f"{name}.npy") for name in _STATS))
    except errors:
        return None
    n = len(meta["samples"])
    n_cand = sites.height if sites is not None else packed.shape[0]
    if (
        meta.get("format") != CACHE_FORMAT
        or packed.shape != (n_cand, packed_width(n))
        or (ds is not None and ds.shape != (n_cand, n))
        or len(stats.counts) != n_cand
        or len(stats.ptr) != n_cand + 1
    ):
        return None
    return Candidates(meta["samples"], sites, packed, int(meta["n_records"]), stats, ds)  # type: ignore[arg-type]


def read_genotypes(entry: Path) -> Candidates | None:
    """The entry's candidates without their sites (None when absent or unreadable)."""
    return _read(entry, with_sites=False) if entry.is_dir() else None


def _write(entry: Path, cands: Candidates) -> None:
    entry.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
    try:
        np.save(tmp / "packed.npy", np.ascontiguousarray(cands.packed))
        if cands.ds is not None:
            np.save(tmp / "ds.npy", np.ascontiguousarray(cands.ds))
        for name in _STATS:
            np.save(tmp / f"{name}.npy", getattr(cands.stats, name))
        cands.sites.write_parquet(tmp / "sites.parquet")
        meta = {
            "format": CACHE_FORMAT,
            "samples": cands.samples,
            "n_records": cands.n_records,
            "ds": cands.ds is not None,
        }
        (tmp / "meta.json").write_text(json.dumps(meta))
        try:
            os.rename(tmp, entry)
        except OSError:  # another process won the race: keep its entry
            shutil.rmtree(tmp, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_candidates(
    vcf: Path,
    keys: np.ndarray,
    threads: int,
    cache_dir: Path | None,
    header: VcfHeader | None = None,
    dosage: bool = False,
) -> tuple[Candidates, bool]:
    """Candidates from the cache when present (second value True), else scanned (and cached)."""
    entry = Path(cache_dir) / cache_key(vcf, keys, dosage) if cache_dir is not None else None
    if entry is not None and entry.is_dir():
        hit = _read(entry)
        if hit is not None:
            return hit, True
        with contextlib.suppress(OSError):
            shutil.rmtree(entry)
    from genorx.prs.vcfscan import scan_vcf  # numba: only when the VCF is read

    cands = scan_vcf(vcf, keys, threads, header, dosage)
    if entry is None:
        return cands, False
    with contextlib.suppress(OSError):
        _write(entry, cands)
    return cands, False
