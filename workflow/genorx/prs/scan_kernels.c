/* C twins of the numba scan kernels (vcfkernels.py, gtdecode.py, bgzf._walk_blocks).
 *
 * Compiled once per machine by genorx.prs.ckernels with the system C compiler and loaded
 * with ctypes (which releases the GIL for every call), so reading a VCF loads no numba.
 * Every function mirrors its numba twin statement by statement: both give the same bytes
 * (tests/test_prs_ckernels.py compares them). Code space: genorx/prs/gtcodes.py.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define TAB 9
#define NL 10
#define COLON 58
#define MAX_ALLELE 13
#define N_ALLELES 14
#define HAPLOID_BASE 105
#define MISSING_HAPLOID 254
#define MISSING 255
#define PLAIN_MAX 2
#define DS_SCALE 16384
#define DS_NONE 65535

typedef int64_t i64;
typedef uint8_t u8;

/* ---- BGZF block walk (bgzf._walk_blocks) ---- */
i64 walk_blocks(const u8 *buf, i64 n, i64 *doff, i64 *dsize, i64 *osize, i64 cap, i64 *stop) {
    i64 k = 0, off = 0;
    while (off < n && k < cap) {
        if (off + 18 > n || buf[off] != 31 || buf[off + 1] != 139 || buf[off + 2] != 8 ||
            (buf[off + 3] & 4) == 0)
            break;
        i64 xlen = buf[off + 10] | ((i64)buf[off + 11] << 8);
        i64 p = off + 12, end_extra = p + xlen, bsize = -1;
        while (p + 4 <= end_extra) {
            i64 slen = buf[p + 2] | ((i64)buf[p + 3] << 8);
            if (buf[p] == 66 && buf[p + 1] == 67 && slen == 2)
                bsize = buf[p + 4] | ((i64)buf[p + 5] << 8);
            p += 4 + slen;
        }
        if (bsize < 0 || off + bsize + 1 > n)
            break;
        i64 e = off + bsize + 1;
        doff[k] = end_extra;
        dsize[k] = bsize + 1 - (end_extra - off) - 8;
        osize[k] = (i64)buf[e - 4] | ((i64)buf[e - 3] << 8) | ((i64)buf[e - 2] << 16) |
                   ((i64)buf[e - 1] << 24);
        k++;
        off = e;
    }
    *stop = off;
    return k;
}

/* ---- candidate lines (vcfkernels.find_candidates) ---- */
static int chrom_code(const u8 *buf, i64 a, i64 b) {
    if (b - a >= 3 && (buf[a] | 32) == 99 && (buf[a + 1] | 32) == 104 && (buf[a + 2] | 32) == 114)
        a += 3;
    i64 n = b - a;
    if (n <= 0 || n > 2)
        return 0;
    int c0 = buf[a] | 32;
    if (n == 1) {
        if (buf[a] >= 49 && buf[a] <= 57)
            return buf[a] - 48;
        if (c0 == 120)
            return 23;
        if (c0 == 121)
            return 24;
        if (c0 == 109)
            return 25;
        return 0;
    }
    if (buf[a] >= 48 && buf[a] <= 57 && buf[a + 1] >= 48 && buf[a + 1] <= 57) {
        int v = (buf[a] - 48) * 10 + buf[a + 1] - 48;
        return (v >= 1 && v <= 22) ? v : 0;
    }
    if (c0 == 109 && (buf[a + 1] | 32) == 116)
        return 25;
    return 0;
}

static int contains(const i64 *keys, i64 nkeys, i64 key) {
    i64 lo = 0, hi = nkeys;
    while (lo < hi) {
        i64 mid = (lo + hi) >> 1;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < nkeys && keys[lo] == key;
}

static i64 site_key(const u8 *buf, i64 i, i64 e) {
    i64 j = i;
    while (j < e && buf[j] != TAB)
        j++;
    int code = chrom_code(buf, i, j);
    if (code == 0)
        return -1;
    j++;
    i64 pos = 0;
    while (j < e && buf[j] >= 48 && buf[j] <= 57) {
        pos = pos * 10 + (buf[j] - 48);
        j++;
    }
    return ((i64)code << 32) | pos;
}

/* Candidate spans of buf[begin:n] into starts/ends (at most cap). out[0] = lines counted,
 * out[1] = offset of an unfinished last line (n when none), out[2] = where the walk stopped
 * (< n only when cap was reached: call again from there). Returns the number of spans. */
i64 find_candidates(const u8 *buf, i64 begin, i64 n, const i64 *keys, i64 nkeys, int final,
                    i64 *starts, i64 *ends, i64 cap, i64 *out) {
    i64 k = 0, lines = 0, i = begin, consumed = n;
    while (i < n && k < cap) {
        const u8 *p = memchr(buf + i, NL, (size_t)(n - i));
        i64 e = p ? (i64)(p - buf) : n;
        if (e >= n && !final) {
            consumed = i;
            break;
        }
        if (buf[i] != 35 && e > i) {
            lines++;
            i64 key = site_key(buf, i, e);
            if (key >= 0 && contains(keys, nkeys, key)) {
                starts[k] = i;
                ends[k] = e;
                k++;
            }
        }
        i = e + 1;
    }
    out[0] = lines;
    out[1] = consumed;
    out[2] = i < n && consumed == n ? i : n;
    return k;
}


/* ---- genotype decode (gtdecode) ---- */
#include "gt_decode.c"

/* Offsets of the CHROM..ALT text of records (toff has n + 1 entries). */
void text_offsets(const u8 *buf, const i64 *starts, const i64 *ends, i64 n, i64 *toff) {
    toff[0] = 0;
    for (i64 r = 0; r < n; r++) {
        i64 a, b, tmp;
        field(buf, starts[r], ends[r], 0, &a, &tmp);
        field(buf, starts[r], ends[r], 4, &tmp, &b);
        toff[r + 1] = toff[r] + (b - a) + 1;
    }
}

/* Records lo:hi (gtdecode.decode_records' loop body): codes, DS, counts, n_exc, text, status;
 * and the two-bit rows (gtdecode.pack_codes) into packed (width bytes a row). */
void decode_records(const u8 *buf, const i64 *starts, const i64 *ends, i64 lo, i64 hi, i64 n_samples,
                    u8 *codes, uint16_t *ds, int want_ds, int32_t *counts, i64 *n_exc, u8 *text,
                    const i64 *toff, int8_t *status, const i64 *counts_table, u8 *packed, i64 width) {
    for (i64 r = lo; r < hi; r++) {
        u8 *row = codes + r * n_samples;
        uint16_t *ds_row = want_ds ? ds + r * n_samples : ds;
        status[r] = (int8_t)decode_one(buf, starts[r], ends[r], n_samples, row, ds_row, want_ds, text,
                                       toff[r]);
        n_exc[r] = row_stats(row, n_samples, counts + r * (N_ALLELES + 1), counts_table, NULL, NULL);
        pack_row(row, n_samples, packed + r * width);
    }
}

/* Sample and code of every call above PLAIN_MAX (gtdecode.collect_exceptions), rows lo:hi. */
void collect_exceptions(const u8 *codes, i64 lo, i64 hi, i64 n, const i64 *ptr, int32_t *sample,
                        u8 *code) {
    for (i64 r = lo; r < hi; r++) {
        i64 o = ptr[r];
        const u8 *row = codes + r * n;
        if (ptr[r + 1] == o)
            continue;
        for (i64 k = next_exception(row, 0, n); k < n; k = next_exception(row, k + 1, n)) {
            sample[o] = (int32_t)k;
            code[o] = row[k];
            o++;
        }
    }
}


#include "linear_kernels.c"
#include "scan_pipeline.c"
