"""libdeflate through ctypes: raw-deflate inflate (BGZF blocks) and fast gzip compression.

libdeflate ships with htslib, so it is present wherever bcftools is. ctypes releases the
GIL for each call, so threads inflate in parallel. Without it, Python's zlib is used.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gzip
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np


def _candidates() -> Iterator[str]:
    yield from ("libdeflate.so.0", "libdeflate.so")
    name = ctypes.util.find_library("deflate")  # runs ldconfig: only when the names fail
    if name:
        yield name


def _load() -> ctypes.CDLL | None:
    for candidate in _candidates():
        try:
            lib = ctypes.CDLL(candidate)
        except OSError:
            continue
        # pointers and sizes are passed as integers
        for fn in ("libdeflate_alloc_decompressor", "libdeflate_alloc_compressor"):
            getattr(lib, fn).restype = ctypes.c_void_p
        lib.libdeflate_alloc_decompressor.argtypes = []
        lib.libdeflate_alloc_compressor.argtypes = [ctypes.c_int]
        lib.libdeflate_deflate_decompress.argtypes = (
            [ctypes.c_void_p] + [ctypes.c_size_t] * 4 + [ctypes.c_void_p]
        )
        lib.libdeflate_deflate_decompress.restype = ctypes.c_int
        lib.libdeflate_gzip_compress.argtypes = [ctypes.c_void_p] + [ctypes.c_size_t] * 4
        lib.libdeflate_gzip_compress.restype = ctypes.c_size_t
        lib.libdeflate_gzip_compress_bound.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        lib.libdeflate_gzip_compress_bound.restype = ctypes.c_size_t
        lib.libdeflate_free_compressor.argtypes = [ctypes.c_void_p]
        return lib
    return None


LIB = _load()
_STATES: list[int] = []


def decompressor(i: int) -> int:
    """The i-th libdeflate decompressor (one per thread; they are not thread-safe)."""
    assert LIB is not None
    while len(_STATES) <= i:
        ptr = LIB.libdeflate_alloc_decompressor()
        if not ptr:
            raise MemoryError("libdeflate_alloc_decompressor failed")
        _STATES.append(ptr)
    return _STATES[i]


def inflate_raw(state: int, src: int, src_len: int, dst: int, dst_len: int) -> int:
    """Inflate a raw deflate stream between two addresses; 0 on success."""
    assert LIB is not None
    return int(LIB.libdeflate_deflate_decompress(state, src, src_len, dst, dst_len, None))


def gzip_member(data: bytes | memoryview, level: int = 2) -> bytes:
    """One gzip member of ``data`` (consecutive members read as one gzip stream)."""
    if LIB is None or not len(data):
        return gzip.compress(bytes(data), compresslevel=level, mtime=0)
    comp = LIB.libdeflate_alloc_compressor(level)
    if not comp:
        raise MemoryError("libdeflate_alloc_compressor failed")
    try:
        src = np.frombuffer(data, np.uint8)
        out = np.empty(LIB.libdeflate_gzip_compress_bound(comp, len(src)), np.uint8)
        n = LIB.libdeflate_gzip_compress(comp, src.ctypes.data, len(src), out.ctypes.data, len(out))
        if n == 0:
            raise RuntimeError("libdeflate_gzip_compress failed")
        return out[:n].tobytes()
    finally:
        LIB.libdeflate_free_compressor(comp)


def gzip_bytes(data: bytes, level: int = 2, threads: int = 1) -> bytes:
    """gzip of ``data`` (libdeflate when present: several times faster than zlib). With
    ``threads`` > 1 and enough data, parts are compressed in parallel as consecutive gzip
    members, which every gzip reader reads as one stream."""
    if LIB is None or not data:
        return gzip.compress(data, compresslevel=level, mtime=0)
    view = memoryview(data)
    parts = max(1, min(threads, len(data) // (4 << 20)))
    if parts == 1:
        return gzip_member(view, level)
    step = -(-len(data) // parts)
    with ThreadPoolExecutor(max_workers=parts) as pool:  # ctypes releases the GIL
        return b"".join(pool.map(lambda i: gzip_member(view[i : i + step], level), range(0, len(data), step)))
