"""numba kernels over decompressed VCF text.

``find_candidates`` walks the lines of a chunk reading only ``CHROM`` and ``POS`` (a
SWAR newline search skips the sample columns eight bytes at a time) and keeps the lines
whose position is a scoring position. ``decode_records`` then reads ``REF``/``ALT`` and
the GT of every sample of those lines only, into one byte per genotype:
high nibble = first allele, low nibble = second allele, ``15`` = missing (``.``),
``14`` = no second allele (a haploid call).
"""

from __future__ import annotations

import numba as nb
import numpy as np

MISSING = 15
HAPLOID = 14
MAX_ALLELE = 13  # alleles numbered above this are read as missing
TAB, NL, COLON = 9, 10, 58
_ONES = np.uint64(0x0101010101010101)
_HIGHS = np.uint64(0x8080808080808080)
_NLS = np.uint64(0x0A0A0A0A0A0A0A0A)


@nb.njit(cache=True, inline="always")
def _newline(buf: np.ndarray, words: np.ndarray, i: int, n: int) -> int:
    """Offset of the first ``\\n`` at or after ``i`` (``n`` when none before ``n``)."""
    while i < n and (i & 7) != 0:
        if buf[i] == NL:
            return i
        i += 1
    w = i >> 3
    wend = n >> 3
    while w < wend:
        x = words[w] ^ _NLS
        if ((x - _ONES) & ~x & _HIGHS) != 0:
            break
        w += 1
    i = w << 3
    while i < n:
        if buf[i] == NL:
            return i
        i += 1
    return n


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


@nb.njit(cache=True)
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


@nb.njit(cache=True)
def _site_key(buf: np.ndarray, i: int, e: int) -> np.int64:
    """``chrom_code << 32 | pos`` of the line ``buf[i:e]``; -1 when unscorable."""
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
    buf: np.ndarray, words: np.ndarray, begin: int, n: int, keys: np.ndarray, final: bool, nseg: int
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Candidate line spans of ``buf[begin:n]``, lines seen, and the offset of an unfinished last line."""
    bounds = np.empty(nseg + 1, np.int64)
    bounds[0] = begin
    for g in range(1, nseg):
        p = begin + ((n - begin) * g) // nseg
        p = max(p, bounds[g - 1])
        q = _newline(buf, words, p, n) if p > begin else begin
        bounds[g] = min(q + 1, n) if p > begin else begin
    bounds[nseg] = n
    caps = np.empty(nseg, np.int64)
    for g in range(nseg):
        caps[g] = (bounds[g + 1] - bounds[g]) // 16 + 16
    base = np.zeros(nseg + 1, np.int64)
    for g in range(nseg):
        base[g + 1] = base[g] + caps[g]
    starts = np.empty(base[nseg], np.int64)
    ends = np.empty(base[nseg], np.int64)
    counts = np.zeros(nseg, np.int64)
    lines = np.zeros(nseg, np.int64)
    tails = np.full(nseg, -1, np.int64)
    for g in range(nseg):
        i = bounds[g]
        stop = bounds[g + 1]
        k = base[g]
        nl = 0
        while i < stop:
            e = _newline(buf, words, i, n)
            if e >= n and not final:
                tails[g] = i
                break
            if buf[i] != 35 and e > i:
                nl += 1
                key = _site_key(buf, i, e)
                if key >= 0 and _contains(keys, key):
                    starts[k] = i
                    ends[k] = e
                    k += 1
            i = e + 1
        counts[g] = k - base[g]
        lines[g] = nl
    total = counts.sum()
    out_s = np.empty(total, np.int64)
    out_e = np.empty(total, np.int64)
    o = 0
    for g in range(nseg):
        out_s[o : o + counts[g]] = starts[base[g] : base[g] + counts[g]]
        out_e[o : o + counts[g]] = ends[base[g] : base[g] + counts[g]]
        o += counts[g]
    consumed = n
    for g in range(nseg):
        if tails[g] >= 0:
            consumed = tails[g]
            break
    return out_s, out_e, lines.sum(), consumed


@nb.njit(cache=True)
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


@nb.njit(cache=True)
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
    """Allele number starting at ``j`` (MISSING for ``.``) and the offset after it."""
    if j >= e:
        return MISSING, j
    c = buf[j]
    if c == 46:
        return MISSING, j + 1
    v = 0
    nd = 0
    while j < e and 48 <= buf[j] <= 57:
        v = v * 10 + (buf[j] - 48)
        j += 1
        nd += 1
    if nd == 0:
        return MISSING, j
    return (v if v <= MAX_ALLELE else MISSING), j


def allele_lut() -> np.ndarray:
    """Byte -> allele code: digits 0-9, ``.`` -> MISSING, anything else 0x100 (invalid)."""
    lut = np.full(256, 0x100, np.int16)
    lut[48:58] = np.arange(10)
    lut[46] = MISSING
    return lut


@nb.njit(cache=True)
def _fixed_width(buf: np.ndarray, j: int, n_samples: int, row: np.ndarray, lut: np.ndarray) -> bool:
    """FORMAT is GT and every sample is ``d/d`` or ``d|d``: decode by stride 4; False if not so."""
    bad = 0
    for k in range(n_samples):
        p = j + 4 * k
        a0 = lut[buf[p]]
        a1 = lut[buf[p + 2]]
        sep = buf[p + 1]
        bad |= a0 | a1 | ((sep != 47) & (sep != 124)) << 8
        row[k] = (a0 << 4) | (a1 & 15)
    return (bad & 0x100) == 0


@nb.njit(cache=True)
def _decode_one(
    buf: np.ndarray,
    s: int,
    e: int,
    n_samples: int,
    row: np.ndarray,
    text: np.ndarray,
    o: int,
    lut: np.ndarray,
) -> int:
    """Decode one record into ``row``; copy its CHROM..ALT to ``text[o:]``. Returns a status."""
    a, _ = _field(buf, s, e, 0)
    _, b = _field(buf, s, e, 4)
    for j in range(a, b):
        text[o] = buf[j]
        o += 1
    text[o] = NL
    fa, fb = _field(buf, s, e, 8)
    gt = _format_index(buf, fa, fb, 71, 84) if fb > fa else -1
    if gt < 0:
        row[:] = 255
        return 1
    j = fb + 1
    if fb - fa == 2 and e - j == 4 * n_samples - 1 and _fixed_width(buf, j, n_samples, row, lut):
        return 0
    for k in range(n_samples):
        if j >= e:
            row[k:] = 255
            return 2
        # fast path: a fixed-width 'd/d' or 'd|d' GT ending the field
        if gt == 0 and j + 3 <= e and (buf[j + 1] == 47 or buf[j + 1] == 124):
            c0 = buf[j]
            c2 = buf[j + 2]
            t = buf[j + 3] if j + 3 < e else TAB
            if (t == TAB or t == COLON) and (48 <= c0 <= 57 or c0 == 46) and (48 <= c2 <= 57 or c2 == 46):
                a0 = MISSING if c0 == 46 else c0 - 48
                a1 = MISSING if c2 == 46 else c2 - 48
                row[k] = (a0 << 4) | a1
                j += 3
                if t == COLON:
                    while j < e and buf[j] != TAB:
                        j += 1
                j += 1
                continue
        f = 0
        while f < gt and j < e and buf[j] != TAB:
            if buf[j] == COLON:
                f += 1
            j += 1
        a0 = MISSING
        a1 = MISSING
        if f == gt:
            a0, j = _allele(buf, j, e)
            if j < e and (buf[j] == 47 or buf[j] == 124):
                a1, j = _allele(buf, j + 1, e)
                if j < e and (buf[j] == 47 or buf[j] == 124):
                    a0 = MISSING  # polyploid: not scored
                    a1 = MISSING
            else:
                a1 = HAPLOID
        row[k] = (a0 << 4) | a1
        while j < e and buf[j] != TAB:
            j += 1
        j += 1
    return 0


@nb.njit(cache=True, parallel=True, nogil=True)
def decode_records(
    buf: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    n_samples: int,
    codes: np.ndarray,
    text: np.ndarray,
    threads: int,
    lut: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """GT codes of each candidate into ``codes[r]``; ``CHROM POS ID REF ALT`` + newline into ``text``.

    Returns per record the offset of its text in ``text`` (length ``n+1``) and a status:
    0 ok, 1 no GT in FORMAT, 2 fewer sample columns than the header.
    """
    n = starts.shape[0]
    toff = np.zeros(n + 1, np.int64)
    for r in range(n):
        a, _ = _field(buf, starts[r], ends[r], 0)
        _, b = _field(buf, starts[r], ends[r], 4)
        toff[r + 1] = toff[r] + (b - a) + 1
    status = np.zeros(n, np.int8)
    groups = min(n, 4 * threads)
    for g in nb.prange(groups):
        lo = (n * g) // groups
        hi = (n * (g + 1)) // groups
        for r in range(lo, hi):
            status[r] = _decode_one(buf, starts[r], ends[r], n_samples, codes[r], text, toff[r], lut)
    return toff, status
