"""numba kernels decoding the genotypes of candidate VCF records.

``decode_records`` reads the GT (and, when asked, the DS) of every sample of the candidate
lines, one byte per genotype in the code space of :mod:`genorx.prs.gtcodes`; a ``GT``-only
FORMAT whose samples are all ``d/d`` or ``d|d`` is decoded by stride without looking for
separators. Per record it also counts the alleles of the observed calls and the calls
that are not plain REF/ALT diploid calls, which ``collect_exceptions`` then lists: the
scoring kernel reads both instead of passing over the rows again.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from genorx.prs.gtcodes import (
    ALLELE_COUNT,
    DS_NONE,
    DS_SCALE,
    HAPLOID_BASE,
    MAX_ALLELE,
    MISSING,
    MISSING_HAPLOID,
    N_ALLELES,
    PLAIN_MAX,
)

TAB, NL, COLON = 9, 10, 58
_COUNTS = ALLELE_COUNT.astype(np.int64)  # [allele, code]


@nb.njit(cache=True, inline="always")
def _field(buf: np.ndarray, i: int, e: int, k: int) -> tuple[int, int]:
    """Span of tab-separated field ``k`` of the line ``buf[i:e]``."""
    f = 0
    a = i
    while f < k and a < e:
        if buf[a] == TAB:
            f += 1
        a += 1
    b = a
    while b < e and buf[b] != TAB:
        b += 1
    return a, b


@nb.njit(cache=True, inline="always")
def _format_index(buf: np.ndarray, a: int, b: int, c0: int, c1: int) -> int:
    """Index of the 2-letter key ``c0 c1`` in the colon-separated FORMAT ``buf[a:b]``; -1 if absent."""
    idx = 0
    s = a
    for j in range(a, b + 1):
        if j == b or buf[j] == COLON:
            if j - s == 2 and buf[s] == c0 and buf[s + 1] == c1:
                return idx
            idx += 1
            s = j + 1
    return -1


@nb.njit(cache=True, inline="always")
def _allele(buf: np.ndarray, j: int, e: int) -> tuple[int, int]:
    """Allele number starting at ``j`` (-1 for ``.``/none, -2 above MAX_ALLELE) and the offset after it."""
    if j >= e or buf[j] == 46:
        return -1, min(j + 1, e)
    v = 0
    nd = 0
    while j < e and 48 <= buf[j] <= 57:
        v = v * 10 + (buf[j] - 48)
        j += 1
        nd += 1
    if nd == 0:
        return -1, j
    return (v if v <= MAX_ALLELE else -2), j


@nb.njit(cache=True, inline="always")
def _gt_code(buf: np.ndarray, j: int, e: int) -> tuple[int, int]:
    """Code of the GT starting at ``j`` (up to ``:``/tab) and the offset after it."""
    a0, j = _allele(buf, j, e)
    if j < e and (buf[j] == 47 or buf[j] == 124):
        a1, j = _allele(buf, j + 1, e)
        if j < e and (buf[j] == 47 or buf[j] == 124):  # polyploid: not scored
            while j < e and buf[j] != TAB and buf[j] != COLON:
                j += 1
            return MISSING, j
        if a0 < 0 or a1 < 0:
            return MISSING, j
        lo = min(a0, a1)
        hi = max(a0, a1)
        return hi * (hi + 1) // 2 + lo, j
    if a0 == -1:
        return MISSING_HAPLOID, j
    if a0 < 0:
        return MISSING, j
    return HAPLOID_BASE + a0, j


@nb.njit(cache=True, inline="always")
def _ds_value(buf: np.ndarray, j: int, e: int) -> tuple[int, int]:
    """A DS field as 1/16384 units (round half up, as plink2); DS_NONE when missing or a list;
    -1 when not a number in [0, 2]. Returns (value, offset after the field)."""
    start = j
    mant = np.int64(0)
    nd = 0
    scale = 0
    seen_dot = False
    while j < e and (48 <= buf[j] <= 57 or buf[j] == 46):
        if buf[j] == 46:
            if seen_dot:
                return -1, j
            seen_dot = True
        elif nd < 18:
            mant = mant * 10 + (buf[j] - 48)
            nd += 1
            if seen_dot:
                scale += 1
        elif not seen_dot:
            scale -= 1
        j += 1
    if j < e and (buf[j] == 101 or buf[j] == 69):  # exponent
        j += 1
        neg = False
        if j < e and (buf[j] == 45 or buf[j] == 43):
            neg = buf[j] == 45
            j += 1
        ex = 0
        while j < e and 48 <= buf[j] <= 57:
            ex = ex * 10 + (buf[j] - 48)
            j += 1
        scale += ex if neg else -ex
    end = j
    while j < e and buf[j] != TAB and buf[j] != COLON:
        j += 1
    if end == start + 1 and buf[start] == 46 and j == end:
        return DS_NONE, j
    if j != end:  # a list (multi-allelic) or trailing text
        return (DS_NONE if buf[end] == 44 else -1), j
    if nd == 0:
        return -1, j
    x = float(mant)
    if scale > 0:
        x = x / 10.0**scale
    elif scale < 0:
        x = x * 10.0 ** (-scale)
    if x > 2.0:
        return -1, j
    return np.int64(np.floor(x * DS_SCALE + 0.5)), j


_U32 = np.uint32


@nb.njit(cache=True, inline="always")
def _fixed_width(buf: np.ndarray, j: int, n_samples: int, row: np.ndarray) -> bool:
    """FORMAT is GT and every sample is ``d/d`` or ``d|d`` (4 bytes with its tab): decode by
    stride, each sample one (unaligned) 32-bit load and branch-free arithmetic; False when
    the layout does not hold (the caller then parses field by field). The buffer has at
    least one byte after the line, so the last sample's load stays inside it."""
    words = buf[j : j + 4 * n_samples].view(np.uint32)
    bad = _U32(0)
    one, nine, zero = _U32(1), _U32(9), _U32(0)
    for k in range(n_samples):
        w = words[k]
        c0 = w & _U32(0xFF)
        s = (w >> _U32(8)) & _U32(0xFF)
        c2 = (w >> _U32(16)) & _U32(0xFF)
        d0 = c0 - _U32(48)  # wraps above 9 for anything but a digit
        d2 = c2 - _U32(48)
        m0 = _U32(c0 == _U32(46))
        m2 = _U32(c2 == _U32(46))
        lo = min(d0, d2)
        hi = max(d0, d2)
        code = ((hi * (hi + one)) >> one) + lo
        row[k] = np.uint8(code | (zero - (m0 | m2)))  # a '.' allele: 255 (MISSING)
        bad |= (
            (_U32(d0 > nine) & (one - m0))
            | (_U32(d2 > nine) & (one - m2))
            | (_U32(s != _U32(47)) & _U32(s != _U32(124)))
        )
    for k in range(n_samples - 1):  # a tab after every sample but the last
        bad |= _U32((words[k] >> _U32(24)) != _U32(TAB))
    return bad == zero


@nb.njit(cache=True)
def _decode_one(
    buf: np.ndarray,
    s: int,
    e: int,
    n_samples: int,
    row: np.ndarray,
    ds_row: np.ndarray,
    want_ds: bool,
    text: np.ndarray,
    o: int,
) -> int:
    """Decode one record into ``row`` (and ``ds_row``); copy CHROM..ALT to ``text[o:]``.
    Status: 0 ok, 1 no GT in FORMAT, 2 fewer sample columns than the header, 3 bad DS."""
    a, _ = _field(buf, s, e, 0)
    _, b = _field(buf, s, e, 4)
    for j in range(a, b):
        text[o] = buf[j]
        o += 1
    text[o] = NL
    fa, fb = _field(buf, s, e, 8)
    gt = _format_index(buf, fa, fb, 71, 84) if fb > fa else -1
    ds = _format_index(buf, fa, fb, 68, 83) if want_ds and fb > fa else -1
    if want_ds:
        ds_row[:] = DS_NONE
    if gt < 0 and ds < 0:
        row[:] = MISSING
        return 1
    j = fb + 1
    if ds < 0 and gt == 0 and fb - fa == 2 and e - j == 4 * n_samples - 1:
        if _fixed_width(buf, j, n_samples, row):
            return 0
    status = 0
    for k in range(n_samples):
        if j >= e:
            row[k:] = MISSING
            return 2
        f = 0
        code = MISSING if gt < 0 else -1
        while j < e and buf[j] != TAB:
            if f == gt:
                code, j = _gt_code(buf, j, e)
            elif f == ds:
                v, j = _ds_value(buf, j, e)
                if v < 0:
                    status = 3
                    v = DS_NONE
                ds_row[k] = v
            while j < e and buf[j] != TAB and buf[j] != COLON:
                j += 1
            if j < e and buf[j] == COLON:
                j += 1
                f += 1
        row[k] = MISSING if code < 0 else code
        if want_ds and HAPLOID_BASE <= row[k] < MISSING_HAPLOID:
            ds_row[k] = DS_NONE  # a haploid call is scored from its GT
        j += 1
    return status


@nb.njit(cache=True, inline="always")
def _row_stats(row: np.ndarray, counts: np.ndarray) -> int:
    """Copies of each allele over the observed calls of ``row`` into ``counts[:N_ALLELES]``,
    their ploidy into ``counts[N_ALLELES]``; returns the number of calls with a code above
    PLAIN_MAX (the kernel's exceptions)."""
    hist = np.zeros((4, 256), np.int64)  # four histograms: no store-to-load stalls
    n = row.shape[0]
    k = 0
    while k + 4 <= n:
        hist[0, row[k]] += 1
        hist[1, row[k + 1]] += 1
        hist[2, row[k + 2]] += 1
        hist[3, row[k + 3]] += 1
        k += 4
    while k < n:
        hist[0, row[k]] += 1
        k += 1
    counts[:] = 0
    plain = 0
    for c in range(256):
        h = hist[0, c] + hist[1, c] + hist[2, c] + hist[3, c]
        if h == 0:
            continue
        if c <= PLAIN_MAX:
            plain += h
        for a in range(N_ALLELES):
            if _COUNTS[a, c]:
                counts[a] += h * _COUNTS[a, c]
                counts[N_ALLELES] += h * _COUNTS[a, c]
    return n - plain


@nb.njit(cache=True, parallel=True, nogil=True)
def pack_codes(codes: np.ndarray, packed: np.ndarray) -> None:
    """Two bits per call: a plain code (0..PLAIN_MAX) as is, anything else 3."""
    n = codes.shape[1]
    for r in nb.prange(codes.shape[0]):
        row = codes[r]
        out = packed[r]
        for q in range(out.shape[0]):
            v = 0
            for i in range(4):
                k = 4 * q + i
                if k < n:
                    c = row[k]
                    v |= (c if c <= PLAIN_MAX else 3) << (2 * i)
            out[q] = v


@nb.njit(cache=True, parallel=True, nogil=True)
def collect_exceptions(codes: np.ndarray, ptr: np.ndarray, sample: np.ndarray, code: np.ndarray) -> None:
    """Sample and code of every call above PLAIN_MAX, record by record (``ptr`` = offsets)."""
    for r in nb.prange(codes.shape[0]):
        o = ptr[r]
        row = codes[r]
        for k in range(row.shape[0]):
            if row[k] > PLAIN_MAX:
                sample[o] = k
                code[o] = row[k]
                o += 1


@nb.njit(cache=True, parallel=True, nogil=True)
def decode_records(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    n_samples: int,
    codes: np.ndarray,
    ds: np.ndarray,
    want_ds: bool,
    counts: np.ndarray,
    n_exc: np.ndarray,
    threads: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """GT codes of each candidate into ``codes[r]`` (DS units into ``ds[r]`` when ``want_ds``);
    allele counts into ``counts[r]`` and the number of non-plain calls into ``n_exc[r]``
    (:func:`_row_stats`). Returns the records' ``CHROM POS ID REF ALT`` lines (uint8 text),
    per record the offset of its line (length ``n+1``) and a status (see :func:`_decode_one`)."""
    n = starts.shape[0]
    toff = np.zeros(n + 1, np.int64)
    for r in range(n):
        a, _ = _field(buf, starts[r], ends[r], 0)
        _, b = _field(buf, starts[r], ends[r], 4)
        toff[r + 1] = toff[r] + (b - a) + 1
    text = np.empty(toff[n], np.uint8)
    status = np.zeros(n, np.int8)
    groups = min(n, 4 * threads)
    for g in nb.prange(groups):
        lo = (n * g) // groups
        hi = (n * (g + 1)) // groups
        for r in range(lo, hi):
            ds_row = ds[r] if want_ds else ds[0]
            status[r] = _decode_one(
                buf, starts[r], ends[r], n_samples, codes[r], ds_row, want_ds, text, toff[r]
            )
            n_exc[r] = _row_stats(codes[r], counts[r])
    return text, toff, status
