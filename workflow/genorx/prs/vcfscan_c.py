"""The BGZF scan in C, one thread per part of the file (``scan_pipeline.c``).

Each thread reads its part's compressed blocks with ``pread``, inflates them one at a time
(libdeflate) and finds and decodes the candidate lines while the block's text is still in
the CPU cache: the text is never written to memory as a whole and there is no hand-over
between threads. The file is cut at block starts near equal byte offsets; a line crossing
a cut belongs to the part where it starts (``scan_pipeline.c`` states the rule). Parts are
joined in file order, so the result is the chunked scan's (:mod:`genorx.prs.vcfscan`),
byte for byte (tests/test_prs_ckernels.py).
"""

from __future__ import annotations

import ctypes
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from genorx.errors import input_error
from genorx.prs import ckernels, libdeflate
from genorx.prs.gtcodes import N_ALLELES, packed_width

MIN_PART = 8 << 20  # compressed bytes per thread, at least
_ERRORS = {-1: "corrupt or truncated BGZF block structure", -2: "corrupt BGZF block", -4: "read error"}


class ScanOut(ctypes.Structure):
    _fields_ = [(n, ctypes.c_void_p) for n in ("packed", "counts", "n_exc", "status", "ds")] + [
        (n, ctypes.c_void_p) for n in ("exc_sample", "exc_code", "text")
    ] + [
        (n, ctypes.c_int64)
        for n in (
            "n_cand", "cap_cand", "n_exc_total", "cap_exc", "text_len", "cap_text", "lines", "error",
            "error_offset",
        )
    ]  # fmt: skip


def _valid_chain(data: bytes, at: int, size_left: int, links: int = 4) -> bool:
    """A BGZF header at ``data[at]`` whose next ``links`` blocks also start with one (or the
    file ends exactly there)."""
    for _ in range(links):
        if at == size_left:
            return True
        h = data[at : at + 18]
        if len(h) < 18:
            return False
        if h[:4] != b"\x1f\x8b\x08\x04":
            return False
        xlen = h[10] | (h[11] << 8)
        extra = data[at + 12 : at + 12 + xlen]
        p, bsize = 0, -1
        while p + 4 <= len(extra):
            slen = extra[p + 2] | (extra[p + 3] << 8)
            if extra[p : p + 2] == b"BC" and slen == 2 and p + 6 <= len(extra):
                bsize = extra[p + 4] | (extra[p + 5] << 8)
            p += 4 + slen
        if bsize < 0:
            return False
        at += bsize + 1
        if at > len(data):
            return at <= size_left  # the chain leaves the window: trust the links so far
    return True


def block_start_near(fd: int, offset: int, size: int, window: int = 1 << 20) -> int | None:
    """The first BGZF block start at or after ``offset`` (validated by its successors)."""
    data = os.pread(fd, window, offset)
    at = data.find(b"\x1f\x8b\x08\x04")
    while at >= 0:
        if _valid_chain(data, at, size - offset):
            return offset + at
        at = data.find(b"\x1f\x8b\x08\x04", at + 1)
    return None


def _cuts(fd: int, size: int, threads: int) -> list[int]:
    parts = max(1, min(threads, size // MIN_PART))
    cuts = [0]
    for w in range(1, parts):
        at = block_start_near(fd, size * w // parts, size)
        if at is not None and at > cuts[-1]:
            cuts.append(at)
    return [*cuts, size]


def _fill(out: np.ndarray, at: int, ptr: int | None, n: int) -> None:
    """Copy ``n`` rows of C memory at ``ptr`` into ``out[at:]`` (one copy, no temporary)."""
    if n and ptr:
        nbytes = n * out[0].nbytes if out.ndim > 1 else n * out.itemsize
        src = np.frombuffer((ctypes.c_char * nbytes).from_address(ptr), out.dtype)
        out[at : at + n] = src.reshape((n, *out.shape[1:]))


def scan_bgzf(
    lib: ctypes.CDLL, path: Path, keys: np.ndarray, n_samples: int, want_ds: bool, threads: int
) -> dict:
    """Candidate records of the BGZF VCF ``path``: packed rows, counts, exception lists, their
    CHROM..ALT text, statuses, DS, and the number of data lines."""
    assert libdeflate.LIB is not None
    keys = np.ascontiguousarray(keys, np.int64)
    inflate = ctypes.cast(libdeflate.LIB.libdeflate_deflate_decompress, ctypes.c_void_p).value
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        cuts = _cuts(fd, size, threads)
        n = len(cuts) - 1
        outs = [ScanOut() for _ in range(n)]
        table = ckernels.counts_table()

        def run(w: int) -> int:
            return lib.scan_range(
                fd, cuts[w], cuts[w + 1], size, int(w == 0), int(w == n - 1), inflate,
                libdeflate.decompressor(w), keys.ctypes.data, len(keys), n_samples, int(want_ds),
                table.ctypes.data, ctypes.byref(outs[w]),
            )  # fmt: skip

        for w in range(n):  # one decompressor per thread, allocated before the threads start
            libdeflate.decompressor(w)
        if n == 1:
            run(0)
        else:
            with ThreadPoolExecutor(max_workers=n) as pool:
                list(pool.map(run, range(n)))
        try:
            for o in outs:
                if o.error == -3:
                    raise MemoryError("scan: out of memory")
                if o.error:
                    problem = f"{_ERRORS.get(o.error, 'read error')} near byte {o.error_offset}"
                    raise input_error(path, None, problem, "re-compress with bgzip")
            return _join(outs, n_samples, want_ds)
        finally:
            for o in outs:
                lib.scan_free(ctypes.byref(o))
    finally:
        os.close(fd)


def _join(outs: list[ScanOut], n_samples: int, want_ds: bool) -> dict:
    """The parts' outputs, in file order, copied once into numpy arrays."""
    rows = sum(o.n_cand for o in outs)
    exc = sum(o.n_exc_total for o in outs)
    joined = {
        "packed": np.empty((rows, packed_width(n_samples)), np.uint8),
        "counts": np.empty((rows, N_ALLELES + 1), np.int32),
        "n_exc": np.empty(rows, np.int64),
        "status": np.empty(rows, np.int8),
        "ds": np.empty((rows, n_samples), np.uint16) if want_ds else None,
        "sample": np.empty(exc, np.int32),
        "code": np.empty(exc, np.uint8),
    }
    r = x = 0
    for o in outs:
        for name in ("packed", "counts", "n_exc", "status", "ds"):
            if joined[name] is not None:
                _fill(joined[name], r, getattr(o, name), o.n_cand)
        _fill(joined["sample"], x, o.exc_sample, o.n_exc_total)
        _fill(joined["code"], x, o.exc_code, o.n_exc_total)
        r += o.n_cand
        x += o.n_exc_total
    joined["text"] = b"".join(ctypes.string_at(o.text, o.text_len) for o in outs if o.text_len)
    joined["lines"] = sum(o.lines for o in outs)
    return joined
