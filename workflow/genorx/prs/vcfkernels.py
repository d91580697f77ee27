"""numba kernels finding the candidate records of decompressed VCF text (and BGZF blocks).

``find_candidates`` walks the lines of a chunk reading only ``CHROM`` and ``POS`` (the
rest of a line is skipped with libc ``memchr``, which reads 32 bytes per step) and keeps
the lines whose position is a scoring position; :mod:`genorx.prs.gtdecode` then decodes
those lines only.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

TAB, NL = 9, 10


@intrinsic
def _memchr(typingctx, ptr, byte, n):  # noqa: ANN001, ANN202
    """libc ``memchr`` (resolved by name when the cached kernel is linked)."""
    sig = types.intp(types.voidptr, types.intc, types.intp)

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202
        i8p = ir.IntType(8).as_pointer()
        fnty = ir.FunctionType(i8p, [i8p, ir.IntType(32), ir.IntType(64)])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "memchr")
        res = builder.call(fn, [builder.bitcast(args[0], i8p), args[1], args[2]])
        return builder.ptrtoint(res, ir.IntType(64))

    return sig, codegen


@nb.njit(cache=True, nogil=True, inline="always")
def _newline(buf: np.ndarray, i: int, n: int) -> int:
    """Offset of the first ``\\n`` in ``buf[i:n]`` (``n`` when none)."""
    if i >= n:
        return n
    p = _memchr(buf[i:].ctypes, np.intc(NL), n - i)
    return n if p == 0 else p - buf.ctypes.data


@nb.njit(cache=True, inline="always")
def _chrom_code(buf: np.ndarray, a: int, b: int) -> int:
    """1..22, X=23, Y=24, M/MT=25 from ``buf[a:b]`` (``chr`` prefix optional); 0 otherwise."""
    if b - a >= 3 and (buf[a] | 32) == 99 and (buf[a + 1] | 32) == 104 and (buf[a + 2] | 32) == 114:
        a += 3
    n = b - a
    if n <= 0 or n > 2:
        return 0
    c0 = buf[a] | 32
    if n == 1:
        if 49 <= buf[a] <= 57:
            return buf[a] - 48
        if c0 == 120:
            return 23
        if c0 == 121:
            return 24
        if c0 == 109:
            return 25
        return 0
    if 48 <= buf[a] <= 57 and 48 <= buf[a + 1] <= 57:
        v = (buf[a] - 48) * 10 + buf[a + 1] - 48
        return v if 1 <= v <= 22 else 0
    if c0 == 109 and (buf[a + 1] | 32) == 116:
        return 25
    return 0


@nb.njit(cache=True, inline="always")
def _contains(keys: np.ndarray, key: np.int64) -> bool:
    lo = 0
    hi = keys.shape[0]
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo < keys.shape[0] and keys[lo] == key


@nb.njit(cache=True, inline="always")
def _site_key(buf: np.ndarray, i: int, e: int) -> np.int64:
    """``chrom_code << 32 | pos`` of the line starting at ``i``; -1 when unscorable."""
    j = i
    while j < e and buf[j] != TAB:
        j += 1
    code = _chrom_code(buf, i, j)
    if code == 0:
        return -1
    j += 1
    pos = np.int64(0)
    while j < e and 48 <= buf[j] <= 57:
        pos = pos * 10 + (buf[j] - 48)
        j += 1
    return (np.int64(code) << 32) | pos


@nb.njit(cache=True, nogil=True)
def find_candidates(
    buf: np.ndarray, begin: int, n: int, keys: np.ndarray, final: bool
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Spans of the candidate lines of ``buf[begin:n]``, the number of data lines, and the
    offset of an unfinished last line (``n`` when the chunk ends at a line end)."""
    cap = 1024  # grown by doubling: a chunk-sized guess would page-fault megabytes per chunk
    starts = np.empty(cap, np.int64)
    ends = np.empty(cap, np.int64)
    k = 0
    lines = 0
    i = begin
    consumed = n
    while i < n:
        # the key is read before the line end is known: a line is at least as long as its key
        e = _newline(buf, i, n)
        if e >= n and not final:
            consumed = i
            break
        if buf[i] != 35 and e > i:
            lines += 1
            key = _site_key(buf, i, e)
            if key >= 0 and _contains(keys, key):
                if k == cap:
                    cap *= 2
                    starts = np.resize(starts, cap)
                    ends = np.resize(ends, cap)
                starts[k] = i
                ends[k] = e
                k += 1
        i = e + 1
    return starts[:k].copy(), ends[:k].copy(), lines, consumed


@nb.njit(cache=True)
def walk_blocks(buf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    n = buf.shape[0]
    cap = max(16, n // 8192 + 16)
    doff = np.empty(cap, np.int64)
    dsize = np.empty(cap, np.int64)
    osize = np.empty(cap, np.int64)
    k = 0
    off = 0
    while off < n:
        if (
            off + 18 > n
            or buf[off] != 31
            or buf[off + 1] != 139
            or buf[off + 2] != 8
            or (buf[off + 3] & 4) == 0
        ):
            return doff[:k], dsize[:k], osize[:k], off
        xlen = buf[off + 10] | (np.int64(buf[off + 11]) << 8)
        p = off + 12
        end_extra = p + xlen
        bsize = -1
        while p + 4 <= end_extra:
            slen = buf[p + 2] | (np.int64(buf[p + 3]) << 8)
            if buf[p] == 66 and buf[p + 1] == 67 and slen == 2:
                bsize = buf[p + 4] | (np.int64(buf[p + 5]) << 8)
            p += 4 + slen
        if bsize < 0:
            return doff[:k], dsize[:k], osize[:k], off
        total = bsize + 1
        if off + total > n:
            return doff[:k], dsize[:k], osize[:k], off
        e = off + total
        isize = (
            np.int64(buf[e - 4])
            | (np.int64(buf[e - 3]) << 8)
            | (np.int64(buf[e - 2]) << 16)
            | (np.int64(buf[e - 1]) << 24)
        )
        if k == cap:
            cap *= 2
            doff = np.resize(doff, cap)
            dsize = np.resize(dsize, cap)
            osize = np.resize(osize, cap)
        doff[k] = end_extra
        dsize[k] = total - (end_extra - off) - 8
        osize[k] = isize
        k += 1
        off = e
    return doff[:k], dsize[:k], osize[:k], off
