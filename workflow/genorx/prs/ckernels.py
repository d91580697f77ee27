"""The scan kernels in C (``scan_kernels.c``), compiled once per machine and loaded with ctypes.

Loading numba's cached kernels costs ~1 s of CPU per run; a shared library compiled by the
system C compiler loads in a millisecond. The library is built on first use into
``$GENORX_CACHE_DIR`` (default ``$XDG_CACHE_HOME/genorx`` or ``~/.cache/genorx``), named by a
hash of the source, the compiler and the CPU flags (it is built with ``-march=native``), and
written atomically, so concurrent first runs cannot load a half-written file. Without a C
compiler (or with ``GENORX_PRS_KERNELS=numba``) :func:`load` returns None and the numba
kernels are used; both give the same bytes (tests/test_prs_ckernels.py).

The wrappers take and return numpy arrays like their numba twins; ctypes releases the GIL
for every call, so two threads decode in parallel.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from genorx.prs.gtcodes import ALLELE_COUNT, N_ALLELES, PLAIN_MAX

assert PLAIN_MAX == 2, "scan_kernels.c counts codes 0, 1, 2 as the plain ones"

SOURCE = Path(__file__).with_name("scan_kernels.c")  # includes the other three
SOURCES = [SOURCE, *(SOURCE.with_name(n) for n in ("gt_decode.c", "linear_kernels.c", "scan_pipeline.c"))]
FLAGS = ["-O3", "-march=native", "-fPIC", "-shared", "-fno-strict-aliasing"]
_P = ctypes.c_void_p
_I = ctypes.c_int64
_C = ctypes.c_int
_SIGNATURES = {
    "walk_blocks": [_P, _I, _P, _P, _P, _I, _P],
    "find_candidates": [_P, _I, _I, _P, _I, ctypes.c_int, _P, _P, _I, _P],
    "text_offsets": [_P, _P, _P, _I, _P],
    "decode_records": [_P, _P, _P, _I, _I, _I, _P, _P, ctypes.c_int, _P, _P, _P, _P, _P, _P, _P, _I],
    "collect_exceptions": [_P, _I, _I, _I, _P, _P, _P],
    "unpack_f64": [_P, _I, _I, _I, _P],
    "scan_range": [_C, _I, _I, _I, _C, _C, _P, _P, _P, _I, _I, _C, _P, _P],
    "scan_free": [_P],
    "linear_sums": [_P, _I, _I, _I, _P, _I, _P],
    "scatter_sums": [_P, _P, _P, _I, _P, _I, _I, _P],
}
_COUNTS = np.ascontiguousarray(ALLELE_COUNT, np.int64)
_LIB: list[ctypes.CDLL | None] = []  # memo: [] = not tried yet


def cache_dir() -> Path:
    if os.environ.get("GENORX_CACHE_DIR"):
        return Path(os.environ["GENORX_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "genorx"


def _cpu_flags() -> bytes:
    try:
        with open("/proc/cpuinfo", "rb") as fh:
            return next((line for line in fh if line.startswith(b"flags")), b"")
    except OSError:
        return b""


def _build(cc: str) -> Path | None:
    key = hashlib.sha256(
        b"".join(p.read_bytes() for p in SOURCES) + cc.encode() + " ".join(FLAGS).encode() + _cpu_flags()
    )
    target = cache_dir() / f"prs_scan_{key.hexdigest()[:16]}.so"
    if target.exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".prs_scan_", suffix=".so", dir=target.parent)
        os.close(fd)
        proc = subprocess.run([cc, *FLAGS, "-o", tmp, str(SOURCE), "-lm"], capture_output=True, timeout=120)
        if proc.returncode != 0:
            os.unlink(tmp)
            return None
        os.replace(tmp, target)  # atomic: a concurrent run loads either nothing or the whole file
    except (OSError, subprocess.SubprocessError):
        return None
    _remove_stale(target)
    return target


def _remove_stale(keep: Path, age_s: float = 86400.0) -> None:
    """Builds of other sources untouched for a day (a running process keeps its mapping)."""
    now = time.time()
    for old in keep.parent.glob("prs_scan_*.so"):
        with contextlib.suppress(OSError):
            if old != keep and now - old.stat().st_mtime > age_s:
                old.unlink()


def load() -> ctypes.CDLL | None:
    """The compiled kernels, or None (no compiler, a failed build, ``GENORX_PRS_KERNELS=numba``)."""
    if os.environ.get("GENORX_PRS_KERNELS", "").lower() == "numba":
        return None
    if _LIB:
        return _LIB[0]
    cc = shutil.which(os.environ.get("CC") or "cc") or shutil.which("gcc")
    lib = None
    so = _build(cc) if cc and all(p.exists() for p in SOURCES) else None
    if so is not None:
        try:
            lib = ctypes.CDLL(str(so))
            for name, args in _SIGNATURES.items():
                fn = getattr(lib, name)
                fn.argtypes = args
                fn.restype = (
                    ctypes.c_int64 if name in ("walk_blocks", "find_candidates", "scan_range") else None
                )
        except (OSError, AttributeError):
            lib = None
    _LIB.append(lib)
    return lib


def counts_table() -> np.ndarray:
    """gtcodes.ALLELE_COUNT as the C kernels read it (int64 [N_ALLELES, 256], C order)."""
    return _COUNTS


def _ptr(a: np.ndarray) -> int:
    return a.ctypes.data


def walk_blocks(lib: ctypes.CDLL, buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """bgzf._walk_blocks: (payload offsets, payload sizes, inflated sizes, end of the last whole block)."""
    buf = np.ascontiguousarray(buf)
    cap = len(buf) // 26 + 16  # a BGZF block is at least 26 bytes
    doff, dsize, osize = (np.empty(cap, np.int64) for _ in range(3))
    stop = np.zeros(1, np.int64)
    k = lib.walk_blocks(_ptr(buf), len(buf), _ptr(doff), _ptr(dsize), _ptr(osize), cap, _ptr(stop))
    return doff[:k], dsize[:k], osize[:k], int(stop[0])


def find_candidates(
    lib: ctypes.CDLL, buf: np.ndarray, begin: int, n: int, keys: np.ndarray, final: bool
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """vcfkernels.find_candidates: candidate spans, data lines, offset of an unfinished line."""
    keys = np.ascontiguousarray(keys, np.int64)
    cap = 4096
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    out = np.zeros(3, np.int64)
    lines = 0
    at = begin
    while True:
        starts, ends = np.empty(cap, np.int64), np.empty(cap, np.int64)
        k = lib.find_candidates(
            _ptr(buf), at, n, _ptr(keys), len(keys), int(final), _ptr(starts), _ptr(ends), cap, _ptr(out)
        )
        parts.append((starts[:k], ends[:k]))
        lines += int(out[0])
        if int(out[2]) >= n:
            break
        at = int(out[2])  # the span array was full: go on from there
    if len(parts) == 1:
        return parts[0][0].copy(), parts[0][1].copy(), lines, int(out[1])
    return (
        np.concatenate([p[0] for p in parts]),
        np.concatenate([p[1] for p in parts]),
        lines,
        int(out[1]),
    )


def _split(n: int, parts: int) -> list[tuple[int, int]]:
    parts = max(1, min(parts, n))
    return [((n * g) // parts, (n * (g + 1)) // parts) for g in range(parts)]


def _run(pool: ThreadPoolExecutor | None, calls: list) -> None:
    if pool is None or len(calls) == 1:
        for fn in calls:
            fn()
        return
    for f in [pool.submit(fn) for fn in calls]:
        f.result()


def decode_records(
    lib: ctypes.CDLL,
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    n_samples: int,
    codes: np.ndarray,
    ds: np.ndarray,
    want_ds: bool,
    counts: np.ndarray,
    n_exc: np.ndarray,
    packed: np.ndarray,
    pool: ThreadPoolExecutor | None,
    threads: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """gtdecode.decode_records, and gtdecode.pack_codes into ``packed`` (records split between
    ``threads`` calls on ``pool``)."""
    n = len(starts)
    assert codes.flags.c_contiguous and counts.flags.c_contiguous and counts.shape[1] == N_ALLELES + 1
    assert n_exc.flags.c_contiguous and ds.flags.c_contiguous and packed.flags.c_contiguous
    toff = np.empty(n + 1, np.int64)
    lib.text_offsets(_ptr(buf), _ptr(starts), _ptr(ends), n, _ptr(toff))
    text = np.empty(int(toff[n]), np.uint8)
    status = np.zeros(n, np.int8)
    args = (_ptr(codes), _ptr(ds), int(want_ds), _ptr(counts), _ptr(n_exc), _ptr(text), _ptr(toff))
    tail = (_ptr(status), _ptr(_COUNTS), _ptr(packed), packed.shape[1])

    def part(lo: int, hi: int):  # noqa: ANN202
        return lambda: lib.decode_records(
            _ptr(buf), _ptr(starts), _ptr(ends), lo, hi, n_samples, *args, *tail
        )

    _run(pool, [part(lo, hi) for lo, hi in _split(n, threads)])
    return text, toff, status


def collect_exceptions(
    lib: ctypes.CDLL, codes: np.ndarray, n_exc: np.ndarray, pool: ThreadPoolExecutor | None, threads: int
) -> tuple[np.ndarray, np.ndarray]:
    """The exception lists (sample, code) of decoded rows (gtdecode.collect_exceptions)."""
    rows, n = codes.shape
    assert codes.flags.c_contiguous
    ptr = np.zeros(rows + 1, np.int64)
    np.cumsum(n_exc, out=ptr[1:])
    sample = np.empty(int(ptr[-1]), np.int32)
    code = np.empty(int(ptr[-1]), np.uint8)

    def part(lo: int, hi: int):  # noqa: ANN202
        return lambda: lib.collect_exceptions(_ptr(codes), lo, hi, n, _ptr(ptr), _ptr(sample), _ptr(code))

    _run(pool, [part(lo, hi) for lo, hi in _split(rows, threads)])
    return sample, code


def unpack_f64(lib: ctypes.CDLL, packed: np.ndarray, n_samples: int, out: np.ndarray) -> None:
    """``out[:] = gtcodes.unpack(packed, n_samples)`` as float64, without the byte matrix."""
    packed = np.ascontiguousarray(packed)
    assert out.dtype == np.float64 and out.flags.c_contiguous and out.shape == (len(packed), n_samples)
    lib.unpack_f64(_ptr(packed), len(packed), packed.shape[1], n_samples, _ptr(out))


def linear_sums(
    lib: ctypes.CDLL, packed: np.ndarray, n_samples: int, beta: np.ndarray, sums: np.ndarray
) -> None:
    """``sums += beta.T @ unpack(packed)`` (codes 0..3 as values; float64 ``sums`` [S, n])."""
    packed = np.ascontiguousarray(packed)
    beta = np.ascontiguousarray(beta, np.float64)
    assert sums.dtype == np.float64 and sums.flags.c_contiguous and sums.shape == (beta.shape[1], n_samples)
    assert beta.shape[0] == len(packed)
    lib.linear_sums(
        _ptr(packed), len(packed), packed.shape[1], n_samples, _ptr(beta), beta.shape[1], _ptr(sums)
    )


def scatter_sums(
    lib: ctypes.CDLL,
    row: np.ndarray,
    sample: np.ndarray,
    delta: np.ndarray,
    beta: np.ndarray,
    sums: np.ndarray,
) -> None:
    """``sums[s, sample[i]] += beta[row[i], s] * delta[i]`` for every i and score s."""
    row = np.ascontiguousarray(row, np.int64)
    sample = np.ascontiguousarray(sample, np.int64)
    delta = np.ascontiguousarray(delta, np.float64)
    beta = np.ascontiguousarray(beta, np.float64)
    assert sums.dtype == np.float64 and sums.flags.c_contiguous and sums.shape[0] == beta.shape[1]
    assert len(row) == len(sample) == len(delta)
    assert not len(row) or (
        row.max() < len(beta) and sample.max() < sums.shape[1] and min(row.min(), sample.min()) >= 0
    )
    lib.scatter_sums(
        _ptr(row), _ptr(sample), _ptr(delta), len(row), _ptr(beta), beta.shape[1], sums.shape[1], _ptr(sums)
    )
