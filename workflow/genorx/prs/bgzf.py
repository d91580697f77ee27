"""BGZF blocks: an index of the compressed file and parallel inflate into one buffer.

A BGZF file is a series of independent gzip members of at most 64 KiB uncompressed,
each declaring its compressed size (``BSIZE`` in the ``BC`` extra field) and its
uncompressed size (``ISIZE`` in the footer). Knowing both, every block of a chunk can
be inflated at once, each thread writing straight into its slice of the output.

Inflate is libdeflate's (:mod:`genorx.prs.libdeflate`), called from a thread pool: ctypes
releases the GIL for the call, so the threads inflate in parallel. Without libdeflate,
Python's zlib (which also releases the GIL) is used the same way.
"""

from __future__ import annotations

import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from genorx.prs import ckernels, libdeflate


@dataclass(frozen=True)
class BlockIndex:
    """Per block: compressed offset of its deflate payload, payload size, inflated size."""

    data_offset: np.ndarray  # int64
    data_size: np.ndarray  # int64
    out_size: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.data_offset)


def is_bgzf(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts a BGZF block."""
    if len(head) < 18 or head[:4] != b"\x1f\x8b\x08\x04":
        return False
    xlen = head[10] | (head[11] << 8)
    extra = head[12 : 12 + xlen]
    p = 0
    while p + 4 <= len(extra):
        slen = extra[p + 2] | (extra[p + 3] << 8)
        if extra[p : p + 2] == b"BC":
            return True
        p += 4 + slen
    return False


def walk(data: np.ndarray) -> tuple[BlockIndex, int]:
    """The complete blocks at the start of ``data`` (uint8) and the offset where they end
    (an incomplete or damaged block starts there)."""
    lib = ckernels.load()
    if lib is not None:
        doff, dsize, osize, end = ckernels.walk_blocks(lib, data)
    else:
        from genorx.prs.vcfkernels import walk_blocks  # numba: only without a C compiler

        doff, dsize, osize, end = walk_blocks(data)
    return BlockIndex(doff.copy(), dsize.copy(), osize.copy()), int(end)


def block_index(data: np.ndarray) -> BlockIndex:
    """Index every block of a whole BGZF file mapped as ``data``. Raises ValueError on damage."""
    index, end = walk(data)
    if end != data.shape[0]:
        raise ValueError(f"BGZF block structure broken at byte {end}")
    return index


def _inflate_group(
    src: np.ndarray, index: BlockIndex, blocks: range, out: np.ndarray, offs: np.ndarray, lo: int, slot: int
) -> int:
    """Inflate ``blocks`` (absolute block numbers); return the number of failures."""
    src_base = src.ctypes.data
    out_base = out.ctypes.data
    doff, dsize, osize = index.data_offset, index.data_size, index.out_size
    if libdeflate.LIB is not None:
        state = libdeflate.decompressor(slot)
        bad = 0
        for b in blocks:
            rc = libdeflate.inflate_raw(
                state, src_base + int(doff[b]), int(dsize[b]), out_base + int(offs[b - lo]), int(osize[b])
            )
            bad += rc != 0
        return bad
    for b in blocks:
        a = int(doff[b])
        data = zlib.decompress(src[a : a + int(dsize[b])].tobytes(), -15)
        if len(data) != int(osize[b]):
            return 1
        o = int(offs[b - lo])
        out[o : o + len(data)] = np.frombuffer(data, np.uint8)
    return 0


def inflate_blocks(
    src: np.ndarray,
    index: BlockIndex,
    lo: int,
    hi: int,
    out: np.ndarray,
    start: int,
    pool: ThreadPoolExecutor | None,
    threads: int,
) -> int:
    """Inflate blocks ``lo:hi`` of ``src`` into ``out[start:]``; return the end offset in ``out``."""
    sizes = index.out_size[lo:hi]
    offs = np.empty(hi - lo, np.int64)
    if hi > lo:
        offs[0] = start
        np.cumsum(sizes[:-1], out=offs[1:])
        offs[1:] += start
    end = start + int(sizes.sum())
    if end > out.shape[0]:
        raise ValueError("output buffer too small for the BGZF blocks")
    n = hi - lo
    t = max(1, min(threads, n))
    per = (n + t - 1) // t if n else 0
    groups = [range(lo + g * per, min(hi, lo + (g + 1) * per)) for g in range(t)]
    if pool is None or t == 1:
        errors = sum(_inflate_group(src, index, grp, out, offs, lo, 0) for grp in groups)
    else:
        futures = [
            pool.submit(_inflate_group, src, index, grp, out, offs, lo, g) for g, grp in enumerate(groups)
        ]
        errors = sum(f.result() for f in futures)
    if errors:
        raise ValueError(f"{errors} corrupt BGZF block(s)")
    return end
